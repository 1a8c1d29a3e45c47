"""OpenORS: an open-source, ORS-compatible SCXML orchestration server."""

__version__ = "0.1.0"

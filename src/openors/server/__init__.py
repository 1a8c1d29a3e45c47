"""The HTTP face of OpenORS: the ORS `/scxml/session/...` API, operator endpoints and metrics."""

from .app import create_app

__all__ = ["create_app"]

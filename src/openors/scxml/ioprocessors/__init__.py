"""Event I/O processors beyond the built-in SCXML one (registered on a `SessionHost`)."""

from .basichttp import BASIC_HTTP, BASIC_HTTP_SHORT, BasicHttpProcessor, enable_basichttp

__all__ = ["BASIC_HTTP", "BASIC_HTTP_SHORT", "BasicHttpProcessor", "enable_basichttp"]

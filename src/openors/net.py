"""Listening sockets for the HTTP servers OpenORS runs (the API, the Basic HTTP I/O processor)."""

from __future__ import annotations

import socket


def bind_tcp(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (0: any free port), so a busy port fails at once and the
    real port is known before the server starts.

    IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose protocol says TCP, and
    without it a response written in two parts waits ~40 ms for the peer's delayed ACK."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock

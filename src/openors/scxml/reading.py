"""Bounded reads: a file or an HTTP body is read up to a size cap and within a time limit, never
further. Devices, FIFOs and directories are refused (`/dev/zero` would never end), an HTTP body is
refused from its Content-Length when that already says too much, then counted while it streams
(decoded bytes: a compressed bomb counts at its real size).

Failures are `SourceError`s naming the URL and the reason.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from .sources import SourceError, SourceTooLarge

CHUNK = 64 * 1024


def read_url(url: str, limit: int, timeout: float, check_url: Callable[[str], None] | None = None) -> bytes:
    """The bytes at a file: or http(s): URL, at most `limit` of them. `check_url` vets every
    HTTP redirect hop (raise `SourceError` to refuse one)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return read_file(Path(unquote(urlsplit(url).path)), limit, url)
    if scheme in ("http", "https"):
        return read_http(url, limit, timeout, check_url)
    raise SourceError(url, f"unsupported URL scheme '{scheme}' (use file:, http: or https:)")


def read_file(path: Path, limit: int, url: str | None = None) -> bytes:
    """A regular file's bytes, refused past `limit`. Opened without blocking (a FIFO would wait for
    a writer), then checked with fstat so what is read is what was checked."""
    url = url or path.as_uri()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SourceError(url, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(url, f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise SourceTooLarge(url, _too_big(limit, f"{info.st_size} bytes"))
        chunks, total = [], 0
        while total <= limit:  # a file that grows while read still stops at limit + 1
            chunk = os.read(fd, min(CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        if isinstance(exc, SourceError):
            raise
        raise SourceError(url, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if total > limit:
        raise SourceTooLarge(url, _too_big(limit, "more"))
    return b"".join(chunks)


def read_http(url: str, limit: int, timeout: float, check_url: Callable[[str], None] | None = None) -> bytes:
    """A GET's body, streamed: refused past `limit` bytes or past `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    hooks = {"request": [lambda request: check_url(str(request.url))]} if check_url else {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, trust_env=False, event_hooks=hooks) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise SourceError(url, f"HTTP status {response.status_code}")
                check_length(response, limit, url)
                chunks, total = [], 0
                for chunk in response.iter_bytes(CHUNK):
                    total = _count(total, chunk, limit, url, deadline, timeout)
                    chunks.append(chunk)
                return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise SourceError(url, f"{type(exc).__name__}: {exc}") from None


async def read_body(response: httpx.Response, limit: int, url: str, deadline: float, timeout: float) -> bytes:
    """The body of a streamed httpx response (`client.stream` / `send(stream=True)`), bounded."""
    check_length(response, limit, url)
    chunks, total = [], 0
    async for chunk in response.aiter_bytes(CHUNK):
        total = _count(total, chunk, limit, url, deadline, timeout)
        chunks.append(chunk)
    return b"".join(chunks)


def check_length(response: httpx.Response, limit: int, url: str) -> None:
    """Refuse at once a body whose Content-Length is past `limit` (when it is not compressed)."""
    length = response.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit and not response.headers.get("content-encoding"):
        raise SourceTooLarge(url, _too_big(limit, f"Content-Length {length}"))


def _count(total: int, chunk: bytes, limit: int, url: str, deadline: float, timeout: float) -> int:
    total += len(chunk)
    if total > limit:
        raise SourceTooLarge(url, _too_big(limit, "more"))
    if time.monotonic() > deadline:
        raise SourceError(url, f"not read within {timeout:g} s")
    return total


def _too_big(limit: int, size: str) -> str:
    return f"larger than the cap of {limit} bytes ({size})"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"

"""Turning an include's href into an absolute URL and reading its bytes (file paths, file: and http(s))."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

DEFAULT_TIMEOUT_S = 10.0


class FetchError(Exception):
    """A resource that could not be read; the message is the reason, without the URL."""


def to_url(path_or_url: str | os.PathLike) -> str:
    """An absolute URL for a document given as a file path or a URL."""
    text = os.fspath(path_or_url)
    scheme = urlparse(text).scheme
    if scheme in ("http", "https", "file"):
        return text
    # A one-letter "scheme" is a Windows drive letter, not a URL.
    return Path(os.path.abspath(text)).as_uri()


def join_url(base_url: str, href: str) -> str:
    """The URL `href` names when written in the document at `base_url`."""
    # Composer projects are authored on Windows; a backslash there is a path separator.
    href = href.strip().replace("\\", "/")
    if urlparse(href).scheme in ("http", "https", "file"):
        return href
    if urlparse(base_url).scheme == "file":
        base_path = Path(url_to_path(base_url))
        target = Path(unquote(href)) if href.startswith("/") else base_path.parent / unquote(href)
        return Path(os.path.normpath(target)).as_uri()
    return urljoin(base_url, href)


def url_to_path(url: str) -> str:
    parsed = urlparse(url)
    return unquote(parsed.path)


def fetch_bytes(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> tuple[bytes, str]:
    """The bytes at `url` and the URL they were really read from (see `_find_file`)."""
    scheme = urlparse(url).scheme
    if scheme == "file":
        path = _find_file(Path(url_to_path(url)))
        try:
            return path.read_bytes(), path.as_uri()
        except OSError as exc:
            raise FetchError(exc.strerror or str(exc)) from None
    if scheme in ("http", "https"):
        return _fetch_http(url, timeout), url
    raise FetchError(f"unsupported URL scheme '{scheme}'")


def _fetch_http(url: str, timeout: float) -> bytes:
    from openors.scxml.resources import fetch_bytes as fetch_url  # one HTTP client path for documents

    try:
        return fetch_url(url, timeout=timeout)
    except OSError as exc:
        raise FetchError(str(exc).removeprefix(f"{url}: ")) from None


def _find_file(path: Path) -> Path:
    """`path`, or its only case-insensitive match when the exact name does not exist.

    Composer runs on Windows, whose file names ignore case: real projects include "Main3.scxml"
    from a file saved as "main3.scxml". ORS served them from such file systems, so we forgive it.
    """
    if path.exists() or not path.parent.is_dir():
        return path
    wanted = path.name.lower()
    matches = [p for p in path.parent.iterdir() if p.name.lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise FetchError("no such file")
    raise FetchError(f"no such file, and several names differ only by case: {sorted(p.name for p in matches)}")

"""Turning an include's href into an absolute URL and reading its bytes (file paths, file: and http(s))."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from openors.scxml.reading import read_file
from openors.scxml.resources import read_reference
from openors.scxml.sources import SourceError, SourcePolicy, SourceTooLarge


class FetchError(Exception):
    """A resource that could not be read; the message is the reason, without the URL."""

    def __init__(self, reason: str, too_large: bool = False):
        super().__init__(reason)
        self.too_large = too_large


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


def fetch_bytes(url: str, referrer: str | None, sources: SourcePolicy, limit: int) -> tuple[bytes, str]:
    """The bytes at `url`, included by the document at `referrer`, and the URL they were really
    read from (see `_find_file`). At most `limit` bytes; `sources` says what may be read."""
    try:
        sources.check_reference(url, referrer)
        if urlparse(url).scheme == "file":
            path = _find_file(Path(url_to_path(url)))
            return read_file(path, limit, path.as_uri()), path.as_uri()
        return read_reference(url, referrer, sources, limit=limit), url
    except SourceError as exc:
        raise FetchError(exc.reason, isinstance(exc, SourceTooLarge)) from None


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

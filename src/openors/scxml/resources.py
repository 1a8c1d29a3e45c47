"""Fetching what documents refer to: other documents, scripts, data (file paths, file: and http(s) URLs)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from .reading import read_url
from .sources import DEFAULT_POLICY, SourcePolicy


def resolve_url(href: str, base: str | None) -> str:
    """An absolute URL for `href`, relative to the referencing document's URL."""
    href = href.strip()
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https"):
        return href
    if parsed.scheme == "file":
        path = unquote(parsed.path) if parsed.netloc in ("", "localhost") else href
        if parsed.path and not parsed.path.startswith("/") and not parsed.netloc:
            # "file:test.txt" is relative to the referencing document
            return resolve_url(unquote(parsed.path), base)
        return "file://" + path
    if len(parsed.scheme) > 1:
        return href  # some other scheme: kept, fails at fetch time with a clear reason
    if base is None:
        return Path(os.path.abspath(href)).as_uri()
    if base.startswith(("http://", "https://")):
        return urljoin(base, href)
    base_path = Path(unquote(urlparse(base).path))
    return (base_path.parent / href).resolve().as_uri()


def read_document(url: str, sources: SourcePolicy = DEFAULT_POLICY, *, limit: int | None = None) -> bytes:
    """A document's bytes, if `sources.documents` allows its URL; bounded by the policy's caps."""
    sources.check_document(url)
    return read_url(url, sources.max_document_bytes if limit is None else limit, sources.timeout_s,
                    check_url=sources.check_document)


def read_reference(url: str, referrer: str | None, sources: SourcePolicy = DEFAULT_POLICY, *,
                   limit: int | None = None) -> bytes:
    """What the document at `referrer` refers to (include, data or script src), if allowed."""
    sources.check_reference(url, referrer)
    return read_url(url, sources.max_document_bytes if limit is None else limit, sources.timeout_s,
                    check_url=lambda hop: sources.check_reference(hop, referrer))


def fetch_bytes(url: str, sources: SourcePolicy = DEFAULT_POLICY) -> bytes:
    return read_document(url, sources)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def fetch_text(url: str, referrer: str | None = None, sources: SourcePolicy = DEFAULT_POLICY) -> str:
    return decode(read_reference(url, referrer, sources))


def url_to_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None

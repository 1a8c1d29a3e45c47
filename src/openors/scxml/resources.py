"""Fetching what documents refer to: other documents, scripts, data (file paths, file: and http(s) URLs)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

FETCH_TIMEOUT_S = 10.0


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


def fetch_bytes(url: str, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path)).read_bytes()
    if parsed.scheme in ("http", "https"):
        import httpx

        try:
            response = httpx.get(url, timeout=timeout, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise OSError(f"{url}: {exc}") from None
        if response.status_code >= 400:
            raise OSError(f"{url}: HTTP status {response.status_code}")
        return response.content
    raise OSError(f"unsupported URL '{url}'")


def fetch_text(url: str) -> str:
    data = fetch_bytes(url)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def url_to_path(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None

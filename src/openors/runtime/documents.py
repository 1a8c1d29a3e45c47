"""SCXML documents by URL: fetched (file:, http(s):) asynchronously, compiled once, shared by every
session, revalidated before reuse (file mtime; HTTP ETag / Last-Modified, at most every `max_age`).

A source may name an alternate: `"URL1 URL2"` (ORS `application` option) — the second is tried
when the first cannot be fetched or compiled.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

from openors.scxml import ScxmlLoadError
from openors.scxml import model as m
from openors.scxml.extensions import Extensions
from openors.scxml.parser import parse_document, parse_xml
from openors.scxml.resources import resolve_url, url_to_path

from .errors import DocumentLoadFailed
from .metrics import Metrics

log = logging.getLogger("openors.runtime.documents")


@dataclass
class CachedDocument:
    url: str
    document: m.Document
    etag: str | None = None
    last_modified: str | None = None
    mtime_ns: int | None = None
    checked_at: float = 0.0  # loop time of the last revalidation


class DocumentCache:
    def __init__(self, extensions: Extensions, metrics: Metrics, *, max_age: float = 5.0,
                 fetch_timeout: float = 10.0, base_dir: str | None = None):
        self.extensions = extensions
        self.metrics = metrics
        self.max_age = max_age
        self.base_dir = base_dir
        self._fetch_timeout = fetch_timeout
        self._entries: dict[str, CachedDocument] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def resolve(self, src: str) -> str:
        if self.base_dir and not urlparse(src).scheme:
            src = os.path.join(self.base_dir, src)
        return resolve_url(src, None)

    # --- lookups -------------------------------------------------------------------------------
    async def get(self, source: str) -> m.Document:
        """The compiled document for `source` ("URL" or "URL ALTERNATE-URL")."""
        urls = [self.resolve(part) for part in source.split()]
        if not urls:
            raise DocumentLoadFailed("no document URL given ('src' is empty)")
        failures = []
        for url in urls:
            try:
                return await self._get_one(url)
            except ScxmlLoadError as exc:
                failures.append({"url": exc.url or url, "line": exc.line, "reason": exc.reason})
        first = failures[0]
        where = f"{first['url']}:{first['line']}" if first["line"] else first["url"]
        message = f"cannot load SCXML document {where}: {first['reason']}"
        if len(failures) > 1:
            message += "; alternate " + "; ".join(
                f"{f['url']}{':' + str(f['line']) if f['line'] else ''}: {f['reason']}" for f in failures[1:])
        raise DocumentLoadFailed(message, url=first["url"], line=first["line"], reason=first["reason"],
                                 attempts=failures)

    def cached(self, url: str) -> m.Document | None:
        entry = self._entries.get(url)
        return entry.document if entry else None

    def load_sync(self, url: str) -> m.Document:
        """For the engine's synchronous paths (restoring an evicted session, <invoke src>): the cached
        document, or a blocking load as a last resort (then cached)."""
        entry = self._entries.get(url)
        if entry is not None:
            return entry.document
        from openors.scxml.resources import fetch_bytes

        try:
            data = fetch_bytes(url)
        except OSError as exc:
            raise ScxmlLoadError(f"cannot read document: {exc}", url) from None
        document = self._compile(data, url)
        self._entries[url] = CachedDocument(url, document, checked_at=time.monotonic())
        return document

    def current_sync(self, url: str) -> m.Document:
        """The document as it is now, synchronously: a `file:` document is revalidated (one stat)
        and recompiled when it changed; others come from the cache (or a blocking first load)."""
        if url.startswith("file:"):
            return self._refresh_file(url, self._entries.get(url))
        return self.load_sync(url)

    async def _get_one(self, url: str) -> m.Document:
        entry = self._entries.get(url)
        if entry is not None and not self._needs_check(entry):
            return entry.document
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:  # one fetch per URL, however many starts wait for it
            entry = self._entries.get(url)
            if entry is not None and not self._needs_check(entry):
                return entry.document
            return await self._refresh(url, entry)

    def _needs_check(self, entry: CachedDocument) -> bool:
        if entry.mtime_ns is not None:
            return True  # a stat is cheap: files are checked on every use
        return time.monotonic() - entry.checked_at >= self.max_age

    # --- fetching -------------------------------------------------------------------------------
    async def _refresh(self, url: str, entry: CachedDocument | None) -> m.Document:
        scheme = urlparse(url).scheme
        started = time.perf_counter()
        if scheme == "file":
            document = self._refresh_file(url, entry)
        elif scheme in ("http", "https"):
            document = await self._refresh_http(url, entry)
        else:
            raise ScxmlLoadError(f"unsupported URL scheme '{scheme}' (use file:, http: or https:)", url)
        self.metrics.document_processing_time.observe(time.perf_counter() - started)
        return document

    def _refresh_file(self, url: str, entry: CachedDocument | None) -> m.Document:
        path = url_to_path(url)
        try:
            stat = path.stat()
            if entry is not None and entry.mtime_ns == stat.st_mtime_ns:
                entry.checked_at = time.monotonic()
                return entry.document
            data = path.read_bytes()
        except OSError as exc:
            raise ScxmlLoadError(f"cannot read document: {exc.strerror or exc}", url) from None
        document = self._compile(data, url)
        self._entries[url] = CachedDocument(url, document, mtime_ns=stat.st_mtime_ns, checked_at=time.monotonic())
        log.info("compiled document", extra={"url": url})
        return document

    async def _refresh_http(self, url: str, entry: CachedDocument | None) -> m.Document:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._fetch_timeout, follow_redirects=True, trust_env=False)
        headers = {}
        if entry is not None and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry is not None and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        started = time.perf_counter()
        try:
            response = await self._client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise ScxmlLoadError(f"cannot fetch document: {type(exc).__name__}: {exc}", url) from None
        finally:
            self.metrics.http_fetch_time.observe(time.perf_counter() - started)
        if response.status_code == 304 and entry is not None:
            entry.checked_at = time.monotonic()
            return entry.document
        if response.status_code >= 400:
            raise ScxmlLoadError(f"cannot fetch document: HTTP {response.status_code}", url)
        document = self._compile(response.content, url)
        self._entries[url] = CachedDocument(url, document, etag=response.headers.get("etag"),
                                            last_modified=response.headers.get("last-modified"),
                                            checked_at=time.monotonic())
        log.info("compiled document", extra={"url": url})
        return document

    def _compile(self, data: bytes, url: str) -> m.Document:
        # parse_xml/parse_document rather than load_string: the latter keeps the source text on the
        # document, and the engine then copies it into every snapshot.
        try:
            return parse_document(parse_xml(data, url), url, self.extensions)
        except RecursionError:  # the compiler recurses per nesting level: refuse rather than crash
            raise ScxmlLoadError("the document nests elements too deeply to compile", url) from None

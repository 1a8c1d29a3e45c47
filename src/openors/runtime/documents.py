"""SCXML documents by URL: fetched (file:, http(s):) asynchronously, compiled once, shared by every
session, revalidated before reuse (file mtime; HTTP ETag / Last-Modified, at most every `max_age`).

Only URLs `sources.documents` allows are read, each within the policy's size cap and time limit.
Reading a file and compiling run in a worker thread, so a big document does not stall the loop;
the extensions' document hooks then run on the loop.

A source may name an alternate: `"URL1 URL2"` (ORS `application` option) — the second is tried
when the first cannot be fetched or compiled.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from openors.scxml import ScxmlLoadError
from openors.scxml import model as m
from openors.scxml.extensions import Extensions
from openors.scxml.parser import attach_extensions, compile_document, parse_xml
from openors.scxml.reading import read_body, read_file
from openors.scxml.resources import read_document, resolve_url, url_to_path
from openors.scxml.sources import DEFAULT_POLICY, SourceError, SourcePolicy

from .errors import DocumentLoadFailed
from .metrics import Metrics

log = logging.getLogger("openors.runtime.documents")
_RESOLVED_KEPT = 1024  # sources whose URLs are remembered


def _mtime_ns(path: Path) -> int | None:
    """The file's mtime, or None when it cannot be stat'ed (the full check then says why)."""
    try:
        return os.stat(path).st_mtime_ns
    except (OSError, ValueError):
        return None


@dataclass
class CachedDocument:
    url: str
    document: m.Document
    etag: str | None = None
    last_modified: str | None = None
    mtime_ns: int | None = None
    checked_at: float = 0.0  # loop time of the last revalidation
    path: Path | None = None  # a file: document's path, stat'ed on every use


class DocumentCache:
    def __init__(self, extensions: Extensions, metrics: Metrics, *, max_age: float = 5.0,
                 base_dir: str | None = None, sources: SourcePolicy = DEFAULT_POLICY):
        self.extensions = extensions
        self.metrics = metrics
        self.max_age = max_age
        self.base_dir = base_dir
        self.sources = sources
        self._fetch_timeout = sources.timeout_s
        # Compiling takes a worker thread; a few at a time, so a burst of big documents cannot
        # take every thread (and their memory) at once.
        self._compiling = asyncio.Semaphore(2)
        self._entries: dict[str, CachedDocument] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._client: httpx.AsyncClient | None = None
        # source as given -> its absolute URLs: a start names the same few sources again and again
        self._resolved: dict[str, list[str]] = {}

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
        urls = self._resolved.get(source)
        if urls is None:
            urls = [self.resolve(part) for part in source.split()]
            if len(self._resolved) >= _RESOLVED_KEPT:
                self._resolved.clear()
            self._resolved[source] = urls
        if not urls:
            raise DocumentLoadFailed("no document URL given ('src' is empty)")
        failures = []
        for url in urls:
            try:
                return await self._get_one(url)
            except ScxmlLoadError as exc:
                failures.append({"url": exc.url or url, "line": exc.line, "reason": exc.reason})
        self.metrics.document_load_failures.inc()
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
        self._check(url)
        try:
            data = read_document(url, self.sources)
        except SourceError as exc:
            raise ScxmlLoadError(f"cannot read document: {exc.reason}", url) from None
        document, root = self._compile(data, url)
        attach_extensions(document, root, self.extensions)
        return self._store(CachedDocument(url, document))

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
        if entry is not None and entry.path is not None and _mtime_ns(entry.path) == entry.mtime_ns:
            return entry.document  # a file as it was (its URL was allowed when it was read)
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
        self._check(url)
        scheme = urlparse(url).scheme
        started = time.perf_counter()
        if scheme == "file":
            document = await self._refresh_file_async(url, entry)
        elif scheme in ("http", "https"):
            document = await self._refresh_http(url, entry)
        else:
            raise ScxmlLoadError(f"unsupported URL scheme '{scheme}' (use file:, http: or https:)", url)
        self.metrics.document_processing_time.observe(time.perf_counter() - started)
        return document

    def _check(self, url: str) -> None:
        try:
            self.sources.check_document(url)
        except SourceError as exc:
            raise ScxmlLoadError(exc.reason, url) from None

    def _stat(self, url: str) -> tuple[Path, int]:
        path = url_to_path(url)
        if path is None:
            raise ScxmlLoadError("not a file: URL", url)
        try:
            return path, path.stat().st_mtime_ns
        except OSError as exc:
            raise ScxmlLoadError(f"cannot read document: {exc.strerror or exc}", url) from None
        except ValueError:  # a NUL in the path: no file system can name it
            raise ScxmlLoadError("cannot read document: the path holds a NUL character", url) from None

    def _refresh_file(self, url: str, entry: CachedDocument | None) -> m.Document:
        self._check(url)
        path, mtime_ns = self._stat(url)
        if entry is not None and entry.mtime_ns == mtime_ns:
            entry.checked_at = time.monotonic()
            return entry.document
        document, root = self._read_and_compile(path, url)
        attach_extensions(document, root, self.extensions)
        return self._store(CachedDocument(url, document, mtime_ns=mtime_ns, path=path))

    async def _refresh_file_async(self, url: str, entry: CachedDocument | None) -> m.Document:
        path, mtime_ns = self._stat(url)
        if entry is not None and entry.mtime_ns == mtime_ns:
            entry.checked_at = time.monotonic()
            return entry.document
        async with self._compiling:
            document, root = await asyncio.to_thread(self._read_and_compile, path, url)
        attach_extensions(document, root, self.extensions)  # the hooks may touch loop-owned state
        return self._store(CachedDocument(url, document, mtime_ns=mtime_ns, path=path))

    def _read_and_compile(self, path: Path, url: str):
        try:
            data = read_file(path, self.sources.max_document_bytes, url)
        except SourceError as exc:
            raise ScxmlLoadError(f"cannot read document: {exc.reason}", url) from None
        return self._compile(data, url)

    async def _refresh_http(self, url: str, entry: CachedDocument | None) -> m.Document:
        if self._client is None:
            async def vet_redirect(request: httpx.Request) -> None:
                self._check(str(request.url))

            self._client = httpx.AsyncClient(timeout=self._fetch_timeout, follow_redirects=True, trust_env=False,
                                             event_hooks={"request": [vet_redirect]})
        headers = {}
        if entry is not None and entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry is not None and entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._fetch_timeout):  # the whole exchange, however slow the drip
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 304 and entry is not None:
                        entry.checked_at = time.monotonic()
                        return entry.document
                    if response.status_code >= 400:
                        raise ScxmlLoadError(f"cannot fetch document: HTTP {response.status_code}", url)
                    data = await read_body(response, self.sources.max_document_bytes, url,
                                           time.monotonic() + self._fetch_timeout, self._fetch_timeout)
        except TimeoutError:
            raise ScxmlLoadError(f"cannot fetch document: no complete answer within {self._fetch_timeout:g} s",
                                 url) from None
        except SourceError as exc:
            raise ScxmlLoadError(f"cannot fetch document: {exc.reason}", url) from None
        except httpx.HTTPError as exc:
            raise ScxmlLoadError(f"cannot fetch document: {type(exc).__name__}: {exc}", url) from None
        finally:
            self.metrics.http_fetch_time.observe(time.perf_counter() - started)
        async with self._compiling:
            document, root = await asyncio.to_thread(self._compile, data, url)
        attach_extensions(document, root, self.extensions)
        return self._store(CachedDocument(url, document, etag=response.headers.get("etag"),
                                          last_modified=response.headers.get("last-modified")))

    def _store(self, entry: CachedDocument) -> m.Document:
        entry.checked_at = time.monotonic()
        self._entries[entry.url] = entry
        log.info("compiled document", extra={"url": entry.url})
        return entry.document

    def _compile(self, data: bytes, url: str):
        """(document, tree) without the extensions' hooks: safe in a worker thread.
        compile_document rather than load_string: the latter keeps the source text on the
        document, and the engine then copies it into every snapshot."""
        try:
            document, root = compile_document(parse_xml(data, url), url, self.extensions, sources=self.sources)
            document.source_sha256 = hashlib.sha256(data).hexdigest()  # snapshots keep it, not the text
            return document, root
        except RecursionError:  # the compiler recurses per nesting level: refuse rather than crash
            raise ScxmlLoadError("the document nests elements too deeply to compile", url) from None

"""Where documents and the things they refer to may come from, and where a session may reach.

One `SourcePolicy` per server (the `sources:` section of `openors serve`; the defaults elsewhere),
handed explicitly to whoever loads or fetches:

* `documents`: URL patterns a document may be loaded from (start requests, applications) and that
  a document's references may name (`xi:include`, `<data src>`, `<script src>`, `<invoke src>`,
  `<session:start src>`);
* `fetch`: URL patterns a running session may reach (`<session:fetch>`, Basic HTTP `<send>` targets);
* a document read over http(s) never reads local files, whatever the patterns say: its references
  to `file:` URLs are refused;
* every read is bounded: `max_document_bytes` for a document with all its includes,
  `max_document_elements` for its elements once includes are resolved, `max_fetch_bytes` for a
  body a session receives over HTTP, `timeout_s` for any one read.

Patterns are shell globs matched against the whole URL (`*` matches any characters, `/` too):
`https://*`, `http://intranet.example.com/*`, `file:///srv/strategies/*`. End a host with `/` so
that `http://example.com*` cannot match `http://example.com.evil.org/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import unquote, urlsplit

MiB = 1024 * 1024


class SourceError(OSError):
    """A source that is refused or cannot be read. `reason` says why, without the URL."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


class SourceTooLarge(SourceError):
    """A source past its size cap."""


@dataclass(frozen=True)
class SourcePolicy:
    documents: tuple[str, ...] = ("file:*", "http://*", "https://*")
    fetch: tuple[str, ...] = ("http://*", "https://*")
    max_document_bytes: int = 16 * MiB
    max_document_elements: int = 50_000
    max_fetch_bytes: int = 4 * MiB
    timeout_s: float = 10.0

    def check_document(self, url: str) -> None:
        """A document named by a start request or an application."""
        if not _matches(url, self.documents):
            raise SourceError(url, _not_allowed("sources.documents", self.documents))

    def check_reference(self, url: str, referrer: str | None) -> None:
        """Something a document refers to (include, data/script/invoke src, session:start)."""
        if _is_local(url) and _is_remote(referrer):
            raise SourceError(url, f"a document read over {urlsplit(str(referrer)).scheme} may not read local "
                                   f"files (referenced from {referrer})")
        self.check_document(url)

    def check_fetch(self, url: str) -> None:
        """A URL a running session reaches (session:fetch, Basic HTTP send)."""
        if not _matches(url, self.fetch):
            raise SourceError(url, _not_allowed("sources.fetch", self.fetch))


DEFAULT_POLICY = SourcePolicy()


def _matches(url: str, patterns: tuple[str, ...]) -> bool:
    url = _plain(url)
    return any(fnmatchcase(url, _plain(pattern)) for pattern in patterns)


def _plain(text: str) -> str:
    # file: URLs reach us both percent-encoded (Path.as_uri) and not (resolve_url): compare them plain
    return unquote(text) if text[:5].lower() == "file:" else text


def _not_allowed(key: str, patterns: tuple[str, ...]) -> str:
    allowed = ", ".join(patterns) if patterns else "nothing"
    return f"not allowed by {key} (allowed: {allowed})"


def _is_local(url: str) -> bool:
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or len(scheme) <= 1  # a bare path, or a Windows drive letter


def _is_remote(url: str | None) -> bool:
    return url is not None and urlsplit(url).scheme.lower() in ("http", "https")

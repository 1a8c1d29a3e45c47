"""XInclude as ORS and Composer use it, resolved on lxml trees before the SCXML parser sees them.

* `<script><xi:include parse="text" href="../include/common.js"/></script>`: the file's text goes
  into the script.
* `<xi:include parse="xml" href="Main.scxml" xpointer="_composer_entry" resolveid="MainWorkflow"/>`:
  the element with that id (the whole document without xpointer) replaces the include, renamed by
  the Composer prefix rules of `composer_prefix`.

lxml's own `xinclude()` loses the line numbers and files of included elements and knows nothing of
`resolveid`, hence this resolver. Included elements keep their own source lines; the root of each
included fragment carries `{urn:openors}src` = the URL of its file, so `element_source()` can name
file and line for any element. A `<script>` filled by a text include carries `{urn:openors}text-src`
and `{urn:openors}text-line` (see `text_source()`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lxml import etree

from openors.scxml.sources import DEFAULT_POLICY, SourcePolicy

from .composer_prefix import apply_prefix, has_prefix_token
from .include_fetch import FetchError, fetch_bytes, join_url, to_url

if TYPE_CHECKING:
    from typing import Any

    from lxml.etree import _Element

XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
SRC_ATTR = "{urn:openors}src"
TEXT_SRC_ATTR = "{urn:openors}text-src"
TEXT_LINE_ATTR = "{urn:openors}text-line"
MAX_DEPTH = 50  # far beyond any real project; stops runaway chains that are not exact cycles

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class IncludeError(Exception):
    """An include that cannot be resolved: a load error naming the including document, line and href."""

    def __init__(self, url: str, line: int | None, href: str, reason: str):
        self.url = url
        self.line = line
        self.href = href
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.url}:{self.line}" if self.line else self.url
        return f"{where}: cannot include '{self.href}': {self.reason}"


class IncludeCycleError(IncludeError):
    """A document that (indirectly) includes itself. Fatal: an `<xi:fallback>` does not apply."""


def resolve_includes(tree_or_root: Any, base_url: str | os.PathLike | None, *,
                     sources: SourcePolicy = DEFAULT_POLICY) -> _Element:
    """Replace every `<xi:include>` under the root, in place, and return the root element.

    `base_url` is the document's own URL or file path; relative hrefs resolve against it. None (a
    document read from a string) means the URL lxml recorded, else the current directory.
    Raises `IncludeError` for a missing or unparsable include and `IncludeCycleError` for a cycle.
    `sources` says what may be included; everything included counts against one
    `max_document_bytes` budget, so a document cannot include the same big file a thousand times.
    """
    root = tree_or_root.getroot() if isinstance(tree_or_root, etree._ElementTree) else tree_or_root
    base_url = base_url or root.getroottree().docinfo.URL
    if base_url:
        url = to_url(base_url)
        root.set(SRC_ATTR, url)
    else:
        url = to_url("<string>")  # a name in the current directory, for relative hrefs and messages
    if has_prefix_token(root):
        apply_prefix(root, "")  # a Composer workflow loaded on its own has the empty prefix
    _Resolver(sources).expand(root, url, (url,))
    return root


def element_source(el: _Element) -> tuple[str | None, int | None]:
    """(URL of the file the element was written in, its line in that file)."""
    for node in (el, *el.iterancestors()):
        src = node.get(SRC_ATTR) if isinstance(node.tag, str) else None
        if src:
            return src, el.sourceline
    return el.getroottree().docinfo.URL, el.sourceline


def text_source(el: _Element) -> tuple[str, int] | None:
    """For a script filled by a text include: (URL of the included file, the line of the script's
    text where that file's line 1 is). None when the element's text was written inline."""
    src = el.get(TEXT_SRC_ATTR)
    return (src, int(el.get(TEXT_LINE_ATTR, "1"))) if src else None


def _is_xinclude(el, name: str) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace in XINCLUDE_NAMESPACES and (
        etree.QName(el).localname == name
    )


class _Resolver:
    def __init__(self, sources: SourcePolicy):
        self.sources = sources
        self.budget = sources.max_document_bytes  # bytes all includes of this document may still take

    def expand(self, scope: _Element, doc_url: str, chain: tuple[str, ...]) -> None:
        """Resolve the includes under `scope`, written in the document at `doc_url`."""
        includes = [el for el in scope.iter() if _is_xinclude(el, "include") and not self._in_fallback(el, scope)]
        for inc in includes:
            self._replace(inc, doc_url, chain)

    @staticmethod
    def _in_fallback(el, scope) -> bool:
        # Includes inside <xi:fallback> only count if that fallback is used.
        for anc in el.iterancestors():
            if anc is scope:
                return False
            if _is_xinclude(anc, "fallback"):
                return True
        return False

    def _replace(self, inc, doc_url: str, chain: tuple[str, ...]) -> None:
        href = inc.get("href", "")
        fail = _failure(doc_url, inc, href)
        if inc.getparent() is None:
            raise fail("an include cannot be the root element")
        try:
            if inc.get("parse", "xml") == "text":
                self._include_text(inc, doc_url, href, fail)
            elif inc.get("parse", "xml") == "xml":
                self._include_xml(inc, doc_url, href, chain, fail)
            else:
                raise fail(f"unknown parse=\"{inc.get('parse')}\" (expected 'xml' or 'text')")
        except IncludeCycleError:
            raise
        except IncludeError:
            fallback = next((c for c in inc if _is_xinclude(c, "fallback")), None)
            if fallback is None:
                raise
            self._use_fallback(inc, fallback, doc_url, chain)

    # --- parse="text" ---------------------------------------------------------------------------
    def _include_text(self, inc, doc_url: str, href: str, fail) -> None:
        if not href:
            raise fail("a text include needs an href")
        url = join_url(doc_url, href)
        data, url = self._fetch(url, doc_url, fail)
        try:
            text = data.decode(inc.get("encoding") or "utf-8-sig")
        except (UnicodeDecodeError, LookupError) as exc:
            raise fail(f"cannot decode {url}: {exc}") from None
        # Same newlines as XML-parsed text, so line counting agrees with the rest of the document.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        parent = inc.getparent()
        before = _text_before(inc)
        parent.set(TEXT_SRC_ATTR, url)
        parent.set(TEXT_LINE_ATTR, str(before.count("\n") + 1))
        _replace_with_text(inc, text)

    # --- parse="xml" ----------------------------------------------------------------------------
    def _include_xml(self, inc, doc_url: str, href: str, chain: tuple[str, ...], fail) -> None:
        if not href:
            raise fail("an include within the same document is not supported; give an href")
        url = join_url(doc_url, href)
        if url in chain:
            cycle = " -> ".join((*chain[chain.index(url):], url))
            raise IncludeCycleError(doc_url, inc.sourceline, href, f"include cycle: {cycle}")
        if len(chain) >= MAX_DEPTH:
            raise fail(f"includes nested deeper than {MAX_DEPTH} documents")
        data, real_url = self._fetch(url, doc_url, fail)
        try:
            included_root = etree.fromstring(data, _PARSER, base_url=real_url)
        except etree.XMLSyntaxError as exc:
            raise fail(f"{real_url} is not well-formed XML: {exc}") from None
        fragment = _select(included_root, inc.get("xpointer"), real_url, fail)
        fragment.set(SRC_ATTR, real_url)
        apply_prefix(fragment, inc.get("resolveid", ""))
        self.expand(fragment, real_url, (*chain, url))
        fragment.tail = inc.tail
        inc.getparent().replace(inc, fragment)

    def _use_fallback(self, inc, fallback, doc_url: str, chain: tuple[str, ...]) -> None:
        self.expand(fallback, doc_url, chain)
        _replace_with_text(inc, fallback.text or "", keep_tail=False)
        for child in list(fallback):
            inc.addprevious(child)  # moves the child together with its tail text
        _replace_with_text(inc, "")

    def _fetch(self, url: str, doc_url: str, fail) -> tuple[bytes, str]:
        try:
            data, real_url = fetch_bytes(url, doc_url, self.sources, self.budget)
        except FetchError as exc:
            if exc.too_large and self.budget < self.sources.max_document_bytes:
                raise fail(f"cannot read {url}: the document's includes together are larger than "
                           f"sources.max_document_bytes ({self.sources.max_document_bytes} bytes)") from None
            raise fail(f"cannot read {url}: {exc}") from None
        self.budget -= len(data)
        return data, real_url


def _failure(doc_url: str, inc, href: str):
    def fail(reason: str) -> IncludeError:
        return IncludeError(doc_url, inc.sourceline, href, reason)

    return fail


def _select(included_root, xpointer: str | None, url: str, fail):
    """The element an xpointer names: Composer writes a bare id; `element(id)` and
    `xpointer(id('x'))` are accepted too. No xpointer: the whole document."""
    if not xpointer:
        return included_root
    wanted = _pointer_id(xpointer.strip())
    if wanted is None:
        raise fail(f"unsupported xpointer '{xpointer}' (only an element id is supported)")
    for el in included_root.iter():
        if isinstance(el.tag, str) and el.get("id") == wanted:
            return el
    raise fail(f"no element with id '{wanted}' in {url}")


def _pointer_id(xpointer: str) -> str | None:
    for start, end in (("element(", ")"), ("xpointer(id('", "'))"), ('xpointer(id("', '"))')):
        if xpointer.startswith(start) and xpointer.endswith(end):
            inner = xpointer[len(start):-len(end)]
            return inner if inner and "/" not in inner else None
    return xpointer if "(" not in xpointer and "/" not in xpointer else None


def _text_before(el) -> str:
    prev = el.getprevious()
    return (prev.tail or "") if prev is not None else (el.getparent().text or "")


def _replace_with_text(el, text: str, keep_tail: bool = True) -> None:
    """Put `text` where `el` is; with keep_tail, also remove `el` keeping the text after it."""
    parent = el.getparent()
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    if keep_tail:
        tail = el.tail or ""
        el.tail = None
        if prev is not None:
            prev.tail += tail
        else:
            parent.text += tail
        parent.remove(el)

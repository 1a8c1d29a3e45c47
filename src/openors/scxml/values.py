"""Values that cross between the document, the datamodel and events."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.etree import _Element


class XmlValue:
    """An XML fragment used as a value (inline `<data>`/`<content>` children, XML `src`).

    Kept as serialised text so it stays data (snapshots, events); the ECMAScript datamodel turns
    it into a DOM-like object when a script touches it.
    """

    __slots__ = ("xml",)

    def __init__(self, xml: str):
        self.xml = xml

    @classmethod
    def from_elements(cls, elements: Iterable[_Element]) -> XmlValue:
        parts = []
        for el in elements:
            tail, el.tail = el.tail, None
            parts.append(etree.tostring(el, encoding="unicode"))
            el.tail = tail
        return cls("".join(parts))

    def root(self) -> _Element:
        return etree.fromstring(self.xml)

    def __eq__(self, other) -> bool:
        return isinstance(other, XmlValue) and other.xml == self.xml

    def __hash__(self) -> int:
        return hash(self.xml)

    def __repr__(self) -> str:
        return f"XmlValue({self.xml!r})"


_WS = re.compile(r"\s+")


def normalise_space(text: str) -> str:
    return _WS.sub(" ", text).strip()


def decode_text(text: str, *, normalise: bool) -> Any:
    """Inline or fetched text as a value: JSON when it parses, else XML, else the string."""
    stripped = text.strip()
    if stripped:
        try:
            return json.loads(stripped)
        except ValueError:
            pass
        if stripped.startswith("<"):
            try:
                etree.fromstring(stripped.encode())
                return XmlValue(stripped)
            except etree.XMLSyntaxError:
                pass
    return normalise_space(text) if normalise else text

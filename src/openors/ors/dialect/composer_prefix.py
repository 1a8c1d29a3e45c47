"""Composer's state-id prefixing of included workflows (`resolveid`, `$$_MY_PREFIX_$$`, `_my_prefix`).

What Composer output relies on (IPD documents and the workflows they include):

* `<xi:include parse="xml" href="Main.scxml" xpointer="_composer_entry" resolveid="MainWorkflow"/>`
  pulls in the element with id `_composer_entry`; every state id in that subtree becomes
  `MainWorkflow.<id>` (the IPD then targets `MainWorkflow._composer_entry` and listens for
  `done.state.MainWorkflow._composer_entry`).
* Inside the workflow, references to its own states are written `$$_MY_PREFIX_$$.<id>` in `target`,
  `initial` and `event` (`done.state.$$_MY_PREFIX_$$.X`): the token becomes the resolveid, so the
  reference meets the prefixed id. `<data id>` names variables, not states, and is never prefixed.
* `_my_prefix` in expressions is the resolveid of the subtree it is written in (Composer sends
  `<param name="resolveid" expr="_my_prefix"/>` and checks `_event.data.resolveid == _my_prefix`).
  We bind it lexically, by replacing the identifier with a string literal in `expr`/`cond`
  attributes and `<script>` text, string literals included (`eval('_my_prefix + ".x"')`): with
  ORS's flat global scope one global variable could not hold a different value in each workflow.
* A document loaded on its own (not through an include) has the empty prefix:
  `$$_MY_PREFIX_$$.X` becomes `X`, ids stay as they are, `_my_prefix` is left to the datamodel.
"""

from __future__ import annotations

import json
import re

from lxml import etree

PREFIX_TOKEN = "$$_MY_PREFIX_$$"
PREFIX_ATTR = "{urn:openors}prefix"  # on the root of each prefixed fragment: its resolveid

_STATE_TAGS = frozenset({"state", "parallel", "final", "history", "initial"})
_EXPRESSION_ATTRS = ("expr", "cond")
# The identifier alone: not a property (`x._my_prefix`), not part of a longer name.
_MY_PREFIX_RE = re.compile(r"_my_prefix(?![\w$])")
_IDENT_BEFORE = re.compile(r"[\w$.]")


def has_prefix_token(root: etree._Element) -> bool:
    return any(PREFIX_TOKEN in value for el in _elements(root) for value in el.attrib.values())


def apply_prefix(fragment: etree._Element, resolveid: str) -> None:
    """Rename the fragment's states and references for the given resolveid ("" = loaded on its own)."""
    if resolveid:
        fragment.set(PREFIX_ATTR, resolveid)
    for el in _elements(fragment):
        for name, value in el.attrib.items():
            if PREFIX_TOKEN in value:
                el.set(name, _replace_token(value, resolveid))
        if not resolveid:
            continue
        if etree.QName(el).localname in _STATE_TAGS and el.get("id"):
            el.set("id", f"{resolveid}.{el.get('id')}")
        for name in _EXPRESSION_ATTRS:
            value = el.get(name)
            if value and "_my_prefix" in value:
                el.set(name, bind_my_prefix(value, resolveid))
        if etree.QName(el).localname == "script" and el.text and "_my_prefix" in el.text:
            el.text = bind_my_prefix(el.text, resolveid)


def bind_my_prefix(source: str, resolveid: str) -> str:
    """`_my_prefix` in JS source -> the resolveid as a string literal, also inside string literals
    (code that builds a string for `eval` or `setTimeout`): in code and in '...' strings it becomes
    "W", in "..." and `...` strings 'W', so the string still parses and its eval gives the prefix."""
    double = json.dumps(resolveid)
    single = "'" + resolveid.replace("\\", "\\\\").replace("'", "\\'") + "'"
    # What eval must see, escaped to sit inside the string literal the name was found in.
    in_string = {"'": _escape(double, "'"), '"': _escape(single, '"'), "`": _escape(single, "`")}
    out: list[str] = []
    quote: str | None = None  # the quote of the string literal we are in, if any
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if quote is None and source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(source[i:end])
            i = end
            continue
        if quote is None and source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(source[i:end])
            i = end
            continue
        if quote is not None and c == "\\":
            out.append(source[i:i + 2])
            i += 2
            continue
        if c in "'\"`":
            quote = None if quote == c else (c if quote is None else quote)
            out.append(c)
            i += 1
            continue
        found = _MY_PREFIX_RE.match(source, i) if c == "_" else None
        if found is not None and (i == 0 or not _IDENT_BEFORE.match(source[i - 1])):
            out.append(double if quote is None else in_string[quote])
            i = found.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _escape(literal: str, quote: str) -> str:
    return literal.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("${", "$\\{")


def _replace_token(value: str, resolveid: str) -> str:
    if resolveid:
        return value.replace(PREFIX_TOKEN, resolveid)
    # No prefix: "$$_MY_PREFIX_$$.Entry1" must become "Entry1", not ".Entry1".
    return value.replace(PREFIX_TOKEN + ".", "").replace(PREFIX_TOKEN, "")


def _elements(root: etree._Element):
    # Comments and processing instructions have no attributes to rewrite.
    return (el for el in root.iter() if isinstance(el.tag, str))

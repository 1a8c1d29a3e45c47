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
  attributes and `<script>` text: with ORS's flat global scope one global variable could not hold a
  different value in each included workflow.
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
_MY_PREFIX_RE = re.compile(r"(?<![\w$.])_my_prefix(?![\w$])")


def has_prefix_token(root: etree._Element) -> bool:
    return any(PREFIX_TOKEN in value for el in _elements(root) for value in el.attrib.values())


def apply_prefix(fragment: etree._Element, resolveid: str) -> None:
    """Rename the fragment's states and references for the given resolveid ("" = loaded on its own)."""
    if resolveid:
        fragment.set(PREFIX_ATTR, resolveid)
    literal = json.dumps(resolveid)
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
                el.set(name, _MY_PREFIX_RE.sub(literal, value))
        if etree.QName(el).localname == "script" and el.text and "_my_prefix" in el.text:
            el.text = _MY_PREFIX_RE.sub(literal, el.text)


def _replace_token(value: str, resolveid: str) -> str:
    if resolveid:
        return value.replace(PREFIX_TOKEN, resolveid)
    # No prefix: "$$_MY_PREFIX_$$.Entry1" must become "Entry1", not ".Entry1".
    return value.replace(PREFIX_TOKEN + ".", "").replace(PREFIX_TOKEN, "")


def _elements(root: etree._Element):
    # Comments and processing instructions have no attributes to rewrite.
    return (el for el in root.iter() if isinstance(el.tag, str))

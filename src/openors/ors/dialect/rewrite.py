"""ORS dialect -> engine model, as a rewrite of the lxml tree before the SCXML parser reads it.

ORS runs SCXML as Genesys extended the W3C draft of May 2009. Rewriting the tree keeps the engine
pure W3C: every rule below maps an ORS form onto an engine form with the same meaning. Elements
are changed in place, so line numbers and source files survive for error messages.

| ORS form                                  | engine form                                      |
|-------------------------------------------|--------------------------------------------------|
| <send event= target= targettype|type= delay=> | eventexpr / targetexpr / typeexpr / delayexpr (all expressions) |
| <send sendid=>                            | id=                                              |
| <send hints= timeout=>, <log level=>, _type, _persist | kept in the urn:openors namespace       |
| <event name="x"/>                         | <raise event="x"/>                               |
| <raise event="x"><param .../></raise>     | ors:raise (an internal event carrying the params) |
| <cancel sendid="expr"/>                   | ors:cancel (cancel.successful / error.notallowed) |
| <invoke targettype=>                      | type=                                            |
| <scxml profile="ecmascript">              | datamodel="ecmascript"                           |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.scxml.parser import EXT_NS, SCXML_NS

if TYPE_CHECKING:
    from lxml.etree import _Element

ORS_ACTIONS_NS = "urn:openors:ors"
_S = "{" + SCXML_NS + "}"
_A = "{" + ORS_ACTIONS_NS + "}"
# Genesys attributes kept for the dialect (read by persistence, reporting), moved out of the way.
_GENESYS_ATTRIBUTES = ("_type", "_persist")
_SEND_EXPRESSIONS = {"event": "eventexpr", "target": "targetexpr", "targettype": "typeexpr",
                     "type": "typeexpr", "delay": "delayexpr"}
_INTERNAL_TARGETS = {"_internal", "#_internal"}


def _move(el, old: str, new: str) -> None:
    value = el.attrib.pop(old)
    el.set(new, value)


def _keep(el, name: str) -> None:
    if name in el.attrib:
        _move(el, name, EXT_NS + name)


def rewrite_document(root: _Element) -> None:
    root.set(EXT_NS + "dialect", "ors")
    profile = root.attrib.pop("profile", None)
    if profile is not None and root.get("datamodel") is None:
        root.set("datamodel", profile if profile in ("ecmascript", "null") else "ecmascript")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in _GENESYS_ATTRIBUTES:
            _keep(el, name)
        tag = el.tag
        if tag == _S + "send":
            _rewrite_send(el)
        elif tag == _S + "event":
            el.tag = _S + "raise"
            if "name" in el.attrib:
                _move(el, "name", "event")
        elif tag == _S + "raise" and len(el):
            el.tag = _A + "raise"
        elif tag == _S + "cancel":
            el.tag = _A + "cancel"
        elif tag == _S + "log":
            _keep(el, "level")
        elif tag == _S + "invoke" and "targettype" in el.attrib and "type" not in el.attrib:
            _move(el, "targettype", "type")


def _rewrite_send(el) -> None:
    target = el.get("target")
    if target is not None and target.strip() in _INTERNAL_TARGETS:
        el.set("target", "#_internal")  # the special target is a word, not an expression
    for attr, expr_attr in _SEND_EXPRESSIONS.items():
        if attr == "target" and el.get("target") == "#_internal":
            continue
        if attr in el.attrib and expr_attr not in el.attrib:
            _move(el, attr, expr_attr)
    if "sendid" in el.attrib and "id" not in el.attrib:
        _move(el, "sendid", "id")
    for name in ("hints", "timeout"):
        _keep(el, name)

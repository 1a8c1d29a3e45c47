"""What `openors lint` checks in ORS documents beyond the engine's own checks (elements.py).

* an element of a Genesys module that no module has: `<ixn:redirekt>` (with the closest names);
* a value-expression attribute holding a bare word the document never declares and that reads as a
  word, not a variable (`type="music"`, meant as `type="'music'"`: see `looks_like_a_word`), and a
  value expression that does not parse;
* an NMTOKEN attribute written as a quoted string (`type="'agentgroup'"`).

Names a document declares: its <data> ids, names its scripts declare or assign, <assign>
locations, <foreach> items, the ECMAScript and ORS globals every session has.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from openors.scxml.datamodel import _quickjs as quickjs

from ..modules import module_of
from .elements import EXPR, OPEN_MODULES, WORD, module_elements
from .xinclude import element_source

if TYPE_CHECKING:
    from lxml.etree import _Element

_BARE_WORD = re.compile(r"^[A-Za-z_$][\w$]*$")
_DECLARED = re.compile(r"\b(?:var|let|const|function)\s+([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*=(?![=>])")
_QUOTED = re.compile(r"""^\s*(['"]).*\1\s*$""")
_SCXML = "{http://www.w3.org/2005/07/scxml}"
_SESSION_NAMES = {"_event", "_sessionid", "_name", "_ioprocessors", "_x", "_data", "_genesys", "_my_prefix",
                  "true", "false", "null", "undefined", "this", "NaN", "Infinity"}
# (element, attribute) -> the words documented for it, which a strategy must quote.
VOCABULARY: dict[tuple[str, str], frozenset[str]] = {
    ("playsound", "type"): frozenset({"music", "ringback", "busy", "busytone", "fastbusy", "fastbusytone",
                                      "silence", "recordedannouncement", "announcement"}),
    ("start", "type"): frozenset({"applid", "uri", "vxml", "dn"}),
    ("fetch", "method"): frozenset({"get", "post", "put", "patch", "delete", "head", "esp", "urs"}),
    ("fetch", "type"): frozenset({"json"}),
    ("submit", "ordertype"): frozenset({"max", "min", "any", "percentage"}),
    ("createmessage", "media"): frozenset({"email", "sms"}),
}
_MAX_FINDINGS = 1000  # a generated document with a systematic mistake says so 1000 times at most


def lint_ors(root: _Element) -> list[tuple[str | None, int | None, str]]:
    """(url, line, message) for every problem of an ORS document's module elements."""
    names = declared_names(root)
    table = module_elements()
    check = _syntax_checker()
    found: list[tuple[str | None, int | None, str]] = []
    for el in root.iter():
        if len(found) >= _MAX_FINDINGS:
            break
        if not isinstance(el.tag, str) or not el.tag.startswith("{"):
            continue
        namespace, _, local = el.tag[1:].partition("}")
        module = module_of(namespace)
        if module is None or module in OPEN_MODULES:
            continue
        url, line = element_source(el)
        prefix = el.prefix or module
        elements = table.get(module, {})
        if local not in elements:
            close = difflib.get_close_matches(local, list(elements), n=3)
            hint = f"; did you mean {', '.join(f'<{prefix}:{c}>' for c in close)}?" if close else ""
            found.append((url, line, f"unknown element <{prefix}:{local}>: the {module} module has no such "
                                     f"element{hint}"))
            continue
        for attr, kind in elements[local].items():
            value = el.get(attr)
            if value is None:
                continue
            problem = _attribute_problem(f"{prefix}:{local}", attr, kind, value, names, check)
            if problem:
                found.append((url, line, problem))
    return found


def looks_like_a_word(element: str, attr: str, text: str) -> bool:
    """A bare word meant as a string: one of the attribute's documented values, or a lower-case word
    (strategies name variables in camel case: InteractionID, vQueue; a sub-routine's variables may
    come from its caller's params, so an undeclared name alone is no finding)."""
    local = element.split(":", 1)[-1]
    return text.lower() in VOCABULARY.get((local, attr), ()) or (text.isalpha() and text.islower())


def _attribute_problem(element: str, attr: str, kind: str, value: str, names: set[str], check) -> str | None:
    text = value.strip()
    if kind == EXPR:
        if _BARE_WORD.match(text) and text not in names and looks_like_a_word(element, attr, text):
            return (f"<{element}> attribute '{attr}' is a value expression, and '{text}' names nothing the "
                    f"document declares: for the word write {attr}=\"'{text}'\"")
        error = check(text) if text else ""
        if error:
            return f"<{element}> attribute '{attr}': {error}"
    elif kind == WORD and _QUOTED.match(text):
        return f"<{element}> attribute '{attr}' is a word (NMTOKEN), not an expression: write {attr}={text}"
    return None


def declared_names(root: _Element) -> set[str]:
    names = set(_SESSION_NAMES) | _global_names()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == _SCXML + "data" and el.get("id"):
            names.add(el.get("id"))
        elif el.tag == _SCXML + "script" and el.text:
            names.update(a or b for a, b in _DECLARED.findall(el.text))
        elif el.tag == _SCXML + "assign" and el.get("location"):
            names.add(re.split(r"[.\[]", el.get("location").strip(), maxsplit=1)[0])
        elif el.tag == _SCXML + "foreach":
            names.update(v for v in (el.get("item"), el.get("index")) if v)
        for attr in ("idlocation", "namelist"):
            if el.get(attr):
                names.update(el.get(attr).split())
    return names


@lru_cache(maxsize=1)
def _global_names() -> frozenset[str]:
    """Every global a fresh ORS session has (ECMAScript built-ins, ORS built-ins)."""
    from .runtime import _BUILTINS

    ctx = quickjs.Context()
    ctx.eval(_BUILTINS)
    return frozenset(ctx.eval("JSON.stringify(Object.getOwnPropertyNames(globalThis))").strip("[]")
                     .replace('"', "").split(","))


def _syntax_checker():
    ctx = quickjs.Context()
    check = ctx.eval("""(function (text) {
        try { new Function('return (' + text + '\\n);'); return ''; }
        catch (e) { try { new Function(text); return ''; } catch (e2) { return String(e); } }
    })""")
    return check

"""Reading `<dialog:prompts>`, `<dialog:prompt>` and `<dialog:input>` children, and how long a
prompt plays on the simulated media server.

Attribute values: `type` is an NMTOKEN (`type="ann"`; quotes are tolerated: `type="'ann'"`); a
number or a run of keys (`5`, `#`, `*9`) is taken as written; anything else is an ECMAScript
expression (`text="'Welcome'"`, `duration="promptLen"`), as on the action elements.

Duration rule (seconds), first match wins:
  1. a `duration` attribute on the prompt;
  2. by kind (`type` of the prompt, else of `<dialog:prompts>`, else guessed from the value attribute):
     `text`/`tts`: 0.4 per word (at least 1); `digits`/`number`/`currency`/`date`/`time`: 0.5 per
     character (at least 1); `silence`: the value itself; anything else (announcements `ann`,
     `intid`, audio files `uri`/`resource`/`file`): 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openors.scxml.errors import ExecutionError

from ..actions import ActionError

if TYPE_CHECKING:
    from lxml.etree import _Element

    from openors.scxml.interpreter import Interpreter

_LITERAL = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$|^[0-9*#]+$")
# value attribute -> the kind it implies when no `type` says otherwise
_VALUE_KINDS = {"text": "text", "tts": "text", "digits": "digits", "number": "number", "intid": "ann",
                "id": "ann", "uri": "uri", "resource": "uri", "file": "uri", "value": None}
ANNOUNCEMENT_SECONDS = 3.0
WORD_SECONDS = 0.4
CHARACTER_SECONDS = 0.5
SPOKEN_KINDS = ("digits", "number", "currency", "date", "time")
INPUT_ATTRIBUTES = ("max_digits", "abort_digits", "term_digits", "total_timeout", "digit_timeout",
                    "first_digit_timeout")


def local_name(el: _Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def children(el: _Element, name: str | None = None) -> list:
    return [c for c in el if isinstance(c.tag, str) and (name is None or local_name(c) == name)]


def nmtoken(text: str | None) -> str | None:
    if text is None:
        return None
    word = text.strip()
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        word = word[1:-1]
    return word


def attribute_value(interp: Interpreter, text: str | None, where: str) -> Any:
    if text is None:
        return None
    if _LITERAL.match(text):
        stripped = text.strip()
        try:
            return float(stripped) if "." in stripped else int(stripped)
        except ValueError:
            return stripped  # keys such as "#" or "*9"
    try:
        return interp.datamodel.evaluate(text)
    except ExecutionError as exc:
        raise ActionError("unknown", f"{where}: {exc}") from None


@dataclass
class Prompt:
    kind: str
    value: Any
    seconds: float

    def label(self) -> str:
        return f"{self.kind}:{self.value}"


def prompt_seconds(kind: str, value: Any) -> float:
    text = "" if value is None else str(value)
    if kind in ("text", "tts"):
        return max(1.0, WORD_SECONDS * len(text.split()))
    if kind in SPOKEN_KINDS:
        return max(1.0, CHARACTER_SECONDS * len(text))
    if kind == "silence":
        try:
            return max(0.0, float(text))
        except ValueError:
            return 1.0
    return ANNOUNCEMENT_SECONDS


def read_prompts(interp: Interpreter, el: _Element) -> list[Prompt]:
    """Every prompt under `el` (an action element), in document order."""
    prompts: list[Prompt] = []
    for group in children(el, "prompts"):
        group_kind = nmtoken(group.get("type"))
        for item in children(group, "prompt"):
            prompts.append(_read_prompt(interp, item, group_kind))
    for item in children(el, "prompt"):  # prompts written without a <prompts> wrapper
        prompts.append(_read_prompt(interp, item, None))
    return prompts


def _read_prompt(interp, item, group_kind: str | None) -> Prompt:
    kind, value = None, None
    for attr, implied in _VALUE_KINDS.items():
        if item.get(attr) is not None:
            value = attribute_value(interp, item.get(attr), f"<prompt> {attr}")
            kind = implied
            break
    declared = nmtoken(item.get("type"))
    if declared:
        kind = declared
    kind = str(kind or group_kind or "ann").lower()
    duration = item.get("duration")
    if duration is not None:
        seconds = attribute_value(interp, duration, "<prompt> duration")
        try:
            seconds = max(0.0, float(seconds))
        except (TypeError, ValueError):
            raise ActionError("unknown", f"<prompt> duration {seconds!r} is not a number") from None
    else:
        seconds = prompt_seconds(kind, value)
    return Prompt(kind, value, seconds)


def read_input(interp: Interpreter, el: _Element) -> dict[str, Any]:
    """The collection settings of the first `<dialog:input>` child (an empty dict if none)."""
    for item in children(el, "input"):
        settings = {}
        for attr in INPUT_ATTRIBUTES:
            value = attribute_value(interp, item.get(attr), f"<input> {attr}")
            if value is not None:
                settings[attr] = str(value) if attr.endswith("_digits") and attr != "max_digits" else value
        return settings
    return {}

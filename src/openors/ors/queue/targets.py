"""URS target strings (ORS-SPEC §4.4) and the conditions inside them.

    {StatCallsInQueue<10}[25]8001@StatServer.Q, ?Sales:(sales > 5 & english >= 3)@StatServer.GA

A list of possible targets, each: an optional `{threshold}`, an optional `[weight]`, then either
`name@statserver.TYPE` (`name.TYPE` without a Stat Server) or a skill expression
`?group:expression@statserver.GA` (empty group = every agent).

Conditions (skill expressions and thresholds) are comparisons `name op number`, a bare `name`
(level > 0), `!`/`not`, parentheses, and `&`/`|` (also `&&`, `||`, `and`, `or`) evaluated left to
right with no precedence between them, as URS documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

TARGET_TYPES = ("A", "AP", "GA", "GP", "Q", "DN", "RP", "C", "GC", "DL", "GQ")
# <queue:target type="..."> NMTOKENs -> type codes
TYPE_WORDS = {"agent": "A", "place": "AP", "agentgroup": "GA", "placegroup": "GP", "queue": "Q", "dn": "DN",
              "skill": "GA", "campaigngroup": "GC", "routepoint": "RP", "label": "DL", "queuegroup": "GQ"}


class TargetSyntaxError(ValueError):
    """A target string or condition that does not parse; says where."""

    def __init__(self, message: str, text: str, position: int):
        super().__init__(f"{message} at position {position} in {text!r}")
        self.text = text
        self.position = position


# --- conditions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compare:
    name: str
    op: str  # > >= < <= == !=
    value: float


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class Chain:
    first: Condition
    rest: tuple[tuple[str, Condition], ...]  # ("&" | "|", condition), applied left to right


Condition = Compare | Not | Chain

_TOKEN = re.compile(r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|==|!=|<>|&&|\|\||[<>=!&|()])"
                    r"|(?P<name>[A-Za-z_][\w.\-]*))")
_SPACES = re.compile(r"\s+")
_OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "==", "==": "==", "!=": "!=", "<>": "!="}
_WORD_OPS = {"and": "&", "or": "|", "not": "!"}


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise TargetSyntaxError(f"unexpected character {text[pos:].lstrip()[:1]!r}", text,
                                    pos + len(text[pos:]) - len(text[pos:].lstrip()))
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        value = m.group(kind)
        if kind == "name" and value.lower() in _WORD_OPS:
            kind, value = "op", _WORD_OPS[value.lower()]
        if value in ("&&", "||"):
            value = value[0]
        out.append((kind, value, m.start(kind)))
        pos = m.end()
    return out


class _ConditionParser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def fail(self, message: str) -> TargetSyntaxError:
        tok = self.peek()
        return TargetSyntaxError(message, self.text, tok[2] if tok else len(self.text))

    def parse(self) -> Condition:
        if not self.toks:
            raise self.fail("empty condition")
        cond = self.chain()
        extra = self.peek()
        if extra is not None:
            raise self.fail(f"unexpected {extra[1]!r}")
        return cond

    def chain(self) -> Condition:
        first, rest = self.term(), []
        while (tok := self.peek()) is not None and tok[1] in ("&", "|"):
            self.i += 1
            rest.append((tok[1], self.term()))
        return first if not rest else Chain(first, tuple(rest))

    def term(self) -> Condition:
        tok = self.peek()
        if tok is None:
            raise self.fail("a condition is missing")
        if tok[1] == "(":
            self.i += 1
            inner = self.chain()
            if (close := self.peek()) is None or close[1] != ")":
                raise self.fail("missing ')'")
            self.i += 1
            return inner
        if tok[1] == "!":
            self.i += 1
            return Not(self.term())
        if tok[0] != "name":
            raise self.fail(f"expected a skill or statistic name, got {tok[1]!r}")
        self.i += 1
        op = self.peek()
        if op is None or op[1] not in _OPS:
            return Compare(tok[1], ">", 0)  # a bare skill: the agent has it at some level
        self.i += 1
        num = self.peek()
        if num is None or num[0] != "num":
            raise self.fail(f"expected a number after {op[1]!r}")
        self.i += 1
        return Compare(tok[1], _OPS[op[1]], float(num[1]))


def parse_condition(text: str) -> Condition:
    return _ConditionParser(text).parse()


def evaluate(cond: Condition, lookup: Callable[[str], float | None]) -> bool:
    """`lookup(name)`: the skill level / statistic value, or None when the object has none (then
    every comparison on it is false)."""
    if isinstance(cond, Compare):
        value = lookup(cond.name)
        if value is None:
            return False
        return {">": value > cond.value, ">=": value >= cond.value, "<": value < cond.value,
                "<=": value <= cond.value, "==": value == cond.value, "!=": value != cond.value}[cond.op]
    if isinstance(cond, Not):
        return not evaluate(cond.operand, lookup)
    result = evaluate(cond.first, lookup)
    for op, operand in cond.rest:
        result = (result and evaluate(operand, lookup)) if op == "&" else (result or evaluate(operand, lookup))
    return result


# --- targets ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    name: str  # object name; for a skill expression the group ('' = all agents)
    type: str  # one of TARGET_TYPES
    server: str = ""
    skill: Condition | None = None
    skill_text: str = ""
    threshold: Condition | None = None
    threshold_text: str = ""
    weight: float | None = None

    @property
    def object(self) -> str:
        """The target as URS names it (threshold and weight left out): `targetobjectselected`."""
        name = f"?{self.name}:{self.skill_text}" if self.skill is not None else self.name
        return f"{name}@{self.server}.{self.type}"

    @property
    def key(self) -> str:
        """Canonical object key, shared with the statistic snapshot (`TYPE:name`)."""
        if self.skill is None:
            return f"{self.type}:{self.name}"
        return f"{self.type}:?{self.name}:{_SPACES.sub('', self.skill_text)}"


def _split_list(text: str) -> list[tuple[str, int]]:
    """Split at commas outside (), {}, []; keep each piece's offset for error positions."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    parts.append((text[start:], start))
    return parts


def _bracket(piece: str, pos: int, text: str, opening: str, closing: str) -> tuple[str | None, int]:
    if pos < len(piece) and piece[pos] == opening:
        end = piece.find(closing, pos)
        if end < 0:
            raise TargetSyntaxError(f"missing {closing!r}", text, pos)
        return piece[pos + 1:end].strip(), end + 1
    return None, pos


def parse_target(piece: str, text: str | None = None, offset: int = 0) -> Target:
    text = piece if text is None else text
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    offset += lead
    if not piece:
        raise TargetSyntaxError("empty target", text, offset)
    threshold_text, pos = _bracket(piece, 0, text, "{", "}")
    weight_text, pos = _bracket(piece, pos, text, "[", "]")
    if threshold_text is None and piece[pos:pos + 1] == "{":  # [weight]{threshold} is accepted too
        threshold_text, pos = _bracket(piece, pos, text, "{", "}")
    body = piece[pos:].strip()
    body_at = offset + pos + (len(piece[pos:]) - len(piece[pos:].lstrip()))
    if "." not in body:
        raise TargetSyntaxError("expected NAME@STATSERVER.TYPE (no '.TYPE')", text, body_at + len(body))
    left, _, type_code = body.rpartition(".")
    type_code = type_code.strip().upper()
    if type_code not in TARGET_TYPES:
        raise TargetSyntaxError(f"unknown target type {type_code!r} (expected one of {', '.join(TARGET_TYPES)})",
                                text, body_at + len(left) + 1)
    name, at, server = left.rpartition("@")
    if not at:
        name, server = left, ""
    name, server = name.strip(), server.strip()
    skill = skill_text = None
    if name.startswith("?"):
        group, colon, skill_text = name[1:].partition(":")
        if not colon:
            raise TargetSyntaxError("a skill expression is written ?GROUP:EXPRESSION", text, body_at + 1)
        try:
            skill = parse_condition(skill_text)
        except TargetSyntaxError as exc:
            raise TargetSyntaxError(f"skill expression: {str(exc).split(' at position')[0]}", text,
                                    body_at + 1 + len(group) + 1 + exc.position) from None
        name, skill_text = group.strip(), skill_text.strip()
    elif not name:
        raise TargetSyntaxError("the target has no name", text, body_at)
    threshold = None
    if threshold_text:
        try:
            threshold = parse_condition(threshold_text)
        except TargetSyntaxError as exc:
            raise TargetSyntaxError(f"threshold: {str(exc).split(' at position')[0]}", text,
                                    offset + 1 + exc.position) from None
    weight = None
    if weight_text is not None:
        try:
            weight = float(weight_text)
        except ValueError:
            raise TargetSyntaxError(f"weight {weight_text!r} is not a number", text, offset) from None
    return Target(name=name, type=type_code, server=server, skill=skill, skill_text=skill_text or "",
                  threshold=threshold, threshold_text=threshold_text or "", weight=weight)


def parse_targets(text: str) -> list[Target]:
    """A comma-separated list of possible targets."""
    if not isinstance(text, str) or not text.strip():
        raise TargetSyntaxError("empty target list", str(text), 0)
    return [parse_target(piece, text, at) for piece, at in _split_list(text)]

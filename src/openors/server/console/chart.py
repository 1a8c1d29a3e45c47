"""A strategy's state chart as boxes and edges, laid out here so the browser only draws.

Compound states hold their children in columns, left to right in the order the flow reaches them
(a breadth-first walk of the transitions between siblings, from the initial child); parallel states
put their regions side by side. Composer documents name states after their blocks; the states
Composer adds for a block (`_reserved_<Block>_<what>`) are labelled after that block.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from openors.scxml import model as m

CHAR_W = 7.0  # px per character of a label (the console's 12 px font)
BOX_H = 30.0
PAD = 12.0
HEADER = 22.0
GAP_X = 46.0
GAP_Y = 14.0
MAX_STATES = 2000  # a chart larger than this is drawn without its deepest states

_RESERVED = re.compile(r"^_reserved_(?P<block>[A-Za-z0-9]+?)_(?P<what>.+)$")


def label_of(state_id: str) -> str:
    if state_id == "_composer_entry":
        return "Composer entry"
    match = _RESERVED.match(state_id)
    if match:
        return f"{match['block']} · {match['what'].replace('_', ' ')}"
    return state_id


@dataclass
class Box:
    id: str
    label: str
    kind: str  # state, parallel, final, history, compound
    depth: int
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0
    y: float = 0.0
    children: list[Box] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "depth": self.depth,
                "x": round(self.x, 1), "y": round(self.y, 1), "w": round(self.w, 1), "h": round(self.h, 1)}


def _kind(state: m.State) -> str:
    if state.is_parallel:
        return "parallel"
    if state.is_final:
        return "final"
    if state.is_history:
        return "history"
    return "compound" if state.is_compound else "state"


def _sibling_of(target: m.State, parent: m.State) -> m.State | None:
    """The child of `parent` that contains `target` (or is it)."""
    while target.parent is not None and target.parent is not parent:
        target = target.parent
    return target if target.parent is parent else None


def _columns(state: m.State) -> list[list[m.State]]:
    children = [c for c in state.children]
    if not children:
        return []
    if state.is_parallel:
        return [[c] for c in children]
    first = state.initial.targets[0] if state.initial is not None and state.initial.targets else children[0]
    start = _sibling_of(first, state) or children[0]
    rank = {start.id: 0}
    todo = deque([start])
    while todo:
        here = todo.popleft()
        walk = [here]
        outgoing: list[m.Transition] = []
        while walk:  # transitions of the child and of everything inside it
            s = walk.pop()
            outgoing += s.transitions
            walk.extend(s.children)
        for t in outgoing:
            for target in t.targets:
                sib = _sibling_of(target, state)
                if sib is not None and sib.id not in rank:
                    rank[sib.id] = rank[here.id] + 1
                    todo.append(sib)
    last = max(rank.values())
    for c in children:  # unreached from the initial one (entered by history, or dead): a last column
        rank.setdefault(c.id, last + 1)
    columns: list[list[m.State]] = [[] for _ in range(max(rank.values()) + 1)]
    for c in children:
        columns[rank[c.id]].append(c)
    return [col for col in columns if col]


def _measure(state: m.State, depth: int, budget: list[int]) -> Box:
    box = Box(state.id, label_of(state.id), _kind(state), depth)
    budget[0] -= 1
    label_w = CHAR_W * len(box.label) + 2 * PAD
    if not state.children or budget[0] <= 0:
        box.w, box.h = max(80.0, label_w), BOX_H
        return box
    columns = [[_measure(c, depth + 1, budget) for c in col] for col in _columns(state)]
    x = PAD
    height = 0.0
    for col in columns:
        width = max(b.w for b in col)
        y = HEADER
        for b in col:
            b.x, b.y = x, y
            y += b.h + GAP_Y
        height = max(height, y - GAP_Y)
        x += width + (GAP_X if not state.is_parallel else PAD * 2)
        box.children.extend(col)
    box.w = max(label_w, x - (GAP_X if not state.is_parallel else PAD * 2) + PAD)
    box.h = height + PAD
    return box


def _flatten(box: Box, ox: float, oy: float, out: list[dict]) -> None:
    box.x += ox
    box.y += oy
    out.append(box.as_dict())
    for child in box.children:
        _flatten(child, box.x, box.y, out)


def layout(document: m.Document) -> dict[str, Any]:
    """{"width", "height", "boxes": [{id, label, kind, depth, x, y, w, h}] (parents before children),
    "edges": [{source, targets, event, cond}]}."""
    root = document.root
    budget = [MAX_STATES]
    top = Box("(scxml)", document.name or (document.url or "").rsplit("/", 1)[-1] or "scxml", "compound", 0)
    columns = [[_measure(c, 1, budget) for c in col] for col in _columns(root)]
    x = PAD
    height = 0.0
    for col in columns:
        y = PAD
        for b in col:
            b.x, b.y = x, y
            y += b.h + GAP_Y
        height = max(height, y)
        x += max(b.w for b in col) + GAP_X
    boxes: list[dict] = []
    for col in columns:
        for b in col:
            _flatten(b, 0.0, 0.0, boxes)
    drawn = {b["id"] for b in boxes}
    edges = []
    for state in document.all_states:
        if state.id not in drawn:
            continue
        for t in state.transitions:
            edges.append({"source": state.id, "targets": [s.id for s in t.targets if s.id in drawn],
                          "event": " ".join(t.events) or None, "cond": t.cond})
    return {"name": top.label, "width": round(x, 1), "height": round(height + PAD, 1),
            "boxes": boxes, "edges": edges}

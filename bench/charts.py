"""Benchmark charts: where they live, and how each one is driven by external events.

The charts are read from ``shared/bench-charts/`` beside the repository root.

The toggle charts flip between two states on the external event ``t``. The uSCXML LCCA and
Transitions charts have only *eventless* transitions that loop for ever (uSCXML counts how often
the state ``mark`` is entered per second); an engine whose ``start()`` runs the first macrostep
to completion would never return. So every transition without an ``event`` attribute gets
``event="step"`` in a copy of the chart, and the benchmark sends ``step`` events: each event then
does exactly the work of one microstep of the original chart (transition selection, conflict
resolution in the ``<parallel>``, exit and entry sets). The same copy is given to every engine.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

SCXML_NS = "http://www.w3.org/2005/07/scxml"
STEP_EVENT = "step"
DEFAULT_CHARTS = [
    "toggle-ecma",
    "toggle-null",
    "LCCA.4",
    "LCCA.16",
    "Transitions.4",
    "Transitions.16",
]
LARGE_CHARTS = ["LCCA.64", "Transitions.64"]  # the 256 sizes only when named: hours for some

_STATE_TAGS = {"state", "parallel", "final"}


@dataclass
class Chart:
    name: str
    source: Path  # the chart as shipped
    path: Path  # the chart the engines load (a driven copy, or the source itself)
    events: list[str]  # external events sent round-robin
    atomic_states: set[str]  # ids of atomic states, to compare configurations across engines
    rewritten: bool  # True when eventless transitions were given event="step"


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return repo_root().parent / "shared"


def charts_dir() -> Path:
    return shared_dir() / "bench-charts"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def prepare(name: str, workdir: Path) -> Chart:
    """Read chart ``name`` and write the copy the engines will load into ``workdir``."""
    source = charts_dir() / f"{name}.scxml"
    if not source.is_file():
        raise FileNotFoundError(f"no chart {source}")
    ET.register_namespace("", SCXML_NS)
    tree = ET.parse(source)
    events: list[str] = []
    atomic: set[str] = set()
    rewritten = False
    for el in tree.getroot().iter():
        tag = _local(el.tag)
        if tag == "transition":
            if el.get("event"):
                for ev in el.get("event").split():
                    if ev not in events:
                        events.append(ev)
            else:
                el.set("event", STEP_EVENT)
                rewritten = True
        elif tag in _STATE_TAGS and el.get("id"):
            if tag == "final" or not any(_local(c.tag) in _STATE_TAGS for c in el):
                atomic.add(el.get("id"))
    if rewritten:
        events.append(STEP_EVENT)
        path = workdir / source.name
        tree.write(path, encoding="UTF-8", xml_declaration=True)
    else:
        path = source
    return Chart(name, source, path, events, atomic, rewritten)

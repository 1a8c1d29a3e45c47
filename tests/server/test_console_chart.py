"""The console's state chart layout: nesting, parallel regions, the flow's order, Composer labels."""

from __future__ import annotations

from openors.scxml import load_string
from openors.server.console.chart import label_of, layout

DOC = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="start">
  <state id="start"><transition event="go" target="work"/></state>
  <parallel id="work">
    <state id="left"><state id="l1"><transition event="l" target="l2"/></state><state id="l2"/></state>
    <state id="right"><state id="r1"/></state>
    <transition event="done" target="end"/>
  </parallel>
  <state id="orphan"/>
  <final id="end"/>
</scxml>"""


def boxes(doc: str) -> dict[str, dict]:
    return {b["id"]: b for b in layout(load_string(doc))["boxes"]}


def inside(inner: dict, outer: dict) -> bool:
    return (outer["x"] <= inner["x"] and inner["x"] + inner["w"] <= outer["x"] + outer["w"]
            and outer["y"] <= inner["y"] and inner["y"] + inner["h"] <= outer["y"] + outer["h"])


def test_states_nest_in_their_parents_and_follow_the_flow_left_to_right():
    b = boxes(DOC)
    assert b["work"]["kind"] == "parallel" and b["end"]["kind"] == "final" and b["l1"]["kind"] == "state"
    for child, parent in (("left", "work"), ("right", "work"), ("l1", "left"), ("l2", "left"), ("r1", "right")):
        assert inside(b[child], b[parent]), (child, parent)
    assert b["start"]["x"] < b["work"]["x"] < b["end"]["x"]  # in the order the flow reaches them
    assert b["l1"]["x"] < b["l2"]["x"]
    assert b["left"]["x"] + b["left"]["w"] <= b["right"]["x"]  # regions side by side
    assert b["orphan"]["x"] > b["end"]["x"]  # unreached from the initial state: drawn, in a last column


def test_edges_name_their_events_and_targets():
    edges = layout(load_string(DOC))["edges"]
    assert {"source": "start", "targets": ["work"], "event": "go", "cond": None} in edges
    assert {"source": "work", "targets": ["end"], "event": "done", "cond": None} in edges


def test_composer_states_are_labelled_after_their_blocks():
    assert label_of("Entry1") == "Entry1"
    assert label_of("_composer_entry") == "Composer entry"
    assert label_of("_reserved_BeginParallel1_parallel") == "BeginParallel1 · parallel"
    assert label_of("_reserved_Exit1_stop_ixn") == "Exit1 · stop ixn"

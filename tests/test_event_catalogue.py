"""The event catalogue covers every event of the Interaction Interface page, and check_event polices it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openors.ors.catalogue import catalogue_info, check_event, error_codes, load_catalogue

SEED = Path(__file__).resolve().parents[1] / ".." / "shared" / "ors-reference" / "interaction-interface-events.txt"

# An event name heads a table row: the first tab-separated cell, optionally followed by "(since ...)".
_ROW_NAME = re.compile(r"^((?:error\.)?[a-z]+(?:\.[a-z]+)+)(?:\s*\(since [^)]*\))?\s*$", re.IGNORECASE)


def seed_event_names() -> set[str]:
    fixes = catalogue_info()["seed_spelling_fixes"]
    names = set()
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        match = _ROW_NAME.match(line.split("\t", 1)[0].strip())
        if match:
            names.add(fixes.get(match.group(1), match.group(1)))
    return names


needs_seed = pytest.mark.skipif(not SEED.exists(), reason="shared ORS reference not checked out beside the repo")


@needs_seed
def test_every_event_named_in_the_reference_is_in_the_catalogue():
    names = seed_event_names()
    assert len(names) >= 55  # guards against the parser silently finding nothing
    missing = sorted(names - set(load_catalogue()))
    assert missing == []


def extension_names() -> set[str]:
    return {name for name, entry in load_catalogue().items() if entry["section"] == "extension"}


# Module events (ORS-SPEC §5.5-§5.8, and the classification module) are outside the Interaction Interface seed.
MODULE_SECTIONS = ("queue", "statistic", "dialog", "session", "classification")


def module_event_names() -> set[str]:
    return {name for name, entry in load_catalogue().items() if entry["section"] in MODULE_SECTIONS}


@needs_seed
def test_catalogue_has_no_event_the_reference_does_not_name_outside_the_extension_section():
    assert sorted(set(load_catalogue()) - seed_event_names() - extension_names() - module_event_names()) == []


@needs_seed
def test_extension_events_are_exactly_those_the_reference_lacks_and_say_where_they_come_from():
    assert extension_names() == {"interaction.abandoned", "chat.message"}
    assert not extension_names() & seed_event_names()
    for name in extension_names():
        assert "ORS-SPEC" in load_catalogue()[name]["evidence"], name


def test_every_event_has_a_section_kind_and_described_attributes():
    for name, entry in load_catalogue().items():
        assert entry["section"] in ("common", "voice", "msgbased", "chat", "extension", *MODULE_SECTIONS), name
        assert entry["kind"] in ("done", "error", "async"), name
        for attr, spec in entry["attributes"].items():
            assert set(spec) == {"required", "type", "meaning"}, (name, attr)
            assert spec["meaning"], (name, attr)
        if entry["kind"] != "async":
            assert entry["attributes"]["requestid"]["required"], name
        if entry["kind"] == "error":
            assert entry["error_codes"], name
            assert {"error", "description"} <= set(entry["attributes"]), name


def test_error_codes_follow_the_reference_per_event():
    assert "invalidstate.hold" in error_codes("error.interaction.terminate")
    assert "invalidstate.ringing" not in error_codes("error.interaction.accept")
    assert "tserver" in error_codes("error.voice.privateservice")
    assert "invaliddestination" in error_codes("error.voice.consultation")
    assert "invaliddestination" not in error_codes("error.voice.hold")
    assert error_codes("error.msgbased.createmessage") == ["Timeout", "Request Invalid"]
    assert error_codes("error.chat.gettranscript") == ["Request Invalid"]


def test_a_well_formed_event_has_no_problems():
    assert check_event("interaction.partystatechanged", {
        "interactionid": "X", "focusdeviceid": "7001", "partyid": "P1", "partystate": "held",
        "hints": {"ccevent": 5, "cause": 6}}) == []
    assert check_event("interaction.deleted", {"interactionid": "X"}) == []  # resultof is optional


def test_check_event_flags_an_unknown_event():
    assert check_event("interaction.exploded", {"interactionid": "X"}) == [
        "interaction.exploded: unknown event (not in the catalogue)"]


def test_check_event_flags_a_missing_required_attribute():
    problems = check_event("interaction.redirect.done", {"requestid": "R1"})
    assert problems == ["interaction.redirect.done: missing required attribute 'interactionid'"]


def test_check_event_flags_an_attribute_the_catalogue_does_not_list():
    problems = check_event("chat.sendchatmessage.done", {"requestid": "R1", "interactionid": "X"})
    assert problems == ["chat.sendchatmessage.done: attribute 'interactionid' is not in the catalogue"]


def test_check_event_flags_an_error_code_the_event_cannot_carry():
    problems = check_event("error.voice.hold", {"requestid": "R1", "error": "invaliddestination",
                                                "description": "x"})
    assert len(problems) == 1 and "invaliddestination" in problems[0]
    assert check_event("error.interaction.accept", {"requestid": "R", "error": "reject.busy",
                                                    "description": "agent busy"}) == []

"""Every event of the catalogue is raised in a scenario that calls for it, with exactly the
attributes the catalogue gives it (issue 4, "Done when")."""

from __future__ import annotations

import pytest

from openors.ors.catalogue import check_event, load_catalogue

from .ixn_scenarios import ERROR_CASES, SCENARIOS, interaction_catalogue, played, provoked

CATALOGUE = sorted(interaction_catalogue())


def _runs():
    """(label, site) of every scenario and error case, each played once."""
    for name in SCENARIOS:
        yield name, played(name)
    for index, case in enumerate(ERROR_CASES):
        yield case.id, provoked(index)[0]


def _where_raised(event: str):
    """The first scenario (or error case) that must raise `event`, as (label, site)."""
    for name, sc in SCENARIOS.items():
        if event in sc.raises:
            return name, played(name)
    for index, case in enumerate(ERROR_CASES):
        if case.event == event:
            return case.id, provoked(index)[0]
    return None, None


@pytest.mark.parametrize("event", CATALOGUE)
def test_event_is_raised_with_exactly_the_catalogued_attributes(event):
    label, site = _where_raised(event)
    assert site is not None, f"no scenario or error case declares that it raises {event}"
    emitted = [data for name, data in site.events() if name == event]
    assert emitted, f"{label} should raise {event}; sessions saw {site.names()}"
    for data in emitted:
        assert check_event(event, data) == [], (label, data)


def test_every_catalogued_event_emitted_by_any_scenario_conforms():
    catalogue = load_catalogue()
    problems = [(label, problem) for label, site in _runs() for name, data in site.events()
                if name in catalogue for problem in check_event(name, data)]
    assert problems == []


def test_scenarios_raise_what_they_declare():
    for name, sc in SCENARIOS.items():
        missing = set(sc.raises) - set(played(name).names())
        assert not missing, f"{name} did not raise {sorted(missing)}"


def test_the_scenarios_together_raise_the_whole_catalogue():
    emitted = {name for _, site in _runs() for name in site.names()}
    assert sorted(set(CATALOGUE) - emitted) == []


def test_sessions_receive_no_module_event_outside_the_catalogue():
    # Module events a session takes are interaction/voice/msgbased/chat ones; the puppet's own
    # `do.*` steering events and the engine's own events are not the world's.
    prefixes = ("interaction.", "voice.", "msgbased.", "chat.", "error.interaction.", "error.voice.",
                "error.msgbased.", "error.chat.")
    strays = {name for _, site in _runs() for name in site.names()
              if name.startswith(prefixes) and name not in load_catalogue()}
    assert strays == set()

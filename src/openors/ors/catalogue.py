"""The Interaction Interface event catalogue (catalogue.yaml) and a checker for emitted events.

The table is data: add or fix events in catalogue.yaml, not here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

STATE_PLACEHOLDER = "invalidstate.<state>"
REASON_PLACEHOLDER = "reject.<reason>"
STATUS_PLACEHOLDER = "http.<status>"  # session.fetch: <protocol>.<code>, e.g. http.404 (and http.0: no answer)


@lru_cache(maxsize=1)
def _load_raw() -> dict[str, Any]:
    text = (resources.files("openors.ors") / "catalogue.yaml").read_text(encoding="utf-8")
    # libyaml's loader when PyYAML has it: the pure-Python one takes about 100 ms on this file.
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_catalogue() -> MappingProxyType:
    """Event name -> {section, kind, meaning, attributes{name: {required, type, meaning}}, error_codes?}.

    Read-only view of the shared table; copy before changing anything.
    """
    return MappingProxyType(_load_raw()["events"])


def catalogue_info() -> MappingProxyType:
    """The whole file: events plus interaction_states, resultof_values, seed_spelling_fixes."""
    return MappingProxyType(_load_raw())


def error_codes(name: str) -> list[str]:
    """The concrete error codes an error event may carry (`invalidstate.<state>` expanded)."""
    entry = load_catalogue()[name]
    states = entry.get("invalid_states") or catalogue_info()["interaction_states"]
    codes: list[str] = []
    for code in entry.get("error_codes", []):
        if code == STATE_PLACEHOLDER:
            codes.extend(f"invalidstate.{state}" for state in states)
        else:
            codes.append(code)
    return codes


def _code_allowed(name: str, code: Any) -> bool:
    if not isinstance(code, str):
        return False
    if code in error_codes(name):
        return True
    listed = load_catalogue()[name].get("error_codes", [])
    if STATUS_PLACEHOLDER in listed and re.fullmatch(r"http\.\d+", code):
        return True
    return REASON_PLACEHOLDER in listed and bool(re.fullmatch(r"reject\.\S+", code))


def check_event(name: str, data: dict[str, Any] | None) -> list[str]:
    """Problems with an event as it would reach a session: [] when it matches the catalogue."""
    catalogue = load_catalogue()
    entry = catalogue.get(name)
    if entry is None:
        return [f"{name}: unknown event (not in the catalogue)"]
    data = data or {}
    attributes = entry["attributes"]
    problems = [f"{name}: missing required attribute {attr!r}"
                for attr, spec in attributes.items() if spec["required"] and attr not in data]
    problems += [f"{name}: attribute {attr!r} is not in the catalogue" for attr in data if attr not in attributes]
    if entry.get("kind") == "error" and "error" in data and not _code_allowed(name, data["error"]):
        problems.append(f"{name}: error code {data['error']!r} is not one of {error_codes(name)}")
    return problems

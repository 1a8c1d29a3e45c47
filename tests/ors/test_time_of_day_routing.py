"""Time-of-day routing under `openors simulate`: the clock's start (--date, --time, --zone), the
configuration lists (--config-lists) and `_genesys.session.day`, with a hand-written router
(office_hours/office_hours.scxml) that reads its opening hours from a list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SITE = Path(__file__).parent / "office_hours"


def simulate(tmp_path, *options: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    trace = tmp_path / "trace.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "openors.cli.main", "simulate", "--topology", str(SITE / "topology.yaml"),
         "--scenario", str(SITE / "one-call.yaml"), "--config-lists", str(SITE / "config_lists.yaml"),
         "--trace", str(trace), *options], capture_output=True, text=True, timeout=120)
    records = [json.loads(line) for line in trace.read_text().splitlines()] if trace.exists() else []
    return proc, records


def branch(records: list[dict]) -> str:
    taken = [r["value"] for r in records if r["kind"] == "log" and r["label"] == "branch"]
    assert len(taken) == 1, taken
    return taken[0]


@pytest.mark.parametrize(("date", "time", "zone", "expected"), [
    ("2024-03-09", "10:00", "ECT", "closed"),             # a Saturday
    ("2024-03-10", "12:00", "Europe/Paris", "closed"),    # a Sunday
    ("2024-03-11", "10:00", "ECT", "open"),               # Monday morning in Paris
    ("2024-03-11", "07:30", "ECT", "closed"),             # Monday, before opening
    ("2024-03-11", "08:00", "PST", "open"),               # 08:00 in California is 17:00 in Paris
    ("2024-03-15", "17:59:00", "+01:00", "open"),         # a fixed offset; Friday, a minute before closing
])
def test_a_time_of_day_router_routes_by_the_simulated_weekday_and_hour(tmp_path, date, time, zone, expected):
    proc, records = simulate(tmp_path, "--date", date, "--time", time, "--zone", zone)
    assert proc.returncode == 0, proc.stderr
    assert branch(records) == expected
    assert f"final_states: {{'routed_{expected}': 1}}" in proc.stdout


def test_the_weekday_enumeration_matches_what_day_in_zone_returns(tmp_path):
    # Wednesday 2024-03-13, 23:30 UTC is already Thursday in Paris: dayInZone follows the zone.
    proc, records = simulate(tmp_path, "--date", "2024-03-13", "--time", "23:30")
    assert proc.returncode == 0, proc.stderr
    when = next(r["value"] for r in records if r["kind"] == "log" and r["label"] == "when")
    day, _, clock = when.partition(" ")
    assert (int(day), clock[:5]) == (4, "00:30")  # _genesys.session.day.Thursday


@pytest.mark.parametrize(("options", "names"), [
    (("--date", "2024-02-30"), "--date"),
    (("--time", "25:00"), "--time"),
    (("--zone", "Mars/Olympus"), "--zone"),
])
def test_a_start_the_clock_cannot_take_is_refused_naming_the_option(tmp_path, options, names):
    proc, _ = simulate(tmp_path, *options)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {names}:")


def test_a_broken_configuration_list_file_is_refused_naming_the_file(tmp_path):
    broken = tmp_path / "lists.yaml"
    broken.write_text("lists:\n  HOURS: [not, a, mapping]\n")
    proc = subprocess.run(
        [sys.executable, "-m", "openors.cli.main", "simulate", "--topology", str(SITE / "topology.yaml"),
         "--scenario", str(SITE / "one-call.yaml"), "--config-lists", str(broken)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert str(broken) in proc.stderr and "lists.HOURS" in proc.stderr

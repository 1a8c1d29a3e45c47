"""Running test cases (spec.py): each builds its own `World`, runs it to its end and is judged.
Cases run in a pool of processes; results are plain data, so they travel back and add up."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openors.platform.scenario import parse_scenario

from . import console
from .coverage import Coverage
from .expectations import Failure, check, strict_failures
from .http_mocks import MockRoute
from .interactions import stories, timeline
from .kpi import DEFAULT_SL_THRESHOLD, compute, format_text
from .spec import TestCase
from .strict import problems, scenario_problems
from .world import World

DEFAULT_UNTIL = 600.0
WALL_SECONDS_PER_TEST = 120.0  # a test whose HTTP mocks keep it waiting longer than this fails


@dataclass
class CaseResult:
    case: TestCase
    passed: bool
    seconds: float
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None  # the test could not run (bad topology, scenario, document ...)
    excerpts: list[list[str]] = field(default_factory=list)  # trace lines around each failure
    timelines: list[str] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    kpi_text: str = ""
    coverage: dict[str, Any] | None = None


def _path(case: TestCase, value: Any) -> Any:
    """A path of the test file, relative to the file; mappings and URLs as they are."""
    if isinstance(value, str) and "://" not in value:
        return str(Path(case.base) / value)
    return value


def build_world(case: TestCase, coverage: Coverage | None = None) -> tuple[World, float]:
    s = case.settings
    scenario = s.get("scenario")
    if isinstance(scenario, dict):
        scenario = parse_scenario(scenario, f"{case.file}: scenario")
    else:
        scenario = _path(case, scenario)
    applications = {name: _path(case, src) for name, src in (s.get("applications") or {}).items()}
    mocks = [MockRoute(m["url"], method=m.get("method", "GET"), status=m.get("status", 200),
                       body=m.get("body", ""), headers=m.get("headers", {}), delay=m.get("delay", 0))
             for m in s.get("mocks", [])] if "mocks" in s else None
    world = World(_path(case, s.get("topology")), applications=applications, scenario=scenario,
                  start=s.get("start"), zone=s.get("zone"), config_lists=_path(case, s.get("config_lists")),
                  http_mocks=mocks, seed=s.get("seed"), coverage=coverage)
    until = s.get("until")
    if until is None:
        until = world.scenario.until if world.scenario is not None and world.scenario.until else DEFAULT_UNTIL
    return world, float(until)


def run_case(case: TestCase, with_coverage: bool = False) -> CaseResult:
    began = time.perf_counter()
    coverage = Coverage() if with_coverage else None
    try:
        world, until = build_world(case, coverage)
        asyncio.run(world.advance_async(until, wall_timeout=WALL_SECONDS_PER_TEST))
    except Exception as exc:  # a world that cannot be built or run: the test fails with the reason
        return CaseResult(case, False, time.perf_counter() - began, error=_why(exc))
    trace = world.trace
    told = stories(trace)
    kpis = compute(trace, world.topology, world.now, case.settings.get("sl_threshold", DEFAULT_SL_THRESHOLD))
    failures = check(case.expect, trace, told, kpis, world.topology, world.platform)
    if case.settings.get("strict", True):
        found = scenario_problems(world.scenario, world.topology) + problems(trace)
        failures += strict_failures(found, case.expect.get("problems", []))
    excerpts = [console.excerpt(trace, f.t, session=f.session, interaction=f.interaction) for f in failures]
    return CaseResult(case, not failures, time.perf_counter() - began, failures, None, excerpts,
                      [timeline(s) for s in told.values() if s.customer_started], kpis.to_dict(),
                      format_text(kpis), coverage.to_dict() if coverage is not None else None)


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:500]}" if text else type(exc).__name__


def run_cases(cases: list[TestCase], *, jobs: int = 1, with_coverage: bool = False,
              on_result: Any = None) -> list[CaseResult]:
    """All cases, in their order; `on_result(result)` as each finishes (in order)."""
    results: list[CaseResult] = []
    if jobs <= 1 or len(cases) <= 1:
        for case in cases:
            result = run_case(case, with_coverage)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    with ProcessPoolExecutor(max_workers=min(jobs, len(cases))) as pool:
        futures = [pool.submit(run_case, case, with_coverage) for case in cases]
        for future in futures:
            result = future.result()
            results.append(result)
            if on_result:
                on_result(result)
    return results

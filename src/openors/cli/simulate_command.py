"""`openors simulate`: a topology and a scenario in virtual time, then what happened: evaluation
errors with file and line, a timeline per interaction, the KPIs. `--strict` turns problems into a
non-zero exit (docs/testing.md, "Strict runs")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from openors.ors.session.config import ConfigListsError
from openors.platform.scenario import load_scenario
from openors.platform.validation import ConfigError
from openors.testing import StartClockError, World, console, start_epoch
from openors.testing.interactions import stories, timeline
from openors.testing.kpi import compute, format_text
from openors.testing.strict import problems, scenario_problems

DEFAULT_UNTIL = 600.0


def _applications(items: list[str]) -> dict[str, str]:
    """--app NAME=PATH|URL; a path is relative to the current folder and must exist."""
    applications = {}
    for item in items:
        name, sep, source = item.partition("=")
        if not sep or not name or not source:
            raise ConfigError("--app", "", f"expects NAME=PATH or NAME=URL, got {item!r}")
        if "://" in source or source.startswith("file:"):
            applications[name] = source
        elif Path(source).is_file():
            applications[name] = Path(source).resolve().as_uri()
        else:
            raise ConfigError(f"--app {name}={source}", "", f"no such file (paths are relative to {Path.cwd()})")
    return applications


def _application_names(world: World) -> set[str]:
    topo = world.topology
    return {h.application for h in list(topo.devices.values()) + list(topo.queues.values())
            if getattr(h, "application", None)}


def _debug(world: World, until: float, args) -> int:
    """--debug: the console over the simulation, which runs paced and waits for paused sessions."""
    from openors.server import loops
    from openors.server.console.simulation import parse_breaks, run_debug_simulation

    if args.pace <= 0:
        print("error: --pace must be a positive number of virtual seconds per real second", file=sys.stderr)
        return 2
    try:
        parse_breaks(args.breaks)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        loops.run(run_debug_simulation(world, until, port=args.debug_port, pace=args.pace, breaks=args.breaks,
                                       linger=args.debug_linger))
    except KeyboardInterrupt:
        pass
    return 0


def simulate(args) -> int:
    out = sys.stdout
    trace_file = None
    try:
        epoch = start_epoch(args.date, args.time, args.zone)
        applications = _applications(args.app or [])
        scenario = load_scenario(args.scenario) if args.scenario else None
        trace_file = open(args.trace, "w") if args.trace else None  # noqa: SIM115 - closed below
        world = World(args.topology, scenario=scenario, applications=applications, trace_file=trace_file,
                      config_lists=args.config_lists, epoch=epoch)
    except (ConfigError, ConfigListsError, StartClockError, OSError) as exc:
        if trace_file is not None:
            trace_file.close()
        prefix = "--config-lists " if isinstance(exc, ConfigListsError) else ""
        print(f"error: {prefix}{exc}", file=sys.stderr)
        return 2
    setup_problems = []
    unused = sorted(set(applications) - _application_names(world))
    if unused:
        setup_problems.append(f"--app {', '.join(unused)}: the topology has no application of that name "
                              f"(it has: {', '.join(sorted(_application_names(world))) or 'none'})")
    if scenario is None:
        setup_problems.append("no --scenario: nobody calls, nothing happens")
    until = args.until if args.until is not None else float(scenario.until or DEFAULT_UNTIL) if scenario \
        else DEFAULT_UNTIL
    try:
        if args.debug:
            if _debug(world, until, args) != 0:
                return 2
        else:
            world.run_until(until)
    finally:
        if trace_file is not None:
            trace_file.close()
    trace = world.trace
    if args.format == "text":
        for record in trace:
            text = console.line(record)
            if text is not None:
                out.write(text + "\n")
    found = scenario_problems(scenario, world.topology) + problems(trace)
    for text in setup_problems:
        print(f"{'error' if args.strict else 'warning'}: {text}", file=sys.stderr)
    for p in found:
        print(f"{'error' if args.strict else 'warning'}: {p}", file=sys.stderr)
    kpis = compute(trace, world.topology, world.now, args.sl_threshold)
    if args.format == "json":
        out.write(json.dumps({"summary": world.summary(), "kpis": kpis.to_dict()}, default=str) + "\n")
    else:
        told = [s for s in stories(trace).values() if s.customer_started]
        if told:
            out.write("interactions:\n")
            for s in told:
                out.write(f"  {s.label()}: {timeline(s)}\n")
        for key, value in world.summary().items():  # the counts scripts already read
            out.write(f"{key}: {value}\n")
        out.write(format_text(kpis) + "\n")
    if args.report:
        from openors.testing.report import write_report

        write_report(args.report, [("simulate", kpis.to_dict(), [timeline(s) for s in stories(trace).values()
                                                                  if s.customer_started])])
        out.write(f"report: {args.report}\n")
    if args.strict and (found or setup_problems):
        print(f"strict: {len(found) + len(setup_problems)} problem(s)", file=sys.stderr)
        return 1
    return 0

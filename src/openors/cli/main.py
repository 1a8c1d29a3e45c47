"""The `openors` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from openors import __version__
from openors.cli import test_command


def _print_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _why(exc: BaseException) -> str:
    """One line about an unexpected failure (no traceback: the user needs the file and the reason)."""
    if isinstance(exc, RecursionError):
        return "the document nests elements too deeply to compile"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def cmd_run(args) -> int:
    """Run one session to its end; exit 0 when it reached a top-level final state."""
    from openors.ors.extensions import ors_extensions
    from openors.scxml import RealClock, ScxmlLoadError, SessionHost, VirtualClock, load_document

    try:
        # ORS documents run with their dialect (no contact center here: module actions answer
        # with their error event); W3C documents keep their W3C meaning.
        document = load_document(args.document, ors_extensions())
    except ScxmlLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the engine's own failures (deep nesting, ...): reported, not raised
        print(f"error: {args.document}: {_why(exc)}", file=sys.stderr)
        return 2

    async def main() -> int:
        host = SessionHost(RealClock() if args.real_time else VirtualClock())

        def on_log(session, label, value, level) -> None:
            prefix = f"{label}: " if label else ""
            print(f"[log] {prefix}{_print_value(value)}", flush=True)

        host.listeners.on("logged", on_log)
        session = host.start_session(document)
        finished = await host.run_until(lambda: session.is_done, timeout=args.timeout)
        if not finished:
            print(f"configuration: {' '.join(session.configuration)}")
            print(f"timed out after {args.timeout}s without reaching a final state", file=sys.stderr)
            return 1
        if session.stopped_by is not None:
            print(f"ended by the {session.stopped_by.budget} budget: {session.stopped_by.description}",
                  file=sys.stderr)
            return 1
        print(f"final state: {session.final_state}")
        return 0 if session.final_state else 1

    try:
        return asyncio.run(main())
    except Exception as exc:
        print(f"error: {args.document}: the session failed: {_why(exc)}", file=sys.stderr)
        return 1


def cmd_w3c(args) -> int:
    from openors.scxml import w3c

    paths = w3c.find_tests(args.paths)
    if not paths:
        print("no IRP test documents found", file=sys.stderr)
        return 2

    def report(result) -> None:
        mark = "pass" if result.passed else "FAIL"
        print(f"{mark}  {result.name:<12} {result.seconds:6.2f}s  {result.detail}", flush=True)

    results = w3c.run_tests(paths, jobs=args.jobs, timeout=args.timeout, report=report,
                            snapshots=args.snapshot_every_macrostep)
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_dict() for r in results], indent=2))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def cmd_lint(args) -> int:
    """Report every problem of each document (following includes); non-zero exit if any."""
    from openors.ors.extensions import ors_extensions
    from openors.ors.modules_registry import default_modules
    from openors.scxml.lint import lint_document

    # With the modules registered, their actions are checked too (required attributes).
    extensions = ors_extensions(force_dialect=args.ors, modules=default_modules())
    total = 0
    for path in args.documents:
        try:
            problems = lint_document(path, extensions)
        except Exception as exc:  # the checker's own failures (deep nesting, ...) are problems too
            problems = [f"{path}: {_why(exc)}"]
        for problem in problems:
            print(problem)
        total += len(problems)
        if not problems and not args.quiet:
            print(f"{path}: ok")
    if total:
        print(f"{total} problem(s)", file=sys.stderr)
    return 1 if total else 0


def cmd_simulate(args) -> int:
    """Run a topology and a scenario in virtual time; print what happened and the KPIs."""
    from openors.cli.simulate_command import simulate

    return simulate(args)


def cmd_demo(args) -> int:
    """The server on its embedded defaults, with a simulated contact center and live traffic."""
    from openors.server.demo import demo

    return demo(port=args.port, duration=args.duration, pace=args.pace)


def cmd_platform(args) -> int:
    """The simulated contact center as its own service (docs/platform-protocol.md)."""
    from openors.server.platform_service import PlatformOptions, platform_main

    for name in ("topology", "scenario", "config_lists"):
        value = getattr(args, name)
        if value is not None and not Path(value).is_file():
            print(f"error: --{name.replace('_', '-')} {value}: no such file", file=sys.stderr)
            return 2
    if args.grace <= 0 or args.heartbeat <= 0:
        print("error: --grace and --heartbeat must be positive numbers of seconds", file=sys.stderr)
        return 2
    import os

    from openors.server.auth import MIN_TOKEN_LENGTH, is_loopback
    from openors.server.platform_service import TOKEN_ENV

    token = os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        print(f"error: {TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters", file=sys.stderr)
        return 2
    if token is None and not is_loopback(args.host) and not args.allow_unauthenticated:
        print(f"error: --host {args.host} is reachable from other machines but no token is set: set "
              f"{TOKEN_ENV} (nodes give it as platform.token), or pass --allow-unauthenticated", file=sys.stderr)
        return 2
    options = PlatformOptions(
        token=token,
        topology=Path(args.topology) if args.topology else None,
        scenario=Path(args.scenario) if args.scenario else None,
        config_lists=Path(args.config_lists) if args.config_lists else None,
        host=args.host, port=args.port, seed=args.seed, grace_s=args.grace, heartbeat_s=args.heartbeat,
        trace_size=max(1, min(args.trace_size, 1_000_000)))
    return platform_main(options, args.log_level)


def cmd_serve(args) -> int:
    from openors.server.cli import serve

    return serve(args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openors", description="OpenORS orchestration server")
    parser.add_argument("--version", action="version", version=f"openors {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one SCXML session to its end")
    run.add_argument("document")
    run.add_argument("--timeout", type=float, default=60.0, help="seconds before giving up (default 60)")
    run.add_argument("--real-time", action="store_true", help="wait delays on the wall clock")
    run.set_defaults(func=cmd_run)

    w3c = sub.add_parser("w3c", help="run W3C SCXML IRP tests")
    w3c.add_argument("paths", nargs="+", help="test folders or files")
    w3c.add_argument("--jobs", type=int, default=1, help="tests run in parallel (processes)")
    w3c.add_argument("--json", help="also write the results to this JSON file")
    w3c.add_argument("--timeout", type=float, default=30.0, help="seconds per test (default 30)")
    w3c.add_argument("--snapshot-every-macrostep", action="store_true",
                     help="persist every session after each macrostep and run on from a restore "
                          "into a fresh interpreter and JS context (proves snapshots are complete)")
    w3c.set_defaults(func=cmd_w3c)

    lint = sub.add_parser("lint", help="report every problem of SCXML documents, with file and line")
    lint.add_argument("documents", nargs="+")
    lint.add_argument("--ors", action="store_true", help="apply the ORS dialect even if not detected")
    lint.add_argument("--quiet", action="store_true", help="print only problems")
    lint.set_defaults(func=cmd_lint)

    serve = sub.add_parser("serve", help="run the OpenORS server (HTTP API, persistence, metrics)")
    serve.add_argument("--config", required=True, help="YAML configuration file")
    serve.set_defaults(func=cmd_serve)

    plat = sub.add_parser("platform", help="run the simulated contact center as its own service (real time)")
    plat.add_argument("--topology", help="topology file (default: the bundled sample site)")
    plat.add_argument("--scenario", help="scenario file: traffic played in real time")
    plat.add_argument("--config-lists", dest="config_lists", help="configuration lists given to ORS nodes")
    plat.add_argument("--host", default="127.0.0.1", help="address to listen on")
    plat.add_argument("--port", type=int, default=8090, help="HTTP and WebSocket port (0: any free port)")
    plat.add_argument("--seed", type=int, default=0, help="seed of ids and random choices")
    plat.add_argument("--grace", type=float, default=10.0,
                      help="seconds a disconnected node's interactions wait for it (or a taker) before "
                           "they are offered to other nodes")
    plat.add_argument("--heartbeat", type=float, default=2.0, help="node heartbeat period in seconds")
    plat.add_argument("--trace-size", dest="trace_size", type=int, default=500,
                      help="recent platform events kept for /ors/platform/events")
    plat.add_argument("--allow-unauthenticated", dest="allow_unauthenticated", action="store_true",
                      help="listen beyond loopback without OPENORS_PLATFORM_TOKEN")
    plat.add_argument("--log-level", dest="log_level", default="INFO", help="logging level")
    plat.set_defaults(func=cmd_platform)

    sim = sub.add_parser(
        "simulate", help="run a simulated contact center in virtual time",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a topology and a scenario in virtual time: sessions start when interactions reach "
                    "routing points and interaction queues. Prints evaluation errors with file and line, a "
                    "timeline per interaction and the KPIs.",
        epilog="examples:\n"
               "  openors simulate --scenario calls.yaml                       the bundled site and strategies\n"
               "  openors simulate --topology site.yaml --scenario calls.yaml --app main=main.scxml --strict\n"
               "  openors simulate --scenario calls.yaml --format text          a readable line per event\n"
               "  openors simulate --scenario calls.yaml --report kpis.html     KPIs with charts\n"
               "  openors simulate --scenario calls.yaml --trace trace.jsonl    every record as JSON lines")
    sim.add_argument("--topology", help="topology YAML (default: the bundled sample site)")
    sim.add_argument("--scenario", help="scenario YAML: who calls whom when, what agents do")
    sim.add_argument("--until", type=float, help="virtual seconds to run (default: the scenario's `until`)")
    sim.add_argument("--trace", help="write every platform event, SCXML event, action and state as JSON lines")
    sim.add_argument("--app", action="append", metavar="NAME=URL", help="the document of an application")
    sim.add_argument("--config-lists", metavar="FILE",
                     help="YAML the sessions' _genesys.session reads: lists, special days, options, time zones")
    sim.add_argument("--date", metavar="YYYY-MM-DD", help="the date virtual time 0 falls on (default: today)")
    sim.add_argument("--time", metavar="HH:MM[:SS]", help="the wall-clock time at virtual time 0 (default 00:00)")
    sim.add_argument("--zone", metavar="ZONE",
                     help="zone of --date/--time: ECT, PST..., an IANA name or +02:00 (default UTC)")
    sim.add_argument("--strict", action="store_true",
                     help="exit 1 on evaluation errors, unhandled error events, failed scenario steps, "
                          "documents that do not load, sessions that end abnormally")
    sim.add_argument("--format", choices=("summary", "text", "json"), default="summary",
                     help="summary: timelines and KPIs (default); text: also a readable line per event; "
                          "json: the KPIs as JSON")
    sim.add_argument("--report", metavar="FILE.html", help="write the KPI report with charts")
    sim.add_argument("--sl-threshold", type=float, default=20.0, metavar="S",
                     help="service level: answered within S seconds (default 20)")
    sim.add_argument("--debug", action="store_true",
                     help="serve the console and the debugger on --debug-port and print its URL; virtual time "
                          "runs at --pace and waits while a session is paused (docs/console.md)")
    sim.add_argument("--debug-port", type=int, default=0, metavar="P", help="--debug: HTTP port (default: any free)")
    sim.add_argument("--pace", type=float, default=10.0, metavar="X",
                     help="--debug: virtual seconds per real second (default 10)")
    sim.add_argument("--break", dest="breaks", action="append", default=[], metavar="state:ID|event:NAME",
                     help="--debug: a breakpoint on every session (repeatable; event patterns like queue.*)")
    sim.add_argument("--debug-linger", type=float, metavar="S",
                     help="--debug: keep the console up S seconds after the end (default: until Ctrl-C)")
    sim.set_defaults(func=cmd_simulate)

    test_command.add_parser(sub)

    demo = sub.add_parser("demo", help="run OpenORS on its embedded defaults with a simulated contact center")
    demo.add_argument("--port", type=int, default=8080, help="HTTP port (0: any free port)")
    demo.add_argument("--duration", type=float, help="stop after this many seconds (default: Ctrl-C)")
    demo.add_argument("--pace", type=float, default=6.0, help="mean seconds between new customers")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

"""Running the W3C SCXML IRP tests and judging them.

Automatic tests pass when the session reaches the top-level final state `pass`. The 8 mandatory
manual tests are judged by the rules in MANUAL_RULES (also written out in the README): each rule
reads what a human tester would read, the session's log and where it ended.

With `snapshots=True` (`openors w3c --snapshot-every-macrostep`) every session is persisted and
restored into a fresh interpreter and JS context after each of its macrosteps (restoring_host.py):
the suite then proves that a snapshot carries everything a session needs to run on.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .clock import VirtualClock
from .errors import ScxmlLoadError
from .parser import load_document
from .restoring_host import RestoringHost
from .session import Session, SessionHost

TEST_FILE = re.compile(r"^test\d+[a-z]?\.scxml$")
DEFAULT_TIMEOUT_S = 30.0


@dataclass
class Run:
    """What a test run produced: enough for any judge."""

    loaded: bool
    load_error: str | None = None
    final_state: str | None = None
    finished: bool = False
    logs: list[tuple[str | None, object]] = field(default_factory=list)
    # Logs of invoked child sessions, in the order they were written.
    child_logs: list[tuple[str | None, object]] = field(default_factory=list)
    restores: int = 0  # session trees persisted and restored (snapshot mode)


@dataclass
class Result:
    name: str
    passed: bool
    detail: str
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def find_tests(paths: list[str | Path]) -> list[Path]:
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.iterdir() if TEST_FILE.match(f.name)))
        else:
            found.append(p)
    return found


def _uses_basichttp(path: Path) -> bool:
    return "BasicHTTPEventProcessor" in path.read_text(encoding="utf-8", errors="replace")


async def _run_async(path: Path, timeout: float, snapshots: bool = False) -> Run:
    try:
        document = load_document(path)
    except ScxmlLoadError as exc:
        return Run(loaded=False, load_error=str(exc))
    host = RestoringHost(VirtualClock()) if snapshots else SessionHost(VirtualClock())
    processor = None
    if _uses_basichttp(path):
        from .ioprocessors import enable_basichttp

        processor = await enable_basichttp(host)
    run = Run(loaded=True)

    def on_log(session: Session, label: str | None, value: Any, level: str | None) -> None:
        (run.logs if session.parent is None else run.child_logs).append((label, value))

    host.listeners.on("logged", on_log)
    try:
        session = host.start_session(document)
        # In snapshot mode the session object is replaced after every macrostep: ask for the latest.
        latest = host.latest if isinstance(host, RestoringHost) else (lambda s: s)
        run.finished = await host.run_until(lambda: latest(session).is_done, timeout=timeout)
        run.final_state = latest(session).final_state
        run.restores = getattr(host, "restores", 0)
    except Exception as exc:  # a snapshot that cannot be taken or restored fails the test, not the run
        if not snapshots:
            raise
        run.load_error = f"snapshot round trip failed: {type(exc).__name__}: {exc}"
    finally:
        if processor is not None:
            await processor.stop()
    return run


def execute(path: Path, timeout: float = DEFAULT_TIMEOUT_S, snapshots: bool = False) -> Run:
    return asyncio.run(_run_async(path, timeout, snapshots))


# --- judges ------------------------------------------------------------------------------


def judge_automatic(run: Run) -> tuple[bool, str]:
    if not run.loaded:
        return False, f"rejected at load: {run.load_error}"
    if run.load_error:  # set after loading only when the snapshot round trip failed
        return False, run.load_error
    if run.final_state == "pass":
        return True, "reached pass"
    if run.final_state:
        return False, f"reached {run.final_state}"
    return False, "did not reach a final state"


def _labels(logs) -> dict[str, list]:
    out: dict[str, list] = {}
    for label, value in logs:
        out.setdefault((label or "").strip(), []).append(value)
    return out


def _judge_178(run: Run) -> tuple[bool, str]:
    raw = " ".join(str(v) for label, v in run.logs if (label or "").strip() == "_event")
    ok = run.final_state == "final" and "Var1=2" in raw and "Var1=3" in raw
    return ok, f"_event.raw logged: {raw!r}"


_FIELDS = ["name is", "type is", "sendid is", "origin is", "origintype is", "invokeid is", "data is"]


def _judge_230(run: Run) -> tuple[bool, str]:
    parent, child = _labels(run.logs), _labels(run.child_logs)
    mine = [parent.get(f, [None])[0] for f in _FIELDS]
    theirs = [child.get(f, [None])[0] for f in _FIELDS]
    ok = run.final_state == "final" and "name is" in child and mine == theirs
    return ok, f"parent saw {mine}, child saw {theirs}"


def _judge_250(run: Run) -> tuple[bool, str]:
    texts = [str(v) for _, v in run.child_logs]
    ok = "Exiting sub01" in texts and "Exiting sub0" in texts and not any("not cancelled" in t for t in texts)
    return ok, f"child logged {texts}"


def _judge_301(run: Run) -> tuple[bool, str]:
    if not run.loaded:
        return True, f"rejected at load as required: {run.load_error}"
    return False, "the document was accepted although its script cannot be fetched"


def _judge_307(run: Run) -> tuple[bool, str]:
    # Both reads (an unbound late-binding variable, a missing property) must behave the same way.
    labels = _labels(run.logs)
    same = ("error in state s0" in labels) == ("error in state s1" in labels)
    return run.final_state == "final" and same, f"logged {sorted(labels)}"


def _judge_313(run: Run) -> tuple[bool, str]:
    if not run.loaded:
        return True, "rejected at load (allowed)"
    return judge_automatic(run)


def _judge_415(run: Run) -> tuple[bool, str]:
    return run.final_state == "final" and run.finished, f"ended in {run.final_state}"


MANUAL_RULES: dict[str, tuple[str, Callable[[Run], tuple[bool, str]]]] = {
    "test178": ("a <send> with two params of the same name carries both: _event.raw has Var1=2 and Var1=3",
                _judge_178),
    "test230": ("an autoforwarded event has the same 7 fields for the parent and the child", _judge_230),
    "test250": ("a cancelled child runs its onexit handlers (Exiting sub01, Exiting sub0) and never its final",
                _judge_250),
    "test301": ("a document whose <script src> cannot be fetched is rejected at load", _judge_301),
    "test307": ("reading an unbound late variable and a missing property give the same outcome", _judge_307),
    "test313": ("an illegal expression in <assign> raises error.execution (or rejects the document)", _judge_313),
    "test314": ("an illegal expression raises error.execution when it is evaluated, not before", _judge_313),
    "test415": ("a document whose initial state is a top-level final ends at once", _judge_415),
}


def run_test(path: str | Path, timeout: float = DEFAULT_TIMEOUT_S, snapshots: bool = False) -> Result:
    path = Path(path)
    started = time.perf_counter()
    run = execute(path, timeout, snapshots)
    rule = MANUAL_RULES.get(path.stem) if path.parent.name == "manual" else None
    passed, detail = (rule[1] if rule else judge_automatic)(run)
    if snapshots:
        detail += f" ({run.restores} restores)"
    return Result(path.stem, passed, detail, time.perf_counter() - started)


def run_tests(paths: list[Path], jobs: int = 1, timeout: float = DEFAULT_TIMEOUT_S,
              report: Callable[[Result], None] | None = None, snapshots: bool = False) -> list[Result]:
    results: list[Result] = []
    if jobs <= 1:
        for path in paths:
            result = run_test(path, timeout, snapshots)
            results.append(result)
            if report:
                report(result)
        return results
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(run_test, paths, [timeout] * len(paths), [snapshots] * len(paths)):
            results.append(result)
            if report:
                report(result)
    return results

"""What the flow recorder's hooks of one event cost in process: server_bench.py's chart (one
targetless transition with two <assign>), whose events each record three entries (event, transition,
macrostep with the datamodel), on 64 live sessions of a real runtime (SQLite), below the per-session
bounds and at them (every log full: each event drops as many entries as it adds).

    python bench/flowlog_entries_bench.py [--rounds 7]

The anchor, measured in the same run: orjson.dumps of the same three entries as plain dicts, one
call each (the least any JSON log of them does). Each figure is the median of its rounds."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import timeit
from pathlib import Path

import orjson

from openors.runtime.flowlog import FlowLog
from openors.runtime.runtime import Runtime, RuntimeSettings
from openors.runtime.store import SqliteStore
from openors.scxml import Event
from server_bench import CHART

SESSIONS = 64
PER_ROUND = 200  # events per session and round: 600 entries, below the bound of 2,000


async def measure(rounds: int) -> dict[str, list[float]]:
    workdir = Path(tempfile.mkdtemp(prefix="flowlog-entries-"))
    (workdir / "chart.scxml").write_text(CHART)
    rt = Runtime(SqliteStore(workdir / "s.db"), RuntimeSettings(idle_eviction=None, max_inflight_events=10**6))
    await rt.start()
    try:
        sids = [await rt.start_session((workdir / "chart.scxml").as_uri(), {"ani": "555"}) for _ in range(SESSIONS)]
        await asyncio.gather(*(rt.send_event(s, "update", {"seq": str(i)}) for i in range(3) for s in sids))
        recorder = rt.flowlogs.recorder
        sessions = [rt.host.sessions[s] for s in sids]
        transitions = [t for t in sessions[0].document.state("talking").transitions if "update" in t.events]
        event = Event("update", "external", {"seq": "1"})

        def one_event_each() -> None:
            for s in sessions:
                recorder.event_taken(s, event)
                recorder.transitions_taken(s, transitions)
                recorder.macrostep_done(s)

        datamodel = orjson.Fragment(b'{"ani":"555","events":4,"last":{"seq":"1"}}')

        def anchor() -> None:
            for _ in sessions:
                t = time.time()
                orjson.dumps({"n": 1, "t": t, "kind": "event", "name": "update", "type": "external", "data": event.data})
                orjson.dumps({"n": 2, "t": t, "kind": "transition", "source": "talking", "targets": [],
                              "event": "update"})
                orjson.dumps({"n": 3, "t": t, "kind": "macrostep", "configuration": ["talking"],
                              "datamodel": datamodel})

        def emptied() -> None:
            for sid in sids:
                old = recorder.live[sid]
                old.release()
                recorder.live[sid] = FlowLog(old.summary, old.limits, account=recorder.memory, count=old.count)

        def per_event(call) -> float:
            return timeit.timeit(call, number=PER_ROUND) / (PER_ROUND * SESSIONS) * 1e6

        out: dict[str, list[float]] = {"anchor": [], "below the bounds": [], "at the bounds": []}
        for _ in range(rounds):
            emptied()
            out["anchor"].append(per_event(anchor))
            out["below the bounds"].append(per_event(one_event_each))
        for _ in range(2000 // 3 + 1):  # every log full
            one_event_each()
        for _ in range(rounds):
            out["at the bounds"].append(per_event(one_event_each))
        return out
    finally:
        await rt.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    results = asyncio.run(measure(max(1, args.rounds)))
    anchor = statistics.median(results["anchor"])
    print(f"{SESSIONS} sessions, {PER_ROUND} events each per round, median of {args.rounds} rounds")
    for name, runs in results.items():
        us = statistics.median(runs)
        print(f"  {name:17s} {us:5.2f} us per event   {us / anchor:5.2f} x the anchor (orjson.dumps of the three entries)")


if __name__ == "__main__":
    main()

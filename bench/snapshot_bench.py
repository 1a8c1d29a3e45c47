"""What the durable snapshot of a session costs the server after each of its macrosteps: the text the
writer stores (`SnapshotWriter._snapshot_text`, the datamodel's JSON embedded as the engine wrote
it), against the anchor measured in the same run: the same snapshot taken as data (the datamodel's
JSON parsed) and then encoded with orjson, as the writer did before.

    python bench/snapshot_bench.py             # 7 rounds of 5,000 snapshots per figure
    python bench/snapshot_bench.py --rounds 3

Two sessions: server_bench.py's chart (three variables, one pending timer) and an ORS session with
three pending timers and a little more data. Each is measured with the datamodel's JSON kept from
the last snapshot (nothing ran in JS since) and with it made again (the data changed, as after an
event that assigns). Figures are medians of the rounds, in microseconds per snapshot."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import timeit
from pathlib import Path

import orjson

from openors.runtime import Runtime, RuntimeSettings
from openors.server.contact_center import attach_modules
from server_bench import CHART

ORS_CHART = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="main">
  <datamodel>
    <data id="ixnid" expr="''"/>
    <data id="caller" expr="({ani: '5551234', dnis: '800', segment: 'gold', tries: 0})"/>
    <data id="history" expr="[]"/>
  </datamodel>
  <state id="main" initial="waiting">
    <onentry>
      <send event="'t.one'" delay="'60s'"/>
      <send event="'t.two'" delay="'120s'"><param name="why" expr="'reminder'"/></send>
      <send event="'t.three'" delay="'600s'"/>
    </onentry>
    <state id="waiting">
      <transition event="update"><script>_data.history.push(_event.data.seq);</script></transition>
    </state>
    <transition event="t.*" target="done"/>
  </state>
  <final id="done"/>
</scxml>
"""


def per_call_us(fn, number: int, rounds: int) -> float:
    return statistics.median(timeit.repeat(fn, number=number, repeat=rounds)) / number * 1e6


def report(label: str, runtime: Runtime, session, number: int, rounds: int) -> None:
    writer, host, datamodel = runtime.writer, runtime.host, session.interpreter.datamodel

    def stored():
        return writer._snapshot_text(session)

    def anchor():  # the snapshot as data, then encoded
        return orjson.dumps(host.snapshot_session(session), default=str, option=orjson.OPT_NON_STR_KEYS)

    def changed(fn):
        def run():
            datamodel._data_changed = True  # as after an event that assigned
            return fn()
        return run

    for when, new, old in (("datamodel JSON kept", stored, anchor),
                           ("datamodel changed", changed(stored), changed(anchor))):
        ours, base = per_call_us(new, number, rounds), per_call_us(old, number, rounds)
        print(f"  {label:20s} {when:20s} stored text {ours:6.2f}   anchor (data, then encoded) {base:6.2f}"
              f"   {ours / base:4.2f} x the anchor")


async def measure(number: int, rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp())
    (workdir / "bench.scxml").write_text(CHART)
    (workdir / "ors.scxml").write_text(ORS_CHART)
    runtime = await Runtime(settings=RuntimeSettings(idle_eviction=None)).start()
    attach_modules(runtime)  # as `openors serve` does: ORS sessions get their modules
    host = runtime.host
    print(f"median of {rounds} rounds of {number:,} snapshots, us per snapshot")
    for label, name in (("server_bench chart", "bench.scxml"), ("ORS, 3 timers", "ors.scxml")):
        sid = await runtime.start_session((workdir / name).as_uri(), {"ani": "555"})
        for seq in range(5):
            await runtime.send_event(sid, "update", {"seq": str(seq)})
        report(label, runtime, host.sessions[sid], number, rounds)
    await runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(measure(args.number, args.rounds))


if __name__ == "__main__":
    main()

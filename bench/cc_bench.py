"""Contact-center benchmark: N calls through the HTTP API into a real `openors serve` process that runs
the simulator in real time; each call starts a session of a small ORS strategy.

    python bench/cc_bench.py                      # 1k calls
    python bench/cc_bench.py --big                # 1k and 10k calls (a fresh server each)
    python bench/cc_bench.py --sessions 5000
    python bench/cc_bench.py --remote             # the embedded simulator against `openors platform`
                                                  # with 1, 2 and 3 nodes (platform_hop.py)

Each call is one `POST /ors/platform/calls` to routing point 5000. The platform starts the strategy,
which gets interaction.added/present/onrouterequest, then sets user data `--rounds` times, each
round trip through the simulated switch (50 ms request latency) coming back as
interaction.udata.changed; the session then stays, holding its call (memory per live session
includes the simulator's interaction).

Prints per N: sessions started/s (first POST until the last session exists), SCXML events/s
(ors_scxml_events_total over the run), p50/p99 event latency (the trace's `waited_ms`: from the
platform event queued for the session to the session's macrostep on it; traces of up to
`--sample` sessions), and server RSS per live session. Sessions bound to a call are never evicted
(docs/server.md), so evicted memory is server_bench.py's figure."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from server_bench import LoadClient, pct, rss_kib, serve

STRATEGY = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="waiting"
       _type="routingstrategy">
  <datamodel><data id="ixnid" expr="''"/><data id="n" expr="0"/><data id="rounds" expr="{rounds}"/></datamodel>
  <state id="waiting">
    <transition event="interaction.added" target="updating">
      <assign location="ixnid" expr="_event.data.interactionid"/>
    </transition>
  </state>
  <state id="updating">
    <onentry><script>n = n + 1; _genesys.ixn.setuData({{step: n}}, ixnid);</script></onentry>
    <transition event="interaction.udata.changed" cond="n &lt; rounds" target="updating"/>
    <transition event="interaction.udata.changed" target="parked"/>
  </state>
  <state id="parked"><transition event="interaction.deleted" target="gone"/></state>
  <final id="gone"/>
</scxml>
"""

TOPOLOGY = """switch: SIM_Switch
settings: {request_latency: 0.05}
dns:
  - {dn: "5000", type: routing_point, application: bench}
"""

EVENTS_BEFORE_ROUNDS = 3  # interaction.added, interaction.present, interaction.onrouterequest


def start_server(workdir: Path, rounds: int) -> tuple[subprocess.Popen, str]:
    (workdir / "bench.scxml").write_text(STRATEGY.format(rounds=rounds))
    (workdir / "topology.yaml").write_text(TOPOLOGY)
    config = workdir / "cc.yaml"
    config.write_text("listen: {host: 127.0.0.1, port: 0}\nstore: {type: sqlite, path: cc.db}\n"
                      "logging: {level: INFO}\napplications: {bench: bench.scxml}\n"
                      "runtime: {idle_eviction_s: null, max_inflight_events: 1000000}\n"
                      "platform: {simulator: {topology: topology.yaml, seed: 1}}\n")
    return serve(config)


async def metric(http: httpx.AsyncClient, name: str) -> float:
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def run(n: int, args, url: str, pid: int) -> dict:
    per_session = EVENTS_BEFORE_ROUNDS + args.rounds
    async with LoadClient(url, args.concurrency) as load, \
            httpx.AsyncClient(base_url=url, timeout=120, trust_env=False) as http:
        async def place(count: int, first: int) -> None:
            results = await load.many([("/ors/platform/calls", {"from": f"+1555{first + i:07d}", "to": "5000",
                                                                "patience": "3600"}) for i in range(count)])
            bad = [(status, body) for _, status, body in results if status != 201]
            if bad:
                raise SystemExit(f"call refused: {bad[0]}")

        async def settle(created: float, events: float, deadline_s: float) -> tuple[float, float]:
            """Poll until `created` sessions exist and `events` were processed; their times."""
            started_at = done_at = None
            deadline = time.perf_counter() + deadline_s
            while done_at is None and time.perf_counter() < deadline:
                now = time.perf_counter()
                if started_at is None and await metric(http, "ors_creation_session_total") >= created:
                    started_at = now
                if started_at is not None and await metric(http, "ors_scxml_events_total") >= events:
                    done_at = now
                await asyncio.sleep(0.05)
            if done_at is None:
                raise SystemExit("the sessions did not finish their rounds in time")
            return started_at, done_at

        await place(20, 0)  # warm-up: the document compiled, the code paths hot
        await settle(20, 20 * per_session, 30)
        await asyncio.sleep(0.3)
        base = rss_kib(pid)
        created0 = await metric(http, "ors_creation_session_total")
        create_sum0 = await metric(http, "ors_create_session_time_seconds_sum")
        events0 = await metric(http, "ors_scxml_events_total")

        t0 = time.perf_counter()
        await place(n, 20)
        posted = time.perf_counter() - t0
        started_at, done_at = await settle(created0 + n, events0 + n * per_session, 60 + n / 50)
        events = await metric(http, "ors_scxml_events_total") - events0
        create_s = await metric(http, "ors_create_session_time_seconds_sum") - create_sum0
        await asyncio.sleep(0.3)
        live = rss_kib(pid)

        sessions = (await http.get("/ors/sessions")).json()["sessions"]
        # host.sessions keeps start order: skip the warm-up calls
        sample = [s["sessionid"] for s in sessions[20:] if s.get("configuration") == ["parked"]][: args.sample]
        waits = []
        for sid in sample:
            trace = (await http.get(f"/ors/sessions/{sid}/trace")).json()["trace"]
            waits += [e["waited_ms"] for e in trace if e["kind"] == "event"]
        parked = sum(1 for s in sessions if s.get("configuration") == ["parked"]) - 20
    return {"n": n, "posted_s": posted, "started_s": started_at - t0, "done_s": done_at - t0, "events": events,
            "waits": waits, "create_s": create_s, "sampled": len(sample), "base": base, "live": live, "parked": parked}


def report(results: list[dict], args) -> None:
    print(f"calls through POST /ors/platform/calls, {args.concurrency} connections; strategy: 3 arrival events "
          f"+ {args.rounds} user-data round trips (50 ms simulated switch latency)")
    header = f"{'':28}" + "".join(f"{r['n']:>14,} calls" for r in results)
    print(header)
    rows = [
        ("calls posted/s", lambda r: f"{r['n'] / r['posted_s']:.0f}"),
        ("sessions started/s", lambda r: f"{r['n'] / r['started_s']:.0f}"),
        ("session start, server (ms)", lambda r: f"{r['create_s'] / r['n'] * 1000:.2f}"),
        ("SCXML events/s", lambda r: f"{r['events'] / r['done_s']:.0f}"),
        ("event latency p50 (ms)", lambda r: f"{pct(r['waits'], 50):.2f}"),
        ("event latency p99 (ms)", lambda r: f"{pct(r['waits'], 99):.2f}"),
        ("RSS per live session (KiB)", lambda r: f"{(r['live'] - r['base']) / r['n']:.0f}"),
        ("all rounds done after (s)", lambda r: f"{r['done_s']:.2f}"),
    ]
    for label, cell in rows:
        print(f"  {label:26}" + "".join(f"{cell(r):>20}" for r in results))
    for r in results:
        print(f"  {r['n']}: {r['events']:.0f} events, {r['parked']} sessions parked, latency from "
              f"{len(r['waits'])} events of {r['sampled']} sessions, RSS {r['base'] / 1024:.0f} -> "
              f"{r['live'] / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--big", action="store_true", help="1k and 10k calls")
    parser.add_argument("--rounds", type=int, default=5, help="user-data round trips per session")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections (requests in flight)")
    parser.add_argument("--sample", type=int, default=2000, help="sessions whose traces give the latencies")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="with --remote: place calls at this rate (calls/s) instead of as fast as possible")
    parser.add_argument("--remote", action="store_true",
                        help="embedded simulator (anchor) vs `openors platform` + 1, 2, 3 nodes (platform_hop.py)")
    args = parser.parse_args()
    if args.remote:
        from platform_hop import compare

        compare(args)
        return
    sizes = [1000, 10_000] if args.big else [args.sessions]
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="openors-cc-bench-") as tmp:
            proc, url = start_server(Path(tmp), args.rounds)
            try:
                results.append(asyncio.run(run(n, args, url, proc.pid)))
            finally:
                proc.terminate()
                proc.wait(60)
    report(results, args)


if __name__ == "__main__":
    main()

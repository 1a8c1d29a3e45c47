"""The contact center as its own service, measured: `python bench/cc_bench.py --remote`.

One run, real processes on loopback, the same calls and strategy each time:

* anchor: `openors serve` with the embedded simulator (what `cc_bench.py` measures by default);
* `openors platform` plus 1, 2 and 3 `openors serve` nodes reaching it over openors-platform/1.

Each call is one `POST /ors/platform/calls` (to the server, or to the platform). Its session does
`--rounds` user-data round trips through the switch; it stamps `Date.now()` when its call arrives
and when the last round is back, so (t1 - t0) / rounds is one platform round trip as the strategy
sees it: the network hop counts twice in it (request out, event back). Figures: calls started/s
(sessions created on all nodes, first POST to the last), SCXML events/s, p50/p99 round trip, and
each setup against the embedded anchor."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from server_bench import LoadClient, pct, serve

STRATEGY = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="waiting"
       _type="routingstrategy">
  <datamodel><data id="ixnid" expr="''"/><data id="n" expr="0"/><data id="rounds" expr="{rounds}"/>
    <data id="t0" expr="0"/><data id="t1" expr="0"/></datamodel>
  <state id="waiting">
    <transition event="interaction.added" target="updating">
      <assign location="ixnid" expr="_event.data.interactionid"/>
      <assign location="t0" expr="Date.now()"/>
    </transition>
  </state>
  <state id="updating">
    <onentry><script>n = n + 1; _genesys.ixn.setuData({{step: n}}, ixnid);</script></onentry>
    <transition event="interaction.udata.changed" cond="n &lt; rounds" target="updating"/>
    <transition event="interaction.udata.changed" target="parked"><assign location="t1" expr="Date.now()"/></transition>
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
WARM_UP = 20


def _node_config(workdir: Path, name: str, platform: str | None, rounds: int) -> Path:
    folder = workdir / name
    folder.mkdir()
    (folder / "bench.scxml").write_text(STRATEGY.format(rounds=rounds))
    section = (f'{{url: "{platform}", node: {name}}}' if platform else
               f'{{simulator: {{topology: {workdir / "topology.yaml"}, seed: 1}}}}')
    config = folder / "cc.yaml"
    config.write_text("listen: {host: 127.0.0.1, port: 0}\nstore: {type: sqlite, path: cc.db}\n"
                      "logging: {level: INFO}\napplications: {bench: bench.scxml}\n"
                      "runtime: {idle_eviction_s: null, max_inflight_events: 1000000}\n"
                      f"platform: {section}\n")
    return config


def _start_platform(workdir: Path) -> tuple[subprocess.Popen, str]:
    log = workdir / "platform.log"
    proc = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "platform", "--topology",
                             str(workdir / "topology.yaml"), "--port", "0", "--seed", "1"],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115 - the child keeps it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if '"listening"' in line:
                return proc, json.loads(line)["url"]
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the platform did not start:\n" + log.read_text())


async def _metric(http: httpx.AsyncClient, name: str) -> float:
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _measure(calls_url: str, node_urls: list[str], n: int, rounds: int, concurrency: int,
                   sample: int, rate: float = 0.0) -> dict:
    per_session = EVENTS_BEFORE_ROUNDS + rounds
    nodes = [httpx.AsyncClient(base_url=u, timeout=120, trust_env=False) for u in node_urls]

    async def total(name: str) -> float:
        return sum(await asyncio.gather(*(_metric(h, name) for h in nodes)))

    async def settle(created: float, events: float, deadline_s: float) -> tuple[float, float]:
        started_at = done_at = None
        deadline = time.perf_counter() + deadline_s
        while done_at is None and time.perf_counter() < deadline:
            now = time.perf_counter()
            if started_at is None and await total("ors_creation_session_total") >= created:
                started_at = now
            if started_at is not None and await total("ors_scxml_events_total") >= events:
                done_at = now
            await asyncio.sleep(0.05)
        if started_at is None or done_at is None:
            raise SystemExit("the sessions did not finish their rounds in time")
        return started_at, done_at

    async with LoadClient(calls_url, concurrency) as load:
        async def place(count: int, first: int, paced: float = 0.0) -> None:
            calls = [("/ors/platform/calls", {"from": f"+1555{first + i:07d}", "to": "5000", "patience": "3600"})
                     for i in range(count)]
            if paced:  # open loop: one call every 1/rate s, whatever the answers take
                start = time.perf_counter()
                tasks = []
                for i, (path, fields) in enumerate(calls):
                    await asyncio.sleep(max(0.0, start + i / paced - time.perf_counter()))
                    tasks.append(asyncio.ensure_future(load.post(path, fields)))
                results = await asyncio.gather(*tasks)
            else:
                results = await load.many(calls)
            bad = [(status, body) for _, status, body in results if status != 201]
            if bad:
                raise SystemExit(f"call refused: {bad[0]}")

        await place(WARM_UP, 0)
        await settle(WARM_UP, WARM_UP * per_session, 30)
        created0 = await total("ors_creation_session_total")
        events0 = await total("ors_scxml_events_total")
        t0 = time.perf_counter()
        await place(n, WARM_UP, rate)
        started_at, done_at = await settle(created0 + n, events0 + n * per_session, 60 + n / 20)
        events = await total("ors_scxml_events_total") - events0

    trips: list[float] = []
    per_node = []
    for http in nodes:
        sessions = [s["sessionid"] for s in (await http.get("/ors/sessions")).json()["sessions"]]
        per_node.append(len(sessions))
        for sid in sessions[: max(1, sample // len(nodes))]:
            data = (await http.get(f"/scxml/session/{sid}/query")).json().get("data", {})
            if data.get("t1"):
                trips.append((data["t1"] - data["t0"]) / rounds)
        await http.aclose()
    return {"n": n, "started_s": started_at - t0, "done_s": done_at - t0, "events": events,
            "trips": trips, "per_node": per_node}


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 10 ms


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_embedded(n: int, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="openors-hop-") as tmp:
        workdir = Path(tmp)
        (workdir / "topology.yaml").write_text(TOPOLOGY)
        proc, url = serve(_node_config(workdir, "embedded", None, args.rounds))
        try:
            before = _cpu_s(proc.pid)
            result = asyncio.run(_measure(url, [url], n, args.rounds, args.concurrency, args.sample, args.rate))
            result["cpu"] = {"server": _cpu_s(proc.pid) - before}
            return result
        finally:
            _stop([proc])


def run_remote(n: int, nodes: int, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="openors-hop-") as tmp:
        workdir = Path(tmp)
        (workdir / "topology.yaml").write_text(TOPOLOGY)
        platform, platform_url = _start_platform(workdir)
        procs = [platform]
        try:
            urls = []
            for i in range(nodes):
                proc, url = serve(_node_config(workdir, f"N{i + 1}", platform_url, args.rounds))
                procs.append(proc)
                urls.append(url)
            with httpx.Client(base_url=platform_url, trust_env=False) as http:
                deadline = time.monotonic() + 30
                while sum(x["connected"] for x in http.get("/ors/platform/nodes").json()["nodes"]) < nodes:
                    if time.monotonic() > deadline:
                        raise SystemExit("the nodes did not connect to the platform")
                    time.sleep(0.05)
            before = [_cpu_s(p.pid) for p in procs]
            result = asyncio.run(_measure(platform_url, urls, n, args.rounds, args.concurrency, args.sample,
                                          args.rate))
            spent = [_cpu_s(p.pid) - b for p, b in zip(procs, before)]
            result["cpu"] = {"platform": spent[0], "nodes": sum(spent[1:])}
            return result
        finally:
            _stop(procs[1:] + procs[:1])


def compare(args) -> None:
    n = args.sessions
    results = [("embedded (anchor)", run_embedded(n, args))]
    for nodes in (1, 2, 3):
        results.append((f"platform + {nodes} node{'s' if nodes > 1 else ''}", run_remote(n, nodes, args)))
    anchor = results[0][1]
    pace = f"placed at {args.rate:g} calls/s" if args.rate else f"placed as fast as {args.concurrency} HTTP " \
                                                                  "connections can"
    print(f"{n} calls, {args.rounds} user-data round trips each (50 ms simulated switch latency), {pace}")
    print(f"{'':24}{'calls started/s':>16}{'events/s':>10}{'trip p50 ms':>13}{'trip p99 ms':>13}"
          f"{'p50 - anchor':>14}{'started/s vs anchor':>21}  sessions per node")
    for label, r in results:
        started = n / r["started_s"]
        p50, p99 = pct(r["trips"], 50), pct(r["trips"], 99)
        print(f"  {label:22}{started:>16.0f}{r['events'] / r['done_s']:>10.0f}{p50:>13.1f}{p99:>13.1f}"
              f"{p50 - pct(anchor['trips'], 50):>+14.1f}{started / (n / anchor['started_s']):>21.2f}  "
              f"{'/'.join(str(c) for c in r['per_node'])}   CPU s: "
              + ", ".join(f"{k} {v:.1f}" for k, v in r["cpu"].items()))
    print("  a trip is one setuData to its interaction.udata.changed, as the strategy sees it (Date.now());"
          " the 50 ms switch latency is in every figure")

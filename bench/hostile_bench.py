"""A well-behaved session's event latency while N sessions spin, with and without the budgets.

    python bench/hostile_bench.py                    # 10 spinners, 15 s per run
    python bench/hostile_bench.py --spinners 20 --duration 30

Two runs of a real `openors serve` process, one with the default budgets and one with budgets
lifted to what the server had before them (a 2 s evaluation limit and nothing else). In each run,
N "spinner" sessions are poked without pause; each poke runs `while (true) {}`. When the server ends
one (quarantine), the bench starts another, so N sessions spin all the time. Meanwhile one healthy
session gets an event every 50 ms (open loop); each event is one HTTP POST, acknowledged once its
snapshot is committed. The anchor is the same healthy load with no spinner at all, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_bench import LoadClient, serve  # noqa: E402

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'
HEALTHY = f"""{HEAD} initial="idle"><datamodel><data id="n" expr="0"/></datamodel>
  <state id="idle"><transition event="bump"><assign location="n" expr="n + 1"/></transition></state></scxml>"""
SPINNER = f"""{HEAD} initial="idle"><state id="idle">
  <transition event="poke"><script>while (true) {{}}</script></transition></state></scxml>"""
GIVE_UP = 20.0  # seconds a healthy event may wait before the bench stops waiting for it
UNBOUNDED = {"eval_cpu_ms": 2000, "macrostep_cpu_ms": 600000, "microsteps": 10**9, "events_per_second": 10**9,
             "strikes": 10**9, "heavy_macrostep_ms": 600000, "heavy_share": 1.0}


def write_config(workdir: Path, budgets: dict | None) -> Path:
    (workdir / "healthy.scxml").write_text(HEALTHY)
    (workdir / "spinner.scxml").write_text(SPINNER)
    lines = ["listen: {host: 127.0.0.1, port: 0}", "store: {type: sqlite, path: bench.db}",
             "logging: {level: INFO}", "applications:",
             f"  healthy: {(workdir / 'healthy.scxml').as_uri()}",
             f"  spinner: {(workdir / 'spinner.scxml').as_uri()}"]
    if budgets:
        lines.append("budgets: " + json.dumps(budgets))
    config = workdir / "bench.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


async def start(http: LoadClient, src: str) -> str:
    _, status, body = await http.post("/scxml/session/start", {"src": src})
    if status != 200:
        raise RuntimeError(f"start {src}: {status} {body[:200]!r}")
    return json.loads(body)["sessionid"]


async def spin_forever(http: LoadClient, stop: asyncio.Event, counts: dict) -> None:
    """Keep one spinner poked; replace it whenever the server ends it."""
    sid = await start(http, "spinner")
    while not stop.is_set():
        _, status, _ = await http.post(f"/scxml/session/{sid}/event/poke")
        if status in (404, 409):  # ended and quarantined: another takes its place
            counts["replaced"] += 1
            sid = await start(http, "spinner")
        elif status == 429:  # its queue is full of pokes: that is spinning enough
            await asyncio.sleep(0.01)
        counts["pokes"] += 1


async def healthy_latencies(http: LoadClient, sid: str, duration: float, period: float) -> list[float]:
    """Open loop: one event every `period` seconds, each awaited on its own task."""
    latencies: list[float] = []

    async def one() -> None:
        try:
            latency, status, _ = await asyncio.wait_for(http.post(f"/scxml/session/{sid}/event/bump"), GIVE_UP)
        except TimeoutError:  # counted as GIVE_UP seconds: the figure is then a lower bound
            latency, status = GIVE_UP, 200
        if status == 200:
            latencies.append(latency)

    tasks = []
    began = time.perf_counter()
    for i in range(int(duration / period)):
        await asyncio.sleep(max(0.0, began + i * period - time.perf_counter()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies


async def measure(url: str, spinners: int, duration: float) -> dict:
    async with LoadClient(url, 8) as healthy_http, LoadClient(url, max(spinners, 1)) as spin_http:
        sid = await start(healthy_http, "healthy")
        anchor = await healthy_latencies(healthy_http, sid, min(5.0, duration), 0.05)
        stop = asyncio.Event()
        counts = {"pokes": 0, "replaced": 0}
        workers = [asyncio.create_task(spin_forever(spin_http, stop, counts)) for _ in range(spinners)]
        await asyncio.sleep(1.0)  # let them spin first
        loaded = await healthy_latencies(healthy_http, sid, duration, 0.05)
        stop.set()
        await asyncio.wait(workers, timeout=30)
    return {"anchor": anchor, "loaded": loaded, **counts}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(budgets: dict | None, spinners: int, duration: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = serve(write_config(Path(tmp), budgets))
        try:
            return asyncio.run(measure(url, spinners, duration))
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:  # without budgets, the queued spins outlast a graceful stop
                proc.kill()
                proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spinners", type=int, default=10)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of healthy load per run")
    args = parser.parse_args()
    print(f"healthy session: 20 events/s for {args.duration:g} s while {args.spinners} sessions spin (2 cores)")
    print(f"{'run':<18}{'events':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'anchor p99':>12}{'p99/anchor':>12}"
          f"{'ended+replaced':>16}")
    for label, budgets in (("with budgets", None), ("without budgets", UNBOUNDED)):
        r = run(budgets, args.spinners, args.duration)
        loaded, anchor = r["loaded"], r["anchor"]
        p99, a99 = pct(loaded, 99) * 1000, pct(anchor, 99) * 1000
        print(f"{label:<18}{len(loaded):>8}{pct(loaded, 50) * 1000:>9.1f}{p99:>9.1f}"
              f"{max(loaded, default=float('nan')) * 1000:>9.1f}{a99:>12.1f}{p99 / a99:>12.1f}{r['replaced']:>16}",
              flush=True)


if __name__ == "__main__":
    main()

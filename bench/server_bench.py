"""Server benchmark: N concurrent sessions through the HTTP API of a real `openors serve` process.

    python bench/server_bench.py                  # 1k sessions
    python bench/server_bench.py --sessions 10000 # or --big
    python bench/server_bench.py --timers 100000  # also: cost of pending delayed sends on the clock

Prints sessions started/s, events/s, p50/p99 event latency (one HTTP POST, acknowledged after the
snapshot is committed), and server RSS per session, live and evicted. Evicted memory is measured as
RSS growth while sessions are started and evicted in batches (freed memory is reused, so what
remains is the wake-up records)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

CHART = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="talking">
  <datamodel><data id="ani" expr="''"/><data id="events" expr="0"/><data id="last" expr="null"/></datamodel>
  <state id="talking">
    <onentry><send event="timeout" delay="3600s"/></onentry>
    <transition event="update">
      <assign location="events" expr="events + 1"/>
      <assign location="last" expr="_event.data"/>
    </transition>
    <transition event="timeout" target="done"/>
    <transition event="hangup" target="done"/>
  </state>
  <final id="done"/>
</scxml>
"""


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_server(workdir: Path, flush_ms: int) -> tuple[subprocess.Popen, str]:
    config = workdir / "bench.yaml"
    config.write_text("listen: {host: 127.0.0.1, port: 0}\nstore: {type: sqlite, path: bench.db}\n"
                      f"logging: {{level: INFO}}\nruntime: {{idle_eviction_s: null, flush_interval_ms: {flush_ms},"
                      " max_inflight_events: 1000000}\n")
    return serve(config)


def serve(config: Path) -> tuple[subprocess.Popen, str]:
    """`openors serve --config` in a child process; returns it and its URL once it listens."""
    log = config.parent / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "serve", "--config", str(config)],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115 - the child keeps it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if '"listening"' in line:
                return proc, json.loads(line)["url"]
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start:\n" + log.read_text())


class LoadClient:
    """A few keep-alive HTTP/1.1 connections, each sending one request at a time.

    Hand-rolled on asyncio streams because httpx spends ~5 ms of CPU per request under concurrency:
    on a small machine that measures the client, not the server."""

    def __init__(self, url: str, connections: int):
        parts = urlsplit(url)
        self.host, self.port, self.size = parts.hostname, parts.port, connections
        self._idle: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> LoadClient:
        for _ in range(self.size):
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *exc) -> None:
        while not self._idle.empty():
            self._idle.get_nowait()[1].close()

    async def post(self, path: str, fields: dict | None = None) -> tuple[float, int, bytes]:
        body = urlencode(fields or {}).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/x-www-form-urlencoded"
                f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        reader, writer = await self._idle.get()
        try:
            t0 = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
            return time.perf_counter() - t0, int(status_line.split()[1]), payload
        finally:
            self._idle.put_nowait((reader, writer))

    async def many(self, requests: list[tuple[str, dict | None]]) -> list[tuple[float, int, bytes]]:
        return await asyncio.gather(*(self.post(path, fields) for path, fields in requests))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def run_http(args, url: str, pid: int, src: str) -> None:
    async with LoadClient(url, args.concurrency) as load, \
            httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as http:
        async def start_many(n: int) -> list[str]:
            results = await load.many([("/scxml/session/start", {"src": src, "ani": f"555{i:06d}"})
                                       for i in range(n)])
            bad = [(status, body) for _, status, body in results if status != 200]
            if bad:
                raise SystemExit(f"start failed: {bad[0]}")
            return [json.loads(body)["sessionid"] for _, _, body in results]

        warm = await start_many(50)
        await load.many([(f"/scxml/session/{s}/terminate", None) for s in warm])
        await asyncio.sleep(0.5)
        base = rss_kib(pid)

        t0 = time.perf_counter()
        sids = await start_many(args.sessions)
        start_s = time.perf_counter() - t0
        await asyncio.sleep(0.3)
        live = rss_kib(pid)

        jobs = [(f"/scxml/session/{sid}/event/update", {"seq": str(k)}) for k in range(args.events) for sid in sids]
        t0 = time.perf_counter()
        results = await load.many(jobs)
        events_s = time.perf_counter() - t0
        latencies = [t for t, status, _ in results if status == 200]
        failed = len(results) - len(latencies)
        check = (await http.get(f"/scxml/session/{sids[-1]}/query")).json()["data"]["events"]

        evicted = (await http.post("/ors/evict", params={"idle": 0})).json()["evicted"]
        await asyncio.sleep(0.3)
        after_evict = rss_kib(pid)
        batch = 500
        for done in range(0, args.sessions, batch):
            await start_many(min(batch, args.sessions - done))
            await asyncio.sleep(0.1)  # let the writer commit, so the sessions may be evicted
            evicted += (await http.post("/ors/evict", params={"idle": 0})).json()["evicted"]
        await asyncio.sleep(0.3)
        final = rss_kib(pid)
        counts = (await http.get("/ors/sessions")).json()["counts"]
        sample = (await http.post(f"/scxml/session/{sids[0]}/query")).json()["data"]["events"]  # restores one

    n = args.sessions
    print(f"sessions: {n}, events per session: {args.events}, client concurrency: {args.concurrency}")
    print(f"  sessions started/s       {n / start_s:10.0f}   ({start_s:.2f} s)")
    print(f"  events/s                 {len(latencies) / events_s:10.0f}   ({len(results)} events, {failed} failed)")
    print(f"  event latency p50        {statistics.median(latencies) * 1000:10.2f} ms")
    print(f"  event latency p99        {pct(latencies, 99) * 1000:10.2f} ms")
    print(f"  RSS baseline             {base / 1024:10.1f} MiB")
    print(f"  memory per live session  {(live - base) / n:10.1f} KiB   (RSS {live / 1024:.1f} MiB)")
    print(f"  memory per evicted sess. {(final - after_evict) / n:10.2f} KiB   "
          f"(RSS {after_evict / 1024:.1f} -> {final / 1024:.1f} MiB over {n} start+evict)")
    print(f"  evicted {evicted}, counts {counts}, events seen by a session: {check}/{args.events}, "
          f"restored one: {sample}")


async def run_timers(count: int) -> None:
    """Pending delayed sends on the engine's RealClock (asyncio's timer heap)."""
    from openors.scxml.clock import RealClock

    clock = RealClock(asyncio.get_running_loop())
    loop = asyncio.get_running_loop()

    async def spin(n: int = 2000) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await asyncio.sleep(0)
        return (time.perf_counter() - t0) / n

    idle = await spin()
    before = rss_kib(os.getpid())
    t0 = time.perf_counter()
    handles = [clock.call_later(3600 + i * 0.001, lambda: None) for i in range(count)]
    arm = time.perf_counter() - t0
    busy = await spin()
    mid = rss_kib(os.getpid())
    t0 = time.perf_counter()
    for h in handles[::2]:
        clock.cancel(h)
    cancel = time.perf_counter() - t0
    fired = []
    t0 = time.perf_counter()
    for i in range(1000):
        clock.call_later(0.0, fired.append, i)
    while len(fired) < 1000:
        await asyncio.sleep(0.001)
    fire = time.perf_counter() - t0
    del loop
    print(f"timers: {count} pending on RealClock")
    print(f"  arm                      {arm / count * 1e6:10.2f} us each")
    print(f"  cancel                   {cancel / (count // 2) * 1e6:10.2f} us each")
    print(f"  loop turn                {idle * 1e6:10.2f} us idle, {busy * 1e6:.2f} us with the timers pending")
    print(f"  1000 due timers fired in {fire * 1000:10.2f} ms with {count // 2} still pending")
    print(f"  memory                   {(mid - before) * 1024 / count:10.0f} bytes per pending timer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--big", action="store_true", help="10k sessions")
    parser.add_argument("--events", type=int, default=5, help="events per session")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections (requests in flight)")
    parser.add_argument("--flush-ms", type=int, default=20, help="store batch interval")
    parser.add_argument("--timers", type=int, default=0, help="also measure N pending timers (e.g. 100000)")
    args = parser.parse_args()
    if args.big:
        args.sessions = 10_000
    if args.timers:
        asyncio.run(run_timers(args.timers))
    with tempfile.TemporaryDirectory(prefix="openors-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "bench.scxml").write_text(CHART)
        proc, url = start_server(workdir, args.flush_ms)
        try:
            asyncio.run(run_http(args, url, proc.pid, (workdir / "bench.scxml").as_uri()))
        finally:
            proc.terminate()
            proc.wait(30)
        print(f"  store file {(workdir / 'bench.db').stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

"""Server benchmark: a real `openors serve` process, driven over HTTP by the same client that
drives a bare uvicorn app in the same run.

    python bench/server_bench.py                  # 1k sessions
    python bench/server_bench.py --sessions 10000 # or --big
    python bench/server_bench.py --timers 100000  # also: cost of pending delayed sends on the clock
    python bench/server_bench.py --no-redis       # without the two-node Redis part

Prints, for the bare app (the anchor) and for OpenORS with N live sessions:
* requests/s at saturation (32 keep-alive connections, one request at a time on each); the bare
  app is also driven by two client processes: if that is not faster, one client is not the limit;
* session starts/s at saturation and one start's latency when nothing else runs;
* events/s at saturation, each event one HTTP POST acknowledged after its snapshot is committed,
  and the ratio to the bare app;
* p50/p99 at a fixed open-loop rate of 50% of that maximum (latency counted from when the request
  was due, so a request waiting for a free connection counts its wait), and, as its anchor, the
  bare app's p50/p99 at the same rate right after (what the machine and the stack give at best);
* events/s with two `serve` processes sharing one redis-server (started here, as the tests do);
* the server's CPU time per start and per event (user + system, all its threads; it depends far
  less than rates on what else runs on the machine), and how long the server's event loop thread
  waited for a CPU during the open-loop window (other processes' share of the p99);
* server RSS per session, live and evicted. Evicted memory is measured as RSS growth while sessions
  are started and evicted in batches (freed memory is reused, so what remains is the wake-up
  records)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

from openors.server import loops

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait_s(pid: int) -> float:
    """How long the process's main thread (its event loop) waited for a CPU so far."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):  # no schedstat (kernel without it)
        return float("nan")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


FLOW_LOGS = {"default": "", "no-datamodel": "flow_logs: {datamodel_every_macrostep: false}\n",
             "off": "flow_logs: {enabled: false}\n"}


def start_server(workdir: Path, flush_ms: int, flow_logs: str = "default") -> tuple[subprocess.Popen, str]:
    config = workdir / "bench.yaml"
    config.write_text("listen: {host: 127.0.0.1, port: 0}\nstore: {type: sqlite, path: bench.db}\n"
                      f"logging: {{level: INFO}}\nruntime: {{idle_eviction_s: null, flush_interval_ms: {flush_ms},"
                      " max_inflight_events: 1000000}\n" + FLOW_LOGS[flow_logs])
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


def bare_app_main(port: int, stack: str) -> None:
    """The anchor: uvicorn and an app that answers like /event. Stack "fast": the loop and parser
    `serve` uses (uvloop and httptools when installed); "pure": uvicorn's pure-Python h11 parser
    on asyncio's loop, what `serve` ran on before it took the fast ones."""
    import uvicorn

    body = b'{"sessionid":"x","event":"update","status":"queued"}'

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    options = {"loop": "asyncio", "http": "h11"} if stack == "pure" else {}
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **options)


def start_bare_app(stack: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--bare-app", str(port), "--bare-stack", stack])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the bare app did not start")


async def saturate(url: str, jobs: list[tuple[str, dict | None]], connections: int,
                   start_at: float | None = None) -> tuple[int, float, list[float]]:
    """Send every job, `connections` at a time: (answered 200, seconds, latencies)."""
    async with LoadClient(url, connections) as load:
        if start_at is not None:
            await asyncio.sleep(max(0.0, start_at - time.time()))
        t0 = time.perf_counter()
        results = await load.many(jobs)
        elapsed = time.perf_counter() - t0
    latencies = [t for t, status, _ in results if status == 200]
    return len(latencies), elapsed, latencies


def _saturate_in_process(args) -> tuple[int, float, list[float]]:
    gc.disable()  # the client's own collections would count as the server's latency
    return loops.run(saturate(*args))


def saturate_in_processes(parts: list[tuple[str, list, int]]) -> tuple[float, int]:
    """One client process per (url, jobs, connections), started together: (requests/s, failed)."""
    start_at = time.time() + 1.0  # every process connected before any sends
    with multiprocessing.get_context("spawn").Pool(len(parts)) as pool:
        results = pool.map(_saturate_in_process, [(*part, start_at) for part in parts])
    ok = sum(r[0] for r in results)
    return ok / max(r[1] for r in results), sum(len(p[1]) for p in parts) - ok


async def open_loop(url: str, jobs: list[tuple[str, dict | None]], rate: float,
                    connections: int) -> tuple[list[float], int]:
    """Send job i when it is due (i / rate seconds in), whatever came back: latencies counted from
    when each request was due, and the number of failed ones."""
    async with LoadClient(url, connections) as load:
        loop = asyncio.get_running_loop()
        t0 = loop.time() + 0.1
        latencies: list[float] = []
        failed = 0

        async def one(due: float, path: str, fields: dict | None) -> None:
            nonlocal failed
            _, status, _ = await load.post(path, fields)
            if status == 200:
                latencies.append(loop.time() - due)
            else:
                failed += 1

        tasks = []
        for i, (path, fields) in enumerate(jobs):
            due = t0 + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(due, path, fields)))
        await asyncio.gather(*tasks)
    return latencies, failed


async def start_many(load: LoadClient, src: str, n: int) -> list[str]:
    results = await load.many([("/scxml/session/start", {"src": src, "ani": f"555{i:06d}"}) for i in range(n)])
    bad = [(status, body) for _, status, body in results if status != 200]
    if bad:
        raise SystemExit(f"start failed: {bad[0]}")
    return [json.loads(body)["sessionid"] for _, _, body in results]


def event_jobs(sids: list[str], per_session: int) -> list[tuple[str, dict]]:
    return [(f"/scxml/session/{sid}/event/update", {"seq": str(k)}) for k in range(per_session) for sid in sids]


def open_loop_on_bare_app(count: int, rate: float, connections: int) -> list[float]:
    """The anchor of the open-loop figures: the bare app under the same open-loop load."""
    proc, url = start_bare_app("fast")
    try:
        gc.disable()
        paced, _ = loops.run(open_loop(url, [("/scxml/session/x/event/update", {"seq": "1"})] * count, rate,
                                       connections))
        gc.enable()
        return paced
    finally:
        proc.terminate()
        proc.wait(30)


def measure_bare(args) -> dict:
    jobs = [("/scxml/session/x/event/update", {"seq": "1"})] * (args.sessions * args.events)
    half = args.concurrency // 2
    out = {}
    for stack in ("fast", "pure"):
        proc, url = start_bare_app(stack)
        try:
            cpu0 = cpu_seconds(proc.pid)
            out[stack] = saturate_in_processes([(url, jobs, args.concurrency)])[0]
            out[f"{stack}_cpu"] = (cpu_seconds(proc.pid) - cpu0) / len(jobs)
            if stack == "fast":  # the client is not the limit if two of them get no more
                out["two"] = saturate_in_processes([(url, jobs, half), (url, jobs, args.concurrency - half)])[0]
        finally:
            proc.terminate()
            proc.wait(30)
    return out


async def measure_openors(args, url: str, pid: int, src: str) -> dict:
    out: dict = {}
    async with LoadClient(url, args.concurrency) as load, LoadClient(url, 1) as single:
        warm = await start_many(load, src, 50)
        await load.many([(f"/scxml/session/{s}/terminate", None) for s in warm])
        await asyncio.sleep(0.5)
        out["base"] = rss_kib(pid)

        alone = []
        for _ in range(100):
            took, status, body = await single.post("/scxml/session/start", {"src": src})
            alone.append(took)
            await single.post(f"/scxml/session/{json.loads(body)['sessionid']}/terminate")
        out["start_alone"] = statistics.median(alone)

        t0 = time.perf_counter()
        cpu0 = cpu_seconds(pid)
        sids = await start_many(load, src, args.sessions)
        out["starts_s"] = args.sessions / (time.perf_counter() - t0)
        out["start_cpu"] = (cpu_seconds(pid) - cpu0) / args.sessions
        await asyncio.sleep(0.3)
        out["live"] = rss_kib(pid)
    out["sids"] = sids
    return out


async def measure_memory(args, url: str, pid: int, src: str, sids: list[str]) -> dict:
    async with LoadClient(url, args.concurrency) as load, \
            httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as http:
        check = (await http.get(f"/scxml/session/{sids[-1]}/query")).json()["data"]["events"]
        evicted = (await http.post("/ors/evict", params={"idle": 0})).json()["evicted"]
        await asyncio.sleep(0.3)
        after_evict = rss_kib(pid)
        batch = 500
        for done in range(0, args.sessions, batch):
            await start_many(load, src, min(batch, args.sessions - done))
            await asyncio.sleep(0.1)  # let the writer commit, so the sessions may be evicted
            evicted += (await http.post("/ors/evict", params={"idle": 0})).json()["evicted"]
        await asyncio.sleep(0.3)
        final = rss_kib(pid)
        counts = (await http.get("/ors/sessions")).json()["counts"]
        sample = (await http.post(f"/scxml/session/{sids[0]}/query")).json()["data"]["events"]  # restores one
    return {"after_evict": after_evict, "final": final, "evicted": evicted, "counts": counts, "check": check,
            "sample": sample}


def measure_redis(args, workdir: Path, src: str) -> float | None:
    """Events/s with two `serve` processes on one redis-server, each driven by its own client."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.redis_server import RedisServer

    if shutil.which("redis-server") is None:
        return None
    with RedisServer(workdir) as redis_server:
        nodes = []
        try:
            for node in ("a", "b"):
                config = workdir / f"node-{node}.yaml"
                store = {"type": "redis", "url": redis_server.url, "node": node}
                config.write_text("listen: {host: 127.0.0.1, port: 0}\n"
                                  f"store: {json.dumps(store)}\nlogging: {{level: INFO}}\n"
                                  "runtime: {idle_eviction_s: null, max_inflight_events: 1000000}\n")
                nodes.append(serve(config))

            async def sessions_on(url: str) -> list[str]:
                async with LoadClient(url, args.concurrency) as load:
                    return await start_many(load, src, args.sessions // 2)

            parts = []
            half = args.concurrency // 2
            for _, url in nodes:
                sids = loops.run(sessions_on(url))
                parts.append((url, event_jobs(sids, args.events), half))
            rate, failed = saturate_in_processes(parts)
            if failed:
                print(f"  (redis: {failed} events failed)")
            return rate
        finally:
            for proc, _ in nodes:
                proc.terminate()
                proc.wait(30)


def run_all(args, workdir: Path) -> None:
    bare = measure_bare(args)
    (workdir / "bench.scxml").write_text(CHART)
    src = (workdir / "bench.scxml").as_uri()
    proc, url = start_server(workdir, args.flush_ms, args.flow_logs)
    try:
        o = loops.run(measure_openors(args, url, proc.pid, src))
        cpu0 = cpu_seconds(proc.pid)
        events_s, failed = saturate_in_processes([(url, event_jobs(o["sids"], args.events), args.concurrency)])
        event_cpu = (cpu_seconds(proc.pid) - cpu0) / (len(o["sids"]) * args.events)
        _, _, latencies = loops.run(saturate(url, event_jobs(o["sids"], 1), args.concurrency))
        rate = events_s / 2
        jobs = event_jobs(o["sids"], max(1, round(rate * args.open_loop_s / len(o["sids"]))))
        gc.disable()  # as in the client processes
        waited, t0 = runqueue_wait_s(proc.pid), time.perf_counter()
        paced, paced_failed = loops.run(open_loop(url, jobs, rate, 4 * args.concurrency))
        window = time.perf_counter() - t0
        waited = runqueue_wait_s(proc.pid) - waited
        gc.enable()
        m = loops.run(measure_memory(args, url, proc.pid, src, o["sids"]))
    finally:
        proc.terminate()
        proc.wait(30)
    bare_paced = open_loop_on_bare_app(len(jobs), rate, 4 * args.concurrency)
    db = (workdir / "bench.db").stat().st_size
    redis_rate = None if args.no_redis else measure_redis(args, workdir, src)

    n = args.sessions
    print(f"sessions: {n}, events per session: {args.events}, client connections: {args.concurrency}")
    print(f"  bare uvicorn app           {bare['fast']:10.0f} requests/s   (two client processes: "
          f"{bare['two']:.0f}/s); CPU {bare['fast_cpu'] * 1e6:.0f} us per request")
    print(f"  ... on h11 and asyncio     {bare['pure']:10.0f} requests/s")
    print(f"  session start alone        {o['start_alone'] * 1000:10.2f} ms")
    print(f"  sessions started/s         {o['starts_s']:10.0f}   (server CPU {o['start_cpu'] * 1e6:.0f} us per start)")
    print(f"  events/s at saturation     {events_s:10.0f}   ({failed} failed)   "
          f"ratio to the bare app {events_s / bare['fast']:.2f} (h11: {events_s / bare['pure']:.2f}); "
          f"server CPU {event_cpu * 1e6:.0f} us per event ({bare['fast_cpu'] / event_cpu:.2f} of the bare app's)")
    print(f"  latency at saturation      {statistics.median(latencies) * 1000:10.2f} ms p50, "
          f"{pct(latencies, 99) * 1000:.2f} ms p99")
    print(f"  open loop at {rate:6.0f}/s     {statistics.median(paced) * 1000:10.2f} ms p50, "
          f"{pct(paced, 99) * 1000:.2f} ms p99, {pct(paced, 100) * 1000:.1f} ms max "
          f"({len(paced)} events, {paced_failed} failed; 50% of saturation, {n} live sessions)")
    print(f"  ... the bare app, same rate {statistics.median(bare_paced) * 1000:10.2f} ms p50, "
          f"{pct(bare_paced, 99) * 1000:.2f} ms p99, {pct(bare_paced, 100) * 1000:.1f} ms max (the anchor)")
    print(f"  ... the server's loop thread waited {waited * 1000:.0f} ms for a CPU in those {window:.1f} s "
          f"(other processes; load average {os.getloadavg()[0]:.1f})")
    if redis_rate is not None:
        print(f"  2 nodes on one Redis       {redis_rate:10.0f} events/s   ({n // 2} sessions per node)")
    elif not args.no_redis:
        print("  2 nodes on one Redis       (redis-server not installed)")
    print(f"  RSS baseline               {o['base'] / 1024:10.1f} MiB")
    print(f"  memory per live session    {(o['live'] - o['base']) / n:10.1f} KiB   (RSS {o['live'] / 1024:.1f} MiB)")
    print(f"  memory per evicted sess.   {(m['final'] - m['after_evict']) / n:10.2f} KiB   "
          f"(RSS {m['after_evict'] / 1024:.1f} -> {m['final'] / 1024:.1f} MiB over {n} start+evict)")
    print(f"  SQLite file                {db / 1024:10.0f} KiB   ({db / (2 * n):.0f} bytes per session)")
    print(f"  evicted {m['evicted']}, counts {m['counts']}, events seen by the last session: {m['check']}, "
          f"restored one: {m['sample']}")


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
    parser.add_argument("--events", type=int, default=5, help="events per session at saturation")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections (requests in flight)")
    parser.add_argument("--flush-ms", type=int, default=20, help="store batch interval")
    parser.add_argument("--open-loop-s", type=float, default=5.0, help="seconds of open-loop load")
    parser.add_argument("--no-redis", action="store_true", help="skip the two nodes on one Redis")
    parser.add_argument("--timers", type=int, default=0, help="also measure N pending timers (e.g. 100000)")
    parser.add_argument("--flow-logs", choices=sorted(FLOW_LOGS), default="default",
                        help="the server's flow logs: as configured by default, without the datamodel, or off")
    parser.add_argument("--bare-app", type=int, help=argparse.SUPPRESS)  # the anchor's own process
    parser.add_argument("--bare-stack", default="fast", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_app:
        bare_app_main(args.bare_app, args.bare_stack)
        return
    if args.big:
        args.sessions = 10_000
    if args.timers:
        asyncio.run(run_timers(args.timers))
    with tempfile.TemporaryDirectory(prefix="openors-bench-") as tmp:
        run_all(args, Path(tmp))


if __name__ == "__main__":
    main()

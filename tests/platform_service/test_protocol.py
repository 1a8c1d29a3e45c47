"""`openors-platform/1` on a real platform server (in a thread of this process) with a real
WebSocket client: bad frames are answered with an error naming the field and never stop the
platform; events of an interaction carry consecutive sequence numbers and a node that comes back
gets what it missed in order (or the current state when the log no longer has it); new calls go to
exactly one node that serves their routing point; a request with no platform fails with `timeout`."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
import websockets

from openors.platform.clock import RealClock
from openors.platform.events import EventKind
from openors.platform.remote import protocol as p
from openors.platform.remote.client import RemotePlatform
from openors.server.config import ConfigError, load_config
from openors.server.platform_service import PlatformOptions, run_platform

from .services import TOPOLOGY, client


class ThreadPlatform:
    def __init__(self, **options):
        self.options = PlatformOptions(topology=TOPOLOGY, port=0, **options)
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            ready = self.loop.create_future()
            ready.add_done_callback(lambda f: (setattr(self, "url", f.result()), self._ready.set()))
            await run_platform(self.options, ready, self.stop_event)

        asyncio.run(main())

    def __enter__(self) -> ThreadPlatform:
        self._thread.start()
        assert self._ready.wait(15), "the platform did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self._thread.join(10)

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[4:] + p.PATH


@pytest.fixture
def platform():
    with ThreadPlatform(heartbeat_s=5, grace_s=30) as server:
        yield server


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def hello(node: str, claims=(), **serves) -> str:
    return json.dumps({"type": "hello", "protocol": p.PROTOCOL, "node": node, "claims": list(claims),
                       "serves": serves or {}})


async def frames_until(ws, predicate, limit: int = 200, timeout: float = 10) -> list[dict]:
    """Frames up to and including the first one `predicate` accepts."""
    seen = []
    for _ in range(limit):
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"no such frame among {seen[-5:]}")


def call(platform, caller: str = "+15550000001", to: str = "5000") -> str:
    with client(platform.url) as http:
        return http.post("/ors/platform/calls", data={"from": caller, "to": to}).json()["interactionid"]


# --- bad frames -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("frame", "field"), [
    ("not json", "$"),
    ("[1, 2]", "$"),
    ('{"id": "x"}', "type"),
    ('{"type": "dance"}', "type"),
    ('{"type": "request", "action": "route"}', "id"),
    ('{"type": "request", "id": "r1", "action": "fly"}', "action"),
    ('{"type": "request", "id": "r1", "action": "route", "args": [1]}', "args"),
    ('{"type": "request", "id": "r1", "action": "route", "args": {"wings": 2}}', "args"),
    ('{"type": "claim", "claims": [{"interaction": "X", "seq": -1}]}', "claims[0].seq"),
    ('{"type": "claim", "claims": [{"seq": 1}]}', "claims[0].interaction"),
    ('{"type": "query", "id": "q", "what": "everything"}', "what"),
    ('{"type": "request", "id": "r1", "action": "agent_ready", "args": {"agent_id": ["not", "an", "id"]}}',
     "args.agent_id"),
    ('{"type": "request", "id": "r1", "action": "route", "args": {"interaction_id": "X", "destination": 5}}',
     "args.destination"),
    ('{"type": "request", "id": "r1", "action": "start_treatment", "args": {"interaction_id": "X", '
     '"treatment": "music", "duration": "long"}}', "args.duration"),
])
def test_a_bad_frame_gets_an_error_naming_the_field_and_the_link_goes_on(platform, frame, field):
    async def main():
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("bad"))
            await frames_until(ws, lambda f: f["type"] == "welcome")
            await ws.send(frame)
            error = (await frames_until(ws, lambda f: f["type"] == "error"))[-1]
            assert error["field"] == field and error["message"]
            await ws.send(json.dumps({"type": "heartbeat"}))  # still served
            await frames_until(ws, lambda f: f["type"] == "heartbeat")

    run(main())


def test_the_first_frame_must_be_a_hello_in_this_protocol(platform):
    async def main():
        for first, field in ((json.dumps({"type": "heartbeat"}), "type"),
                             (json.dumps({"type": "hello", "protocol": "openors-platform/0", "node": "n"}), "protocol"),
                             (json.dumps({"type": "hello", "protocol": p.PROTOCOL, "node": "a b"}), "node")):
            async with websockets.connect(platform.ws_url) as ws:
                await ws.send(first)
                error = json.loads(await ws.recv())
                assert error["type"] == "error" and error["field"] == field
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)

    run(main())


def test_an_oversized_frame_closes_that_link_only_and_one_node_id_is_one_link(platform):
    async def main():
        async with websockets.connect(platform.ws_url, max_size=None) as ws:
            await ws.send(hello("big"))
            await frames_until(ws, lambda f: f["type"] == "welcome")
            async with websockets.connect(platform.ws_url) as twin:  # same node id: refused
                await twin.send(hello("big"))
                error = json.loads(await twin.recv())
                assert error["field"] == "node" and "already connected" in error["message"]
            await ws.send("x" * (p.MAX_FRAME_BYTES + 1))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                for _ in range(10):
                    await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        async with websockets.connect(platform.ws_url) as ws:  # the platform serves on
            await ws.send(hello("next"))
            assert (await frames_until(ws, lambda f: f["type"] == "welcome"))[-1]["protocol"] == p.PROTOCOL

    run(main())


# --- ordering, replay, offers ---------------------------------------------------------------------------
def test_a_node_that_comes_back_gets_what_it_missed_in_order_then_the_state(platform):
    async def main():
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("N"))
            welcome = (await frames_until(ws, lambda f: f["type"] == "welcome"))[-1]
            ixn = await asyncio.to_thread(call, platform)
            arrived = (await frames_until(ws, lambda f: f.get("event", {}).get("kind") == "interaction.arrived"))[-1]
            assert arrived["interaction"] == ixn and arrived["snapshots"][ixn]["location"] == "5000"
            await ws.send(json.dumps({"type": "request", "id": "N.1", "action": "route",
                                      "args": {"interaction_id": ixn, "destination": "7001"}}))
            await frames_until(ws, lambda f: f["type"] == "outcome" and f["ok"])
            last = arrived["seq"]
        await asyncio.sleep(1.0)  # the call rings alice and she answers while N is away
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("N", [{"interaction": ixn, "epoch": welcome["epoch"], "seq": last}]))
            frames = await frames_until(ws, lambda f: f["type"] == "state" and f["seq"] > last)
            now = [f for f in frames if f["type"] == "state"][0]  # the current view, then the history
            assert now["seq"] == last and now["snapshot"]["state"] == "routed"
            events = [f for f in frames if f["type"] == "event" and f.get("interaction") == ixn]
            assert [f["seq"] for f in events] == list(range(last + 1, last + 1 + len(events)))
            assert all(f.get("replay") for f in events)
            kinds = [f["event"]["kind"] for f in events]
            assert "request.done" in kinds and "party.added" in kinds
            assert frames[-1]["seq"] == events[-1]["seq"] and frames[-1]["snapshot"]["state"] == "routed"
            done = next(f["event"] for f in events if f["event"]["kind"] == "request.done")
            assert done["request_id"] == "N.1"  # the node's own id, not the platform's

    run(main())


def test_claims_of_taken_unknown_old_and_ended_interactions(platform):
    async def main():
        async with websockets.connect(platform.ws_url) as owner:
            await owner.send(hello("P"))
            epoch = (await frames_until(owner, lambda f: f["type"] == "welcome"))[-1]["epoch"]
            ixn = await asyncio.to_thread(call, platform)
            arrived = (await frames_until(owner, lambda f: f.get("event", {}).get("kind") == "interaction.arrived"))[-1]
            async with websockets.connect(platform.ws_url) as other:
                await other.send(hello("Q", [{"interaction": ixn, "epoch": epoch, "seq": 0},
                                             {"interaction": "00000000DEADBEEF", "epoch": epoch, "seq": 0},
                                             {"interaction": ixn, "epoch": "an-older-platform", "seq": 3}]))
                answers = [f for f in await frames_until(other, lambda f: f.get("epoch") == "an-older-platform")
                           if f["type"] in ("taken", "gone")]
                assert [(f["type"], f["interaction"]) for f in answers] == [
                    ("taken", ixn), ("gone", "00000000DEADBEEF"), ("gone", ixn)]
                assert answers[0]["node"] == "P" and "restarted" in answers[2]["reason"]
            await owner.send(json.dumps({"type": "request", "id": "P.1", "action": "terminate",
                                         "args": {"interaction_id": ixn}}))
            await frames_until(owner, lambda f: f.get("event", {}).get("kind") == "interaction.ended")
        async with websockets.connect(platform.ws_url) as back:  # it ended while P was away
            await back.send(hello("P", [{"interaction": ixn, "epoch": epoch, "seq": arrived["seq"]}]))
            frames = await frames_until(back, lambda f: f.get("event", {}).get("kind") == "interaction.ended")
            assert all(f.get("replay") for f in frames if f["type"] == "event")
            await back.send(json.dumps({"type": "heartbeat"}))
            after = await frames_until(back, lambda f: f["type"] == "heartbeat")
            assert not [f for f in after if f["type"] == "state"]  # nothing after the end

    run(main())


def test_beyond_the_replay_log_a_node_gets_the_current_state(platform, monkeypatch):
    monkeypatch.setattr(p, "REPLAY_LOG", 2)  # streams made from now on keep two events

    async def main():
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("N"))
            welcome = (await frames_until(ws, lambda f: f["type"] == "welcome"))[-1]
            ixn = await asyncio.to_thread(call, platform)
            await frames_until(ws, lambda f: f.get("event", {}).get("kind") == "interaction.arrived")
            for i in range(4):
                await ws.send(json.dumps({"type": "request", "id": f"N.{i}", "action": "update_user_data",
                                          "args": {"interaction_id": ixn, "data": {"k": i}}}))
            await frames_until(ws, lambda f: f.get("event", {}).get("request_id") == "N.3")
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("N", [{"interaction": ixn, "epoch": welcome["epoch"], "seq": 1}]))
            frames = await frames_until(ws, lambda f: f["type"] == "state")
            assert not [f for f in frames if f.get("interaction") == ixn and f["type"] == "event"]
            assert frames[-1]["snapshot"]["udata"]["k"] == 3

    run(main())


def test_each_new_call_goes_to_one_node_serving_its_routing_point_least_loaded_first(platform):
    async def main():
        links = {}
        for node, serves in (("one", {}), ("two", {}), ("other", {"routing_points": ["5999"]})):
            ws = links[node] = await websockets.connect(platform.ws_url)
            await ws.send(hello(node, **serves))
            await frames_until(ws, lambda f: f["type"] == "welcome")
        calls = [await asyncio.to_thread(call, platform, f"+1555000000{i}") for i in range(4)]
        offered: dict[str, list[str]] = {}
        for node in ("one", "two"):
            for _ in range(2):
                frame = (await frames_until(links[node], lambda f: f.get("event", {}).get("kind") == "interaction.arrived"))[-1]
                offered.setdefault(node, []).append(frame["interaction"])
        assert sorted(offered["one"] + offered["two"]) == sorted(calls)  # each to exactly one node, 2 and 2
        with pytest.raises(TimeoutError):  # the node serving another routing point gets none
            await frames_until(links["other"], lambda f: f.get("event", {}).get("kind") == "interaction.arrived"
                               and f["interaction"] in calls, limit=50, timeout=1)
        for ws in links.values():
            await ws.close()

    run(main())


def test_a_released_interaction_no_longer_counts_as_the_nodes_load(platform):
    def owns() -> dict:
        with client(platform.url) as http:
            return {n["node"]: n["owns"] for n in http.get("/ors/platform/nodes").json()["nodes"]}

    async def main():
        async with websockets.connect(platform.ws_url) as ws:
            await ws.send(hello("R"))
            await frames_until(ws, lambda f: f["type"] == "welcome")
            ixn = await asyncio.to_thread(call, platform)
            await frames_until(ws, lambda f: f.get("event", {}).get("kind") == "interaction.arrived")
            assert (await asyncio.to_thread(owns))["R"] == 1
            await ws.send(json.dumps({"type": "release", "interactions": [ixn]}))
            await ws.send(json.dumps({"type": "heartbeat"}))
            await frames_until(ws, lambda f: f["type"] == "heartbeat")
            assert (await asyncio.to_thread(owns))["R"] == 0

    run(main())


def test_a_node_that_falls_silent_is_disconnected():
    async def main():
        with ThreadPlatform(heartbeat_s=0.2, grace_s=30) as server:
            async with websockets.connect(server.ws_url) as ws:
                await ws.send(hello("mute"))
                await frames_until(ws, lambda f: f["type"] == "welcome")
                with pytest.raises(websockets.ConnectionClosed):
                    while True:  # no heartbeats from us: closed after three periods
                        await asyncio.wait_for(ws.recv(), 5)

    run(main())


TOKEN = "s3cret-platform-token-0123"


def test_with_a_token_nodes_and_http_clients_must_give_it():
    async def main(server):
        for given, field in ((None, "token"), ("wrong-token-of-some-length", "token")):
            async with websockets.connect(server.ws_url) as ws:
                frame = json.loads(hello("T"))
                if given:
                    frame["token"] = given
                await ws.send(json.dumps(frame))
                error = json.loads(await ws.recv())
                assert error["type"] == "error" and error["field"] == field
        async with websockets.connect(server.ws_url) as ws:
            frame = json.loads(hello("T"))
            frame["token"] = TOKEN
            await ws.send(json.dumps(frame))
            assert (await frames_until(ws, lambda f: f["type"] == "welcome"))[-1]["node"] == "T"

    with ThreadPlatform(token=TOKEN) as server:
        run(main(server))
        with client(server.url) as http:
            refused = http.post("/ors/platform/calls", data={"from": "+15550000009", "to": "5000"})
            assert refused.status_code == 401 and refused.json()["error"] == "Unauthorized"
            placed = http.post("/ors/platform/calls", data={"from": "+15550000009", "to": "5000"},
                               headers={"Authorization": f"Bearer {TOKEN}"})
            assert placed.status_code == 201


def test_a_node_with_the_token_is_welcomed_and_one_without_it_is_not():
    async def main(server):
        welcomed = []
        for token in (TOKEN, None):
            remote = RemotePlatform(server.url, RealClock(), node="N", token=token, reconnect_max_s=0.2)
            welcomed.append(await remote.start(wait_s=2))
            await remote.stop()
        assert welcomed == [True, False]

    with ThreadPlatform(token=TOKEN) as server:
        run(main(server))


def test_the_platform_refuses_to_listen_beyond_loopback_without_a_token(monkeypatch, capsys):
    from openors.cli.main import main as openors

    monkeypatch.delenv(p.TOKEN_ENV, raising=False)
    assert openors(["platform", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert p.TOKEN_ENV in capsys.readouterr().err


# --- the node side ------------------------------------------------------------------------------------
def test_a_request_while_the_platform_is_unreachable_fails_with_timeout_and_says_why():
    async def main():
        remote = RemotePlatform("http://127.0.0.1:9", RealClock(), node="lonely", request_timeout=0.5,
                                reconnect_max_s=0.2)
        failed = asyncio.get_running_loop().create_future()
        remote.subscribe(lambda ev: ev.kind == EventKind.REQUEST_FAILED and not failed.done() and failed.set_result(ev))
        assert await remote.start(wait_s=0.3) is False
        rid = remote.route("0000000000000001", "7001")
        event = await asyncio.wait_for(failed, 5)
        await remote.stop()
        assert event.request_id == rid and event.error == "timeout"
        assert "not connected" in event.description and "127.0.0.1:9" in event.description

    run(main())


@pytest.mark.parametrize(("section", "words"), [
    ({"url": "http://127.0.0.1:8090", "simulator": {}}, "either 'url'"),
    ({"url": "ftp://x"}, "platform.url"),
    ({"url": "http://127.0.0.1:8090", "routing_points": "5000"}, "platform.routing_points"),
    ({"url": "http://127.0.0.1:8090", "request_timeout_s": 0}, "platform.request_timeout_s"),
    ({"url": "http://127.0.0.1:8090", "node": "a b"}, "platform.node"),
    ({"url": "http://127.0.0.1:8090", "colour": "red"}, "colour"),
    ({"simulator": {}, "heartbeat_s": 1}, "platform.heartbeat_s"),
])
def test_remote_platform_config_errors_name_the_field(tmp_path, section, words):
    path = Path(tmp_path / "openors.yaml")
    path.write_text("platform: " + json.dumps(section) + "\n")
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        load_config(path)


def test_remote_platform_config_defaults_the_node_to_the_store_node(tmp_path):
    path = Path(tmp_path / "openors.yaml")
    path.write_text('store: {type: redis, url: "redis://127.0.0.1:1/0", node: B7}\n'
                    'platform: {url: "http://127.0.0.1:8090/", routing_points: ["5000"]}\n')
    config = load_config(path)
    assert config.remote is not None and config.remote.node == "B7" and config.remote.url == "http://127.0.0.1:8090"
    assert config.remote.routing_points == ["5000"] and config.simulator is None

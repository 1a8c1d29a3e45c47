"""Sessions that never stop working, against a real `openors serve`: the server keeps answering,
the offenders are quarantined with their reason, and a restart never replays them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from openors.server.config import load_config

from .serving import ProcessServer, client, wait_for

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'
HEALTHY = f"""{HEAD} initial="idle">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="idle"><transition event="bump"><assign location="n" expr="n + 1"/></transition></state>
</scxml>"""
RUNAWAYS = {
    # every one of them is fed again by its catch-all error handler, as Composer's global handler does
    "eventless": f"""{HEAD} initial="wait"><state id="wait"><transition event="go" target="a"/></state>
      <state id="a"><transition target="b"/><transition event="error" target="a"/></state>
      <state id="b"><transition target="a"/></state></scxml>""",
    "raise": f"""{HEAD} initial="wait"><state id="wait"><transition event="go" target="a"/></state>
      <state id="a"><onentry><raise event="r"/></onentry><transition event="r" target="a"/>
        <transition event="error" target="a"/></state></scxml>""",
    "send-to-self": f"""{HEAD} initial="wait"><state id="wait"><transition event="go" target="a"/></state>
      <state id="a"><onentry><send event="r"/></onentry><transition event="r" target="a"/></state></scxml>""",
    "spin": f"""{HEAD} initial="wait"><state id="wait"><transition event="go" target="a"/></state>
      <state id="a"><onentry><script>while (true) {{}}</script></onentry>
        <transition event="error" target="a"/></state></scxml>""",
}
# Armed by a delayed send, so it goes off after a restart as well.
POISON = f"""{HEAD}><state id="armed"><onentry><send event="boom" delay="1500ms"/></onentry>
  <transition event="boom" target="spin"/></state>
  <state id="spin"><onentry><script>while (true) {{}}</script></onentry><transition event="error" target="spin"/></state>
</scxml>"""


def _site(tmp_path, charts: dict[str, str], budgets: dict | None = None):
    lines = ["listen: {host: 127.0.0.1, port: 0}", "store: {type: sqlite, path: store.db}", "applications:"]
    for name, text in charts.items():
        path = tmp_path / f"{name}.scxml"
        path.write_text(text)
        lines.append(f"  {name}: {path.as_uri()}")
    if budgets:
        lines.append("budgets: " + json.dumps(budgets))
    config = tmp_path / "openors.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def _quarantined(http) -> dict[str, dict]:
    return {q["sessionid"]: q for q in http.get("/ors/quarantine").json()["quarantined"]}


def test_runaway_sessions_are_quarantined_while_a_healthy_one_keeps_its_answers(tmp_path):
    server = ProcessServer(_site(tmp_path, {"healthy": HEALTHY, **RUNAWAYS}), tmp_path / "server.log").start()
    try:
        with client(server.url) as http:
            healthy = http.post("/scxml/session/start", data={"src": "healthy"}).json()["sessionid"]
            runaways = {name: http.post("/scxml/session/start", data={"src": name}).json()["sessionid"]
                        for name in RUNAWAYS}
            for sid in runaways.values():
                assert http.post(f"/scxml/session/{sid}/event/go").status_code == 200
            for _ in range(20):
                assert http.post(f"/scxml/session/{healthy}/event/bump").status_code == 200
            assert http.get("/ors/help").status_code == 200
            quarantined = wait_for(lambda: (q := _quarantined(http)).keys() >= set(runaways.values()) and q)
            reasons = {name: quarantined[sid]["reason"] for name, sid in runaways.items()}
            assert reasons["eventless"] == "microsteps" and reasons["raise"] == "microsteps"
            assert reasons["send-to-self"] == "events"
            assert reasons["spin"] in ("cpu", "eval_cpu")
            assert all(quarantined[sid]["description"] for sid in runaways.values())
            wait_for(lambda: http.get(f"/scxml/session/{healthy}/query").json()["data"]["n"] == 20)

            refused = http.post(f"/scxml/session/{runaways['spin']}/event/go")
            assert refused.status_code == 409 and refused.json()["error"] == "SessionQuarantined"
            listed = {s["sessionid"]: s["status"] for s in http.get("/ors/sessions").json()["sessions"]}
            assert listed[runaways["spin"]] == "quarantined" and listed[healthy] == "running"
            metrics = http.get("/metrics").text
            assert 'ors_budget_breaches_total{budget="microsteps"}' in metrics
            assert "ors_quarantined_sessions 4.0" in metrics

            assert http.delete(f"/ors/quarantine/{runaways['raise']}").json()["status"] == "released"
            assert runaways["raise"] not in _quarantined(http)
            assert http.delete(f"/ors/quarantine/{runaways['raise']}").status_code == 404
    finally:
        server.terminate()


def test_a_poison_pill_armed_before_kill_9_is_quarantined_after_the_restart_and_never_replayed(tmp_path):
    config = _site(tmp_path, {"poison": POISON, "healthy": HEALTHY})
    log = tmp_path / "server.log"
    first = ProcessServer(config, log).start()
    with client(first.url) as http:
        poison = http.post("/scxml/session/start", data={"src": "poison"}).json()["sessionid"]
    first.kill()  # before the delayed send goes off

    second = ProcessServer(config, log).start()
    with client(second.url) as http:
        healthy = http.post("/scxml/session/start", data={"src": "healthy"}).json()["sessionid"]
        wait_for(lambda: poison in _quarantined(http))
        assert http.post(f"/scxml/session/{healthy}/event/bump").status_code == 200
        with sqlite3.connect(tmp_path / "store.db") as db:  # kept in the store, marked
            wait_for(lambda: "quarantined" in json.loads(
                db.execute("SELECT snapshot FROM sessions WHERE id = ?", (poison,)).fetchone()[0]))
    second.kill()

    third = ProcessServer(config, log).start()
    with client(third.url) as http:
        assert _quarantined(http)[poison]["reason"] in ("cpu", "eval_cpu")
        assert http.get(f"/scxml/session/{healthy}/query").status_code == 200
    assert third.terminate() == 0


def test_a_session_that_cannot_be_restored_is_quarantined_and_start_up_goes_on(tmp_path):
    config = _site(tmp_path, {"healthy": HEALTHY})
    log = tmp_path / "server.log"
    first = ProcessServer(config, log).start()
    with client(first.url) as http:
        good = http.post("/scxml/session/start", data={"src": "healthy"}).json()["sessionid"]
        bad = http.post("/scxml/session/start", data={"src": "healthy"}).json()["sessionid"]
    assert first.terminate() == 0
    with sqlite3.connect(tmp_path / "store.db") as db:  # a snapshot naming a state the document lacks
        snap = json.loads(db.execute("SELECT snapshot FROM sessions WHERE id = ?", (bad,)).fetchone()[0])
        snap["interpreter"]["configuration"] = ["nowhere"]
        snap["external_queue"] = [{"name": "bump", "type": "external"}]  # restored at once, not lazily
        db.execute("UPDATE sessions SET snapshot = ? WHERE id = ?", (json.dumps(snap), bad))

    second = ProcessServer(config, log).start()
    with client(second.url) as http:
        entry = _quarantined(http)[bad]
        assert entry["reason"] == "restore" and "nowhere" in entry["description"]
        assert http.post(f"/scxml/session/{good}/event/bump").status_code == 200
    assert second.terminate() == 0


def test_budgets_from_the_configuration_reach_the_sessions(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("budgets: {eval_cpu_ms: 50, macrostep_cpu_ms: 80, memory_mb: 32, microsteps: 500,"
                    " events_per_second: 100, dispatch_slice_ms: 2}\n")
    settings = load_config(path).runtime
    budgets = settings.budgets
    assert (budgets.eval_cpu, budgets.macrostep_cpu) == (pytest.approx(0.05), pytest.approx(0.08))
    assert (budgets.memory, budgets.microsteps, budgets.events_per_second) == (32 * 1024 * 1024, 500, 100)
    assert settings.dispatch_slice == pytest.approx(0.002)

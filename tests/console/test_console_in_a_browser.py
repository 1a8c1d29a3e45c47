"""The console in headless chromium against a real `openors demo`: live operations, a session's
chart and history, the debugger, and the API docs without network."""

from __future__ import annotations

import httpx
import pytest

from tests.server.serving import CHARTS, wait_for

pytestmark = pytest.mark.browser

WAITER = (CHARTS / "waiter.scxml").as_uri()


def api(demo) -> httpx.Client:
    return httpx.Client(base_url=demo.url, timeout=5, trust_env=False)


def test_the_console_shows_the_demo_agents_calls_and_sessions_live(demo, page):
    page.page.goto(f"{demo.url}/")
    for agent in ("alice", "bob", "carol", "dave"):
        page.page.wait_for_selector(f"tr[data-agent='{agent}']", timeout=10_000)
    page.page.wait_for_selector("tr[data-session] a", timeout=15_000)  # a call's strategy is running
    assert "Offered" in page.page.inner_text("#kpis")
    with api(demo) as http:
        http.post("/ors/platform/calls", data={"from": "+15550004242", "to": "5003"})
    # the feed updates without a reload: the new caller appears among sessions or waiting calls
    page.page.wait_for_function("document.body.innerText.includes('+15550004242')", timeout=15_000)
    page.shot("operations")
    # the caller's flow log is found by ANI
    page.page.click("nav a[data-nav='flowlogs']")
    page.page.select_option("#search-field", "ani")
    page.page.fill("#search-value", "+15550004242")
    page.page.press("#search-value", "Enter")
    page.page.wait_for_function("document.querySelectorAll('main table tr').length === 2", timeout=10_000)
    assert "+15550004242" in page.page.inner_text("main table")
    page.shot("flowlogs")


def test_a_session_page_highlights_the_active_state_and_steps_through_its_history(demo, page):
    with api(demo) as http:
        ended = wait_for(lambda: [f for f in http.get("/ors/flowlogs").json()["flowlogs"]
                                  if f["status"] == "ended" and f["final"] and f["entries"] > 6], timeout=30)
        sid = ended[0]["session"]
        entries = http.get(f"/ors/flowlogs/{sid}").json()["entries"]
    configurations = [e["configuration"] for e in entries if e["kind"] == "macrostep" and not e.get("child")]
    assert len(configurations) >= 2
    page.page.goto(f"{demo.url}/#/session/{sid}")
    page.page.wait_for_selector("svg.chart rect.active", timeout=10_000)

    def highlighted() -> set[str]:
        return set(page.page.eval_on_selector_all("svg.chart rect.active", "els => els.map(e => e.dataset.state)"))

    drawn = set(page.page.eval_on_selector_all("svg.chart rect", "els => els.map(e => e.dataset.state)"))
    assert highlighted() == set(configurations[-1]) & drawn
    assert page.page.inner_text("#session-status") == "ended"
    page.shot("history-last")
    # back to the first macrostep: its configuration is highlighted, its events marked in the timeline
    for _ in range(len(configurations) + 2):
        if page.page.is_disabled("#step-back"):
            break
        page.page.click("#step-back")
    assert page.page.inner_text("#step-where").startswith("macrostep 1 of")
    assert highlighted() == set(configurations[0]) & drawn
    assert page.page.locator("#timeline div.cur").count() >= 1
    page.page.click("#step-forward")
    assert page.page.inner_text("#step-where").startswith("macrostep 2 of")
    assert highlighted() == set(configurations[1]) & drawn
    page.shot("history-first")


def test_a_breakpoint_pauses_a_session_and_continuing_resumes_it(demo, page):
    with api(demo) as http:
        sid = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "600000"}).json()["sessionid"]

        def count() -> int:
            return http.get(f"/scxml/session/{sid}/query").json()["data"]["n"]

        page.page.goto(f"{demo.url}/#/session/{sid}")
        page.page.wait_for_selector("svg.chart rect.active[data-state='waiting']", timeout=10_000)
        page.page.click("svg.chart rect[data-state='finished']")  # a state breakpoint, from the chart
        page.page.wait_for_selector("svg.chart rect.breakpoint[data-state='finished']", timeout=5_000)
        page.page.fill("#bp-event", "bump")
        page.page.click("#bp-add")
        page.page.wait_for_function("document.querySelector('#bp-list').innerText.includes('event bump')",
                                    timeout=5_000)
        http.post(f"/scxml/session/{sid}/event/bump")
        page.page.wait_for_function(
            "document.querySelector('#session-status').innerText.startsWith('paused: breakpoint on event bump')",
            timeout=10_000)
        assert count() == 0  # held: the event waits in the session's queue
        page.shot("paused")
        page.page.fill("#var-location", "n")
        page.page.fill("#var-expr", "n + 10")
        page.page.click("#var-set")
        wait_for(lambda: count() == 10)
        page.page.click("#dbg-continue")
        wait_for(lambda: count() == 11)
        page.page.wait_for_function("document.querySelector('#session-status').innerText === 'running'",
                                    timeout=10_000)
        http.post(f"/scxml/session/{sid}/event/tick")  # enters `finished`: the state breakpoint pauses it
        page.page.wait_for_function(
            "document.querySelector('#session-status').innerText.startsWith('paused: breakpoint on state finished')",
            timeout=10_000)
        page.page.wait_for_selector("svg.chart rect.active[data-state='finished']", timeout=10_000)
        page.shot("state-breakpoint")
        page.page.click("#dbg-continue")
        http.post(f"/scxml/session/{sid}/terminate")


def test_the_api_docs_render_without_any_outside_network(demo, page):
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(demo.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.page.route("**/*", only_local)
    page.page.goto(f"{demo.url}/docs")
    page.page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "OpenORS" in page.page.inner_text(".swagger-ui .info .title")
    page.page.wait_for_selector(".opblock-summary-path", timeout=10_000)
    paths = page.page.eval_on_selector_all(".opblock-summary-path", "els => els.map(e => e.innerText)")
    assert any("/scxml/session/start" in p.replace("\u200b", "") for p in paths), paths[:5]
    page.shot("swagger")
    page.page.goto(f"{demo.url}/redoc")
    page.page.wait_for_selector("h1", timeout=15_000)
    assert "OpenORS" in page.page.inner_text("h1")
    page.shot("redoc")
    assert outside == []

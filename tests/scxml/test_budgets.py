"""A chart that never stops working can't hang its host: budgets end it, and its neighbours carry on."""

from openors.scxml import SessionHost, VirtualClock, load_string
from openors.scxml.budgets import Budgets
from openors.scxml.extensions import Extensions

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'

HEALTHY = f"""{HEAD} initial="idle">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="idle"><transition event="go" target="done"><assign location="n" expr="n + 1"/></transition></state>
  <final id="done"/>
</scxml>"""


def _host(**budgets) -> SessionHost:
    return SessionHost(VirtualClock(), budgets=Budgets(**budgets))


def _start(host: SessionHost, text: str, extensions=None):
    return host.start_session(load_string(text, None, extensions) if extensions else load_string(text))


def test_eventless_ping_pong_is_stopped_and_the_session_may_handle_the_error():
    host = _host()
    session = _start(host, f"""{HEAD} initial="loop">
      <state id="loop" initial="a">
        <state id="a"><transition target="b"/></state>
        <state id="b"><transition target="a"/></state>
        <transition event="error.budget.microsteps" target="safe"/>
      </state>
      <final id="safe"/>
    </scxml>""")
    host.run_until_idle()
    assert session.final_state == "safe"
    assert session.stopped_by is None


def test_a_raise_loop_is_broken_and_the_session_still_answers_events():
    host = _host()
    session = _start(host, f"""{HEAD}>
      <state id="s"><onentry><raise event="again"/></onentry><transition event="again" target="s"/>
        <transition event="quit" target="out"/></state>
      <final id="out"/>
    </scxml>""")
    host.run_until_idle()  # returns: the internal events that fed the loop were dropped
    assert not session.is_done
    session.send("quit")
    host.run_until_idle()
    assert session.final_state == "out"


def test_a_loop_fed_again_by_its_error_handler_ends_with_its_reason():
    host = _host()
    session = _start(host, f"""{HEAD}>
      <state id="s"><onentry><raise event="again"/></onentry><transition event="again" target="s"/>
        <transition event="error" target="s"/></state>
    </scxml>""")
    host.run_until_idle()
    assert session.is_done and session.final_state is None
    assert session.stopped_by.budget == "microsteps"
    assert session.id not in host.sessions


def test_a_send_to_itself_without_delay_ends_under_the_virtual_clock():
    host = _host(events_per_second=200)
    session = _start(host, f"""{HEAD}>
      <state id="s"><onentry><send event="tick"/></onentry><transition event="tick" target="s"/></state>
    </scxml>""")
    host.run_until_idle()  # returns: the loop takes every event at one virtual instant
    assert session.stopped_by.budget == "events"
    assert host.clock.now() == 0


def test_events_spread_over_time_stay_within_the_events_budget():
    host = _host(events_per_second=5)
    session = _start(host, f"""{HEAD}>
      <datamodel><data id="n" expr="0"/></datamodel>
      <state id="s">
        <onentry><send event="tick" delay="0.5s"/></onentry>
        <transition event="tick" cond="n &lt; 40" target="s"><assign location="n" expr="n + 1"/></transition>
        <transition event="tick" target="done"/>
      </state>
      <final id="done"/>
    </scxml>""")
    host.run_until_idle()
    assert session.final_state == "done" and session.stopped_by is None


def test_a_spinning_script_is_ended_and_a_healthy_neighbour_finishes():
    host = _host(eval_cpu=0.01, macrostep_cpu=0.015)
    spinner = _start(host, f"""{HEAD}>
      <state id="spin"><onentry><script>while (true) {{}}</script></onentry>
        <transition event="error" target="spin"/></state>
    </scxml>""")
    healthy = _start(host, HEALTHY)
    healthy.send("go")
    host.run_until_idle()
    assert spinner.stopped_by is not None and spinner.stopped_by.budget in ("cpu", "eval_cpu")
    assert healthy.final_state == "done"


def test_a_global_error_handler_that_reenters_a_failing_state_is_ended():
    # What Composer applications do by accident: the handler goes back to the block that fails.
    host = _host()
    session = _start(host, f"""{HEAD} initial="app">
      <state id="app" initial="block">
        <state id="block"><onentry><assign location="x" expr="missing.field"/></onentry></state>
        <transition event="error" target="block"/>
      </state>
    </scxml>""")
    host.run_until_idle()
    assert session.is_done and session.stopped_by is not None


def test_a_long_evaluation_fails_like_a_script_error_and_the_session_carries_on():
    host = _host(eval_cpu=0.01, macrostep_cpu=0.5)
    session = _start(host, f"""{HEAD}>
      <state id="s"><onentry><script>while (true) {{}}</script></onentry>
        <transition event="error.execution" cond="_event.data.message.indexOf('CPU budget') &gt;= 0"
                    target="recovered"/></state>
      <final id="recovered"/>
    </scxml>""")
    host.run_until_idle()
    assert session.final_state == "recovered"


def test_breaches_are_reported_to_the_host_with_the_budget_broken():
    host = _host()
    seen = []
    host.listeners.on("budget_breached", lambda session, breach, ended: seen.append((breach.budget, ended)))
    _start(host, f"""{HEAD}>
      <state id="s"><onentry><raise event="again"/></onentry><transition event="again" target="s"/>
        <transition event="error" target="s"/></state>
    </scxml>""")
    host.run_until_idle()
    assert seen == [("microsteps", False), ("microsteps", True)]


class _Broken:
    def execute(self, ctx, node):
        raise KeyError("a bug in an extension")


def test_a_python_exception_in_an_action_is_an_error_event_not_a_silent_end():
    ext = Extensions()
    ext.register_action("urn:test", "broken", _Broken())
    host = _host()
    session = _start(host, f"""{HEAD} xmlns:t="urn:test">
      <state id="s"><onentry><t:broken/></onentry>
        <transition event="error.execution" cond="_event.data.message.indexOf('KeyError') &gt;= 0"
                    target="handled"/></state>
      <final id="handled"/>
    </scxml>""", ext)
    host.run_until_idle()
    assert session.final_state == "handled"


def test_an_ended_session_leaves_no_timers_behind():
    host = _host()
    session = _start(host, f"""{HEAD}>
      <state id="s"><onentry><send event="later" delay="1h"/><raise event="again"/></onentry>
        <transition event="again" target="s"/><transition event="error" target="s"/></state>
    </scxml>""")
    host.run_until_idle()
    assert session.stopped_by is not None
    assert not session.pending_sends and host.clock.now() == 0


def test_an_invoked_child_ended_by_its_budgets_is_reported_to_its_parent():
    host = _host()
    parent = _start(host, f"""{HEAD}>
      <state id="waiting">
        <invoke id="child"><content>
          <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
            <state id="s"><onentry><raise event="again"/></onentry><transition event="again" target="s"/>
              <transition event="error" target="s"/></state>
          </scxml>
        </content></invoke>
        <transition event="error.budget.microsteps" cond="_event.data.invokeid === 'child'" target="told"/>
        <transition event="done.invoke.child" target="wrong"/>
      </state>
      <final id="told"/><final id="wrong"/>
    </scxml>""")
    host.run_until_idle()
    assert parent.final_state == "told"

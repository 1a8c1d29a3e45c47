"""What a chart author relies on at run time: limits, isolation, time, system variables."""

from openors.scxml import SessionHost, VirtualClock, load_string

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'


def _chart(body: str, extra: str = "") -> str:
    return f"{HEAD} {extra}>{body}</scxml>"


def _run(text: str, host=None, **opts):
    host = host or SessionHost(VirtualClock(), datamodel_options=opts or None)
    session = host.start_session(load_string(text))
    host.run_until_idle()
    return session


def test_runaway_script_is_interrupted_and_the_session_carries_on():
    chart = _chart("""
      <state id="s0">
        <onentry><script>while (true) {}</script><log expr="'not reached'"/></onentry>
        <transition event="error.execution" target="recovered"/>
      </state>
      <final id="recovered"><onentry><log label="after" expr="1 + 1"/></onentry></final>""")
    session = _run(chart, time_limit=0.2)
    assert session.final_state == "recovered"
    assert session.log == [("after", 2)]


def test_memory_limit_holds_and_the_context_stays_usable():
    chart = _chart("""
      <datamodel><data id="big" expr="[]"/></datamodel>
      <state id="s0">
        <onentry><script>while (true) { big.push(new Array(100000).fill(1)); }</script></onentry>
        <transition event="error.execution" target="recovered"><assign location="big" expr="null"/></transition>
      </state>
      <final id="recovered"><onentry><log expr="[1,2,3].length"/></onentry></final>""")
    session = _run(chart, memory_limit=16 * 1024 * 1024, time_limit=10)
    assert session.final_state == "recovered"
    assert session.log == [(None, 3)]


def test_one_sessions_error_does_not_touch_another():
    host = SessionHost(VirtualClock())
    broken = load_string(_chart("""
      <datamodel><data id="x" expr="1"/></datamodel>
      <state id="s0"><onentry><assign location="x" expr="undefinedThing.field"/></onentry>
        <transition event="error.execution" target="failed"/></state>
      <final id="failed"/>"""))
    healthy = load_string(_chart("""
      <datamodel><data id="x" expr="41"/></datamodel>
      <state id="s0"><transition event="go" target="ok"><assign location="x" expr="x + 1"/></transition></state>
      <final id="ok"><onentry><log expr="x"/></onentry></final>"""))
    a = host.start_session(broken)
    b = host.start_session(healthy)
    b.send("go")
    host.run_until_idle()
    assert a.final_state == "failed"
    assert b.final_state == "ok" and b.log == [(None, 42)]


def test_each_session_has_its_own_variables():
    chart = load_string(_chart("""
      <datamodel><data id="n" expr="0"/></datamodel>
      <state id="s0"><transition event="inc" target="s0"><assign location="n" expr="n + 1"/></transition>
        <transition event="stop" target="end"/></state>
      <final id="end"><onentry><log expr="n"/></onentry></final>"""))
    host = SessionHost(VirtualClock())
    a, b = host.start_session(chart), host.start_session(chart)
    for _ in range(3):
        a.send("inc")
    b.send("inc")
    a.send("stop")
    b.send("stop")
    assert (a.log, b.log) == ([(None, 3)], [(None, 1)])


def test_delayed_sends_complete_at_once_in_virtual_time_and_in_due_order():
    chart = _chart("""
      <state id="s0">
        <onentry>
          <send event="third" delay="30s"/><send event="first" delay="1s"/>
          <send event="second" delay="2500ms"/><send event="also.third" delay="30s"/>
        </onentry>
        <transition event="*"><log expr="_event.name"/></transition>
      </state>""")
    host = SessionHost(VirtualClock())
    session = _run(chart, host)
    assert [v for _, v in session.log] == ["first", "second", "third", "also.third"]
    assert host.clock.now() == 30.0


def test_cancel_stops_a_pending_delayed_send():
    chart = _chart("""
      <state id="s0">
        <onentry><send id="t" event="timeout" delay="10s"/><send event="other" delay="1s"/></onentry>
        <transition event="other" target="s1"><cancel sendid="t"/></transition>
      </state>
      <state id="s1"><transition event="timeout" target="bad"/></state>
      <final id="bad"/>""")
    session = _run(chart)
    assert session.configuration == ["s1"] and session.final_state is None


def test_system_variables_are_read_only_and_informative():
    chart = _chart("""
      <state id="s0">
        <onentry>
          <log label="name" expr="_name"/>
          <log label="sid" expr="_sessionid.length > 0"/>
          <log label="loc" expr="_ioprocessors['http://www.w3.org/TR/scxml/#SCXMLEventProcessor'].location"/>
          <assign location="_sessionid" expr="'hijack'"/>
        </onentry>
        <transition event="error.execution" target="end"/>
      </state>
      <final id="end"/>""", 'name="billing"')
    session = _run(chart)
    assert session.final_state == "end"
    assert session.log[:2] == [("name", "billing"), ("sid", True)]
    assert session.log[2] == ("loc", f"#_scxml_{session.id}")


def test_event_fields_reach_the_chart():
    chart = _chart("""
      <state id="s0">
        <transition event="order.placed" target="end">
          <log label="data" expr="_event.data.amount * 2"/>
          <log label="type" expr="_event.type"/>
        </transition>
      </state>
      <final id="end"/>""")
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(chart))
    session.send("order.placed", {"amount": 21})
    assert session.log == [("data", 42), ("type", "external")]


def test_in_predicate_sees_parallel_regions():
    chart = _chart("""
      <parallel id="p">
        <state id="a"><state id="a1"><transition event="go" cond="In('b2')" target="a2"/></state><state id="a2"/></state>
        <state id="b"><state id="b1"><transition event="move" target="b2"/></state><state id="b2"/></state>
      </parallel>""")
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(chart))
    session.send("go")
    assert "a1" in session.configuration
    session.send("move")
    session.send("go")
    assert {"a2", "b2"} <= set(session.configuration)


def test_a_data_item_without_a_value_is_undefined_not_null():
    # B.2.2 (test445 only checks `== undefined`, which null passes too): Composer IPDs set their
    # defaults with `if (typeof _data.X == "undefined")`.
    for binding in ("early", "late"):
        chart = _chart("""
          <datamodel><data id="top"/></datamodel>
          <state id="s0">
            <datamodel><data id="inner"/></datamodel>
            <onentry><log label="types" expr="typeof top + ',' + typeof inner"/></onentry>
          </state>""", f'binding="{binding}"')
        assert _run(chart).log == [("types", "undefined,undefined")], binding

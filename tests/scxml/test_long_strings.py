"""Long strings built by a chart cross to the host whole (QuickJS-ng keeps them as ropes)."""

from openors.scxml import SessionHost, VirtualClock, load_string

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'


def test_a_long_concatenation_is_logged_assigned_and_sent_whole():
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(f"""{HEAD}>
      <datamodel><data id="long" expr="'x'.repeat(900)"/></datamodel>
      <state id="s">
        <onentry>
          <log label="joined" expr="'ERROR: ' + long + long"/>
          <script>var last = 'a'.repeat(700) + 'b'.repeat(700);</script>
          <script>'c'.repeat(700) + 'd'.repeat(700)</script>
          <send event="echo"><param name="text" expr="long + long"/></send>
        </onentry>
        <transition event="echo" cond="_event.data.text.length === 1800" target="done"/>
        <transition event="error" target="failed"/>
      </state>
      <final id="done"/><final id="failed"/>
    </scxml>"""))
    host.run_until_idle()
    assert session.final_state == "done"
    label, value = session.log[0]
    assert label == "joined" and len(value) == 7 + 1800

"""What the interpreter's shortcuts must never change: the order in which transitions and content
run, what In() sees while states exit and enter, and events sent in from outside."""

from openors.scxml import SessionHost, VirtualClock, load_string
from openors.scxml.session import Session

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'


def _session(body: str) -> Session:
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(f"{HEAD} initial='p'>{body}</scxml>"))
    host.run_until_idle()
    return session


REGIONS = """
  <parallel id="p">
    <state id="r1" initial="a1">
      <state id="a1"><transition event="move" target="a2"/></state>
      <state id="a2"><transition event="tick"><log label="r1" expr="'a2'"/></transition></state>
    </state>
    <state id="r2" initial="b1">
      <state id="b1"><transition event="tick"><log label="r2" expr="'b1'"/></transition></state>
    </state>
  </parallel>"""


def test_transitions_run_in_document_order_after_one_region_changed_state():
    session = _session(REGIONS)
    session.send("move")  # r1 leaves a1 for a2 while r2 stays in b1
    session.send("tick")
    assert session.configuration == ["p", "r1", "a2", "r2", "b1"]
    assert session.log == [("r1", "a2"), ("r2", "b1")]  # a2 comes before b1 in the document


def test_in_sees_states_exited_before_and_not_those_still_to_exit():
    session = _session("""
      <parallel id="p">
        <state id="r1"><onexit><log label="r1 sees r2" expr="In('r2')"/></onexit></state>
        <state id="r2"><onexit><log label="r2 sees r1" expr="In('r1')"/></onexit></state>
        <transition event="leave" target="out"/>
      </parallel>
      <state id="out"><onentry><log label="out sees p" expr="In('p')"/></onentry></state>""")
    session.send("leave")
    # Exit runs in reverse document order: r2 first (r1 still active), then r1 (r2 gone).
    assert session.log == [("r2 sees r1", True), ("r1 sees r2", False), ("out sees p", False)]


def test_an_entered_state_sees_itself_and_its_ancestors_in_its_onentry():
    session = _session("""
      <state id="p" initial="outer">
        <state id="outer" initial="inner">
          <state id="inner"><onentry><log label="inner" expr="[In('p'), In('outer'), In('inner')]"/></onentry></state>
        </state>
      </state>""")
    assert session.log == [("inner", [True, True, True])]


def test_an_event_sent_in_runs_its_macrostep_and_what_it_queued_for_others():
    host = SessionHost(VirtualClock())
    receiver = host.start_session(load_string(f"""{HEAD} initial="wait">
      <state id="wait"><transition event="ping" target="got"/></state><final id="got"/></scxml>"""))
    sender = host.start_session(load_string(f"""{HEAD} initial="s">
      <datamodel><data id="to" expr="''"/></datamodel>
      <state id="s"><transition event="go">
        <send event="ping" targetexpr="'#_scxml_' + to"/></transition></state></scxml>"""))
    sender.interpreter.datamodel.evaluate(f"to = {receiver.id!r}")
    sender.send("go")
    assert receiver.final_state == "got"  # delivered and run within the same send()

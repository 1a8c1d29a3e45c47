"""The ORS dialect, rule by rule: ORS documents get ORS meaning, W3C documents keep theirs."""

import pytest

from openors.ors.extensions import ors_extensions
from openors.scxml import SessionHost, VirtualClock, load_string

ORS_HEAD = ('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:queue="http://www.genesyslab.com/modules/queue"'
            ' xmlns:ixn="www.genesyslab.com/modules/interaction" version="1.0" profile="ecmascript"')
W3C_HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'


def run(text: str, events=(), url="file:///apps/strategy.scxml"):
    host = SessionHost(VirtualClock())
    seen = []
    host.listeners.on("event_taken", lambda s, e: seen.append(e))
    session = host.start_session(load_string(text, url, ors_extensions()))
    for name in events:
        session.send(name)
    host.run_until_idle()
    session.events = seen
    return session


def ors(body: str, extra: str = "") -> str:
    return f"{ORS_HEAD} {extra}>{body}</scxml>"


def test_a_document_is_ors_when_it_declares_a_genesys_namespace():
    doc = load_string(ors('<state id="s"/>'), extensions=ors_extensions())
    assert doc.dialect is not None and doc.dialect.name == "ors"


@pytest.mark.parametrize("marker", ['profile="ecmascript"', '_type="routingstrategy"', '_persist="false"'])
def test_profile_or_genesys_attributes_mark_an_ors_document(marker):
    doc = load_string(f'<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" {marker}><state id="s"/></scxml>',
                      extensions=ors_extensions())
    assert doc.dialect is not None


def test_a_plain_w3c_document_keeps_its_meaning():
    # In W3C SCXML `event` is a literal name: the quotes are part of it.
    chart = f"""{W3C_HEAD}><state id="s"><onentry><send event="'quoted'"/></onentry>
      <transition event="'quoted'" target="w3c"/><transition event="quoted" target="ors"/></state>
      <final id="w3c"/><final id="ors"/></scxml>"""
    assert run(chart).final_state == "w3c"


def test_send_event_and_delay_are_expressions():
    chart = ors("""<datamodel><data id="wait" expr="'2s'"/></datamodel>
      <state id="s"><onentry><send event="'Entry1.' + 'done'" delay="wait"/></onentry>
        <transition event="Entry1.done" target="end"/></state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end"
    assert session.host.clock.now() == 2.0


def test_send_to_a_session_id_with_targettype_scxml():
    chart = ors("""<state id="s"><onentry><send event="'ping'" target="_sessionid" targettype="'scxml'"/></onentry>
        <transition event="ping" target="end"/></state><final id="end"/>""")
    assert run(chart).final_state == "end"


def test_event_element_raises_an_internal_event():
    chart = ors("""<state id="s"><onentry><event name="go.on"/></onentry>
        <transition event="go.on" target="end"/></state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end"
    assert [e.type for e in session.events if e.name == "go.on"] == ["internal"]


def test_raise_with_params_carries_them_as_data():
    chart = ors("""<state id="s"><onentry>
          <raise event="error.com.genesyslab.composer.noudata"><param name="description" expr="'no data ' + 7"/></raise>
        </onentry>
        <transition event="error" target="end"><log expr="_event.data.description"/></transition></state>
      <final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end" and session.log == [(None, "no data 7")]


def test_cancel_sendid_is_an_expression_and_reports_its_result():
    chart = ors("""<datamodel><data id="App_UserData1" expr="({})"/></datamodel>
      <state id="s">
        <onentry><send event="'UserData1.wait.timeout'" idlocation="App_UserData1['requestid']" delay="'10s'"/>
          <cancel sendid="App_UserData1['requestid']"/></onentry>
        <transition event="cancel.successful" target="again"/>
      </state>
      <state id="again"><onentry><cancel sendid="App_UserData1['requestid']"/></onentry>
        <transition event="error.notallowed" target="end"/>
        <transition event="UserData1.wait.timeout" target="bad"/></state>
      <final id="end"/><final id="bad"/>""")
    assert run(chart).final_state == "end"


def test_log_level_and_label_are_accepted():
    chart = ors("""<state id="s"><onentry><log expr="'x'" label="L" level="2"/></onentry>
        <transition target="end"/></state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end" and session.log == [("L", "x")]


def test_script_errors_get_ors_error_names_with_document_element_and_line():
    chart = ors("""<state id="s">
        <onentry>
          <script>notDefined.call();</script>
        </onentry>
        <transition event="error.script" target="end">
          <log expr="_event.name + '|' + _event.data.element + '|' + _event.data.linenumber + '|' + _event.data.document"/>
        </transition></state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end"
    assert session.log == [(None, "error.script.ReferenceError|script|3|file:///apps/strategy.scxml")]
    assert not any(e.name == "error.execution" for e in session.events)


def test_bad_condition_raises_error_illegalcond_caught_by_the_error_prefix():
    chart = ors("""<state id="s"><transition cond="nothing.here" target="bad"/>
        <transition event="error" target="end"><log expr="_event.name"/></transition></state>
      <final id="end"/><final id="bad"/>""")
    session = run(chart)
    assert session.final_state == "end" and session.log == [(None, "error.illegalcond.ReferenceError")]


def test_error_star_matches_ors_errors():
    chart = ors("""<state id="s"><onentry><assign location="a.b.c" expr="1"/></onentry>
        <transition event="error.*" target="end"><log expr="_event.name"/></transition></state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end" and session.log == [(None, "error.illegalassign")]


def test_data_items_live_in_data_and_answer_to_their_plain_name():
    chart = ors("""<datamodel><data id="ixnid" expr="'none'"/></datamodel>
      <state id="s"><onentry>
          <assign location="_data.ixnid" expr="'A1'"/>
          <log expr="ixnid"/>
          <assign location="ixnid" expr="'B2'"/>
          <log expr="_data.ixnid + ' ' + JSON.stringify(_data)"/>
        </onentry><transition target="end"/></state><final id="end"/>""")
    assert run(chart).log == [(None, "A1"), (None, 'B2 {"ixnid":"B2"}')]


def test_a_script_global_is_another_variable_than_the_data_item_of_that_name():
    # Composer's IPD: <data id="system"/> and `var system` in a script, linked by _data.system.context.
    chart = ors("""<datamodel><data id="system" expr="new Object()"/></datamodel>
      <state id="s"><onentry>
          <script>var system = new Object(); system.SessionID = 'S'; _data.system.context = system;</script>
          <log expr="JSON.stringify(_data)"/>
          <log expr="_data.system.context.SessionID + ' ' + (system === _data.system)"/>
        </onentry><transition target="end"/></state><final id="end"/>""")
    assert run(chart).log == [(None, '{"system":{"context":{"SessionID":"S"}}}'), (None, "S false")]


def test_genesys_object_is_there_from_the_start():
    chart = ors("""<datamodel><data id="m" expr="_genesys.ixn.getMediaIntValue('TMediaEMail')"/></datamodel>
      <state id="s"><onentry>
        <log expr="typeof _genesys.ixn.interactions + ' ' + m + ' ' + _genesys.queue.rType.RouteTypeDefault"/>
      </onentry><transition target="end"/></state><final id="end"/>""")
    assert run(chart).log == [(None, "object 2 1")]


def test_type_and_persist_are_read_and_kept():
    doc = load_string(ors('<state id="s"/>', '_type="routingstrategy" _persist="false"'),
                      extensions=ors_extensions())
    assert (doc.dialect.app_type, doc.dialect.persist) == ("routingstrategy", False)
    assert doc.attributes["_persist"] == "false"


def test_invoke_params_fill_parameter_data(tmp_path):
    child = tmp_path / "sub.scxml"
    child.write_text(ors("""<datamodel><data id="TargetBlockName" _type="parameter" expr="'unset'"/></datamodel>
      <state id="s"><transition target="done"/></state>
      <final id="done"><donedata><param name="got" expr="TargetBlockName"/></donedata></final>"""))
    parent = ors(f"""<state id="s"><invoke src="{child.as_uri()}"><param name="TargetBlockName" expr="'Target3'"/></invoke>
        <transition event="done.invoke" target="end"><log expr="_event.data.got"/></transition></state>
      <final id="end"/>""")
    session = run(parent)
    assert session.final_state == "end" and session.log == [(None, "Target3")]


def test_action_of_a_module_that_is_not_available_raises_an_error_naming_it():
    chart = ors("""<state id="s"><onentry><queue:submit queue="'VQ'" timeout="10"/></onentry>
        <transition event="error.queue.submit" target="end"><log expr="_event.data.error + ': ' + _event.data.description"/></transition>
      </state><final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end"
    assert "queue" in session.log[0][1] and session.log[0][1].startswith("unknown: ")


def test_namespaces_with_and_without_scheme_are_the_same_module():
    # ixn is declared without http:// in ORS_HEAD, queue with it: both are known modules.
    chart = ors("""<state id="s"><onentry><ixn:terminate interactionid="'x'"/></onentry>
        <transition event="error.interaction.terminate" target="end"/></state><final id="end"/>""")
    assert run(chart).final_state == "end"


def test_unknown_namespace_action_is_rejected_at_load():
    from openors.scxml import ScxmlLoadError

    with pytest.raises(ScxmlLoadError) as info:
        load_string(ors('<state id="s"><onentry><x:y xmlns:x="urn:nobody"/></onentry></state>'),
                    extensions=ors_extensions())
    assert "unknown executable content <y>" in info.value.reason


def test_undeclared_assignment_creates_a_variable_as_in_spidermonkey():
    chart = ors("""<state id="s"><onentry><assign location="fresh" expr="3"/><log expr="fresh * 2"/></onentry>
        <transition target="end"/></state><final id="end"/>""")
    assert run(chart).log == [(None, 6)]


def test_log_and_raise_builtins_reach_the_session():
    chart = ors("""<state id="s"><onentry><script>
          __Log('from script', 'lbl', 3);
          __Raise('custom.event', {a: 1});
        </script></onentry>
        <transition event="custom.event" target="end"><log expr="_event.data.a"/></transition></state>
      <final id="end"/>""")
    session = run(chart)
    assert session.final_state == "end"
    assert session.log == [("lbl", "from script"), (None, 1)]


def test_current_states_and_document_url_builtins():
    chart = ors("""<state id="outer"><state id="inner"><onentry>
          <log expr="__GetCurrentStates().join(',')"/><log expr="__GetDocumentURL()"/>
        </onentry><transition target="end"/></state></state><final id="end"/>""")
    assert run(chart).log == [(None, "outer,inner"), (None, "file:///apps/strategy.scxml")]


def test_event_to_source_reads_back_with_eval():
    chart = ors("""<state id="s"><transition event="in" target="end">
          <log expr="eval(_event.toSource()).data.n + 1"/><log expr="uneval({a: [1, 'x']})"/>
        </transition></state><final id="end"/>""")
    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(chart, None, ors_extensions()))
    session.send("in", {"n": 41})
    assert session.log[0] == (None, 42)
    assert session.log[1] == (None, '({a:[1, "x"]})')

"""The dialog module: treatments on the simulated media server, their events, durations, collected
digits from the scenario, VoiceXML applications, runtreatments (standalone and while queued)."""

from __future__ import annotations

import pytest
from lxml import etree

from openors.ors.actions import ActionContext
from openors.ors.dialog.treatments import RunTreatments
from openors.platform.scenario import parse_scenario
from openors.platform.sim.treatments import collect_outcome
from openors.platform.validation import ConfigError
from tests.ors.module_site import ModuleSite

LATENCY = 0.1  # the site's request latency: a treatment starts this long after it is asked for


def on_present(action: str) -> str:
    """A body that runs `action` when the call arrives and logs every dialog result."""
    return f"""
    <transition event="interaction.present">{action}</transition>
    <transition event="dialog.*"><log label="rid" expr="rid"/></transition>
    <transition event="error.dialog.*"><log label="rid" expr="rid"/></transition>"""


def site_with(tmp_path, action: str, **kwargs) -> ModuleSite:
    return ModuleSite(tmp_path, on_present(action), **kwargs)


def test_playsound_plays_for_its_duration_and_answers_with_the_requestid(tmp_path):
    site = site_with(tmp_path, """<dialog:playsound requestid="rid" interactionid="ixnid" type="'music'"
                                     resource="'jazz.wav'" duration="7"/>""")
    ixn = site.call()
    site.run(5)
    assert site.platform.get_interaction(ixn)["state"] == "treating"
    site.run(10)
    done = site.one("dialog.playsound.done")
    assert done["data"] == {"requestid": site.actions("dialog.playsound")[0]["requestid"], "interactionid": ixn}
    assert done["t"] == pytest.approx(7 + LATENCY, abs=0.01)
    # the requestid location was written first (the .requestid event and the answer log the same id)
    assert site.logs("rid") == [done["data"]["requestid"]] * 2
    site.check_catalogue("dialog.")


@pytest.mark.parametrize(("kind", "seconds"), [("'ringback'", 10), ("'busy'", 5), ("'music'", 30), ("'odd'", 10)])
def test_playsound_without_duration_uses_the_default_of_its_type(tmp_path, kind, seconds):
    site = site_with(tmp_path, f'<dialog:playsound requestid="rid" interactionid="ixnid" type="{kind}"/>')
    site.call()
    site.run(60)
    assert site.one("dialog.playsound.done")["t"] == pytest.approx(seconds + LATENCY, abs=0.01)


def test_play_sums_the_durations_of_its_prompts(tmp_path):
    site = site_with(tmp_path, """
      <dialog:play requestid="rid" interactionid="ixnid">
        <dialog:prompts type="ann">
          <dialog:prompt intid="1"/>
          <dialog:prompt type="text" text="'one two three four five'"/>
          <dialog:prompt intid="2" duration="1.5"/>
          <dialog:prompt type="digits" value="'1234'"/>
        </dialog:prompts>
      </dialog:play>""")
    site.call()
    site.run(30)
    # announcement 3 + five words 2.0 + explicit 1.5 + four digits 2.0
    assert site.one("dialog.play.done")["t"] == pytest.approx(8.5 + LATENCY, abs=0.01)


def test_play_without_prompts_and_a_bad_duration_are_errors(tmp_path):
    site = site_with(tmp_path, """<dialog:play requestid="rid" interactionid="ixnid"/>
      <dialog:playsound interactionid="ixnid" type="'music'" duration="'soon'"/>""")
    site.call()
    site.run(5)
    assert site.one("error.dialog.play")["data"]["error"] == "unknown"
    assert "no <prompt>" in site.one("error.dialog.play")["data"]["description"]
    assert "not a number" in site.one("error.dialog.playsound")["data"]["description"]
    site.check_catalogue("dialog.")


def test_a_treatment_for_an_interaction_the_session_does_not_have_fails(tmp_path):
    site = site_with(tmp_path, """<dialog:playsound requestid="rid" interactionid="'NOSUCHCALL'" type="'music'"/>""")
    site.call()
    site.run(5)
    error = site.one("error.dialog.playsound")["data"]
    assert error["error"] == "nointeraction" and error["requestid"] == site.logs("rid")[0]


COLLECT = """
  <dialog:playandcollect requestid="rid" interactionid="ixnid">
    <dialog:prompts><dialog:prompt type="text" text="'enter your account number'"/></dialog:prompts>
    <dialog:input max_digits="4" term_digits="#" abort_digits="*" first_digit_timeout="6" digit_timeout="2"/>
  </dialog:playandcollect>"""
PROMPT = 1.6  # four words


@pytest.mark.parametrize(("answer", "digits", "reason", "extra"), [
    ("12#", "12", "term", 0), ("987654", "9876", "max", 0), ("55", "55", "timeout", 2)])
def test_playandcollect_collects_the_callers_digits(tmp_path, answer, digits, reason, extra):
    site = site_with(tmp_path, COLLECT)
    ixn = site.call(digits=[answer])
    site.run(30)
    done = site.one("dialog.playandcollect.done")
    assert done["data"] == {"requestid": site.logs("rid")[0], "interactionid": ixn, "digits": digits,
                            "reason": reason}
    assert done["t"] == pytest.approx(PROMPT + extra + LATENCY, abs=0.01)
    site.check_catalogue("dialog.")


@pytest.mark.parametrize(("answers", "code", "after"), [([], "noinput", PROMPT + 6), (["1*"], "aborted", PROMPT)])
def test_playandcollect_without_an_answer_or_aborted_is_an_error(tmp_path, answers, code, after):
    site = site_with(tmp_path, COLLECT)
    site.call(digits=answers)
    site.run(30)
    error = site.one("error.dialog.playandcollect")
    assert error["data"]["error"] == code and error["t"] == pytest.approx(after + LATENCY, abs=0.01)
    site.check_catalogue("dialog.")


def test_answers_are_used_in_order_one_per_collection(tmp_path):
    site = ModuleSite(tmp_path, f"""
      <transition event="interaction.present">{COLLECT}</transition>
      <transition event="dialog.playandcollect.done" cond="_event.data.digits == '1'">{COLLECT}</transition>
      <transition event="dialog.playandcollect.done"><log label="second" expr="_event.data.digits"/></transition>""")
    site.call(digits=["1#", "42#"])
    site.run(30)
    assert site.logs("second") == ["42"]


def test_collect_has_no_prompts(tmp_path):
    site = site_with(tmp_path, """<dialog:collect requestid="rid" interactionid="ixnid">
        <dialog:input max_digits="1"/></dialog:collect>""")
    site.call(digits="7")
    site.run(10)
    done = site.one("dialog.collect.done")
    assert done["data"]["digits"] == "7" and done["t"] == pytest.approx(LATENCY, abs=0.01)


START = """<dialog:start type="'applid'" interactionid="ixnid" requestid="rid">
             <param name="APP_URI" expr="'http://gvp/menu.vxml'"/>
             <param name="LANGUAGE" expr="'English (US)'"/>
           </dialog:start>"""


def test_dialog_start_runs_the_application_and_returns_its_extensions_and_user_data(tmp_path):
    site = site_with(tmp_path, START)
    ixn = site.call(ivr=[{"duration": 12, "udata": {"outivrmenu": "m0501"}, "extensions": {"choice": "2"}}])
    site.run(30)
    names = site.names("dialog.")
    assert names == ["dialog.start.requestid", "dialog.start.done"]
    rid = site.logs("rid")[0]
    assert site.one("dialog.start.requestid")["data"] == {"requestid": rid}
    done = site.one("dialog.start.done")
    assert done["data"] == {"requestid": rid, "interactionid": ixn, "extensions": {"choice": "2"}}
    assert done["t"] == pytest.approx(12 + LATENCY, abs=0.01)
    assert site.platform.get_interaction(ixn)["udata"]["outivrmenu"] == "m0501"
    # The application attached the data before it ended, so the session knows it when done arrives.
    changed = [e for e in site.events("interaction.udata.changed") if e["t"] == done["t"]]
    assert changed and site.events().index(changed[-1]) < site.events().index(done)
    assert site.actions("dialog.start")[0]["attributes"]["type"] == "applid"
    site.check_catalogue("dialog.")


def test_dialog_start_without_a_scenario_result_runs_ten_seconds_and_returns_nothing(tmp_path):
    site = site_with(tmp_path, START)
    site.call()
    site.run(30)
    done = site.one("dialog.start.done")
    assert done["data"]["extensions"] == {} and done["t"] == pytest.approx(10 + LATENCY, abs=0.01)


@pytest.mark.parametrize(("action", "code", "words"), [
    ("""<dialog:start type="'applid'" interactionid="ixnid" requestid="rid"/>""", "unknown", "APP_URI"),
    ("""<dialog:start type="'vxml'" interactionid="ixnid" requestid="rid"/>""", "invalidattribute", "'uri'"),
    ("""<dialog:start type="'telepathy'" interactionid="ixnid"/>""", "invalidattribute", "invalid value")])
def test_dialog_start_errors(tmp_path, action, code, words):
    site = site_with(tmp_path, action)
    site.call()
    site.run(5)
    error = site.one("error.dialog.start")["data"]
    assert error["error"] == code and words in error["description"]
    site.check_catalogue("dialog.")


def test_caller_hanging_up_during_a_treatment_fails_it(tmp_path):
    site = site_with(tmp_path, """<dialog:playsound requestid="rid" interactionid="ixnid" type="'music'"
                                     duration="60"/>""")
    site.call()
    site.run(5)
    site.platform.customer_hangup("+15551110001")
    site.run(5)
    error = site.one("error.dialog.playsound")["data"]
    assert error["error"] == "nointeraction" and "ended during the treatment" in error["description"]
    assert site.names("dialog.playsound.done") == []


def test_routing_the_call_interrupts_the_treatment(tmp_path):
    site = ModuleSite(tmp_path, """
      <transition event="interaction.present">
        <dialog:playsound requestid="rid" interactionid="ixnid" type="'music'" duration="60"/>
        <send event="'go'" delay="'3s'"/>
      </transition>
      <transition event="go"><ixn:redirect interactionid="ixnid" to="'7001'"/></transition>""")
    ixn = site.call()
    site.run(10)
    done = site.one("dialog.playsound.done")
    assert done["t"] == pytest.approx(3 + LATENCY, abs=0.01)
    assert site.platform.get_interaction(ixn)["state"] in ("ringing", "routed")


def test_a_long_treatment_is_not_a_request_timeout(tmp_path):
    site = site_with(tmp_path, """<dialog:playsound requestid="rid" interactionid="ixnid" type="'music'"
                                     duration="90"/>""", request_timeout=5)
    site.call()
    site.run(100)
    assert site.names("error.") == [] and site.names("dialog.playsound.done") == ["dialog.playsound.done"]


RUN = """
  <dialog:runtreatments requestid="rid" interactionid="ixnid">
    <dialog:playsound requestid="App['sound']" type="'ringback'" duration="2"/>
    <dialog:pause duration="3"/>
    <dialog:play requestid="App['nothing']"/>
    <dialog:play requestid="App['ann']"><dialog:prompts><dialog:prompt intid="9"/></dialog:prompts></dialog:play>
  </dialog:runtreatments>"""


def test_runtreatments_runs_its_children_in_turn_with_their_events(tmp_path):
    site = site_with(tmp_path, RUN, datamodel='<data id="App" expr="({})"/>')
    ixn = site.call()
    site.run(30)
    timeline = [(e["name"], round(e["t"], 2)) for e in site.events("dialog.") + site.events("error.dialog.")
                if not e["name"].endswith(".requestid")]
    assert sorted(timeline, key=lambda x: x[1]) == [
        ("dialog.playsound.done", 2.1),           # started after the macrostep, then latency
        ("error.dialog.play", 5.1),                 # after the pause; no prompts: the run goes on
        ("dialog.play.done", 8.2),
        ("dialog.runtreatments.done", 8.2)]
    done = site.one("dialog.runtreatments.done")["data"]
    assert done == {"requestid": site.logs("rid")[-1], "interactionid": ixn}
    site.check_catalogue("dialog.")


def test_runtreatments_without_children_is_an_error(tmp_path):
    site = site_with(tmp_path, '<dialog:runtreatments requestid="rid" interactionid="ixnid"/>')
    site.call()
    site.run(5)
    assert site.one("error.dialog.runtreatments")["data"]["error"] == "unknown"


def test_treatments_while_queued_are_silent_and_stop_when_told(tmp_path):
    site = ModuleSite(tmp_path, """<transition event="interaction.present"><script>go = 1</script></transition>""",
                      datamodel='<data id="App" expr="({})"/><data id="go" expr="0"/>')
    ixn = site.call()
    site.run(1)
    session = site.host.sessions[site.world.owner[ixn]]
    element = etree.fromstring('<dialog:runtreatments xmlns:dialog="www.genesyslab.com/modules/dialog">'
                               '<dialog:playsound requestid="App.first" type="\'music\'" duration="4"/>'
                               '<dialog:playsound type="\'music\'" duration="4"/></dialog:runtreatments>')
    ctx = ActionContext(session.interpreter, None, "R1", {})
    stop = RunTreatments().start_while_queued(ctx, element, ixn)
    site.run(6)
    assert site.platform.interactions[ixn].treatment == "music"  # the second one plays
    assert session.interpreter.datamodel.evaluate("App.first")  # its requestid location was written
    stop()
    site.run(10)
    assert site.names("dialog.") == [] and site.names("error.dialog.") == []
    assert [r["outcome"] for r in site.records if r["kind"] == "treatment"] == ["done"]
    assert RunTreatments().start_while_queued(ctx, element, None) is None


# --- the simulator's side ---------------------------------------------------------------------


def test_collect_outcome_rules():
    settings = {"max_digits": 3, "term_digits": "#", "abort_digits": "*", "first_digit_timeout": 4,
                "digit_timeout": 1}
    assert collect_outcome("12#9", settings) == ("12", "term", 0.0)
    assert collect_outcome("12345", settings) == ("123", "max", 0.0)
    assert collect_outcome("1", settings) == ("1", "timeout", 1.0)
    assert collect_outcome("", settings) == ("", "noinput", 4.0)
    assert collect_outcome(None, {}) == ("", "noinput", 5.0)
    assert collect_outcome("9*", settings) == ("9", "abort", 0.0)


def test_scenario_calls_carry_digits_and_ivr_results():
    scenario = parse_scenario({"steps": [{"at": 0, "call": {
        "from": "+1555", "to": "5000", "digits": ["12#", 7], "ivr": {"duration": 4, "udata": {"a": 1}}}}]})
    fields = scenario.steps[0].fields
    assert fields["digits"] == ["12#", "7"]
    assert fields["ivr"] == [{"duration": 4, "udata": {"a": 1}, "extensions": {}}]
    assert parse_scenario({"steps": [{"at": 0, "call": {"from": "1", "to": "2", "digits": "5"}}]}) \
        .steps[0].fields["digits"] == ["5"]


@pytest.mark.parametrize(("call", "words"), [
    ({"digits": ["12a"]}, "not 0-9"), ({"digits": [True]}, "string of keys"),
    ({"ivr": [{"time": 3}]}, "time")])
def test_scenario_rejects_bad_caller_answers(call, words):
    with pytest.raises(ConfigError, match=words):
        parse_scenario({"steps": [{"at": 0, "call": {"from": "1", "to": "2", **call}}]})

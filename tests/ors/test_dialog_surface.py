"""The rest of the dialog module: `dialog.<action>.requestid` for every action (Composer's
play-and-continue pattern), `<dialog:stop>`, `<dialog:playandverify>`, a standalone
`<dialog:pause>` and the `<dialog:start>` types besides `applid`."""

from __future__ import annotations

import pytest

from tests.ors.module_site import ModuleSite

LATENCY = 0.1
PROMPT = '<dialog:prompts type="ann"><dialog:prompt intid="1"/></dialog:prompts>'
INPUT = '<dialog:input max_digits="4" term_digits="#"/>'


def composer_play_and_continue(action: str) -> str:
    """Composer's shape: store the id from `.requestid`, then go on; match the answer by id."""
    return f"""
    <transition event="interaction.present">{action}</transition>
    <transition event="dialog" cond="/[.]requestid$/.test(_event.name)">
      <log label="requestid" expr="_event.name.replace('.requestid', '') + ' ' + _event.data.requestid"/>
    </transition>
    <transition event="dialog" cond="/[.]done$/.test(_event.name) &amp;&amp; _event.data.requestid == rid">
      <log label="answered" expr="_event.name"/></transition>
    <transition event="error.dialog.*">
      <log label="failed" expr="_event.name + ' ' + _event.data.error"/></transition>"""


@pytest.mark.parametrize(("action", "element"), [
    ("playsound", '<dialog:playsound requestid="rid" interactionid="ixnid" type="\'music\'" duration="3"/>'),
    ("play", f'<dialog:play requestid="rid" interactionid="ixnid">{PROMPT}</dialog:play>'),
    ("playandcollect", f'<dialog:playandcollect requestid="rid" interactionid="ixnid">{PROMPT}{INPUT}'
                       '</dialog:playandcollect>'),
    ("collect", f'<dialog:collect requestid="rid" interactionid="ixnid">{INPUT}</dialog:collect>'),
    ("playandverify", f'<dialog:playandverify requestid="rid" interactionid="ixnid">{PROMPT}{INPUT}'
                      '</dialog:playandverify>'),
    ("pause", '<dialog:pause requestid="rid" interactionid="ixnid" duration="2"/>'),
    ("runtreatments", '<dialog:runtreatments requestid="rid" interactionid="ixnid">'
                      '<dialog:playsound type="\'ringback\'" duration="1"/></dialog:runtreatments>'),
    ("start", '<dialog:start requestid="rid" interactionid="ixnid" type="\'applid\'">'
              '<param name="APP_URI" expr="\'http://ivr/menu.vxml\'"/></dialog:start>'),
])
def test_every_dialog_action_sends_its_requestid_event_before_the_answer(tmp_path, action, element):
    site = ModuleSite(tmp_path, composer_play_and_continue(element))
    site.call(digits=["12#"])
    site.run(60)
    rid = site.actions(f"dialog.{action}")[0]["requestid"]
    names = site.names("dialog.")
    assert f"dialog.{action}.requestid" in names, names
    assert names.index(f"dialog.{action}.requestid") < names.index(f"dialog.{action}.done")
    assert f"dialog.{action} {rid}" in site.logs("requestid")
    assert f"dialog.{action}.done" in site.logs("answered")
    site.check_catalogue("dialog.")


def test_stop_cuts_the_music_short_and_the_stopped_request_answers_cancelled(tmp_path):
    site = ModuleSite(tmp_path, """
    <transition event="interaction.present">
      <dialog:playsound requestid="rid" interactionid="ixnid" type="'music'" duration="600"/>
      <send event="'enough'" delay="'5s'"/>
    </transition>
    <transition event="enough"><dialog:stop interactionid="ixnid"/></transition>
    <transition event="error.dialog.playsound"><log label="music" expr="_event.data.error"/></transition>
    <transition event="dialog.stop.done"><log label="stopped" expr="_event.data.interactionid"/></transition>""")
    ixn = site.call()
    site.run(20)
    assert site.logs("music") == ["cancelled"]
    assert site.logs("stopped") == [ixn]
    assert site.one("dialog.stop.done")["t"] == pytest.approx(5 + LATENCY, abs=0.01)
    assert site.platform.interactions[ixn].treatment is None  # the music is off
    site.check_catalogue("dialog.")


def test_stop_ends_a_treatment_sequence_before_its_next_step(tmp_path):
    site = ModuleSite(tmp_path, """
    <transition event="interaction.present">
      <dialog:runtreatments requestid="rid" interactionid="ixnid">
        <dialog:playsound type="'ringback'" duration="4"/>
        <dialog:playsound type="'music'" duration="100"/>
      </dialog:runtreatments>
      <send event="'enough'" delay="'2s'"/>
    </transition>
    <transition event="enough"><dialog:stop interactionid="ixnid"/></transition>""")
    site.call()
    site.run(30)
    assert site.one("error.dialog.runtreatments")["data"]["error"] == "cancelled"
    assert site.one("error.dialog.playsound")["data"]["error"] == "cancelled"
    assert "dialog.runtreatments.done" not in site.names()
    assert [r for r in site.records if r["kind"] == "treatment.start"][-1]["treatment"] == "ringback"
    site.check_catalogue("dialog.")


def test_stop_with_nothing_playing_is_done(tmp_path):
    site = ModuleSite(tmp_path, """
    <transition event="interaction.present"><dialog:stop requestid="rid" interactionid="ixnid"/></transition>""")
    site.call()
    site.run(5)
    assert site.one("dialog.stop.done")["data"]["requestid"] == site.actions("dialog.stop")[0]["requestid"]


@pytest.mark.parametrize(("verify", "answer", "verified"), [
    ("'[0-9]{4}'", "1234#", True),
    ("'[0-9]{4}'", "12#", False),
    ("['1111', '2222']", "2222#", True),
    ("['1111', '2222']", "3333#", False),
])
def test_playandverify_checks_the_pin_the_caller_typed(tmp_path, verify, answer, verified):
    site = ModuleSite(tmp_path, f"""
    <transition event="interaction.present">
      <dialog:playandverify requestid="rid" interactionid="ixnid" verify="{verify}">
        {PROMPT}<dialog:input max_digits="8" term_digits="#"/></dialog:playandverify>
    </transition>
    <transition event="dialog.playandverify.done" cond="_event.data.verified"><log label="pin" expr="'ok'"/>
    </transition>
    <transition event="dialog.playandverify.done"><log label="pin" expr="'wrong'"/></transition>""")
    site.call(digits=[answer])
    site.run(30)
    assert site.one("dialog.playandverify.done")["data"]["digits"] == answer.rstrip("#")
    assert site.logs("pin") == ["ok" if verified else "wrong"]
    site.check_catalogue("dialog.")


def test_playandverify_with_a_broken_rule_says_which_attribute(tmp_path):
    site = ModuleSite(tmp_path, f"""
    <transition event="interaction.present">
      <dialog:playandverify interactionid="ixnid" verify="'[0-9'">{PROMPT}{INPUT}</dialog:playandverify>
    </transition>""")
    site.call(digits=["12#"])
    site.run(30)
    error = site.one("error.dialog.playandverify")["data"]
    assert error["error"] == "invalidattribute" and "dialog:verify" in error["description"]


def test_a_pause_on_its_own_waits_its_duration(tmp_path):
    site = ModuleSite(tmp_path, """
    <transition event="interaction.present"><dialog:pause requestid="rid" interactionid="ixnid" duration="7"/>
    </transition>""")
    ixn = site.call()
    site.run(20)
    done = site.one("dialog.pause.done")
    assert done["t"] == pytest.approx(7, abs=0.01) and done["data"]["interactionid"] == ixn


@pytest.mark.parametrize(("start", "application"), [
    ("""<dialog:start interactionid="ixnid" type="'uri'" uri="'http://ivr/survey.vxml'"/>""",
     "http://ivr/survey.vxml"),
    ("""<dialog:start interactionid="ixnid" type="'dn'" resource="'8100'"/>""", "dn:8100"),
])
def test_start_runs_an_application_named_by_uri_or_by_ivr_dn(tmp_path, start, application):
    site = ModuleSite(tmp_path, f"""<transition event="interaction.present">{start}</transition>""")
    site.call(ivr=[{"duration": 4, "extensions": {"score": "9"}}])
    site.run(30)
    assert site.one("dialog.start.done")["data"]["extensions"] == {"score": "9"}
    assert [r for r in site.records if r["kind"] == "treatment.start"][0]["treatment"] == f"applid:{application}"


def test_start_of_an_unknown_type_is_an_invalid_attribute(tmp_path):
    site = ModuleSite(tmp_path, """<transition event="interaction.present">
      <dialog:start interactionid="ixnid" type="'fax'"/></transition>""")
    site.call()
    site.run(5)
    error = site.one("error.dialog.start")["data"]
    assert error["error"] == "invalidattribute" and "fax" in error["description"]

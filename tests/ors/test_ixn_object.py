"""The `_genesys.ixn` object a session sees (ORS-SPEC §4.3)."""

from __future__ import annotations

from openors.platform.model.callmodel import CALLSTATE_GENESYS_NAMES

from .ixn_scenarios import consulting
from .ixn_world import CUSTOMER, Site


def test_interactions_are_keyed_by_id_and_indexed_in_association_order():
    site = Site()
    ixn, consult, session = consulting(site)
    js = lambda expr: site.js(session, expr)  # noqa: E731
    assert js("_genesys.ixn.length") == 2 and js("_genesys.ixn.interactions.length") == 2
    assert js("_genesys.ixn.interactions[0].g_uid") == ixn
    assert js("_genesys.ixn.interactions[1].g_uid") == consult
    assert js(f"_genesys.ixn.interactions['{consult}'] === _genesys.ixn.interactions[1]")
    # for...in and Object.keys see the ids only, not the positions or length
    assert js("Object.keys(_genesys.ixn.interactions)") == [ixn, consult]
    assert js("_genesys.ixn.firstixnid") == ixn


def test_an_interaction_leaves_the_collection_when_it_ends_but_firstixnid_stays():
    site = Site()
    ixn, session = site.call()
    site.platform.customer_hangup(CUSTOMER)
    site.run(1)
    assert site.js(session, "_genesys.ixn.length") == 0
    assert site.js(session, f"_genesys.ixn.interactions['{ixn}'] === undefined")
    assert site.js(session, "_genesys.ixn.firstixnid") == ixn


def test_a_voice_interaction_has_its_voice_sub_object_parties_and_user_data():
    site = Site()
    ixn, session = site.call(udata={"lang": "en"})
    site.run(0.5)
    view = site.js(session, "_genesys.ixn.interactions[ixnid]")
    assert view["g_uid"] == ixn and view["category"] == "voice" and view["state"] == "treating"
    assert view["voice"]["ani"] == CUSTOMER and view["voice"]["dnis"] == "5000"
    assert view["voice"]["type"] == "inbound" and view["voice"]["media"] == "TMediaVoice"
    assert "msgbased" not in view and "chat" not in view
    assert {p["device"]: p["devicetype"] for p in view["parties"]} == {CUSTOMER: "unknown", "5000": "routepoint"}
    assert view["udata"] == {"lang": "en", "OP-Session-ID": session.id}


def test_an_email_has_its_msgbased_sub_object():
    site = Site()
    ixn, session = site.email()
    view = site.js(session, "_genesys.ixn.interactions[ixnid]")
    assert view["category"] == "msgbased" and "voice" not in view
    assert view["msgbased"]["from"] == "jane@example.org" and view["msgbased"]["subject"] == "Order"
    assert view["mediaType"] == "TMediaEMail"


def test_a_chat_has_its_chat_sub_object_with_the_transcript_so_far():
    site = Site()
    ixn, session = site.chat(messages=[{"after": 0.2, "text": "hello?"}])
    site.run(0.5)
    chat = site.js(session, "_genesys.ixn.interactions[ixnid].chat")
    assert [m["text"] for m in chat["transcript"]] == ["Sam joined", "hello?"]
    assert site.last("chat.message", session)["message"]["text"] == "hello?"


def test_a_property_change_is_visible_when_interaction_property_changed_arrives():
    site = Site()
    ixn, session = site.email()
    site.platform.update_properties(ixn, {"subject": "Order 42"}, origin="desktop")
    site.run(0.5)
    assert site.last("interaction.property.changed", session) == {"interactionid": ixn}
    assert site.js(session, "_genesys.ixn.interactions[ixnid].msgbased.subject") == "Order 42"


def test_media_types_and_their_codes():
    site = Site()
    ixn, session = site.call()
    assert site.js(session, "_genesys.ixn.mediaType.TMediaChat") == "TMediaChat"
    assert site.js(session, "_genesys.ixn.getMediaIntValue('TMediaVoice')") == 0
    assert site.js(session, "_genesys.ixn.getMediaIntValue('TMediaSMS')") == 17
    assert site.js(session, "_genesys.ixn.getMediaIntValue('TMediaNoSuchThing')") == -1


def test_call_state_names_are_the_call_model_table():
    site = Site()
    ixn, session = site.call()
    table = site.js(session, "_genesys.ixn.callState")
    assert {name: int(code) for name, code in table.items()} == CALLSTATE_GENESYS_NAMES
    assert site.js(session, "_genesys.ixn.callState.CallStateAbandoned") == 21
    assert site.js(session, "Object.isFrozen(_genesys.ixn.callState)")


def test_setudata_changes_the_interaction_and_the_session_hears_udata_changed():
    site = Site()
    ixn, session = site.call()
    site.do(session, "setudata", udata={"segment": "gold", "tries": 2})
    assert site.last("interaction.udata.changed", session) == {"interactionid": ixn}
    assert site.platform.get_interaction(ixn)["udata"]["segment"] == "gold"
    assert site.js(session, "_genesys.ixn.getuData('tries', ixnid)") == 2
    assert site.js(session, "_genesys.ixn.interactions[0].udata.segment") == "gold"


def test_deleteudata_removes_one_key_or_all_of_them():
    site = Site()
    ixn, session = site.call(udata={"a": "1", "b": "2"})
    site.do(session, "deleteudata", key="a")
    assert "a" not in site.platform.get_interaction(ixn)["udata"]
    assert site.js(session, "_genesys.ixn.getuData('a')") is None
    assert site.js(session, "_genesys.ixn.getuData('b')") == "2"
    changed = len(site.events(session, names=["interaction.udata.changed"]))
    site.do(session, "deleteudata")
    assert site.platform.get_interaction(ixn)["udata"] == {}
    assert len(site.events(session, names=["interaction.udata.changed"])) == changed + 1


def test_a_desktop_changing_user_data_is_reported_and_visible():
    site = Site()
    ixn, session = site.call()
    site.platform.update_user_data(ixn, {"note": "VIP"}, origin="desktop")
    site.run(0.5)
    assert site.last("interaction.udata.changed", session) == {"interactionid": ixn}
    assert site.js(session, "_genesys.ixn.interactions[ixnid].udata.note") == "VIP"


def test_user_data_functions_refuse_an_interaction_the_session_does_not_own():
    site = Site()
    ixn, session = site.call()
    message = site.js(session, "(function(){ try { _genesys.ixn.getuData('x', 'NOPE'); return 'no error'; }"
                               " catch (e) { return String(e.message); } })()")
    assert "NOPE" in message

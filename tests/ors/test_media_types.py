"""`_genesys.ixn.mediaType` and `getMediaIntValue`: every documented media type name."""

from __future__ import annotations

import json

from openors.platform.model.media import MEDIA_TYPE_CODES, category_of, normalise_media

from .ixn_world import Site

# The names the Interaction Interface object model pages list for voice, msgbased and chat.
DOCUMENTED = ("TMediaVoice", "TMediaVoIP", "TMediaVideo", "TMediaVMail", "TMediaCallback", "TMediaAny",
              "TMediaOutboundPreview", "TMediaEMail", "TMediaFax", "TMediaSMail", "TMediaSMS", "TMediaNativeSMS",
              "TMediaWebForm", "TMediaOpenMedia", "TMediaChat", "TMediaCoBrowsing", "TMediaIMChat")


def test_every_documented_media_type_is_a_member_of_the_enumeration_with_its_own_name():
    site = Site()
    ixn, session = site.call()
    for name in DOCUMENTED:
        assert site.js(session, f"_genesys.ixn.mediaType.{name}") == name


def test_open_media_and_native_sms_have_integer_codes_and_the_two_spellings_of_a_media_share_one():
    site = Site()
    ixn, session = site.call()
    code = lambda name: site.js(session, f"_genesys.ixn.getMediaIntValue(_genesys.ixn.mediaType.{name})")  # noqa: E731
    assert code("TMediaOpenMedia") == 19 and code("TMediaNativeSMS") == 20
    assert code("TMediaWebForm") == code("TMediaWebform") == 10
    assert code("TMediaCoBrowsing") == code("TMediaCobrowsing") == 7


def test_the_session_and_the_platform_agree_on_every_media_code():
    site = Site()
    ixn, session = site.call()
    in_js = site.js(session, "JSON.stringify(Object.keys(_genesys.ixn.mediaType).map(function (n) {"
                             " return [n, _genesys.ixn.getMediaIntValue(n)]; }))")
    assert dict(json.loads(in_js)) == MEDIA_TYPE_CODES


def test_open_media_and_native_sms_are_message_based_media_the_simulator_knows():
    assert normalise_media("openmedia") == "TMediaOpenMedia"
    assert category_of("TMediaOpenMedia").value == category_of("TMediaNativeSMS").value == "msgbased"
    assert category_of("TMediaCoBrowsing").value == "chat"

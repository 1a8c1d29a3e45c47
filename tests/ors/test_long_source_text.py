"""Issue 9: reading the new call of `voice.createcall.done` as source text ended the session with
`TypeError: Unknown quickjs tag: -6`. The tag is QuickJS-ng's string rope: a long concatenation
(over 1 KiB) that the Python binding cannot convert. uneval() and toSource() build their text by
concatenation, so an interaction's source text was one; they now hand the host a flat string."""

from __future__ import annotations

import pytest

from openors.scxml.events import Event

from .ixn_world import OUTSIDE, Site

READS = ["uneval(_genesys.ixn.interactions[_event.data.interactionid])",
         "_genesys.ixn.interactions[_event.data.interactionid].toSource()",
         "uneval(_genesys.ixn)", "_event.toSource()"]


@pytest.mark.parametrize("expression", READS)
def test_the_new_call_of_createcall_done_reads_as_source_text(expression):
    site = Site()
    _, session = site.call()
    site.do(session, "createcall", **{"from": "7001", "to": OUTSIDE})
    done = site.last("voice.createcall.done", session)
    datamodel = session.interpreter.datamodel
    datamodel.set_event(Event("voice.createcall.done", "external", done))  # current, as in its handler
    text = datamodel.evaluate(expression)
    assert isinstance(text, str) and text.startswith("(") and done["interactionid"] in text
    assert not session.is_done


def test_a_long_interaction_source_text_crosses_to_the_host_whole():
    site = Site()
    ixn, session = site.call()
    site.do(session, "createcall", **{"from": "7001", "to": OUTSIDE})
    text = site.js(session, "uneval(_genesys.ixn.interactions)")
    assert len(text) > 1024  # long enough for QuickJS-ng to have kept it as a rope
    assert site.js(session, f"eval({text!r})[{ixn!r}].g_uid") == ixn

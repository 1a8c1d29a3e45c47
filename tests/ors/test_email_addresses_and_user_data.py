"""E-mail: the user data keys the e-mail server sets, and the `to` forms that name the address of
the related message (`_origin`, `_origin.all`, `_udata`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openors.testing import World

from .ixn_world import Site

DESK = Path(__file__).parent / "email_desk"


def run_desk():
    run = World(DESK / "topology.yaml", scenario=DESK / "one-email.yaml")
    run.run_until(60)
    return run


def test_an_acknowledgement_sent_to_origin_reaches_the_customer_and_quotes_the_subject_from_user_data():
    run = run_desk()
    (sent,) = run.platform.outbox
    assert sent["to"] == "jane@example.org"
    assert sent["subject"] == "We received: Order 1234"
    assert sent["from"] == "support@example.com"
    assert [r["final"] for r in run.trace if r["kind"] == "session.end"] == ["done"]


def test_the_email_server_puts_the_standard_keys_in_the_user_data_of_an_inbound_email():
    run = run_desk()
    everything = {**run.platform.interactions, **run.platform.finished}
    (inbound,) = [i for i in everything.values() if i.call_type == "InboundNew"]
    assert {k: inbound.udata[k] for k in ("Subject", "FromAddress", "FromPersonal", "To", "Mailbox")} == {
        "Subject": "Order 1234", "FromAddress": "jane@example.org", "FromPersonal": "Jane Doe",
        "To": "support@example.com", "Mailbox": "support@example.com"}
    logged = [r["value"] for r in run.trace if r["kind"] == "log" and r["label"] == "from"]
    assert logged == ["jane@example.org (Jane Doe)"]


def test_user_data_given_with_the_email_is_kept_beside_the_standard_keys():
    site = Site()
    ixn, session = site.email(udata={"Segment": "gold"})
    udata = site.js(session, "_genesys.ixn.interactions[ixnid].udata")
    assert udata["Segment"] == "gold" and udata["Subject"] == "Order"
    assert site.js(session, "_genesys.ixn.interactions[ixnid].msgbased.subject") == "Order"


@pytest.mark.parametrize("to, expected", [
    ("_origin", "jane@example.org"),
    ("_udata", "jane@example.org"),
    ("_origin.all", "jane@example.org"),    # sent to our mailbox only: nobody else to copy
    ("bob@example.net", "bob@example.net"),
])
def test_a_reply_takes_its_recipient_from_the_message_it_answers(to, expected):
    site = Site()
    ixn, session = site.email()
    name, done = site.answer(site.do(session, "createmessage", interactionid=ixn, to=to, send="true"))
    assert name == "msgbased.createmessage.done", done
    site.do(session, "sendmessage", interactionid=done["interactionid"])
    assert site.platform.get_interaction(done["interactionid"])["properties"]["to"] == expected


def test_origin_without_a_message_to_answer_is_refused_saying_why():
    site = Site()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "createmessage", to="_origin", subject="hello"))
    assert (name, data["error"]) == ("error.msgbased.createmessage", "Request Invalid")
    assert "interactionid" in data["description"]

"""E-mail, SMS and chat: arrival in interaction queues, routing to agents, messages and transcripts."""

from __future__ import annotations


def test_inbound_email_is_pulled_from_its_queue_and_starts_the_application(site):
    ixn = site.platform.inbound_email("jane@example.org", subject="Order", body="Where is it?")
    arrived = site.of("interaction.arrived", interaction_id=ixn)[0]
    assert (arrived.device, arrived.device_type, arrived.application) == ("email_in", "interaction_queue",
                                                                          "email-app")
    snap = site.platform.get_interaction(ixn)
    assert snap["category"] == "msgbased" and snap["type"] == "InboundNew" and snap["state"] == "treating"


def test_email_routed_to_agent_is_answered_with_a_reply(site):
    site.platform.agents["alice"].talk_time = 30
    ixn = site.platform.inbound_email("jane@example.org", subject="Order")
    site.platform.route(ixn, "alice")
    site.run(0.1)
    assert site.party_states(ixn) == {"alice": "ringing"}
    site.run(2)
    assert site.state(ixn) == "routed"
    site.run(30)
    assert site.platform.outbox[-1]["to"] == "jane@example.org"
    assert site.platform.outbox[-1]["subject"] == "Re: Order"
    assert site.of("interaction.ended", interaction_id=ixn)


def test_email_placed_in_a_queue_without_application_waits_there(site):
    ixn = site.platform.inbound_email("jane@example.org")
    req = site.platform.place_in_queue(ixn, {"type": "iq", "id": "parking"})
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.platform.queues["parking"].interactions == [ixn]
    assert site.state(ixn) == "null"
    req = site.platform.pull_from_queue("parking")
    site.run(0.1)
    assert site.outcome(req).interaction_id == ixn and site.state(ixn) == "treating"


def test_create_and_send_an_email(site):
    req = site.platform.create_message(to="bob@example.org", subject="Hello", srid="SR-7")
    site.run(0.1)
    done = site.outcome(req)
    assert done.data["srid"] == "SR-7"
    created = site.platform.get_interaction(done.interaction_id)
    assert created["type"] == "OutboundNew" and created["properties"]["from"] == "help@example.com"
    req = site.platform.send_message(done.interaction_id)
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.platform.outbox[-1]["to"] == "bob@example.org"
    assert site.of("message.sent", interaction_id=done.interaction_id)


def test_reply_to_an_inbound_email_goes_to_its_sender(site):
    parent = site.platform.inbound_email("jane@example.org", subject="Refund")
    req = site.platform.create_message(parent_id=parent, message_type="acknowledgement")
    site.run(0.1)
    reply = site.platform.get_interaction(site.outcome(req).interaction_id)
    assert reply["parentid"] == parent and reply["properties"]["to"] == "jane@example.org"
    assert reply["type"] == "OutboundAcknowledgement"


def test_sending_an_inbound_email_is_request_invalid(site):
    ixn = site.platform.inbound_email("jane@example.org")
    req = site.platform.send_message(ixn)
    site.run(0.1)
    assert site.outcome(req).error == "Request Invalid"


def test_inbound_sms_lands_in_the_sms_queue(site):
    ixn = site.platform.inbound_sms("+15550007", "call me")
    assert site.platform.get_interaction(ixn)["media"] == "TMediaSMS"
    assert site.platform.queues["parking"].interactions == [ixn]


def test_chat_messages_from_customer_and_agent_build_the_transcript(site):
    ixn = site.platform.inbound_chat("Sam", messages=[{"after": 5, "text": "hello"}], leave_after=100)
    site.platform.route(ixn, "bob")
    site.run(3.2)
    assert site.state(ixn) == "routed"
    req = site.platform.send_chat_message(ixn, "bob", "How can I help?")
    site.run(5)
    assert site.outcome(req).kind == "request.done"
    texts = [m.data["message"]["text"] for m in site.of("chat.message", interaction_id=ixn)]
    assert texts == ["Sam joined", "How can I help?", "hello"]
    req = site.platform.get_transcript(ixn)
    site.run(0.1)
    transcript = site.outcome(req).data["transcript"]
    assert [m["text"] for m in transcript] == texts
    assert transcript[1]["from"] == "bob" and transcript[2]["usertype"] == "customer"


def test_customer_leaving_ends_the_chat(site):
    ixn = site.platform.inbound_chat("Sam", leave_after=60)
    site.run(60)
    assert site.platform.get_interaction(ixn)["transcript"][-1]["text"] == "Sam left"
    assert site.of("interaction.ended", interaction_id=ixn)


def test_get_content_returns_the_message_fields(site):
    ixn = site.platform.inbound_email("jane@example.org", subject="S", body="B")
    req = site.platform.get_content(ixn)
    site.run(0.1)
    assert site.outcome(req).data["content"]["body"] == "B"


def test_revoked_interaction_goes_back_to_its_queue(site):
    ixn = site.platform.inbound_email("jane@example.org")
    site.platform.revoke(ixn)
    assert site.of("interaction.revoked", interaction_id=ixn)
    assert site.platform.queues["email_in"].interactions == [ixn]
    assert site.state(ixn) == "null"

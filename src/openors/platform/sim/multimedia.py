"""E-mail/SMS and chat servers, interaction queues and workbins, and multimedia requests."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.events import EventKind
from openors.platform.interface import Destination
from openors.platform.model import (
    CallState,
    CCEvent,
    CCEventCause,
    DeviceKind,
    Interaction,
    Party,
    PartyState,
    normalise_media,
)
from openors.platform.sim.core import Request
from openors.platform.sim.delivery import _label

if TYPE_CHECKING:
    from openors.platform.sim.platform import SimulatedPlatform

# createmessage `type` values -> Interaction Server subtypes
MESSAGE_SUBTYPES = {
    "outbound_new": "OutboundNew", "emailout": "OutboundNew", "reply": "OutboundReply",
    "acknowledgement": "OutboundAcknowledgement", "auto_response": "OutboundAutoResponse",
    "redirect": "OutboundRedirect", "forwarded": "OutboundRedirect",
    "outbound_notification": "OutboundNotification",
    "outbound_collaboration_invite": "OutboundCollaborationInvite",
    "inbound_collaboration_reply": "InboundCollaborationReply",
}
_SERVER_OF_MEDIA = {"TMediaEMail": "email", "TMediaSMS": "sms"}


class Multimedia:
    """The e-mail, SMS and chat servers, interaction queues and workbins: a part of the simulator.
    It reaches interactions, parties and the request machinery through the simulator's core."""

    def __init__(self, sim: SimulatedPlatform):
        self.sim = sim

    # -- customers writing in ----------------------------------------------------------------
    def inbound_email(self, sender: str, *, to: str | None = None, subject: str = "", body: str = "",
                      udata: dict | None = None) -> str:
        """A customer's e-mail. `sender` may carry a display name (`Jane Doe <jane@example.org>`)."""
        return self._inbound_message("email", "TMediaEMail", sender, to,
                                     {"subject": subject, "body": body}, udata)

    def inbound_sms(self, sender: str, text: str, *, to: str | None = None, udata: dict | None = None) -> str:
        return self._inbound_message("sms", "TMediaSMS", sender, to, {"body": text}, udata)

    def _inbound_message(self, kind: str, media: str, sender: str, to: str | None, content: dict,
                         udata: dict | None) -> str:
        server = self._inbound_server(kind)
        personal, address = parseaddr(sender)
        address = address or sender
        to = to or server.address
        standard = _email_user_data(address, personal, to, server.address, content.get("subject", "")) \
            if kind == "email" else {}
        ixn = self.sim._create(media, "InboundNew", properties={
            "from": address, "personal": personal, "to": to, **content, "server": server.name},
            udata={**standard, **(udata or {})})
        self._enqueue(ixn, server.inbound_queue)
        return ixn.interaction_id

    def inbound_chat(self, nickname: str, *, email: str | None = None, subject: str = "",
                     messages: list[dict] | None = None, leave_after: float | None = None,
                     udata: dict | None = None) -> str:
        """A customer opens a chat; `messages` are [{after, text}] relative to the chat start."""
        server = self._inbound_server("chat")
        ixn = self.sim._create("TMediaChat", "chat", properties={
            "from": nickname, "nickname": nickname, "email": email, "subject": subject,
            "server": server.name}, udata=udata)
        self._post(ixn, nickname, f"{nickname} joined", "Notice", customer=True)
        for message in messages or []:
            self.sim._later(message["after"], self._customer_writes, ixn.interaction_id, nickname,
                        message["text"], interaction_id=ixn.interaction_id)
        if leave_after is not None:
            self.sim._later(leave_after, self._customer_leaves_chat, ixn.interaction_id,
                        interaction_id=ixn.interaction_id)
        self._enqueue(ixn, server.inbound_queue)
        return ixn.interaction_id

    def _inbound_server(self, kind: str) -> Any:
        server = self.sim.servers.get(kind)
        if server is None or server.inbound_queue is None:
            raise PlatformError(ErrorCode.INVALID_SERVER, f"the topology has no {kind} server with an inbound_queue")
        return server

    def _customer_writes(self, interaction_id: str, nickname: str, text: str) -> None:
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is not None:
            self._post(ixn, nickname, text, "Message", customer=True)

    def _customer_leaves_chat(self, interaction_id: str) -> None:
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is not None:
            nickname = ixn.properties.get("nickname", "customer")
            self._post(ixn, nickname, f"{nickname} left", "Notice", customer=True)
            self.sim._end(ixn, callstate=CallState.REMOTE_RELEASE, reason="customer left the chat")

    def _post(self, ixn: Interaction, sender: str, text: str, message_type: str, *, customer: bool = False,
              party_id: str | None = None) -> dict[str, Any]:
        message = {"index": len(ixn.transcript), "from": sender, "nickname": sender, "type": message_type,
                   "text": text, "timestamp": self.sim.now(), "partyid": party_id,
                   "usertype": "customer" if customer else "agent"}
        ixn.transcript.append(message)
        self.sim._event(EventKind.CHAT_MESSAGE, interaction_id=ixn.interaction_id, party_id=party_id,
                    data={"message": dict(message)})
        return message

    # -- queues ------------------------------------------------------------------------------
    def _enqueue(self, ixn: Interaction, queue: str | None, *, workbin_owner: str | None = None) -> None:
        ixn.pulled = False
        if queue is None:
            return  # a server without an inbound queue: the interaction stays where it is
        if queue in self.sim.workbins:
            owner = workbin_owner or "shared"
            self.sim.workbins[queue].interactions.setdefault(owner, []).append(ixn.interaction_id)
            ixn.location = queue
            self.sim._sync_state(ixn)
            self.sim._event(EventKind.PLACED_IN_QUEUE, interaction_id=ixn.interaction_id, device=queue,
                        device_type="workbin", data={"owner": owner})
            return
        ixn.location = queue
        self.sim.queues[queue].interactions.append(ixn.interaction_id)
        self.sim._sync_state(ixn)
        self.sim._event(EventKind.PLACED_IN_QUEUE, interaction_id=ixn.interaction_id, device=queue,
                    device_type="interaction_queue")
        if self.sim.queues[queue].application:
            self._pull(ixn, queue)  # a strategy is configured: the router pulls it at once
            self.sim._event(EventKind.INTERACTION_ARRIVED, interaction_id=ixn.interaction_id, device=queue,
                        device_type="interaction_queue", application=self.sim.queues[queue].application,
                        data={"media": ixn.media, "category": ixn.category.value})

    def _pull(self, ixn: Interaction, queue: str) -> None:
        if ixn.interaction_id in self.sim.queues[queue].interactions:
            self.sim.queues[queue].interactions.remove(ixn.interaction_id)
        ixn.pulled = True
        self.sim._sync_state(ixn)
        self.sim._event(EventKind.PULLED, interaction_id=ixn.interaction_id, device=queue,
                    device_type="interaction_queue")

    def _leave_location(self, ixn: Interaction) -> None:
        for wb in self.sim.workbins.values():
            for items in wb.interactions.values():
                if ixn.interaction_id in items:
                    items.remove(ixn.interaction_id)
        if ixn.location in self.sim.queues and ixn.interaction_id in self.sim.queues[ixn.location].interactions:
            self.sim.queues[ixn.location].interactions.remove(ixn.interaction_id)

    def place_in_queue(self, interaction_id: str, queue: Destination, *, origin: str = "client") -> str:
        return self.sim._submit("place_in_queue", interaction_id, self._place, interaction_id, queue,
                            origin=origin)

    def _place(self, req: Request, interaction_id: str, queue: Destination) -> dict:
        ixn = self.sim._live(interaction_id)
        self.sim._require_category(ixn, "msgbased", "chat")
        target = self.sim._require_destination(queue)
        if target["kind"] not in ("queue", "workbin"):
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"{_label(queue)!r} is not a queue or workbin")
        self._to_queue(ixn, target)
        return {"interaction_id": interaction_id, "queue": target["name"]}

    def _to_queue(self, ixn: Interaction, target: dict[str, Any]) -> None:
        for party in list(ixn.parties.values()):
            self.sim._remove_party(ixn, party, ccevent=CCEvent.QUEUED, cause=CCEventCause.REDIRECTED)
        self._leave_location(ixn)
        self._enqueue(ixn, target["name"], workbin_owner=target.get("owner"))

    def pull_from_queue(self, queue: str, interaction_id: str | None = None, *, origin: str = "client") -> str:
        return self.sim._submit("pull_from_queue", interaction_id, self._pull_request, queue, interaction_id,
                            origin=origin)

    def _pull_request(self, req: Request, queue: str, interaction_id: str | None) -> dict:
        if queue not in self.sim.queues:
            raise PlatformError(ErrorCode.INVALID_SOURCE, f"no interaction queue {queue!r}")
        waiting = self.sim.queues[queue].interactions
        if interaction_id is None:
            if not waiting:
                raise PlatformError(ErrorCode.NO_INTERACTION, f"queue {queue!r} is empty")
            interaction_id = waiting[0]
        if interaction_id not in waiting:
            raise PlatformError(ErrorCode.NO_INTERACTION, f"{interaction_id!r} is not waiting in {queue!r}")
        self._pull(self.sim.interactions[interaction_id], queue)
        return {"interaction_id": interaction_id, "queue": queue}

    def revoke(self, interaction_id: str) -> None:
        """The media server takes a pulled interaction back into its queue (not re-pulled)."""
        ixn = self.sim._live(interaction_id)
        queue = ixn.location
        ixn.pulled = False
        if queue in self.sim.queues:
            self.sim.queues[queue].interactions.append(interaction_id)
        self.sim._sync_state(ixn)
        self.sim._event(EventKind.REVOKED, interaction_id=interaction_id, device=queue)

    def update_properties(self, interaction_id: str, changes: dict[str, Any], *, origin: str = "client") -> str:
        """Change properties of a multimedia interaction (subject, priority...), as Interaction
        Server clients do; reported as `interaction.property.changed` with `data.changed`."""
        return self.sim._submit("update_properties", interaction_id, self._update_properties, interaction_id,
                            changes, origin=origin)

    def _update_properties(self, req: Request, interaction_id: str, changes: dict[str, Any]) -> dict:
        ixn = self.sim._live(interaction_id)
        self.sim._require_category(ixn, "msgbased", "chat")
        if not isinstance(changes, dict) or not changes:
            raise PlatformError(ErrorCode.REQUEST_INVALID, "properties must be a non-empty key/value mapping")
        ixn.properties.update(changes)
        self.sim._event(EventKind.PROPERTY_CHANGED, interaction_id=interaction_id, data={"changed": dict(changes)})
        return {"interaction_id": interaction_id}

    # -- routing multimedia to agents ---------------------------------------------------------
    def route(self, req: Request, ixn: Interaction, destination: Destination,
                          source: str | None, udata: dict | None) -> dict:
        target = self.sim._require_destination(destination)
        if target["kind"] in ("queue", "workbin"):
            if udata:
                self.sim.calls._change_udata(ixn, set_=udata, source="request")
            self._to_queue(ixn, target)
            return {"interaction_id": ixn.interaction_id}
        if target["kind"] != "agent":
            raise PlatformError(ErrorCode.INVALID_DESTINATION,
                                f"{_label(destination)!r} is not an agent, queue or workbin")
        if not ixn.pulled:
            raise PlatformError(ErrorCode.invalid_state(ixn.state.value),
                                f"interaction {ixn.interaction_id} is not under strategy control")
        if udata:
            self.sim.calls._change_udata(ixn, set_=udata, source="request")
        self._offer(ixn, target["agent"])
        return {"interaction_id": ixn.interaction_id}

    def _offer(self, ixn: Interaction, agent_id: str, cause: CCEventCause = CCEventCause.DISTRIBUTED) -> Party:
        ixn.pulled = False
        ixn.location = None
        party = self.sim._add_party(ixn, agent_id, DeviceKind.AGENT, PartyState.RINGING, ccevent=CCEvent.OFFERED,
                                cause=cause, agent_id=agent_id)
        self.sim.agent_desk.party_rings(ixn, party)
        return party

    def single_step(self, ixn: Interaction, device: str | None, destination: Destination,
                                how: str) -> dict:
        target = self.sim._require_destination(destination)
        if target["kind"] != "agent":
            raise PlatformError(ErrorCode.INVALID_DESTINATION, f"{_label(destination)!r} is not an agent")
        party = self.sim._party_on(ixn, device) if device is not None else next(iter(ixn.parties.values()), None)
        if party is None:
            raise PlatformError(ErrorCode.INVALID_SOURCE, "no agent works on this interaction")
        fields = self.sim._party_fields(party)
        if how == "transfer":
            self.sim._remove_party(ixn, party, ccevent=CCEvent.TRANSFERED, cause=CCEventCause.SINGLE_STEP_TRANSFER)
            fields["party_state"] = PartyState.RELEASED.value
            self._offer(ixn, target["agent"], CCEventCause.SINGLE_STEP_TRANSFER)
            self.sim._event(EventKind.SINGLE_STEP_TRANSFERRED, interaction_id=ixn.interaction_id, **fields,
                        new_destination=target["agent"], ccevent=int(CCEvent.TRANSFERED),
                        cause=int(CCEventCause.SINGLE_STEP_TRANSFER))
        else:
            added = self._offer(ixn, target["agent"], CCEventCause.SINGLE_STEP_CONFERENCE)
            self.sim._event(EventKind.SINGLE_STEP_CONFERENCED, interaction_id=ixn.interaction_id, **fields,
                        new_destination=target["agent"], ccevent=int(CCEvent.CONFERENCED),
                        cause=int(CCEventCause.SINGLE_STEP_CONFERENCE),
                        data={"added": {"party_id": added.party_id, "device": added.device,
                                        "party_state": added.state.value}})
        return {"interaction_id": ixn.interaction_id}

    def agent_completes(self, ixn: Interaction, party: Party) -> None:
        """The agent is done: e-mails/SMS get a reply sent, chats are closed."""
        if ixn.category.value == "msgbased" and str(ixn.call_type).startswith("Inbound"):
            reply = self._new_message(ixn.media, "reply", parent=ixn, to=ixn.properties.get("from"),
                                      subject=f"Re: {ixn.properties.get('subject', '')}".strip(),
                                      body="(agent reply)")
            self._send(reply)
        elif ixn.category.value == "chat":
            self._post(ixn, party.agent_id or party.device, "chat closed by agent", "Notice",
                       party_id=party.party_id)
        self.sim._end(ixn, reason="completed by agent")

    # -- messages ----------------------------------------------------------------------------
    def create_message(self, *, media: str = "TMediaEMail", message_type: str = "outbound_new",
                       parent_id: str | None = None, to: str | None = None, from_: str | None = None,
                       subject: str | None = None, body: str | None = None, srid: str | None = None,
                       queue: str | None = None, server: str | None = None, udata: dict | None = None,
                       origin: str = "client") -> str:
        kind = _SERVER_OF_MEDIA.get(_safe_media(media), "email")
        return self.sim._submit("create_message", parent_id, self._create_message, media, message_type,
                            parent_id, to, from_, subject, body, srid, queue, udata, server=kind, origin=origin)

    def _create_message(self, req: Request, media: str, message_type: str, parent_id: str | None,
                        to: str | None, from_: str | None, subject: str | None, body: str | None,
                        srid: str | None, queue: str | None, udata: dict | None) -> dict:
        full = _safe_media(media)
        if full not in _SERVER_OF_MEDIA:
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"cannot create a message of media {media!r}")
        self.sim._server_for(_SERVER_OF_MEDIA[full])
        if message_type not in MESSAGE_SUBTYPES:
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"unknown message type {message_type!r}")
        parent = None
        if parent_id is not None:
            parent = self.sim.interactions.get(parent_id) or self.sim.finished.get(parent_id)
            if parent is None:
                raise PlatformError(ErrorCode.REQUEST_INVALID, f"no parent interaction {parent_id!r}")
        if to is None and parent is None:
            raise PlatformError(ErrorCode.REQUEST_INVALID, "a new message needs `to` or a parent to reply to")
        to = _address(to, parent)
        if queue is not None and queue not in self.sim.queues and queue not in self.sim.workbins:
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"no queue {queue!r}")
        if srid is not None and body is None:
            body = f"(standard response {srid})"
        ixn = self._new_message(full, message_type, parent=parent, to=to, from_=from_, subject=subject,
                                body=body, udata=udata)
        if queue is not None:
            self._enqueue(ixn, queue)
        result: dict[str, Any] = {"interaction_id": ixn.interaction_id}
        if srid is not None:
            result["srid"] = srid
        return result

    def _new_message(self, media: str, message_type: str, *, parent: Interaction | None, to: str | None,
                     from_: str | None = None, subject: str | None = None, body: str | None = None,
                     udata: dict | None = None) -> Interaction:
        server = self.sim.servers.get(_SERVER_OF_MEDIA.get(media, "email"))
        properties = {"to": to or (parent.properties.get("from") if parent else None),
                      "from": from_ or (server.address if server else None),
                      "subject": subject if subject is not None else (
                          f"Re: {parent.properties.get('subject', '')}" if parent else ""),
                      "body": body or ""}
        merged_udata = {**(parent.udata if parent else {}), **(udata or {})}
        return self.sim._create(media, MESSAGE_SUBTYPES[message_type], properties=properties, udata=merged_udata,
                            parent_id=parent.interaction_id if parent else None)

    def send_message(self, interaction_id: str, *, queue: str | None = None, origin: str = "client") -> str:
        ixn = self.sim.interactions.get(interaction_id)
        kind = _SERVER_OF_MEDIA.get(ixn.media, "email") if ixn is not None else None
        return self.sim._submit("send_message", interaction_id, self._send_request, interaction_id, server=kind,
                            origin=origin)

    def _send_request(self, req: Request, interaction_id: str) -> dict:
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is None:
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"no interaction {interaction_id!r} to send")
        if ixn.media not in _SERVER_OF_MEDIA or not str(ixn.call_type).startswith("Outbound"):
            raise PlatformError(ErrorCode.REQUEST_INVALID,
                                f"interaction {interaction_id} is not an outbound e-mail or SMS")
        self.sim._server_for(_SERVER_OF_MEDIA[ixn.media])
        self._send(ixn)
        return {"interaction_id": interaction_id}

    def _send(self, ixn: Interaction) -> None:
        server = self.sim.servers.get(_SERVER_OF_MEDIA[ixn.media])
        record = {"interaction_id": ixn.interaction_id, "media": ixn.media, "time": self.sim.now(),
                  "server": server.name if server else None, **ixn.properties}
        self.sim.outbox.append(record)
        self._leave_location(ixn)
        self.sim._event(EventKind.MESSAGE_SENT, interaction_id=ixn.interaction_id, data=dict(record))
        self.sim._end(ixn, reason="sent")

    # -- chat --------------------------------------------------------------------------------
    def send_chat_message(self, interaction_id: str, from_: str, text: str, *, message_type: str = "Message",
                          origin: str = "client") -> str:
        return self.sim._submit("send_chat_message", interaction_id, self._chat_send, interaction_id, from_, text,
                            message_type, server="chat", origin=origin)

    def _chat(self, interaction_id: str) -> Interaction:
        ixn = self.sim.interactions.get(interaction_id) if isinstance(interaction_id, str) else None
        if ixn is None or ixn.category.value != "chat":
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"{interaction_id!r} is not a live chat interaction")
        return ixn

    def _chat_send(self, req: Request, interaction_id: str, from_: str, text: str, message_type: str) -> dict:
        ixn = self._chat(interaction_id)
        if not isinstance(text, str) or not text:
            raise PlatformError(ErrorCode.REQUEST_INVALID, "a chat message needs non-empty text")
        party = ixn.party_at(from_) if from_ else None
        message = self._post(ixn, from_ or "system", text, message_type,
                             party_id=party.party_id if party else None)
        return {"interaction_id": interaction_id, "message": message}

    def get_transcript(self, interaction_id: str, *, origin: str = "client") -> str:
        return self.sim._submit("get_transcript", interaction_id, self._transcript, interaction_id, server="chat",
                            origin=origin)

    def _transcript(self, req: Request, interaction_id: str) -> dict:
        ixn = self._chat(interaction_id)
        return {"interaction_id": interaction_id, "transcript": [dict(m) for m in ixn.transcript]}

    def get_content(self, interaction_id: str, *, origin: str = "client") -> str:
        return self.sim._submit("get_content", interaction_id, self._content, interaction_id, origin=origin)

    def _content(self, req: Request, interaction_id: str) -> dict:
        ixn = self.sim.interactions.get(interaction_id) if isinstance(interaction_id, str) else None
        if ixn is None or ixn.category.value == "voice":
            raise PlatformError(ErrorCode.REQUEST_INVALID, f"{interaction_id!r} is not a live multimedia interaction")
        content = {k: v for k, v in ixn.properties.items() if k in ("from", "to", "subject", "body", "nickname")}
        if ixn.category.value == "chat":
            content["transcript"] = [dict(m) for m in ixn.transcript]
        return {"interaction_id": interaction_id, "content": content}


def _email_user_data(address: str, personal: str, to: str | None, mailbox: str | None, subject: str) -> dict:
    """The user data keys the e-mail server attaches to an inbound e-mail, as Genesys E-mail
    Server does (strategies read the subject and the sender there, not in the message)."""
    data = {"Subject": subject, "FromAddress": address, "To": to or "", "Mailbox": mailbox or to or "",
            "EmailAddress": address}
    if personal:
        data["FromPersonal"] = personal
    return data


# The address forms of `to` that name an address of another message (ORS-SPEC §4.3.3).
_RELATED_ADDRESSES = ("_origin", "_origin.all", "_udata")


def _address(to: Any, parent: Interaction | None) -> Any:
    """`_origin`: the sender of the message answered; `_origin.all`: the sender and the others it
    was sent to (but our own mailbox); `_udata`: the address in its user data (`EmailAddress`,
    else `FromAddress`). Other values are addresses already."""
    if not isinstance(to, str) or to not in _RELATED_ADDRESSES:
        return to
    if parent is None:
        raise PlatformError(ErrorCode.REQUEST_INVALID,
                            f"to {to!r} is the address of a related message: give the message (interactionid)")
    sender = parent.properties.get("from")
    if to == "_udata":
        found = parent.udata.get("EmailAddress") or parent.udata.get("FromAddress")
        if not found:
            raise PlatformError(ErrorCode.REQUEST_INVALID,
                                f"to '_udata': interaction {parent.interaction_id} has no EmailAddress or "
                                f"FromAddress in its user data")
        return str(found)
    if not sender:
        raise PlatformError(ErrorCode.REQUEST_INVALID,
                            f"to {to!r}: interaction {parent.interaction_id} has no sender address")
    if to == "_origin":
        return sender
    mailbox = parent.udata.get("Mailbox")
    others = [a.strip() for field in ("to", "cc") for a in str(parent.properties.get(field) or "").split(",")]
    return ", ".join([sender] + [a for a in others if a and a not in (sender, mailbox)])


def _safe_media(media: str) -> str:
    try:
        return normalise_media(media)
    except (ValueError, AttributeError):
        return str(media)

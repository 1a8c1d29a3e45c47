"""Platform events -> Interaction Interface events for the owning session.

Rules from the seed (ors-reference/interaction-interface-events.txt):
* party events only for interactions already associated with a session;
* `interaction.notcontrolled` comes before `interaction.deleted`, both with the same `resultof`
  (`deletion` when the interaction ended);
* the session's `_genesys.ixn` view is updated before the event that reports the change.
Events outside the seed that Composer applications wait for (`interaction.abandoned`,
`chat.message`) are sent too; the catalogue lists them as extensions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.platform.events import EventKind, PlatformEvent

if TYPE_CHECKING:
    from openors.scxml import Session

    from ..world import OrsWorld

ABANDONED_CALLSTATE = 21


def _hints(ev: PlatformEvent) -> dict:
    return {k: v for k, v in (("ccevent", ev.ccevent), ("cause", ev.cause), ("callstate", ev.callstate))
            if v is not None}


def _party(ev: PlatformEvent) -> dict:
    return {"interactionid": ev.interaction_id, "focusdeviceid": ev.device, "partyid": ev.party_id,
            "partystate": ev.party_state}


def dispatch(world: OrsWorld, ev: PlatformEvent) -> None:
    handler = _HANDLERS.get(ev.kind)
    if handler is not None:
        handler(world, ev)


def _owned(world: OrsWorld, ev: PlatformEvent) -> Session | None:
    session = world.owner_session(ev.interaction_id)
    if session is not None and ev.interaction_id is not None:
        world.refresh(session, ev.interaction_id)
    return session


def _party_added(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "interaction.partyadded", _party(ev))


def _party_changed(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        data = _party(ev)
        if hints := _hints(ev):
            data["hints"] = hints
        world.deliver(session, "interaction.partystatechanged", data)


def _party_deleted(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "interaction.partydeleted", _party(ev))


def _route_request(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "interaction.onrouterequest", {"interactionid": ev.interaction_id})


def _diverted(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        data = {"interactionid": ev.interaction_id, "divertingpartyid": ev.party_id,
                "divertingresource": ev.device, "divertingpartystate": ev.party_state,
                "newdestination": ev.new_destination}
        if hints := _hints(ev):
            data["hints"] = hints
        world.deliver(session, "interaction.ondivert", data)


def _single_step_transferred(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "interaction.onsinglesteptransfer", {
            "interactionid": ev.interaction_id, "transferringpartyid": ev.party_id,
            "transferringresource": ev.device, "transferringpartystate": ev.party_state,
            "newdestination": ev.new_destination})


def _single_step_conferenced(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        added = (ev.data or {}).get("added") or {}
        world.deliver(session, "interaction.onsinglestepconference", {
            "interactionid": ev.interaction_id, "conferencingpartyid": ev.party_id,
            "conferencingresource": ev.device, "conferencingpartystate": ev.party_state,
            "addedpartyid": added.get("party_id"), "addedresource": added.get("device"),
            "addedpartystate": added.get("party_state")})


def _merged(world: OrsWorld, ev):
    data = ev.data or {}
    from_id, to_id = data.get("from_interaction_id"), data.get("to_interaction_id")
    active, held = data.get("active") or {}, data.get("held") or {}
    payload = {"frominteractionid": from_id, "tointeractionid": to_id,
               "activeresource": active.get("device"), "activepartyid": active.get("party_id"),
               "activepartystate": active.get("party_state"), "heldresource": held.get("device"),
               "heldpartyid": held.get("party_id"), "heldpartystate": held.get("party_state")}
    hints = _hints(ev)
    hints["merge"] = data.get("merge")
    payload["hints"] = hints
    told = set()
    for ixn_id in (to_id, from_id):
        session = world.owner_session(ixn_id)
        if session is not None and ixn_id is not None and session.id not in told:
            told.add(session.id)
            world.refresh(session, ixn_id)
            world.deliver(session, "interaction.onmerge", payload)


def _udata_changed(world: OrsWorld, ev):
    if world.is_own_request(ev.request_id):
        # The world's own write (OP-Session-ID): nothing for the session to hear, so an evicted
        # owner stays evicted; its view is brought up to date without waking it.
        world.refresh_quietly(ev.interaction_id)
        return
    session = _owned(world, ev)
    if session is not None:
        world.deliver(session, "interaction.udata.changed", {"interactionid": ev.interaction_id})


def _property_changed(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "interaction.property.changed", {"interactionid": ev.interaction_id})


def _revoked(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.lose_control(session, ev.interaction_id, "revoking")


def _ended(world: OrsWorld, ev):
    session = world.owner_session(ev.interaction_id)
    if session is None:
        return
    world.refresh(session, ev.interaction_id)
    if ev.callstate == ABANDONED_CALLSTATE:
        world.deliver(session, "interaction.abandoned", {"interactionid": ev.interaction_id})
    world.release(session, ev.interaction_id, "deletion")


def _chat_message(world: OrsWorld, ev):
    if (session := _owned(world, ev)) is not None:
        world.deliver(session, "chat.message", {"interactionid": ev.interaction_id,
                                                "message": (ev.data or {}).get("message")})


def _refresh_only(world: OrsWorld, ev):
    _owned(world, ev)


_HANDLERS = {
    EventKind.PARTY_ADDED: _party_added,
    EventKind.PARTY_CHANGED: _party_changed,
    EventKind.PARTY_DELETED: _party_deleted,
    EventKind.ROUTE_REQUEST: _route_request,
    EventKind.DIVERTED: _diverted,
    EventKind.SINGLE_STEP_TRANSFERRED: _single_step_transferred,
    EventKind.SINGLE_STEP_CONFERENCED: _single_step_conferenced,
    EventKind.MERGED: _merged,
    EventKind.UDATA_CHANGED: _udata_changed,
    EventKind.PROPERTY_CHANGED: _property_changed,
    EventKind.PLACED_IN_QUEUE: _refresh_only,
    EventKind.PULLED: _refresh_only,
    EventKind.REVOKED: _revoked,
    EventKind.ENDED: _ended,
    EventKind.CHAT_MESSAGE: _chat_message,
    EventKind.STATE_CHANGED: _refresh_only,
}

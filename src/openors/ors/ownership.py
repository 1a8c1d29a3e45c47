"""Which session owns which interaction, and each session's `_genesys.ixn` view (ORS-SPEC §3).

One session per interaction. Association makes a session the owner (`interaction.added`, then
`interaction.present`); release takes it away (`interaction.notcontrolled`, then
`interaction.deleted`). The view each session reads in `_genesys.ixn.interactions` is rebuilt from
the platform's snapshot of the interaction and pushed into the session's JS when it changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openors.scxml import Session, SessionHost

from .actions import ActionError
from .interaction.view import interaction_view


@dataclass
class SessionInteractions:
    """The interactions one session owns, in association order, and which of them it controls."""

    order: list[str] = field(default_factory=list)
    controlled: set[str] = field(default_factory=set)
    detached: set[str] = field(default_factory=set)  # left by <detach>; actions still allowed
    views: dict[str, dict] = field(default_factory=dict)
    firstixnid: str | None = None


class Ownership:
    def __init__(self, host: SessionHost, platform: Any, deliver: Callable[[Session, str, dict], None],
                 own_request: Callable[[str], None]):
        self.host = host
        self.platform = platform
        self._deliver = deliver  # (session, event name, data): a module event to the session
        self._own_request = own_request  # a platform request the world makes for itself
        self.owner: dict[str, str] = {}  # interaction id -> session id
        self.sessions: dict[str, SessionInteractions] = {}

    def session_state(self, session: Session) -> SessionInteractions:
        return self.sessions.setdefault(session.id, SessionInteractions())

    def owner_session(self, ixn_id: str | None) -> Session | None:
        if ixn_id is None:
            return None
        sid = self.owner.get(ixn_id)
        return self.host.sessions.get(sid) if sid is not None else None

    def session_ended(self, session_id: str) -> SessionInteractions | None:
        """Forget the session: it owns nothing any more. Returns what it had."""
        state = self.sessions.pop(session_id, None)
        if state is not None:
            for ixn_id in state.order:
                if self.owner.get(ixn_id) == session_id:
                    del self.owner[ixn_id]
        return state

    # --- association ----------------------------------------------------------------------------
    def associate(self, session: Session, ixn_id: str, *, present: bool = True) -> None:
        """Make `session` the owner: interaction.added, then interaction.present."""
        previous = self.owner.get(ixn_id)
        if previous is not None and previous != session.id:
            old = self.host.sessions.get(previous)
            if old is not None:
                self.release(old, ixn_id, "detaching")
        state = self.session_state(session)
        self.owner[ixn_id] = session.id
        state.detached.discard(ixn_id)
        if ixn_id not in state.order:
            state.order.append(ixn_id)
        if state.firstixnid is None:
            state.firstixnid = ixn_id
        self.refresh(session, ixn_id)
        self._deliver(session, "interaction.added", {"interactionid": ixn_id})
        if present:
            state.controlled.add(ixn_id)
            self._deliver(session, "interaction.present", {"interactionid": ixn_id})
        self._own_request(self.platform.update_user_data(ixn_id, {"OP-Session-ID": session.id}))

    def release(self, session: Session, ixn_id: str, resultof: str, *, keep_actions: bool = False) -> None:
        """The session loses the interaction: notcontrolled (if it still controlled it), then deleted."""
        state = self.session_state(session)
        if ixn_id in state.controlled:
            state.controlled.discard(ixn_id)
            self._deliver(session, "interaction.notcontrolled", {"interactionid": ixn_id, "resultof": resultof})
        if ixn_id in state.order:
            state.order.remove(ixn_id)
            state.views.pop(ixn_id, None)
            self.push(session)
            self._deliver(session, "interaction.deleted", {"interactionid": ixn_id, "resultof": resultof})
        if keep_actions:
            state.detached.add(ixn_id)
        if self.owner.get(ixn_id) == session.id:
            del self.owner[ixn_id]

    def disown(self, session: Session, ixn_id: str) -> None:
        """Give up ownership but keep the interaction in the session's view (a redirect with
        detach="true" is under way: a session on the new routing point may take it meanwhile)."""
        if self.owner.get(ixn_id) == session.id:
            del self.owner[ixn_id]
        self.session_state(session).detached.add(ixn_id)

    def reown(self, session: Session, ixn_id: str) -> None:
        """The detaching redirect failed: the interaction is the session's again, if nobody took it."""
        state = self.session_state(session)
        if ixn_id in state.order and ixn_id not in self.owner:
            self.owner[ixn_id] = session.id
            state.detached.discard(ixn_id)

    def lose_control(self, session: Session, ixn_id: str, resultof: str) -> None:
        state = self.session_state(session)
        if ixn_id in state.controlled:
            state.controlled.discard(ixn_id)
            self._deliver(session, "interaction.notcontrolled", {"interactionid": ixn_id, "resultof": resultof})

    def resolve_interaction(self, session: Session, ixn_id: Any, *, allow_detached: bool = False) -> str:
        """The id an action means: "0" or nothing = the first interaction; must be the session's."""
        state = self.session_state(session)
        if ixn_id in (None, "", "0", 0):
            if not state.order:
                raise ActionError("nointeraction", "the session has no interaction")
            return state.order[0]
        ixn_id = str(ixn_id)
        if ixn_id in state.order or (allow_detached and ixn_id in state.detached):
            return ixn_id
        if self.platform.get_interaction(ixn_id) is None:
            raise ActionError("nointeraction", f"interaction '{ixn_id}' does not exist")
        raise ActionError("nointeraction", f"interaction '{ixn_id}' is not associated with this session")

    # --- the _genesys.ixn view --------------------------------------------------------------------
    def refresh(self, session: Session, ixn_id: str) -> None:
        snap = self.platform.get_interaction(ixn_id)
        if snap is None:
            return
        self.session_state(session).views[ixn_id] = interaction_view(snap)
        self.push(session)

    def refresh_quietly(self, ixn_id: str) -> None:
        """Update the owner's view of an interaction; push it to JS only if the owner is in memory
        (an evicted owner gets its views pushed when it is restored)."""
        sid = self.owner.get(ixn_id)
        snap = self.platform.get_interaction(ixn_id) if sid is not None else None
        if sid is None or snap is None:
            return
        self.sessions.setdefault(sid, SessionInteractions()).views[ixn_id] = interaction_view(snap)
        session = dict.get(self.host.sessions, sid)  # plain lookup: never restores an evicted session
        if session is not None:
            self.push(session)

    def push(self, session: Session) -> None:
        state = self.session_state(session)
        payload = {"order": [i for i in state.order if i in state.views], "interactions": state.views,
                   "firstixnid": state.firstixnid}
        dm = session.interpreter.datamodel
        if hasattr(dm, "call_function"):
            dm.call_function("__ors_setInteractions", json.dumps(payload, default=str))

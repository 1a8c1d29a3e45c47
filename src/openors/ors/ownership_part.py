"""The interactions a session owns, carried in its snapshot, for contact centers that outlive the
ORS node (`openors platform` and `RemotePlatform`).

With the embedded simulator, calls die with the process, so ownership is not persisted. When the
contact center is a service of its own, a session restored after a crash (or taken over from a
dead node) still owns its calls: this part puts back which interactions it owns, what its
`_genesys.ixn` view last showed, and where each interaction's events stood (platform epoch and
sequence number), then asks the platform for them (`claim`), which replays what the session missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ownership import SessionInteractions

if TYPE_CHECKING:
    from openors.scxml import Session

    from .ownership import Ownership

log = logging.getLogger("openors.ors")

OWNERSHIP_PART = "ors_interactions"

Position = tuple[str | None, int]


class OwnershipPart:
    def __init__(self, ownership: Ownership, position: Callable[[str], Position | None],
                 claim: Callable[[dict[str, Position]], None]):
        self.ownership = ownership
        self._position = position  # interaction -> (epoch, last sequence number) the node saw
        self._claim = claim  # ask the platform for interactions sessions came back with

    def save(self, session: Session) -> dict[str, Any] | None:
        state = self.ownership.sessions.get(session.id)
        if state is None or not (state.order or state.detached):
            return None
        positions = {}
        for ixn in state.order:
            found = self._position(ixn)
            if found is not None:
                positions[ixn] = list(found)
        return {"order": list(state.order), "controlled": sorted(state.controlled),
                "detached": sorted(state.detached), "firstixnid": state.firstixnid,
                "views": state.views, "positions": positions}

    def restore(self, session: Session, data: Any) -> int:
        """Put the session's interactions back, unless this process still has them (a session
        evicted and restored here); claim them from the platform. Returns how many."""
        if session.id in self.ownership.sessions:
            return 0
        if not isinstance(data, dict) or not isinstance(data.get("order"), list):
            log.warning("ignoring malformed interactions in the snapshot", extra={"session_id": session.id})
            return 0
        order = [i for i in data["order"] if isinstance(i, str)]
        state = SessionInteractions(order=order, controlled={i for i in data.get("controlled") or [] if i in order},
                                    detached={i for i in data.get("detached") or [] if isinstance(i, str)},
                                    views={k: v for k, v in (data.get("views") or {}).items() if k in order},
                                    firstixnid=data.get("firstixnid"))
        self.ownership.sessions[session.id] = state
        claims: dict[str, Position] = {}
        for ixn in order:
            if self.ownership.owner.setdefault(ixn, session.id) != session.id:
                continue  # another session here has it already; the platform decides below
            raw = (data.get("positions") or {}).get(ixn)
            if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[1], int):
                claims[ixn] = (raw[0] if isinstance(raw[0], str) else None, raw[1])
            else:
                claims[ixn] = (None, 0)
        if claims:
            self._claim(claims)
        return len(claims)

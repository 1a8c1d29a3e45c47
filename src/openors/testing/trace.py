"""Queries on a world's trace: the records `OrsWorld` writes, one dict each, in order.

Kinds: `session.start`, `session.end`, `event` (an SCXML event a session took), `state`, `log`,
`action` (a module action with its evaluated attributes), `platform` (a contact-center event),
`fetch*`, `error`, `session.refused`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class Trace(list):
    def kind(self, kind: str) -> list[dict]:
        return [r for r in self if r["kind"] == kind]

    def events(self, prefix: str = "", *, session: str | None = None) -> list[dict]:
        """Events sessions took whose name starts with `prefix` (optionally one session's)."""
        return [r for r in self if r["kind"] == "event" and r["name"].startswith(prefix)
                and (session is None or r["session"] == session)]

    def event_names(self, prefix: str = "", *, session: str | None = None) -> list[str]:
        return [r["name"] for r in self.events(prefix, session=session)]

    def one_event(self, name: str, *, session: str | None = None) -> dict:
        found = [r for r in self.events(session=session) if r["name"] == name]
        if len(found) != 1:
            raise AssertionError(f"expected one {name!r} event, found {len(found)}; "
                                 f"sessions took {self.event_names(session=session)}")
        return found[0]

    def logs(self, label: str | None = None) -> list[Any]:
        return [r["value"] for r in self if r["kind"] == "log" and (label is None or r["label"] == label)]

    def actions(self, name: str | None = None) -> list[dict]:
        return [r for r in self if r["kind"] == "action" and (name is None or r["action"] == name)]

    def platform(self, event_kind: str | None = None, **fields: Any) -> list[dict]:
        """Contact-center events (`interaction.created`, `party.changed`, ...), filtered by fields."""
        out = []
        for r in self.kind("platform"):
            ev = r["event"]
            if (event_kind is None or ev["kind"] == event_kind) and all(ev.get(k) == v for k, v in fields.items()):
                out.append(ev)
        return out

    def summary(self, now: float) -> dict[str, Any]:
        kinds = Counter(r["kind"] for r in self)
        platform = Counter(r["event"]["kind"] for r in self.kind("platform"))
        finals = Counter(r.get("final") for r in self.kind("session.end"))
        return {"virtual_time": now, "sessions_started": kinds["session.start"],
                "sessions_ended": kinds["session.end"], "final_states": dict(finals),
                "scxml_events": kinds["event"], "actions": kinds["action"],
                "interactions": platform["interaction.created"], "ended": platform["interaction.ended"]}

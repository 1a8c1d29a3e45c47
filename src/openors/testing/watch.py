"""What a world's sessions do that the trace does not say by itself: error events no transition
handled, sessions stopped by their budgets, and (for `openors test --coverage`) the states entered
and transitions taken. Observed through the host's listener registry only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openors.scxml import Event, Session
from openors.scxml import model as m
from openors.scxml.budgets import Breach
from openors.scxml.listeners import SessionListener

from .coverage import Coverage


class EngineWatch(SessionListener):
    def __init__(self, record: Callable[..., None], coverage: Coverage | None = None):
        self._record = record  # record(kind, **fields) -> a trace record
        self.coverage = coverage

    def event_unhandled(self, session: Session, event: Event) -> None:
        if event.name.startswith("error."):
            self._record("error.unhandled", session=session.id, name=event.name, data=_plain(event.data))

    def error_raised(self, session: Session, event: Event) -> None:
        self._record("error.raised", session=session.id, name=event.name, data=_plain(event.data))

    def budget_breached(self, session: Session, breach: Breach, ended: bool) -> None:
        self._record("session.stopped" if ended else "budget", session=session.id, budget=breach.budget,
                     description=breach.description)

    def session_started(self, session: Session) -> None:
        if self.coverage is not None:
            self.coverage.document(session.interpreter.doc)

    def state_entered(self, session: Session, state: m.State) -> None:
        if self.coverage is not None:
            self.coverage.entered(state)

    def transitions_taken(self, session: Session, transitions: list[m.Transition]) -> None:
        if self.coverage is not None:
            self.coverage.taken(transitions)


def _plain(value: Any) -> Any:
    """Event data as JSON-able values (DOM and JS objects become text)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)

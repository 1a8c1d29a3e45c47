"""The one way to observe a host's sessions: subscribe a listener, get told, unsubscribe.

A listener is any object with some of the methods of `SessionListener` (subclassing it is the easy
way: override what you need). The host calls each subscribed method in subscription order, at the
moment the hook names. Observers never change the engine's objects to be told something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import model as m
    from .budgets import Breach
    from .events import Event
    from .session import Session


class SessionListener:
    """Every hook a host offers; each does nothing here."""

    def session_started(self, session: Session) -> None:
        """A new session exists on the host; its first macrostep has not run yet."""

    def session_restored(self, session: Session) -> None:
        """A session came back from a snapshot (crash recovery, an evicted session brought back)."""

    def session_ended(self, session: Session) -> None:
        """The session left the host (it finished, was terminated, cancelled or stopped by budgets)."""

    def event_queued(self, session: Session, event: Event) -> None:
        """An external event joined the session's queue."""

    def event_taken(self, session: Session, event: Event) -> None:
        """The session's macrostep (or microstep, for internal events) takes this event."""

    def event_unhandled(self, session: Session, event: Event) -> None:
        """The session took this event and it enabled no transition (an error nobody caught, an
        event the strategy ignores)."""

    def error_raised(self, session: Session, event: Event) -> None:
        """Executable content failed and raised this error event (error.execution, ...). It joins the
        internal queue: the session may end before it takes it."""

    def transitions_taken(self, session: Session, transitions: list[m.Transition]) -> None:
        """A microstep is about to take these transitions (eventless ones included)."""

    def state_entered(self, session: Session, state: m.State) -> None: ...

    def state_exited(self, session: Session, state: m.State) -> None: ...

    def logged(self, session: Session, label: str | None, value: Any, level: str | None) -> None:
        """<log> (or an ORS __Log) wrote an entry."""

    def macrostep_done(self, session: Session) -> None:
        """A macrostep of the session (its start, or one external event) is behind it."""

    def timer_fired(self, session: Session) -> None:
        """One of the session's delayed sends fell due and went out."""

    def budget_breached(self, session: Session, breach: Breach, ended: bool) -> None:
        """The session broke a budget (budgets.py); `ended`: it was ended for it."""


HOOKS: tuple[str, ...] = tuple(name for name in vars(SessionListener) if not name.startswith("_"))


class Subscription:
    """What `subscribe` returns: `cancel()` unsubscribes."""

    def __init__(self, listeners: Listeners, entries: list[tuple[str, Callable[..., None]]]):
        self._listeners = listeners
        self._entries = entries

    def cancel(self) -> None:
        for hook, method in self._entries:
            calls = self._listeners.calls[hook]
            if method in calls:
                calls.remove(method)
        self._entries = []


class Listeners:
    """The subscribed methods of each hook. `calls[hook]` is a plain list so that hot paths
    (event_taken) cost one lookup and a loop over what is usually one or two methods."""

    def __init__(self) -> None:
        self.calls: dict[str, list[Callable[..., None]]] = {hook: [] for hook in HOOKS}

    def subscribe(self, listener: object) -> Subscription:
        """Subscribe every hook method `listener` has (a SessionListener subclass's overrides)."""
        entries = []
        for hook in HOOKS:
            method = getattr(listener, hook, None)
            if method is None or getattr(method, "__func__", None) is getattr(SessionListener, hook):
                continue  # not overridden: nothing to tell it
            self.calls[hook].append(method)
            entries.append((hook, method))
        if not entries:
            raise TypeError(f"{type(listener).__name__} has none of the hooks {', '.join(HOOKS)}")
        return Subscription(self, entries)

    def on(self, hook: str, call: Callable[..., None]) -> Subscription:
        """Subscribe one function to one hook (handy in tests and small tools)."""
        if hook not in self.calls:
            raise ValueError(f"no hook {hook!r}; the hooks are {', '.join(HOOKS)}")
        self.calls[hook].append(call)
        return Subscription(self, [(hook, call)])

    def notify(self, hook: str, *args: Any) -> None:
        for call in self.calls[hook]:
            call(*args)

"""The ORS world: where SCXML sessions meet the contact center (ORS-SPEC §3).

`OrsWorld` joins a `Platform` (the simulator, or a connector to a real switch) and a `SessionHost`.
It is composed of parts with one job each:

* `Applications` (applications.py): which document an application runs, and preparing documents;
* `Ownership` (ownership.py): one session per interaction, and each session's `_genesys.ixn` view;
* `Requests` (requests.py): platform requests of module actions and their outcomes;
* `InflightRequests` (inflight.py): open requests carried in snapshots;
* the module services: the queue router, the statistics, the session module.

The world starts a session when an interaction reaches a routing point or interaction queue that
has an application, turns platform events into Interaction Interface events for the owning session
(`openors.ors.interaction.events`), and writes the trace (`openors simulate --trace`). It observes
the host only through its listener registry, and module actions reach it through `host.services`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from openors.platform.events import EventKind, PlatformEvent
from openors.scxml import Event, Session, SessionHost
from openors.scxml import model as m
from openors.scxml.errors import ScxmlLoadError
from openors.scxml.extensions import Extensions
from openors.scxml.listeners import SessionListener

from .actions import ModuleContext, module_event
from .applications import Applications, application_url, fill_placeholders
from .catalogue import load_catalogue
from .dialog.treatments import TreatmentRuns
from .extensions import ors_extensions
from .inflight import InflightRequests
from .interaction import events as ixn_events
from .modules_registry import default_modules
from .ownership import Ownership, SessionInteractions
from .queue.router import QueueRouter
from .requests import DEFAULT_REQUEST_TIMEOUT_S, Requests
from .session.schedule import Schedules
from .session.setup import SessionModule
from .statistic.service import StatisticService
from .statistic.stats import Statistics

__all__ = ["DEFAULT_REQUEST_TIMEOUT_S", "INFLIGHT_PART", "OrsWorld", "SessionInteractions", "application_url",
           "fill_placeholders"]

log = logging.getLogger("openors.ors")

INFLIGHT_PART = "ors_requests"  # the snapshot part holding the session's open module requests

# (application, interaction id) -> None to let the session start, or why not (admission control)
StartGate = Callable[[str, str | None], str | None]


class OrsWorld(ModuleContext, SessionListener):
    def __init__(self, platform: Any, host: SessionHost, *, applications: dict[str, str] | None = None,
                 base_url: str | None = None, extensions: Extensions | None = None,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
                 trace: Callable[[dict], None] | None = None, config_lists: Any = None,
                 document_loader: Callable[[str], m.Document] | None = None,
                 measure: Callable[..., None] | None = None):
        self.platform = platform
        self.host = host
        # Read the event catalogue now: the first error event needs it, and loading it inside
        # that session's macrostep would count against the session's CPU budget.
        load_catalogue()
        self.extensions = extensions or ors_extensions(modules=default_modules())
        self._trace_sink = trace
        self.tracing = trace is not None
        self.requests = Requests(host, request_timeout, measure)
        self.ownership = Ownership(host, platform, self.deliver, self.requests.own)
        self.applications = Applications(applications or {}, base_url, self.extensions, host.sources,
                                         platform.get_interaction, self._prepare_document, document_loader)
        # Requests between their action and their answer, carried in snapshots (inflight.py).
        self.inflight = InflightRequests(self)
        host.snapshot_parts[INFLIGHT_PART] = self.inflight
        self._record_handlers: dict[str, Callable[[Session, dict], None]] = {"udata": self.user_data_request}
        self._start_gates: list[StartGate] = []
        self._start_observers: list[Callable[[Session, float], None]] = []
        # _genesys.session: configuration lists (a file or a mapping) and the session clock.
        self.session_module = SessionModule(self, config_lists)
        self.schedules = Schedules(self)  # sessions waiting for their idealtime
        self.treatment_runs = TreatmentRuns()  # treatment sequences playing, for <dialog:stop>
        # Module services live as long as the world. The router ranks targets by statistics and
        # the statistics read the router's queues: the router gets them through a function.
        self.router = QueueRouter(self, statistics=lambda: self.statistics)
        self.statistics = Statistics(self, self.router)
        self.statistic_service = StatisticService(self, self.statistics)
        host.listeners.subscribe(self)
        host.services.provide(ModuleContext, self)
        platform.subscribe(self._on_platform_event)

    # --- extension points -------------------------------------------------------------------------
    def handle_records(self, kind: str, handler: Callable[[Session, dict], None]) -> None:
        """Outbox records of `kind` that JS functions queue ({kind: 'queue', ...}) go to `handler`."""
        self._record_handlers[kind] = handler

    def take_record(self, session: Session, record: dict) -> None:
        handler = self._record_handlers.get(str(record.get("kind")))
        if handler is not None:
            handler(session, record)

    def add_start_gate(self, gate: StartGate) -> None:
        """`gate(application, interaction_id)` may refuse a platform-started session (admission)."""
        self._start_gates.append(gate)

    def observe_starts(self, observer: Callable[[Session, float], None]) -> None:
        """`observer(session, seconds)` after each session this world starts (metrics)."""
        self._start_observers.append(observer)

    # --- trace ------------------------------------------------------------------------------
    def trace(self, kind: str, **fields: Any) -> None:
        if self._trace_sink is not None:
            self._trace_sink({"t": round(self.host.clock.now(), 6), "kind": kind, **fields})

    # --- host listener: what the world hears of its sessions ------------------------------------
    def event_taken(self, session: Session, event: Event) -> None:
        if self.tracing:
            self.trace("event", session=session.id, name=event.name, type=event.type, data=_plain(event.data))

    def state_entered(self, session: Session, state: m.State) -> None:
        if self.tracing:
            self.trace("state", session=session.id, state=state.id)

    def logged(self, session: Session, label: str | None, value: Any, level: str | None) -> None:
        if self.tracing:
            self.trace("log", session=session.id, label=label, value=_plain(value))

    def session_ended(self, session: Session) -> None:
        self.inflight.session_ended(session.id)
        state = self.ownership.session_ended(session.id)
        self.trace("session.end", session=session.id, final=session.final_state)
        if state is not None:
            self.requests.session_ended(session.id)

    def session_restored(self, session: Session) -> None:
        """A session is back in memory as a new object (an evicted one, or after a restart). Its JS
        context was rebuilt from the snapshot, which keeps the document's variables but not what
        the modules pushed into `_genesys`: give its `_genesys.ixn` view back now, and let the clock
        and statistics be pushed again before its next event. Ownership, queue entries and
        pending requests are keyed by session id and never left."""
        self.session_module.session_restored(session.id)
        self.statistic_service.session_restored(session.id)
        if session.id in self.ownership.sessions:
            self.ownership.push(session)

    # --- sessions ---------------------------------------------------------------------------
    def document_for(self, application: str, interaction_id: str | None = None) -> m.Document:
        return self.applications.document_for(application, interaction_id)

    def prepare_document(self, doc: m.Document) -> m.Document:
        return self.applications.prepare(doc)

    def _prepare_document(self, doc: m.Document) -> None:
        self.session_module.prepare_document(doc)

    def start_session(self, application: str, interaction_id: str | None = None,
                      params: dict | None = None, session_id: str | None = None) -> Session | None:
        """`session_id`: an id given out before the start (`<session:start idealtime>`)."""
        for gate in self._start_gates:
            reason = gate(application, interaction_id)
            if reason is not None:
                self.trace("session.refused", application=application, interaction=interaction_id, reason=reason)
                return None
        began = time.perf_counter()
        try:
            document = self.document_for(application, interaction_id)
        except ScxmlLoadError as exc:
            log.error("application %r cannot start: %s", application, exc)
            self.trace("error", application=application, message=str(exc))
            return None
        session = self.host.start_session(document, params, **({"session_id": session_id} if session_id else {}))
        self.ownership.session_state(session)
        self.trace("session.start", session=session.id, application=application, interaction=interaction_id)
        if interaction_id is not None and not session.is_done:
            self.associate(session, interaction_id)
        for observer in self._start_observers:
            observer(session, time.perf_counter() - began)
        return session

    # --- ownership (ownership.py), for the modules ------------------------------------------------
    @property
    def owner(self) -> dict[str, str]:
        return self.ownership.owner

    @property
    def sessions(self) -> dict[str, SessionInteractions]:
        return self.ownership.sessions

    def session_state(self, session: Session) -> SessionInteractions:
        return self.ownership.session_state(session)

    def associate(self, session: Session, ixn_id: str, *, present: bool = True) -> None:
        self.ownership.associate(session, ixn_id, present=present)

    def release(self, session: Session, ixn_id: str, resultof: str, *, keep_actions: bool = False) -> None:
        self.ownership.release(session, ixn_id, resultof, keep_actions=keep_actions)

    def disown(self, session: Session, ixn_id: str) -> None:
        self.ownership.disown(session, ixn_id)

    def reown(self, session: Session, ixn_id: str) -> None:
        self.ownership.reown(session, ixn_id)

    def lose_control(self, session: Session, ixn_id: str, resultof: str) -> None:
        self.ownership.lose_control(session, ixn_id, resultof)

    def resolve_interaction(self, session: Session, ixn_id: Any, *, allow_detached: bool = False) -> str:
        return self.ownership.resolve_interaction(session, ixn_id, allow_detached=allow_detached)

    def refresh(self, session: Session, ixn_id: str) -> None:
        self.ownership.refresh(session, ixn_id)

    def refresh_quietly(self, ixn_id: str) -> None:
        self.ownership.refresh_quietly(ixn_id)

    def owner_session(self, ixn_id: str | None) -> Session | None:
        return self.ownership.owner_session(ixn_id)

    # --- events to sessions -------------------------------------------------------------------
    def deliver(self, session: Session, name: str, data: dict) -> None:
        self.host.deliver(session, module_event(name, data, name.split(".")[0]))

    def _on_platform_event(self, ev: PlatformEvent) -> None:
        self.trace("platform", event=ev.to_dict())
        if ev.kind in (EventKind.REQUEST_DONE, EventKind.REQUEST_FAILED):
            self.requests.outcome(ev)
        elif ev.kind == EventKind.INTERACTION_ARRIVED:
            if ev.interaction_id not in self.ownership.owner and ev.application:
                self.start_session(ev.application, ev.interaction_id)
        else:
            ixn_events.dispatch(self, ev)

    # --- requests (requests.py), for the modules -----------------------------------------------------
    @property
    def request_timeout(self) -> float:
        return self.requests.timeout

    def request(self, ctx: Any, action: Any, call: Callable[[], str], on_done: Callable[[PlatformEvent], None],
                interactionid: str | None = None, timeout: float | None = None,
                on_failed: Callable[[], None] | None = None) -> None:
        self.requests.send(ctx, action, call, on_done, interactionid, timeout, on_failed)

    def later(self, callback: Callable[[], None]) -> None:
        """Run a module's own work after the current macrostep, as a real module would."""
        self.host.clock.call_later(0.0, callback)

    def measure(self, name: str, seconds: float) -> None:
        self.requests.measure(name, seconds)

    def is_own_request(self, request_id: str | None) -> bool:
        return self.requests.is_own(request_id)

    def user_data_request(self, session: Session, record: dict) -> None:
        """setuData/deleteuData called by a script: the platform confirms with udata.changed."""
        ixn = record.get("interactionid")
        if not isinstance(ixn, str) or self.ownership.owner.get(ixn) != session.id:
            return
        if record.get("op") == "set":
            self.platform.update_user_data(ixn, record.get("data") or {})
        else:
            self.platform.delete_user_data(ixn, record.get("keys"))


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)

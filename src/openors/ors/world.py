"""The ORS world: where SCXML sessions meet the contact center (ORS-SPEC §3).

`OrsWorld` connects a `Platform` (the simulator, or a connector to a real switch) with a
`SessionHost`:
* it starts a session when an interaction reaches a routing point or interaction queue that has an
  application, and associates the interaction with it (`interaction.added`, then
  `interaction.present`), writing `OP-Session-ID` into the interaction's user data;
* it keeps ownership (one session per interaction) and each session's `_genesys.ixn` view;
* it turns platform events into Interaction Interface events for the owning session
  (`openors.ors.interaction.events`), and request outcomes into `.done` / `error.*` events, with a
  per-request timeout;
* it writes the trace (`openors simulate --trace`).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openors.platform.errors import PlatformError
from openors.platform.events import EventKind, PlatformEvent
from openors.platform.model.callmodel import CALLSTATE_GENESYS_NAMES
from openors.scxml.errors import ScxmlLoadError
from openors.scxml.parser import load_document
from openors.scxml.resources import resolve_url

from .actions import ActionError, ModuleAction, module_event
from .inflight import InflightRequests
from .interaction import events as ixn_events
from .interaction.view import interaction_view

log = logging.getLogger("openors.ors")

DEFAULT_REQUEST_TIMEOUT_S = 30.0
INFLIGHT_PART = "ors_requests"  # the snapshot part holding the session's open module requests


@dataclass
class SessionInteractions:
    """The interactions one session owns, in association order, and which of them it controls."""

    order: list[str] = field(default_factory=list)
    controlled: set[str] = field(default_factory=set)
    detached: set[str] = field(default_factory=set)  # left by <detach>; actions still allowed
    views: dict[str, dict] = field(default_factory=dict)
    firstixnid: str | None = None


@dataclass
class PendingRequest:
    session_id: str
    action: ModuleAction
    requestid: str
    on_done: Callable[[PlatformEvent], None]
    interactionid: str | None = None
    timer: Any = None
    on_failed: Callable[[], None] | None = None  # undo what the action did when it was sent
    started: float = 0.0  # monotonic, for the request timings operators see


class OrsWorld:
    def __init__(self, platform, host, *, applications: dict[str, str] | None = None,
                 base_url: str | None = None, extensions=None,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
                 trace: Callable[[dict], None] | None = None, config_lists=None):
        from .extensions import ors_extensions
        from .modules_registry import default_modules, default_services
        from .session.setup import SessionModule

        self.platform = platform
        self.host = host
        self.document_loader = None  # url -> Document (the server's cache); default: load_document
        # (name, seconds) of module requests, e.g. "interaction.redirect": the server's metrics.
        self.on_measure: Callable[..., None] | None = None
        self.applications = applications or {}
        self.base_url = base_url
        self.extensions = extensions or ors_extensions(modules=default_modules())
        self.request_timeout = request_timeout
        self.owner: dict[str, str] = {}
        self.sessions: dict[str, SessionInteractions] = {}
        self.pending: dict[str, PendingRequest] = {}
        self._own_requests: set[str] = set()  # platform requests the world makes for itself
        self._documents: dict[str, Any] = {}
        self._trace_sink = trace
        # Requests between their action and their answer, carried in snapshots (inflight.py).
        self.inflight = InflightRequests(self)
        parts = getattr(host, "snapshot_parts", None)  # a server's host persists them
        if parts is not None:
            parts[INFLIGHT_PART] = self.inflight
        host.ors_world = self
        host.ors_trace = self.trace if trace else None
        self._chain_host_hooks()
        # _genesys.session: configuration lists (a file or a mapping) and the session clock.
        self.session_module = SessionModule(self, config_lists)
        platform.subscribe(self._on_platform_event)
        # Module services (queue router, statistics) live as long as the world; they register
        # handlers for the outbox records their JS functions queue ({kind: 'queue', ...}).
        self.outbox_handlers: dict[str, Callable[[Any, dict], None]] = {}
        self.services = [make(self) for make in default_services()]

    # --- trace ------------------------------------------------------------------------------
    def trace(self, kind: str, **fields) -> None:
        if self._trace_sink is not None:
            self._trace_sink({"t": round(self.host.clock.now(), 6), "kind": kind, **fields})

    def _chain_host_hooks(self) -> None:
        host = self.host
        prev_end = host.on_session_end

        def on_end(session) -> None:
            self._session_ended(session)
            if prev_end is not None:
                prev_end(session)

        host.on_session_end = on_end
        if self._trace_sink is None:
            return
        prev_event, prev_state, prev_log = host.on_event, host.on_state_entered, host.on_log

        def on_event(session, event) -> None:
            self.trace("event", session=session.id, name=event.name, type=event.type, data=_plain(event.data))
            if prev_event is not None:
                prev_event(session, event)

        def on_state(session, state) -> None:
            self.trace("state", session=session.id, state=state.id)
            if prev_state is not None:
                prev_state(session, state)

        def on_log(session, label, value) -> None:
            self.trace("log", session=session.id, label=label, value=_plain(value))
            if prev_log is not None:
                prev_log(session, label, value)

        host.on_event, host.on_state_entered, host.on_log = on_event, on_state, on_log

    # --- sessions ---------------------------------------------------------------------------
    def document_for(self, application: str, interaction_id: str | None = None):
        """The document of an application: its URL with the `[ANI]`/`[DNIS]`/`[UDATA.key]`...
        placeholders filled from the interaction (ORS-SPEC §3.2), and the alternate URL
        ("URL1 URL2") tried when the first cannot be fetched or compiled."""
        source = self.applications.get(application, application)
        if interaction_id is not None and "[" in source:
            source = fill_placeholders(source, self.platform.get_interaction(interaction_id) or {})
        urls = source.split()
        for i, candidate in enumerate(urls):
            url = resolve_url(candidate, self.base_url)
            try:
                doc = self._load(url)
            except ScxmlLoadError:
                if i == len(urls) - 1:
                    raise
                log.warning("application %r: %s cannot be loaded, trying the alternate URL", application, url)
                continue
            return self.prepare_document(doc)
        raise ScxmlLoadError(f"application {application!r} has no document URL")

    def _load(self, url: str):
        if self.document_loader is not None:
            return self.document_loader(url)  # the server's cache decides when to recompile
        doc = self._documents.get(url)
        if doc is None:
            doc = self._documents[url] = load_document(url, self.extensions, self.host.sources)
        return doc

    def prepare_document(self, doc):
        """Give a document what this world's sessions need (`_genesys.ixn` call states, the
        configuration lists, module outbox records). Idempotent: every path that compiles a
        document (the world, the server's cache) may call it."""
        if getattr(doc, "prepared_by", None) is self:
            return doc
        _install_call_states(doc)
        self.session_module.prepare_document(doc)
        self._hand_module_records(doc)
        doc.prepared_by = self
        return doc

    def _hand_module_records(self, doc) -> None:
        """Outbox records of kinds the dialect does not know go to `outbox_handlers`."""
        dialect = doc.dialect
        if dialect is None or not hasattr(dialect, "_outbox"):
            return
        dialect_outbox = dialect._outbox

        def outbox(interp, records: list[dict]) -> None:
            dialect_outbox(interp, records)
            for record in records:
                handler = self.outbox_handlers.get(record.get("kind"))
                if handler is not None:
                    handler(interp.session, record)

        dialect._outbox = outbox

    def start_session(self, application: str, interaction_id: str | None = None, params: dict | None = None,
                      session_id: str | None = None):
        try:
            document = self.document_for(application, interaction_id)
        except ScxmlLoadError as exc:
            log.error("application %r cannot start: %s", application, exc)
            self.trace("error", application=application, message=str(exc))
            return None
        # session_id: an id given out before the start (<session:start idealtime>)
        session = self.host.start_session(document, params, **({"session_id": session_id} if session_id else {}))
        self.sessions.setdefault(session.id, SessionInteractions())
        self.trace("session.start", session=session.id, application=application, interaction=interaction_id)
        if interaction_id is not None and not session.is_done:
            self.associate(session, interaction_id)
        return session

    def _session_ended(self, session) -> None:
        self.inflight.session_ended(session.id)
        state = self.sessions.pop(session.id, None)
        self.trace("session.end", session=session.id, final=session.final_state)
        if state is None:
            return
        for ixn_id in state.order:
            if self.owner.get(ixn_id) == session.id:
                del self.owner[ixn_id]
        for key in [k for k, p in self.pending.items() if p.session_id == session.id]:
            pending = self.pending.pop(key)
            if pending.timer is not None:
                self.host.clock.cancel(pending.timer)

    def session_restored(self, session) -> None:
        """An evicted session is back in memory as a new object (the server's restore path). Its
        JS context was rebuilt from the snapshot, which keeps the document's variables but not
        what the modules pushed into `_genesys`: give its `_genesys.ixn` view back now, and let
        the clock and statistics be pushed again before its next event. Ownership, queue entries
        and pending requests are keyed by session id and never left."""
        self.session_module.session_restored(session.id)
        for service in self.services:
            hook = getattr(service, "session_restored", None)
            if hook is not None:
                hook(session.id)
        if session.id in self.sessions:
            self._push(session)

    def session_state(self, session) -> SessionInteractions:
        return self.sessions.setdefault(session.id, SessionInteractions())

    # --- ownership ----------------------------------------------------------------------------
    def associate(self, session, ixn_id: str, *, present: bool = True) -> None:
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
        self.deliver(session, "interaction.added", {"interactionid": ixn_id})
        if present:
            state.controlled.add(ixn_id)
            self.deliver(session, "interaction.present", {"interactionid": ixn_id})
        rid = self.platform.update_user_data(ixn_id, {"OP-Session-ID": session.id})
        self._own_requests.add(rid)

    def release(self, session, ixn_id: str, resultof: str, *, keep_actions: bool = False) -> None:
        """The session loses the interaction: notcontrolled (if it still controlled it), then deleted."""
        state = self.session_state(session)
        if ixn_id in state.controlled:
            state.controlled.discard(ixn_id)
            self.deliver(session, "interaction.notcontrolled", {"interactionid": ixn_id, "resultof": resultof})
        if ixn_id in state.order:
            state.order.remove(ixn_id)
            state.views.pop(ixn_id, None)
            self._push(session)
            self.deliver(session, "interaction.deleted", {"interactionid": ixn_id, "resultof": resultof})
        if keep_actions:
            state.detached.add(ixn_id)
        if self.owner.get(ixn_id) == session.id:
            del self.owner[ixn_id]

    def disown(self, session, ixn_id: str) -> None:
        """Give up ownership but keep the interaction in the session's view (a redirect with
        detach="true" is under way: a session on the new routing point may take it meanwhile)."""
        if self.owner.get(ixn_id) == session.id:
            del self.owner[ixn_id]
        self.session_state(session).detached.add(ixn_id)

    def reown(self, session, ixn_id: str) -> None:
        """The detaching redirect failed: the interaction is the session's again, if nobody took it."""
        state = self.session_state(session)
        if ixn_id in state.order and ixn_id not in self.owner:
            self.owner[ixn_id] = session.id
            state.detached.discard(ixn_id)

    def lose_control(self, session, ixn_id: str, resultof: str) -> None:
        state = self.session_state(session)
        if ixn_id in state.controlled:
            state.controlled.discard(ixn_id)
            self.deliver(session, "interaction.notcontrolled", {"interactionid": ixn_id, "resultof": resultof})

    def resolve_interaction(self, session, ixn_id: Any, *, allow_detached: bool = False) -> str:
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

    # --- the _genesys.ixn view ----------------------------------------------------------------
    def refresh(self, session, ixn_id: str) -> None:
        snap = self.platform.get_interaction(ixn_id)
        if snap is None:
            return
        self.session_state(session).views[ixn_id] = interaction_view(snap)
        self._push(session)

    def refresh_quietly(self, ixn_id: str) -> None:
        """Update the owner's view of an interaction; push it to JS only if the owner is in memory
        (an evicted owner gets its views pushed when it is restored)."""
        sid = self.owner.get(ixn_id)
        snap = self.platform.get_interaction(ixn_id) if sid is not None else None
        if snap is None:
            return
        self.sessions.setdefault(sid, SessionInteractions()).views[ixn_id] = interaction_view(snap)
        session = dict.get(self.host.sessions, sid)  # plain lookup: never restores an evicted session
        if session is not None:
            self._push(session)

    def _push(self, session) -> None:
        state = self.session_state(session)
        payload = {"order": [i for i in state.order if i in state.views], "interactions": state.views,
                   "firstixnid": state.firstixnid}
        dm = session.interpreter.datamodel
        if hasattr(dm, "call_function"):
            dm.call_function("__ors_setInteractions", json.dumps(payload, default=str))

    # --- events to sessions -------------------------------------------------------------------
    def deliver(self, session, name: str, data: dict) -> None:
        self.host.deliver(session, module_event(name, data, name.split(".")[0]))

    def owner_session(self, ixn_id: str | None):
        if ixn_id is None:
            return None
        sid = self.owner.get(ixn_id)
        return self.host.sessions.get(sid) if sid is not None else None

    def _on_platform_event(self, ev: PlatformEvent) -> None:
        self.trace("platform", event=ev.to_dict())
        if ev.kind in (EventKind.REQUEST_DONE, EventKind.REQUEST_FAILED):
            self._request_outcome(ev)
            return
        if ev.kind == EventKind.INTERACTION_ARRIVED:
            self._arrived(ev)
            return
        ixn_events.dispatch(self, ev)

    def _arrived(self, ev: PlatformEvent) -> None:
        if ev.interaction_id in self.owner or not ev.application:
            return
        self.start_session(ev.application, ev.interaction_id)

    # --- requests -----------------------------------------------------------------------------
    def request(self, ctx, action: ModuleAction, call: Callable[[], str],
                on_done: Callable[[PlatformEvent], None], interactionid: str | None = None,
                timeout: float | None = None, on_failed: Callable[[], None] | None = None) -> None:
        """Send one platform request for an action; its outcome reaches `on_done` or becomes the
        action's error event (also after `timeout`, default `request_timeout`, without an answer;
        treatments that play for minutes give their own)."""
        try:
            platform_id = call()
        except PlatformError as exc:  # refused on the spot (e.g. no contact center connected)
            raise ActionError(exc.code, exc.description, interactionid=interactionid) from None
        pending = PendingRequest(ctx.session_id, action, ctx.requestid, on_done, interactionid,
                                 on_failed=on_failed, started=time.monotonic())
        pending.timer = self.host.clock.call_later(self.request_timeout if timeout is None else timeout,
                                                   self._timed_out, platform_id)
        self.pending[platform_id] = pending

    def later(self, callback: Callable[[], None]) -> None:
        """Run a module's own work after the current macrostep, as a real module would."""
        self.host.clock.call_later(0.0, callback)

    def _timed_out(self, platform_id: str) -> None:
        pending = self.pending.pop(platform_id, None)
        if pending is None:
            return
        session = self.host.sessions.get(pending.session_id)
        if session is not None:
            if pending.on_failed is not None:
                pending.on_failed()
            pending.action.fail(session.interpreter, pending.requestid, ActionError(
                "timeout", f"no answer to <{pending.action.name}> within {self.request_timeout:g}s",
                interactionid=pending.interactionid))

    def measure(self, name: str, seconds: float) -> None:
        if self.on_measure is not None:
            self.on_measure(name, seconds)

    def _request_outcome(self, ev: PlatformEvent) -> None:
        if ev.request_id in self._own_requests:
            self._own_requests.discard(ev.request_id)
            return
        pending = self.pending.pop(ev.request_id, None)
        if pending is None:
            return
        action = pending.action
        self.measure(f"{getattr(action, 'prefix', '')}.{getattr(action, 'name', '')}", time.monotonic() - pending.started)
        if pending.timer is not None:
            self.host.clock.cancel(pending.timer)
        session = self.host.sessions.get(pending.session_id)
        if session is None:
            return
        if ev.kind == EventKind.REQUEST_DONE:
            pending.on_done(ev)
        else:
            extra = {"interactionid": ev.interaction_id or pending.interactionid, "callstate": ev.callstate,
                     "properties": (ev.data or {}).get("properties")}
            if pending.on_failed is not None:
                pending.on_failed()
            pending.action.fail(session.interpreter, pending.requestid,
                                ActionError(ev.error or "unknown", ev.description or "request failed", **extra))

    def user_data_request(self, session, record: dict) -> None:
        """setuData/deleteuData called by a script: the platform confirms with udata.changed."""
        ixn = record.get("interactionid")
        if self.owner.get(ixn) != session.id:
            return
        if record.get("op") == "set":
            self.platform.update_user_data(ixn, record.get("data") or {})
        else:
            self.platform.delete_user_data(ixn, record.get("keys"))

    def is_own_request(self, request_id: str | None) -> bool:
        return request_id in self._own_requests


def _install_call_states(document) -> None:
    """Give the document's sessions `_genesys.ixn.callState` from their first line (ixn.js)."""
    scripts = getattr(getattr(document, "dialect", None), "extra_scripts", None)
    if scripts is not None and _CALL_STATE_SCRIPT not in scripts:
        scripts.append(_CALL_STATE_SCRIPT)


_CALL_STATE_SCRIPT = f"__ors_setCallState({json.dumps(json.dumps(CALLSTATE_GENESYS_NAMES))});"


_PLACEHOLDER = re.compile(r"\[(ANI|DNIS|DN|CED|EMAILFROM|EMAILTO|EMAILSUBJECT|UDATA(?:\.\*|\.[^\]]+)?)\]")


def fill_placeholders(url: str, snap: dict) -> str:
    """ORS run-time placeholders in an application URL, from the interaction (URL-encoded)."""
    props, udata = snap.get("properties") or {}, snap.get("udata") or {}
    parties = snap.get("parties") or []

    def value(match) -> str:
        key = match.group(1)
        if key == "UDATA":
            return "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in udata.items())
        if key == "UDATA.*":
            return ",".join(f"{k}:{v}" for k, v in udata.items())
        if key.startswith("UDATA."):
            return quote(str(udata.get(key[6:], "")))
        found = {"ANI": props.get("ani") or props.get("from"), "DNIS": props.get("dnis"),
                 "DN": snap.get("location") or (parties[-1].get("device") if parties else ""),
                 "CED": props.get("ced"), "EMAILFROM": props.get("from"), "EMAILTO": props.get("to"),
                 "EMAILSUBJECT": props.get("subject")}.get(key)
        return quote(str(found or ""))

    return _PLACEHOLDER.sub(value, url)


def _plain(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def application_url(path: str | Path) -> str:
    return Path(path).resolve().as_uri()

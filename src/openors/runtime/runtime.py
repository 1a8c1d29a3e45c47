"""The runtime: every session of this process on one SessionHost, one RealClock, one asyncio loop.

    runtime = Runtime(SqliteStore("openors.db"))
    await runtime.start()          # inside the loop that will run the sessions
    await runtime.recover()        # sessions of a previous run come back, timers re-armed
    sid = await runtime.start_session("file:///apps/hello.scxml", {"ani": "5551234"})
    await runtime.send_event(sid, "go", {"x": 1})
    await runtime.stop()           # stop taking work, flush the store

A dispatcher task runs the engine's `run_ready()` whenever an event is queued (the engine sets the
host's wake-up event); snapshots go to the store in batches (`SnapshotWriter`); idle sessions may be
evicted (`Evictor`). HTTP handlers are thin wrappers over the public coroutines here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openors.ors.extensions import ors_extensions
from openors.ors.modules_registry import default_modules
from openors.scxml import Event, RealClock, Session, SessionHost
from openors.scxml import model as m
from openors.scxml.budgets import Breach, Budgets
from openors.scxml.extensions import Extensions
from openors.scxml.sources import DEFAULT_POLICY, SourcePolicy

from .collector import CollectorPacer
from .documents import DocumentCache
from .errors import (
    Overloaded,
    PersistenceFailed,
    RequestTimedOut,
    SessionQuarantined,
    SessionQueueFull,
    ShuttingDown,
    StoreUnavailable,
    UnknownSession,
)
from .eviction import Evictor
from .flowlog import FlowLogs, FlowLogSettings, visible_datamodel
from .flowlog_store import flow_log_store_for
from .host import PARTS_KEY, QueueWatch, SessionTable, check_document
from .metrics import Metrics
from .quarantine import Quarantine, quarantine_marker
from .replies import REPLY_TYPE, ReplyProcessor, SessionEndedBeforeReply, reply_origin
from .store import MemoryStore, Store, StoredSession
from .writer import SnapshotWriter

log = logging.getLogger("openors.runtime")
session_log = logging.getLogger("openors.session")

PERSIST_ATTRIBUTES = ("_persist", "{urn:openors}_persist")


@dataclass
class RuntimeSettings:
    max_queue_per_session: int = 100  # queued external events one session may hold (each is in its snapshot)
    max_inflight_events: int = 100_000  # queued external events in the whole process
    flush_interval: float = 0.05  # seconds a dirty snapshot may wait before its batch is written
    flush_batch: int = 500  # dirty sessions that trigger a batch at once
    idle_eviction: float | None = 300.0  # seconds idle before eviction; None: never evict
    request_timeout: float = 10.0  # seconds a /request/ call waits for the session's reply
    document_max_age: float = 5.0  # seconds before an http(s) document is revalidated
    trace_size: int = 200  # the latest flow log entries /ors/sessions/{id}/trace answers
    flow_logs: FlowLogSettings = field(default_factory=FlowLogSettings)  # the `flow_logs:` section
    durable_acks: bool = True  # answer start/event only once their effect is committed
    base_dir: str | None = None  # relative document paths resolve against it
    session_id_prefix: str = ""  # "<node>-" on a Redis cluster, so an id names the node that made it
    applications: dict[str, str] = field(default_factory=dict)  # name -> document URL(s)
    budgets: Budgets = field(default_factory=Budgets)  # what one session may spend (the `budgets:` section)
    dispatch_slice: float = 0.005  # seconds the dispatcher runs sessions before it lets the loop serve sockets
    sources: SourcePolicy = DEFAULT_POLICY  # where documents come from, what sessions may reach


@dataclass
class ScheduledStart:
    source: str
    params: dict
    at: float  # epoch seconds
    handle: asyncio.TimerHandle | None = None


def is_persistent(document: m.Document) -> bool:
    """False when the document's root says `_persist="false"` (ORS-SPEC §7.1)."""
    for name in PERSIST_ATTRIBUTES:
        value = document.attributes.get(name)
        if value is not None:
            return str(value).strip().lower() != "false"
    return True


def root_of(session: Session) -> Session:
    while session.parent is not None:
        session = session.parent
    return session


class Runtime:
    def __init__(self, store: Store | None = None, settings: RuntimeSettings | None = None, *,
                 extensions: Extensions | None = None):
        self.store = store or MemoryStore()
        self.settings = settings or RuntimeSettings()
        if extensions is None:
            # ORS documents get the ORS dialect and modules; plain W3C documents keep their meaning.
            extensions = ors_extensions(modules=default_modules())
        self.extensions = extensions
        # the W3C parser rejects unknown attributes without a namespace; ORS documents carry _persist
        self.extensions.extra_attributes.add("_persist")
        self.metrics = Metrics()
        self.flowlogs = FlowLogs(flow_log_store_for(self.store), self.settings.flow_logs)
        self.replies = ReplyProcessor()
        self.scheduled: dict[str, ScheduledStart] = {}
        self._entered_at: dict[str, dict[str, float]] = {}  # session id -> state id -> entered (monotonic)
        self.accepting = False
        self.host: SessionHost  # made by start(), on the running loop
        self._tasks: list[asyncio.Task] = []
        self._background: set[asyncio.Task] = set()

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Runtime:
        s = self.settings
        self._wake = asyncio.Event()
        self.documents = DocumentCache(self.extensions, self.metrics, max_age=s.document_max_age,
                                       base_dir=s.base_dir, sources=s.sources)
        # The runtime's dispatcher runs queued work in fair slices (run_after_start=False); the
        # engine sets `_wake` whenever it queues an event or an async I/O ends.
        table = SessionTable()
        self.host = SessionHost(RealClock(asyncio.get_running_loop()), extensions=self.extensions,
                                budgets=s.budgets, sources=s.sources, sessions=table,
                                run_after_start=False, wakeup=self._wake,
                                document_loader=self.documents.load_sync)
        self.queue_watch = QueueWatch()
        self.host.listeners.subscribe(self.queue_watch)
        self.host.listeners.subscribe(self)
        if s.flow_logs.enabled:
            self.host.listeners.subscribe(self.flowlogs.recorder)
        self.host.ioprocessors[REPLY_TYPE] = self.replies
        self.writer = SnapshotWriter(self.store, self._live_session, self.metrics,
                                     interval=s.flush_interval, batch_size=s.flush_batch,
                                     snapshot=self.host.snapshot_session)
        self.evictor = Evictor(self.host, self.store, self.writer, load_document=self.documents.load_sync,
                               may_evict=self._may_evict, on_restored=self._restored,
                               on_evicted=self._evicted, on_restore_failed=self._restore_failed,
                               idle_after=s.idle_eviction)
        self.quarantine = Quarantine(self.writer)
        self.metrics.quarantined_sessions.set_function(lambda: len(self.quarantine))
        table.restorer = self.evictor.restore  # lookups of evicted sessions bring them back
        # computed when scraped: counting on every start/end would cost O(sessions) each time
        self.metrics.active_sessions.set_function(lambda: self._live_count() + len(self.evictor.evicted))
        self.metrics.evicted_sessions.set_function(lambda: len(self.evictor.evicted))
        self.collector = CollectorPacer(lambda: len(self.host.sessions))
        self.writer.start()
        self.flowlogs.start()
        self.evictor.start()
        self.collector.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self._dispatch_forever(),
                                                                  name="openors-dispatcher"))
        self.accepting = True
        return self

    async def stop(self) -> None:
        """Stop taking work, let queued events run, commit every snapshot, close the store."""
        self.accepting = False
        await self.evictor.stop()
        await self.collector.stop()
        self.host.run_ready()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for scheduled in self.scheduled.values():
            if scheduled.handle is not None:
                scheduled.handle.cancel()
        for task in list(self._background):
            task.cancel()
        await self.writer.close()
        await self.flowlogs.stop()
        await self.documents.close()
        self.store.close()

    async def _dispatch_forever(self) -> None:
        host = self.host
        loop = asyncio.get_running_loop()
        share = self.settings.budgets.heavy_share
        rest_until = 0.0  # the probation lane rests until then (see Budgets.heavy_share)
        while True:
            resting = rest_until - loop.time()
            if resting > 0 and host.scheduler.ready_probation and not host.scheduler.ready:
                try:  # only sessions on probation wait: wait for trusted work or the end of the rest
                    await asyncio.wait_for(self._wake.wait(), resting)
                except TimeoutError:
                    pass
            else:
                await self._wake.wait()
            self._wake.clear()
            try:
                host.run_ready(time_slice=self.settings.dispatch_slice, probation=loop.time() >= rest_until)
            except Exception:  # the engine isolates sessions; this is a last line of defence
                log.exception("dispatcher pass failed")
            if host.scheduler.long_spent and share < 1.0:
                rest_until = loop.time() + host.scheduler.long_spent * (1.0 / share - 1.0)
            self.metrics.queued_events.set(self.queue_watch.queued_events)
            if host.has_ready:
                # More to do: let the loop read sockets and fire timers first, so no session's
                # work (a long one least of all) keeps a new request waiting more than a slice.
                self._wake.set()
                await asyncio.sleep(0)

    async def recover(self) -> int:
        """Bring back every session of the store (after a restart or a crash). Returns the number
        of sessions recovered."""
        count = await self.adopt(self.store.load_all())
        log.info("recovered sessions", extra={"count": count})
        return count

    async def adopt(self, rows: Iterable[StoredSession]) -> int:
        """Run these stored sessions here: recovery, or a dead node's sessions taken over (Redis).
        Sessions with nothing queued are adopted as evicted when eviction is on (restored on their
        next event or timer); the others are restored now, timers re-armed. Ids already known here
        are skipped. Returns the number adopted."""
        count = 0
        for row in rows:
            if (row.id in self.host.sessions or row.id in self.evictor.evicted or row.id in self.scheduled
                    or row.id in self.quarantine):
                continue
            snap = None
            try:
                snap = json.loads(row.snapshot)
                marker = quarantine_marker(snap)
                if marker is not None:  # a poison pill of an earlier run: listed, never run
                    self.quarantine.adopt(row.id, row.document, marker)
                    count += 1
                    continue
                if "scheduled" in snap:
                    self._schedule(row.id, ScheduledStart(**snap["scheduled"]))
                    count += 1
                    continue
                if row.document is not None:
                    await self.documents.get(row.document)  # compiled and cached before any restore
                # A session with parts (module requests in flight) is restored now: those whose
                # work died with the previous process are answered at once, with their error.
                if self.settings.idle_eviction is not None and not snap.get("external_queue") \
                        and not snap.get("children") and not snap.get(PARTS_KEY):
                    due = min((p["due"] for p in snap.get("pending_sends", {}).values()), default=None)
                    self.evictor.adopt(row.id, row.document, due)
                else:
                    document = self.documents.cached(row.document) if row.document is not None else None
                    check_document(snap, document)
                    session = self.host.restore_session(snap, document=document)
                    self.evictor.touch(session.id)
                count += 1
            except Exception as exc:
                log.exception("cannot recover session", extra={"session_id": row.id})
                self._restore_failed(row.id, row.document, snap, exc)
        self._wake.set()
        return count

    # --- sessions ---------------------------------------------------------------------------------
    async def start_session(self, source: str, params: dict | None = None,
                            idealtime: float | None = None) -> str:
        """Start a session of `source` (URL, "URL ALTERNATE", or an application name); returns its id.
        `idealtime` (ms since the epoch) in the future schedules the start instead."""
        self._check_accepting()
        source = self.settings.applications.get(source, source)
        started = time.perf_counter()
        document = await self.documents.get(source)
        session_id = self.settings.session_id_prefix + uuid.uuid4().hex
        params = dict(params or {})
        if idealtime is not None and idealtime / 1000.0 > time.time():
            scheduled = ScheduledStart(source, params, idealtime / 1000.0)
            self._schedule(session_id, scheduled)
            if is_persistent(document):
                self.writer.save_row(StoredSession(session_id, source, time.time(), json.dumps(
                    {"scheduled": {"source": source, "params": params, "at": scheduled.at}})))
                try:
                    await self._durable()
                except PersistenceFailed:
                    self._unschedule(session_id)  # the caller is told it failed: it must not start later
                    raise
            return session_id
        session = self._start_now(document, params, session_id)
        self.metrics.create_session_time.observe(time.perf_counter() - started)
        if self._persistent(session) and not session.is_done:
            try:
                await self._durable(session_id)
            except PersistenceFailed as exc:
                self._abandon(session, exc)
                raise
        return session_id

    def _abandon(self, session: Session, failure: PersistenceFailed) -> None:
        """A start whose first snapshot was not committed was refused to its caller, who may
        retry: end the session, so that neither it nor a later retry of its batch lingers on as
        a duplicate."""
        log.warning("session ended: its start could not be made durable (%s)", failure.details.get("cause"),
                    extra={"session_id": session.id})
        if not session.is_done and dict.get(self.host.sessions, session.id) is session:
            self.host.terminate(session)
        self.writer.mark_deleted(session.id)

    def _unschedule(self, session_id: str) -> None:
        scheduled = self.scheduled.pop(session_id, None)
        if scheduled is not None and scheduled.handle is not None:
            scheduled.handle.cancel()
        self.metrics.pending_sessions.set(len(self.scheduled))
        self.writer.mark_deleted(session_id)

    def _start_now(self, document, params: dict, session_id: str) -> Session:
        session = self.host.start_session(document, params, session_id=session_id)
        if params:
            self.flowlogs.recorder.started_with(session_id, params)
        self.metrics.sessions_created.inc()
        self.collector.note_started()
        session_log.debug("session started", extra={"session_id": session_id, "url": document.url})
        return session

    def _schedule(self, session_id: str, scheduled: ScheduledStart) -> None:
        self.scheduled[session_id] = scheduled
        delay = max(0.0, scheduled.at - time.time())
        scheduled.handle = asyncio.get_running_loop().call_later(delay, self._start_scheduled, session_id)
        self.metrics.pending_sessions.set(len(self.scheduled))

    def _start_scheduled(self, session_id: str) -> None:
        async def run() -> None:
            scheduled = self.scheduled.pop(session_id, None)
            self.metrics.pending_sessions.set(len(self.scheduled))
            if scheduled is None:
                return
            try:
                document = await self.documents.get(scheduled.source)
                session = self._start_now(document, scheduled.params, session_id)
                if not self._persistent(session):
                    self.writer.mark_deleted(session_id)
            except Exception:
                log.exception("scheduled start failed", extra={"session_id": session_id})
                self.writer.mark_deleted(session_id)

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def send_event(self, session_id: str, name: str, data: Any = None) -> None:
        """Queue an external event (`_event.data` = `data`); returns once it is accepted (and, with
        durable acks, committed to the store)."""
        self._check_accepting()
        session = self.session(session_id)
        self._admit(session)
        event = Event(name, "external", data)
        # An idle, trusted session takes it now, in this request, as the dispatcher would next:
        # no queue, no wake-up, no turn of the loop in between
        # (its macrostep_done then marked it dirty and touched it, or queued its delete)
        if self.host.scheduler.run_at_once(session, event):
            self.metrics.events_processed.inc()
            self.metrics.event_queuing_time.observe(0.0)
        else:
            self.host.deliver(session, event)
            self.evictor.touch(session.id)
            if self._persistent(session):
                self.writer.mark_dirty(session.id)
        if self._persistent(session):
            await self._durable(session.id)

    async def request(self, session_id: str, name: str, data: Any = None,
                      timeout: float | None = None) -> Any:
        """Deliver a request event and wait for the session's reply (see replies.py)."""
        self._check_accepting()
        session = self.session(session_id)
        self._admit(session)
        requestid = uuid.uuid4().hex
        future = self.replies.open(requestid, session.id)
        started = time.perf_counter()
        try:
            self.host.deliver(session, Event(name, "external", data, sendid=requestid,
                                             origin=reply_origin(requestid), origintype=REPLY_TYPE))
            self.evictor.touch(session.id)
            if self._persistent(session):
                self.writer.mark_dirty(session.id)
            timeout = self.settings.request_timeout if timeout is None else timeout
            try:
                reply = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                raise RequestTimedOut(f"session '{session_id}' did not answer request '{name}' within "
                                      f"{timeout:g} s", sessionid=session_id, requestid=requestid) from None
            except SessionEndedBeforeReply as exc:
                raise UnknownSession(session_id) from exc
            self.metrics.request_time.observe(time.perf_counter() - started)
            return reply
        finally:
            self.replies.close(requestid)

    async def terminate(self, session_id: str) -> None:
        self._check_accepting()
        if session_id in self.scheduled:
            self._unschedule(session_id)
            await self._durable()
            return
        session = self.session(session_id)
        persistent = self._persistent(session)
        self.host.terminate(session)
        if persistent:
            await self._durable()

    # --- queries ----------------------------------------------------------------------------------
    def session(self, session_id: str) -> Session:
        """The live top-level session `session_id`, restored first if it was evicted."""
        quarantined = self.quarantine.entries.get(session_id)
        if quarantined is not None:
            raise SessionQuarantined(quarantined)
        session = self.host.sessions.get(session_id)
        if session is None and session_id in self.evictor.evicted:
            cause = self.evictor.store_errors.get(session_id, "unknown")
            raise StoreUnavailable(f"session '{session_id}' is in the store, which cannot be read now: {cause}",
                                   sessionid=session_id, cause=cause)
        if session is None or session.parent is not None or session.is_done:
            raise UnknownSession(session_id)
        return session

    def has_session(self, session_id: str) -> bool:
        """Whether this node runs the session (live, evicted or scheduled), without restoring it."""
        session = dict.get(self.host.sessions, session_id)
        if session is not None:
            return session.parent is None and not session.is_done
        return session_id in self.evictor.evicted or session_id in self.scheduled

    def query(self, session_id: str) -> dict:
        scheduled = self.scheduled.get(session_id)
        if scheduled is not None:
            return {"sessionid": session_id, "status": "scheduled", "document": scheduled.source,
                    "idealtime": int(scheduled.at * 1000), "params": scheduled.params}
        session = self.session(session_id)
        return {"sessionid": session_id, "status": "running", "document": session.document.url,
                "configuration": session.configuration, "data": self.datamodel(session_id)}

    def datamodel(self, session_id: str) -> dict:
        return visible_datamodel(self.session(session_id))

    def describe(self, session_id: str) -> dict:
        session = self.session(session_id)
        return {"sessionid": session_id, "document": session.document.url, "configuration": session.configuration,
                "queued_events": len(session.external_queue), "pending_sends": len(session.pending_sends),
                "children": sorted(session.children), "persistent": self._persistent(session)}

    def trace(self, session_id: str) -> list[dict]:
        """The latest entries of the session's flow log, running or finished."""
        found = self.flowlogs.entries(session_id)
        if found is None:
            self.session(session_id)  # 404 (or quarantined, ...) as for every session view
            return []
        return found[1][-self.settings.trace_size:] if self.settings.trace_size > 0 else []

    def list_sessions(self) -> list[dict]:
        out = [{"sessionid": s.id, "status": "running", "document": s.document.url,
                "configuration": s.configuration}
               for s in list(self.host.sessions.values()) if s.parent is None]
        out += [{"sessionid": sid, "status": "evicted", "document": rec.document}
                for sid, rec in self.evictor.evicted.items()]
        out += [{"sessionid": sid, "status": "scheduled", "document": sc.source}
                for sid, sc in self.scheduled.items()]
        out += [{"sessionid": q.sessionid, "status": "quarantined", "document": q.document, "reason": q.reason}
                for q in self.quarantine.entries.values()]
        return out

    def evict_idle(self, idle_after: float | None = None) -> int:
        """Evict now every session idle for `idle_after` seconds (default: the configured policy)."""
        idle = self.settings.idle_eviction if idle_after is None else idle_after
        return self.evictor.sweep(idle if idle is not None else 0.0)

    def _live_count(self) -> int:
        return sum(1 for s in list(dict.values(self.host.sessions)) if s.parent is None)

    @property
    def counts(self) -> dict:
        return {"live": self._live_count(), "evicted": len(self.evictor.evicted), "scheduled": len(self.scheduled),
                "quarantined": len(self.quarantine), "queued_events": self.queue_watch.queued_events}

    # --- what the engine reports (SessionListener hooks) --------------------------------------
    def macrostep_done(self, session: Session) -> None:
        top = root_of(session)
        if self._persistent(top):
            self.writer.mark_dirty(top.id)
        self.evictor.touch(top.id)
        consumed = self.queue_watch.consumed(session)
        if consumed is not None:
            _, waited = consumed
            self.metrics.events_processed.inc()
            self.metrics.event_queuing_time.observe(waited)

    def session_ended(self, session: Session) -> None:
        self._entered_at.pop(session.id, None)
        if session.parent is None:
            if session.stopped_by is not None:
                self._quarantine_stopped(session, session.stopped_by)
            elif self._persistent(session):
                self.writer.mark_deleted(session.id)
            self.replies.session_ended(session.id)
            self.evictor.forget(session.id)
            self.metrics.sessions_ended.inc()
            self.collector.note_ended()
            session_log.debug("session ended", extra={"session_id": session.id,
                                                     "final_state": session.final_state})

    def timer_fired(self, session: Session) -> None:
        top = root_of(session)
        if not top.is_done and self._persistent(top):
            self.writer.mark_dirty(top.id)

    def state_entered(self, session: Session, state: m.State) -> None:
        state_id = state.id
        self.metrics.state_entered.inc()
        self._entered_at.setdefault(session.id, {})[state_id] = time.monotonic()

    def state_exited(self, session: Session, state: m.State) -> None:
        entered = self._entered_at.get(session.id, {}).pop(state.id, None)
        if entered is not None:
            self.metrics.state_time_of(state.id).observe(time.monotonic() - entered)

    def measure(self, name: str, seconds: float, **labels) -> None:
        """Timings the ORS modules report (redirect-time, http-fetch-time of <session:fetch>)."""
        metric = self.metrics.module_timings.get(name)
        if metric is not None:
            (metric.labels(**labels) if labels else metric).observe(seconds)

    def logged(self, session: Session, label: str | None, value: Any, level: str | None = None) -> None:
        session_log.info("log", extra={"session_id": session.id, "label": label, "value": value})

    # --- budgets and quarantine --------------------------------------------------------------------
    def budget_breached(self, session: Session, breach: Breach, ended: bool) -> None:
        self.metrics.budget_breaches.labels(breach.budget).inc()

    def _quarantine_stopped(self, session: Session, breach: Breach) -> None:
        """The engine ended this session for its budgets: keep it, with what it held, out of play."""
        self.metrics.sessions_stopped.labels(breach.budget).inc()
        try:
            last = self.host.snapshot_session(session)
        except Exception:  # what it held may be what broke it; the reason is kept all the same
            last = None
        self.quarantine.add(session.id, session.document.url, breach.budget, breach.description, last,
                            persistent=self._persistent(session))

    def _restore_failed(self, session_id: str, document: str | None, snapshot, exc: Exception) -> None:
        self.metrics.sessions_stopped.labels("restore").inc()
        self.quarantine.add(session_id, document, "restore",
                            f"the session could not be restored: {type(exc).__name__}: {exc}", snapshot)

    def release_quarantined(self, session_id: str) -> None:
        if not self.quarantine.release(session_id):
            raise UnknownSession(session_id)

    # --- helpers ----------------------------------------------------------------------------------
    def _live_session(self, session_id: str) -> Session | None:
        return dict.get(self.host.sessions, session_id)

    def _persistent(self, session: Session) -> bool:
        return is_persistent(session.document)

    def _may_evict(self, session: Session) -> bool:
        # a session whose latest snapshot failed lives only here: keep it until one succeeds
        return (self._persistent(session) and session.id not in self.writer.unsaved
                and not self.replies.waiting_for(session.id))

    def _restored(self, session: Session) -> None:
        self._wake.set()

    def _evicted(self, session_id: str) -> None:
        self.flowlogs.recorder.evicted(session_id)
        self.queue_watch.forget(session_id)

    def _admit(self, session: Session) -> None:
        """Backpressure: refuse an event rather than let queues grow without bound."""
        limit = self.settings.max_queue_per_session
        if len(session.external_queue) >= limit:
            self.metrics.events_rejected.labels("session_queue_full").inc()
            raise SessionQueueFull(f"session '{session.id}' already has {limit} queued events; retry later",
                                   sessionid=session.id, limit=limit)
        if self.queue_watch.queued_events >= self.settings.max_inflight_events:
            self.metrics.events_rejected.labels("server_overloaded").inc()
            raise Overloaded(f"the server already holds {self.settings.max_inflight_events} queued events; "
                             "retry later", limit=self.settings.max_inflight_events)

    def _check_accepting(self) -> None:
        if not self.accepting:
            raise ShuttingDown("the server is shutting down")

    async def _durable(self, session_id: str | None = None) -> None:
        """With durable acks: wait until the effect is committed (of `session_id`'s snapshot
        too, when given). Raises PersistenceFailed when it cannot be."""
        if self.settings.durable_acks:
            await self.writer.durable(session_id)

"""Flow logs: what each session did, kept after it ends (the console's history, `/ors/flowlogs`).

One log per top-level session (invoked children write into their root's, with `child` set):

    start      document, params              macrostep  configuration, datamodel (after it)
    event      name, type, data              state      state (entered)
    transition source, targets, event        exit       state
    action     action, attributes            log        label, value
    budget     budget, ended, description    end        final

Each entry has `n` (its number in the session) and `t` (epoch seconds). Recorded through the
host's listener registry, plus the ORS world's trace for module actions (`world_record`). Bounded per
session (entries and bytes: the oldest entries go, `dropped` counts them) and in total (the number
of stored sessions, their age). Finished logs go to the store in batches, off the loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from openors.scxml.listeners import SessionListener

from .flowlog_store import SEARCH_FIELDS, FlowLogStore, FlowLogSummary, StoredFlowLog

if TYPE_CHECKING:
    from openors.scxml import Event, Session
    from openors.scxml import model as m
    from openors.scxml.budgets import Breach

log = logging.getLogger("openors.flowlog")

SYSTEM_VARIABLES = {"_event", "_sessionid", "_name", "_ioprocessors", "_x"}
DAY = 86_400.0
# how the datamodel's snapshot JSON reads without a data root (its serializer writes no spaces)
_ONLY_VARIABLES = ('{"variables":', ',"data_root":null}')
_SYSTEM_KEYS = tuple(f'"{name}":' for name in sorted(SYSTEM_VARIABLES))


@dataclass
class FlowLogSettings:
    """The `flow_logs:` section of the serve configuration (docs/server.md)."""

    enabled: bool = True
    retention: float = 7 * DAY  # seconds a finished session's log is kept
    max_sessions: int = 10_000  # finished logs kept in the store (the oldest go first)
    max_entries_per_session: int = 2_000
    max_bytes_per_session: int = 512 * 1024
    # All the logs held in memory (live sessions', and finished ones not yet written) together: past
    # it, a log that grows drops its own oldest entries, so thousands of long calls cannot fill RAM.
    max_live_bytes: int = 256 * 1024 * 1024
    max_datamodel_bytes: int = 16 * 1024  # a bigger datamodel snapshot is recorded as its size only
    datamodel_every_macrostep: bool = True
    max_datamodel_ms: float = 20.0  # CPU; a session whose datamodel took longer to read records no more of it
    flush_interval: float = 0.5  # seconds finished logs may wait before they are written


def visible_datamodel(session: Session) -> dict:
    """The session's variables as operators see them: ORS `<data>` items (kept in `_data`) first,
    script globals after, the system variables left out."""
    snap = session.interpreter.datamodel.snapshot()
    variables = {k: v for k, v in snap.get("variables", {}).items() if k not in SYSTEM_VARIABLES}
    return {**(snap.get("data_root") or {}), **variables}


def visible_from_snapshot(text: str) -> bytes:
    """The variables as operators see them (the data root's items, then the globals, without the
    system variables), as JSON, from the datamodel's snapshot JSON (`{"variables", "data_root"}`)."""
    if text.startswith(_ONLY_VARIABLES[0]) and text.endswith(_ONLY_VARIABLES[1]):
        # no data root (a W3C document): the variables object as it is, unless a system variable
        # might be among them (a key of that name anywhere: then parsed, to be sure)
        inner = text[len(_ONLY_VARIABLES[0]):-len(_ONLY_VARIABLES[1])]
        if '"_' not in inner or not any(key in inner for key in _SYSTEM_KEYS):
            return inner.encode()
    try:
        snap = orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (a lone surrogate): the standard parser takes it
        snap = json.loads(text)
    root = snap.get("data_root")
    shown = dict(root) if isinstance(root, dict) else {}
    for name, value in (snap.get("variables") or {}).items():
        if name not in SYSTEM_VARIABLES:
            shown[name] = value
    try:
        return orjson.dumps(shown)
    except TypeError:  # an integer beyond 64 bits: the standard encoder takes it
        return json.dumps(shown, separators=(",", ":")).encode()


def _root(session: Session) -> Session:
    while session.parent is not None:
        session = session.parent
    return session


def _kept(data: bytes) -> bytes:
    """A copy of orjson's output to keep. orjson builds its output in a large buffer and shrinks
    it: kept by the thousand, those shrunk blocks fragment the C heap, and every later dumps then
    costs about 20 times as much (2.5 µs instead of 0.13). The copy is a small, ordinary object."""
    return bytes(memoryview(data))


class LiveBytes:
    """The bytes of all the flow logs in memory, against `FlowLogSettings.max_live_bytes`."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0


@dataclass
class FlowLog:
    """One session's entries, each kept as its JSON bytes: their size is exact, and bytes are not
    tracked by the garbage collector (thousands of small dicts per session would be, and full
    collections would walk them all)."""

    summary: FlowLogSummary
    limits: FlowLogSettings
    entries: deque[bytes] = field(default_factory=deque)
    size: int = 0  # bytes of the entries
    count: int = 0
    datamodel_off: str | None = None  # why this session's datamodel is no longer recorded
    account: LiveBytes | None = None  # the memory all logs share (None: counted nowhere)

    def add(self, kind: str, fields: dict[str, Any]) -> None:
        self.count += 1
        # what JSON cannot hold becomes its text
        self.append(_kept(orjson.dumps({"n": self.count, "t": time.time(), "kind": kind, **fields}, default=str)))

    def append(self, data: bytes) -> None:
        entries, account, limits = self.entries, self.account, self.limits
        entries.append(data)
        self.size += len(data)
        if account is not None:
            account.total += len(data)
            over_all = account.total > account.limit
        else:
            over_all = False
        if over_all or len(entries) > limits.max_entries_per_session or self.size > limits.max_bytes_per_session:
            while entries and (len(entries) > limits.max_entries_per_session
                               or self.size > limits.max_bytes_per_session
                               or (account is not None and account.total > account.limit and len(entries) > 1)):
                self._grew(-len(entries.popleft()))
                self.summary.dropped += 1
        self.summary.entries = len(entries)

    def replace_first(self, data: bytes) -> None:
        self._grew(len(data) - len(self.entries[0]))
        self.entries[0] = data

    def _grew(self, n: int) -> None:
        self.size += n
        if self.account is not None:
            self.account.total += n

    def release(self) -> None:
        """The log left memory (written to the store): its bytes no longer count."""
        if self.account is not None:
            self.account.total -= self.size
            self.account = None

    def json(self) -> bytes:
        return b"[" + b",".join(self.entries) + b"]"

    def decoded(self) -> list[dict]:
        return orjson.loads(self.json())

    def stored(self) -> StoredFlowLog:
        return StoredFlowLog(self.summary, self.json().decode())


class FlowRecorder(SessionListener):
    """Keeps the live sessions' logs; hands a log to `finished` when its session ends or leaves
    memory (eviction), and takes a log back (`revive`) when the session returns."""

    def __init__(self, settings: FlowLogSettings, finished: Callable[[FlowLog], None],
                 revive: Callable[[str], FlowLog | None]):
        self.settings = settings
        self.memory = LiveBytes(settings.max_live_bytes)
        self.live: dict[str, FlowLog] = {}
        self._finished = finished
        self._revive = revive
        self.interaction_details: Callable[[str], dict | None] = lambda ixn: None

    def _log(self, session: Session) -> tuple[FlowLog | None, dict | None]:
        if session.parent is None:
            return self.live.get(session.id), None
        return self.live.get(_root(session).id), {"child": session.id}

    def add(self, session: Session, kind: str, **fields: Any) -> None:
        flow, extra = self._log(session)
        if flow is not None:
            if extra:
                fields.update(extra)
            flow.add(kind, fields)

    # --- listener hooks ----------------------------------------------------------------------
    def session_started(self, session: Session) -> None:
        if session.parent is None:
            summary = FlowLogSummary(session.id, session.document.url, round(time.time(), 6), None)
            self.live[session.id] = FlowLog(summary, self.settings, account=self.memory)
        self.add(session, "start", document=session.document.url)

    def started_with(self, session_id: str, params: dict) -> None:
        """The parameters of a start request (HTTP): on the start entry; ANI and DNIS searchable."""
        flow = self.live.get(session_id)
        if flow is None:
            return
        lowered = {str(k).lower(): v for k, v in params.items()}
        flow.summary.ani = flow.summary.ani or _text_or_none(lowered.get("ani"))
        flow.summary.dnis = flow.summary.dnis or _text_or_none(lowered.get("dnis"))
        if flow.entries:
            first = orjson.loads(flow.entries[0])
            if first["kind"] == "start":
                first["params"] = params
                flow.replace_first(_kept(orjson.dumps(first, default=str)))

    def session_restored(self, session: Session) -> None:
        if session.parent is None and session.id not in self.live:
            flow = self._revive(session.id)
            if flow is not None:
                self.live[session.id] = flow

    def session_ended(self, session: Session) -> None:
        if session.parent is not None:
            self.add(session, "end", final=session.final_state)
            return
        flow = self.live.pop(session.id, None)
        if flow is None:
            return
        flow.add("end", {"final": session.final_state})
        flow.summary.ended = round(time.time(), 6)
        flow.summary.final = session.final_state
        self._finished(flow)

    def evicted(self, session_id: str) -> None:
        flow = self.live.pop(session_id, None)
        if flow is not None:
            self._finished(flow)  # stored with ended=None; revived when the session comes back

    def event_taken(self, session: Session, event: Event) -> None:
        flow, extra = self._log(session)
        if flow is not None:
            fields = {"name": event.name, "type": event.type, "data": event.data}
            flow.add("event", {**fields, **extra} if extra else fields)

    def transitions_taken(self, session: Session, transitions: list[m.Transition]) -> None:
        flow, extra = self._log(session)
        if flow is None:
            return
        for t in transitions:
            fields = {"source": t.source.id if t.source is not None else None, "targets": [s.id for s in t.targets],
                      "event": " ".join(t.events) or None}
            flow.add("transition", {**fields, **extra} if extra else fields)

    def state_entered(self, session: Session, state: m.State) -> None:
        self.add(session, "state", state=state.id)

    def state_exited(self, session: Session, state: m.State) -> None:
        self.add(session, "exit", state=state.id)

    def logged(self, session: Session, label: str | None, value: Any, level: str | None) -> None:
        self.add(session, "log", label=label, value=value)

    def budget_breached(self, session: Session, breach: Breach, ended: bool) -> None:
        self.add(session, "budget", budget=breach.budget, ended=ended, description=breach.description)

    def macrostep_done(self, session: Session) -> None:
        flow, extra = self._log(session)
        if flow is None:
            return
        # a session that just ended has exited every state: its top-level final state stands for it
        configuration = list(session.configuration) or ([session.final_state] if session.final_state else [])
        fields: dict[str, Any] = {"configuration": configuration, **(extra or {})}
        if self.settings.datamodel_every_macrostep and session.interpreter.running and flow.datamodel_off is None:
            self._record_datamodel(session, flow, fields)
        flow.add("macrostep", fields)

    def _record_datamodel(self, session: Session, flow: FlowLog, fields: dict[str, Any]) -> None:
        datamodel = session.interpreter.datamodel
        # CPU: time the process was preempted is not the datamodel's. The wall clock (no system
        # call) bounds it: the CPU clock is read again only when that bound passes the limit.
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            # The snapshot's own JSON when the datamodel has one: read here, right after the
            # macrostep, it is also what the session's next snapshot reuses (one serialisation
            # of the data per macrostep for both).
            shared = getattr(datamodel, "snapshot_json", None)
            text = visible_from_snapshot(shared()) if shared is not None else datamodel.visible_json().encode()
            fields["datamodel"] = orjson.Fragment(text) if len(text) <= self.settings.max_datamodel_bytes \
                else {"(too large to record)": f"{len(text)} bytes"}  # encoded once, embedded as it is
        except Exception as exc:  # a datamodel that cannot be read is noted, never fatal
            fields["datamodel"] = {"(unreadable)": f"{type(exc).__name__}: {exc}"}
        took = (time.perf_counter() - started) * 1000
        if took > self.settings.max_datamodel_ms:
            took = (time.thread_time() - cpu_started) * 1000
        if took > self.settings.max_datamodel_ms:  # reading it back costs the loop: not for every step
            flow.datamodel_off = f"reading it took {took:.0f} ms of CPU (flow_logs.max_datamodel_ms)"
            fields["datamodel_off"] = flow.datamodel_off

    # --- the ORS world's trace (actions and which interaction a session serves) ------------------
    def world_record(self, record: dict) -> None:
        kind = record.get("kind")
        if kind == "action":
            flow = self.live.get(str(record.get("session")))
            if flow is not None:
                flow.add("action", {"action": record.get("action"), "requestid": record.get("requestid"),
                                    "attributes": record.get("attributes")})
        elif kind == "session.start" and record.get("interaction"):
            flow = self.live.get(str(record.get("session")))
            if flow is not None:
                ixn = str(record["interaction"])
                flow.summary.interaction = ixn
                details = self.interaction_details(ixn) or {}
                props = details.get("properties") or {}
                flow.summary.ani = flow.summary.ani or _text_or_none(props.get("ani"))
                flow.summary.dnis = flow.summary.dnis or _text_or_none(props.get("dnis"))


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


class FlowLogs:
    """The recorder, the store and retention together: what the runtime and the server use."""

    def __init__(self, store: FlowLogStore, settings: FlowLogSettings | None = None):
        self.settings = settings or FlowLogSettings()
        self.store = store
        self.recorder = FlowRecorder(self.settings, self._finished, self._revive)
        self._pending: dict[str, FlowLog] = {}
        self._task: asyncio.Task | None = None
        self._pruned_at = 0.0

    def _finished(self, flow: FlowLog) -> None:
        self._pending[flow.summary.session] = flow

    def _revive(self, session_id: str) -> FlowLog | None:
        flow = self._pending.pop(session_id, None)
        if flow is not None:
            return flow
        try:
            stored = self.store.load(session_id)
        except Exception:
            log.exception("cannot read the flow log of a restored session", extra={"session_id": session_id})
            stored = None
        flow = FlowLog(FlowLogSummary(session_id, None, round(time.time(), 6), None), self.settings,
                       account=self.recorder.memory)
        if stored is not None:
            flow.summary = stored.summary
            entries = orjson.loads(stored.entries)
            for entry in entries:
                flow.append(_kept(orjson.dumps(entry)))
            flow.count = entries[-1]["n"] if entries else 0
        return flow

    # --- queries ---------------------------------------------------------------------------------
    def entries(self, session_id: str) -> tuple[FlowLogSummary, list[dict]] | None:
        flow = self.recorder.live.get(session_id) or self._pending.get(session_id)
        if flow is not None:
            return flow.summary, flow.decoded()
        stored = self.store.load(session_id)
        if stored is None:
            return None
        return stored.summary, orjson.loads(stored.entries)

    def search(self, field: str | None = None, value: str | None = None, limit: int = 50) -> list[dict]:
        if field is not None and field not in SEARCH_FIELDS:
            raise ValueError(f"flow logs are searched by {', '.join(SEARCH_FIELDS)}, not {field!r}")
        memory = [f.summary for f in (*self.recorder.live.values(), *self._pending.values())
                  if field is None or getattr(f.summary, field) == value]
        seen = {s.session for s in memory}
        stored = [s for s in self.store.search(field, value, limit) if s.session not in seen]
        found = sorted(memory + stored, key=lambda s: s.ended or s.started, reverse=True)[:limit]
        return [{**s.as_dict(), "status": "running" if s.session in self.recorder.live
                 else ("ended" if s.ended is not None else "evicted")} for s in found]

    # --- writing and retention --------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flush_forever(), name="openors-flowlogs")

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.flush_interval)
            try:
                await self.flush()
            except Exception:
                log.exception("flow logs could not be written; retrying")

    async def flush(self) -> None:
        if self._pending:
            batch = list(self._pending.values())
            await asyncio.to_thread(self.store.save, [f.stored() for f in batch])
            for flow in batch:
                if self._pending.get(flow.summary.session) is flow:
                    del self._pending[flow.summary.session]
                    if flow.summary.session not in self.recorder.live:  # not back in memory meanwhile
                        flow.release()
        now = time.time()
        if now - self._pruned_at > 60:
            self._pruned_at = now
            await asyncio.to_thread(self.store.prune, now - self.settings.retention, self.settings.max_sessions)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for flow in list(self.recorder.live.values()):  # still running: kept as they are (ended=None)
            self._pending[flow.summary.session] = flow
        try:
            await self.flush()
        except Exception:
            log.exception("flow logs could not be written at shutdown")
        self.store.close()

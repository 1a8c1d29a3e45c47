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
_VARIABLES_FROM, _VARIABLES_TO = len(_ONLY_VARIABLES[0]), -len(_ONLY_VARIABLES[1])
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


def _configuration(session: Session) -> list[str]:
    """The active states' ids; a session that just ended has exited every state: its top-level
    final state stands for them."""
    return list(session.configuration) or ([session.final_state] if session.final_state else [])


def _root(session: Session) -> Session:
    while session.parent is not None:
        session = session.parent
    return session


def _kept(data: bytes) -> bytes:
    """A copy of orjson's output to keep. orjson builds its output in a large buffer and shrinks
    it: kept by the thousand, those shrunk blocks fragment the C heap, and every later dumps then
    costs about 20 times as much (2.5 µs instead of 0.13). The copy is a small, ordinary object."""
    return bytes(memoryview(data))


def _encoded(entry: dict) -> bytes:
    """One entry's JSON; what JSON cannot hold becomes its text, what orjson refuses (an integer
    beyond 64 bits, a lone surrogate) goes through the standard encoder, and an entry neither can
    write is noted as such."""
    try:
        return _kept(orjson.dumps(entry, default=str))
    except TypeError:
        pass
    try:
        return json.dumps(entry, default=str, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        return orjson.dumps({"n": entry.get("n"), "t": entry.get("t"), "kind": entry.get("kind"),
                             "(unrecordable)": f"{type(exc).__name__}: {exc}"}, default=str)


def _decoded(text: bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what orjson refuses (an integer beyond 64 bits): the standard parser
        return json.loads(text)


# Between the entries of a chunk: JSON text never holds a raw NUL (serialisers escape control
# characters), so the entries' bounds stay known. Removed when the log is read.
_SEPARATOR = b",\x00,"
_MARK = orjson.Fragment(b"\x00")  # what orjson writes between two commas: the separator
# Entries recorded during a macrostep wait, as dicts, for its end: a macrostep's entries are then
# encoded together (one orjson call). A long macrostep writes its entries in slices of this many.
MAX_PENDING_ENTRIES = 64
MAX_DESCRIBED_TRANSITIONS = 10_000  # transitions whose fields the recorder keeps (all documents)


class LiveBytes:
    """The bytes of all the flow logs in memory, against `FlowLogSettings.max_live_bytes`."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0


@dataclass
class FlowLog:
    """One session's entries, kept as JSON bytes: their size is exact, and bytes are not tracked
    by the garbage collector (thousands of small dicts per session would be, and full collections
    would walk them all).

    An element of `entries` is a chunk: one entry, or the entries of one macrostep encoded
    together, separated by `_SEPARATOR` (`counts` says how many). The bounds apply entry by entry
    as ever: a chunk of which only some entries must go is split at its separators first."""

    summary: FlowLogSummary
    limits: FlowLogSettings
    entries: deque[bytes] = field(default_factory=deque)
    size: int = 0  # bytes of the entries (separators not counted)
    count: int = 0  # entries numbered so far (the last `n`)
    datamodel_off: str | None = None  # why this session's datamodel is no longer recorded
    account: LiveBytes | None = None  # the memory all logs share (None: counted nowhere)
    counts: deque[int] = field(default_factory=deque)  # entries in each chunk of `entries`
    held: int = 0  # entries in `entries`
    # recorded in this macrostep, not encoded yet: _MARK, entry, _MARK, entry...
    pending: list[Any] = field(default_factory=list)
    # the session's (and its children's) active state ids, by session id, kept between changes
    configurations: dict[str, list[str]] = field(default_factory=dict)
    cpu_timed: bool = True  # whether the next read of the datamodel is timed by the CPU clock
    fresh: bool = False  # opened by a session's construction, before its first macrostep (or restore)
    restoring: bool = False  # its session is being restored while the log is live

    def add(self, kind: str, fields: dict[str, Any]) -> None:
        """Record an entry and encode it now (with whatever waited before it)."""
        self.count += 1
        self.note({"n": self.count, "t": time.time(), "kind": kind, **fields})
        self.write_pending()

    def note(self, entry: dict) -> None:
        """Record an entry (its `n` already counted) to encode at the macrostep's end."""
        pending = self.pending
        pending.append(_MARK)
        pending.append(entry)
        if len(pending) >= 2 * MAX_PENDING_ENTRIES:
            self.write_pending()

    def write_pending(self) -> None:
        """Encode the entries waiting, in one call, as one chunk."""
        pending = self.pending
        if not pending:
            return
        self.pending = []
        count = len(pending) // 2
        if count == 1:
            self.append(_encoded(pending[1]))
            return
        try:
            # `[` and the first separator off, `]` off: the slice is also the small copy _kept makes
            chunk = orjson.dumps(pending, default=str)[3:-1]
        except TypeError:  # one of them orjson cannot write: each on its own, to find it
            chunk = _SEPARATOR.join(_encoded(entry) for entry in pending[1::2])
        self.append(chunk, count)

    def append(self, data: bytes, count: int = 1) -> None:
        """Keep a chunk of `count` entries, then drop the oldest entries past the bounds."""
        self.entries.append(data)
        self.counts.append(count)
        self.held = held = self.held + count
        grown = len(data) - 3 * (count - 1)
        self.size = size = self.size + grown
        account, limits = self.account, self.limits
        over_all = False
        if account is not None:
            account.total += grown
            over_all = account.total > account.limit
        if over_all or size > limits.max_bytes_per_session:
            self._drop_oldest()
        elif held > limits.max_entries_per_session:
            self._drop_first(held - limits.max_entries_per_session)  # the entry bound alone: a long call's usual
        self.summary.entries = self.held

    def _drop_oldest(self) -> None:
        # Entry by entry, the oldest goes while a bound is passed (against the shared bound, the
        # newest entry stays). A chunk goes whole when its last entry would go too; else its
        # entries are found at its separators, and those that must go go. Each turn drops.
        entries, counts, account, limits = self.entries, self.counts, self.account, self.limits
        max_entries, max_bytes = limits.max_entries_per_session, limits.max_bytes_per_session
        limit = account.limit if account is not None else 0
        total = account.total if account is not None else 0  # less `freed`
        held, size, freed, dropped = self.held, self.size, 0, 0
        while entries and (held > max_entries or size > max_bytes
                           or (account is not None and total - freed > limit and held > 1)):
            k = counts[0]
            chunk = len(entries[0]) - 3 * (k - 1)
            if k > 1 and not (held - k + 1 > max_entries or size - chunk > max_bytes
                              or (account is not None and total - freed - chunk > limit and held - k + 1 > 1)):
                parts = entries[0].split(_SEPARATOR)
                gone = 0
                while gone < k and (held > max_entries or size > max_bytes
                                    or (account is not None and total - freed > limit and held > 1)):
                    part = len(parts[gone])
                    held, size, freed, dropped, gone = held - 1, size - part, freed + part, dropped + 1, gone + 1
                if gone < k:  # the rest stays, as a chunk
                    entries[0] = _SEPARATOR.join(parts[gone:])
                    counts[0] = k - gone
                    break
                entries.popleft()
                counts.popleft()
                continue
            entries.popleft()
            counts.popleft()
            held -= k
            size -= chunk
            freed += chunk
            dropped += k
        self.held, self.size = held, size
        if account is not None:
            account.total -= freed
        self.summary.dropped += dropped

    def _drop_first(self, n: int) -> None:
        """Drop the `n` oldest entries (fewer bytes: no other bound can be passed after)."""
        entries, counts = self.entries, self.counts
        freed, dropped = 0, 0
        while entries and counts[0] <= n - dropped:
            k = counts.popleft()
            freed += len(entries.popleft()) - 3 * (k - 1)
            dropped += k
        if entries and dropped < n:  # some entries of the oldest chunk: its rest stays a chunk
            chunk, gone = entries[0], n - dropped
            entries[0] = rest = chunk.split(_SEPARATOR, gone)[-1]
            counts[0] -= gone
            freed += len(chunk) - len(rest) - 3 * gone
            dropped = n
        self.held -= dropped
        self.size -= freed
        if self.account is not None:
            self.account.total -= freed
        self.summary.dropped += dropped

    def first_entry(self) -> dict | None:
        """The oldest entry held when it is a chunk of its own (the start entry is one)."""
        if not self.counts or self.counts[0] != 1:
            return None
        return _decoded(self.entries[0])

    def replace_first(self, data: bytes) -> None:
        """Replace the oldest entry (a chunk of its own) with `data`."""
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
        self.write_pending()
        return b"[" + b",".join(self.entries).replace(_SEPARATOR, b",") + b"]"

    def decoded(self) -> list[dict]:
        return _decoded(self.json())

    def stored(self) -> StoredFlowLog:
        return StoredFlowLog(self.summary, self.json().decode())


class FlowRecorder(SessionListener):
    """Keeps the live sessions' logs; hands a log to `finished` when its session ends or leaves
    memory (eviction), and takes a log back (`revive`) when the session returns.

    The hooks of a macrostep build their entries as dicts and leave them with the log; the
    macrostep's end encodes them together (`FlowLog.write_pending`), and so does anything that
    reads the log."""

    def __init__(self, settings: FlowLogSettings, finished: Callable[[FlowLog], None],
                 revive: Callable[[str], FlowLog | None]):
        self.settings = settings
        self.memory = LiveBytes(settings.max_live_bytes)
        self.live: dict[str, FlowLog] = {}
        self._finished = finished
        self._revive = revive
        self.interaction_details: Callable[[str], dict | None] = lambda ixn: None
        # what a transition's entries say besides n and t (a transition never changes)
        self._transitions: dict[m.Transition, tuple[str | None, list[str], str | None]] = {}

    def _log(self, session: Session) -> tuple[FlowLog | None, str | None]:
        """The log the session writes into, and the child's id when it is not the root."""
        if session.parent is None:
            return self.live.get(session.id), None
        return self.live.get(_root(session).id), session.id

    def add(self, session: Session, kind: str, **fields: Any) -> None:
        flow, child = self._log(session)
        if flow is not None:
            flow.count = n = flow.count + 1
            entry = {"n": n, "t": time.time(), "kind": kind, **fields}
            if child is not None:
                entry["child"] = child
            flow.note(entry)

    # --- listener hooks ----------------------------------------------------------------------
    def session_started(self, session: Session) -> None:
        # A restored session is constructed, so it is told as started first, then as restored.
        if session.parent is None:
            flow = self.live.get(session.id)
            if flow is not None and not flow.fresh:  # back in place while its log is live: it goes on
                flow.restoring = True
                return
            summary = FlowLogSummary(session.id, session.document.url, round(time.time(), 6), None)
            flow = self.live[session.id] = FlowLog(summary, self.settings, account=self.memory, fresh=True)
            flow.add("start", {"document": session.document.url})  # a chunk of its own: see started_with
        else:
            root, _ = self._log(session)
            if root is not None and not root.restoring:
                self.add(session, "start", document=session.document.url)

    def started_with(self, session_id: str, params: dict) -> None:
        """The parameters of a start request (HTTP): on the start entry; ANI and DNIS searchable."""
        flow = self.live.get(session_id)
        if flow is None:
            return
        lowered = {str(k).lower(): v for k, v in params.items()}
        flow.summary.ani = flow.summary.ani or _text_or_none(lowered.get("ani"))
        flow.summary.dnis = flow.summary.dnis or _text_or_none(lowered.get("dnis"))
        first = flow.first_entry()
        if first is not None and first["kind"] == "start":
            first["params"] = params
            flow.replace_first(_encoded(first))

    def session_restored(self, session: Session) -> None:
        if session.parent is None:
            flow = self.live.get(session.id)
            if flow is None or flow.fresh:
                # the log it had before it left memory (evicted, or the server stopped) goes on;
                # the one its construction opened (its start entry, its children's) is not its story
                revived = self._revive(session.id)
                if revived is not None and (flow is None or revived.held or revived.count):
                    if flow is not None:
                        flow.release()
                    self.live[session.id] = flow = revived
            if flow is not None:
                flow.fresh = flow.restoring = False
        flow, _ = self._log(session)
        if flow is not None:  # its configuration came from the snapshot, without state hooks
            flow.configurations.pop(session.id, None)

    def session_ended(self, session: Session) -> None:
        if session.parent is not None:
            self.add(session, "end", final=session.final_state)
            flow, _ = self._log(session)
            if flow is not None:
                flow.configurations.pop(session.id, None)
            return
        flow = self.live.pop(session.id, None)
        if flow is None:
            return
        flow.add("end", {"final": session.final_state})
        flow.configurations.clear()
        flow.summary.ended = round(time.time(), 6)
        flow.summary.final = session.final_state
        self._finished(flow)

    def evicted(self, session_id: str) -> None:
        flow = self.live.pop(session_id, None)
        if flow is not None:
            flow.write_pending()
            flow.configurations.clear()
            self._finished(flow)  # stored with ended=None; revived when the session comes back

    def event_taken(self, session: Session, event: Event) -> None:
        if session.parent is None:
            flow, child = self.live.get(session.id), None
        else:
            flow, child = self._log(session)
        if flow is not None:
            flow.count = n = flow.count + 1
            entry = {"n": n, "t": time.time(), "kind": "event", "name": event.name, "type": event.type,
                     "data": event.data}  # encoded at the macrostep's end: nothing changes a taken event
            if child is not None:
                entry["child"] = child
            flow.note(entry)

    def transitions_taken(self, session: Session, transitions: list[m.Transition]) -> None:
        if session.parent is None:
            flow, child = self.live.get(session.id), None
        else:
            flow, child = self._log(session)
        if flow is None:
            return
        described = self._transitions
        pending = flow.pending
        for t in transitions:
            fields = described.get(t)
            if fields is None:
                if len(described) >= MAX_DESCRIBED_TRANSITIONS:
                    described.clear()
                fields = described[t] = (t.source.id if t.source is not None else None,
                                         [s.id for s in t.targets], " ".join(t.events) or None)
            flow.count = n = flow.count + 1
            entry = {"n": n, "t": time.time(), "kind": "transition", "source": fields[0], "targets": fields[1],
                     "event": fields[2]}
            if child is not None:
                entry["child"] = child
            pending.append(_MARK)
            pending.append(entry)
        if len(pending) >= 2 * MAX_PENDING_ENTRIES:
            flow.write_pending()

    def state_entered(self, session: Session, state: m.State) -> None:
        self._state_entry(session, "state", state.id)

    def state_exited(self, session: Session, state: m.State) -> None:
        self._state_entry(session, "exit", state.id)

    def _state_entry(self, session: Session, kind: str, state_id: str) -> None:
        if session.parent is None:
            flow, child = self.live.get(session.id), None
        else:
            flow, child = self._log(session)
        if flow is not None:
            flow.configurations.pop(session.id, None)
            flow.count = n = flow.count + 1
            entry = {"n": n, "t": time.time(), "kind": kind, "state": state_id}
            if child is not None:
                entry["child"] = child
            flow.note(entry)

    def logged(self, session: Session, label: str | None, value: Any, level: str | None) -> None:
        self.add(session, "log", label=label, value=value)

    def budget_breached(self, session: Session, breach: Breach, ended: bool) -> None:
        self.add(session, "budget", budget=breach.budget, ended=ended, description=breach.description)

    def macrostep_done(self, session: Session) -> None:
        if session.parent is None:
            flow, child = self.live.get(session.id), None
        else:
            flow, child = self._log(session)
        if flow is None:
            return
        flow.fresh = False
        # The configuration changes only with the state hooks (and a restore): kept until then.
        configuration = flow.configurations.get(session.id)
        if configuration is None:
            configuration = flow.configurations[session.id] = _configuration(session)
        flow.count = n = flow.count + 1
        entry = {"n": n, "t": time.time(), "kind": "macrostep", "configuration": configuration}
        if child is not None:
            entry["child"] = child
        interpreter, settings = session.interpreter, self.settings
        if settings.datamodel_every_macrostep and flow.datamodel_off is None and interpreter.running:
            # CPU: time the process was preempted is not the datamodel's. The CPU clock is a
            # system call: it is read only for a session whose last read took a good part of the
            # limit by the wall clock (no system call), and for its first. A read past the limit
            # by the wall clock alone has the next one timed by the CPU clock.
            cpu_started = time.thread_time() if flow.cpu_timed else None
            started = time.perf_counter()
            entry["datamodel"] = self._datamodel(interpreter.datamodel)
            took = (time.perf_counter() - started) * 1000
            if took > settings.max_datamodel_ms / 4:
                self._slow_datamodel(flow, entry, took, cpu_started)
            elif flow.cpu_timed:
                flow.cpu_timed = False
        pending = flow.pending
        if pending:  # the macrostep's entries, this one last: one chunk
            pending.append(_MARK)
            pending.append(entry)
            flow.write_pending()
        else:
            flow.append(_encoded(entry))

    def _datamodel(self, datamodel: Any) -> Any:
        """The variables after the macrostep as the entry holds them (JSON embedded as it is)."""
        try:
            # The snapshot's own JSON when the datamodel has one: read here, right after the
            # macrostep, it is also what the session's next snapshot reuses (one serialisation
            # of the data per macrostep for both).
            shared = getattr(datamodel, "snapshot_json", None)
            if shared is None:
                text = datamodel.visible_json().encode()
            else:
                snapshot = shared()
                inner = snapshot[_VARIABLES_FROM:_VARIABLES_TO]
                if snapshot.startswith(_ONLY_VARIABLES[0]) and snapshot.endswith(_ONLY_VARIABLES[1]) \
                        and '"_' not in inner:
                    text = inner.encode()  # visible_from_snapshot's first case, without a call
                else:
                    text = visible_from_snapshot(snapshot)
            if b"\x00" in text:  # JSON never holds one; the chunks' separators rely on it
                raise ValueError("a raw NUL in its JSON")
        except Exception as exc:  # a datamodel that cannot be read is noted, never fatal
            return {"(unreadable)": f"{type(exc).__name__}: {exc}"}
        if len(text) > self.settings.max_datamodel_bytes:
            return {"(too large to record)": f"{len(text)} bytes"}
        return orjson.Fragment(text)

    def _slow_datamodel(self, flow: FlowLog, entry: dict, took: float, cpu_started: float | None) -> None:
        """The datamodel took a good part of `max_datamodel_ms` to read (`took`, wall clock)."""
        limit = self.settings.max_datamodel_ms
        flow.cpu_timed = True  # its next read is timed by the CPU clock
        if took > limit and cpu_started is not None:
            took = (time.thread_time() - cpu_started) * 1000
            if took > limit:  # reading it back costs the loop: not for every step
                flow.datamodel_off = f"reading it took {took:.0f} ms of CPU (flow_logs.max_datamodel_ms)"
                entry["datamodel_off"] = flow.datamodel_off

    # --- the ORS world's trace (actions and which interaction a session serves) ------------------
    def world_record(self, record: dict) -> None:
        kind = record.get("kind")
        if kind == "action":
            flow = self.live.get(str(record.get("session")))
            if flow is not None:
                flow.count = n = flow.count + 1
                flow.note({"n": n, "t": time.time(), "kind": "action", "action": record.get("action"),
                           "requestid": record.get("requestid"), "attributes": record.get("attributes")})
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
                flow.append(_encoded(entry))
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
        logs = (*self.recorder.live.values(), *self._pending.values())
        for flow in logs:  # their counts as they will be written
            flow.write_pending()
        memory = [f.summary for f in logs if field is None or getattr(f.summary, field) == value]
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

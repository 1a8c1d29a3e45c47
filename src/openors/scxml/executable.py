"""Executable content (W3C SCXML 1.0 §4) and the evaluation of its attributes.

An error stops the block it happens in and puts `error.execution` (or the error's own event name)
on the internal queue; the session carries on.
"""

from __future__ import annotations

import logging
import re
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import model as m
from .errors import BudgetError, ExecutionError
from .events import Event
from .resources import fetch_text, resolve_url
from .values import decode_text

if TYPE_CHECKING:
    from .interpreter import Interpreter

log = logging.getLogger("openors.scxml")

_DELAY = re.compile(r"^\s*(\d*\.?\d+)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_delay(text: str) -> float:
    """CSS2-style durations ("5s", "250ms", ".5s"); a bare number is seconds."""
    match = _DELAY.match(str(text))
    if not match:
        raise ExecutionError(f"invalid delay {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def internal_error(exc: Exception) -> ExecutionError:
    """An unexpected Python exception, logged with its traceback, as the session's execution error."""
    log.error("internal error in executable content", exc_info=exc)
    return ExecutionError(f"InternalError: {type(exc).__name__}: {exc}")


def new_id() -> str:
    return uuid.uuid4().hex


class AssignRun:
    """Two or more `<assign location expr>` in a row of one block, run in one call into the
    datamodel (`assign_run`): what they do, and the error of the first that fails, are those of
    running them one by one."""

    __slots__ = ("nodes", "pairs")

    def __init__(self, nodes: list[m.Assign]):
        self.nodes = nodes
        self.pairs = tuple((n.location, n.expr or "") for n in nodes)  # each has an expr (see _plan)


def _first(step: Any) -> Any:
    """The document's node standing for a step of a plan (a run's first assignment)."""
    return step.nodes[0] if type(step) is AssignRun else step


def _failed(step: Any, exc: ExecutionError) -> Any:
    """The node an error of a block's step is raised for, as when each node ran alone: the
    assignment of a run that failed; any other step itself (an <if> for whatever failed inside)."""
    if type(step) is AssignRun:
        index = getattr(exc, "run_step", 0)
        return step.nodes[index if 0 <= index < len(step.nodes) else 0]
    return step


class ExecutableContent:
    # node type -> its handler, one table for all sessions (bound methods per session cost about
    # 1 KiB each); filled in below the class.
    HANDLERS: dict[type, Callable[[ExecutableContent, Any], None]] = {}

    def __init__(self, interp: Interpreter):
        self.interp = interp
        self.dm = interp.datamodel
        self.plans = interp.doc.plans
        # a row of assignments in one call into the datamodel, when it can (the ECMAScript one)
        self.fuse_assigns = self.dm.fuses_assigns

    # --- blocks and errors ----------------------------------------------------------------
    def execute_block(self, block: list[m.Executable]) -> None:
        plan = self.plans.get(id(block)) or self._plan(block)
        try:
            for node in plan:
                self.HANDLERS[type(node)](self, node)
        except ExecutionError as exc:
            self.raise_error(exc, exc.node or (_failed(node, exc) if block else None), exc.sendid)
        except RecursionError:
            self.raise_error(ExecutionError("RangeError: nesting too deep"), _first(node))
        except Exception as exc:  # a fault of ours or of an extension: this session's error, not a crash
            self.raise_error(internal_error(exc), _first(node))

    def run(self, nodes: list[m.Executable]) -> None:
        """Execute nodes, letting errors propagate (inside <if>/<foreach>)."""
        for node in self.plans.get(id(nodes)) or self._plan(nodes):
            self.HANDLERS[type(node)](self, node)

    def _plan(self, block: list[m.Executable]) -> list:
        """How `block` runs: its nodes, with each row of two or more `<assign expr>` as one
        `AssignRun` when the datamodel can run them in one call (kept per document: the block is
        the document's)."""
        plan = block
        if self.fuse_assigns:
            steps: list = []
            row: list[m.Assign] = []
            for node in [*block, None]:
                if type(node) is m.Assign and node.expr is not None and node.content is None:
                    row.append(node)
                    continue
                if len(row) > 1:
                    steps.append(AssignRun(row))
                else:
                    steps.extend(row)
                row = []
                if node is not None:
                    steps.append(node)
            if len(steps) < len(block):
                plan = steps
        self.plans[id(block)] = plan
        return plan

    def raise_error(self, exc: ExecutionError, node: Any = None, sendid: str | None = None) -> None:
        if isinstance(exc, BudgetError):
            self.interp.note_breach(exc.breach)
        dialect = self.interp.doc.dialect
        if dialect is not None:
            name, data = dialect.error_event(exc, node)
        else:
            name, data = exc.event_name, {"message": str(exc)}
            if node is not None:
                data.update({"element": node.tag, "line": node.line, "url": node.url})
        event = Event(name, "platform", data, sendid=sendid)
        self.interp.host.error_raised(self.interp, event)
        self.interp.enqueue_internal(event)

    def condition_failed(self, transition: m.Transition, exc: Exception) -> bool:
        """A transition's `cond` could not be evaluated (the interpreter evaluates it in selection):
        its error event is raised and the transition is not enabled (W3C 5.9.1)."""
        self.raise_error(exc if isinstance(exc, ExecutionError) else internal_error(exc), transition)
        return False

    # --- elements ----------------------------------------------------------------------------
    def exec_raise(self, node: m.Raise) -> None:
        self.interp.enqueue_internal(Event(node.event, "internal"))

    def exec_log(self, node: m.Log) -> None:
        value = self.dm.evaluate(node.expr) if node.expr is not None else None
        self.interp.host.log(self.interp, node.label, value, node.level)

    def exec_assign_run(self, run: AssignRun) -> None:
        try:
            if self.dm.assign_run(run.pairs):
                return
        except ExecutionError as exc:
            exc.run_step = getattr(exc, "step", 0)  # type: ignore[attr-defined]  # which one (see _failed)
            raise
        for node in run.nodes:  # not expressions a call can hold together: one by one
            self.exec_assign(node)

    def exec_assign(self, node: m.Assign) -> None:
        if node.content is not None:
            self.dm.assign_value(node.location, node.content.value)
        elif node.expr is not None:
            self.dm.assign(node.location, node.expr)
        else:
            self.dm.assign_value(node.location, None)

    def exec_script(self, node: m.Script) -> None:
        self.dm.execute_script(node.source, node.url, node.line)

    def exec_if(self, node: m.If) -> None:
        for branch in node.branches:
            if branch.cond is None or self.dm.evaluate_cond(branch.cond):
                self.run(branch.body)
                return

    def exec_foreach(self, node: m.Foreach) -> None:
        self.dm.foreach(node.array, node.item, node.index, lambda: self.run(node.body))

    def exec_custom(self, node: m.CustomAction) -> None:
        if node.handler is None:
            raise ExecutionError(f"<{node.name}>: the module of namespace '{node.namespace}' is not available",
                                 node)
        node.handler.execute(self.interp, node)

    def exec_cancel(self, node: m.Cancel) -> None:
        # The parser requires one of sendid and sendidexpr.
        sendid = node.sendid if node.sendid is not None else self.dm.evaluate(node.sendidexpr or "undefined")
        self.interp.host.cancel_send(self.interp, str(sendid))

    def exec_send(self, node: m.Send) -> None:
        dm = self.dm
        name = node.event if node.event is not None else (
            dm.evaluate(node.eventexpr) if node.eventexpr is not None else None)
        target = node.target if node.target is not None else (
            dm.evaluate(node.targetexpr) if node.targetexpr is not None else None)
        send_type = node.type if node.type is not None else (
            dm.evaluate(node.typeexpr) if node.typeexpr is not None else None)
        if node.id is not None:
            sendid = node.id
        else:
            sendid = new_id()
            if node.idlocation is not None:
                dm.assign_value(node.idlocation, sendid)
        delay_text = node.delay if node.delay is not None else (
            dm.evaluate(node.delayexpr) if node.delayexpr is not None else None)
        delay = parse_delay(delay_text) if delay_text not in (None, "") else 0.0
        pairs: list[tuple[str, Any]] = []
        data = self.event_data(node.namelist, node.params, node.content, pairs)
        request = {"event": None if name is None else str(name), "target": target, "type": send_type,
                   "sendid": sendid, "delay": delay, "data": data, "pairs": pairs}
        dialect = self.interp.doc.dialect
        if dialect is not None:
            request = dialect.map_send(self.interp, request, node)
        try:
            self.interp.host.send(self.interp, request, node)
        except ExecutionError as exc:
            exc.sendid = sendid  # the error event names the send that failed
            exc.node = node
            raise

    # --- values ------------------------------------------------------------------------------
    def event_data(self, namelist: list[str], params: list[m.Param], content: m.Content | None,
                   pairs: list | None = None) -> Any:
        """The data of a <send>, <invoke> or <donedata>: namelist + params, or content.

        A name given twice keeps its last value in the data; `pairs` receives every pair in order."""
        if content is not None:
            return self.content_value(content)
        if not namelist and not params:
            return None
        data: dict[str, Any] = {}
        for name in namelist:
            if not self.dm.has_location(name):
                raise ExecutionError(f"namelist entry '{name}' is not a valid location")
            data[name] = self.dm.evaluate(name)
            if pairs is not None:
                pairs.append((name, data[name]))
        for param in params:
            if param.location is not None:
                if not self.dm.has_location(param.location):
                    raise ExecutionError(f"<param name='{param.name}'> location '{param.location}' is not valid",
                                         param)
                value = self.dm.evaluate(param.location)
            elif param.expr is not None:
                value = self.dm.evaluate(param.expr)
            else:
                value = None
            data[param.name] = value
            if pairs is not None:
                pairs.append((param.name, value))
        return data

    def content_value(self, content: m.Content) -> Any:
        if content.expr is not None:
            return self.dm.evaluate(content.expr)
        return content.value

    def evaluate_donedata(self, donedata: m.DoneData | None) -> Any:
        if donedata is None:
            return None
        try:
            return self.event_data([], donedata.params, donedata.content)
        except ExecutionError as exc:
            self.raise_error(exc, donedata)
            return None

    def init_data(self, data: m.Data) -> None:
        """W3C 5.3: a <data> element's value from `expr`, `src` or its inline content."""
        if data.expr is not None:
            self.dm.declare_expr(data.id, data.expr)
        elif data.src is not None:
            self.dm.declare(data.id, self._fetch_data_src(data))
        elif data.content is not None:
            self.dm.declare(data.id, data.content.value)
        else:
            # B.2.2 (test445): no value given means ECMAScript undefined, not null; Composer IPDs
            # apply their defaults only `if (typeof _data.X == "undefined")`.
            self.dm.declare_unbound(data.id)

    def _fetch_data_src(self, data: m.Data) -> Any:
        cached = _FETCHED.get(data, _MISSING)
        if cached is not _MISSING:
            return cached
        assert data.src is not None  # only called for <data src>
        url = resolve_url(data.src, data.url)
        try:
            value = decode_text(fetch_text(url, data.url, self.interp.host.sources), normalise=True)
        except OSError as exc:
            raise ExecutionError(f"<data id='{data.id}' src='{data.src}'> cannot be fetched: {exc}", data) from None
        _FETCHED[data] = value
        return value

    # --- invoke -----------------------------------------------------------------------------
    def start_invoke(self, inv: m.Invoke) -> None:
        interp = self.interp
        state = inv.state
        assert state is not None  # the parser gives every <invoke> its state
        invokeid = inv.id
        try:
            if invokeid is None:
                invokeid = f"{state.id}.{new_id()}"
                if inv.idlocation is not None:
                    self.dm.assign_value(inv.idlocation, invokeid)
            inv_type = inv.type if inv.type is not None else (
                self.dm.evaluate(inv.typeexpr) if inv.typeexpr is not None else None)
            src = inv.src if inv.src is not None else (
                self.dm.evaluate(inv.srcexpr) if inv.srcexpr is not None else None)
            content = self.content_value(inv.content) if inv.content is not None else None
            data = self.event_data(inv.namelist, inv.params, None)
        except ExecutionError as exc:
            self.raise_error(exc, inv)
            return
        interp.invoke_ids[(state.id, inv.index)] = invokeid
        request = {"invokeid": invokeid, "type": inv_type, "src": src, "content": content, "data": data,
                   "autoforward": inv.autoforward}
        try:
            interp.host.start_invoke(interp, request, inv)
        except ExecutionError as exc:
            interp.invoke_ids.pop((state.id, inv.index), None)
            self.raise_error(exc, inv)


_MISSING = object()
# <data src> read once per document node, shared by the document's sessions.
_FETCHED: weakref.WeakKeyDictionary[m.Data, Any] = weakref.WeakKeyDictionary()


ExecutableContent.HANDLERS.update({
    m.Raise: ExecutableContent.exec_raise, m.Log: ExecutableContent.exec_log,
    m.Assign: ExecutableContent.exec_assign, m.Script: ExecutableContent.exec_script,
    m.If: ExecutableContent.exec_if, m.Foreach: ExecutableContent.exec_foreach,
    m.Send: ExecutableContent.exec_send, m.Cancel: ExecutableContent.exec_cancel,
    m.CustomAction: ExecutableContent.exec_custom, AssignRun: ExecutableContent.exec_assign_run,
})

"""The SCXML interpreter: the algorithm of W3C SCXML 1.0 Appendix D, with its names.

Read it beside the spec: `interpret` is split into `start` (up to the first wait for an external
event) and `process_external_event` (one turn of mainEventLoop), because sessions here do not own
a thread: the host hands them events. Everything the interpreter keeps between macrosteps is data
(see `snapshot`), so a session can be persisted and restored into a fresh process.

The outside world (event routing, timers, child sessions, logging) is reached only through
`self.host`, an object with the methods of `InterpreterHost`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from operator import attrgetter
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol

from . import model as m
from .budgets import Breach, Budgets, MacrostepMeter
from .datamodel import SessionInfo, create_datamodel
from .errors import ExecutionError
from .events import Event
from .executable import ExecutableContent
from .sources import SourcePolicy

if TYPE_CHECKING:
    from .session import Session


class InterpreterHost(Protocol):
    sources: SourcePolicy  # what <data src> may read (and <invoke src>, <send> targets)

    def send(self, interp: Interpreter, send: dict, node: m.Send) -> None: ...
    def cancel_send(self, interp: Interpreter, sendid: str) -> bool: ...
    def start_invoke(self, interp: Interpreter, request: dict, node: m.Invoke) -> None: ...
    def cancel_invoke(self, interp: Interpreter, invokeid: str) -> None: ...
    def forward_to_invoke(self, interp: Interpreter, invokeid: str, event: Event) -> None: ...
    def log(self, interp: Interpreter, label: str | None, value: Any, level: str | None = None) -> None: ...
    def done(self, interp: Interpreter, donedata: Any) -> None: ...
    def event_unhandled(self, interp: Interpreter, event: Event) -> None: ...
    def error_raised(self, interp: Interpreter, event: Event) -> None: ...
    # The listener registry's live lists, by hook name (listeners.py): the hooks of every microstep
    # (event_taken, transitions_taken, state_exited, state_entered) are called from here directly,
    # with the session first, so that a session nobody observes pays a loop over an empty list.
    def hook_calls(self) -> dict[str, list[Callable[..., None]]]: ...


# Document order of states (their `order`), as a sort key: attrgetter runs in C.
_entry_order = attrgetter("order")
_is_atomic = attrgetter("is_atomic")


def is_descendant(state: m.State, ancestor: m.State) -> bool:
    return ancestor in state.ancestors


class Interpreter:
    def __init__(self, document: m.Document, host: InterpreterHost, *, session_id: str | None = None,
                 ioprocessors: dict | None = None, datamodel_options: dict | None = None,
                 budgets: Budgets | None = None, session: Session):
        self.doc = document
        self.host = host
        self.session_id = session_id or uuid.uuid4().hex
        info = SessionInfo(self.session_id, document.name, ioprocessors or {}, document.url)
        self.budgets = budgets = budgets or Budgets()
        options = {"time_limit": budgets.eval_cpu, "memory_limit": budgets.memory, **(datamodel_options or {})}
        if document.dialect is not None:
            options.update(document.dialect.datamodel_options())
        self.datamodel = create_datamodel(document.datamodel_type, info, **options)
        # Budgets (budgets.py): the macrostep's CPU deadline, shared with the datamodel, and the
        # breaches of the running macrostep, which the host collects after it.
        # A macrostep may always hold one whole evaluation and an error handler after it.
        time_limit = options.get("time_limit", 0.0)
        self.meter = MacrostepMeter(max(budgets.macrostep_cpu, 1.5 * time_limit), slack=time_limit)
        self.datamodel.meter = self.meter
        self.breaches: list[Breach] = []
        self.exec = ExecutableContent(self)
        # --- the interpreter's state (all of it is data) ---
        self.configuration: set[m.State] = set()
        self.states_to_invoke: set[m.State] = set()
        self.history_value: dict[str, list[m.State]] = {}
        # Lists, not deques: queues are short, and an empty deque holds 0.6 KiB (per session).
        self.internal_queue: list[Event] = []
        self.running = False
        self.bound_states: set[str] = set()  # late binding: states whose data is initialised
        self.invoke_ids: dict[tuple[str, int], str] = {}  # (state id, invoke index) -> invokeid
        self.top_level_final: str | None = None
        self._in_sync = document.uses_in_predicate or document.dialect is not None
        self._uses_event = document.reads_event or document.dialect is not None
        self._atomic_cache: list[m.State] | None = None
        self._history_seen = False
        self.current_event: Event | None = None
        self.session: Session = session  # the Session that owns this interpreter
        self._hooks = host.hook_calls()
        # A dialect whose states scope their <data> (ORS): `entered(interp, state)` before a state's
        # data are initialised, on every entry; `exited(interp, state)` after its onexit.
        self.state_scopes = getattr(document.dialect, "state_scopes", None)
        if document.dialect is not None:
            document.dialect.setup_interpreter(self)

    # ------------------------------------------------------------------ interpret()
    def start(self, params: dict | None = None) -> None:
        """interpret(doc) up to the first wait on the external queue."""
        self.meter.start()
        try:
            self._start(params)
        finally:
            self.meter.stop()

    def _start(self, params: dict | None) -> None:
        self.running = True
        doc = self.doc
        params = params or {}
        if doc.binding == "early" and self.state_scopes is None:
            for state in doc.all_states:
                self._initialize_data(state, params)
        else:
            self._initialize_data(doc.root, params)
            top = {d.id for d in doc.root.datamodel}  # scoped: a state's data hide these, never unset them
            for state in doc.all_states[1:]:
                for data in state.datamodel:
                    if data.id not in top:
                        self._declare_unbound(data)
        for script in doc.scripts:
            self.exec.execute_block([script])
        assert doc.root.initial is not None  # the parser gives <scxml> its initial transition
        self.enter_states([doc.root.initial])
        self.main_event_loop()

    def _declare_unbound(self, data: m.Data) -> None:
        try:
            self.datamodel.declare_unbound(data.id)
        except ExecutionError as exc:
            self.exec.raise_error(exc, data)

    def _initialize_data(self, state: m.State, params: dict) -> None:
        self.bound_states.add(state.id)
        for data in state.datamodel:
            try:
                if data.id in params:
                    self.datamodel.declare(data.id, params[data.id])
                else:
                    self.exec.init_data(data)
            except ExecutionError as exc:
                self.exec.raise_error(exc, data)
                self._declare_unbound(data)

    # ------------------------------------------------------------------ mainEventLoop
    def main_event_loop(self) -> None:
        """Run macrosteps until the interpreter must wait for an external event (or stops)."""
        microsteps = 0
        while self.running:
            macrostep_done = False
            while self.running and not macrostep_done:
                enabled = self.select_eventless_transitions()
                if not enabled:
                    if not self.internal_queue:
                        macrostep_done = True
                    else:
                        internal_event = self.internal_queue.pop(0)
                        self._set_event(internal_event)
                        enabled = self.select_transitions(internal_event)
                        if not enabled:
                            self.host.event_unhandled(self, internal_event)
                if enabled:
                    microsteps += 1
                    if microsteps > self.budgets.microsteps or (
                            perf_counter() >= self.meter.watch and self.meter.over()):
                        self.stop_macrostep(microsteps)
                        return
                    self.microstep(enabled)
            if not self.running:
                break
            if self.doc.has_invokes:
                for state in sorted(self.states_to_invoke, key=_entry_order):
                    for inv in state.invokes:
                        self.invoke(inv)
            self.states_to_invoke.clear()
            if self.internal_queue:
                continue
            return  # wait for the next external event
        self.exit_interpreter()

    def process_external_event(self, external_event: Event) -> None:
        """The part of mainEventLoop after `externalQueue.dequeue()`."""
        if not self.running:
            return
        self.meter.start()
        try:
            # _set_event, inline (one call less per event)
            self.current_event = external_event
            if self._uses_event:
                self.datamodel.set_event(external_event)
            for call in self._hooks["event_taken"]:
                call(self.session, external_event)
            if self.doc.has_invokes and (external_event.invokeid is not None or self._has_autoforward()):
                for state in sorted(self.configuration, key=_entry_order):
                    for inv in state.invokes:
                        invokeid = self.invoke_ids.get((state.id, inv.index))
                        if invokeid is None:
                            continue
                        if invokeid == external_event.invokeid:
                            self.apply_finalize(inv, external_event)
                        if inv.autoforward:
                            self.host.forward_to_invoke(self, invokeid, external_event)
            enabled = self.select_transitions(external_event)
            if enabled:
                self.microstep(enabled)
            else:
                self.host.event_unhandled(self, external_event)
            # The rest of the macrostep, unless there is none (the common case: no eventless
            # transition, nothing raised, nothing to invoke, still running).
            if (self.internal_queue or self.states_to_invoke or self.doc.has_eventless
                    or not self.running):
                self.main_event_loop()
        finally:
            self.meter.stop()

    # ------------------------------------------------------------------ budgets (not in Appendix D)
    def note_breach(self, breach: Breach) -> None:
        self.breaches.append(breach)

    def stop_macrostep(self, microsteps: int) -> None:
        """A budget ran out: stop at this microstep boundary (the configuration is consistent) and
        drop what the internal queue still held, which is what kept the macrostep going."""
        if microsteps > self.budgets.microsteps:
            limit = self.budgets.microsteps
            self.note_breach(Breach("microsteps", limit, f"the macrostep took more than {limit} microsteps "
                                                         "(transitions that never wait for an event)"))
        else:
            ms = round(self.meter.budget * 1000)
            self.note_breach(Breach("cpu", self.meter.budget, f"the macrostep used up its CPU budget ({ms} ms)"))
        self.internal_queue.clear()

    def take_breaches(self) -> list[Breach]:
        breaches, self.breaches = self.breaches, []
        return breaches

    def cancel(self) -> None:
        """The invoking session cancelled us (isCancelEvent): leave without a done event."""
        if self.running:
            self.running = False
            self.exit_interpreter(cancelled=True)

    def _has_autoforward(self) -> bool:
        return any(inv.autoforward for state in self.configuration for inv in state.invokes)

    def _set_event(self, event: Event) -> None:
        self.current_event = event
        if self._uses_event:
            self.datamodel.set_event(event)
        for call in self._hooks["event_taken"]:
            call(self.session, event)

    def _atomic_states(self) -> list[m.State]:
        """The atomic states of the configuration in document order (cached between changes)."""
        cached = self._atomic_cache
        if cached is None:
            cached = self._atomic_cache = sorted(filter(_is_atomic, self.configuration), key=_entry_order)
        return cached

    def apply_finalize(self, inv: m.Invoke, event: Event) -> None:
        if inv.finalize:
            self.exec.execute_block(inv.finalize)

    # ------------------------------------------------------------------ exitInterpreter
    def exit_interpreter(self, cancelled: bool = False) -> None:
        states_to_exit = sorted(self.configuration, key=_entry_order, reverse=True)
        for state in states_to_exit:
            for block in state.onexit:
                self.exec.execute_block(block)
            for inv in state.invokes:
                self.cancel_invoke(state, inv)
            self.configuration.discard(state)
            for call in self._hooks["state_exited"]:
                call(self.session, state)
            if state.is_final and state.parent is self.doc.root:
                self.top_level_final = state.id
                if not cancelled:
                    self.host.done(self, self.exec.evaluate_donedata(state.donedata))
        self._config_changed()

    # ------------------------------------------------------------------ selection
    def select_eventless_transitions(self) -> list[m.Transition]:
        if not self.doc.has_eventless:
            return []
        return self.select_transitions(None)

    def select_transitions(self, event: Event | None) -> list[m.Transition]:
        """The loop both selections share (eventless when `event` is None): for each atomic
        state in document order, the first enabled candidate of the state or its nearest ancestor;
        then conflicts are removed."""
        event_name = None if event is None else event.name
        enabled: list[m.Transition] = []
        evaluate_cond = self.datamodel.evaluate_cond
        for state in self._atomic_cache or self._atomic_states():
            # The state's transitions, then its ancestors': the first enabled one is the state's.
            candidates = state._event_memo.get(event_name)  # State.candidates' memo, read here first
            if candidates is None:
                candidates = state.candidates(event_name)
            for t in candidates:
                if t.cond is not None:
                    try:
                        holds = evaluate_cond(t.cond)
                    except Exception as exc:  # a cond that fails is false, and raises its error
                        holds = self.exec.condition_failed(t, exc)
                    if not holds:
                        continue
                if t not in enabled:
                    enabled.append(t)
                break
        return self.remove_conflicting_transitions(enabled) if len(enabled) > 1 else enabled

    def remove_conflicting_transitions(self, enabled: list[m.Transition]) -> list[m.Transition]:
        filtered: list[m.Transition] = []
        exit_sets: dict[int, set[m.State]] = {}
        for t1 in enabled:
            t1_preempted = False
            to_remove = []
            exit1 = exit_sets.setdefault(id(t1), self.compute_exit_set([t1]))
            for t2 in filtered:
                exit2 = exit_sets.setdefault(id(t2), self.compute_exit_set([t2]))
                if exit1 & exit2:
                    if is_descendant(t1.source, t2.source):
                        to_remove.append(t2)
                    else:
                        t1_preempted = True
                        break
            if not t1_preempted:
                for t in to_remove:
                    filtered.remove(t)
                filtered.append(t1)
        return filtered

    # ------------------------------------------------------------------ microstep
    def microstep(self, enabled: list[m.Transition]) -> None:
        for call in self._hooks["transitions_taken"]:
            call(self.session, enabled)
        self.exit_states(enabled)
        self.execute_transition_content(enabled)
        self.enter_states(enabled)

    def execute_transition_content(self, enabled: list[m.Transition]) -> None:
        for t in enabled:
            if t.body:
                self.exec.execute_block(t.body)

    def exit_states(self, enabled: list[m.Transition]) -> None:
        scope = enabled[0].exit_scope if len(enabled) == 1 else None  # compute_exit_set's shortcut
        states_to_exit = self.configuration & scope if scope is not None else self.compute_exit_set(enabled)
        if not states_to_exit:
            return
        if self.states_to_invoke:
            self.states_to_invoke -= states_to_exit
        ordered = sorted(states_to_exit, key=_entry_order, reverse=True) if len(states_to_exit) > 1 \
            else list(states_to_exit)
        configuration = self.configuration
        if self.doc.has_history:
            for s in ordered:
                for h in s.history_states:
                    if h.history_type == "deep":
                        value = [s0 for s0 in configuration if s0.is_atomic and is_descendant(s0, s)]
                    else:
                        value = [s0 for s0 in configuration if s0.parent is s]
                    self.history_value[h.id] = sorted(value, key=_entry_order)
        # The atomic states of the configuration, kept up to date as states leave and enter
        # (re-sorting them after every microstep costs more than the rest of a simple one).
        atomic = self._atomic_cache
        # The datamodel learns the configuration (In()) before any content runs, not after every
        # state: a state's onexit sees the states exited before it gone.
        unsynced = False
        exited_hooks = self._hooks["state_exited"]
        for s in ordered:
            if s.has_exit_work:
                if unsynced:
                    self._push_configuration()
                    unsynced = False
                for block in s.onexit:
                    self.exec.execute_block(block)
                if self.state_scopes is not None and s.datamodel and s is not self.doc.root:
                    self.state_scopes.exited(self, s)
                for inv in s.invokes:
                    self.cancel_invoke(s, inv)
            configuration.discard(s)
            if s.is_atomic and atomic is not None:
                atomic.remove(s)
            unsynced = self._in_sync
            for call in exited_hooks:
                call(self.session, s)
        if unsynced:
            self._push_configuration()

    def compute_exit_set(self, transitions: list[m.Transition]) -> set[m.State]:
        """The active states that are descendants of each transition's domain (taken as the
        configuration's intersection with the domain's descendants, an operation in C)."""
        states_to_exit: set[m.State] = set()
        for t in transitions:
            if t.targets:
                domain = t.cached_domain  # get_transition_domain's cache, read here first
                if domain is None:
                    domain = self.get_transition_domain(t)
                    if domain is None:
                        continue
                below = domain.descendant_set
                if below is None:
                    below = domain.descendant_set = frozenset(
                        s for s in self.doc.all_states if domain in s.ancestors)
                if t.domain_is_static:
                    t.exit_scope = below
                if len(transitions) == 1:
                    return self.configuration & below
                states_to_exit |= self.configuration & below
        return states_to_exit

    def enter_states(self, enabled: list[m.Transition]) -> None:
        plan = enabled[0].cached_entry if len(enabled) == 1 else None  # see _entry_plan
        ordered, states_for_default_entry, default_history_content = plan or self._entry_plan(enabled)
        doc = self.doc
        has_invokes = doc.has_invokes
        configuration = self.configuration
        atomic = self._atomic_cache  # kept up to date, as in exit_states
        kept = len(atomic) if atomic is not None else 0
        in_sync = self._in_sync
        unsynced = False  # the datamodel learns the configuration before content runs (exit_states)
        entered_hooks = self._hooks["state_entered"]
        for s in ordered:
            configuration.add(s)
            if s.is_atomic and atomic is not None:
                atomic.append(s)
            if has_invokes:
                self.states_to_invoke.add(s)
            if not s.has_entry_work:  # the common case: nothing to initialise or run
                unsynced = in_sync
                for call in entered_hooks:
                    call(self.session, s)
                if default_history_content and s.id in default_history_content:
                    if unsynced:
                        self._push_configuration()
                        unsynced = False
                    self.exec.execute_block(default_history_content[s.id])
                continue
            if in_sync:
                self._push_configuration()
                unsynced = False
            if self.state_scopes is not None and s.datamodel and s is not doc.root:
                self.state_scopes.entered(self, s)
                self._initialize_data(s, {})
            elif doc.binding == "late" and s.id not in self.bound_states:
                self._initialize_data(s, {})
            for call in entered_hooks:
                call(self.session, s)
            for block in s.onentry:
                self.exec.execute_block(block)
            if s in states_for_default_entry and s.initial is not None and s.initial.body:
                self.exec.execute_block(s.initial.body)
            content = default_history_content.get(s.id)
            if content:
                self.exec.execute_block(content)
            if s.is_final:
                parent = s.parent
                if parent is self.doc.root:
                    self.running = False
                else:
                    grandparent = parent.parent
                    self.internal_queue.append(
                        Event("done.state." + parent.id, "internal", self.exec.evaluate_donedata(s.donedata)))
                    if grandparent is not None and grandparent.is_parallel:
                        if all(self.is_in_final_state(c) for c in grandparent.children if not c.is_history):
                            self.internal_queue.append(Event("done.state." + grandparent.id, "internal"))
        if unsynced:
            self._push_configuration()
        if kept and atomic is not None and len(atomic) > kept:
            atomic.sort(key=_entry_order)  # atomic states of other regions stayed: document order again

    def _entry_plan(self, enabled: list[m.Transition]):
        """computeEntrySet, sorted in entry order. For a single transition that involves no history
        state the result never changes, so it is computed once and kept on the transition."""
        t = enabled[0] if len(enabled) == 1 else None
        if t is not None and t.cached_entry is not None:
            return t.cached_entry
        states_to_enter: set[m.State] = set()
        states_for_default_entry: set[m.State] = set()
        default_history_content: dict[str, list[m.Executable]] = {}
        self._history_seen = False
        self.compute_entry_set(enabled, states_to_enter, states_for_default_entry, default_history_content)
        plan = (sorted(states_to_enter, key=_entry_order), states_for_default_entry, default_history_content)
        if t is not None and t.domain_is_static and not self._history_seen and t.targets:
            t.cached_entry = plan
        return plan

    def compute_entry_set(self, transitions: list[m.Transition], states_to_enter: set[m.State],
                          states_for_default_entry: set[m.State],
                          default_history_content: dict[str, list[m.Executable]]) -> None:
        for t in transitions:
            for s in t.targets:
                self.add_descendant_states_to_enter(s, states_to_enter, states_for_default_entry,
                                                    default_history_content)
            ancestor = self.get_transition_domain(t)
            for s in self.get_effective_target_states(t):
                self.add_ancestor_states_to_enter(s, ancestor, states_to_enter, states_for_default_entry,
                                                  default_history_content)

    def add_descendant_states_to_enter(self, state: m.State, states_to_enter: set[m.State],
                                       states_for_default_entry: set[m.State],
                                       default_history_content: dict[str, list[m.Executable]]) -> None:
        if state.is_history:
            self._history_seen = True
            stored = self.history_value.get(state.id)
            if stored:
                for s in stored:
                    self.add_descendant_states_to_enter(s, states_to_enter, states_for_default_entry,
                                                        default_history_content)
                for s in stored:
                    self.add_ancestor_states_to_enter(s, state.parent, states_to_enter, states_for_default_entry,
                                                      default_history_content)
            else:
                # the parser gives a history state a parent and a default transition
                assert state.parent is not None and state.initial is not None
                default_history_content[state.parent.id] = state.initial.body
                for s in state.initial.targets:
                    self.add_descendant_states_to_enter(s, states_to_enter, states_for_default_entry,
                                                        default_history_content)
                for s in state.initial.targets:
                    self.add_ancestor_states_to_enter(s, state.parent, states_to_enter, states_for_default_entry,
                                                      default_history_content)
            return
        states_to_enter.add(state)
        if state.is_compound:
            states_for_default_entry.add(state)
            assert state.initial is not None  # a compound state's (explicit or default) initial
            for s in state.initial.targets:
                self.add_descendant_states_to_enter(s, states_to_enter, states_for_default_entry,
                                                    default_history_content)
            for s in state.initial.targets:
                self.add_ancestor_states_to_enter(s, state, states_to_enter, states_for_default_entry,
                                                  default_history_content)
        elif state.is_parallel:
            for child in state.children:
                if child.is_history:
                    continue
                if not any(is_descendant(s, child) or s is child for s in states_to_enter):
                    self.add_descendant_states_to_enter(child, states_to_enter, states_for_default_entry,
                                                        default_history_content)

    def add_ancestor_states_to_enter(self, state: m.State, ancestor: m.State | None, states_to_enter: set[m.State],
                                     states_for_default_entry: set[m.State],
                                     default_history_content: dict[str, list[m.Executable]]) -> None:
        for anc in self.get_proper_ancestors(state, ancestor):
            states_to_enter.add(anc)
            if anc.is_parallel:
                for child in anc.children:
                    if child.is_history:
                        continue
                    if not any(is_descendant(s, child) or s is child for s in states_to_enter):
                        self.add_descendant_states_to_enter(child, states_to_enter, states_for_default_entry,
                                                            default_history_content)

    def is_in_final_state(self, s: m.State) -> bool:
        if s.is_compound:
            return any(c.is_final and c in self.configuration for c in s.children)
        if s.is_parallel:
            return all(self.is_in_final_state(c) for c in s.children if not c.is_history)
        return False

    def get_transition_domain(self, t: m.Transition) -> m.State | None:
        if t.domain_is_static:
            domain = t.cached_domain
            if domain is None and t.targets:
                domain = t.cached_domain = self._compute_transition_domain(t)
            return domain
        return self._compute_transition_domain(t)

    def _compute_transition_domain(self, t: m.Transition) -> m.State | None:
        tstates = self.get_effective_target_states(t)
        if not tstates:
            return None
        source = t.source
        if source is self.doc.root:
            return source  # the document's initial transition
        if t.type == "internal" and source.is_compound and all(is_descendant(s, source) for s in tstates):
            return source
        return self.find_lcca([source, *tstates])

    def find_lcca(self, states: list[m.State]) -> m.State:
        first, rest = states[0], states[1:]
        for anc in first.ancestors:
            if anc.is_compound or anc.kind is m.StateKind.SCXML:
                if all(is_descendant(s, anc) for s in rest):
                    return anc
        return self.doc.root

    def get_effective_target_states(self, t: m.Transition) -> list[m.State]:
        targets: list[m.State] = []
        for s in t.targets:
            if s.is_history:
                stored = self.history_value.get(s.id)
                assert s.initial is not None  # a history state's default transition
                found = stored if stored else self.get_effective_target_states(s.initial)
                for x in found:
                    if x not in targets:
                        targets.append(x)
            elif s not in targets:
                targets.append(s)
        return targets

    @staticmethod
    def get_proper_ancestors(state: m.State, ancestor: m.State | None) -> list[m.State]:
        out = []
        for anc in state.ancestors:
            if anc is ancestor:
                break
            out.append(anc)
        return out

    # ------------------------------------------------------------------ invoke
    def invoke(self, inv: m.Invoke) -> None:
        self.exec.start_invoke(inv)

    def cancel_invoke(self, state: m.State, inv: m.Invoke) -> None:
        invokeid = self.invoke_ids.pop((state.id, inv.index), None)
        if invokeid is not None:
            self.host.cancel_invoke(self, invokeid)

    def active_invoke_ids(self) -> list[str]:
        return list(self.invoke_ids.values())

    # ------------------------------------------------------------------ helpers
    def _config_changed(self) -> None:
        self._atomic_cache = None
        if self._in_sync:
            self._push_configuration()

    def _push_configuration(self) -> None:
        """Tell the datamodel the active states (for In(), and the ORS layer's view)."""
        self.datamodel.set_configuration([s.id for s in sorted(self.configuration, key=_entry_order)])

    @property
    def active_state_ids(self) -> list[str]:
        return [s.id for s in sorted(self.configuration, key=_entry_order) if s.kind is not m.StateKind.SCXML]

    def enqueue_internal(self, event: Event) -> None:
        self.internal_queue.append(event)

    # ------------------------------------------------------------------ persistence
    def snapshot(self, embed_json: bool = False) -> dict:
        """The interpreter's state between macrosteps, as JSON-ready data. With `embed_json`, the
        datamodel's part may be its JSON text (`Datamodel.snapshot_embedded`), for orjson only.

        Empty parts are written without a comprehension: most sessions have no history, internal
        event, invoke or pending invocation between macrosteps, and this runs after each one."""
        configuration = self.configuration
        return {
            "session_id": self.session_id,
            "running": self.running,
            "configuration": [s.id for s in sorted(configuration, key=_entry_order)] if len(configuration) > 1
            else [s.id for s in configuration],
            "states_to_invoke": [s.id for s in sorted(self.states_to_invoke, key=_entry_order)]
            if self.states_to_invoke else [],
            "history_value": {k: [s.id for s in v] for k, v in self.history_value.items()}
            if self.history_value else {},
            "internal_queue": [e.to_dict() for e in self.internal_queue] if self.internal_queue else [],
            "bound_states": sorted(self.bound_states),
            "invoke_ids": [[sid, idx, iid] for (sid, idx), iid in self.invoke_ids.items()]
            if self.invoke_ids else [],
            "top_level_final": self.top_level_final,
            "datamodel": self.datamodel.snapshot_embedded() if embed_json else self.datamodel.snapshot(),
        }

    def restore(self, snap: dict) -> None:
        """Load a snapshot into a fresh interpreter of the same document (instead of start())."""
        by_id = self.doc.states_by_id
        root = self.doc.root

        def state(sid: str) -> m.State:
            return root if sid == root.id else by_id[sid]

        # Functions defined by top-level scripts are not data: re-run the scripts, then overwrite
        # every variable with its saved value.
        for script in self.doc.scripts:
            self.exec.execute_block([script])
        self.datamodel.restore(snap["datamodel"])
        self.running = snap["running"]
        self.configuration = {state(s) for s in snap["configuration"]}
        self.states_to_invoke = {state(s) for s in snap["states_to_invoke"]}
        self.history_value = {k: [state(s) for s in v] for k, v in snap["history_value"].items()}
        self.internal_queue = [Event.from_dict(e) for e in snap["internal_queue"]]
        self.bound_states = set(snap["bound_states"])
        self.invoke_ids = {(sid, idx): iid for sid, idx, iid in snap["invoke_ids"]}
        self.top_level_final = snap["top_level_final"]
        self._config_changed()

"""The compiled document model: what the parser produces and the interpreter walks.

Everything here is immutable after loading and shared by every session of a document, so a
session's own state stays small (configuration, queues, datamodel) and serialisable.
States carry precomputed structure (document order, ancestors, depth) because the interpreter
asks for it on every microstep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class StateKind(Enum):
    SCXML = "scxml"
    STATE = "state"
    PARALLEL = "parallel"
    FINAL = "final"
    HISTORY = "history"


@dataclass(eq=False)
class Node:
    """Any element the model keeps; `url` and `line` are for error messages."""

    tag: str
    line: int | None
    url: str | None


# --- executable content -------------------------------------------------------------------


@dataclass(eq=False)
class Executable(Node):
    pass


@dataclass(eq=False)
class Param(Node):
    name: str = ""
    expr: str | None = None
    location: str | None = None


@dataclass(eq=False)
class Content(Node):
    expr: str | None = None
    # Inline content: already decoded value (str / parsed JSON / XmlValue) or None.
    value: Any = None
    has_value: bool = False


@dataclass(eq=False)
class Raise(Executable):
    event: str = ""


@dataclass(eq=False)
class Log(Executable):
    label: str | None = None
    expr: str | None = None
    level: str | None = None  # dialects only (ORS: 1 reporting, 2 error, 3 warning, 4 debug)


@dataclass(eq=False)
class Assign(Executable):
    location: str = ""
    expr: str | None = None
    content: Content | None = None


@dataclass(eq=False)
class Script(Executable):
    source: str = ""


@dataclass(eq=False)
class IfBranch:
    cond: str | None  # None for <else>
    body: list[Executable]


@dataclass(eq=False)
class If(Executable):
    branches: list[IfBranch] = field(default_factory=list)


@dataclass(eq=False)
class Foreach(Executable):
    array: str = ""
    item: str = ""
    index: str | None = None
    body: list[Executable] = field(default_factory=list)


@dataclass(eq=False)
class Send(Executable):
    event: str | None = None
    eventexpr: str | None = None
    target: str | None = None
    targetexpr: str | None = None
    type: str | None = None
    typeexpr: str | None = None
    id: str | None = None
    idlocation: str | None = None
    delay: str | None = None
    delayexpr: str | None = None
    namelist: list[str] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    content: Content | None = None


@dataclass(eq=False)
class Cancel(Executable):
    sendid: str | None = None
    sendidexpr: str | None = None


@dataclass(eq=False)
class CustomAction(Executable):
    """An element of another namespace; `handler` is supplied by an extension module."""

    namespace: str = ""
    name: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    element: Any = None  # the lxml element, for handlers that read children
    handler: Any = None


# --- structure -------------------------------------------------------------------------------


@dataclass(eq=False)
class Data(Node):
    id: str = ""
    expr: str | None = None
    src: str | None = None
    content: Content | None = None


@dataclass(eq=False)
class DoneData(Node):
    params: list[Param] = field(default_factory=list)
    content: Content | None = None


@dataclass(eq=False)
class Invoke(Node):
    type: str | None = None
    typeexpr: str | None = None
    src: str | None = None
    srcexpr: str | None = None
    id: str | None = None
    idlocation: str | None = None
    namelist: list[str] = field(default_factory=list)
    autoforward: bool = False
    params: list[Param] = field(default_factory=list)
    content: Content | None = None
    finalize: list[Executable] = field(default_factory=list)
    state: State = None  # type: ignore[assignment]  # the parser sets it for every <invoke>
    index: int = 0  # position among the state's invokes, for generated ids


@dataclass(eq=False)
class Transition(Node):
    source: State = None  # type: ignore[assignment]  # the parser sets it for every transition
    targets: list[State] = field(default_factory=list)
    target_ids: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # normalised descriptors, "*" kept
    cond: str | None = None
    type: str = "external"
    body: list[Executable] = field(default_factory=list)
    order: int = 0  # global document order, for conflict resolution and sorting
    # The transition domain never changes unless a target is a history state: computed once.
    cached_domain: Any = None
    domain_is_static: bool = False
    # (states to enter in entry order, default-entry states, history content) when that never
    # changes: a lone transition whose entry involves no history state. Shared by sessions.
    cached_entry: Any = None
    # The domain's descendants when the domain never changes: the exit set is the configuration's
    # intersection with them (compute_exit_set sets it).
    exit_scope: Any = None

    def matches(self, name: str) -> bool:
        for descriptor in self.events:
            if descriptor == "*" or name == descriptor or name.startswith(descriptor + "."):
                return True
        return False

    def __repr__(self) -> str:
        src = self.source.id if self.source else "?"
        return f"<Transition {src} -> {' '.join(self.target_ids)} on {' '.join(self.events)}>"


@dataclass(eq=False)
class State(Node):
    id: str = ""
    kind: StateKind = StateKind.STATE
    parent: State | None = None
    children: list[State] = field(default_factory=list)  # child states incl. history, doc order
    transitions: list[Transition] = field(default_factory=list)
    initial: Transition | None = None  # compound states and <scxml>
    onentry: list[list[Executable]] = field(default_factory=list)
    onexit: list[list[Executable]] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)
    datamodel: list[Data] = field(default_factory=list)
    donedata: DoneData | None = None
    history_type: str = "shallow"  # for history pseudo-states
    order: int = 0  # document order
    depth: int = 0
    ancestors: tuple[State, ...] = ()  # proper ancestors, parent first, root last
    self_and_ancestors: tuple[State, ...] = ()  # the state, then `ancestors` (set by finish())
    # Memo of `candidates`: event name (None: eventless) -> the transitions selection tries.
    _event_memo: dict[str | None, tuple[Transition, ...]] = field(default_factory=dict, repr=False)

    # Kind predicates are plain attributes (set by finish()) for speed on the hot path.
    is_atomic: bool = False
    is_compound: bool = False
    is_parallel: bool = False
    is_final: bool = False
    is_history: bool = False
    history_states: tuple = ()  # the <history> children, recorded on every exit
    eventless: tuple = ()  # transitions without `event`, document order
    # Entering or exiting it runs something beyond the configuration's bookkeeping (set by finish()).
    has_entry_work: bool = True
    has_exit_work: bool = True
    # All states below this one, made on first use (as a transition domain): the exit set of a
    # transition is then the configuration's intersection with its domain's (see compute_exit_set).
    descendant_set: frozenset | None = field(default=None, repr=False)

    def finish(self) -> None:
        self.self_and_ancestors = (self, *self.ancestors)
        self.is_parallel = self.kind is StateKind.PARALLEL
        self.is_final = self.kind is StateKind.FINAL
        self.is_history = self.kind is StateKind.HISTORY
        self.history_states = tuple(c for c in self.children if c.kind is StateKind.HISTORY)
        self.eventless = tuple(t for t in self.transitions if not t.events)
        proper = [c for c in self.children if c.kind is not StateKind.HISTORY] if self.children else []
        self.is_atomic = self.kind in (StateKind.STATE, StateKind.FINAL) and not any(
            c.kind is not StateKind.HISTORY for c in self.children
        )
        self.is_compound = self.kind in (StateKind.STATE, StateKind.SCXML) and bool(proper)
        self.has_entry_work = bool(self.onentry or self.is_final or self.datamodel
                                   or (self.initial is not None and self.initial.body))
        self.has_exit_work = bool(self.onexit or self.invokes or self.datamodel)

    @property
    def child_states(self) -> list[State]:
        return [c for c in self.children if not c.is_history]

    def transitions_for(self, name: str | None) -> tuple[Transition, ...]:
        """This state's own transitions that event `name` matches (None: its eventless ones)."""
        if name is None:
            return self.eventless
        return tuple(t for t in self.transitions if t.events and t.matches(name))

    def candidates(self, name: str | None) -> tuple[Transition, ...]:
        """What transition selection tries for this atomic state, in order: the transitions of the
        state that `name` matches (None: eventless ones), then its parent's, up to the root. The
        first whose condition holds is the state's enabled transition (W3C selectTransitions: the
        first one of the state, else of its nearest ancestor that has one)."""
        found = self._event_memo.get(name)
        if found is None:
            found = tuple(t for s in self.self_and_ancestors for t in s.transitions_for(name))
            if len(self._event_memo) < 4096:  # event names come from outside: bounded
                self._event_memo[name] = found
        return found

    def __repr__(self) -> str:
        return f"<{self.kind.value} {self.id}>"


@dataclass(eq=False)
class Document:
    """A loaded, validated SCXML document: shared, read-only, reusable by many sessions."""

    root: State
    url: str | None
    name: str | None
    datamodel_type: str  # "ecmascript" or "null"
    binding: str  # "early" or "late"
    states_by_id: dict[str, State]
    all_states: list[State]  # document order
    scripts: list[Script]  # top-level <script> children of <scxml>
    uses_in_predicate: bool = False
    # Shortcuts for the interpreter's hot path, set by the parser.
    has_eventless: bool = True
    has_invokes: bool = True
    has_autoforward: bool = True
    has_history: bool = True  # a state has a <history> child (its value is recorded on exit)
    reads_event: bool = True  # the document mentions `_event`: sessions must hand events to JS
    attributes: dict[str, str] = field(default_factory=dict)  # extra root attributes (dialects)
    namespaces: dict[str | None, str] = field(default_factory=dict)
    dialect: Any = None  # set by an extension (the ORS dialect) when it applies
    extensions: Any = None  # what it was loaded with; documents it invokes load with the same
    source_text: str | None = None
    source_sha256: str | None = None  # of the bytes it was compiled from (a server's document cache sets it)
    # How executable content runs each block (executable.py: assignments in a row fused), made on first use
    plans: dict[int, list] = field(default_factory=dict, repr=False, compare=False)

    def state(self, state_id: str) -> State:
        return self.states_by_id[state_id]

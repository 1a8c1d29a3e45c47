"""The contract between the interpreter and a datamodel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ExecutionError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openors.scxml.events import Event

    from ..budgets import MacrostepMeter


@dataclass
class SessionInfo:
    """The system variables a datamodel exposes (`_sessionid`, `_name`, `_ioprocessors`)."""

    session_id: str
    name: str | None
    ioprocessors: dict[str, dict[str, Any]] = field(default_factory=dict)
    document_url: str | None = None


class Datamodel:
    """Evaluates expressions and holds variables. Every failure is raised as ExecutionError."""

    meter: MacrostepMeter | None = None  # the running macrostep's CPU deadline, set by the interpreter
    # Where the records user code queues go (the `outbox` option names the JS function that drains
    # them), set by the dialect that asked for it in `setup_interpreter`.
    on_outbox: Callable[[list[dict]], None] | None = None

    def __init__(self, info: SessionInfo):
        self.info = info

    # values and conditions
    def evaluate(self, expr: str) -> Any:
        raise ExecutionError(f"expressions are not supported by this datamodel: {expr!r}")

    def evaluate_cond(self, expr: str) -> bool:
        raise ExecutionError(f"conditions are not supported by this datamodel: {expr!r}")

    # variables
    def declare(self, name: str, value: Any) -> None:
        pass

    def declare_unbound(self, name: str) -> None:
        """Create the variable with no value (undefined): late binding, failed initialisation."""

    def declare_expr(self, name: str, expr: str) -> None:
        raise ExecutionError(f"expressions are not supported by this datamodel: {expr!r}")

    def assign(self, location: str, expr: str) -> None:
        raise ExecutionError("<assign> is not supported by this datamodel")

    def assign_value(self, location: str, value: Any) -> None:
        raise ExecutionError("<assign> is not supported by this datamodel")

    fuses_assigns = False  # whether assign_run can run a row of assignments in one call

    def assign_run(self, pairs: tuple[tuple[str, str], ...]) -> bool:
        """Several `<assign location expr>` in a row at once; False when they must run one by one."""
        return False

    def has_location(self, location: str) -> bool:
        return False

    def execute_script(self, source: str, url: str | None = None, line: int | None = None) -> None:
        raise ExecutionError("<script> is not supported by this datamodel")

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        raise ExecutionError("<foreach> is not supported by this datamodel")

    # interpreter state visible to expressions
    def set_event(self, event: Event) -> None:
        pass

    def set_configuration(self, state_ids: Iterable[str]) -> None:
        pass

    # lifecycle and persistence
    def snapshot(self) -> dict:
        return {}

    def snapshot_embedded(self) -> Any:
        """The snapshot for a caller that encodes it with orjson at once (a store's writer): a
        datamodel that has its JSON text already gives it as an `orjson.Fragment`, spared a parse
        and a second encoding; the others give `snapshot()`."""
        return self.snapshot()

    def visible_json(self) -> str:
        """The variables as operators see them, as JSON text (what a flow log records)."""
        return "{}"

    def restore(self, data: dict) -> None:
        pass

    def close(self) -> None:
        pass

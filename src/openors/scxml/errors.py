"""Errors the engine reports to its users."""

from __future__ import annotations

from typing import Any


class ScxmlLoadError(Exception):
    """A document that cannot be run: names the document, the line and the reason."""

    def __init__(self, reason: str, url: str | None = None, line: int | None = None):
        self.reason = reason
        self.url = url
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.url or "<string>"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.reason}"


class ExecutionError(Exception):
    """Raised inside executable content; the interpreter turns it into `error.execution`."""

    def __init__(self, message: str, node: Any = None, event_name: str = "error.execution"):
        self.node = node
        self.event_name = event_name
        self.sendid: str | None = None  # the <send> that failed, when one did
        super().__init__(message)


class CommunicationError(ExecutionError):
    """A send that could not be delivered: becomes `error.communication`."""

    def __init__(self, message: str, node=None):
        super().__init__(message, node, "error.communication")


class BudgetError(ExecutionError):
    """An evaluation stopped by a budget (CPU, memory): an execution error whose breach the host
    also counts against the session (see budgets.py)."""

    def __init__(self, breach, message: str, node=None):
        self.breach = breach
        super().__init__(message, node)

"""Extension points: how layers above the engine (the ORS dialect, its modules) plug in.

The engine itself knows nothing of contact centers. A layer registers:
* custom action elements by (namespace URI, local name): parsed into `CustomAction` nodes and
  executed by the handler's `execute(ctx, node)`;
* document preprocessors, run on the lxml tree before the SCXML parser reads it (XInclude);
* datamodel set-up code run when a session's datamodel is created (globals such as `_genesys`);
* event I/O processors, by type URI (see `openors.scxml.ioprocessors`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class ActionHandler(Protocol):
    def execute(self, ctx: Any, node: Any) -> None: ...


@dataclass
class Extensions:
    actions: dict[tuple[str, str], ActionHandler] = field(default_factory=dict)
    # Namespaces whose unknown elements are accepted and reported at run time (a module that is
    # not available): namespace URI -> module name.
    known_namespaces: dict[str, str] = field(default_factory=dict)
    # Called with (root element, document URL, SourcePolicy); may return a new root.
    preprocessors: list[Callable[[Any, str | None, Any], Any]] = field(default_factory=list)
    # Called with (document, root element) after parsing, to attach a dialect.
    document_hooks: list[Callable[[Any, Any], None]] = field(default_factory=list)
    # Attribute names without namespace allowed on any SCXML element (dialect attributes).
    extra_attributes: set[str] = field(default_factory=set)

    def register_action(self, namespace: str, name: str, handler: ActionHandler) -> None:
        self.actions[(namespace, name)] = handler

    def find_action(self, namespace: str, name: str) -> ActionHandler | None:
        return self.actions.get((namespace, name))


DEFAULT_EXTENSIONS = Extensions()

"""The objects a host's extensions need at run time, provided once and looked up by type.

A layer above the engine (the ORS world) provides its context here when it is built; the action
elements it compiled into documents ask for it when they run. Nothing is patched onto the host.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class Services:
    def __init__(self) -> None:
        self._by_type: dict[type, object] = {}

    def provide(self, kind: type[T], service: T) -> None:
        if kind in self._by_type and self._by_type[kind] is not service:
            raise ValueError(f"this host already has a {kind.__name__}")
        self._by_type[kind] = service

    def withdraw(self, kind: type) -> None:
        self._by_type.pop(kind, None)

    def get(self, kind: type[T]) -> T | None:
        service = self._by_type.get(kind)
        return service  # type: ignore[return-value]

"""The null datamodel: no variables; the only condition is In('stateid')."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import ExecutionError
from .base import Datamodel

if TYPE_CHECKING:
    from collections.abc import Iterable

_IN = re.compile(r"""^\s*In\(\s*(['"])([^'"]+)\1\s*\)\s*$""")


class NullDatamodel(Datamodel):
    def __init__(self, info):
        super().__init__(info)
        self._active: set[str] = set()

    def set_configuration(self, state_ids: Iterable[str]) -> None:
        self._active = set(state_ids)

    def evaluate_cond(self, expr: str) -> bool:
        match = _IN.match(expr)
        if not match:
            raise ExecutionError(f"the null datamodel only supports In('id') conditions, not {expr!r}")
        return match.group(2) in self._active

"""The module actions this server runs, by (module, action name)."""

from __future__ import annotations

from .actions import ModuleAction


def default_modules() -> dict[tuple[str, str], ModuleAction]:
    from .interaction.actions import interaction_actions

    modules: dict[tuple[str, str], ModuleAction] = {}
    modules.update(interaction_actions())
    return modules

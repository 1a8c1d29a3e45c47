"""The module actions this server runs, by (module, action name)."""

from __future__ import annotations

from .actions import ModuleAction


def default_modules() -> dict[tuple[str, str], ModuleAction]:
    from .classification import classification_actions
    from .dialog import dialog_actions
    from .interaction.actions import interaction_actions
    from .queue.actions import queue_actions
    from .session import session_actions
    from .statistic.actions import statistic_actions

    modules: dict[tuple[str, str], ModuleAction] = {}
    modules.update(interaction_actions())
    modules.update(dialog_actions())
    modules.update(session_actions())
    modules.update(queue_actions())
    modules.update(statistic_actions())
    modules.update(classification_actions())
    return modules


"""The classification module (`www.genesyslab.com/modules/classification`): what a text
interaction is about.

`rules.py`: categories and screening rules, read from configuration lists, and the deterministic
classifier built on keyword and regular-expression rules; `actions.py`: `<classification:classify>`
and `<classification:screen>`.
"""

from __future__ import annotations

from ..actions import ModuleAction

MODULE = "classification"


def classification_actions() -> dict[tuple[str, str], ModuleAction]:
    from .actions import Classify, Screen

    return {(MODULE, cls.name): cls() for cls in (Classify, Screen)}

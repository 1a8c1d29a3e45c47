"""The session module (`www.genesyslab.com/modules/session`): `<session:fetch>` (fetch.py),
`<session:start>` / `<session:updatestart>` / `<session:terminate>` (actions.py, schedule.py: starts
waiting for their `idealtime`) and the data behind `_genesys.session`
(config.py: the `config_lists` file; setup.py: how it and the time reach each session's JS,
js/session.js).
"""

from __future__ import annotations

from ..actions import ModuleAction

MODULE = "session"


def session_actions() -> dict[tuple[str, str], ModuleAction]:
    from .actions import Response, Start, Terminate, UpdateStart
    from .fetch import Fetch

    return {(MODULE, cls.name): cls() for cls in (Fetch, Start, UpdateStart, Terminate, Response)}

"""How the session module reaches each ORS session's JS (`_genesys.session`).

* The configuration (config.py) goes into every document's prelude, so `_genesys.session` is
  complete from a session's first line.
* The time: before each event a session takes, the session's clock and the zone offsets are
  pushed when they changed (virtual clocks: `epoch + clock.now()`; real clocks: JS `Date.now()`
  and only the offsets, once per quarter hour).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from .config import SessionConfig, load_session_config

if TYPE_CHECKING:
    from openors.scxml import Session
    from openors.scxml import model as m

    from ..world import OrsWorld


class SessionModule:
    def __init__(self, world: OrsWorld, config_lists=None):
        self.world = world
        self.config: SessionConfig = load_session_config(config_lists)
        clock = world.host.clock
        if self.config.epoch is None:
            self.config.epoch = time.time() - clock.now() if clock.virtual else 0.0
        self._pushed: dict[str, tuple] = {}  # session id -> (now pushed, offsets bucket)
        self._prelude = f"__ors_setSessionConfig({json.dumps(self.config.js_data(), default=str)});"
        world.host.listeners.on("event_taken", lambda session, event: self.push_clock(session))
        world.host.listeners.on("session_ended", lambda session: self._pushed.pop(session.id, None))

    def now(self) -> float:
        """Seconds since 1970 as the sessions see them."""
        clock = self.world.host.clock
        return self.config.epoch + clock.now() if clock.virtual else time.time()

    def prepare_document(self, document: m.Document) -> None:
        scripts = getattr(getattr(document, "dialect", None), "extra_scripts", None)
        if scripts is not None and self._prelude not in scripts:
            scripts.append(self._prelude)
            scripts.append(self._clock_script())

    def _clock_script(self) -> str:
        now = self.now()
        ms = round(now * 1000) if self.world.host.clock.virtual else None
        return f"__ors_setClock({json.dumps(ms)}, {json.dumps(self.config.offsets(now))});"

    def session_restored(self, session_id: str) -> None:
        """A restored session's JS has the document's clock again: push before its next event."""
        self._pushed.pop(session_id, None)

    def push_clock(self, session: Session) -> None:
        dm = session.interpreter.datamodel
        if not hasattr(dm, "call_function") or session.interpreter.doc.dialect is None:
            return
        virtual = self.world.host.clock.virtual
        now = self.now()
        bucket = int(now // 900)
        pushed_now, pushed_bucket = self._pushed.get(session.id, (None, None))
        ms = round(now * 1000) if virtual else None
        if ms == pushed_now and bucket == pushed_bucket:
            return
        offsets = json.dumps(self.config.offsets(now)) if bucket != pushed_bucket else None
        # As a float: the JS bridge would cut a large int to 32 bits.
        dm.call_function("__ors_setClock", None if ms is None else float(ms), offsets)
        self._pushed[session.id] = (ms, bucket)

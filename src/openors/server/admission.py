"""Admission: at most `limits.max_sessions` sessions held by this server.

"Held" counts every session in memory (invoked children included), every evicted session and
every scheduled start: an evicted session still owns its interactions, its timers and its row in
the store, and would come back to memory on its next event, so eviction saves memory but not
capacity. (Counting only live sessions would let clients fill the store without bound.)

* `POST /scxml/session/start` past the limit: 503 `TooManySessions` with `Retry-After`.
* A call reaching a routing point past the limit: no session starts, the interaction is left to
  the switch (it waits on the routing point until the caller gives up or the switch's default
  routing moves it, as when ORS is unreachable); a warning is logged and the refusal counted.
* Sessions a session starts (`<session:start>`) go through the same path and get their error event.
* Recovered and taken-over sessions are always accepted: they were admitted before.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter

from openors.runtime import RuntimeFault

log = logging.getLogger("openors.server.admission")

RETRY_AFTER_S = 5  # sessions last minutes: a client retrying every second would only add load


class TooManySessions(RuntimeFault):
    status = 503
    retry_after = RETRY_AFTER_S


class Admission:
    def __init__(self, runtime, max_sessions: int | None):
        self.runtime = runtime
        self.max_sessions = max_sessions
        self.refused = Counter("ors_sessions_refused", "Session starts refused because the server holds "
                               "limits.max_sessions sessions, by origin (http, platform)", ["origin"],
                               registry=runtime.metrics.registry)

    def held(self) -> int:
        rt = self.runtime
        return len(rt.host.sessions) + len(rt.evictor.evicted) + len(rt.scheduled)

    def full(self) -> bool:
        return self.max_sessions is not None and self.held() >= self.max_sessions

    def check_http(self) -> None:
        if self.full():
            self.refused.labels("http").inc()
            raise TooManySessions(f"the server already holds {self.max_sessions} sessions "
                                  "(limits.max_sessions); retry later", limit=self.max_sessions)

    def guard_platform(self, world) -> None:
        """Put the limit on the sessions the world starts (calls at routing points, <session:start>)."""
        world.add_start_gate(self._platform_gate)

    def _platform_gate(self, application: str, interaction_id: str | None) -> str | None:
        if not self.full():
            return None
        self.refused.labels("platform").inc()
        log.warning("session not started: the server holds limits.max_sessions sessions; the "
                    "interaction is left to the switch", extra={
                        "application": application, "interaction": interaction_id,
                        "limit": self.max_sessions})
        return "TooManySessions"

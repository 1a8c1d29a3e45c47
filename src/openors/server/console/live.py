"""What the console's operations view shows, as one snapshot: agents, waiting interactions,
sessions by state, KPIs (the definitions of openors.testing.kpi, computed by its code)."""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

from openors.runtime import Runtime
from openors.testing.kpi import compute

MAX_KPI_RECORDS = 200_000  # the platform trace the KPIs are computed from (the latest ones)
KPI_EVERY_S = 2.0  # KPIs are recomputed at most this often
MAX_SESSIONS_LISTED = 200


class LiveView:
    def __init__(self, runtime: Runtime, center: Any = None, debugger: Any = None):
        self.runtime = runtime
        self.center = center
        self.debugger = debugger
        self.records: deque[dict] = deque(maxlen=MAX_KPI_RECORDS)
        self._kpis: dict | None = None
        self._kpis_at = 0.0
        if center is not None:
            # the KPI code counts time from 0 (the start of a run), as `openors demo` does
            self.started = center.platform.now()
            center.listeners.append(self._record)

    def _record(self, record: dict) -> None:
        self.records.append({**record, "t": record.get("t", self.started) - self.started})

    def snapshot(self) -> dict[str, Any]:
        sessions = self._sessions()
        by_state = Counter(state for s in sessions for state in s["active"])
        out: dict[str, Any] = {"t": round(time.time(), 3), "counts": self.runtime.counts,
                               "by_state": dict(by_state.most_common()), "sessions": sessions[:MAX_SESSIONS_LISTED],
                               "platform": self.center is not None}
        if self.center is not None:
            out["clock"] = round(self.center.platform.now(), 3)  # virtual time under `simulate --debug`
            out["agents"] = self.center.agents()
            out["waiting"] = self._waiting()
            out["kpis"] = self._kpi()
        return out

    def _sessions(self) -> list[dict[str, Any]]:
        live = self.runtime.flowlogs.recorder.live
        paused = self.debugger.paused if self.debugger is not None else {}
        out = []
        for s in list(dict.values(self.runtime.host.sessions)):
            if s.parent is not None or s.is_done:
                continue
            summary = live.get(s.id)
            active = sorted(st.id for st in s.interpreter.configuration if st.is_atomic)
            out.append({"session": s.id, "document": (s.document.url or "").rsplit("/", 1)[-1],
                        "active": active, "paused": s.id in paused,
                        "interaction": summary.summary.interaction if summary else None,
                        "ani": summary.summary.ani if summary else None,
                        "started": summary.summary.started if summary else None})
        out.sort(key=lambda s: s["started"] or 0.0, reverse=True)
        return out

    def _waiting(self) -> list[dict[str, Any]]:
        platform = self.center.platform
        now = platform.now()
        out = []
        for ixn in list(platform.interactions.values()):
            if ixn.location is None or ixn.ended_at is not None:
                continue
            props = ixn.properties
            out.append({"interaction": ixn.interaction_id, "media": ixn.media, "location": ixn.location,
                        "from": props.get("ani") or props.get("from") or "", "to": props.get("dnis") or "",
                        "wait": round(now - ixn.created_at, 1),
                        "session": self.center.world.owner.get(ixn.interaction_id)})
        out.sort(key=lambda w: w["wait"], reverse=True)
        return out

    def _kpi(self) -> dict | None:
        now = time.monotonic()
        if self._kpis is None or now - self._kpis_at >= KPI_EVERY_S:
            k = compute(list(self.records), self.center.platform.topology, self.center.platform.now() - self.started)
            self._kpis = {"overall": k.overall.__dict__, "aht": k.aht, "occupancy": k.occupancy,
                          "threshold": k.threshold,
                          "by_queue": {q: c.__dict__ for q, c in k.by_queue.items()},
                          "by_agent": {a: v.__dict__ for a, v in k.by_agent.items()}}
            self._kpis_at = now
        return self._kpis

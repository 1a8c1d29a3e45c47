"""Gauges of the contact center on `/metrics`, read when scraped: agents by state, and interactions
waiting, by where they wait (a routing point, an ACD queue or an interaction queue)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class ContactCenterGauges(Collector):
    def __init__(self, platform: Any):
        self.platform = platform

    def collect(self) -> Iterator[GaugeMetricFamily]:
        agents = GaugeMetricFamily("ors_agents", "Agents of the contact center, by state", labels=["state"])
        states = Counter(str(getattr(a.state, "value", a.state)) for a in list(self.platform.agents.values()))
        for state, count in sorted(states.items()):
            agents.add_metric([state], count)
        yield agents
        busy = GaugeMetricFamily("ors_agents_busy", "Agents working on at least one interaction")
        busy.add_metric([], sum(1 for a in list(self.platform.agents.values()) if a.active))
        yield busy
        waiting = GaugeMetricFamily("ors_interactions_waiting",
                                    "Interactions waiting for a routing decision or an agent, by where they wait",
                                    labels=["location"])
        places = Counter(i.location for i in list(self.platform.interactions.values()) if i.location)
        for place, count in sorted(places.items()):
            waiting.add_metric([place], count)
        yield waiting

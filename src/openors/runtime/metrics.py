"""Prometheus metrics named after the ORS performance counters (ORS-SPEC §8).

Each metric's help text names the ORS counter it stands for. A `Metrics` owns its registry, so
several runtimes (tests) can live in one process.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

_FAST = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LoopCounter:
    """A counter bumped on the event loop's thread only, as a plain int, and read when scraped:
    prometheus-client's own takes a lock and checks its labels on every `inc` (per event)."""

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry):
        self.name, self.documentation = name, documentation
        self.value = 0
        registry.register(self)

    def inc(self, amount: int = 1) -> None:
        self.value += amount

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(self.name, self.documentation, value=self.value)


class LoopHistogram:
    """A histogram observed on the event loop's thread only: one bisection and two additions per
    observation, the cumulative buckets computed when scraped."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float], registry: CollectorRegistry):
        self.name, self.documentation = name, documentation
        self.bounds = [*sorted(buckets), float("inf")]
        self.counts = [0] * len(self.bounds)
        self.sum = 0.0
        registry.register(self)

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1  # the first bucket whose bound is >= value
        self.sum += value

    def collect(self) -> Iterator[HistogramMetricFamily]:
        cumulative, buckets = 0, []
        for bound, count in zip(self.bounds, self.counts, strict=True):
            cumulative += count
            buckets.append((floatToGoString(bound), cumulative))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=self.sum)


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.active_sessions = Gauge(
            "ors_active_sessions", "ORS active-sessions: sessions started or recovered on this node "
            "(in memory and evicted)", registry=r)
        self.evicted_sessions = Gauge(
            "ors_evicted_sessions", "Sessions evicted from memory, waiting in the store for an event or timer",
            registry=r)
        self.pending_sessions = Gauge(
            "ors_pending_sessions", "ORS pending-sessions: session creations waiting (idealtime in the future)",
            registry=r)
        self.sessions_created = Counter(
            "ors_creation_session", "ORS creation-session-rate: sessions created (rate() gives sessions/s)",
            registry=r)
        self.sessions_ended = Counter("ors_ended_session", "Sessions that reached their end", registry=r)
        self.create_session_time = Histogram(
            "ors_create_session_time_seconds", "ORS create-session-time: time to create a session "
            "(document lookup + first macrostep)", buckets=_FAST, registry=r)
        self.document_processing_time = Histogram(
            "ors_document_processing_time_seconds", "ORS document-processing-time: from document retrieval "
            "to compiled and ready", buckets=_FAST, registry=r)
        self.document_load_failures = Counter(
            "ors_document_load_failures", "Documents that could not be loaded: refused by the sources "
            "policy, past a cap, unreadable or invalid", registry=r)
        self.http_fetch_time = Histogram(
            "ors_http_fetch_time_seconds", "ORS http-fetch-time: HTTP response time of document fetches",
            buckets=_FAST, registry=r)
        # per event or per state: counted as plain numbers on the loop (LoopCounter, LoopHistogram)
        self.event_queuing_time = LoopHistogram(
            "ors_scxml_event_queuing_time_seconds", "ORS scxml-event-queuing-time: time an event waits in "
            "a session queue before its macrostep", _FAST, r)
        self.events_processed = LoopCounter("ors_scxml_events", "External events processed", r)
        self.events_rejected = Counter(
            "ors_scxml_events_rejected", "External events refused by backpressure", ["reason"], registry=r)
        self.queued_events = Gauge("ors_scxml_events_queued", "External events waiting in session queues",
                                   registry=r)
        self.persistence_latency = Histogram(
            "ors_persistence_latency_seconds", "ORS cassandra-latency: time to commit one batch of "
            "session snapshots to the store", buckets=_FAST, registry=r)
        self.persistence_batch_size = Histogram(
            "ors_persistence_batch_sessions", "Snapshots written per store transaction",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000), registry=r)
        self.budget_breaches = Counter(
            "ors_budget_breaches", "Macrosteps in which a session broke a budget, by budget", ["budget"],
            registry=r)
        self.sessions_stopped = Counter(
            "ors_sessions_quarantined", "Sessions stopped and quarantined, by reason (budget name or restore)",
            ["reason"], registry=r)
        self.quarantined_sessions = Gauge("ors_quarantined_sessions", "Sessions in quarantine (kept, not run)",
                                          registry=r)
        self.persistence_failures = Counter(
            "ors_persistence_failures", "Session snapshots that could not be taken (reason=snapshot) and "
            "store batches that could not be written (reason=store)", ["reason"], registry=r)
        self.state_entered = LoopCounter("ors_state_rate", "ORS state-rate: states entered", r)
        self.state_time = Histogram(
            "ors_state_time_seconds", "ORS state-time: time spent in a state, by state id",
            ["state"], buckets=_FAST + (5.0, 10.0, 30.0, 60.0, 300.0), registry=r)
        self._state_times: dict[str, Histogram] = {}  # state id -> its child, bound once
        self.redirect_time = Histogram(
            "ors_redirect_time_seconds", "ORS redirect-time: <ixn:redirect> request to its outcome",
            buckets=_FAST, registry=r)
        self.session_fetch_time = Histogram(
            "ors_session_fetch_time_seconds", "ORS http-fetch-time of <session:fetch>: request to response",
            buckets=_FAST + (5.0, 10.0), registry=r)
        # What the ORS modules report through Runtime.measure(), by name.
        self.module_timings = {"interaction.redirect": self.redirect_time, "session.fetch": self.session_fetch_time}
        self.request_time = Histogram(
            "ors_request_time_seconds", "Time for a session to answer a /request/ call", buckets=_FAST,
            registry=r)

    def state_time_of(self, state_id: str) -> Histogram:
        """`state_time` for one state: prometheus-client looks a label's child up under a lock on
        every `labels()` call; a state exited on every event binds it once."""
        child = self._state_times.get(state_id)
        if child is None:
            child = self._state_times[state_id] = self.state_time.labels(state=state_id)
        return child

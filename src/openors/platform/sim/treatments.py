"""Treatments on the simulated media server: announcements, music, digit collection and
VoiceXML applications played to a caller waiting on a routing point.

One treatment plays per call. A new one replaces the one playing, routing the call interrupts it
(both complete the old request with `interrupted`), and a call that ends fails it with
`nointeraction`. What the caller answers comes from the scenario: `digits` (one answer per
collection, in order) and `ivr` (one result per VoiceXML application, in order).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from openors.platform.errors import ErrorCode, PlatformError
from openors.platform.model import Interaction, InteractionState
from openors.platform.sim.core import DEFERRED, Request, SimCore

DIGIT_KEYS = set("0123456789*#")
DEFAULT_FIRST_DIGIT_TIMEOUT = 5.0
DEFAULT_INTER_DIGIT_TIMEOUT = 3.0


@dataclass
class CallerScript:
    """How one caller answers the media server, consumed in order."""

    digits: list[str] = field(default_factory=list)
    ivr: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Playing:
    req: Request
    treatment: str
    collect: dict | None
    application: str | None
    timer: Any = None


def collect_outcome(answer: str | None, collect: dict) -> tuple[str, str, float]:
    """(digits, reason, extra seconds after the prompts) for one answer and the input settings.

    reason: `term` (a term digit ended it), `max` (max_digits reached), `timeout` (digits but no
    end), `noinput` (nothing typed), `abort` (an abort digit)."""
    first = float(collect.get("first_digit_timeout") or collect.get("total_timeout") or DEFAULT_FIRST_DIGIT_TIMEOUT)
    inter = float(collect.get("digit_timeout") or DEFAULT_INTER_DIGIT_TIMEOUT)
    if not answer:
        return "", "noinput", first
    max_digits = int(collect.get("max_digits") or 0)
    term = str(collect.get("term_digits") or "")
    abort = str(collect.get("abort_digits") or "")
    digits = ""
    for key in answer:
        if key in abort:
            return digits, "abort", 0.0
        if key in term:
            return digits, "term", 0.0
        digits += key
        if max_digits and len(digits) >= max_digits:
            return digits, "max", 0.0
    return digits, "timeout", inter


class MediaServer:
    """The simulated media server, a part of the simulator that owns what plays and the callers'
    answers. It reaches the interactions and the request machinery through the simulator's core, and
    hears of an interaction's end through the core's end listeners."""

    def __init__(self, sim: SimCore):
        self.sim = sim
        self.playing: dict[str, Playing] = {}  # interaction id -> the treatment playing
        self.callers: dict[str, CallerScript] = {}
        self._ending: dict[str, Playing] = {}  # treatments of interactions being ended
        sim.end_listeners.append(self)

    def set_caller_script(self, interaction_id: str, digits: list[str] | None = None,
                          ivr: list[dict] | None = None) -> None:
        self.callers[interaction_id] = CallerScript(list(digits or []), [dict(r) for r in ivr or []])

    def start_treatment(self, interaction_id: str, treatment: str, duration: float, *,
                        collect: dict | None = None, application: str | None = None,
                        origin: str = "client") -> str:
        """Play `treatment` for `duration` seconds. With `collect` (max_digits, term_digits,
        abort_digits, first_digit_timeout, digit_timeout, total_timeout) the caller's next `digits`
        answer is collected: done data `digits`, `reason`. With `application` (a VoiceXML URI) the
        caller's next `ivr` result decides the duration, attaches its `udata` and gives `extensions`."""
        return self.sim._submit("treatment", interaction_id, self._treat, interaction_id, treatment, duration,
                                collect, application, origin=origin)

    def stop_treatment(self, interaction_id: str) -> str:
        return self.sim._submit("treatment", interaction_id, self._stop_request, interaction_id)

    def _stop_request(self, req: Request, interaction_id: str) -> Any:
        self.sim._live(interaction_id)
        playing = interaction_id in self.playing
        self.interrupt(interaction_id, "stopped")
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is not None and playing:
            self.sim._sync_state(ixn)
        return {"interaction_id": interaction_id, "stopped": playing}

    def _treat(self, req: Request, interaction_id: str, treatment: str, duration: float,
               collect: dict | None, application: str | None) -> Any:
        sim = self.sim
        ixn = sim._live(interaction_id)
        sim._require_category(ixn, "voice")
        sim._require_state(ixn, InteractionState.TREATING)
        self.interrupt(interaction_id, "replaced")
        result = None
        if application is not None:
            result = self._next_answer(interaction_id, "ivr")
            if result and result.get("duration") is not None:
                duration = float(result["duration"])
        playing = Playing(req, treatment, collect, application)
        self.playing[interaction_id] = playing
        ixn.treatment = treatment
        sim._sync_state(ixn)
        playing.timer = sim._later(max(0.0, float(duration)), self._prompts_over, interaction_id, playing,
                                   result, interaction_id=interaction_id)
        return DEFERRED

    def _next_answer(self, interaction_id: str, kind: str) -> Any:
        script = self.callers.get(interaction_id)
        answers = getattr(script, kind) if script is not None else []
        return answers.pop(0) if answers else None

    def _prompts_over(self, interaction_id: str, playing: Playing, ivr: dict | None) -> None:
        if self.playing.get(interaction_id) is not playing:
            return
        if playing.collect is None:
            self._finish(interaction_id, playing, self._ivr_result(interaction_id, ivr) if playing.application else {})
            return
        digits, reason, extra = collect_outcome(self._next_answer(interaction_id, "digits"), playing.collect)
        playing.timer = self.sim._later(extra, self._finish, interaction_id, playing,
                                        {"digits": digits, "reason": reason}, interaction_id=interaction_id)

    def _ivr_result(self, interaction_id: str, ivr: dict | None) -> dict:
        ixn = self.sim.interactions.get(interaction_id)
        ivr = ivr or {}
        if ixn is not None and ivr.get("udata"):
            # the VoiceXML application attaches it
            self.sim.calls._change_udata(ixn, set_=dict(ivr["udata"]), source="outside")
        return {"extensions": dict(ivr.get("extensions") or {})}

    def _finish(self, interaction_id: str, playing: Playing, result: dict) -> None:
        if self.playing.get(interaction_id) is not playing:
            return
        del self.playing[interaction_id]
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is not None:
            ixn.treatment = None
            self.sim._sync_state(ixn)
        self.sim._complete(playing.req, {"interaction_id": interaction_id, **result})

    def interrupt(self, interaction_id: str, why: str) -> None:
        """Stop what plays to a call; its request completes with `interrupted: why`."""
        playing = self.playing.pop(interaction_id, None)
        if playing is None:
            return
        self.sim.clock.cancel(playing.timer)
        ixn = self.sim.interactions.get(interaction_id)
        if ixn is not None:
            ixn.treatment = None
        self.sim._complete(playing.req, {"interaction_id": interaction_id, "interrupted": why})

    @contextmanager
    def routing(self, interaction_id: str) -> Iterator[None]:
        """Routing a call interrupts its treatment: "routed" once the route succeeds, and the
        treatment stays on when routing fails."""
        ixn = self.sim.interactions.get(interaction_id)
        playing = self.playing.get(interaction_id)
        if playing is not None and ixn is not None:
            ixn.treatment = None
        try:
            yield
        except PlatformError:
            if playing is not None and ixn is not None:
                ixn.treatment = playing.treatment
            raise
        self.interrupt(interaction_id, "routed")

    # -- the core's end listener ---------------------------------------------------------------------
    def interaction_ending(self, ixn: Interaction) -> None:
        playing = self.playing.pop(ixn.interaction_id, None)
        if playing is not None:
            self._ending[ixn.interaction_id] = playing

    def interaction_ended(self, ixn: Interaction) -> None:
        """After the end events, as a media server would notice it: the treatment's request fails."""
        self.callers.pop(ixn.interaction_id, None)
        playing = self._ending.pop(ixn.interaction_id, None)
        if playing is not None:
            self.sim._fail(playing.req, PlatformError(ErrorCode.NO_INTERACTION,
                                                      f"interaction {ixn.interaction_id} ended during the treatment"))

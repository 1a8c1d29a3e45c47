"""The dialog (treatment) actions (`www.genesyslab.com/modules/dialog`, ORS-SPEC §5.6), played on
the platform's media server with `start_treatment`.

Each action resolves its interaction, asks for one treatment and turns the outcome into
`dialog.<action>.done` or `error.dialog.<action>`. The work is split so that `<dialog:runtreatments>`
(and a `<queue:submit>` holding one) can run the same actions one after another and decide
itself what reaches the session (see treatments.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ..actions import ActionContext, ActionError, ModuleAction
from .prompts import attribute_value, read_input, read_prompts

if TYPE_CHECKING:
    from typing import Any

    from openors.scxml.interpreter import Interpreter

    from ..world import OrsWorld

MODULE = "dialog"
# Seconds a sound plays when its element gives no `duration`, by `type` (lower case).
SOUND_SECONDS = {"music": 30.0, "ringback": 10.0, "busy": 5.0, "busytone": 5.0, "fastbusy": 5.0,
                 "fastbusytone": 5.0, "silence": 1.0, "recordedannouncement": 10.0, "announcement": 10.0}
DEFAULT_SOUND_SECONDS = 10.0
APPLICATION_SECONDS = 10.0  # a VoiceXML application the scenario says nothing about
APPLICATION_TIMEOUT = 3600.0  # an application may run long; only silence this long is an error

Outcome = Callable[[dict], None]


class Reporter(Protocol):
    """Who hears a dialog request's outcome: the action itself, or a treatment run it is part of."""

    def fail(self, interp: Interpreter | None, requestid: str, exc: ActionError) -> None: ...
    def done(self, ctx: ActionContext, name: str, data: dict) -> None: ...
# <dialog:start type>: besides `applid` (the APP_URI param), the types that name the application
# in an attribute: a VoiceXML URI (`uri`, or `src`) or an IVR's DN (`dn`, in `resource`).
START_BY_ATTRIBUTE = {"uri": "uri", "vxml": "uri", "dn": "resource"}


class DialogAction(ModuleAction):
    module = MODULE
    prefix = "dialog"
    expressions: tuple[str, ...] = ("interactionid", "hints", "device", "language")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = world.resolve_interaction(ctx.session, ctx.args.get("interactionid"), allow_detached=True)
        self.begin(ctx, world)
        self.play(ctx, world, ixn, self, lambda data: self.settle(ctx, ixn, data, self))

    def begin(self, ctx: ActionContext, world: OrsWorld) -> None:
        """What the session hears before the treatment starts: `dialog.<action>.requestid`, the
        id Composer's play-and-continue pattern waits for (every dialog action sends it)."""
        ctx.emit(f"dialog.{self.name}.requestid", {"requestid": ctx.requestid})

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        """Start the treatment; `on_done(platform result data)` on success, else `reporter.fail`."""
        raise NotImplementedError

    def result(self, ctx: ActionContext, ixn: str, data: dict) -> dict:
        """The done event's data (or raise ActionError to make it the error event)."""
        return {"requestid": ctx.requestid, "interactionid": ixn}

    def settle(self, ctx: ActionContext, ixn: str, data: dict, reporter: Reporter) -> None:
        try:
            if data.get("interrupted") == "stopped":
                raise ActionError("cancelled", "<dialog:stop> stopped the treatment", interactionid=ixn)
            done = self.result(ctx, ixn, data)
        except ActionError as exc:
            reporter.fail(ctx.interp, ctx.requestid, exc)
            return
        reporter.done(ctx, self.done_name(), done)

    def done(self, ctx: ActionContext, name: str, data: dict) -> None:
        ctx.emit(name, data)

    # --- helpers ------------------------------------------------------------------------------
    def treatment(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome, label: str, seconds: float, *,
                  collect: dict | None = None, application: str | None = None,
                  timeout: float | None = None) -> None:
        platform = world.platform
        # Treatments played while queued send no events: the trace is where they show.
        world.trace("treatment.start", session=ctx.session_id, requestid=ctx.requestid, interaction=ixn,
                    treatment=label, seconds=seconds)
        world.request(ctx, reporter, lambda: platform.start_treatment(
            ixn, label, seconds, collect=collect, application=application),
            lambda ev: on_done(ev.data or {}), interactionid=ixn,
            timeout=timeout if timeout is not None else seconds + world.request_timeout)


def _seconds(value, what: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ActionError("unknown", f"{what} {value!r} is not a number of seconds") from None
    if seconds < 0:
        raise ActionError("unknown", f"{what} {value!r} is negative")
    return seconds


class PlaySound(DialogAction):
    """`<dialog:playsound type resource duration>`: music, ringback, busy tones, silence..."""

    name = "playsound"
    expressions: tuple[str, ...] = DialogAction.expressions + ("type", "resource", "duration")

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        kind = str(ctx.args.get("type") or "music")
        duration = ctx.args.get("duration")
        if duration in (None, "", 0, "0"):
            seconds = SOUND_SECONDS.get(kind.lower().replace("_", ""), DEFAULT_SOUND_SECONDS)
        else:
            seconds = _seconds(duration, "<playsound> duration")
        resource = ctx.args.get("resource")
        label = f"{kind}:{resource}" if resource not in (None, "") else kind
        self.treatment(ctx, world, ixn, reporter, on_done, label, seconds)


class Play(DialogAction):
    """`<dialog:play>` with `<dialog:prompts><dialog:prompt .../></dialog:prompts>`."""

    name = "play"

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        prompts = read_prompts(ctx.interp, ctx.node.element)
        if not prompts:
            raise ActionError("unknown", f"<{self.name}> has no <prompt> to play")
        label = "play:" + ",".join(p.label() for p in prompts)
        self.treatment(ctx, world, ixn, reporter, on_done, label, sum(p.seconds for p in prompts))


class PlayAndCollect(DialogAction):
    """`<dialog:playandcollect>`: prompts, then the caller's digits (`<dialog:input>` settings).

    Done: `digits` and `reason` (term, max or timeout). Nothing typed gives the error `noinput`, an
    abort digit `aborted`, routing the call meanwhile `interrupted`."""

    name = "playandcollect"
    needs_prompts = True

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        prompts = read_prompts(ctx.interp, ctx.node.element)
        if self.needs_prompts and not prompts:
            raise ActionError("unknown", f"<{self.name}> has no <prompt> to play")
        collect = read_input(ctx.interp, ctx.node.element)
        seconds = sum(p.seconds for p in prompts)
        waits = [float(collect.get(k) or 0) for k in ("first_digit_timeout", "total_timeout", "digit_timeout")]
        label = "collect:" + ",".join(p.label() for p in prompts)
        self.treatment(ctx, world, ixn, reporter, on_done, label, seconds, collect=collect,
                       timeout=seconds + sum(waits) + 10.0 + world.request_timeout)

    def result(self, ctx: ActionContext, ixn: str, data: dict) -> dict:
        if data.get("interrupted"):
            raise ActionError("interrupted", f"the collection stopped: the call was {data['interrupted']}",
                              interactionid=ixn)
        reason = data.get("reason")
        if reason == "noinput":
            raise ActionError("noinput", "the caller typed nothing before the timeout", interactionid=ixn)
        if reason == "abort":
            raise ActionError("aborted", "the caller pressed an abort digit", interactionid=ixn)
        return {"requestid": ctx.requestid, "interactionid": ixn, "digits": data.get("digits", ""),
                "reason": reason}


class Collect(PlayAndCollect):
    """`<dialog:collect>`: `<dialog:input>` without prompts."""

    name = "collect"
    needs_prompts = False


class Start(DialogAction):
    """`<dialog:start type="'applid'">` with `<param name="APP_URI">` (and `LANGUAGE`, ...): a
    VoiceXML application on GVP. Sends `dialog.start.requestid` first; done carries `extensions`
    (the values the application returns; the scenario's `ivr` results say which)."""

    name = "start"
    expressions: tuple[str, ...] = DialogAction.expressions + ("type", "duration", "uri", "src", "resource")

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        kind = str(ctx.args.get("type") or "applid").strip().lower()
        params = self.params(ctx)
        if kind == "applid":
            uri = params.get("APP_URI")
            if uri in (None, ""):
                raise ActionError("unknown", "<dialog:start> needs <param name=\"APP_URI\">: the application to run")
        elif kind in START_BY_ATTRIBUTE:
            uri = ctx.args.get(START_BY_ATTRIBUTE[kind]) or (ctx.args.get("src") if kind != "dn" else None) \
                or params.get("APP_URI")
            if uri in (None, ""):
                raise ActionError("invalidattribute", f"<dialog:start type='{kind}'> needs the attribute "
                                  f"'{START_BY_ATTRIBUTE[kind]}' (or <param name=\"APP_URI\">)")
            if kind == "dn":
                uri = f"dn:{uri}"  # an IVR behind a DN: the application is whatever answers there
        else:
            raise ActionError("invalidattribute", f"The attribute dialog:type has an invalid value ({kind}): "
                              f"one of applid, {', '.join(START_BY_ATTRIBUTE)}")
        duration = ctx.args.get("duration")
        seconds = APPLICATION_SECONDS if duration in (None, "") else _seconds(duration, "<dialog:start> duration")
        self.treatment(ctx, world, ixn, reporter, on_done, f"applid:{uri}", seconds, application=str(uri),
                       timeout=max(APPLICATION_TIMEOUT, seconds + world.request_timeout))

    def params(self, ctx: ActionContext) -> dict:
        out = {}
        for child in ctx.node.element:
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "param" and child.get("name"):
                expr = child.get("expr")
                out[child.get("name")] = attribute_value(ctx.interp, expr, f"<param name='{child.get('name')}'>") \
                    if expr is not None else None
        return out

    def result(self, ctx: ActionContext, ixn: str, data: dict) -> dict:
        return {"requestid": ctx.requestid, "interactionid": ixn, "extensions": data.get("extensions") or {}}


class PlayAndVerify(PlayAndCollect):
    """`<dialog:playandverify verify>`: prompts, digits, then a check of the digits.

    Genesys leaves how digits are verified to the IVR; OpenORS checks them against `verify`, a value
    expression giving a regular expression (the digits must match it whole) or an array of accepted
    answers. Done: `digits`, `reason` and `verified` (true/false); no `verify` accepts any digits."""

    name = "playandverify"
    expressions: tuple[str, ...] = PlayAndCollect.expressions + ("verify",)

    def result(self, ctx: ActionContext, ixn: str, data: dict) -> dict:
        done = super().result(ctx, ixn, data)
        done["verified"] = verify_digits(done["digits"], ctx.args.get("verify"))
        return done


def verify_digits(digits: str, rule: Any) -> bool:
    import re

    if rule in (None, ""):
        return True
    if isinstance(rule, list):
        return digits in [str(r) for r in rule]
    try:
        return re.fullmatch(str(rule), digits) is not None
    except re.error as exc:
        raise ActionError("invalidattribute", f"The attribute dialog:verify has an invalid value ({rule}): {exc}") \
            from None


class Pause(DialogAction):
    """`<dialog:pause duration>` on its own: waits `duration` seconds (default 1) with the call as
    it is, then `dialog.pause.done`. No request goes to the media server."""

    name = "pause"
    expressions: tuple[str, ...] = DialogAction.expressions + ("duration",)

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        duration = ctx.args.get("duration")
        seconds = 1.0 if duration in (None, "") else _seconds(duration, "<pause> duration")
        world.host.clock.call_later(seconds, on_done, {})


class Stop(DialogAction):
    """`<dialog:stop interactionid>`: stops what the dialog module plays to the call, the treatment
    playing and a `<dialog:runtreatments>` sequence. The stopped request answers with its error
    event (`cancelled`), then `dialog.stop.done`. Stopping a call with nothing playing is no error."""

    name = "stop"

    def play(self, ctx: ActionContext, world: OrsWorld, ixn: str, reporter: Reporter, on_done: Outcome) -> None:
        from .treatments import stop_runs

        stop_runs(world, ixn)
        try:
            world.request(ctx, reporter, lambda: world.platform.stop_treatment(ixn),
                          lambda ev: on_done(ev.data or {}), interactionid=ixn)
        except NotImplementedError:
            raise ActionError("unknown", "this contact center cannot stop treatments") from None

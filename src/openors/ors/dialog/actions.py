"""The dialog (treatment) actions (`www.genesyslab.com/modules/dialog`, ORS-SPEC §5.6), played on
the platform's media server with `start_treatment`.

Each action resolves its interaction, asks for one treatment and turns the outcome into
`dialog.<action>.done` or `error.dialog.<action>`. The work is split so that `<dialog:runtreatments>`
(and a `<queue:submit>` holding one) can run the same actions one after another and decide
itself what reaches the session (see treatments.py).
"""

from __future__ import annotations

from collections.abc import Callable

from ..actions import ActionContext, ActionError, ModuleAction
from .prompts import attribute_value, read_input, read_prompts

MODULE = "dialog"
# Seconds a sound plays when its element gives no `duration`, by `type` (lower case).
SOUND_SECONDS = {"music": 30.0, "ringback": 10.0, "busy": 5.0, "busytone": 5.0, "fastbusy": 5.0,
                 "fastbusytone": 5.0, "silence": 1.0, "recordedannouncement": 10.0, "announcement": 10.0}
DEFAULT_SOUND_SECONDS = 10.0
APPLICATION_SECONDS = 10.0  # a VoiceXML application the scenario says nothing about
APPLICATION_TIMEOUT = 3600.0  # an application may run long; only silence this long is an error

Outcome = Callable[[dict], None]


class DialogAction(ModuleAction):
    module = MODULE
    prefix = "dialog"
    expressions = ("interactionid", "hints", "device", "language")

    def run(self, ctx: ActionContext, world) -> None:
        ixn = world.resolve_interaction(ctx.session, ctx.args.get("interactionid"), allow_detached=True)
        self.begin(ctx, world)
        self.play(ctx, world, ixn, self, lambda data: self.settle(ctx, ixn, data, self))

    def begin(self, ctx: ActionContext, world) -> None:
        """Anything the session hears before the treatment starts (dialog.start.requestid)."""

    def play(self, ctx: ActionContext, world, ixn: str, reporter, on_done: Outcome) -> None:
        """Start the treatment; `on_done(platform result data)` on success, else `reporter.fail`."""
        raise NotImplementedError

    def result(self, ctx: ActionContext, ixn: str, data: dict) -> dict:
        """The done event's data (or raise ActionError to make it the error event)."""
        return {"requestid": ctx.requestid, "interactionid": ixn}

    def settle(self, ctx: ActionContext, ixn: str, data: dict, reporter) -> None:
        try:
            done = self.result(ctx, ixn, data)
        except ActionError as exc:
            reporter.fail(ctx.interp, ctx.requestid, exc)
            return
        reporter.done(ctx, self.done_name(), done)

    def done(self, ctx: ActionContext, name: str, data: dict) -> None:
        ctx.emit(name, data)

    # --- helpers ------------------------------------------------------------------------------
    def treatment(self, ctx, world, ixn, reporter, on_done: Outcome, label: str, seconds: float, *,
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
    expressions = DialogAction.expressions + ("type", "resource", "duration")

    def play(self, ctx, world, ixn, reporter, on_done):
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

    def play(self, ctx, world, ixn, reporter, on_done):
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

    def play(self, ctx, world, ixn, reporter, on_done):
        prompts = read_prompts(ctx.interp, ctx.node.element)
        if self.needs_prompts and not prompts:
            raise ActionError("unknown", f"<{self.name}> has no <prompt> to play")
        collect = read_input(ctx.interp, ctx.node.element)
        seconds = sum(p.seconds for p in prompts)
        waits = [float(collect.get(k) or 0) for k in ("first_digit_timeout", "total_timeout", "digit_timeout")]
        label = "collect:" + ",".join(p.label() for p in prompts)
        self.treatment(ctx, world, ixn, reporter, on_done, label, seconds, collect=collect,
                       timeout=seconds + sum(waits) + 10.0 + world.request_timeout)

    def result(self, ctx, ixn, data):
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
    expressions = DialogAction.expressions + ("type", "duration")

    def begin(self, ctx, world):
        ctx.emit("dialog.start.requestid", {"requestid": ctx.requestid})

    def play(self, ctx, world, ixn, reporter, on_done):
        kind = str(ctx.args.get("type") or "applid")
        if kind.lower() != "applid":
            raise ActionError("unknown", f"<dialog:start> type '{kind}' is not supported (only applid)")
        params = self.params(ctx)
        uri = params.get("APP_URI")
        if uri in (None, ""):
            raise ActionError("unknown", "<dialog:start> needs <param name=\"APP_URI\">: the application to run")
        duration = ctx.args.get("duration")
        seconds = APPLICATION_SECONDS if duration in (None, "") else _seconds(duration, "<dialog:start> duration")
        self.treatment(ctx, world, ixn, reporter, on_done, f"applid:{uri}", seconds, application=str(uri),
                       timeout=max(APPLICATION_TIMEOUT, seconds + world.request_timeout))

    def params(self, ctx) -> dict:
        out = {}
        for child in ctx.node.element:
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "param" and child.get("name"):
                expr = child.get("expr")
                out[child.get("name")] = attribute_value(ctx.interp, expr, f"<param name='{child.get('name')}'>") \
                    if expr is not None else None
        return out

    def result(self, ctx, ixn, data):
        return {"requestid": ctx.requestid, "interactionid": ixn, "extensions": data.get("extensions") or {}}

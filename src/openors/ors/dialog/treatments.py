"""`<dialog:runtreatments>`: the child treatments, one after the other.

Standalone, every child sends its own events and `dialog.runtreatments.done` follows the last one.
Inside `<queue:submit>` (or `<queue:update>`) the queue module runs them while the call waits,
with no treatment events (ORS-SPEC §5.6), through `RunTreatments.start_while_queued(ctx, element,
interactionid)`, which returns the `stop()` to call when the call leaves the queue. Underneath:

    run = TreatmentRun(ctx, world, runtreatments_element, interactionid, events=False)
    run.start()      # when the call starts waiting
    run.stop()       # when a target is selected, the request is cancelled or the session ends

A child that fails does not stop the sequence (a missing announcement must not keep the caller
from music); `<dialog:pause duration>` waits without a request. The sequence plays once.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING

from ..actions import ActionContext, ActionError, ModuleAction, context_of, new_request_id
from .actions import DialogAction
from .prompts import attribute_value, children, local_name

if TYPE_CHECKING:
    from lxml.etree import _Element

    from openors.scxml.interpreter import Interpreter

    from ..world import OrsWorld


class TreatmentRuns:
    """The treatment sequences playing, by interaction id, so <dialog:stop> finds them (one per world)."""

    def __init__(self) -> None:
        self.by_interaction: dict[str, list[TreatmentRun]] = {}

    def add(self, run: TreatmentRun) -> None:
        self.by_interaction.setdefault(run.interactionid, []).append(run)

    def remove(self, run: TreatmentRun) -> None:
        runs = self.by_interaction.get(run.interactionid)
        if runs is not None and run in runs:
            runs.remove(run)
            if not runs:
                del self.by_interaction[run.interactionid]

    def stop_all(self, interaction_id: str) -> int:
        """Stop every treatment sequence playing to a call; how many there were."""
        runs = self.by_interaction.pop(interaction_id, [])
        for run in list(runs):
            run.cancel()
        return len(runs)


def stop_runs(world: OrsWorld, interaction_id: str) -> int:
    return world.treatment_runs.stop_all(interaction_id)


class _Silent:
    """Reports a nested child's outcome to its run instead of the session."""

    def __init__(self, run: TreatmentRun, action: DialogAction):
        self.run, self.action, self.name, self.prefix = run, action, action.name, action.prefix

    def fail(self, interp: Interpreter | None, requestid: str, exc: ActionError) -> None:
        self.run._child_over(requestid, exc.code)

    def done(self, ctx: ActionContext, name: str, data: dict) -> None:
        self.run._child_over(ctx.requestid, "done")


class _Loud(_Silent):
    """A standalone run: the child's events reach the session, then the run goes on."""

    def fail(self, interp: Interpreter | None, requestid: str, exc: ActionError) -> None:
        self.action.fail(interp, requestid, exc)
        super().fail(interp, requestid, exc)

    def done(self, ctx: ActionContext, name: str, data: dict) -> None:
        self.action.done(ctx, name, data)
        super().done(ctx, name, data)


class TreatmentRun:
    def __init__(self, ctx: ActionContext, world: OrsWorld, element, interactionid: str, *, events: bool = False,
                 on_finished=None):
        from . import dialog_actions

        # The request's context, not its interpreter: the treatments play for minutes, during
        # which the idle session may be evicted and restored as a new object.
        self.ctx, self.world, self.element = ctx, world, element
        self.interactionid = interactionid
        self.events = events
        self.on_finished = on_finished
        self.on_cancelled: Callable[[], None] | None = None
        self.actions = {name: action for (_, name), action in dialog_actions().items()}
        self.steps = [c for c in children(element) if local_name(c) != "runtreatments"]
        self.index = -1
        self.current: str | None = None  # request id of the child playing
        self.stopped = False
        self.timer = None

    @property
    def interp(self) -> Interpreter | None:
        return self.ctx.interp  # the live session's, None once it ended

    def start(self) -> None:
        if not self.stopped:
            self.world.treatment_runs.add(self)
        self._next()

    def stop(self) -> None:
        self.stopped = True
        self.world.host.clock.cancel(self.timer)
        self.world.treatment_runs.remove(self)

    def cancel(self) -> None:
        """Stopped by <dialog:stop>: like stop(), and the run's own request hears of it."""
        if self.stopped:
            return
        self.stop()
        if self.on_cancelled is not None:
            self.on_cancelled()

    @property
    def finished(self) -> bool:
        return self.stopped or self.index >= len(self.steps)

    def _next(self) -> None:
        interp = self.interp
        if interp is None or not interp.running:  # the session ended: nobody is left to treat the call for
            self.stop()
            return
        while not self.stopped:
            self.index += 1
            if self.index >= len(self.steps):
                self.current = None
                self.stop()  # over: no longer one <dialog:stop> could find
                if self.on_finished is not None:
                    self.on_finished()
                return
            if self._launch(self.steps[self.index], interp):
                return

    def _child_over(self, requestid: str, outcome: str) -> None:
        if self.stopped or requestid != self.current:
            return  # a stopped run, or an answer to a child it gave up on
        self.world.trace("treatment", session=self.ctx.session_id, step=self.index, outcome=outcome)
        self._next()

    def _launch(self, el: _Element, interp: Interpreter) -> bool:
        """Start one child; False when it finished at once (it failed or is not playable)."""
        name = local_name(el)
        if name == "pause":
            seconds = attribute_value(interp, el.get("duration"), "<pause> duration") or 0
            self.current = new_request_id()
            rid = self.current
            self.timer = self.world.host.clock.call_later(float(seconds), self._child_over, rid, "done")
            return True
        action = self.actions.get(name)
        if action is None or not isinstance(action, DialogAction):
            self.world.trace("treatment", session=self.ctx.session_id, step=self.index,
                             outcome=f"skipped <{name}>: not a treatment this server plays")
            return False
        reporter = _Loud(self, action) if self.events else _Silent(self, action)
        node = SimpleNamespace(attributes=dict(el.attrib), element=el)
        requestid = new_request_id()
        self.current = requestid
        location = node.attributes.get("requestid")
        try:
            if location:
                interp.datamodel.assign_value(location, requestid)
            args = action.evaluate(interp, node)
            ctx = ActionContext(interp, node, requestid, args)
            ixn = args.get("interactionid") or self.interactionid
            ixn = self.world.resolve_interaction(ctx.session, ixn, allow_detached=True)
            if self.events:
                action.begin(ctx, self.world)
            action.play(ctx, self.world, ixn, reporter, lambda data: action.settle(ctx, ixn, data, reporter))
        except ActionError as exc:
            if self.events:
                action.fail(interp, requestid, exc)
            self.world.trace("treatment", session=self.ctx.session_id, step=self.index, outcome=exc.code)
            return False
        except Exception as exc:  # noqa: BLE001 - a location that cannot be written, for one
            self.world.trace("treatment", session=self.ctx.session_id, step=self.index, outcome=str(exc))
            return False
        return True


class RunTreatments(ModuleAction):
    """`<dialog:runtreatments interactionid requestid>` on its own."""

    module = "dialog"
    prefix = "dialog"
    name = "runtreatments"
    expressions: tuple[str, ...] = ("interactionid", "hints")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = world.resolve_interaction(ctx.session, ctx.args.get("interactionid"), allow_detached=True)
        if not children(ctx.node.element):
            raise ActionError("unknown", "<runtreatments> has no treatment to run")

        def finished() -> None:
            ctx.emit(self.done_name(), {"requestid": ctx.requestid, "interactionid": ixn})

        def cancelled() -> None:
            self.fail(ctx.interp, ctx.requestid, ActionError(
                "cancelled", "<dialog:stop> stopped the treatments", interactionid=ixn))

        ctx.emit("dialog.runtreatments.requestid", {"requestid": ctx.requestid})
        run = TreatmentRun(ctx, world, ctx.node.element, ixn, events=True, on_finished=finished)
        run.on_cancelled = cancelled
        world.later(run.start)  # children start after this macrostep, like any request

    def start_while_queued(self, ctx: ActionContext, element: _Element, interaction_id: str | None) -> Callable[[], None] | None:
        """For `<queue:submit>`: play the treatments silently while the call waits; returns the
        function that stops them (None when there is no call to treat)."""
        world = context_of(ctx.host)
        if world is None or interaction_id in (None, "") or not children(element):
            return None
        run = TreatmentRun(ctx, world, element, str(interaction_id), events=False)
        world.later(run.start)  # stop() before start() is fine: the run never begins
        return run.stop

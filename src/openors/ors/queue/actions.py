"""The actions of the queue namespace (`www.genesyslab.com/modules/queue`, ORS-SPEC §5.5).

`<queue:submit>` asks the router (`router.py`) for a target; `<queue:update>` changes a waiting
submit's priority and treatments; `<queue:cancel>` withdraws a waiting submit; `<queue:query>`
reports its place in the virtual queue. Update, cancel and query name the submit by
its request id in `requestid`, a *value* expression there (Composer: `<queue:query requestid="RequestId"/>`),
so they never write a new id into it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from openors.scxml.errors import ExecutionError

from ..actions import ActionContext, ActionError, ModuleAction
from ..modules import module_of
from .targets import TYPE_WORDS, Target, TargetSyntaxError, parse_target, parse_targets

if TYPE_CHECKING:
    from collections.abc import Callable

    from openors.scxml.interpreter import Interpreter

    from ..world import OrsWorld

MODULE = "queue"
ORDER_TYPES = ("any", "max", "min", "percentage")


def _local(element) -> tuple[str | None, str]:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return module_of(ns), name
    return None, tag


def _evaluate(interp, element, attr: str, what: str) -> Any:
    expr = element.get(attr)
    if expr is None:
        return None
    try:
        return interp.datamodel.evaluate(expr)
    except ExecutionError as exc:
        raise ActionError("unknown", f"{what} attribute '{attr}': {exc}") from None


def _flag(value: Any) -> bool:
    return str(value).strip().lower() == "true"


class Submit(ModuleAction):
    module = MODULE
    name = "submit"
    prefix = "queue"
    expressions: tuple[str, ...] = ("interactionid", "queue", "priority", "timeout", "orderstat", "target", "hints")
    literals: tuple[str, ...] = ("route", "clearontimeout")

    def evaluate(self, interp: Interpreter, node: Any) -> dict[str, Any]:
        args = super().evaluate(interp, node)
        # ordertype is an expression ('max'); a bare word (max) is accepted too.
        raw = node.attributes.get("ordertype")
        if raw is not None:
            word = raw.strip().strip("'\"").lower()
            if word in ORDER_TYPES and raw.strip().lower() == word:
                args["ordertype"] = word
            else:
                args["ordertype"] = _evaluate(interp, node.element, "ordertype", "<submit>")
        return args

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        args = ctx.args
        interaction_id = None
        if args.get("interactionid") not in (None, "") or world.session_state(ctx.session).order:
            interaction_id = world.resolve_interaction(ctx.session, args.get("interactionid"), allow_detached=True)
        ordertype = str(args.get("ordertype") or "any").lower()
        if ordertype not in ORDER_TYPES:
            raise ActionError("unknown", f"<submit> ordertype {ordertype!r} is not one of {', '.join(ORDER_TYPES)}")
        targets = self.targets(ctx, world)
        if not targets:
            raise ActionError("invaliddestination", "<submit> names no target (no <queue:targets> or target)")
        snap = world.platform.get_interaction(interaction_id) if interaction_id else None
        workbin = self.workbin(ctx)
        if workbin is not None and (snap or {}).get("category") == "voice":
            raise ActionError("invaliddestination", f"<workbin> {workbin!r}: a call cannot wait in a workbin")
        entry = world.router.submit(
            ctx, self, interaction_id=interaction_id, vq=str(args.get("queue") or "none"),
            priority=_integer(args.get("priority"), "priority"), targets=targets, ordertype=ordertype,
            orderstat=args.get("orderstat") if args.get("orderstat") not in (None, "", "none") else None,
            route=_flag(args.get("route", "false")), clear_on_timeout=_flag(args.get("clearontimeout", "false")),
            timeout=_seconds(args.get("timeout")), media=(snap or {}).get("media"), workbin=workbin)
        # In time even when a target is free at once: the router selects after this macrostep, and
        # a stop() that comes before the treatments start keeps them from starting.
        entry.stop_treatments = treatments_while_queued(ctx, world, interaction_id)

    # --- <queue:targets> ------------------------------------------------------------------------
    def targets(self, ctx: ActionContext, world: OrsWorld | None = None) -> list[Target]:
        out: list[Target] = []
        if ctx.args.get("target") not in (None, ""):
            out += _parse_list(ctx.args["target"])
        for child in ctx.node.element:
            module, name = _local(child)
            if module == MODULE and name == "targets":
                out += self._targets_element(ctx.interp, child, world)
        return out

    def _targets_element(self, interp, element, world=None) -> list[Target]:
        default_type = element.get("type")
        default_server = _evaluate(interp, element, "statserver", "<targets>")
        out: list[Target] = []
        for child in element:
            module, name = _local(child)
            if module != MODULE:
                continue
            if name == "targetid":
                out += _parse_list(_evaluate(interp, child, "expr", "<targetid>"))
            elif name == "target":
                out.append(self._target_element(interp, child, default_type, default_server))
            elif name == "activity":
                out.append(self._activity(interp, child, default_server, world))
        return out

    def _activity(self, interp, child, default_server, world) -> Target:
        """`<queue:activity name>`: the agents scheduled for a workforce-management activity. The
        simulator has no WFM schedule: they are the agent group named like the activity, or else the
        agents with a skill of that name."""
        name = _evaluate(interp, child, "name", "<activity>")
        if name in (None, ""):
            raise ActionError("invaliddestination", "<activity> has no name")
        server = _evaluate(interp, child, "statserver", "<activity>") or default_server or ""
        groups = world.router.directory.groups("GA") if world is not None else {}
        text = f"{name}@{server}.GA" if str(name) in groups else f"?:{name}@{server}.GA"
        return _parse_one(text)

    def workbin(self, ctx: ActionContext) -> str | None:
        """`<queue:workbin name>` among the targets: the selected agent's workbin of that name takes
        the interaction instead of the agent (the resource is {type: 'wb', id, wb_owner})."""
        for child in ctx.node.element:
            module, name = _local(child)
            if module == MODULE and name == "targets":
                for item in child:
                    if _local(item) == (MODULE, "workbin"):
                        value = _evaluate(ctx.interp, item, "name", "<workbin>")
                        if value in (None, ""):
                            raise ActionError("invaliddestination", "<workbin> has no name")
                        return str(value)
        return None

    def _target_element(self, interp, child, default_type, default_server) -> Target:
        word = (child.get("type") or default_type or "agent").strip()
        type_code = TYPE_WORDS.get(word.lower(), word.upper())
        name = _evaluate(interp, child, "name", "<target>")
        server = _evaluate(interp, child, "statserver", "<target>") or default_server or ""
        # Composer writes a skill target as skillexpr="..." (with a statserver), hand-written
        # strategies as skill="..." or as type="skill" name="...".
        skill = _evaluate(interp, child, "skillexpr", "<target>") or _evaluate(interp, child, "skill", "<target>")
        if word.lower() == "skill" and not skill:
            skill, name = name, ""
        text = f"?{name or ''}:{skill}@{server}.{type_code}" if skill else f"{name}@{server}.{type_code}"
        threshold = _evaluate(interp, child, "threshold", "<target>")
        weight = _evaluate(interp, child, "weight", "<target>")
        prefix = (f"{{{threshold}}}" if threshold else "") + (f"[{weight}]" if weight not in (None, "") else "")
        if not skill and name in (None, ""):
            raise ActionError("invaliddestination", "<target> has no name")
        return _parse_one(prefix + text)

class _ByRequestId(ModuleAction):
    """Cancel and query: `requestid` names the submit, so it is evaluated, never written."""

    module = MODULE
    prefix = "queue"
    expressions: tuple[str, ...] = ("requestid", "interactionid", "queue", "hints")

    requestid_names_earlier_request = True


class Update(_ByRequestId):
    """`<queue:update requestid="<the submit's id>" priority>` (or `interactionid` for every submit of
    the interaction): a new priority, taken from now on; a `<dialog:runtreatments>` child replaces
    the treatments played while it waits. Answer: `queue.update.done` {requestid}."""

    name = "update"
    expressions: tuple[str, ...] = _ByRequestId.expressions + ("priority",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        router = world.router
        given = ctx.args.get("requestid")
        if given not in (None, ""):
            entries = [router.entries[str(given)]] if str(given) in router.entries else []
            what = f"submit {given!r}"
        else:
            ixn = ctx.args.get("interactionid")
            if ixn in (None, ""):
                raise ActionError("invalidrequest", "<update> needs 'requestid' or 'interactionid'")
            ixn = world.resolve_interaction(ctx.session, ixn, allow_detached=True)
            entries = [e for e in router.entries.values() if e.interaction_id == ixn]
            what = f"interaction {ixn!r}"
        if not entries:
            raise ActionError("invalidrequest", f"<update>: {what} is not waiting in a queue")
        priority = _integer(ctx.args["priority"], "priority") if "priority" in ctx.args else None
        for entry in entries:
            router.update(entry, priority=priority)
            if any(_local(c) == ("dialog", "runtreatments") for c in ctx.node.element):
                if entry.stop_treatments is not None:
                    entry.stop_treatments()
                entry.stop_treatments = treatments_while_queued(ctx, world, entry.interaction_id)
        world.later(lambda: ctx.emit("queue.update.done", {"requestid": ctx.requestid}))


class Cancel(_ByRequestId):
    name = "cancel"

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        router = world.router
        given = ctx.args.get("requestid")
        if given not in (None, ""):
            if str(given) not in router.entries and str(given) not in router.finished:
                raise ActionError("invalidrequest", f"<cancel>: no submit with request id {given!r}")
            router.cancel(requestid=str(given))
        else:
            ixn = ctx.args.get("interactionid")
            if ixn in (None, ""):
                raise ActionError("invalidrequest", "<cancel> needs 'requestid' or 'interactionid'")
            if ixn in ("0", 0):
                ixn = world.resolve_interaction(ctx.session, ixn, allow_detached=True)
            router.cancel(interaction_id=str(ixn), vq=ctx.args.get("queue"))
        world.later(lambda: ctx.emit("queue.cancel.done", {"requestid": ctx.requestid}))


class Query(_ByRequestId):
    name = "query"

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        if ctx.args.get("requestid") in (None, ""):
            raise ActionError("invalidrequest", "<query> needs 'requestid': the id of a submit")
        found = world.router.position(ctx.requestid)
        if found is None:
            raise ActionError("invalidrequest", f"<query>: submit {ctx.requestid!r} is not waiting in a queue")
        world.later(lambda: ctx.emit("queue.query.done", {"requestid": ctx.requestid, **found}))


def treatments_while_queued(ctx: ActionContext, world: OrsWorld, interaction_id: str | None) -> Callable[[], None] | None:
    """A `<dialog:runtreatments>` child (of submit or update) plays while the submit waits, if the
    dialog module offers `start_while_queued(ctx, element, interaction_id) -> stop()`."""
    for child in ctx.node.element:
        module, name = _local(child)
        if module == "dialog" and name == "runtreatments":
            handler = world.extensions.find_action(child.tag[1:].partition("}")[0], name)
            start = getattr(handler, "start_while_queued", None)
            if start is not None:
                return start(ctx, child, interaction_id)
    return None


def _parse_one(text: str) -> Target:
    try:
        return parse_target(text)
    except TargetSyntaxError as exc:
        raise ActionError("invalidtarget", f"<submit>: {exc}") from None


def _parse_list(value: Any) -> list[Target]:
    if isinstance(value, list):
        return [t for item in value for t in _parse_list(item)]
    try:
        return parse_targets(str(value) if value is not None else "")
    except TargetSyntaxError as exc:
        raise ActionError("invalidtarget", f"<submit>: {exc}") from None


def _integer(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionError("unknown", f"<submit> {what} {value!r} is not a number") from None
    return 0 if math.isnan(number) else int(number)


def _seconds(value: Any) -> float | None:
    """Seconds to wait; absent, 0, negative or not a number (Composer's toNumber(undefined)) = no limit."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


ACTIONS: list[type[ModuleAction]] = [Submit, Update, Cancel, Query]


def queue_actions() -> dict[tuple[str, str], ModuleAction]:
    return {(MODULE, cls.name): cls() for cls in ACTIONS}

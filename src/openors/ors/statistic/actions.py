"""`<statistic:subscribe>` / `<statistic:unsubscribe>` (ORS-SPEC §5.8).

    <statistic:subscribe object="'alice@StatServer.A'" statistic="'StatTimeInReadyState'" interval="0"/>

`interval` 0 (or absent): a `statistic.update` whenever the value changes; N > 0: checked every N
seconds and sent when it changed. The first update follows `statistic.subscribe.done` at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..actions import ActionContext, ActionError, ModuleAction
from .definitions import statistic_name
from .stats import PREDEFINED, object_key

if TYPE_CHECKING:
    from ..world import OrsWorld

MODULE = "statistic"


class _StatisticAction(ModuleAction):
    module = MODULE
    prefix = "statistic"
    expressions: tuple[str, ...] = ("object", "statistic", "interval", "hints")
    required: tuple[str, ...] = ("object", "statistic")

    def names(self, ctx: ActionContext) -> tuple[str, str, str]:
        obj, given = ctx.args.get("object"), ctx.args.get("statistic")
        key = object_key(obj)
        if key is None:
            raise ActionError("Request Invalid", f"<{self.name}> object {obj!r} is not in target format (name@server.TYPE)")
        statistic = statistic_name(given)  # a name, or a Direct Statistic Definition (definitions.py)
        if statistic is None:
            raise ActionError("Request Invalid", f"<{self.name}> statistic {given!r} is not one this server computes "
                                                 f"({', '.join(PREDEFINED)}, or a definition of one)")
        return str(obj), key, statistic


class Subscribe(_StatisticAction):
    name = "subscribe"

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        obj, key, statistic = self.names(ctx)
        service = world.statistic_service
        if (obj, statistic) in service.subscriptions.get(ctx.session_id, {}):
            raise ActionError("Subscription Already Active", f"{statistic} of {obj} is already subscribed")
        try:
            interval = float(ctx.args.get("interval") or 0)
        except (TypeError, ValueError):
            raise ActionError("Request Invalid", f"<subscribe> interval {ctx.args.get('interval')!r} is not a number") \
                from None
        sub = service.subscribe(ctx.session, obj, key, statistic, max(0.0, interval))

        def confirm():
            ctx.emit(self.done_name(), {"requestid": ctx.requestid})
            service.send(ctx.session_id, sub, always=True)

        world.later(confirm)


class Unsubscribe(_StatisticAction):
    name = "unsubscribe"

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        obj, _, statistic = self.names(ctx)
        if not world.statistic_service.unsubscribe(ctx.session, obj, statistic):
            raise ActionError("Request Invalid", f"no subscription to {statistic} of {obj}")
        world.later(lambda: ctx.emit(self.done_name(), {"requestid": ctx.requestid}))


def statistic_actions() -> dict[tuple[str, str], ModuleAction]:
    return {(MODULE, cls.name): cls() for cls in (Subscribe, Unsubscribe)}

"""`<classification:classify root>` and `<classification:screen rules>` (ORS-SPEC §1.1).

Both read the interaction's text (an e-mail's subject and body, an SMS, a chat's messages), answer
`classification.<action>.done` with their results and attach the categories found to the
interaction, where `_genesys.ixn.interactions[x].categories` shows them (as an interaction
property, so the session also hears `interaction.property.changed` before the done event).
Failures are `error.classification.<action>` with the documented code `Request Invalid`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..actions import ActionContext, ActionError, ModuleAction
from .rules import RuleError, classify, read_categories, read_rules, screen

if TYPE_CHECKING:
    from ..world import OrsWorld

INVALID = "Request Invalid"


class _ClassificationAction(ModuleAction):
    module = "classification"
    prefix = "classification"
    expressions: tuple[str, ...] = ("interactionid", "server", "hints", "language")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        try:
            ixn = world.resolve_interaction(ctx.session, ctx.args.get("interactionid"), allow_detached=True)
        except ActionError as exc:
            raise ActionError(INVALID, exc.description) from None
        snap = world.platform.get_interaction(ixn) or {}
        if snap.get("category") not in ("msgbased", "chat"):
            raise ActionError(INVALID, f"interaction {ixn} has no text to classify (it is {snap.get('category')})")
        lists = world.session_module.config.lists
        try:
            done, categories = self.results(ctx, interaction_text(snap), lists)
        except RuleError as exc:
            raise ActionError(INVALID, str(exc)) from None
        done = {"requestid": ctx.requestid, **done}
        world.request(ctx, self, lambda: world.platform.update_properties(ixn, {"categories": categories}),
                      lambda ev: ctx.emit(self.done_name(), done), interactionid=ixn)

    def results(self, ctx: ActionContext, text: str, lists: dict) -> tuple[dict, list[dict]]:
        raise NotImplementedError


class Classify(_ClassificationAction):
    """`root`: the category whose sub-categories the text is scored against (required)."""

    name = "classify"
    expressions: tuple[str, ...] = _ClassificationAction.expressions + ("root",)
    required: tuple[str, ...] = ("root",)

    def results(self, ctx: ActionContext, text: str, lists: dict) -> tuple[dict, list[dict]]:
        found = classify(text, read_categories(lists), str(ctx.args.get("root") or ""))
        return {"categories": found}, found


class Screen(_ClassificationAction):
    """`rules`: a rule name or id, or an array of them (default: every screening rule)."""

    name = "screen"
    expressions: tuple[str, ...] = _ClassificationAction.expressions + ("rules",)

    def results(self, ctx: ActionContext, text: str, lists: dict) -> tuple[dict, list[dict]]:
        wanted = _names(ctx.args.get("rules"))
        met, categories = screen(text, read_rules(lists), read_categories(lists), wanted)
        return {"rules": met, "categories": categories}, categories


def _names(value: Any) -> list[str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def interaction_text(snap: dict) -> str:
    props = snap.get("properties") or {}
    parts = [str(props.get(k) or "") for k in ("subject", "body")]
    parts += [str(m.get("text") or "") for m in snap.get("transcript") or [] if isinstance(m, dict)]
    return "\n".join(p for p in parts if p)

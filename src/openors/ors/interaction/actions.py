"""The actions of the interaction namespace (`www.genesyslab.com/modules/interaction`):
common, voice, message-based and chat (ORS-SPEC §5.1-§5.4).

Each class names its attributes and maps the request onto the platform. Where the reference is
silent about an attribute, the choice is written next to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..actions import ActionContext, ActionError, ModuleAction

if TYPE_CHECKING:
    from collections.abc import Callable

    from openors.platform.events import PlatformEvent

    from ..world import OrsWorld

MODULE = "interaction"


def _resource(value: Any) -> Any:
    """A resource as the platform takes it: strings as they are; objects of §4.3.3 reduced to
    what addresses them (the queue module's `resource` objects pass straight through)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v not in (None, "")}
    if value is None:
        return None
    return str(value)


def _device(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("dn", "agent", "place", "id"):
            if value.get(key):
                return str(value[key])
        return None
    return None if value in (None, "") else str(value)


def _join(ctx: ActionContext, world, ixn_id: str | None) -> None:
    """An interaction an action created becomes the session's, unless another session has it."""
    if ixn_id and ctx.session is not None and world.owner.get(ixn_id) is None:
        world.associate(ctx.session, ixn_id)


class InteractionAction(ModuleAction):
    module = MODULE
    prefix = "interaction"
    # On success, besides requestid: interactionid unless the catalogue says otherwise.
    done_fields: tuple[str, ...] = ("interactionid",)

    def target(self, ctx: ActionContext, world: OrsWorld, *, allow_detached: bool = False) -> str:
        given = ctx.args.get("interactionid")
        try:
            return world.resolve_interaction(ctx.session, given, allow_detached=allow_detached)
        except ActionError as exc:
            # The error names the interaction asked about (one the session no longer owns, or
            # never had), as the seed's error events carry `interactionid`.
            if given not in (None, "", "0", 0):
                exc.extra.setdefault("interactionid", str(given))
            raise

    def done(self, ctx: ActionContext, **fields) -> None:
        data = {"requestid": ctx.requestid}
        for name in self.done_fields:
            if fields.get(name) is not None:
                data[name] = fields[name]
        ctx.emit(self.done_name(), data)

    def platform_request(self, ctx: ActionContext, world: OrsWorld, call: Callable[[], str], ixn_id: str | None, on_failed: Callable[[], None] | None = None,
                         **done_fields) -> None:
        def on_done(ev) -> None:
            fields = {"interactionid": ixn_id, **done_fields}
            self.on_platform_done(ctx, world, ev, fields)
            self.done(ctx, **fields)
            self.after_done(ctx, world, fields)

        world.request(ctx, self, call, on_done, interactionid=ixn_id, on_failed=on_failed)

    def after_done(self, ctx: ActionContext, world: OrsWorld, fields: dict) -> None:
        """What follows the .done event (events the session must see after it)."""

    def on_platform_done(self, ctx: ActionContext, world: OrsWorld, ev: PlatformEvent, fields: dict) -> None:
        """Adjust the done fields or the session's interactions once the platform confirmed."""


# --- common -------------------------------------------------------------------------------------


class Terminate(InteractionAction):
    name = "terminate"
    expressions: tuple[str, ...] = ("interactionid", "reason", "resource", "hints")
    required: tuple[str, ...] = ("interactionid",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        device = _device(ctx.args.get("resource"))
        self.platform_request(ctx, world, lambda: world.platform.terminate(
            ixn, reason=ctx.args.get("reason"), device=device), ixn)


class Redirect(InteractionAction):
    name = "redirect"
    expressions: tuple[str, ...] = ("interactionid", "from", "to", "type", "hints", "udata", "location")
    literals: tuple[str, ...] = ("detach",)
    required: tuple[str, ...] = ("to",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world, allow_detached=True)
        to = ctx.args.get("to")
        if to in (None, ""):
            raise ActionError("invaliddestination", "<redirect>: 'to' is empty")
        route_type = ctx.args.get("type")
        detach = self._detaches(ctx)
        session = ctx.session  # live during this macrostep; the callback looks it up again
        self.platform_request(ctx, world, lambda: world.platform.route(
            ixn, _resource(to), source=_device(ctx.args.get("from")),
            route_type="default" if route_type in (None, "") else str(route_type),
            udata=ctx.args.get("udata"), hints=ctx.args.get("hints")), ixn,
            on_failed=(lambda: world.reown(ctx.session, ixn)) if detach else None)
        if detach:
            # Ownership goes now: the switch puts the call on its new routing point before it
            # confirms, and the session started there must be able to take it (ORS-SPEC §3.4).
            # The interaction stays in this session's view until redirect.done (Composer reads it
            # in the state that handles the done event); notcontrolled and deleted follow done.
            world.disown(session, ixn)

    @staticmethod
    def _detaches(ctx) -> bool:
        return str(ctx.args.get("detach", "")).lower() == "true"

    def on_platform_done(self, ctx: ActionContext, world: OrsWorld, ev: PlatformEvent, fields: dict) -> None:
        session, ixn = ctx.session, fields["interactionid"]
        if not self._detaches(ctx):
            view = world.session_state(session).views.get(ixn) or {}
            if view.get("category") != "voice":
                world.lose_control(session, ixn, "routing")

    def after_done(self, ctx: ActionContext, world: OrsWorld, fields: dict) -> None:
        if self._detaches(ctx):
            world.release(ctx.session, fields["interactionid"], "detaching", keep_actions=True)


class Accept(InteractionAction):
    name = "accept"
    expressions: tuple[str, ...] = ("interactionid", "resource", "hints")
    required: tuple[str, ...] = ("resource",)
    done_fields = ()

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        self.platform_request(ctx, world, lambda: world.platform.answer(ixn, _resource(ctx.args["resource"])), ixn)


class Clear(InteractionAction):
    name = "clear"
    expressions: tuple[str, ...] = ("interactionid", "resource", "hints")
    required: tuple[str, ...] = ("resource",)
    done_fields = ("interactionid", "resource")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        device = _device(ctx.args["resource"])
        self.platform_request(ctx, world, lambda: world.platform.clear(ixn, device), ixn, resource=device)


class Attach(InteractionAction):
    """Take (back) control of an interaction: the parent of a consult call, or one detached."""

    name = "attach"
    expressions: tuple[str, ...] = ("interactionid", "hints")
    required: tuple[str, ...] = ("interactionid",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = str(ctx.args["interactionid"])
        snap = world.platform.get_interaction(ixn)
        if snap is None or snap.get("state") == "null" and snap.get("parties") == []:
            raise ActionError("nointeraction", f"interaction '{ixn}' does not exist")
        owner = world.owner.get(ixn)
        if owner is not None and owner != ctx.session_id:
            raise ActionError("unknown", f"interaction '{ixn}' is controlled by session {owner}")

        def attach():
            if ctx.session is None:
                return  # the session ended before this ran
            self.done(ctx, interactionid=ixn)
            if world.owner.get(ixn) != ctx.session_id:
                world.associate(ctx.session, ixn)
            else:
                state = world.session_state(ctx.session)
                if ixn not in state.controlled:
                    state.controlled.add(ixn)
                    world.deliver(ctx.session, "interaction.present", {"interactionid": ixn})

        world.later(attach)


class Detach(InteractionAction):
    """Give up control without ending the interaction; a later <redirect> by this session is
    still allowed (Composer detaches, then redirects)."""

    name = "detach"
    expressions: tuple[str, ...] = ("interactionid", "hints")
    required: tuple[str, ...] = ("interactionid",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        snap = world.platform.get_interaction(ixn) or {}
        if snap.get("state") in ("ringing", "transferring"):
            raise ActionError("invalidstate", f"interaction '{ixn}' is {snap['state']} and cannot be detached now")

        def detach():
            if ctx.session is None:
                return  # the session ended before this ran
            self.done(ctx, interactionid=ixn)
            world.release(ctx.session, ixn, "detaching", keep_actions=True)

        world.later(detach)


class Associate(InteractionAction):
    """Move an interaction to another session. Chosen attribute for the target: `sessionid`."""

    name = "associate"
    expressions: tuple[str, ...] = ("interactionid", "sessionid", "hints")
    required: tuple[str, ...] = ("interactionid", "sessionid")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        target_id = str(ctx.args["sessionid"])
        if world.host.sessions.get(target_id) is None:
            raise ActionError("invalidserver", f"no session '{target_id}' on this server")

        def move():
            self.done(ctx, interactionid=ixn)
            target = world.host.sessions.get(target_id)  # by id: it may have been evicted meanwhile
            if target is not None:
                world.associate(target, ixn)

        world.later(move)


class SingleStepTransfer(InteractionAction):
    name = "singlesteptransfer"
    expressions: tuple[str, ...] = ("interactionid", "from", "to", "location", "hints")
    literals: tuple[str, ...] = ("detach",)
    required: tuple[str, ...] = ("to",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world, allow_detached=True)
        self.platform_request(ctx, world, lambda: self.call(world)(
            ixn, _device(ctx.args.get("from")), _resource(ctx.args["to"])), ixn)

    def call(self, world: OrsWorld) -> Callable[..., str]:
        return world.platform.single_step_transfer


class SingleStepConference(SingleStepTransfer):
    name = "singlestepconference"

    def call(self, world: OrsWorld) -> Callable[..., str]:
        return world.platform.single_step_conference


# --- voice --------------------------------------------------------------------------------------


class VoiceAction(InteractionAction):
    prefix = "voice"
    expressions: tuple[str, ...] = ("interactionid", "resource", "hints")
    required: tuple[str, ...] = ("interactionid",)

    def device(self, ctx: ActionContext, world: OrsWorld, ixn: str) -> str:
        device = _device(ctx.args.get("resource"))
        if device is None:
            raise ActionError("invalidsource", f"<{self.name}> needs 'resource': the device that acts")
        return device


class CreateCall(VoiceAction):
    name = "createcall"
    expressions: tuple[str, ...] = ("from", "to", "udata", "hints")
    literals: tuple[str, ...] = ("type",)
    required: tuple[str, ...] = ("from", "to")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        call_type = ctx.args.get("type", "regular")
        if call_type not in ("regular", "agent", "supervisor", "priority", "agentpriority", "predictive"):
            raise ActionError("unknown", f"<createcall> type '{call_type}' is not one of the documented types")
        world.request(ctx, self, lambda: world.platform.make_call(
            _resource(ctx.args["from"]), _resource(ctx.args["to"]), call_type=call_type,
            udata=ctx.args.get("udata"), hints=ctx.args.get("hints")),
            lambda ev: self._created(ctx, world, ev))

    def _created(self, ctx, world: OrsWorld, ev):
        data = {"requestid": ctx.requestid, "interactionid": ev.interaction_id}
        if ev.callstate is not None:
            data["callstate"] = ev.callstate
        # The new call joins the session (interaction.added, .present) before the done event that
        # names it, so `_genesys.ixn.interactions[_event.data.interactionid]` is there to read.
        _join(ctx, world, ev.interaction_id)
        ctx.emit(self.done_name(), data)


class Consultation(VoiceAction):
    """Start a consultation call from `resource` to `to`; done carries the consult call's id,
    which joins the session's interactions."""

    name = "consultation"
    expressions: tuple[str, ...] = ("interactionid", "resource", "to", "udata", "hints")
    required: tuple[str, ...] = ("interactionid", "to")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        device = self.device(ctx, world, ixn)
        world.request(ctx, self, lambda: world.platform.initiate_consultation(
            ixn, device, _resource(ctx.args["to"]), udata=ctx.args.get("udata")),
            lambda ev: self._started(ctx, world, ev), interactionid=ixn)

    def _started(self, ctx, world: OrsWorld, ev):
        consult = (ev.data or {}).get("consult_interaction_id") or ev.interaction_id
        _join(ctx, world, consult)  # added before done, as for <createcall>
        ctx.emit(self.done_name(), {"requestid": ctx.requestid, "interactionid": consult})


def _simple_voice(action_name: str, method: str):
    class _Action(VoiceAction):
        name = action_name

        def run(self, ctx: ActionContext, world: OrsWorld) -> None:
            ixn = self.target(ctx, world)
            device = self.device(ctx, world, ixn)
            self.platform_request(ctx, world, lambda: getattr(world.platform, method)(ixn, device), ixn)

    _Action.__name__ = action_name.capitalize()
    return _Action


Hold = _simple_voice("hold", "hold")
Retrieve = _simple_voice("retrieve", "retrieve")
Alternate = _simple_voice("alternate", "alternate")
Reconnect = _simple_voice("reconnect", "reconnect")
Conference = _simple_voice("conference", "complete_conference")
Transfer = _simple_voice("transfer", "complete_transfer")


class PrivateService(VoiceAction):
    name = "privateservice"
    expressions: tuple[str, ...] = ("interactionid", "resource", "serviceid", "data", "hints")
    required: tuple[str, ...] = ("interactionid", "serviceid")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        try:
            service = int(ctx.args["serviceid"])
        except (TypeError, ValueError):
            raise ActionError("unknown", f"<privateservice> serviceid {ctx.args['serviceid']!r} is not a number") \
                from None
        device = _device(ctx.args.get("resource"))
        self.platform_request(ctx, world, lambda: world.platform.private_service(
            ixn, device, service, ctx.args.get("data")), ixn)


# --- message-based ---------------------------------------------------------------------------------


class CreateMessage(InteractionAction):
    """Create a message (and its interaction, which joins the session). `interactionid` names the
    parent message; `send="true"` sends it at once (our choice for the reference's gap)."""

    name = "createmessage"
    prefix = "msgbased"
    expressions: tuple[str, ...] = ("interactionid", "server", "from", "to", "subject", "body", "text", "srid", "queue", "udata",
                   "hints", "media")
    literals: tuple[str, ...] = ("type", "send")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        parent = None
        if ctx.args.get("interactionid") not in (None, ""):
            parent = self.target(ctx, world)
        media = str(ctx.args.get("media") or "TMediaEMail")
        world.request(ctx, self, lambda: world.platform.create_message(
            media=media, message_type=ctx.args.get("type", "outbound_new"), parent_id=parent,
            to=ctx.args.get("to"), from_=ctx.args.get("from"), subject=ctx.args.get("subject"),
            body=ctx.args.get("body", ctx.args.get("text")), srid=ctx.args.get("srid"),
            queue=ctx.args.get("queue"), server=ctx.args.get("server"), udata=ctx.args.get("udata")),
            lambda ev: self._created(ctx, world, ev))

    def _created(self, ctx, world: OrsWorld, ev):
        data = {"requestid": ctx.requestid, "interactionid": ev.interaction_id}
        srid = (ev.data or {}).get("srid")
        if srid:
            data["srid"] = srid
        _join(ctx, world, ev.interaction_id)  # added before done, as for <createcall>
        ctx.emit(self.done_name(), data)
        if str(ctx.args.get("send", "")).lower() == "true":
            world.platform.send_message(ev.interaction_id)


class SendMessage(InteractionAction):
    name = "sendmessage"
    prefix = "msgbased"
    expressions: tuple[str, ...] = ("interactionid", "queue", "server", "hints")
    done_fields = ()

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        self.platform_request(ctx, world, lambda: world.platform.send_message(ixn, queue=ctx.args.get("queue")), ixn)


# --- chat -------------------------------------------------------------------------------------------


class SendChatMessage(InteractionAction):
    name = "sendchatmessage"
    prefix = "chat"
    expressions: tuple[str, ...] = ("interactionid", "from", "message", "type", "hints")
    required: tuple[str, ...] = ("from", "message")
    done_fields = ()

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        self.platform_request(ctx, world, lambda: world.platform.send_chat_message(
            ixn, str(ctx.args["from"]), str(ctx.args["message"]),
            message_type=str(ctx.args.get("type") or "Message")), ixn)


class GetTranscript(InteractionAction):
    name = "gettranscript"
    prefix = "chat"
    expressions: tuple[str, ...] = ("interactionid", "hints")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)

        def on_done(ev):
            world.refresh(ctx.session, ixn)
            transcript = (ev.data or {}).get("transcript") or []
            ctx.emit(self.done_name(), {"requestid": ctx.requestid, "transcript": transcript})

        world.request(ctx, self, lambda: world.platform.get_transcript(ixn), on_done, interactionid=ixn)


class GetContent(InteractionAction):
    name = "getcontent"
    prefix = "chat"
    expressions: tuple[str, ...] = ("interactionid", "hints")
    done_fields = ()

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        ixn = self.target(ctx, world)
        self.platform_request(ctx, world, lambda: world.platform.get_content(ixn), ixn)

    def on_platform_done(self, ctx: ActionContext, world: OrsWorld, ev: PlatformEvent, fields: dict) -> None:
        world.refresh(ctx.session, fields["interactionid"])


ACTIONS: list[type[ModuleAction]] = [
    Terminate, Redirect, Accept, Clear, Attach, Detach, Associate, SingleStepTransfer, SingleStepConference,
    CreateCall, Hold, Retrieve, Consultation, Alternate, Reconnect, Conference, Transfer, PrivateService,
    CreateMessage, SendMessage, SendChatMessage, GetTranscript, GetContent,
]


def interaction_actions() -> dict[tuple[str, str], ModuleAction]:
    return {(MODULE, cls.name): cls() for cls in ACTIONS}

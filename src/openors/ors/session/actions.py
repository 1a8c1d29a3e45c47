"""`<session:start>`, `<session:updatestart>`, `<session:terminate>` and `<session:response>`
(ORS-SPEC §5.7; the attributes are our choice
where the reference is silent, [I] in the spec).

    <session:start srcexpr="'other.scxml'" requestid="rid" sessionid="newId">
      <param name="ani" expr="'5551234'"/>      <!-- fills <data id="ani"> of the new session -->
    </session:start>                             -> session.start.done {requestid, sessionid}

    <session:terminate sessionid="newId"/>       -> session.terminate.done {requestid, sessionid}

A relative `src` is resolved against the starting document. Without `sessionid`, terminate ends
the session itself (no event: nobody is left to hear it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openors.scxml.errors import ExecutionError, ScxmlLoadError
from openors.scxml.events import Event
from openors.scxml.resources import resolve_url
from openors.scxml.sources import SourceError

from ..actions import ActionContext, ActionError, ModuleAction
from .schedule import new_session_id, scheduled_delay

if TYPE_CHECKING:
    from openors.scxml import Session, SessionHost

    from ..world import OrsWorld


class SessionAction(ModuleAction):
    module = "session"
    prefix = "session"


class Start(SessionAction):
    """With `idealtime` (when to start: a Date, milliseconds since 1970 as `Date.getTime()` gives,
    or an ISO 8601 string, on the sessions' clock) later than now, the new session's id is given
    out at once (`session.start.done`, the `sessionid` location) and the session starts then;
    `<session:updatestart>` moves that time."""

    name = "start"
    expressions: tuple[str, ...] = ("srcexpr", "idealtime", "hints")
    literals: tuple[str, ...] = ("src", "sessionid")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        src = ctx.args.get("srcexpr", ctx.args.get("src"))
        if src in (None, ""):
            raise ActionError("unknown", "<session:start> needs 'src' or 'srcexpr': the document to start")
        url = resolve_url(str(src), ctx.interp.doc.url)
        params = self.params(ctx)
        try:
            world.host.sources.check_reference(url, ctx.interp.doc.url)
            world.document_for(url)  # load now, so a bad document is this request's error
        except (ScxmlLoadError, SourceError) as exc:
            raise ActionError("unknown", f"<session:start> cannot load {url}: {exc}") from None

        delay = scheduled_delay(world, ctx.args.get("idealtime"))
        if delay > 0:
            session_id = new_session_id()
            world.schedules.add(session_id, url, params, delay)
            self.started(ctx, session_id)
            return

        def start() -> None:
            session = world.start_session(url, params=params)
            if session is None:
                self.fail(ctx.interp, ctx.requestid, ActionError("unknown", f"<session:start>: {url} did not start"))
                return
            self.started(ctx, session.id)

        world.later(start)

    def started(self, ctx: ActionContext, session_id: str) -> None:
        location = ctx.node.attributes.get("sessionid")
        interp = ctx.interp  # looked up now: None if the starting session ended meanwhile
        if location and interp is not None and interp.running:
            try:
                interp.datamodel.assign_value(location, session_id)
            except ExecutionError:
                pass  # the done event still carries the id
        ctx.emit(self.done_name(), {"requestid": ctx.requestid, "sessionid": session_id})

    def params(self, ctx: ActionContext) -> dict:
        return param_values(ctx, "<session:start>")



def param_values(ctx: ActionContext, where: str) -> dict:
    """The `<param name expr>` children of an action, evaluated."""
    out = {}
    for child in ctx.node.element:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "param" and child.get("name"):
            try:
                out[child.get("name")] = ctx.interp.datamodel.evaluate(child.get("expr") or "undefined")
            except ExecutionError as exc:
                raise ActionError("unknown", f"{where} <param name='{child.get('name')}'>: {exc}") from None
    return out


class UpdateStart(SessionAction):
    """`<session:updatestart sessionid idealtime>`: moves the start of a session scheduled by
    `<session:start idealtime>` (a time not later than now starts it at once). A session that
    already started, or an unknown id, is `error.session.updatestart`."""

    name = "updatestart"
    expressions: tuple[str, ...] = ("sessionid", "idealtime", "hints")
    required: tuple[str, ...] = ("sessionid",)

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        session_id = str(ctx.args.get("sessionid") or "")
        delay = scheduled_delay(world, ctx.args.get("idealtime"))
        if not world.schedules.move(session_id, delay):
            raise ActionError("unknown", f"<session:updatestart>: no session '{session_id}' waits to start "
                              "(unknown, or already started)", sessionid=session_id)
        world.later(lambda: ctx.emit(self.done_name(), {"requestid": ctx.requestid, "sessionid": session_id}))


class Terminate(SessionAction):
    name = "terminate"
    expressions: tuple[str, ...] = ("sessionid", "hints")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        target_id = ctx.args.get("sessionid")
        target_id = ctx.session_id if target_id in (None, "") else str(target_id)
        target = world.host.sessions.get(target_id)
        if target is None:
            raise ActionError("unknown", f"<session:terminate>: no session '{target_id}' on this server",
                              sessionid=target_id)

        def terminate() -> None:
            live = world.host.sessions.get(target_id)  # by id: it may have been evicted meanwhile
            if live is not None:
                end_session(world.host, live)
            if target_id != ctx.session_id:
                ctx.emit(self.done_name(), {"requestid": ctx.requestid, "sessionid": target_id})

        world.later(terminate)


class Response(SessionAction):
    """`<session:response>`: answer the `/scxml/session/{id}/request/{name}` call being handled.

        <transition event="balance">
          <session:response><param name="balance" expr="account.balance"/></session:response>
        </transition>

    The reply is the `expr` value, or the params as an object. It goes back the way the request
    came (`_event.origin` through the I/O processor of `_event.origintype`), so the module needs
    nothing from the server; `origin`/`origintype` may name another request explicitly."""

    name = "response"
    expressions: tuple[str, ...] = ("expr", "origin", "origintype", "hints")

    def run(self, ctx: ActionContext, world: OrsWorld) -> None:
        event = ctx.interp.current_event
        origin = ctx.args.get("origin") or (event.origin if event else None)
        origintype = ctx.args.get("origintype") or (event.origintype if event else None)
        processor = world.host.ioprocessors.get(origintype) if origintype else None
        if not origin or processor is None:
            raise ActionError("unknown", "<session:response>: the current event is not a /request/ call")
        data = ctx.args["expr"] if "expr" in ctx.args else param_values(ctx, "<session:response>")
        reply = Event("response", "external", data)
        processor.send(world.host, ctx.session, {"target": origin, "type": origintype, "sendid": None,
                                                 "delay": 0.0, "event": "response", "data": data}, reply)
        ctx.emit(self.done_name(), {"requestid": ctx.requestid})


def end_session(host: SessionHost, session: Session) -> None:
    """End a session from outside: its states exit (onexit runs), no done event."""
    host.terminate(session)

"""`<invoke>` of SCXML documents: children started, cancelled, forwarded to, and their done events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ExecutionError, ScxmlLoadError
from .events import Event
from .parser import load_document, load_string
from .resources import resolve_url
from .sources import SourceError
from .values import XmlValue

if TYPE_CHECKING:
    from collections.abc import Callable

    from . import model as m
    from .extensions import Extensions
    from .interpreter import Interpreter
    from .session import Session, SessionHost

SCXML_INVOKE_TYPES = {"scxml", "http://www.w3.org/TR/scxml", "http://www.w3.org/TR/scxml/",
                      "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"}


class Invoker:
    def __init__(self, host: SessionHost, document_loader: Callable[[str], m.Document] | None = None):
        self.host = host
        self.document_loader = document_loader  # url -> Document; default: load and cache here
        self._documents: dict[tuple[str, int], m.Document] = {}

    def start(self, interp: Interpreter, req: dict, node: m.Invoke) -> None:
        session = interp.session
        inv_type = req["type"]
        if inv_type is not None and inv_type not in SCXML_INVOKE_TYPES:
            raise ExecutionError(f"<invoke> type '{inv_type}' is not supported")
        document = self._invoked_document(req, node, interp.doc.extensions or self.host.extensions)
        invokeid = req["invokeid"]
        child = self.host.create_session(document, parent=session, invokeid=invokeid)
        session.children[invokeid] = child
        params = req["data"] if isinstance(req["data"], dict) else None
        child.start(params)

    def _invoked_document(self, req: dict, node: m.Invoke, extensions: Extensions | None) -> m.Document:
        sources = self.host.sources
        try:
            content = req["content"]
            if content is not None:
                text = content.xml if isinstance(content, XmlValue) else str(content)
                return load_string(text, node.url, extensions)
            if req["src"] is None:
                raise ExecutionError("<invoke> needs 'src', 'srcexpr' or <content>")
            url = resolve_url(str(req["src"]), node.url)
            sources.check_reference(url, node.url)
            document = self._documents.get((url, id(extensions)))
            if document is None:
                loader = self.document_loader or (lambda u: load_document(u, extensions, sources))
                document = self._documents[(url, id(extensions))] = loader(url)
            return document
        except (ScxmlLoadError, SourceError) as exc:
            raise ExecutionError(f"<invoke> cannot load the document: {exc}") from None

    def cancel(self, interp: Interpreter, invokeid: str) -> None:
        session = interp.session
        child = session.children.pop(invokeid, None)
        if child is not None:  # a child that already finished has nothing left to cancel
            session.cancelled_invokes.add(invokeid)
            child.interpreter.cancel()
            self.host.end_session(child)

    def forward(self, interp: Interpreter, invokeid: str, event: Event) -> None:
        child = interp.session.children.get(invokeid)
        if child is not None:
            self.host.scheduler.deliver(child, Event(event.name, event.type, event.data, event.sendid,
                                                     event.origin, event.origintype, event.invokeid))

    def done(self, interp: Interpreter, donedata: Any) -> None:
        session = interp.session
        session.done_data = donedata
        parent = session.parent
        if parent is not None and session.invokeid in parent.children:
            parent.children.pop(session.invokeid, None)
            self.host.scheduler.deliver(parent, Event(f"done.invoke.{session.invokeid}", "external",
                                                      donedata, invokeid=session.invokeid))

    def end_children(self, session: Session) -> None:
        """The session ends: its children end with it, and their late events are ignored."""
        for invokeid, child in list(session.children.items()):
            session.children.pop(invokeid, None)
            session.cancelled_invokes.add(invokeid)
            child.interpreter.running = False
            self.end_children(child)
            self.host.end_session(child)

"""SCXML text -> validated document model.

Every problem a document can have before it runs is reported here, with the file and line:
malformed XML, unknown or misplaced elements and attributes, duplicate ids, unknown transition
targets, `<script src>` that cannot be fetched.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from . import model as m
from .errors import ScxmlLoadError
from .extensions import DEFAULT_EXTENSIONS, Extensions
from .resources import fetch_text, read_document, resolve_url
from .sources import DEFAULT_POLICY, SourcePolicy
from .values import XmlValue, decode_text

if TYPE_CHECKING:
    from lxml.etree import _Element

SCXML_NS = "http://www.w3.org/2005/07/scxml"
_Q = "{" + SCXML_NS + "}"
# Attributes a dialect moved into our own namespace so the W3C checks leave them alone.
EXT_NS = "{urn:openors}"

_EXECUTABLE = {"raise", "if", "elseif", "else", "foreach", "log", "assign", "script", "send", "cancel"}

# Allowed SCXML attributes and children for each element (from the SCXML schema).
_ATTRS = {
    "scxml": {"initial", "name", "version", "datamodel", "binding", "exmode"},
    "state": {"id", "initial"},
    "parallel": {"id"},
    "final": {"id"},
    "history": {"id", "type"},
    "initial": set(),
    "transition": {"event", "cond", "target", "type"},
    "onentry": set(),
    "onexit": set(),
    "datamodel": set(),
    "data": {"id", "src", "expr"},
    "invoke": {"type", "typeexpr", "src", "srcexpr", "id", "idlocation", "namelist", "autoforward"},
    "finalize": set(),
    "donedata": set(),
    "content": {"expr"},
    "param": {"name", "expr", "location"},
    "script": {"src"},
    "raise": {"event"},
    "if": {"cond"},
    "elseif": {"cond"},
    "else": set(),
    "foreach": {"array", "item", "index"},
    "log": {"label", "expr"},
    "assign": {"location", "expr"},
    "send": {"event", "eventexpr", "target", "targetexpr", "type", "typeexpr", "id", "idlocation",
             "delay", "delayexpr", "namelist"},
    "cancel": {"sendid", "sendidexpr"},
}
_STATE_CHILDREN = {"state", "parallel", "final", "history"}
_CHILDREN = {
    "scxml": {"state", "parallel", "final", "datamodel", "script"},
    "state": {"onentry", "onexit", "transition", "initial", "datamodel", "invoke"} | _STATE_CHILDREN,
    "parallel": {"onentry", "onexit", "transition", "datamodel", "invoke"} | _STATE_CHILDREN,
    "final": {"onentry", "onexit", "donedata"},
    "history": {"transition"},
    "initial": {"transition"},
    "datamodel": {"data"},
    "data": set(),
    "invoke": {"param", "finalize", "content"},
    "donedata": {"content", "param"},
    "param": set(),
    "script": set(),
}
_EVENT_TOKEN = re.compile(r"^[^\s]+$")


def _local(el) -> tuple[str | None, str]:
    tag = el.tag
    if not isinstance(tag, str):
        return None, ""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return None, tag


class Parser:
    def __init__(self, url: str | None, extensions: Extensions | None = None,
                 sources: SourcePolicy = DEFAULT_POLICY):
        self.url = url
        self.ext = extensions or DEFAULT_EXTENSIONS
        self.sources = sources  # what <script src> may read
        self.states_by_id: dict[str, m.State] = {}
        self.all_states: list[m.State] = []
        self.transitions: list[m.Transition] = []
        self._auto_id = 0
        self._order = 0
        # Lint mode: record problems and keep going, so one run reports all of them.
        self.collect = False
        self.problems: list[ScxmlLoadError] = []

    def _problem(self, err: ScxmlLoadError) -> None:
        if not self.collect:
            raise err
        self.problems.append(err)

    def _attempt(self, fn, *args):
        if not self.collect:
            return fn(*args)
        try:
            return fn(*args)
        except ScxmlLoadError as err:
            self.problems.append(err)
            return None

    # --- helpers --------------------------------------------------------------------------
    def error(self, reason: str, el: _Element = None) -> ScxmlLoadError:
        return ScxmlLoadError(reason, self._url_of(el), el.sourceline if el is not None else None)

    def _url_of(self, el) -> str | None:
        # Elements pulled in by XInclude remember the file they came from.
        while el is not None:
            src = el.get("{urn:openors}src") if isinstance(el.tag, str) else None
            if src:
                return src
            el = el.getparent()
        return self.url

    def _node_kwargs(self, el) -> dict:
        return {"tag": _local(el)[1], "line": el.sourceline, "url": self._url_of(el)}

    def _children(self, el):
        return [c for c in el if isinstance(c.tag, str)]

    def _check_attributes(self, el, name: str) -> None:
        allowed = _ATTRS.get(name, set())
        for attr in el.attrib:
            if attr.startswith("{"):
                continue  # foreign-namespace attributes are extensions, always allowed
            if attr not in allowed and attr not in self.ext.extra_attributes:
                self._problem(self.error(f"<{name}> does not allow attribute '{attr}'", el))

    def _exclusive(self, el, name: str, *pairs: tuple[str, str]) -> None:
        for a, b in pairs:
            if el.get(a) is not None and el.get(b) is not None:
                raise self.error(f"<{name}> cannot have both '{a}' and '{b}'", el)

    # --- document ---------------------------------------------------------------------------
    def parse_root(self, root: _Element) -> m.Document:
        ns, name = _local(root)
        if ns != SCXML_NS or name != "scxml":
            raise self.error(f"root element must be <scxml> in namespace {SCXML_NS}, found <{name}>", root)
        self._check_attributes(root, "scxml")
        datamodel = root.get("datamodel", "null" if False else "ecmascript")
        if datamodel not in ("ecmascript", "null"):
            raise self.error(f"unsupported datamodel '{datamodel}' (supported: ecmascript, null)", root)
        binding = root.get("binding", "early")
        if binding not in ("early", "late"):
            raise self.error(f"binding must be 'early' or 'late', not '{binding}'", root)
        top = m.State(**self._node_kwargs(root), id=root.get("name") or "__scxml_root", kind=m.StateKind.SCXML)
        top.order = self._next_order()
        self.all_states.append(top)
        scripts: list[m.Script] = []
        for child in self._children(root):
            self._attempt(self._parse_root_child, top, child, scripts)
        top.initial = self._initial_transition(root, top, root.get("initial"))
        if top.initial is None:
            self._attempt(self._no_states, root)
        self._resolve_targets()
        for st in self.all_states:
            st.finish()
        self._attempt(self._check_history)
        # A dialect with per-state scopes (ORS) lets states declare the same name; one state, never.
        scoped = root.get(EXT_NS + "dialect") == "ors"
        seen: dict[object, m.Data] = {}
        for st in self.all_states:
            for d in st.datamodel:
                key = (st.id, d.id) if scoped else d.id
                if key in seen:
                    self._problem(ScxmlLoadError(f"duplicate <data id='{d.id}'>", d.url, d.line))
                seen[key] = d
        extra = {k: v for k, v in root.attrib.items() if k not in _ATTRS["scxml"]}
        invokes = [inv for st in self.all_states for inv in st.invokes]
        doc = m.Document(
            root=top, url=self.url, name=root.get("name"), datamodel_type=datamodel, binding=binding,
            states_by_id=self.states_by_id, all_states=self.all_states, scripts=scripts,
            attributes=extra, namespaces=dict(root.nsmap),
            has_eventless=any(st.eventless for st in self.all_states), has_invokes=bool(invokes),
            has_autoforward=any(inv.autoforward for inv in invokes),
            has_history=any(st.history_states for st in self.all_states),
        )
        return doc

    def _parse_root_child(self, top: m.State, child, scripts: list) -> None:
        cns, cname = _local(child)
        if cns != SCXML_NS:
            return  # foreign elements at top level are ignored (editor metadata)
        if cname not in _CHILDREN["scxml"]:
            raise self.error(f"<{cname}> is not allowed inside <scxml>", child)
        if cname in _STATE_CHILDREN:
            self.parse_state(child, top)
        elif cname == "datamodel":
            top.datamodel.extend(self.parse_datamodel(child))
        elif cname == "script":
            scripts.append(self.parse_script(child))

    def _next_order(self) -> int:
        self._order += 1
        return self._order

    # --- states -----------------------------------------------------------------------------
    def parse_state(self, el: _Element, parent: m.State) -> m.State:
        _, name = _local(el)
        self._check_attributes(el, name)
        kind = m.StateKind(name)
        sid = el.get("id")
        if sid is None:
            self._auto_id += 1
            sid = f"__{name}_{self._auto_id}"
        elif sid in self.states_by_id:
            self._problem(self.error(f"duplicate state id '{sid}'", el))
            self._auto_id += 1
            sid = f"{sid}__duplicate_{self._auto_id}"
        st = m.State(**self._node_kwargs(el), id=sid, kind=kind, parent=parent)
        st.order = self._next_order()
        st.depth = parent.depth + 1
        st.ancestors = (parent, *parent.ancestors)
        self.states_by_id[sid] = st
        self.all_states.append(st)
        parent.children.append(st)
        if kind is m.StateKind.HISTORY:
            htype = el.get("type", "shallow")
            if htype not in ("shallow", "deep"):
                raise self.error(f"history type must be 'shallow' or 'deep', not '{htype}'", el)
            st.history_type = htype
        initial_els: list = []
        for child in self._children(el):
            self._attempt(self._parse_state_child, st, name, child, initial_els)
        initial_el = initial_els[0] if initial_els else None
        if kind is m.StateKind.HISTORY:
            if len(st.transitions) != 1:
                raise self.error("<history> must have exactly one <transition>", el)
            tr = st.transitions[0]
            if tr.events or tr.cond:
                raise self.error("the <transition> of a <history> cannot have 'event' or 'cond'", el)
            st.initial = tr
            st.transitions = []
        if kind is m.StateKind.STATE:
            if initial_el is not None and el.get("initial") is not None:
                raise self.error("<state> cannot have both an 'initial' attribute and <initial>", el)
            if initial_el is not None:
                trs = [c for c in self._children(initial_el) if _local(c)[1] == "transition"]
                self._check_attributes(initial_el, "initial")
                if len(trs) != 1:
                    raise self.error("<initial> must contain exactly one <transition>", initial_el)
                tr = self.parse_transition(trs[0], st)
                if tr.events or tr.cond:
                    raise self.error("the <transition> of <initial> cannot have 'event' or 'cond'", trs[0])
                if not tr.target_ids:
                    raise self.error("the <transition> of <initial> must have a target", trs[0])
                st.initial = tr
            elif any(c.kind is not m.StateKind.HISTORY for c in st.children):
                st.initial = self._initial_transition(el, st, el.get("initial"))
        return st

    def _parse_state_child(self, st: m.State, name: str, child, initial_els: list) -> None:
        cns, cname = _local(child)
        if cns != SCXML_NS:
            raise self.error(f"<{child.tag}> is not allowed inside <{name}>", child)
        if cname not in _CHILDREN[name]:
            raise self.error(f"<{cname}> is not allowed inside <{name}>", child)
        if cname in _STATE_CHILDREN:
            self.parse_state(child, st)
        elif cname == "transition":
            st.transitions.append(self.parse_transition(child, st))
        elif cname == "onentry":
            st.onentry.append(self.parse_block(child))
        elif cname == "onexit":
            st.onexit.append(self.parse_block(child))
        elif cname == "datamodel":
            st.datamodel.extend(self.parse_datamodel(child))
        elif cname == "invoke":
            inv = self.parse_invoke(child)
            inv.state = st
            inv.index = len(st.invokes)
            st.invokes.append(inv)
        elif cname == "donedata":
            st.donedata = self.parse_donedata(child)
        elif cname == "initial":
            if initial_els:
                raise self.error("only one <initial> is allowed", child)
            initial_els.append(child)

    def _no_states(self, root: _Element) -> None:
        raise self.error("<scxml> has no <state>, <parallel> or <final>: a session would have no state to enter", root)

    def _initial_transition(self, el, st: m.State, initial_attr: str | None) -> m.Transition | None:
        if initial_attr is not None:
            ids = initial_attr.split()
            if not ids:
                raise self.error("'initial' is empty", el)
        else:
            first = next((c for c in st.children if c.kind is not m.StateKind.HISTORY), None)
            if first is None:
                return None
            ids = [first.id]
        tr = m.Transition(tag="initial", line=el.sourceline, url=self._url_of(el), source=st,
                          target_ids=ids, type="external")
        tr.order = self._next_order()
        self.transitions.append(tr)
        return tr

    def parse_transition(self, el: _Element, source: m.State) -> m.Transition:
        self._check_attributes(el, "transition")
        ttype = el.get("type", "external")
        if ttype not in ("external", "internal"):
            raise self.error(f"transition type must be 'external' or 'internal', not '{ttype}'", el)
        events = []
        for tok in (el.get("event") or "").split():
            if tok.endswith(".*"):
                tok = tok[:-2]
            elif tok.endswith(".") and tok != ".":
                tok = tok[:-1]
            events.append(tok)
        if el.get("event") is not None and not events:
            raise self.error("'event' is empty", el)
        tr = m.Transition(
            **self._node_kwargs(el), source=source, target_ids=(el.get("target") or "").split(),
            events=events, cond=el.get("cond"), type=ttype, body=self.parse_executables(el),
        )
        tr.order = self._next_order()
        self.transitions.append(tr)
        return tr

    def _resolve_targets(self) -> None:
        for tr in self.transitions:
            targets = []
            for tid in tr.target_ids:
                target = self.states_by_id.get(tid)
                if target is None:
                    self._problem(ScxmlLoadError(f"transition target '{tid}' does not exist", tr.url, tr.line))
                    continue
                targets.append(target)
            tr.targets = targets
            tr.domain_is_static = not any(t.kind is m.StateKind.HISTORY for t in targets)
            src = tr.source
            if tr.tag == "initial" or (src is not None and src.kind is m.StateKind.HISTORY):
                holder = src.parent if src.kind is m.StateKind.HISTORY else src
                assert holder is not None  # a history state always has a parent
                for t in targets:
                    if holder not in t.ancestors:
                        raise ScxmlLoadError(
                            f"initial/history target '{t.id}' is not a descendant of '{holder.id}'",
                            tr.url, tr.line)
            if src is not None:
                src.transitions.sort(key=lambda t: t.order)

    def _check_history(self) -> None:
        for st in self.all_states:
            if st.kind is m.StateKind.HISTORY and st.parent is not None and st.parent.kind is m.StateKind.SCXML:
                raise ScxmlLoadError("<history> must be inside a <state> or <parallel>", st.url, st.line)

    # --- data, invoke, donedata ---------------------------------------------------------------
    def parse_datamodel(self, el: _Element) -> list[m.Data]:
        self._check_attributes(el, "datamodel")
        out = []
        for child in self._children(el):
            cns, cname = _local(child)
            if cns != SCXML_NS or cname != "data":
                raise self.error(f"<{cname}> is not allowed inside <datamodel>", child)
            self._check_attributes(child, "data")
            did = child.get("id")
            if not did:
                raise self.error("<data> requires 'id'", child)
            self._exclusive(child, "data", ("src", "expr"))
            content = self._inline_content(child, normalise=True)
            if content is not None and (child.get("src") or child.get("expr")):
                raise self.error("<data> cannot have both inline content and 'src'/'expr'", child)
            data = m.Data(**self._node_kwargs(child), id=did, expr=child.get("expr"), src=child.get("src"),
                          content=content)
            out.append(data)
        return out

    def _inline_content(self, el, *, normalise: bool) -> m.Content | None:
        elements = self._children(el)
        text = el.text or ""
        if elements:
            return m.Content(**self._node_kwargs(el), value=XmlValue.from_elements(elements), has_value=True)
        if text.strip():
            return m.Content(**self._node_kwargs(el), value=decode_text(text, normalise=normalise),
                             has_value=True)
        return None

    def parse_content(self, el: _Element) -> m.Content:
        self._check_attributes(el, "content")
        expr = el.get("expr")
        inline = self._inline_content(el, normalise=True)
        if expr is not None and inline is not None:
            raise self.error("<content> cannot have both 'expr' and a body", el)
        if inline is not None:
            return inline
        return m.Content(**self._node_kwargs(el), expr=expr, value="" if expr is None else None,
                         has_value=expr is None)

    def parse_param(self, el: _Element) -> m.Param:
        self._check_attributes(el, "param")
        name = el.get("name")
        if not name:
            raise self.error("<param> requires 'name'", el)
        self._exclusive(el, "param", ("expr", "location"))
        return m.Param(**self._node_kwargs(el), name=name, expr=el.get("expr"), location=el.get("location"))

    def _params_and_content(self, el, owner: str):
        params, content = [], None
        for child in self._children(el):
            cns, cname = _local(child)
            if cns != SCXML_NS:
                continue
            if cname == "param":
                params.append(self.parse_param(child))
            elif cname == "content":
                if content is not None:
                    raise self.error(f"<{owner}> allows only one <content>", child)
                content = self.parse_content(child)
        if params and content is not None:
            raise self.error(f"<{owner}> cannot have both <param> and <content>", el)
        return params, content

    def parse_donedata(self, el: _Element) -> m.DoneData:
        self._check_attributes(el, "donedata")
        params, content = self._params_and_content(el, "donedata")
        return m.DoneData(**self._node_kwargs(el), params=params, content=content)

    def parse_invoke(self, el: _Element) -> m.Invoke:
        self._check_attributes(el, "invoke")
        self._exclusive(el, "invoke", ("type", "typeexpr"), ("src", "srcexpr"), ("id", "idlocation"))
        params, content = [], None
        finalize: list[m.Executable] = []
        for child in self._children(el):
            cns, cname = _local(child)
            if cns != SCXML_NS or cname not in _CHILDREN["invoke"]:
                raise self.error(f"<{cname}> is not allowed inside <invoke>", child)
            if cname == "param":
                params.append(self.parse_param(child))
            elif cname == "content":
                content = self.parse_content(child)
            elif cname == "finalize":
                finalize = self.parse_executables(child)
        if content is not None and (el.get("src") or el.get("srcexpr")):
            raise self.error("<invoke> cannot have both <content> and 'src'/'srcexpr'", el)
        if params and el.get("namelist"):
            raise self.error("<invoke> cannot have both 'namelist' and <param>", el)
        autoforward = el.get("autoforward", "false")
        if autoforward not in ("true", "false"):
            raise self.error("autoforward must be 'true' or 'false'", el)
        return m.Invoke(
            **self._node_kwargs(el), type=el.get("type"), typeexpr=el.get("typeexpr"), src=el.get("src"),
            srcexpr=el.get("srcexpr"), id=el.get("id"), idlocation=el.get("idlocation"),
            namelist=(el.get("namelist") or "").split(), autoforward=autoforward == "true",
            params=params, content=content, finalize=finalize,
        )

    def parse_script(self, el: _Element) -> m.Script:
        self._check_attributes(el, "script")
        src = el.get("src")
        text = el.text or ""
        if src is not None:
            if text.strip():
                raise self.error("<script> cannot have both 'src' and a body", el)
            url = resolve_url(src, self._url_of(el))
            try:
                text = fetch_text(url, self._url_of(el), self.sources)
            except OSError as exc:
                raise self.error(f"<script src='{src}'> cannot be fetched: {exc}", el) from None
        return m.Script(**self._node_kwargs(el), source=text)

    # --- executable content ---------------------------------------------------------------
    def parse_block(self, el: _Element) -> list[m.Executable]:
        self._check_attributes(el, _local(el)[1])
        return self.parse_executables(el)

    def parse_executables(self, el: _Element) -> list[m.Executable]:
        nodes = (self._attempt(self.parse_executable, c) for c in self._children(el))
        return [n for n in nodes if n is not None]

    def parse_executable(self, el: _Element) -> m.Executable:
        ns, name = _local(el)
        if ns != SCXML_NS:
            return self.parse_custom(el, ns, name)
        if name not in _EXECUTABLE or name in ("elseif", "else"):
            raise self.error(f"<{name}> is not executable content", el)
        self._check_attributes(el, name)
        kw = self._node_kwargs(el)
        if name == "raise":
            event = el.get("event")
            if not event:
                raise self.error("<raise> requires 'event'", el)
            return m.Raise(**kw, event=event)
        if name == "log":
            return m.Log(**kw, label=el.get("label"), expr=el.get("expr"), level=el.get(EXT_NS + "level"))
        if name == "assign":
            loc = el.get("location")
            if not loc:
                raise self.error("<assign> requires 'location'", el)
            content = self._inline_content(el, normalise=False)
            if content is not None and el.get("expr") is not None:
                raise self.error("<assign> cannot have both 'expr' and a body", el)
            return m.Assign(**kw, location=loc, expr=el.get("expr"), content=content)
        if name == "script":
            return self.parse_script(el)
        if name == "if":
            return self.parse_if(el)
        if name == "foreach":
            for attr in ("array", "item"):
                if not el.get(attr):
                    raise self.error(f"<foreach> requires '{attr}'", el)
            return m.Foreach(**kw, array=el.get("array"), item=el.get("item"), index=el.get("index"),
                             body=self.parse_executables(el))
        if name == "send":
            return self.parse_send(el)
        if name == "cancel":
            self._exclusive(el, "cancel", ("sendid", "sendidexpr"))
            if el.get("sendid") is None and el.get("sendidexpr") is None:
                raise self.error("<cancel> requires 'sendid' or 'sendidexpr'", el)
            return m.Cancel(**kw, sendid=el.get("sendid"), sendidexpr=el.get("sendidexpr"))
        raise self.error(f"<{name}> is not executable content", el)  # pragma: no cover

    def parse_if(self, el: _Element) -> m.If:
        if el.get("cond") is None:
            raise self.error("<if> requires 'cond'", el)
        branches = [m.IfBranch(el.get("cond"), [])]
        seen_else = False
        for child in self._children(el):
            ns, name = _local(child)
            if ns == SCXML_NS and name in ("elseif", "else"):
                self._check_attributes(child, name)
                if seen_else:
                    raise self.error(f"<{name}> after <else>", child)
                if name == "elseif":
                    if child.get("cond") is None:
                        raise self.error("<elseif> requires 'cond'", child)
                    branches.append(m.IfBranch(child.get("cond"), []))
                else:
                    seen_else = True
                    branches.append(m.IfBranch(None, []))
                continue
            branches[-1].body.append(self.parse_executable(child))
        return m.If(**self._node_kwargs(el), branches=branches)

    def parse_send(self, el: _Element) -> m.Send:
        self._exclusive(el, "send", ("event", "eventexpr"), ("target", "targetexpr"), ("type", "typeexpr"),
                        ("id", "idlocation"), ("delay", "delayexpr"))
        params, content = self._params_and_content(el, "send")
        if content is not None and el.get("namelist"):
            raise self.error("<send> cannot have both <content> and 'namelist'", el)
        for child in self._children(el):
            ns, name = _local(child)
            if ns != SCXML_NS or name not in ("param", "content"):
                raise self.error(f"<{name}> is not allowed inside <send>", child)
        return m.Send(
            **self._node_kwargs(el), event=el.get("event"), eventexpr=el.get("eventexpr"),
            target=el.get("target"), targetexpr=el.get("targetexpr"), type=el.get("type"),
            typeexpr=el.get("typeexpr"), id=el.get("id"), idlocation=el.get("idlocation"),
            delay=el.get("delay"), delayexpr=el.get("delayexpr"),
            namelist=(el.get("namelist") or "").split(), params=params, content=content,
        )

    def parse_custom(self, el: _Element, ns: str | None, name: str) -> m.Executable:
        handler = self.ext.find_action(ns or "", name)
        if handler is None and (ns or "") not in self.ext.known_namespaces:
            raise self.error(f"unknown executable content <{name}> in namespace '{ns}'", el)
        node = m.CustomAction(**self._node_kwargs(el), namespace=ns or "", name=name,
                              attributes={k: v for k, v in el.attrib.items()}, element=el, handler=handler)
        compile_hook = getattr(handler, "compile", None)
        if compile_hook is not None:
            compile_hook(node, self)
        return node


# --- entry points ---------------------------------------------------------------------------

_PARSERS = threading.local()  # lxml parsers are not to be shared by threads (documents compile off the loop)


def _xml_parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(remove_comments=True, resolve_entities=False, huge_tree=True)
    return parser


def parse_xml(data: bytes, url: str | None) -> _Element:
    try:
        return etree.fromstring(data, _xml_parser(), base_url=url)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        raise ScxmlLoadError(f"malformed XML: {exc.msg}", url, line) from None


def parse_document(root: _Element, url: str | None, extensions: Extensions | None = None,
                   problems: list | None = None, sources: SourcePolicy = DEFAULT_POLICY) -> m.Document:
    """With `problems` given (lint), every problem found is appended to it instead of raised.
    `sources` says what the document's includes and script sources may read and how big it may be."""
    document, root = compile_document(root, url, extensions, problems, sources)
    attach_extensions(document, root, extensions)
    return document


def compile_document(root: _Element, url: str | None, extensions: Extensions | None = None,
                     problems: list | None = None,
                     sources: SourcePolicy = DEFAULT_POLICY) -> tuple[m.Document, _Element]:
    """The document model and the final tree, without the extensions' document hooks.

    Touches nothing but the tree, the extensions' read-only tables and the sources it reads, so a
    server may run it in a worker thread; `attach_extensions` then runs on the caller's loop."""
    ext = extensions or DEFAULT_EXTENSIONS
    check_size(root, url, sources)
    for pre in ext.preprocessors:
        result = pre(root, url, sources)
        if result is not None:
            root = result
    check_size(root, url, sources)  # again with every include in place
    parser = Parser(url, ext, sources)
    parser.collect = problems is not None
    doc = parser.parse_root(root)
    if problems is not None:
        problems.extend(parser.problems)
    text = etree.tostring(root, encoding="unicode")
    doc.uses_in_predicate = "In(" in text
    # Sessions of documents that never mention _event need not hand each event to the datamodel.
    doc.reads_event = "_event" in text
    doc.extensions = extensions
    return doc, root


def attach_extensions(doc: m.Document, root: _Element, extensions: Extensions | None) -> None:
    for hook in (extensions or DEFAULT_EXTENSIONS).document_hooks:
        hook(doc, root)


def check_size(root: _Element, url: str | None, sources: SourcePolicy) -> None:
    """Refuse a tree with more elements than `sources.max_document_elements` (compiling a huge
    one would take seconds and memory no real strategy needs)."""
    cap = sources.max_document_elements
    for count, _ in enumerate(root.iter(), 1):
        if count > cap:
            raise ScxmlLoadError(f"more than {cap} elements (sources.max_document_elements)", url)


def load_string(text: str | bytes, url: str | None = None, extensions: Extensions | None = None) -> m.Document:
    data = text.encode() if isinstance(text, str) else text
    if isinstance(text, str) and text.lstrip().startswith("<?xml"):
        # An encoding declaration in a str would make lxml refuse it; bytes keep it honest.
        data = text.encode("utf-8")
        data = re.sub(rb"encoding=[\"'][^\"']*[\"']", b'encoding="UTF-8"', data, count=1)
    doc = parse_document(parse_xml(data, url), url, extensions)
    doc.source_text = text if isinstance(text, str) else data.decode("utf-8", "replace")
    return doc


def load_document(path_or_url: str | Path, extensions: Extensions | None = None,
                  sources: SourcePolicy = DEFAULT_POLICY) -> m.Document:
    url = resolve_url(str(path_or_url), None)
    try:
        data = read_document(url, sources)
    except OSError as exc:
        raise ScxmlLoadError(f"cannot read document: {exc}", url) from None
    return parse_document(parse_xml(data, url), url, extensions, sources=sources)

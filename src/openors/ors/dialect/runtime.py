"""What an ORS document's sessions get at run time: built-ins, `_genesys`, ORS error names,
ORS send targets and the `__Log`/`__Raise` outbox."""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING

from openors.scxml import model as m
from openors.scxml.events import Event
from openors.scxml.session import SCXML_PROCESSOR

from ..actions import context_of
from ..js import BUILTIN_SCRIPTS, load_js
from ..statistic.definitions import js_table as statistic_js_table
from .errors import ors_error_event

if TYPE_CHECKING:
    from typing import Any

    from lxml.etree import _Element

    from openors.scxml.errors import ExecutionError
    from openors.scxml.interpreter import Interpreter

log = logging.getLogger("openors.ors")

def _on_first_use(source: str, names: tuple[str, ...], prototype_methods: tuple[str, ...]) -> str:
    """JS that installs stand-ins which compile `source` the first time one of them is called.

    Compiling is most of what a session's start costs, and most sessions never call uneval()
    or toSource(): they pay for a string literal instead of a compiled library."""
    stubs = "".join(
        f"define(globalThis, {n!r}, function () {{ load(); return globalThis[{n!r}].apply(this, arguments); }});"
        for n in names)
    stubs += "".join(
        f"define(Object.prototype, {m!r}, function () {{ load(); return this[{m!r}].apply(this, arguments); }});"
        for m in prototype_methods)
    return ("(function () { var source = " + json.dumps(source) + "; var loaded = false;"
            " function load() { if (!loaded) { loaded = true; (0, eval)(source); } }"
            " function define(o, k, f) { Object.defineProperty(o, k, {value: f, writable: true,"
            " configurable: true, enumerable: false}); }" + stubs + "})();")


_BUILTINS = "\n;\n".join([
    _on_first_use(load_js("tosource"), ("uneval",), ("toSource",)),
    *(load_js(name) for name in BUILTIN_SCRIPTS if name != "tosource.js"),
    load_js("genesys"), load_js("scopes"), load_js("ixn"), load_js("session"), load_js("queue"),
    "Object.defineProperty(globalThis, '__orsStatisticDefinitions', {enumerable: false, value: "
    + json.dumps(statistic_js_table()) + "})",
    load_js("statistic"),
])
BASIC_HTTP = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
_SEND_TYPES = {"scxml": SCXML_PROCESSOR, "basichttp": BASIC_HTTP}
# ORS <log level>: 1 reporting, 2 error, 3 warning, 4 debug.
LOG_LEVELS = {"1": logging.INFO, "2": logging.ERROR, "3": logging.WARNING, "4": logging.DEBUG}


class OrsDialect:
    """Attached to a Document (`document.dialect`); the engine consults it at a few fixed points."""

    name = "ors"

    def __init__(self, document, root):
        ext = "{urn:openors}"
        self.document = document
        self.app_type = root.get(ext + "_type", "combination")
        self.persist = root.get(ext + "_persist", "true").strip().lower() != "false"
        document.attributes["_persist"] = "true" if self.persist else "false"
        document.attributes["_type"] = self.app_type
        # Session modules (the ORS layer) add JS here before sessions start.
        self.extra_scripts: list[str] = []
        self.state_scopes = StateScopes()

    def aliased_data_ids(self) -> list[str]:
        """Data items also reachable by their plain name: those no script declares as a global."""
        cached = getattr(self, "_aliased", None)
        if cached is None:
            declared = set()
            for source in _script_sources(self.document):
                declared.update(_GLOBAL_DECL.findall(source))
            ids = [d.id for state in self.document.all_states for d in state.datamodel]
            cached = self._aliased = [i for i in ids if i not in declared]
        return cached

    def lint(self, root: _Element) -> list[tuple[str | None, int | None, str]]:
        """`openors lint`'s ORS checks on the document's final tree (dialect/lint.py)."""
        from .lint import lint_ors

        return lint_ors(root)

    # --- engine hooks ----------------------------------------------------------------------
    def datamodel_options(self) -> dict:
        # SpiderMonkey ran ORS scripts in sloppy mode: assigning an undeclared name creates it.
        return {"strict_assign": False, "prelude_scripts": (_BUILTINS, *self.extra_scripts),
                "outbox": "__orsDrainOutbox", "data_root": "_data"}

    def setup_interpreter(self, interp: Interpreter) -> None:
        dm = interp.datamodel
        url = json.dumps(self.document.url or "")
        dm.execute_script(
            "Object.defineProperty(globalThis, '__orsHost', {enumerable: false, configurable: true, writable: true,"
            f" value: {{url: {url}, get states() {{ return __scxml_activeIds(); }}}}}});")
        dm.on_outbox = lambda records: self._outbox(interp, records)
        dm.execute_script(f"__ors_aliasData({json.dumps(self.aliased_data_ids())});")

    def error_event(self, exc: ExecutionError, node: Any) -> tuple[str, dict]:
        return ors_error_event(exc, node)

    def map_send(self, interp: Interpreter, request: dict, node: Any) -> dict:
        """ORS send targets: `targettype` scxml/basichttp by short name, a bare session id as target."""
        send_type = request["type"]
        if isinstance(send_type, str) and send_type.strip().lower() in _SEND_TYPES:
            send_type = _SEND_TYPES[send_type.strip().lower()]
        request["type"] = send_type
        target = request["target"]
        if isinstance(target, str) and target and send_type in (None, SCXML_PROCESSOR):
            if target in ("_internal", "#_internal"):
                target = "#_internal"
            elif not target.startswith("#"):
                target = f"#_scxml_{target}"  # ORS: the target of an scxml send is a session id
        request["target"] = target
        return request

    # --- __Log / __Raise ------------------------------------------------------------------
    def _outbox(self, interp, records: list[dict]) -> None:
        for record in records:
            if record.get("kind") == "raise":
                interp.enqueue_internal(Event(record["name"], "internal", record.get("data")))
            elif record.get("kind") == "log":
                level = record.get("level")
                interp.host.log(interp, record.get("label") or None, record.get("text"),
                                None if level is None else str(level))
            else:  # user data, queue, statistic ...: the world's modules take them
                world = context_of(interp.host)
                if world is not None:
                    world.take_record(interp.session, record)


class StateScopes:
    """ORS's per-state variable scopes (js/scopes.js): a state's <data> exist while it is active and
    hide those of enclosing states of the same name, whose values come back when it exits. Lookup
    thus runs from the innermost active state out to the document, as ORS documents it; states of
    parallel regions that declare the same name share it (the last one entered wins)."""

    def entered(self, interp: Interpreter, state: m.State) -> None:
        ids = json.dumps([d.id for d in state.datamodel])
        interp.datamodel.execute_script(f"__ors_scopeEnter({json.dumps(state.id)}, {ids});")

    def exited(self, interp: Interpreter, state: m.State) -> None:
        interp.datamodel.execute_script(f"__ors_scopeExit({json.dumps(state.id)});")


_GLOBAL_DECL = re.compile(r"\b(?:var|let|const|function)\s+([A-Za-z_$][\w$]*)")


def _script_sources(document):
    for script in document.scripts:
        yield script.source
    for state in document.all_states:
        blocks = list(state.onentry) + list(state.onexit) + [t.body for t in state.transitions]
        if state.initial is not None:
            blocks.append(state.initial.body)
        yield from _block_scripts(blocks)


def _block_scripts(blocks):
    for block in blocks:
        for node in block:
            if isinstance(node, m.Script):
                yield node.source
            elif isinstance(node, m.If):
                yield from _block_scripts([b.body for b in node.branches])
            elif isinstance(node, m.Foreach):
                yield from _block_scripts([node.body])


def log_level(level: str | None) -> int:
    return LOG_LEVELS.get(str(level), logging.INFO) if level is not None else logging.INFO

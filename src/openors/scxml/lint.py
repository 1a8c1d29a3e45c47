"""`openors lint`: every problem of a document (and what it includes), with file and line.

Loading stops at the first problem; lint keeps going, and also compiles every expression and
script (without running them) so a syntax error is found before a call hits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import model as m
from .errors import ScxmlLoadError
from .extensions import Extensions
from .parser import attach_extensions, compile_document, parse_xml
from .resources import fetch_bytes, resolve_url


@dataclass
class Problem:
    url: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.url or "<string>"
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"


def lint_document(path_or_url: str, extensions: Extensions | None = None) -> list[Problem]:
    url = resolve_url(str(path_or_url), None)
    try:
        root = parse_xml(fetch_bytes(url), url)
        found: list[ScxmlLoadError] = []
        document, root = compile_document(root, url, extensions, problems=found)
        attach_extensions(document, root, extensions)
    except ScxmlLoadError as exc:
        return [Problem(exc.url, exc.line, exc.reason)]
    except OSError as exc:
        return [Problem(url, None, f"cannot read document: {exc}")]
    problems = [Problem(e.url, e.line, e.reason) for e in found]
    if document.datamodel_type == "ecmascript":
        problems += _check_scripts(document)
    # A dialect's own checks (ORS: module elements and how their attributes are written).
    dialect_lint = getattr(document.dialect, "lint", None)
    if dialect_lint is not None:
        problems += [Problem(u, line, message) for u, line, message in dialect_lint(root)]
    return sorted(problems, key=lambda p: (p.url or "", p.line or 0))


def _check_scripts(document: m.Document) -> list[Problem]:
    from .datamodel import _quickjs

    ctx = _quickjs.Context()
    check = ctx.eval("""(function (kind, text) {
        try { if (kind === 'expr') new Function('return (' + text + '\\n);'); else new Function(text); return ''; }
        catch (e) {
            if (kind === 'expr') { try { new Function(text); return ''; } catch (e2) {} }
            return String(e);
        }
    })""")
    problems = []
    for node, label, kind, text in _sources(document):
        if text is None:
            continue
        message = check(kind, text)
        if message:
            problems.append(Problem(node.url, node.line, f"<{node.tag}> {label}: {message}"))
    return problems


def _sources(document: m.Document):
    for script in document.scripts:
        yield script, "script", "script", script.source
    for state in document.all_states:
        for data in state.datamodel:
            yield data, "expr", "expr", data.expr
        for t in state.transitions:
            yield t, "cond", "expr", t.cond
            yield from _block_sources(t.body)
        for block in state.onentry + state.onexit:
            yield from _block_sources(block)
        for inv in state.invokes:
            yield inv, "srcexpr", "expr", inv.srcexpr
            for p in inv.params:
                yield p, "expr", "expr", p.expr
            yield from _block_sources(inv.finalize)
        if state.initial is not None:
            yield from _block_sources(state.initial.body)


def _block_sources(block):
    for node in block:
        if isinstance(node, m.Script):
            yield node, "script", "script", node.source
        elif isinstance(node, m.Log | m.Assign):
            yield node, "expr", "expr", node.expr
        elif isinstance(node, m.Send):
            for attr in ("eventexpr", "targetexpr", "typeexpr", "delayexpr"):
                yield node, attr, "expr", getattr(node, attr)
            for p in node.params:
                yield p, "expr", "expr", p.expr
        elif isinstance(node, m.If):
            for branch in node.branches:
                yield node, "cond", "expr", branch.cond
                yield from _block_sources(branch.body)
        elif isinstance(node, m.Foreach):
            yield node, "array", "expr", node.array
            yield from _block_sources(node.body)

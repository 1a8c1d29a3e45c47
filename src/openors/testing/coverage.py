"""Strategy coverage: for each document (each file, included ones too), which states were entered
and which transitions taken, how often. `openors test --coverage DIR` writes it as JSON and HTML.

Counts are kept as plain data so that results from parallel test processes add up (`merge`)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from openors.scxml import model as m


def _file_of(node: m.Node) -> str:
    url = node.url or "(document without a URL)"
    return url.removeprefix("file://")


def _transition_key(t: m.Transition) -> str:
    source = t.source.id if t.source is not None else "?"
    index = t.source.transitions.index(t) if t.source is not None and t in t.source.transitions else 0
    return f"{source}#{index}"


class Coverage:
    def __init__(self) -> None:
        # file -> {"states": {id: {"line", "count"}}, "transitions": {key: {...,"count"}}}
        self.files: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        self._seen_docs: set[int] = set()

    def _file(self, name: str) -> dict[str, dict[str, dict[str, Any]]]:
        return self.files.setdefault(name, {"states": {}, "transitions": {}})

    def document(self, doc: m.Document) -> None:
        """Know every state and transition of a document a session runs, entered or not."""
        if id(doc) in self._seen_docs:
            return
        self._seen_docs.add(id(doc))
        for state in doc.all_states:
            if state is doc.root or not state.id:
                continue
            entry = self._file(_file_of(state))
            entry["states"].setdefault(state.id, {"line": state.line, "count": 0})
            for t in state.transitions:
                entry["transitions"].setdefault(_transition_key(t), {
                    "line": t.line, "source": state.id, "event": " ".join(t.events), "cond": t.cond,
                    "target": " ".join(t.target_ids), "count": 0})

    def entered(self, state: m.State) -> None:
        if not state.id:
            return
        entry = self._file(_file_of(state))
        entry["states"].setdefault(state.id, {"line": state.line, "count": 0})["count"] += 1

    def taken(self, transitions: list[m.Transition]) -> None:
        for t in transitions:
            if t.source is None or t not in t.source.transitions:
                continue  # an initial transition: its state's entry says it
            entry = self._file(_file_of(t))
            key = _transition_key(t)
            entry["transitions"].setdefault(key, {"line": t.line, "source": t.source.id,
                                                  "event": " ".join(t.events), "cond": t.cond,
                                                  "target": " ".join(t.target_ids), "count": 0})["count"] += 1

    # --- results ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files}

    def merge(self, data: dict[str, Any]) -> None:
        for name, entry in data.get("files", {}).items():
            mine = self._file(name)
            for part in ("states", "transitions"):
                for key, item in entry[part].items():
                    if key in mine[part]:
                        mine[part][key]["count"] += item["count"]
                    else:
                        mine[part][key] = dict(item)

    def totals(self) -> dict[str, dict[str, int]]:
        out = {}
        for name, entry in sorted(self.files.items()):
            states, transitions = entry["states"].values(), entry["transitions"].values()
            out[name] = {"states": len(states), "states_entered": sum(1 for s in states if s["count"]),
                         "transitions": len(transitions),
                         "transitions_taken": sum(1 for t in transitions if t["count"])}
        return out

    def write(self, folder: str | Path) -> list[Path]:
        """coverage.json and index.html in `folder` (created)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        data = {"totals": self.totals(), **self.to_dict()}
        (out / "coverage.json").write_text(json.dumps(data, indent=1, sort_keys=True))
        (out / "index.html").write_text(self._html())
        return [out / "coverage.json", out / "index.html"]

    def _html(self) -> str:
        parts = ["<!doctype html><html><head><meta charset='utf-8'><title>OpenORS strategy coverage</title>",
                 "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
                 "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.miss{background:#fdd}"
                 ".hit{background:#dfd}</style></head><body><h1>Strategy coverage</h1>"]
        totals = self.totals()
        parts.append("<table><tr><th>document</th><th>states entered</th><th>transitions taken</th></tr>")
        for name, t in totals.items():
            parts.append(f"<tr><td><a href='#{html.escape(name)}'>{html.escape(name)}</a></td>"
                         f"<td>{t['states_entered']}/{t['states']}</td>"
                         f"<td>{t['transitions_taken']}/{t['transitions']}</td></tr>")
        parts.append("</table>")
        for name, entry in sorted(self.files.items()):
            parts.append(f"<h2 id='{html.escape(name)}'>{html.escape(name)}</h2>")
            parts.append("<table><tr><th>line</th><th>state</th><th>entered</th></tr>")
            for sid, s in sorted(entry["states"].items(), key=lambda kv: kv[1]["line"] or 0):
                cls = "hit" if s["count"] else "miss"
                parts.append(f"<tr class='{cls}'><td>{s['line']}</td><td>{html.escape(sid)}</td>"
                             f"<td>{s['count']}</td></tr>")
            parts.append("</table><table><tr><th>line</th><th>from</th><th>event</th><th>cond</th>"
                         "<th>to</th><th>taken</th></tr>")
            for t in sorted(entry["transitions"].values(), key=lambda t: t["line"] or 0):
                cls = "hit" if t["count"] else "miss"
                cells = [t["line"], t["source"], t["event"], t["cond"] or "", t["target"], t["count"]]
                parts.append(f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                             + "</tr>")
            parts.append("</table>")
        parts.append("</body></html>")
        return "".join(parts)

"""The KPI report as one HTML file (`--report FILE.html`): the KPI tables and three charts drawn
offline with matplotlib as inline SVG: interactions waiting over time, the distribution of waits,
and how each agent spent the time."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: files only
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

AGENT_STATES = (("handling", "#d62728"), ("after_call_work", "#ff7f0e"), ("ready_idle", "#2ca02c"),
                ("not_ready", "#7f7f7f"))


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: without the XML declaration and doctype


def waiting_chart(series: list[list[float]] | list[tuple[float, int]]) -> str:
    fig, ax = plt.subplots(figsize=(7, 2.6))
    xs = [p[0] for p in series]
    ys = [p[1] for p in series]
    ax.step(xs, ys, where="post")
    ax.set_xlabel("virtual time (s)")
    ax.set_ylabel("waiting")
    ax.set_title("Interactions waiting for an agent")
    return _svg(fig)


def waits_chart(waits: list[float], threshold: float) -> str:
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.hist(waits or [0], bins=min(30, max(5, len(waits))), color="#1f77b4")
    ax.axvline(threshold, color="#d62728", linestyle="--", label=f"service level threshold ({threshold:g} s)")
    ax.set_xlabel("wait before answer (s)")
    ax.set_ylabel("interactions")
    ax.set_title("Distribution of waits")
    ax.legend()
    return _svg(fig)


def agents_chart(by_agent: dict[str, dict[str, Any]]) -> str:
    names = list(by_agent)
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * max(1, len(names))))
    left = [0.0] * len(names)
    for state, colour in AGENT_STATES:
        values = [float(by_agent[n].get(state) or 0) for n in names]
        ax.barh(names, values, left=left, color=colour, label=state.replace("_", " "))
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("seconds")
    ax.set_title("Agent states")
    ax.legend(loc="lower right", fontsize="small")
    return _svg(fig)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('-' if c is None else str(c))}</td>" for c in row)
                   + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def section(title: str, kpis: dict[str, Any], timelines: list[str]) -> str:
    o = kpis["overall"]
    parts = [f"<h2>{html.escape(title)}</h2>",
             _table(["offered", "answered", "abandoned", "ASA (s)", f"service level (% ≤ {kpis['threshold']:g} s)",
                     "max wait (s)", "AHT (s)", "occupancy (%)"],
                    [[o["offered"], o["answered"], o["abandoned"], o["asa"], o["service_level"], o["max_wait"],
                      kpis["aht"], kpis["occupancy"]]])]
    if kpis["by_queue"]:
        parts.append("<h3>Per queue</h3>" + _table(
            ["queue", "offered", "answered", "abandoned", "ASA (s)", "SL (%)", "max wait (s)"],
            [[q, c["offered"], c["answered"], c["abandoned"], c["asa"], c["service_level"], c["max_wait"]]
             for q, c in kpis["by_queue"].items()]))
    if kpis["by_agent"]:
        parts.append("<h3>Per agent</h3>" + _table(
            ["agent", "answered", "AHT (s)", "occupancy (%)", "handling (s)", "after-call work (s)", "ready (s)"],
            [[a, k["answered"], k["aht"], k["occupancy"], k["handling"], k["after_call_work"], k["ready_idle"]]
             for a, k in kpis["by_agent"].items()]))
    parts.append("<div class='charts'>" + waiting_chart(kpis["waiting_series"])
                 + waits_chart(kpis["waits"], kpis["threshold"])
                 + (agents_chart(kpis["by_agent"]) if kpis["by_agent"] else "") + "</div>")
    if timelines:
        parts.append("<h3>Interactions</h3><ul>" + "".join(f"<li><code>{html.escape(t)}</code></li>"
                                                            for t in timelines[:500]) + "</ul>")
    return "".join(parts)


def write_report(path: str | Path, runs: list[tuple[str, dict[str, Any], list[str]]]) -> None:
    """One HTML file with a section per run: (title, Kpis.to_dict(), timelines)."""
    page = ["<!doctype html><html><head><meta charset='utf-8'><title>OpenORS KPI report</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1em}"
            "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
            "td:first-child{text-align:left}.charts svg{display:block;max-width:100%;height:auto}"
            "</style></head><body><h1>OpenORS KPI report</h1>"]
    page += [section(title, kpis, timelines) for title, kpis, timelines in runs]
    page.append("</body></html>")
    Path(path).write_text("".join(page), encoding="utf-8")

// Draws a state chart laid out by the server (boxes + edges) as SVG, and highlights states.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, parent) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

// Where a line from the centre of `a` towards point (tx, ty) leaves the box `a`.
function borderPoint(a, tx, ty) {
  const cx = a.x + a.w / 2, cy = a.y + a.h / 2;
  const dx = tx - cx, dy = ty - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const sx = Math.abs(dx) > 0 ? (a.w / 2) / Math.abs(dx) : Infinity;
  const sy = Math.abs(dy) > 0 ? (a.h / 2) / Math.abs(dy) : Infinity;
  const s = Math.min(sx, sy);
  return [cx + dx * s, cy + dy * s];
}

class StateChart {
  constructor(container, chart, onStateClick) {
    this.boxes = new Map(chart.boxes.map((b) => [b.id, b]));
    this.rects = new Map();
    this.edges = [];
    const svg = svgEl("svg", {class: "chart", width: chart.width, height: chart.height,
                              viewBox: `0 0 ${chart.width} ${chart.height}`});
    const defs = svgEl("defs", {}, svg);
    for (const [id, colour] of [["arrow", "#55657a"], ["arrow-taken", "#ffcf4a"]]) {
      const marker = svgEl("marker", {id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
                                      markerHeight: 7, orient: "auto-start-reverse"}, defs);
      svgEl("path", {d: "M0,0 L10,5 L0,10 z", fill: colour}, marker);
    }
    const boxLayer = svgEl("g", {}, svg);
    const edgeLayer = svgEl("g", {}, svg);
    const labelLayer = svgEl("g", {}, svg);
    for (const b of chart.boxes) {
      const container = b.kind === "compound" || b.kind === "parallel";
      const rect = svgEl("rect", {x: b.x, y: b.y, width: b.w, height: b.h, rx: container ? 6 : 14,
                                  class: `${container ? b.kind : "state"} ${b.kind === "final" ? "final" : ""}`,
                                  "data-state": b.id}, boxLayer);
      const title = svgEl("title", {}, rect);
      title.textContent = `${b.id} (${b.kind})`;
      if (onStateClick && !container) rect.addEventListener("click", () => onStateClick(b.id));
      if (onStateClick && container) rect.addEventListener("dblclick", () => onStateClick(b.id));
      const text = svgEl("text", container ? {x: b.x + 8, y: b.y + 15} :
        {x: b.x + b.w / 2, y: b.y + b.h / 2 + 4, "text-anchor": "middle"}, labelLayer);
      text.textContent = b.label;
      this.rects.set(b.id, rect);
    }
    for (const e of chart.edges) {
      const src = this.boxes.get(e.source);
      for (const t of e.targets) {
        const dst = this.boxes.get(t);
        if (!src || !dst) continue;
        let d;
        if (src === dst) {  // a self-transition: a small loop above the box
          const x = src.x + src.w - 14, y = src.y;
          d = `M${x},${y} C${x + 24},${y - 26} ${x + 34},${y + 6} ${src.x + src.w},${y + 10}`;
        } else {
          const [x1, y1] = borderPoint(src, dst.x + dst.w / 2, dst.y + dst.h / 2);
          const [x2, y2] = borderPoint(dst, src.x + src.w / 2, src.y + src.h / 2);
          const bend = (x2 < x1 ? 28 : 0);  // going back: bend away so it does not hide the forward edge
          const mx = (x1 + x2) / 2, my = (y1 + y2) / 2 - bend;
          d = `M${x1},${y1} Q${mx},${my} ${x2},${y2}`;
        }
        const path = svgEl("path", {d, class: "edge", "marker-end": "url(#arrow)"}, edgeLayer);
        const tip = svgEl("title", {}, path);
        tip.textContent = `${e.source} → ${t}${e.event ? " on " + e.event : ""}${e.cond ? " [" + e.cond + "]" : ""}`;
        this.edges.push({source: e.source, target: t, event: e.event, path});
      }
    }
    container.replaceChildren(svg);
    this.svg = svg;
  }

  highlight(activeIds, takenTransitions, breakpointStates) {
    const active = new Set(activeIds || []);
    const bps = new Set(breakpointStates || []);
    for (const [id, rect] of this.rects) {
      rect.classList.toggle("active", active.has(id));
      rect.classList.toggle("breakpoint", bps.has(id));
    }
    const taken = new Set((takenTransitions || []).map((t) => `${t.source}>${t.target}`));
    for (const e of this.edges) {
      const on = taken.has(`${e.source}>${e.target}`);
      e.path.classList.toggle("taken", on);
      e.path.setAttribute("marker-end", on ? "url(#arrow-taken)" : "url(#arrow)");
    }
  }
}

window.StateChart = StateChart;

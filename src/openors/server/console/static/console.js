// The OpenORS console: live operations (server-sent events), flow logs, a session's chart,
// history and debugger. Plain JS, no build step; every call goes to the server's own API.
"use strict";

const view = document.getElementById("view");
const conn = document.getElementById("conn");
let token = localStorage.getItem("openors-token") || "";
let stopCurrent = () => {};  // what the current page runs in the background

// --- helpers ----------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

function fmt(value, unit) {
  if (value === null || value === undefined) return "–";
  return `${value}${unit || ""}`;
}

function short(value, max) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text && text.length > (max || 160) ? text.slice(0, max || 160) + "…" : (text || "");
}

function clock(epoch) {
  return epoch ? new Date(epoch * 1000).toLocaleTimeString() : "–";
}

async function api(path, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, Object.assign({}, options || {}, {headers}));
  if (response.status === 401) askToken();
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const message = (body && body.message) || `${response.status} ${response.statusText}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

function post(path, body) {
  return api(path, {method: "POST", headers: {"Content-Type": "application/json"},
                    body: JSON.stringify(body || {})});
}

function askToken() {
  const form = document.getElementById("token-form");
  form.classList.remove("hidden");
}

document.getElementById("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = document.getElementById("token").value.trim();
  localStorage.setItem("openors-token", token);
  document.getElementById("token-form").classList.add("hidden");
  route();
});

function setConn(state, text) {
  conn.className = `conn ${state}`;
  conn.textContent = text;
}

// Server-sent events over fetch, so the operator token can go in a header.
function subscribe(path, onData) {
  const abort = new AbortController();
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const headers = token ? {Authorization: `Bearer ${token}`} : {};
        const response = await fetch(path, {headers, signal: abort.signal});
        if (response.status === 401) { askToken(); setConn("down", "needs a token"); return; }
        if (!response.ok || !response.body) throw new Error(`${response.status}`);
        setConn("live", "live");
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, {stream: true});
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = chunk.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
            if (data) onData(JSON.parse(data));
          }
        }
      } catch (e) {
        if (stopped) return;
        setConn("down", "reconnecting…");
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return () => { stopped = true; abort.abort(); };
}

// --- operations -------------------------------------------------------------------------------
function kpiTile(label, value, note) {
  return h("div", {class: "kpi"}, h("small", {}, label), h("b", {}, value), note ? h("small", {}, note) : null);
}

function renderOps(snap) {
  const k = snap.kpis && snap.kpis.overall;
  const kpis = h("div", {class: "kpis", id: "kpis"},
    kpiTile("Live sessions", snap.counts.live, `${snap.counts.queued_events} events queued`),
    kpiTile("Waiting", snap.waiting ? snap.waiting.length : "–"),
    kpiTile("Offered", k ? k.offered : "–"),
    kpiTile("Answered", k ? k.answered : "–"),
    kpiTile("Abandoned", k ? k.abandoned : "–"),
    kpiTile("ASA", k ? fmt(k.asa, " s") : "–"),
    kpiTile("Service level", k ? fmt(k.service_level, " %") : "–", snap.kpis ? `within ${snap.kpis.threshold} s` : null),
    kpiTile("AHT", snap.kpis ? fmt(snap.kpis.aht, " s") : "–"),
    kpiTile("Occupancy", snap.kpis ? fmt(snap.kpis.occupancy, " %") : "–"));

  const agents = h("div", {class: "panel", id: "agents"}, h("h2", {}, "Agents"));
  if (!snap.platform) agents.appendChild(h("div", {class: "empty"}, "No contact center on this server."));
  else agents.appendChild(h("table", {},
    h("tr", {}, h("th", {}, "Agent"), h("th", {}, "State"), h("th", {}, "Place"), h("th", {}, "Interaction"),
      h("th", {class: "num"}, "Answered"), h("th", {class: "num"}, "Occupancy")),
    snap.agents.map((a) => {
      const kpi = snap.kpis && snap.kpis.by_agent[a.id];
      // A ready agent handling interactions is busy (as a supervisor's desktop shows it)
      const shown = String(a.state).toLowerCase() === "ready" && a.interactions.length ? "busy" : a.state;
      return h("tr", {"data-agent": a.id}, h("td", {}, a.name || a.id),
        h("td", {}, h("span", {class: `pill st-${String(shown).toLowerCase().replace(/[^a-z]/g, "")}`,
          title: `state ${a.state}, ${a.interactions.length} interaction(s)`}, shown)), h("td", {}, a.place || ""),
        h("td", {class: "mono", title: a.interactions.join(", ")}, a.interactions.map((i) => i.slice(0, 10)).join(", ") || "–"),
        h("td", {class: "num"}, kpi ? kpi.answered : 0), h("td", {class: "num"}, kpi ? fmt(kpi.occupancy, " %") : "–"));
    })));

  const waiting = h("div", {class: "panel", id: "waiting"}, h("h2", {}, "Waiting interactions"));
  if (!snap.platform) waiting.appendChild(h("div", {class: "empty"}, "–"));
  else if (!snap.waiting.length) waiting.appendChild(h("div", {class: "empty"}, "Nobody is waiting."));
  else waiting.appendChild(h("table", {},
    h("tr", {}, h("th", {}, "Interaction"), h("th", {}, "Media"), h("th", {}, "From"), h("th", {}, "To"),
      h("th", {}, "Where"), h("th", {class: "num"}, "Wait"), h("th", {}, "Session")),
    snap.waiting.map((w) => h("tr", {"data-interaction": w.interaction},
      h("td", {class: "mono"}, w.interaction.slice(0, 10)), h("td", {}, w.media.replace(/^TMedia/, "")), h("td", {}, w.from), h("td", {}, w.to),
      h("td", {}, w.location),
      h("td", {class: `num ${w.wait > 60 ? "wait-very" : w.wait > 20 ? "wait-long" : ""}`}, `${w.wait.toFixed(0)} s`),
      h("td", {}, w.session ? h("a", {href: `#/session/${w.session}`}, w.session.slice(0, 8)) : "–")))));

  const byState = Object.entries(snap.by_state);
  const most = Math.max(1, ...byState.map(([, n]) => n));
  const sessions = h("div", {class: "panel", id: "sessions"}, h("h2", {}, "Sessions by state"),
    byState.length ? byState.map(([state, n]) => h("div", {class: "bar"}, h("span", {class: "n"}, n),
      h("i", {style: `width:${Math.round(180 * n / most)}px`}), h("em", {}, state)))
      : h("div", {class: "empty"}, "No session is running."),
    h("h2", {style: "margin-top:12px"}, "Live sessions"),
    h("table", {}, h("tr", {}, h("th", {}, "Session"), h("th", {}, "Strategy"), h("th", {}, "Active"),
      h("th", {}, "ANI"), h("th", {}, "Started")),
      snap.sessions.slice(0, 40).map((s) => h("tr", {"data-session": s.session},
        h("td", {class: "mono"}, h("a", {href: `#/session/${s.session}`}, s.session.slice(0, 12)),
          s.paused ? h("span", {class: "pill paused", style: "margin-left:6px"}, "paused") : null),
        h("td", {}, s.document), h("td", {}, s.active.join(", ")), h("td", {}, s.ani || ""),
        h("td", {}, clock(s.started))))));
  view.replaceChildren(kpis, h("div", {class: "grid"}, agents, waiting, sessions));
}

function showOps() {
  view.replaceChildren(h("div", {class: "empty"}, "Waiting for the first snapshot…"));
  return subscribe("/ors/console/live", renderOps);
}

// --- flow logs --------------------------------------------------------------------------------
function showFlowLogs(params) {
  const field = h("select", {id: "search-field"}, ["session", "interaction", "ani", "dnis"].map(
    (f) => h("option", {value: f, selected: params.get("field") === f}, f === "ani" || f === "dnis" ? f.toUpperCase() : f)));
  const value = h("input", {id: "search-value", placeholder: "value (empty: the latest)", value: params.get("q") || ""});
  const results = h("div", {class: "panel"});
  const form = h("form", {class: "search", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/flowlogs?field=${field.value}&q=${encodeURIComponent(value.value.trim())}`;
  }}, field, value, h("button", {type: "submit", class: "primary"}, "Search"));
  view.replaceChildren(h("h2", {}, "Flow logs"), form, results);
  const q = params.get("q");
  const url = q ? `/ors/flowlogs?${params.get("field") || "session"}=${encodeURIComponent(q)}` : "/ors/flowlogs";
  api(url).then((body) => {
    if (!body.flowlogs.length) { results.replaceChildren(h("div", {class: "empty"}, "No flow log found.")); return; }
    results.replaceChildren(h("table", {}, h("tr", {}, ["Session", "Status", "Strategy", "Interaction", "ANI", "DNIS",
      "Started", "Ended", "Final", "Entries"].map((t) => h("th", {}, t))),
      body.flowlogs.map((f) => h("tr", {}, h("td", {class: "mono"}, h("a", {href: `#/session/${f.session}`}, f.session)),
        h("td", {}, f.status), h("td", {}, (f.document || "").split("/").pop()), h("td", {class: "mono"}, f.interaction || ""),
        h("td", {}, f.ani || ""), h("td", {}, f.dnis || ""), h("td", {}, clock(f.started)), h("td", {}, clock(f.ended)),
        h("td", {}, f.final || ""), h("td", {class: "num"}, f.entries + (f.dropped ? ` (+${f.dropped} dropped)` : ""))))));
  }).catch((e) => results.replaceChildren(h("div", {class: "msg"}, e.message)));
  return () => {};
}

// --- one session: chart, history, debugger -----------------------------------------------------
function macrosteps(entries) {
  // Each macrostep with the entries that led to it (since the previous macrostep).
  const steps = [];
  let since = [];
  for (const e of entries) {
    since.push(e);
    if (e.kind === "macrostep" && !e.child) { steps.push({entry: e, entries: since}); since = []; }
  }
  if (since.length) steps.push({entry: null, entries: since});
  return steps;
}

function showSession(sid) {
  const state = {sid, chart: null, entries: [], steps: [], pos: -1, follow: true, status: "…", debug: null,
                 timer: null, stopped: false};
  const title = h("h1", {}, sid);
  const status = h("span", {class: "status", id: "session-status"}, "…");
  const doc = h("span", {class: "mono"});
  const chartBox = h("div", {class: "chart-wrap", id: "chart"}, h("div", {class: "empty"}, "Loading the chart…"));
  const range = h("input", {type: "range", min: 0, max: 0, value: 0, id: "step-range"});
  const prev = h("button", {id: "step-back", title: "previous macrostep"}, "◀ Back");
  const next = h("button", {id: "step-forward", title: "next macrostep"}, "Forward ▶");
  const live = h("button", {id: "step-live", title: "follow the session"}, "Latest");
  const where = h("span", {id: "step-where", class: "mono"});
  const timeline = h("div", {class: "timeline panel", id: "timeline"});
  const vars = h("div", {class: "vars", id: "variables"});
  const msg = h("div", {class: "msg", id: "debug-msg"});
  const queued = h("div", {class: "mono", id: "debug-queued"});
  const debugBox = h("div", {class: "panel", id: "debugger"});

  const pauseBtn = h("button", {id: "dbg-pause"}, "Pause");
  const stepBtn = h("button", {id: "dbg-step"}, "Step");
  const contBtn = h("button", {id: "dbg-continue", class: "primary"}, "Continue");
  const bpEvent = h("input", {id: "bp-event", placeholder: "event name or pattern (queue.*)"});
  const bpList = h("div", {id: "bp-list", class: "mono"});
  const setLoc = h("input", {id: "var-location", placeholder: "variable (e.g. n)"});
  const setExpr = h("input", {id: "var-expr", placeholder: "expression (e.g. 42)"});
  const evalExpr = h("input", {id: "eval-expr", placeholder: "expression to evaluate"});
  const evalOut = h("div", {class: "mono", id: "eval-out"});

  async function act(path, body) {
    msg.textContent = "";
    try { state.debug = await post(`/ors/sessions/${sid}/${path}`, body); renderDebug(); await refresh(); }
    catch (e) { msg.textContent = e.message; }
  }
  pauseBtn.addEventListener("click", () => act("pause"));
  stepBtn.addEventListener("click", () => act("step"));
  contBtn.addEventListener("click", () => act("continue"));

  async function setBreakpoints(states, events) {
    msg.textContent = "";
    try {
      state.debug = await api(`/ors/sessions/${sid}/breakpoints`, {method: "PUT",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({states, events})});
      renderDebug(); paint();
    } catch (e) { msg.textContent = e.message; }
  }
  function toggleStateBreakpoint(id) {
    if (state.status !== "running" || !state.debug) return;
    const bp = state.debug.breakpoints;
    const states = bp.states.includes(id) ? bp.states.filter((s) => s !== id) : bp.states.concat([id]);
    setBreakpoints(states, bp.events);
  }

  function renderDebug() {
    const d = state.debug;
    const running = state.status === "running";
    for (const el of debugOnly) el.classList.toggle("hidden", !running);
    debugTitle.textContent = running ? "Debugger" : "History";
    ended.classList.toggle("hidden", running);
    for (const b of [pauseBtn, stepBtn, contBtn]) b.disabled = !running || !d;
    if (d) {
      pauseBtn.disabled = !running || d.paused;
      stepBtn.disabled = contBtn.disabled = !running || !d.paused;
      status.textContent = d.paused ? `paused: ${d.reason} (continues by itself in ${d.continues_in} s)` : state.status;
      queued.textContent = d.queued && d.queued.length ? `queued: ${d.queued.join(", ")}` : "";
      status.className = `status ${d.paused ? "paused" : state.status}`;
      bpList.replaceChildren(
        ...d.breakpoints.states.map((s) => h("div", {}, `state ${s} `, h("a", {href: "#", onclick: (ev) => {
          ev.preventDefault(); setBreakpoints(d.breakpoints.states.filter((x) => x !== s), d.breakpoints.events); }}, "remove"))),
        ...d.breakpoints.events.map((e) => h("div", {}, `event ${e} `, h("a", {href: "#", onclick: (ev) => {
          ev.preventDefault(); setBreakpoints(d.breakpoints.states, d.breakpoints.events.filter((x) => x !== e)); }}, "remove"))));
      if (!d.breakpoints.states.length && !d.breakpoints.events.length)
        bpList.replaceChildren(h("div", {class: "empty"}, "No breakpoint. Click a state in the chart to add one."));
    } else {
      status.textContent = state.status;
      status.className = `status ${state.status}`;
    }
  }

  const debugTitle = h("h2", {}, "Debugger");
  const ended = h("div", {class: "empty hidden"}, "This session is not running: step through its flow log with Back and Forward.");
  const debugBar = h("div", {class: "debug-bar"}, pauseBtn, stepBtn, contBtn);
  const bpTitle = h("h2", {}, "Breakpoints");
  const bpForm = h("form", {class: "row", onsubmit: (ev) => {
      ev.preventDefault();
      const name = bpEvent.value.trim();
      if (!name || !state.debug) return;
      bpEvent.value = "";
      setBreakpoints(state.debug.breakpoints.states, state.debug.breakpoints.events.concat([name]));
    }}, bpEvent, h("button", {type: "submit", id: "bp-add"}, "Add"));
  const setForm = h("form", {class: "row", onsubmit: async (ev) => {
      ev.preventDefault();
      msg.textContent = "";
      try { await post(`/ors/sessions/${sid}/variables`, {location: setLoc.value, expr: setExpr.value}); await refresh(); }
      catch (e) { msg.textContent = e.message; }
    }}, setLoc, setExpr, h("button", {type: "submit", id: "var-set"}, "Set"));
  const evalForm = h("form", {class: "row", onsubmit: async (ev) => {
      ev.preventDefault();
      try { const r = await post(`/ors/sessions/${sid}/evaluate`, {expr: evalExpr.value}); evalOut.textContent = JSON.stringify(r.value); }
      catch (e) { evalOut.textContent = e.message; }
    }}, evalExpr, h("button", {type: "submit", id: "eval-go"}, "Evaluate"));
  const debugOnly = [debugBar, queued, bpTitle, bpList, bpForm, setForm, evalForm, evalOut];
  debugBox.append(debugTitle, ended, debugBar, queued, msg, bpTitle, bpList, bpForm,
    h("h2", {style: "margin-top:10px"}, "Variables after this macrostep"), vars, setForm, evalForm, evalOut);

  view.replaceChildren(
    h("div", {class: "session-head"}, h("a", {href: "#/"}, "← operations"), title, status, doc),
    h("div", {class: "session-layout"},
      h("div", {}, chartBox, h("div", {class: "stepper"}, prev, range, next, live, where), timeline),
      debugBox));

  function goto(pos) {
    state.pos = Math.max(0, Math.min(pos, state.steps.length - 1));
    state.follow = state.pos === state.steps.length - 1;
    paint();
  }
  prev.addEventListener("click", () => goto(state.pos - 1));
  next.addEventListener("click", () => goto(state.pos + 1));
  live.addEventListener("click", () => goto(state.steps.length - 1));
  range.addEventListener("input", () => goto(Number(range.value)));

  function paint() {
    const steps = state.steps;
    range.max = Math.max(0, steps.length - 1);
    range.value = state.pos;
    prev.disabled = state.pos <= 0;
    next.disabled = state.pos >= steps.length - 1;
    const step = steps[state.pos];
    // the configuration after this macrostep (or the last known one)
    let config = [];
    for (let i = state.pos; i >= 0; i--) { if (steps[i] && steps[i].entry) { config = steps[i].entry.configuration; break; } }
    const taken = [];
    if (step) for (const e of step.entries) if (e.kind === "transition" && !e.child)
      for (const t of e.targets) taken.push({source: e.source, target: t});
    const bps = state.debug ? state.debug.breakpoints.states : [];
    if (state.chart) state.chart.highlight(config, taken, bps);
    where.textContent = steps.length ? `macrostep ${state.pos + 1} of ${steps.length}` +
      (step && step.entry ? ` · ${clock(step.entry.t)}` : "") : "no history yet";
    // timeline: every entry, the current macrostep's marked
    const current = new Set(step ? step.entries.map((e) => e.n) : []);
    timeline.replaceChildren(...state.entries.map((e) => {
      let text = "";
      if (e.kind === "event") text = `${e.name}  ${e.data === null || e.data === undefined ? "" : short(e.data, 400)}`;
      else if (e.kind === "state" || e.kind === "exit") text = e.state;
      else if (e.kind === "transition") text = `${e.source} → ${e.targets.join(", ") || "(targetless)"}${e.event ? " on " + e.event : ""}`;
      else if (e.kind === "action") text = `${e.action} ${short(e.attributes, 300)}`;
      else if (e.kind === "log") text = `${e.label || ""}: ${short(e.value, 300)}`;
      else if (e.kind === "macrostep") text = `[${e.configuration.join(", ")}]`;
      else if (e.kind === "start") text = `${(e.document || "").split("/").pop()} ${e.params ? short(e.params, 300) : ""}`;
      else if (e.kind === "end") text = `final: ${e.final || "–"}`;
      else text = short(Object.assign({}, e, {n: undefined, t: undefined, kind: undefined}), 300);
      const row = h("div", {class: current.has(e.n) ? "cur" : "", "data-n": e.n, onclick: () => {
        const idx = state.steps.findIndex((s) => s.entries.some((x) => x.n === e.n));
        if (idx >= 0) goto(idx);
      }}, h("span", {class: `k k-${e.kind}`}, e.kind), e.child ? `(${e.child.slice(0, 6)}) ` : "", text);
      return row;
    }));
    const cur = timeline.querySelector(".cur");
    if (cur && !state.follow) cur.scrollIntoView({block: "nearest"});
    if (state.follow) timeline.scrollTop = timeline.scrollHeight;
    // the datamodel after this macrostep
    let data = null;
    for (let i = state.pos; i >= 0; i--) { if (steps[i] && steps[i].entry && steps[i].entry.datamodel) { data = steps[i].entry.datamodel; break; } }
    vars.replaceChildren(data ? h("table", {}, Object.entries(data).map(([k, v]) =>
      h("tr", {}, h("td", {}, k), h("td", {title: JSON.stringify(v)}, short(JSON.stringify(v), 120))))) : h("div", {class: "empty"}, "–"));
  }

  async function refresh() {
    try {
      const log = await api(`/ors/console/sessions/${sid}`);
      state.status = log.summary.status;
      doc.textContent = `${(log.summary.document || "").split("/").pop()}` +
        (log.summary.interaction ? ` · interaction ${log.summary.interaction}` : "") +
        (log.summary.ani ? ` · ANI ${log.summary.ani}` : "") + (log.summary.dropped ? ` · ${log.summary.dropped} early entries dropped` : "");
      const grew = log.entries.length !== state.entries.length ||
        (log.entries.length && state.entries.length && log.entries[log.entries.length - 1].n !== state.entries[state.entries.length - 1].n);
      state.entries = log.entries;
      state.steps = macrosteps(log.entries);
      if (state.follow || state.pos < 0) state.pos = state.steps.length - 1;
      state.debug = log.debug;
      renderDebug();
      if (grew || state.pos >= 0) paint();
      if (state.status !== "running" && state.timer) { clearInterval(state.timer); state.timer = null; }
    } catch (e) {
      status.textContent = e.message;
      status.className = "status ended";
    }
  }

  api(`/ors/console/sessions/${sid}/chart`).then((chart) => {
    state.chart = new StateChart(chartBox, chart, toggleStateBreakpoint);
    paint();
  }).catch((e) => chartBox.replaceChildren(h("div", {class: "msg"}, `no chart: ${e.message}`)));
  refresh();
  state.timer = setInterval(() => { if (!state.stopped) refresh(); }, 1000);
  return () => { state.stopped = true; if (state.timer) clearInterval(state.timer); };
}

// --- routing ----------------------------------------------------------------------------------
function route() {
  stopCurrent();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  let nav = "ops";
  if (path.startsWith("/session/")) { nav = ""; stopCurrent = showSession(decodeURIComponent(path.slice(9))); }
  else if (path === "/flowlogs") { nav = "flowlogs"; stopCurrent = showFlowLogs(params); }
  else stopCurrent = showOps();
  for (const a of document.querySelectorAll("nav a[data-nav]")) a.classList.toggle("on", a.dataset.nav === nav);
  if (nav !== "ops") setConn("", "");
}

window.addEventListener("hashchange", route);
route();

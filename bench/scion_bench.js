// SCION (@scion-scxml/scxml 4.x) side of bench/run.py.
//
//   node --expose-gc scion_bench.js CHART --events t,step [--budget 1.0] [--sessions 500]
//
// Builds the model once, then measures what bench/measure.py measures for the Python engines
// (same rounds, same budgets) and prints one JSON object.
'use strict';

const path = require('path');
const scxml = require('@scion-scxml/scxml');

const MIN_ROUND = 0.05;

function parseArgs(argv) {
  const opts = { chart: null, events: null, budget: 1.0, sessions: 500 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--events') opts.events = argv[++i].split(',');
    else if (a === '--budget') opts.budget = Number(argv[++i]);
    else if (a === '--sessions') opts.sessions = Number(argv[++i]);
    else opts.chart = a;
  }
  if (!opts.chart || !opts.events) throw new Error('usage: scion_bench.js CHART --events E1,E2');
  return opts;
}

function now() {
  return Number(process.hrtime.bigint()) / 1e9;
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Seconds per item: median over rounds of runBatch(n), n doubled until a round lasts MIN_ROUND.
function rounds(runBatch, budget) {
  let n = 1;
  let elapsed;
  for (;;) {
    elapsed = runBatch(n);
    if (elapsed >= MIN_ROUND || n >= 1 << 20) break;
    n *= 2;
  }
  const perItem = [elapsed / n];
  const deadline = now() + budget;
  while (perItem.length < 3 || (now() < deadline && perItem.length < 50)) {
    perItem.push(runBatch(n) / n);
  }
  return median(perItem);
}

function loadModel(chart) {
  return new Promise((resolve, reject) => {
    scxml.pathToModel(chart, (err, model) => {
      if (err) return reject(err);
      model.prepare((err2, fnModel) => (err2 ? reject(err2) : resolve(fnModel)));
    });
  });
}

function gc() {
  global.gc();
  global.gc();
}

function measure(fnModel, opts) {
  const make = () => {
    const sc = new scxml.core.Statechart(fnModel);
    sc.start();
    return sc;
  };
  const events = opts.events;
  const out = {};

  // Configurations after start and after one and two events, compared across engines.
  const t = make();
  const trace = { after_start: t.getConfiguration().sort() };
  t.gen(events[0]);
  trace.after_1 = t.getConfiguration().sort();
  t.gen(events[1 % events.length]);
  trace.after_2 = t.getConfiguration().sort();
  out.trace = trace;

  out.start_us = 1e6 * rounds((n) => {
    let keep = [];
    gc();
    const t0 = now();
    for (let i = 0; i < n; i++) keep.push(make());
    const elapsed = now() - t0;
    keep = null;
    return elapsed;
  }, opts.budget);

  const sc = make();
  let k = 0;
  out.events_per_s = 1 / rounds((n) => {
    const evs = [];
    for (let i = 0; i < n; i++) evs.push(events[k++ % events.length]);
    const t0 = now();
    for (let i = 0; i < n; i++) sc.gen(evs[i]);
    return now() - t0;
  }, opts.budget);

  // Memory: growth of the V8 heap (heapUsed) and of the resident set over N live instances.
  make();
  gc();
  const before = process.memoryUsage();
  const keep = [];
  const deadline = now() + 2 * opts.budget;
  while (keep.length < opts.sessions && (keep.length < 20 || now() < deadline)) keep.push(make());
  gc();
  const after = process.memoryUsage();
  out.mem_kb = (after.heapUsed - before.heapUsed) / keep.length / 1024;
  out.rss_kb = (after.rss - before.rss) / keep.length / 1024;
  out.mem_sessions = keep.length;
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = { engine: 'SCION' };
  try {
    out.version = require('@scion-scxml/scxml/package.json').version;
    const fnModel = await loadModel(path.resolve(opts.chart));
    Object.assign(out, measure(fnModel, opts));
    out.status = 'ok';
  } catch (err) {
    out.status = 'n/a';
    out.reason = String((err && err.stack) || err).split('\n')[0].slice(0, 300);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();

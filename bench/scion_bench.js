// SCION (@scion-scxml/scxml 4.x) side of bench/run.py.
//
//   node --expose-gc scion_bench.js CHART --events t,step [--budget 1.0] [--sessions 500]
//                                   [--phase all|memory|timing] [--eventless ORIGINAL]
//
// Builds the model once, then measures what bench/measure.py measures for the Python engines
// (same rounds, same budgets) and prints one JSON object.
//
// --eventless ORIGINAL: CHART is the copy whose eventless transitions are driven by `step` events
// (bench/charts.py); ORIGINAL is the chart as shipped. events/s is then measured the way SCION runs
// such a chart: its own eventless loop (one big step, `_performBigStep`, the loop `start()` and
// `gen()` run), counted in microsteps per second. The loop never ends by itself, so a listener
// stops it after the microsteps of a round. Start-up and memory are measured on CHART as usual.
'use strict';

const path = require('path');
const scxml = require('@scion-scxml/scxml');

const MIN_ROUND = 0.05;

function parseArgs(argv) {
  const opts = { chart: null, events: null, budget: 1.0, sessions: 500, phase: 'all', eventless: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--events') opts.events = argv[++i].split(',');
    else if (a === '--budget') opts.budget = Number(argv[++i]);
    else if (a === '--sessions') opts.sessions = Number(argv[++i]);
    else if (a === '--phase') opts.phase = argv[++i];
    else if (a === '--eventless') opts.eventless = argv[++i];
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

// Seconds per item: median over rounds of runBatch(n), n doubled until a round lasts MIN_ROUND
// (a quarter of the budget when that is less).
function rounds(runBatch, budget) {
  const minRound = Math.min(MIN_ROUND, budget / 4);
  let n = 1;
  let elapsed;
  for (;;) {
    elapsed = runBatch(n);
    if (elapsed >= minRound || n >= 1 << 20) break;
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

function trace(make, events) {
  // Configurations after start and after one and two events, compared across engines.
  const sc = make();
  const out = { after_start: sc.getConfiguration().sort() };
  sc.gen(events[0]);
  out.after_1 = sc.getConfiguration().sort();
  sc.gen(events[1 % events.length]);
  out.after_2 = sc.getConfiguration().sort();
  return out;
}

// Growth of the V8 heap (heapUsed) and of the resident set over N live instances, per instance.
// run.py measures it in a process of its own (--phase memory), apart from the timings.
function memory(make, opts) {
  make();
  gc();
  const before = process.memoryUsage();
  const keep = [];
  const deadline = now() + 2 * opts.budget;
  while (keep.length < opts.sessions && (keep.length < 5 || now() < deadline)) keep.push(make());
  gc();
  const after = process.memoryUsage();
  return {
    mem_kb: (after.heapUsed - before.heapUsed) / keep.length / 1024,
    rss_kb: (after.rss - before.rss) / keep.length / 1024,
    mem_sessions: keep.length,
  };
}

function timeStart(make, budget) {
  return rounds((n) => {
    const keep = [];
    gc();
    const t0 = now();
    for (let i = 0; i < n; i++) keep.push(make());
    return now() - t0;
  }, budget);
}

function timeEvents(make, events, budget) {
  const sc = make();
  let k = 0;
  return rounds((n) => {
    const evs = [];
    for (let i = 0; i < n; i++) evs.push(events[k++ % events.length]);
    const t0 = now();
    for (let i = 0; i < n; i++) sc.gen(evs[i]);
    return now() - t0;
  }, budget);
}

// SCION's eventless loop on the original chart, stopped after `n` microsteps by a listener that
// throws once they are done (the configuration is then stable between two small steps).
const STOP = { stop: true };

function eventlessRunner(fnModel, startSteps) {
  const sc = new scxml.core.Statechart(fnModel);
  let left = 0;
  sc.on('onSmallStepEnd', () => {
    if (--left <= 0) throw STOP;
  });
  const run = (n, step) => {
    left = n;
    try {
      step();
    } catch (err) {
      if (err === STOP) return;
      throw err;
    }
    throw new Error('the eventless loop ended before ' + n + ' microsteps');
  };
  run(startSteps, () => sc.start());  // start() takes as many as the driven copy's start
  return { sc, microsteps: (n) => run(n, () => sc._performBigStep()) };
}

function smallStepsOfStart(fnModel) {
  const sc = new scxml.core.Statechart(fnModel);
  let count = 0;
  sc.on('onSmallStepEnd', () => count++);
  sc.start();
  return count;
}

function eventlessTrace(fnModel, startSteps) {
  const r = eventlessRunner(fnModel, startSteps);
  const out = { after_start: r.sc.getConfiguration().sort() };
  r.microsteps(1);
  out.after_1 = r.sc.getConfiguration().sort();
  r.microsteps(1);
  out.after_2 = r.sc.getConfiguration().sort();
  return out;
}

function timeEventless(fnModel, startSteps, budget) {
  const r = eventlessRunner(fnModel, startSteps);
  return rounds((n) => {
    const t0 = now();
    r.microsteps(n);
    return now() - t0;
  }, budget);
}

function measure(fnModel, opts, eventlessModel) {
  const make = () => {
    const sc = new scxml.core.Statechart(fnModel);
    sc.start();
    return sc;
  };
  const out = { trace: trace(make, opts.events) };
  if (opts.phase !== 'timing') Object.assign(out, memory(make, opts));
  if (opts.phase !== 'memory') {
    out.start_us = 1e6 * timeStart(make, opts.budget);
    out.events_per_s = 1 / timeEvents(make, opts.events, opts.budget);
  }
  if (eventlessModel) {
    // The original chart must take the same path as the driven copy, microstep for event.
    const startSteps = smallStepsOfStart(fnModel);
    const native = eventlessTrace(eventlessModel, startSteps);
    if (JSON.stringify(native) !== JSON.stringify(out.trace)) {
      throw new Error('the eventless loop and the driven copy reach different configurations: '
                      + JSON.stringify(native));
    }
    out.events_driven = 'eventless loop (microsteps/s)';
    if (opts.phase !== 'memory') {
      out.events_per_s_stepped = out.events_per_s;  // one gen('step') per microstep, for reference
      out.events_per_s = 1 / timeEventless(eventlessModel, startSteps, opts.budget);
    }
  }
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const out = { engine: 'SCION' };
  try {
    out.version = require('@scion-scxml/scxml/package.json').version;
    const fnModel = await loadModel(path.resolve(opts.chart));
    const eventlessModel = opts.eventless ? await loadModel(path.resolve(opts.eventless)) : null;
    Object.assign(out, measure(fnModel, opts, eventlessModel));
    out.status = 'ok';
  } catch (err) {
    out.status = 'n/a';
    out.reason = String((err && err.stack) || err).split('\n')[0].slice(0, 300);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();

/*
 * `_genesys.queue` functions (ORS-SPEC §4.4). They change how the session's later submits select
 * targets; JS never calls the host, so each one queues a record on the ORS outbox
 * ({kind: 'queue', op: ...}) that the queue router applies once the current evaluation ends.
 */
(function () {
  'use strict';
  var queue = globalThis._genesys.queue;

  function post(record) {
    record.kind = 'queue';
    globalThis.__orsOutbox.push(record);
  }

  // reserveTarget(ixnid, target, time): a selected target stays blocked `time` seconds (0 frees it).
  queue.reserveTarget = function (ixnid, target, time) {
    var seconds = Number(time);
    if (!(seconds >= 0)) throw new TypeError('reserveTarget: time must be a number of seconds (0 or more)');
    if (typeof target !== 'string' || target === '') throw new TypeError('reserveTarget: target must be a target string, e.g. 7001@Switch.DN');
    post({ op: 'reserve', interactionid: ixnid === undefined || ixnid === null ? '0' : String(ixnid),
           target: target, time: seconds });
    return true;
  };

  // checkAgentState(false): later submits may select agents that are logged in but not ready.
  queue.checkAgentState = function (check) {
    var on = !(check === false || check === 0 || String(check).toLowerCase() === 'false');
    post({ op: 'checkstate', value: on });
    return true;
  };

  // cCTExtractTargets(list...): the possible-target string `<queue:submit target>` and `<targetid>`
  // take, built from target strings ('a@SS.A, {StatCallsInQueue<5}Q1@SS.Q'), arrays of them, and
  // objects written like <queue:target> ({name, type, statserver, skill, threshold, weight}), in order
  // and without duplicates. Genesys uses it to keep the targets' DN data for CCTN number translation,
  // which the simulator has no use for.
  var TYPE_CODES = { agent: 'A', place: 'AP', agentgroup: 'GA', placegroup: 'GP', queue: 'Q', dn: 'DN',
                     skill: 'GA', campaigngroup: 'GC', routepoint: 'RP', label: 'DL', queuegroup: 'GQ' };
  // A target list "a@SS.A, ?:sales > 5@SS.GA" split at the commas outside brackets; shared with
  // statistic.js (getAvgData and co. take the same lists).
  function splitTargets(text) {
    var out = [], depth = 0, start = 0;
    for (var i = 0; i <= text.length; i++) {
      var c = text.charAt(i);
      if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') depth--;
      else if ((c === ',' && depth === 0) || i === text.length) {
        if (text.slice(start, i).trim()) out.push(text.slice(start, i).trim());
        start = i + 1;
      }
    }
    return out;
  }
  function targetString(t) {
    if (t === null || typeof t !== 'object') return splitTargets(String(t === undefined ? '' : t));
    var word = String(t.type || 'agent');
    var code = TYPE_CODES[word.toLowerCase()] || word.toUpperCase();
    var server = t.statserver ? String(t.statserver) : '';
    var name = word.toLowerCase() === 'skill' ? '' : String(t.name || '');
    var skill = word.toLowerCase() === 'skill' ? t.name : t.skill;
    if (!name && !skill) throw new TypeError('cCTExtractTargets: a target object needs a name (or a skill)');
    var body = skill ? '?' + name + ':' + skill : name;
    return [(t.threshold ? '{' + t.threshold + '}' : '') + (t.weight !== undefined ? '[' + t.weight + ']' : '')
            + body + '@' + server + '.' + code];
  }
  queue.cCTExtractTargets = function () {
    var seen = {}, out = [];
    Array.prototype.slice.call(arguments).forEach(function (arg) {
      [].concat(arg).forEach(function (item) {
        targetString(item).forEach(function (t) { if (!seen[t]) { seen[t] = true; out.push(t); } });
      });
    });
    return out.join(', ');
  };

  // excludeAgents(list) or excludeAgents(a, b, ...): ids, 'id@statserver.A' or a comma-separated string.
  queue.excludeAgents = function () {
    var names = [];
    Array.prototype.slice.call(arguments).forEach(function (arg) {
      [].concat(arg === undefined || arg === null ? [] : arg).forEach(function (item) {
        String(item).split(',').forEach(function (part) {
          var name = part.trim().replace(/\.A$/, '').split('@')[0];
          if (name) names.push(name);
        });
      });
    });
    post({ op: 'exclude', agents: names });
    return true;
  };
  Object.defineProperty(globalThis, '__ors_splitTargets', {value: splitTargets, enumerable: false,
                                                           configurable: true, writable: true});
})();

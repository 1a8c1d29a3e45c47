/*
 * `_genesys.statistic.sData(object, statistic)` (ORS-SPEC §4.5).
 *
 * sData must answer at once and JS never calls the host, so the host pushes a snapshot of every
 * statistic value for the objects it knows (__ors_setStatistics(json), before each event the
 * session takes whenever anything changed). sData only looks up. An object the snapshot does not
 * cover yet (a new skill expression) answers undefined and is queued on the outbox
 * ({kind: 'statistic', op: 'want'}), so it is covered from the next event on.
 */
(function () {
  'use strict';
  var values = {};

  Object.defineProperty(globalThis, '__ors_setStatistics', {
    value: function (json) { values = JSON.parse(json); },
    writable: true, configurable: true, enumerable: false,
  });

  // The canonical key of an object in target format: TYPE:name, TYPE:?group:expression (no blanks).
  function key(object) {
    var text = String(object).trim();
    if (text === 'R' || text === 'RP') return text;
    text = text.replace(/^\{[^}]*\}/, '').replace(/^\[[^\]]*\]/, '').trim();
    var dot = text.lastIndexOf('.');
    if (dot < 0) return null;
    var type = text.slice(dot + 1).trim().toUpperCase();
    var left = text.slice(0, dot);
    var at = left.lastIndexOf('@');
    var name = (at < 0 ? left : left.slice(0, at)).trim();
    if (name.charAt(0) === '?') {
      var colon = name.indexOf(':');
      if (colon < 0) return null;
      return type + ':?' + name.slice(1, colon).trim() + ':' + name.slice(colon + 1).replace(/\s+/g, '');
    }
    return type + ':' + name;
  }

  function lookup(object) {
    var k = key(object);
    if (k !== null && k in values) return values[k];
    if (k === null) {  // a bare name: a virtual queue, an agent or a group, whichever exists
      var kinds = ['Q:', 'A:', 'GA:', 'AP:', 'GP:'];
      for (var i = 0; i < kinds.length; i++) {
        if ((kinds[i] + String(object).trim()) in values) return values[kinds[i] + String(object).trim()];
      }
      return undefined;
    }
    globalThis.__orsOutbox.push({ kind: 'statistic', op: 'want', object: String(object) });
    return undefined;
  }

  // A Direct Statistic Definition ({Category, MainMask, ...}) -> the predefined statistic the
  // simulator computes for it (the table is statistic/definitions.py's, set by the host).
  function statisticName(statistic) {
    if (statistic === null || typeof statistic !== 'object') return String(statistic);
    var fields = {};
    Object.keys(statistic).forEach(function (k) { fields[k.toLowerCase()] = statistic[k]; });
    var table = globalThis.__orsStatisticDefinitions || {};
    if (typeof fields.name === 'string' && table['name|' + fields.name]) return fields.name;
    var category = String(fields.category || '').trim().toLowerCase();
    var mask = String(fields.mainmask || '*').replace(/;/g, ',').split(',')[0].trim().toLowerCase() || '*';
    return table[category + '|' + mask] || (fields.name ? String(fields.name) : undefined);
  }

  function sData(object, statistic) {
    var name = statisticName(statistic);
    var row = lookup(object);
    return row === undefined || name === undefined ? undefined : row[name];
  }
  globalThis._genesys.statistic.sData = sData;

  // getAvgData / getMinData / getMaxData(targets, statistic): over a target list (a possible-target
  // string 'a@SS.A, b@SS.A' or an array), the average / least / greatest value of the statistic
  // among the targets that have one; undefined when none has.
  function targetsOf(targets) {
    if (Array.isArray(targets)) return targets.map(String);
    return __ors_splitTargets(String(targets === undefined || targets === null ? '' : targets));  // queue.js
  }
  function valuesOf(targets, statistic) {
    return targetsOf(targets).map(function (t) { return sData(t, statistic); })
      .filter(function (v) { return typeof v === 'number' && !isNaN(v); });
  }
  globalThis._genesys.statistic.getAvgData = function (targets, statistic) {
    var v = valuesOf(targets, statistic);
    return v.length ? v.reduce(function (a, b) { return a + b; }, 0) / v.length : undefined;
  };
  globalThis._genesys.statistic.getMinData = function (targets, statistic) {
    var v = valuesOf(targets, statistic);
    return v.length ? Math.min.apply(null, v) : undefined;
  };
  globalThis._genesys.statistic.getMaxData = function (targets, statistic) {
    var v = valuesOf(targets, statistic);
    return v.length ? Math.max.apply(null, v) : undefined;
  };
})();

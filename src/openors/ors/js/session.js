/*
 * `_genesys.session` functions (ORS-SPEC §4.2) over data the host pushes; they never call it.
 *
 *   __ors_setSessionConfig(obj)   server, tenant, configuration lists, special days, options
 *                                 (the `config_lists` file; openors/ors/session/config.py)
 *   __ors_setClock(nowMs, offsets) the session's time (virtual clocks; null = Date.now()) and
 *                                 the UTC offset in minutes of every known zone name
 *
 * QuickJS has no Intl, so zone arithmetic uses those pushed offsets; a zone may also be written
 * as a fixed offset ('GMT+2', 'UTC-03:30', '+0530'). An unknown zone counts as UTC and is logged.
 */
(function () {
  'use strict';
  var session = globalThis._genesys.session;
  var config = { lists: {}, specialDays: {}, options: { tenant: {}, dns: {} } };
  var clock = { now: null, offsets: {} };
  var warned = {};

  function hidden(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
  }

  hidden(globalThis, '__ors_setSessionConfig', function (data) {
    if (typeof data === 'string') data = JSON.parse(data);
    if (data.server) {
      session.server = { name: data.server.name, cluster: data.server.cluster || data.server.name,
                         url: data.server.url === null ? undefined : data.server.url };
    }
    if (data.tenant) {
      if (data.tenant.name !== undefined) session.tenant = String(data.tenant.name);
      if (data.tenant.id !== undefined) session.tenantid = Number(data.tenant.id);
    }
    config.lists = data.lists || {};
    config.specialDays = data.specialDays || {};
    config.options = data.options || { tenant: {}, dns: {} };
  });

  hidden(globalThis, '__ors_setClock', function (nowMs, offsets) {
    clock.now = (nowMs === null || nowMs === undefined) ? null : Number(nowMs);
    if (offsets) clock.offsets = typeof offsets === 'string' ? JSON.parse(offsets) : offsets;
  });

  // `Date` follows the session's clock too: `new Date()` and `Date.now()` are virtual time in a
  // simulation (service hours, timestamps), the real time otherwise.
  var RealDate = Date;
  function realNow() { return RealDate.now(); }
  function now() { return clock.now === null ? realNow() : clock.now; }
  function SessionDate(a, b, c, d, e, f, g) {
    if (!(this instanceof SessionDate)) return String(new RealDate(now()));
    switch (arguments.length) {
      case 0: return new RealDate(now());
      case 1: return new RealDate(a);
      default: return new RealDate(a, b, c === undefined ? 1 : c, d || 0, e || 0, f || 0, g || 0);
    }
  }
  SessionDate.prototype = RealDate.prototype;
  SessionDate.now = now;
  SessionDate.UTC = RealDate.UTC;
  SessionDate.parse = RealDate.parse;
  hidden(globalThis, 'Date', SessionDate);

  var FIXED = /^\s*(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$/i;

  function offsetMinutes(zone) {
    if (zone === undefined || zone === null || zone === '') return 0;
    var name = String(zone);
    if (Object.prototype.hasOwnProperty.call(clock.offsets, name)) return clock.offsets[name];
    var upper = name.toUpperCase();
    if (Object.prototype.hasOwnProperty.call(clock.offsets, upper)) return clock.offsets[upper];
    var m = FIXED.exec(name);
    if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] || 0));
    if (!warned[name]) {
      warned[name] = true;
      if (typeof __Log === 'function') __Log('_genesys.session: unknown time zone "' + name + '", using UTC', '', 3);
    }
    return 0;
  }

  // A Date whose UTC fields are the wall-clock fields in `zone`.
  function wall(zone) { return new RealDate(now() + offsetMinutes(zone) * 60000); }
  function two(n) { return n < 10 ? '0' + n : String(n); }
  function hhmmss(d) { return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds()); }
  function ymd(d) { return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()); }

  // The application name of the ORS running this session (the IRD function of the same name).
  session.ActiveServerName = function () { return session.server ? session.server.name : undefined; };

  session.timeInZone = function (zone) { return hhmmss(wall(zone)); };
  session.dateInZone = function (zone) { return ymd(wall(zone)); };
  session.dayInZone = function (zone) { return wall(zone).getUTCDay(); };

  function own(obj, key) {
    return obj !== null && typeof obj === 'object' && Object.prototype.hasOwnProperty.call(obj, String(key));
  }

  function copy(obj) { return JSON.parse(JSON.stringify(obj)); }

  // (list, item): the item's key/value object; (list, item, key): one value. "" when absent.
  session.getListItemValue = function (list, item, key) {
    if (!own(config.lists, list) || !own(config.lists[list], item)) return '';
    var values = config.lists[list][item];
    if (key === undefined || key === null) return copy(values);
    return own(values, key) ? values[key] : '';
  };

  // IRD GetConfigOption: the interaction's DN (its routing point) first unless the lookup
  // sequence starts from the tenant or the T-Server; then the tenant. "" when absent.
  session.getConfigOption = function (ixnId, key, lookupseq) {
    var seq = session.lookupseq;
    var fromDn = lookupseq === undefined || lookupseq === null || lookupseq === seq.StartFromStrategy ||
      lookupseq === seq.StartFromCDN || lookupseq === seq.StartFromRouter;
    if (fromDn) {
      var dn = interactionDn(ixnId);
      if (dn !== undefined && own(config.options.dns, dn) && own(config.options.dns[dn], key)) {
        return config.options.dns[dn][key];
      }
    }
    return own(config.options.tenant, key) ? config.options.tenant[key] : '';
  };

  function interactionDn(ixnId) {
    var all = globalThis._genesys.ixn.interactions || {};
    var ixn = (ixnId === undefined || ixnId === null || ixnId === '' || ixnId === '0') ? all[0] : all[ixnId];
    if (!ixn) return undefined;
    if (ixn.voice && ixn.voice.dnis) return String(ixn.voice.dnis);
    return ixn.dnis !== undefined ? String(ixn.dnis) : undefined;
  }

  function minutes(hhmm) {
    var p = String(hhmm).split(':');
    return Number(p[0]) * 60 + Number(p[1] || 0);
  }

  function dayMatches(day, date, timeOfDay, useTime) {
    var spec = String(day.date || '');
    var ok = spec.length === 5 ? date.slice(5) === spec : date === spec;
    if (!ok || !useTime) return ok;
    var t = minutes(timeOfDay);
    return t >= minutes(day.start || '00:00') && t < minutes(day.end || '24:00');
  }

  // IRD IsSpecialDay(Ex): 1 when today (in `zone`) is `statDay` of table `statTable` (any day of
  // the table when `statDay` is empty) and, with `useTime`, now is inside its start/end; else 0.
  session.isSpecialDay = function (statTable, statDay, zone, useTime) {
    if (!own(config.specialDays, statTable)) return 0;
    var table = config.specialDays[statTable];
    var d = wall(zone);
    var date = ymd(d);
    var time = hhmmss(d).slice(0, 5);
    var use = useTime === true || useTime === 'true' || useTime === 1;
    var names = (statDay === undefined || statDay === null || statDay === '') ? Object.keys(table) : [String(statDay)];
    for (var i = 0; i < names.length; i++) {
      if (own(table, names[i]) && dayMatches(table[names[i]], date, time, use)) return 1;
    }
    return 0;
  };
})();

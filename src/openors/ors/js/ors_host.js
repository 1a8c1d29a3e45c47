/*
 * The interpreter built-ins ORS gives to scripts: __Log, __Raise, __GetCurrentStates, __GetDocumentURL.
 *
 * Why pure JS: the QuickJS binding cannot call into Python while a time limit is set, so these
 * functions never call the host. They talk to it through two globals instead.
 *
 * Host contract
 * -------------
 * Before an evaluation the host may set (plain JSON-like data):
 *     globalThis.__orsHost = {
 *         states: ['_composer_globalstate', '_composer_parallel', ...],  // active state ids,
 *                 //   in document order; Composer logs the last one as the "current block"
 *         url: 'http://host/app/src-gen/IPD_x.scxml'  // URL of the session's document
 *     };
 * After each evaluation the host drains the outbox, for example with
 *     JSON.parse(ctx.eval('__orsDrainOutbox()'))  ->  [record, ...] in call order, outbox emptied
 * Records:
 *     {kind: 'log',   text: String(msg), label: '' | String(label), level: null | Number(level)}
 *         level as ORS <log>: 1 reporting, 2 error, 3 warning, 4 debug; null = not given
 *     {kind: 'raise', name: String(name), data: <JSON copy of the data argument, or null>}
 *         the host turns it into an internal event, as <raise> would (data taken at call time)
 *
 * __GetCurrentStates() returns a fresh array copy of __orsHost.states ([] if unset).
 * __GetDocumentURL() returns __orsHost.url ('' if unset).
 */
(function () {
  'use strict';

  function define(name, fn) {
    Object.defineProperty(globalThis, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }

  if (!Array.isArray(globalThis.__orsOutbox)) {
    Object.defineProperty(globalThis, '__orsOutbox', { value: [], writable: true, configurable: true, enumerable: false });
  }

  function host() {
    var h = globalThis.__orsHost;
    return (h !== null && typeof h === 'object') ? h : {};
  }

  // Event data is copied now, so later changes by the script do not reach the raised event.
  function snapshot(data) {
    if (data === undefined || data === null) return null;
    var text;
    try {
      text = JSON.stringify(data);
    } catch (e) {
      throw new TypeError('__Raise: event data cannot be copied: ' + e.message);
    }
    return text === undefined ? null : JSON.parse(text);
  }

  define('__Log', function __Log(message, label, level) {
    globalThis.__orsOutbox.push({
      kind: 'log',
      text: String(message),
      label: (label === undefined || label === null) ? '' : String(label),
      level: (level === undefined || level === null || level === '') ? null : Number(level)
    });
  });

  define('__Raise', function __Raise(name, data) {
    if (name === undefined || name === null || String(name) === '') {
      throw new TypeError('__Raise: an event name is required');
    }
    globalThis.__orsOutbox.push({ kind: 'raise', name: String(name), data: snapshot(data) });
  });

  define('__GetCurrentStates', function __GetCurrentStates() {
    var states = host().states;
    return Array.isArray(states) ? states.slice() : [];
  });

  define('__GetDocumentURL', function __GetDocumentURL() {
    var url = host().url;
    return (url === undefined || url === null) ? '' : String(url);
  });

  define('__orsDrainOutbox', function __orsDrainOutbox() {
    // splice keeps the array the host may hold a reference to
    return JSON.stringify(globalThis.__orsOutbox.splice(0, globalThis.__orsOutbox.length));
  });
})();

/*
 * ORS's per-state variable scopes (docs/ors-layer.md, "Variable scopes").
 *
 * A <data> in a state's <datamodel> is that state's variable: it is created when the state is
 * entered and gone when it exits; while the state is active it hides a variable of the same name of
 * an enclosing state (or of the document), whose value comes back on exit. The host calls
 *   __ors_scopeEnter(stateId, ids)   before the state's data are initialised
 *   __ors_scopeExit(stateId, ids)    after its onexit
 * The values live in `_data` (ORS data items). What a scope hides is kept until it exits in the
 * global `_ors_hidden_scopes` (state id -> [{id, had, value}]): a global made after the prelude, so
 * session snapshots carry it and an evicted session gets the hidden values back on exit.
 */
(function () {
  'use strict';
  var HIDDEN = '_ors_hidden_scopes';

  function define(name, fn) {
    Object.defineProperty(globalThis, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }

  function hidden() {
    if (!Object.prototype.hasOwnProperty.call(globalThis, HIDDEN)) {
      Object.defineProperty(globalThis, HIDDEN, { value: {}, writable: true, configurable: true, enumerable: false });
    }
    return globalThis[HIDDEN];
  }

  define('__ors_scopeEnter', function (stateId, ids) {
    var data = globalThis._data;
    hidden()[stateId] = ids.map(function (id) {
      return { id: id, had: Object.prototype.hasOwnProperty.call(data, id), value: data[id] };
    });
  });

  define('__ors_scopeExit', function (stateId) {
    var data = globalThis._data, all = hidden(), saved = all[stateId] || [];
    delete all[stateId];
    saved.forEach(function (s) {
      if (s.had) data[s.id] = s.value;
      else delete data[s.id];
    });
  });
})();

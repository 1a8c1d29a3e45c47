/*
 * `_genesys.ixn` data and functions (ORS-SPEC §4.3), fed by the host.
 *
 * The host pushes the session's interactions as JSON with __ors_setInteractions(json) whenever
 * they change (before the event that reports the change is processed). Functions that change
 * an interaction (setuData, deleteuData) do not call the host: they queue a record on the ORS
 * outbox ({kind: 'udata', ...}); the host turns it into a platform request, and the session hears
 * back through `interaction.udata.changed`.
 */
(function () {
  'use strict';
  var ixn = globalThis._genesys.ixn;
  var byId = {};
  var order = [];

  function hidden(obj, name, value) {
    Object.defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
  }

  // interactions: keyed by id and by position 0..n-1 (association order), with `length`.
  function collection() {
    var c = {};
    order.forEach(function (id, i) {
      c[id] = byId[id];
      hidden(c, String(i), byId[id]);
    });
    hidden(c, 'length', order.length);
    return c;
  }

  hidden(globalThis, '__ors_setInteractions', function (json) {
    var state = JSON.parse(json);
    byId = state.interactions;
    order = state.order;
    ixn.interactions = collection();
    ixn.length = order.length;
    ixn.firstixnid = state.firstixnid === null ? undefined : state.firstixnid;
  });

  // _genesys.ixn.callState (CallStateAbandoned: 21, ...): the host pushes the table, which lives
  // in Python (openors.platform.model.callmodel), so the two can never disagree.
  hidden(globalThis, '__ors_setCallState', function (json) {
    ixn.callState = Object.freeze(JSON.parse(json));
  });

  // "0" (or nothing) means the session's first interaction, as for every ORS action.
  function resolve(ixnid) {
    if (ixnid === undefined || ixnid === null || ixnid === '' || String(ixnid) === '0') {
      if (!order.length) throw new Error('the session has no interaction');
      return order[0];
    }
    var id = String(ixnid);
    if (!(id in byId)) throw new Error("interaction '" + id + "' is not associated with this session");
    return id;
  }
  function post(record) { globalThis.__orsOutbox.push(record); }

  ixn.setuData = function (data, ixnid) {
    if (data === null || typeof data !== 'object') throw new TypeError('setuData: expected an object of key/value pairs');
    var id = resolve(ixnid);
    var copy = JSON.parse(JSON.stringify(data));
    // The local view changes at once; the platform confirms with interaction.udata.changed.
    for (var k in copy) byId[id].udata[k] = copy[k];
    post({ kind: 'udata', op: 'set', interactionid: id, data: copy });
    return true;
  };
  ixn.deleteuData = function (key, ixnid) {
    var id = resolve(ixnid);
    var keys = (key === undefined || key === null) ? null : [].concat(key).map(String);
    if (keys === null) byId[id].udata = {};
    else keys.forEach(function (k) { delete byId[id].udata[k]; });
    post({ kind: 'udata', op: 'delete', interactionid: id, keys: keys });
    return true;
  };
  ixn.getuData = function (key, ixnid) {
    var id = resolve(ixnid);
    return byId[id].udata[key];
  };
})();

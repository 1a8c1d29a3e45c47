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
})();

// Run once in every session's QuickJS context, before any document code.
// Host contract (nothing here calls out to Python, so an evaluation never re-enters the host):
// Python pushes state in with the __scxml_* functions and reads values back as JSON.
(function () {
  "use strict";
  var g = globalThis;
  var currentEvent = undefined;
  var active = Object.create(null);
  var system = Object.create(null);

  function readOnly(name) {
    Object.defineProperty(g, name, {
      get: function () { return name === "_event" ? currentEvent : system[name]; },
      set: function () { throw new TypeError(name + " is a read-only system variable"); },
      enumerable: false,
      configurable: false,
    });
  }
  ["_event", "_sessionid", "_name", "_ioprocessors"].forEach(readOnly);

  // --- host entry points ----------------------------------------------------------------
  g.__scxml_parse = function (json, hasXml) {
    return hasXml ? JSON.parse(json, g.__scxml_dom.revive) : JSON.parse(json);
  };
  g.__scxml_setSystem = function (json) {
    var s = JSON.parse(json);
    for (var k in s) system[k] = s[k];
  };
  g.__scxml_setEvent = function (name, type, sendid, origin, origintype, invokeid, data, hasXml, raw) {
    var ev = {
      name: name,
      type: type,
      sendid: sendid === null ? undefined : sendid,
      origin: origin === null ? undefined : origin,
      origintype: origintype === null ? undefined : origintype,
      invokeid: invokeid === null ? undefined : invokeid,
      data: data === null ? undefined : g.__scxml_parse(data, hasXml),
      raw: raw === null ? undefined : raw,
    };
    currentEvent = Object.freeze(ev);
  };
  g.__scxml_setConfiguration = function (ids) {
    active = Object.create(null);
    for (var i = 0; i < ids.length; i++) active[ids[i]] = true;
  };
  g.In = function (id) { return active[id] === true; };
  g.__scxml_activeIds = function () { return Object.keys(active); };  // document order
  g.__scxml_toJSON = function (v) {
    if (v === undefined) return undefined;
    if (typeof v === "function") return JSON.stringify({ __function__: String(v) });
    return JSON.stringify(v);
  };
  g.__scxml_isArray = function (v) { return Array.isArray(v); };
})();

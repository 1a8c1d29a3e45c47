// Run once in every session's QuickJS context, before any document code.
// Host contract (the binding cannot call into Python while a time limit is set, so nothing here
// calls out): Python pushes state in with the __scxml_* functions and reads values back as JSON.
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

  // --- a small DOM for XML values (W3C B.2.2: XML content becomes a DOM) ---------------
  function Node(type, name) {
    this.nodeType = type;
    this.nodeName = name;
    this.childNodes = [];
    this.parentNode = null;
  }
  Node.prototype = {
    get firstChild() { return this.childNodes[0] || null; },
    get lastChild() { return this.childNodes[this.childNodes.length - 1] || null; },
    get children() { return this.childNodes.filter(function (n) { return n.nodeType === 1; }); },
    get documentElement() { return this.children[0] || null; },
    get tagName() { return this.nodeType === 1 ? this.nodeName : undefined; },
    get localName() { return this.nodeType === 1 ? this.nodeName.replace(/^.*:/, "") : null; },
    get textContent() {
      if (this.nodeType === 3) return this.nodeValue;
      return this.childNodes.map(function (n) { return n.textContent; }).join("");
    },
    getAttribute: function (name) {
      return this.attributes && name in this.attributes ? this.attributes[name] : null;
    },
    hasAttribute: function (name) { return !!this.attributes && name in this.attributes; },
    setAttribute: function (name, value) { this.attributes[name] = String(value); },
    appendChild: function (child) { child.parentNode = this; this.childNodes.push(child); return child; },
    getElementsByTagName: function (name) {
      var out = [];
      (function walk(node) {
        node.childNodes.forEach(function (c) {
          if (c.nodeType === 1) {
            if (name === "*" || c.nodeName === name || c.localName === name) out.push(c);
            walk(c);
          }
        });
      })(this);
      return out;
    },
    toXML: function () {
      if (this.nodeType === 3) return this.nodeValue.replace(/&/g, "&amp;").replace(/</g, "&lt;");
      var inner = this.childNodes.map(function (n) { return n.toXML(); }).join("");
      if (this.nodeType === 9) return inner;
      var attrs = "";
      for (var k in this.attributes) {
        attrs += " " + k + '="' + String(this.attributes[k]).replace(/&/g, "&amp;").replace(/"/g, "&quot;") + '"';
      }
      return "<" + this.nodeName + attrs + (inner ? ">" + inner + "</" + this.nodeName + ">" : "/>");
    },
    toJSON: function () { return { __xml__: this.toXML() }; },
    toString: function () { return this.toXML(); },
  };

  // Python sends XML already parsed: ["e", name, {attrs}, [children...]] or a text string.
  function build(spec) {
    if (typeof spec === "string") {
      var t = new Node(3, "#text");
      t.nodeValue = spec;
      return t;
    }
    var el = new Node(1, spec[1]);
    el.attributes = spec[2];
    spec[3].forEach(function (c) { el.appendChild(build(c)); });
    return el;
  }
  function xmlDocument(specs) {
    var doc = new Node(9, "#document");
    specs.forEach(function (s) { doc.appendChild(build(s)); });
    return doc;
  }
  function revive(key, value) {
    if (value && typeof value === "object" && value.__xmlspec__) return xmlDocument(value.__xmlspec__);
    return value;
  }

  // --- host entry points ----------------------------------------------------------------
  g.__scxml_parse = function (json, hasXml) { return hasXml ? JSON.parse(json, revive) : JSON.parse(json); };
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

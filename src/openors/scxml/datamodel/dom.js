// The small DOM for XML values (W3C B.2.2: XML content becomes a DOM). Loaded into a session's
// context only when an XML value first appears there, because most sessions never see one.
(function () {
  "use strict";
  var g = globalThis;
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

  // the reviver the host hands the engine's JSON.parse for values that carry XML
  Object.defineProperty(g, "__scxml_revive", { value: revive, enumerable: false });
})();

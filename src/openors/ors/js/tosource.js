/*
 * SpiderMonkey's source-text serialisation, which ORS applications call: the global uneval(v) and
 * the non-enumerable toSource() methods of Object, Array, String, Number, Boolean, Date, Function,
 * RegExp and Error prototypes. ORS ran on SpiderMonkey; QuickJS has neither.
 *
 * The output reads back with eval() to an equal value:
 *   uneval("a\"b")            "a\"b"               (quoted with ", escapes as SpiderMonkey writes them)
 *   uneval({a:1, "b-c":2})    ({a:1, "b-c":2})     (parenthesised at the top, so eval reads an object)
 *   uneval([1, , "x"])        [1, , "x"]
 *   uneval(undefined)         (void 0)
 *   uneval(-0), NaN, Infinity -0, NaN, Infinity
 *   (new String("x")).toSource()   (new String("x"));  new Date(1234) -> (new Date(1234))
 * An object met again while it is being written (a cycle) is written as {} or [], as current
 * SpiderMonkey does, so cycles end instead of recursing forever.
 *
 * Plain script, no host calls: safe with a QuickJS time limit set. Evaluating it again is harmless.
 */
(function () {
  'use strict';

  var IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  var ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
  var LETTER_ESCAPES = { 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 34: '"', 92: '\\' };

  function hex(code, width) {
    var digits = code.toString(16).toUpperCase();
    while (digits.length < width) digits = '0' + digits;
    return digits;
  }

  // A double-quoted literal; printable ASCII stays, the rest is escaped like SpiderMonkey does.
  function quote(s) {
    var out = '"';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (LETTER_ESCAPES.hasOwnProperty(c)) out += '\\' + LETTER_ESCAPES[c];
      else if (c >= 0x20 && c < 0x7F) out += s.charAt(i);
      else if (c < 0x100) out += '\\x' + hex(c, 2);
      else out += '\\u' + hex(c, 4);
    }
    return out + '"';
  }

  function numberSource(n) {
    return (n === 0 && 1 / n < 0) ? '-0' : String(n);
  }

  function propertyKey(key) {
    if (key === '__proto__') return '["__proto__"]'; // a plain key would set the prototype on eval
    if (IDENTIFIER.test(key) || ARRAY_INDEX.test(key)) return key;
    return quote(key);
  }

  function symbolSource(sym) {
    var key = Symbol.keyFor(sym);
    if (key !== undefined) return 'Symbol.for(' + quote(key) + ')';
    var description = sym.description;
    var names = Object.getOwnPropertyNames(Symbol);
    for (var i = 0; i < names.length; i++) {
      if (Symbol[names[i]] === sym) return 'Symbol.' + names[i];
    }
    return description === undefined ? 'Symbol()' : 'Symbol(' + quote(description) + ')';
  }

  function functionSource(fn) {
    var text = Function.prototype.toString.call(fn);
    return '(' + text + ')';
  }

  function errorSource(err, seen) {
    var name = typeof err.name === 'string' && IDENTIFIER.test(err.name) ? err.name : 'Error';
    if (typeof globalThis[name] !== 'function') name = 'Error';
    return '(new ' + name + '(' + write(String(err.message), true, seen) + '))';
  }

  // SpiderMonkey writes these objects by constructor; `kind` is from Object.prototype.toString.
  function boxedSource(value, kind) {
    if (kind === 'String') return '(new String(' + quote(String.prototype.valueOf.call(value)) + '))';
    if (kind === 'Number') return '(new Number(' + numberSource(Number.prototype.valueOf.call(value)) + '))';
    if (kind === 'Boolean') return '(new Boolean(' + Boolean.prototype.valueOf.call(value) + '))';
    if (kind === 'Date') return '(new Date(' + numberSource(Date.prototype.getTime.call(value)) + '))';
    if (kind === 'RegExp') return RegExp.prototype.toString.call(value);
    return null;
  }

  function arraySource(arr, seen) {
    var parts = [];
    for (var i = 0; i < arr.length; i++) {
      parts.push(Object.prototype.hasOwnProperty.call(arr, i) ? write(readProperty(arr, i), true, seen) : '');
    }
    // A trailing hole needs one more comma, or eval would read a shorter array.
    var tail = (arr.length > 0 && !Object.prototype.hasOwnProperty.call(arr, arr.length - 1)) ? ',' : '';
    return '[' + parts.join(', ') + tail + ']';
  }

  function objectBody(obj, seen) {
    var keys = Object.keys(obj);
    var parts = [];
    for (var i = 0; i < keys.length; i++) {
      var value;
      try {
        value = obj[keys[i]];
      } catch (e) {
        continue; // a throwing getter: leave the property out rather than fail the whole log line
      }
      parts.push(propertyKey(keys[i]) + ':' + write(value, true, seen));
    }
    return '{' + parts.join(', ') + '}';
  }

  function readProperty(obj, key) {
    try {
      return obj[key];
    } catch (e) {
      return undefined;
    }
  }

  // An object's own toSource() wins, as in SpiderMonkey; ours are recognised and skipped.
  function customSource(obj) {
    var method;
    try {
      method = obj.toSource;
    } catch (e) {
      return null;
    }
    if (typeof method !== 'function' || OUR_METHODS.indexOf(method) >= 0) return null;
    return String(method.call(obj));
  }

  function write(value, nested, seen) {
    switch (typeof value) {
      case 'undefined': return '(void 0)';
      case 'string': return quote(value);
      case 'number': return numberSource(value);
      case 'boolean': return String(value);
      case 'bigint': return String(value) + 'n';
      case 'symbol': return symbolSource(value);
    }
    if (value === null) return 'null';
    if (seen.indexOf(value) >= 0) return Array.isArray(value) ? '[]' : '{}';
    var custom = customSource(value);
    if (custom !== null) return custom;
    if (typeof value === 'function') return functionSource(value);
    var kind = Object.prototype.toString.call(value).slice(8, -1);
    var boxed = boxedSource(value, kind);
    if (boxed !== null) return boxed;
    seen.push(value);
    try {
      if (Array.isArray(value)) return arraySource(value, seen);
      if (value instanceof Error) return errorSource(value, seen);
      var body = objectBody(value, seen);
      return nested ? body : '(' + body + ')';
    } finally {
      seen.pop();
    }
  }

  // The source text is built by concatenation, and QuickJS-ng keeps a long concatenation as a
  // rope (a string value of its own kind, tag -6) that the Python binding cannot convert:
  // `<log expr="_event.toSource()"/>` failed with "Unknown quickjs tag: -6". Joining copies the
  // text into one flat string, which crosses to the host like any other.
  function flat(text) {
    return typeof text === 'string' ? [text].join('') : text;
  }

  function uneval(value) {
    return flat(write(value, false, []));
  }

  // The prototype methods below write `this` directly: calling uneval(this) would find the
  // method again through customSource and recurse.
  function bodyOf(fn) {
    return function () { return flat(fn(this)); };
  }

  var OUR_METHODS = [];
  function define(target, name, fn) {
    Object.defineProperty(target, name, { value: fn, writable: true, configurable: true, enumerable: false });
    OUR_METHODS.push(fn);
  }

  function plainObjectSource(self) {
    if (self === null || (typeof self !== 'object' && typeof self !== 'function')) return write(self, false, []);
    var seen = [];
    if (typeof self === 'function') return functionSource(self);
    var boxed = boxedSource(self, Object.prototype.toString.call(self).slice(8, -1));
    if (boxed !== null) return boxed;
    seen.push(self);
    if (Array.isArray(self)) return arraySource(self, seen);
    if (self instanceof Error) return errorSource(self, seen);
    return '(' + objectBody(self, seen) + ')';
  }

  define(globalThis, 'uneval', uneval);
  define(Object.prototype, 'toSource', bodyOf(plainObjectSource));
  define(Array.prototype, 'toSource', bodyOf(plainObjectSource));
  define(String.prototype, 'toSource', bodyOf(function (self) {
    return '(new String(' + quote(String.prototype.valueOf.call(self)) + '))';
  }));
  define(Number.prototype, 'toSource', bodyOf(function (self) {
    return '(new Number(' + numberSource(Number.prototype.valueOf.call(self)) + '))';
  }));
  define(Boolean.prototype, 'toSource', bodyOf(function (self) {
    return '(new Boolean(' + Boolean.prototype.valueOf.call(self) + '))';
  }));
  define(Date.prototype, 'toSource', bodyOf(function (self) {
    return '(new Date(' + numberSource(Date.prototype.getTime.call(self)) + '))';
  }));
  define(Function.prototype, 'toSource', bodyOf(functionSource));
  define(RegExp.prototype, 'toSource', bodyOf(function (self) { return RegExp.prototype.toString.call(self); }));
  define(Error.prototype, 'toSource', bodyOf(function (self) { return errorSource(self, [self]); }));
})();

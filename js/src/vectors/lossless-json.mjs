// A strict JSON parser that keeps every number's text, so that a policy
// embedded in a vector file is signed with the numbers it was written with
// (JSON.parse would round 18446744073709551615 to a double). It follows
// serde_json where the two differ from JSON.parse: lone surrogate escapes and
// nesting deeper than 128 are errors, and a duplicate key keeps its last value.

/** A number as written in the source. */
export class RawNumber {
  constructor(text) { this.text = text; }
  valueOf() { return Number(this.text); }
}

const WS = /[ \t\n\r]*/y;
const NUM = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const STR_PLAIN = /[^"\\\u0000-\u001f]*/y;
const MAX_DEPTH = 128;

export function parse(text) {
  let i = 0;
  const fail = (what) => { throw new SyntaxError(`${what} at offset ${i}`); };
  const ws = () => { WS.lastIndex = i; WS.exec(text); i = WS.lastIndex; };
  const str = () => {
    i++; // opening quote
    let out = '';
    for (;;) {
      STR_PLAIN.lastIndex = i;
      const m = STR_PLAIN.exec(text);
      out += m[0];
      i = STR_PLAIN.lastIndex;
      const c = text[i];
      if (c === '"') { i++; return out; }
      if (c !== '\\') fail(c === undefined ? 'unterminated string' : 'control character in string');
      const e = text[i + 1];
      i += 2;
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
      if (simple !== undefined) { out += simple; continue; }
      if (e !== 'u') fail('invalid escape');
      const hex = (at) => {
        const h = text.slice(at, at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
        return parseInt(h, 16);
      };
      const u = hex(i);
      i += 4;
      if (u >= 0xdc00 && u <= 0xdfff) fail('lone trailing surrogate');
      if (u >= 0xd800 && u <= 0xdbff) {
        if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone leading surrogate');
        const lo = hex(i + 2);
        if (lo < 0xdc00 || lo > 0xdfff) fail('lone leading surrogate');
        i += 6;
        out += String.fromCharCode(u, lo);
      } else {
        out += String.fromCharCode(u);
      }
    }
  };
  const value = (depth) => {
    ws();
    const c = text[i];
    if (c === '{') {
      if (depth >= MAX_DEPTH) fail('recursion limit exceeded');
      i++;
      const obj = new Map();
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected `:`');
        i++;
        obj.delete(k);
        obj.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail('expected `,` or `}`');
      }
    }
    if (c === '[') {
      if (depth >= MAX_DEPTH) fail('recursion limit exceeded');
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail('expected `,` or `]`');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (m === null || m[0] === '' ) fail('expected a value');
    i = NUM.lastIndex;
    if ((m[1] !== undefined || m[2] !== undefined) && !Number.isFinite(Number(m[0]))) fail('number out of range');
    return new RawNumber(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** The plain JS value (numbers as doubles, objects as plain objects). */
export function toPlain(v) {
  if (v instanceof RawNumber) return Number(v.text);
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) Object.defineProperty(o, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

/** Compact JSON with every number as written. */
export function stringify(v) {
  if (v instanceof RawNumber) return v.text;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}:${stringify(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(stringify).join(',')}]`;
  return JSON.stringify(v);
}

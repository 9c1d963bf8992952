// The part of node:assert/strict the shared test scenarios use
// (js/harness/faithful.mjs), for a browser page: `equal` (Object.is),
// `deepEqual` (strict: prototypes, own enumerable keys, recursively),
// `ok`, `throws` and `rejects` (an Error class, a predicate, or an object
// whose members the error's must deep-equal). Each failure throws an Error
// naming what differed, so a page's scenario fails as it would in Node.

const show = (v) => {
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
};

function fail(message, fallback) {
  throw new Error(message ?? fallback);
}

/** Strict deep equality, as node:assert/strict's deepEqual for plain data, arrays and class instances. */
function same(a, b, seen = new Map()) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k], seen));
}

/** Whether the thrown `error` is what `expected` describes. */
function matches(error, expected) {
  if (expected === undefined) return true;
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected(error) === true;
  }
  if (expected !== null && typeof expected === 'object') {
    return error !== null && typeof error === 'object' && Object.keys(expected).every((k) => same(error[k], expected[k]));
  }
  return false;
}

export default {
  equal(a, b, message) {
    if (!Object.is(a, b)) fail(message, `expected ${show(b)}, got ${show(a)}`);
  },
  notEqual(a, b, message) {
    if (Object.is(a, b)) fail(message, `expected anything but ${show(b)}`);
  },
  deepEqual(a, b, message) {
    if (!same(a, b)) fail(message, `expected ${show(b)}, got ${show(a)}`);
  },
  ok(v, message) {
    if (!v) fail(message, `expected a truthy value, got ${show(v)}`);
  },
  match(s, re, message) {
    if (typeof s !== 'string' || !re.test(s)) fail(message, `${show(s)} does not match ${re}`);
  },
  throws(fn, expected, message) {
    try { fn(); } catch (e) {
      if (!matches(e, expected)) fail(message, `threw the wrong error: ${show(e?.errMsg ?? e?.message ?? e)}`);
      return;
    }
    fail(message, 'expected a throw');
  },
  async rejects(p, expected, message) {
    try { await (typeof p === 'function' ? p() : p); } catch (e) {
      if (!matches(e, expected)) fail(message, `rejected with the wrong error: ${show(e?.errMsg ?? e?.message ?? e)}`);
      return;
    }
    fail(message, 'expected a rejection');
  },
};

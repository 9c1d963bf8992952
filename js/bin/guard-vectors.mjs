#!/usr/bin/env node
// Runs decision-vector files (docs/policy.md §4 plus the project extensions
// documented at the top of tests/src/lib.rs) through the wasm guard, via the
// JS bridge, with exactly the semantics of the Rust runner (tests/src/lib.rs),
// unknown fields included: ignored, with a warning on stderr.
//
//   node js/bin/guard-vectors.mjs PATH...
//
// Files are taken as given, folders recursively (`.json` only, sorted within
// each folder). Each failure is printed as `name: what differed`; the last
// line is `N passed, N failed`; the exit status is 1 on any failure (or on a
// path that cannot be listed, 2).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { createGuard } from '../src/index.js';
import { parse as parseLossless, toPlain, stringify as stringifyLossless, RawNumber } from './lossless-json.mjs';

const LOAD_CODES = ['ok', 'malformed_bundle', 'unsupported_alg', 'bad_signature', 'invalid_policy', 'stale_version', 'expired'];
const FILE_KEYS = new Set(['description', 'secret', 'now', 'policy', 'loads', 'cases']);
const LOAD_KEYS = new Set(['policy', 'bundle', 'expect', 'now', 'message']);
const CASE_KEYS = new Set(['app', 'api', 'request', 'upload', 'download', 'socket', 'webview', 'expect', 'code', 'now', 'message', 'errno', 'reported', 'note']);
const CHECKS = [['api', 'checkApi'], ['request', 'checkRequest'], ['upload', 'checkUpload'], ['download', 'checkDownload'], ['socket', 'checkSocket'], ['webview', 'checkWebview']];

/** Files under `paths` as the Rust runner collects them. Throws on a missing path. */
export function collectFiles(paths) {
  const out = [];
  const walk = (p) => {
    const st = statSync(p);
    if (st.isFile()) { out.push(p); return; }
    const entries = readdirSync(p).map((e) => join(p, e));
    // Rust sorts PathBufs component-wise; within one folder that is byte order of names.
    entries.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const e of entries) {
      let isDir = false;
      try { isDir = statSync(e).isDirectory(); } catch { isDir = false; }
      if (isDir) walk(e);
      else if (e.endsWith('.json')) out.push(e);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/**
 * Signs a policy document the way every runner does: its compact JSON bytes,
 * HS256. `policy` is a plain value or one from lossless-json (whose numbers
 * keep the digits they were written with, as serde_json keeps a u64).
 */
export function signPolicy(policy, secret) {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const json = policy instanceof Map || policy instanceof RawNumber || Array.isArray(policy) ? stringifyLossless(policy) : JSON.stringify(policy);
  const payload = b64url(Buffer.from(json, 'utf8'));
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${b64url(mac)}`;
}

// ---- shape checks, mirroring serde's field types (unknown fields are kept
// aside for the warning, as the Rust runner's `#[serde(flatten)] unknown`)

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// Exactly serde's u64: an integer literal (no fraction, no exponent) in range.
const isU64 = (v) => v instanceof RawNumber && /^(0|[1-9][0-9]*)$/.test(v.text) && BigInt(v.text) <= 18446744073709551615n;
const optStr = (o, k) => o[k] === undefined || o[k] === null || typeof o[k] === 'string';
const isU32 = (v) => isU64(v) && BigInt(v.text) <= 4294967295n;
// Kept under a symbol, so a vector's own field of any name cannot collide.
const IGNORED = Symbol('ignored');
const unknownKeys = (o, known) => Object.keys(o).filter((k) => !known.has(k)).sort();

// `raw` is the lossless parse: Maps for objects, RawNumber for numbers.
function validate(raw) {
  if (!(raw instanceof Map)) throw new Error('expected a JSON object');
  const file = toRawView(raw);
  file[IGNORED] = unknownKeys(file, FILE_KEYS).map((k) => `file.${k}`);
  if (file.description !== undefined && typeof file.description !== 'string') throw new Error('`description`: expected a string');
  if (typeof file.secret !== 'string') throw new Error('missing or invalid field `secret`');
  if (!isU64(file.now)) throw new Error('missing or invalid field `now`');
  for (const key of ['loads', 'cases']) {
    if (file[key] !== undefined && !Array.isArray(file[key])) throw new Error(`\`${key}\`: expected a sequence`);
  }
  for (const l of file.loads ?? []) {
    if (!isObj(l)) throw new Error('a load: expected an object');
    l[IGNORED] = unknownKeys(l, LOAD_KEYS);
    if (typeof l.expect !== 'string') throw new Error('a load: missing or invalid field `expect`');
    if (!optStr(l, 'bundle') || !optStr(l, 'message')) throw new Error('a load: invalid `bundle` or `message`');
    if (l.now !== undefined && l.now !== null && !isU64(l.now)) throw new Error('a load: invalid `now`');
  }
  for (const c of file.cases ?? []) {
    if (!isObj(c)) throw new Error('a case: expected an object');
    c[IGNORED] = unknownKeys(c, CASE_KEYS);
    if (typeof c.app !== 'string' || typeof c.expect !== 'string') throw new Error('a case: missing or invalid `app` or `expect`');
    for (const k of ['api', 'request', 'upload', 'download', 'socket', 'webview', 'code', 'message', 'note']) {
      if (!optStr(c, k)) throw new Error(`a case: \`${k}\`: expected a string`);
    }
    if (c.now !== undefined && c.now !== null && !isU64(c.now)) throw new Error('a case: invalid `now`');
    if (c.errno !== undefined && c.errno !== null && !isU32(c.errno)) throw new Error('a case: invalid `errno`');
    if (c.reported !== undefined && c.reported !== null && typeof c.reported !== 'boolean') throw new Error('a case: invalid `reported`');
  }
  return file;
}

const present = (v) => v !== undefined && v !== null;

// Objects become plain objects (own data properties, so `__proto__` is just a
// key), numbers stay RawNumber, policies stay lossless for signing.
function toRawView(v) {
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) Object.defineProperty(o, k, { value: k === 'policy' ? x : toRawView(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (Array.isArray(v)) return v.map(toRawView);
  return v;
}

const num = (v) => (v instanceof RawNumber ? Number(v.text) : v);

async function runFile(name, file) {
  const out = [];
  let guard;
  try {
    guard = await createGuard({ secret: file.secret });
  } catch (e) {
    return [{ name, failure: `cannot create engine: ${e.message}` }];
  }
  // Clock values beyond 2^53 lose precision here (the bridge takes JS numbers).
  let now = num(file.now);
  const loads = present(file.policy) ? [{ policy: file.policy, expect: 'ok', [IGNORED]: [] }, ...(file.loads ?? [])] : (file.loads ?? []);
  loads.forEach((load, i) => {
    if (present(load.now)) now = num(load.now);
    out.push({ name: `${name}: loads[${i}]`, failure: runLoad(guard, load, file.secret, now), ignored: load[IGNORED] });
  });
  (file.cases ?? []).forEach((c, i) => {
    if (present(c.now)) now = num(c.now);
    out.push({ name: `${name}: cases[${i}]`, failure: runCase(guard, c, now), ignored: c[IGNORED] });
  });
  if (out.length > 0) out[0].ignored = [...file[IGNORED], ...out[0].ignored];
  return out;
}

function runLoad(guard, load, secret, now) {
  let bundle;
  if (present(load.policy) && !present(load.bundle)) bundle = signPolicy(load.policy, secret);
  else if (!present(load.policy) && present(load.bundle)) bundle = load.bundle;
  else return 'a load needs exactly one of policy, bundle';
  if (!LOAD_CODES.includes(load.expect)) return `unknown expected load outcome \`${load.expect}\``;
  const { code, message } = guard.load(bundle, { now });
  if (code !== load.expect) return `expected load \`${load.expect}\`, got \`${code}\` (${message})`;
  if (present(load.message) && !message.includes(load.message)) {
    return `expected load message containing \`${load.message}\`, got \`${message}\``;
  }
  return null;
}

function runCase(guard, c, now) {
  const checks = CHECKS.filter(([k]) => present(c[k]));
  if (checks.length !== 1) return 'a case needs exactly one of api, request, upload, download, socket, webview';
  const [kind, method] = checks[0];
  const subject = c[kind];
  const d = guard[method](c.app, subject, { now });
  const got = d.allow ? (d.reported ? 'report' : 'allow') : 'deny';
  const describe = () => `${kind} \`${subject}\` for \`${c.app}\`: got ${got} ${d.code ?? '-'} \`${d.message}\``;
  if (!['allow', 'deny', 'report'].includes(c.expect)) return `unknown expectation \`${c.expect}\``;
  if (got !== c.expect) return `expected ${c.expect}; ${describe()}`;
  if (c.expect === 'allow' && d.code !== null) return `an allow must have no code; ${describe()}`;
  if (present(c.code) && d.code !== c.code) return `expected code ${c.code}; ${describe()}`;
  if (present(c.message) && d.message !== c.message) return `expected message \`${c.message}\`; ${describe()}`;
  if (present(c.errno) && d.errno !== num(c.errno)) return `expected errno ${num(c.errno)}; ${describe()} (errno ${d.errno ?? 'none'})`;
  if (present(c.reported) && (d.reported === true) !== c.reported) return `expected reported: ${c.reported}; ${describe()}`;
  return null;
}

/** The warning line for the fields an outcome's load or case carried unread (as Outcome::warning in Rust). */
export function warning(o) {
  if (!o.ignored || o.ignored.length === 0) return null;
  return `${o.name}: ignored unknown field${o.ignored.length === 1 ? '' : 's'} ${o.ignored.map((k) => `\`${k}\``).join(', ')}`;
}

/** Runs every vector file under `paths`; calls `report` per outcome; answers the totals. */
export async function runPaths(paths, report = () => {}) {
  const summary = { passed: 0, failed: 0 };
  for (const path of collectFiles(paths)) {
    let outcomes;
    try {
      const file = validate(parseLossless(readFileSync(path, 'utf8')));
      outcomes = await runFile(path, file);
    } catch (e) {
      outcomes = [{ name: path, failure: `not a vector file: ${e.message}` }];
    }
    for (const o of outcomes) {
      if (o.failure) summary.failed++; else summary.passed++;
      report(o);
    }
  }
  return summary;
}

async function main(argv) {
  if (argv.length === 0) {
    console.error('usage: guard-vectors PATH...  (vector files or folders)');
    return 2;
  }
  let summary;
  try {
    summary = await runPaths(argv, (o) => {
      const w = warning(o);
      if (w !== null) console.error(`warning: ${w}`);
      if (o.failure) console.log(`${o.name}: ${o.failure}`);
    });
  } catch (e) {
    console.error(`guard-vectors: ${e.message}`);
    return 2;
  }
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  return summary.failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('guard-vectors.mjs')) {
  process.exitCode = await main(process.argv.slice(2));
}

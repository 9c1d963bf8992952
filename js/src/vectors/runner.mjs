// The decision-vector runner's core (docs/policy.md §4 plus the project
// extensions documented at the top of tests/src/lib.rs), with exactly the
// semantics of the Rust runner, unknown fields included: ignored, with a
// warning. No file system, no printing and no Node-only API, so the same
// module runs in Node (js/bin/guard-vectors.mjs does the I/O) and in a
// browser page (js/test-browser/vectors.test.mjs): a vector file goes in as
// text, outcomes come out.
//
// An outcome is `{ name, failure, ignored }`: `failure` is null for a pass,
// else what differed; `ignored` lists the unknown fields it carried.
//
// Contract v3 fields are read as the Rust runner reads them: a top-level
// `roots` (root JWKs with their private `d`) with `superapp_id` (the guard
// is then created with the public roots and that id only, no `secret`),
// `local_prefixes`, a load's `keyset` (signed with the key-set header by the
// root `sign_with` names) or `keyset_jws` (loaded as given), both through
// `guard.loadKeys`, and the case `media` (`guard.checkMedia`).
import { parse as parseLossless, toPlain, RawNumber } from './lossless-json.mjs';
import { signPolicy, signPolicyEdDsa, signKeysetEdDsa, publicJwk } from './sign.mjs';

/** Load outcomes of the contract (docs/policy.md §2), `unknown_key` from v2, `invalid_keyset` from v3. */
export const LOAD_CODES = Object.freeze(['ok', 'malformed_bundle', 'unsupported_alg', 'unknown_key', 'bad_signature', 'invalid_policy', 'stale_version', 'expired', 'invalid_keyset']);

const FILE_KEYS = new Set(['description', 'secret', 'keys', 'roots', 'superapp_id', 'local_prefixes', 'now', 'policy', 'loads', 'cases']);
const LOAD_KEYS = new Set(['policy', 'bundle', 'keyset', 'keyset_jws', 'sign_with', 'expect', 'now', 'message', 'note']);
const CASE_KEYS = new Set(['app', 'api', 'request', 'upload', 'download', 'socket', 'webview', 'launch', 'tcp', 'udp', 'media', 'expect', 'code', 'now', 'message', 'errno', 'reported', 'note']);
const LAUNCH_KEYS = new Set(['version', 'package_sha256']);
const JWK_STRINGS = ['kty', 'crv', 'kid', 'x', 'd'];
// Case field -> guard method. The one-subject checks take (app, subject, {now});
// launch, tcp and udp (contract v2) are called in `check` below.
const CHECKS = [
  ['api', 'checkApi'], ['request', 'checkRequest'], ['upload', 'checkUpload'], ['download', 'checkDownload'],
  ['socket', 'checkSocket'], ['webview', 'checkWebview'], ['launch', 'checkLaunch'], ['tcp', 'checkTcp'], ['udp', 'checkUdp'],
  ['media', 'checkMedia'],
];
// Documents signed by the runner, kept lossless (numbers as written).
const LOSSLESS = new Set(['policy', 'keyset']);
const SUBJECT_FIELDS = CHECKS.map(([k]) => k);

// ---- shape checks, mirroring serde's field types (unknown fields are kept
// aside for the warning, as the Rust runner's `#[serde(flatten)] unknown`)

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// Exactly serde's u64: an integer literal (no fraction, no exponent) in range.
const isU64 = (v) => v instanceof RawNumber && /^(0|[1-9][0-9]*)$/.test(v.text) && BigInt(v.text) <= 18446744073709551615n;
const isU32 = (v) => isU64(v) && BigInt(v.text) <= 4294967295n;
const present = (v) => v !== undefined && v !== null;
const optStr = (o, k) => !present(o[k]) || typeof o[k] === 'string';
// Kept under symbols, so a vector's own field of any name cannot collide.
const IGNORED = Symbol('ignored');
const TARGET = Symbol('target');
const unknownKeys = (o, known) => Object.keys(o).filter((k) => !known.has(k)).sort();

/**
 * Splits a `tcp`/`udp` target "host:port" (an IPv6 host in brackets, which
 * stay part of the host: they are how the WHATWG host parser the guard uses
 * tells an IPv6 literal). A target without a port is checked with port 0:
 * "no port" is outside 1–65535, which the guard must refuse as invalid_url
 * (the contract's v2-raw-sockets.json has such a case), so the runner leaves
 * that judgement to the guard instead of calling the file malformed. Throws on
 * what no guard could be asked: no host, an unbracketed IPv6 host, a port
 * that is not decimal digits or does not fit the u32 the guard takes.
 */
export function parseTarget(target) {
  // Exactly as guard-core's `Check::from_subject` reads a vector target (the
  // Rust runner's reading): split at the last `:`; a port that is missing or
  // not 1 to 10 decimal digits is 0, one past u32 saturates. The host goes to
  // the guard as written, brackets and all, and the guard judges it (§3.7:
  // anything that is not a valid host and port 1-65535 is `invalid_url`), so
  // a hostile target is a case, never a file error.
  const colon = target.lastIndexOf(':');
  if (colon < 0) return { host: target, port: 0 };
  const host = target.slice(0, colon);
  const port = target.slice(colon + 1);
  if (!/^[0-9]{1,10}$/.test(port)) return { host, port: 0 };
  return { host, port: BigInt(port) > 4294967295n ? 4294967295 : Number(port) };
}

// Objects become plain objects (own data properties, so `__proto__` is just a
// key), numbers stay RawNumber, policies and key sets stay lossless for signing.
function toRawView(v) {
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) Object.defineProperty(o, k, { value: LOSSLESS.has(k) ? x : toRawView(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (Array.isArray(v)) return v.map(toRawView);
  return v;
}

/**
 * Checks a lossless parse (lossless-json: Maps for objects, RawNumber for
 * numbers) against the vector format and answers the file in the shape the
 * runner reads. Throws, like serde, on anything of the wrong type.
 */
export function validate(raw) {
  if (!(raw instanceof Map)) throw new Error('expected a JSON object');
  const file = toRawView(raw);
  file[IGNORED] = unknownKeys(file, FILE_KEYS).map((k) => `file.${k}`);
  if (file.description !== undefined && typeof file.description !== 'string') throw new Error('`description`: expected a string');
  // Since v3 `secret` is optional (a file with `roots` has none); a
  // `policy` load without `sign_with` then fails, naming it.
  if (!optStr(file, 'secret')) throw new Error('invalid field `secret`');
  if (!optStr(file, 'superapp_id')) throw new Error('invalid field `superapp_id`');
  if (!isU64(file.now)) throw new Error('missing or invalid field `now`');
  for (const key of ['keys', 'roots', 'local_prefixes', 'loads', 'cases']) {
    if (present(file[key]) && !Array.isArray(file[key])) throw new Error(`\`${key}\`: expected a sequence`);
  }
  for (const key of ['keys', 'roots']) {
    (file[key] ?? []).forEach((k, i) => {
      if (!isObj(k) || JWK_STRINGS.some((m) => typeof k[m] !== 'string')) {
        throw new Error(`${key}[${i}]: expected an Ed25519 JWK with string ${JWK_STRINGS.join(', ')}`);
      }
    });
  }
  (file.local_prefixes ?? []).forEach((p, i) => {
    if (typeof p !== 'string') throw new Error(`local_prefixes[${i}]: expected a string`);
  });
  for (const l of file.loads ?? []) {
    if (!isObj(l)) throw new Error('a load: expected an object');
    l[IGNORED] = unknownKeys(l, LOAD_KEYS);
    if (typeof l.expect !== 'string') throw new Error('a load: missing or invalid field `expect`');
    if (!optStr(l, 'bundle') || !optStr(l, 'keyset_jws') || !optStr(l, 'message') || !optStr(l, 'sign_with')) throw new Error('a load: invalid `bundle`, `keyset_jws`, `message` or `sign_with`');
    if (present(l.now) && !isU64(l.now)) throw new Error('a load: invalid `now`');
  }
  for (const c of file.cases ?? []) {
    if (!isObj(c)) throw new Error('a case: expected an object');
    c[IGNORED] = unknownKeys(c, CASE_KEYS);
    if (typeof c.app !== 'string' || typeof c.expect !== 'string') throw new Error('a case: missing or invalid `app` or `expect`');
    for (const k of ['api', 'request', 'upload', 'download', 'socket', 'webview', 'tcp', 'udp', 'media', 'code', 'message', 'note']) {
      if (!optStr(c, k)) throw new Error(`a case: \`${k}\`: expected a string`);
    }
    if (present(c.launch)) {
      if (!isObj(c.launch) || typeof c.launch.version !== 'string' || typeof c.launch.package_sha256 !== 'string') {
        throw new Error('a case: `launch`: expected {"version": string, "package_sha256": string}');
      }
      c[IGNORED].push(...unknownKeys(c.launch, LAUNCH_KEYS).map((k) => `launch.${k}`));
    }
    // A malformed target is the file's error, found before anything runs.
    for (const k of ['tcp', 'udp']) if (present(c[k])) c[TARGET] = parseTarget(c[k]);
    if (present(c.now) && !isU64(c.now)) throw new Error('a case: invalid `now`');
    if (present(c.errno) && !isU32(c.errno)) throw new Error('a case: invalid `errno`');
    if (present(c.reported) && typeof c.reported !== 'boolean') throw new Error('a case: invalid `reported`');
  }
  return file;
}

// A raw-view object (toRawView) as plain JS values: what a guard is handed.
const plainObject = (o) => toPlain(new Map(Object.entries(o)));
const num = (v) => (v instanceof RawNumber ? Number(v.text) : v);
const thrown = (e) => `the guard threw ${e?.name ?? 'a non-error'}: ${e?.message ?? String(e)}`;

/**
 * The options a guard for `file` is created with, as the Rust runner's
 * `engine_keys`: with `roots`, the public part of every root and the
 * superapp id only; otherwise `secret` and, for a v2 file, the public part
 * of every key (a device never holds a private key: the guard refuses `d`);
 * and the local prefixes.
 */
export function guardOptions(file) {
  const options = {};
  if (present(file.roots)) {
    options.roots = file.roots.map((k) => publicJwk(plainObject(k)));
    if (present(file.superapp_id)) options.superappId = file.superapp_id;
  } else {
    if (present(file.secret)) options.secret = file.secret;
    if (present(file.keys)) options.keys = file.keys.map((k) => publicJwk(plainObject(k)));
  }
  if (present(file.local_prefixes)) options.localPrefixes = [...file.local_prefixes];
  return options;
}

/**
 * Runs one validated vector file against a fresh guard from `createGuard`
 * (the bridge's, or any with its API). `subtle` is the WebCrypto used to sign
 * `sign_with` loads (default: the runtime's).
 */
export async function runFile(name, file, { createGuard, subtle } = {}) {
  const out = [];
  const options = guardOptions(file);
  let guard;
  try {
    guard = await createGuard(options);
  } catch (e) {
    return [{ name, failure: `cannot create engine: ${e.message}`, ignored: file[IGNORED] }];
  }
  // Clock values beyond 2^53 lose precision here (the bridge takes JS numbers).
  let now = num(file.now);
  const loads = present(file.policy) ? [{ policy: file.policy, expect: 'ok', [IGNORED]: [] }, ...(file.loads ?? [])] : (file.loads ?? []);
  for (const [i, load] of loads.entries()) {
    if (present(load.now)) now = num(load.now);
    let failure;
    try {
      failure = await runLoad(guard, load, file, now, subtle);
    } catch (e) {
      failure = thrown(e);
    }
    out.push({ name: `${name}: loads[${i}]`, failure, ignored: load[IGNORED] });
  }
  for (const [i, c] of (file.cases ?? []).entries()) {
    if (present(c.now)) now = num(c.now);
    let failure;
    try {
      failure = runCase(guard, c, now);
    } catch (e) {
      failure = thrown(e);
    }
    out.push({ name: `${name}: cases[${i}]`, failure, ignored: c[IGNORED] });
  }
  if (out.length > 0) out[0].ignored = [...file[IGNORED], ...out[0].ignored];
  return out;
}

// The one key of `file[field]` whose kid is `kid`, or a failure naming why not.
function signer(file, field, kid) {
  const keys = (file[field] ?? []).filter((k) => k.kid === kid);
  if (keys.length === 1) return { key: keys[0] };
  return { failure: `sign_with \`${kid}\`: ${keys.length === 0 ? 'no' : 'more than one'} key with that kid in \`${field}\`` };
}

/**
 * The document a load hands the guard: `{ bundle, keyset }` (`keyset` true
 * for a key set, loaded with `loadKeys`), or `{ failure }`.
 */
async function documentOf(load, file, subtle) {
  const given = ['policy', 'bundle', 'keyset', 'keyset_jws'].filter((k) => present(load[k]));
  if (given.length !== 1) return { failure: 'a load needs exactly one of policy, bundle, keyset, keyset_jws' };
  const isKeyset = given[0] === 'keyset' || given[0] === 'keyset_jws';
  if (present(load.bundle) || present(load.keyset_jws)) {
    if (present(load.sign_with)) return { failure: 'a `bundle` or `keyset_jws` load is loaded as given: no `sign_with`' };
    return { bundle: present(load.bundle) ? load.bundle : load.keyset_jws, keyset: isKeyset };
  }
  if (!present(load.sign_with)) {
    if (isKeyset) return { failure: 'a `keyset` load names its root in `sign_with`' };
    if (!present(file.secret)) return { failure: 'cannot sign the load: a `policy` load without `sign_with` needs the file\'s `secret`' };
    return { bundle: signPolicy(load.policy, file.secret), keyset: false };
  }
  const { key, failure } = signer(file, isKeyset ? 'roots' : 'keys', load.sign_with);
  if (failure) return { failure };
  // A key WebCrypto refuses is the vector's fault, not the guard's: say so.
  try {
    const bundle = isKeyset ? await signKeysetEdDsa(load.keyset, key, subtle) : await signPolicyEdDsa(load.policy, key, subtle);
    return { bundle, keyset: isKeyset };
  } catch (e) {
    return { failure: `sign_with \`${load.sign_with}\`: cannot sign: ${e.message}` };
  }
}

async function runLoad(guard, load, file, now, subtle) {
  const { bundle, keyset, failure } = await documentOf(load, file, subtle);
  if (failure) return failure;
  if (!LOAD_CODES.includes(load.expect)) return `unknown expected load outcome \`${load.expect}\``;
  if (keyset && typeof guard.loadKeys !== 'function') return 'the guard has no loadKeys(): this bridge does not implement key sets (contract v3) yet';
  const { code, message } = keyset ? guard.loadKeys(bundle, { now }) : guard.load(bundle, { now });
  if (code !== load.expect) return `expected load \`${load.expect}\`, got \`${code}\` (${message})`;
  if (present(load.message) && !message.includes(load.message)) {
    return `expected load message containing \`${load.message}\`, got \`${message}\``;
  }
  return null;
}

// Calls the guard; answers the decision, or a failure when the bridge lacks
// the method (a v2 check before the bridge implements it must fail, loudly).
function check(guard, kind, method, c, now) {
  if (typeof guard[method] !== 'function') {
    return { missing: `the guard has no ${method}(): this bridge does not implement \`${kind}\` checks yet` };
  }
  if (kind === 'launch') {
    return { d: guard.checkLaunch(c.app, { version: c.launch.version, packageSha256: c.launch.package_sha256 }, { now }) };
  }
  if (kind === 'tcp' || kind === 'udp') return { d: guard[method](c.app, c[TARGET].host, c[TARGET].port, { now }) };
  return { d: guard[method](c.app, c[kind], { now }) };
}

function runCase(guard, c, now) {
  const checks = CHECKS.filter(([k]) => present(c[k]));
  if (checks.length !== 1) return `a case needs exactly one of ${SUBJECT_FIELDS.join(', ')}`;
  const [kind, method] = checks[0];
  if (!['allow', 'deny', 'report'].includes(c.expect)) return `unknown expectation \`${c.expect}\``;
  const { d, missing } = check(guard, kind, method, c, now);
  if (missing) return missing;
  const subject = kind === 'launch' ? JSON.stringify({ version: c.launch.version, package_sha256: c.launch.package_sha256 }) : c[kind];
  const got = d.allow ? (d.reported ? 'report' : 'allow') : 'deny';
  const describe = () => `${kind} \`${subject}\` for \`${c.app}\`: got ${got} ${d.code ?? '-'} \`${d.message}\``;
  if (got !== c.expect) return `expected ${c.expect}; ${describe()}`;
  if (c.expect === 'allow' && d.code !== null) return `an allow must have no code; ${describe()}`;
  if (present(c.code) && d.code !== c.code) return `expected code ${c.code}; ${describe()}`;
  if (present(c.message) && d.message !== c.message) return `expected message \`${c.message}\`; ${describe()}`;
  if (present(c.errno) && d.errno !== num(c.errno)) return `expected errno ${num(c.errno)}; ${describe()} (errno ${d.errno ?? 'none'})`;
  if (present(c.reported) && (d.reported === true) !== c.reported) return `expected reported: ${c.reported}; ${describe()}`;
  return null;
}

/**
 * Parses, validates and runs the vector file `text` named `name`: its
 * outcomes, or one failing outcome when the text is not a vector file.
 */
export async function runVectorText(name, text, deps) {
  let file;
  try {
    file = validate(parseLossless(text));
  } catch (e) {
    return [{ name, failure: `not a vector file: ${e.message}`, ignored: [] }];
  }
  return runFile(name, file, deps);
}

/** The warning line for the fields an outcome's load or case carried unread (as Outcome::warning in Rust). */
export function warning(o) {
  if (!o.ignored || o.ignored.length === 0) return null;
  return `${o.name}: ignored unknown field${o.ignored.length === 1 ? '' : 's'} ${o.ignored.map((k) => `\`${k}\``).join(', ')}`;
}

/** `N passed, N failed` counts of outcomes. */
export function tally(outcomes) {
  const failed = outcomes.filter((o) => o.failure).length;
  return { passed: outcomes.length - failed, failed };
}

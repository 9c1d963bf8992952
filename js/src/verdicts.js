// What guard-core's integer verdicts mean: its code names, errnos, load
// outcomes and check kinds, read once from the driver (./raw.js or
// ./native.js) so that no name, errno or number is spelled in JS, and the
// decision objects built from a verdict.

import { freeze, create, shaped, nullObject, TypeErrorCtor } from './safe.js';

/** The check kinds by name (guard-core's CheckKind::as_str). */
const KIND_NAMES = freeze(['api', 'request', 'upload', 'download', 'socket', 'webview', 'launch', 'tcp', 'udp', 'media']);

/**
 * The tables of `core`: `{ REPORT, CODE_MASK, CODE_NAMES, ERRNOS,
 * LOAD_NAMES, KIND, FAIL_CLOSED, MALFORMED, verdictOf, allows, codeOf,
 * errnoOf, loadName, decisionObject }`, frozen.
 */
export function readTables(core) {
  const REPORT = core.reportBit();
  const CODE_MASK = REPORT - 1;
  const codes = [null];
  const errnos = [0];
  const codeNumbers = create(null);
  for (let c = 1; c < REPORT; c++) {
    const name = core.codeName(c, false);
    if (name === '') break;
    codes[c] = name;
    errnos[c] = core.errno(c);
    codeNumbers[name] = c;
  }
  const loads = [];
  for (let c = 0; c < REPORT; c++) {
    const name = core.codeName(c, true);
    if (name === '') break;
    loads[c] = name;
  }
  const CODE_NAMES = freeze(codes);
  const ERRNOS = freeze(errnos);
  const LOAD_NAMES = freeze(loads);
  // Read on every URL check: kept shaped (see nullObject).
  const KIND = nullObject();
  for (let i = 0; i < KIND_NAMES.length; i++) {
    const n = core.kind(KIND_NAMES[i]);
    // A native back end of contract v2 has no `media` kind: left undefined,
    // every media check then answers a misuse code, i.e. deny `no_policy`.
    if (n < 0 && KIND_NAMES[i] === 'media') continue;
    if (n < 0) throw new TypeErrorCtor(`the guard module has no check kind ${KIND_NAMES[i]}`);
    KIND[KIND_NAMES[i]] = n;
  }
  freeze(KIND);
  /** What a misuse answer (a negative number) reads as: deny, fail closed. */
  const FAIL_CLOSED = codeNumbers.no_policy;
  let MALFORMED = 0;
  for (let i = 0; i < loads.length; i++) if (loads[i] === 'malformed_bundle') MALFORMED = i;

  const verdictOf = (v) => (v < 0 ? FAIL_CLOSED : v);
  const allows = (v) => v === 0 || (v & REPORT) !== 0;
  const codeOf = (v) => CODE_NAMES[v & CODE_MASK] ?? 'no_policy';
  const errnoOf = (v) => ERRNOS[v & CODE_MASK] ?? 1;
  /** A load code's name; a negative (misuse) or unknown one is malformed_bundle. */
  const loadName = (code) => (code < 0 ? LOAD_NAMES[MALFORMED] : (LOAD_NAMES[code] ?? LOAD_NAMES[MALFORMED]));

  /**
   * The contract's decision object (guard-core's Decision keys, in order),
   * plus href. Object literals only (defining, never assigning, so nothing
   * planted on Object.prototype runs), one per shape, in guard-core's key
   * order. `href` (checks of a target): always an own property, `null` when
   * there is none, so it is never read through a prototype.
   */
  function decisionObject(v, message, href) {
    const n = v & CODE_MASK;
    const withHref = href !== undefined;
    if (n === 0) return freeze(withHref ? { allow: true, code: null, message, href } : { allow: true, code: null, message });
    const code = CODE_NAMES[n] ?? 'no_policy';
    const errno = ERRNOS[n] ?? 1;
    if ((v & REPORT) === 0) return freeze(withHref ? { allow: false, code, message, errno, href: null } : { allow: false, code, message, errno });
    return freeze(withHref ? { allow: true, code, message, reported: true, errno, href } : { allow: true, code, message, reported: true, errno });
  }

  return freeze(shaped({
    REPORT, CODE_MASK, CODE_NAMES, ERRNOS, LOAD_NAMES, KIND, FAIL_CLOSED, MALFORMED,
    verdictOf, allows, codeOf, errnoOf, loadName, decisionObject,
  }));
}

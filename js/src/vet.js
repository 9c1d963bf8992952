// Option vetting: reads each network target of a call's options once,
// checks it, and builds the options the original receives, in which every
// target is what was checked (the href guard-core serialised; a local path
// as given).

import {
  getOwnPropertyDescriptor, ownKeys, create, freeze, hasOwn, own, desc, floor,
} from './safe.js';
import { isLocalPath } from './doors.js';
import { cssUrl, cssEscape } from './css.js';

const StringCtor = String;
const NumberCtor = Number;
/** Largest array of URLs (urls[], sources[]) one call may carry. */
const MAX_TARGETS = 1000;

function targetsAreData(o, plan) {
  for (let i = 0; i < plan.length; i++) {
    const d = getOwnPropertyDescriptor(o, plan[i].key);
    if (d !== undefined && !hasOwn(d, 'value')) return false;
  }
  return true;
}

/**
 * The own enumerable properties of `o` except `skip` (names, or plan
 * entries), copied with defineProperty; getters are read once.
 */
export function copyExcept(o, skip) {
  const copy = {};
  const keys = ownKeys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    let skipped = false;
    for (let s = 0; s < skip.length; s++) {
      const sk = skip[s];
      if (k === (typeof sk === 'string' ? sk : sk.key)) { skipped = true; break; }
    }
    if (skipped) continue;
    const pd = desc(o, k);
    if (pd === undefined || !pd.enumerable) continue;
    own(copy, k, pd.data ? pd.value : o[k]);
  }
  return copy;
}

/**
 * Vetting over a guard's `tables`, `checks` and `violations`:
 * `{ planOf, vetOptions }`.
 */
export function createVetting(tables, checks, violations) {
  const { KIND, allows } = tables;
  const { urlCheck } = checks;
  const { count } = violations;

  // A door spec's option paths, grouped by top-level key:
  // [{ key, array, fields: [sub-keys] | null, local, css }]. Also runs at
  // call time (for a returned object's methods), so arrays grow by
  // defineProperty: an index setter planted on Array.prototype never runs.
  function planOf(spec) {
    const plan = [];
    const byKey = create(null);
    const paths = spec.options !== undefined ? spec.options : spec.css;
    for (let i = 0; i < paths.length; i++) {
      const p = paths[i];
      let key = '';
      let rest = '';
      let array = false;
      let j = 0;
      for (; j < p.length && p[j] !== '['; j++) key += p[j];
      if (j < p.length) { array = true; j += 2; if (p[j] === '.') j++; for (; j < p.length; j++) rest += p[j]; }
      let entry = byKey[key];
      if (entry === undefined) {
        entry = { __proto__: null, key, array, fields: rest === '' ? null : [], local: spec.local === true, css: spec.css !== undefined, kind: KIND[spec.kind] };
        byKey[key] = entry;
        own(plan, plan.length, entry);
      }
      if (rest !== '') own(entry.fields, entry.fields.length, rest);
    }
    return plan;
  }

  /**
   * Reads each target of `opts` once, checks it, and builds the options the
   * original receives: the caller's own enumerable properties, each target
   * replaced by what was checked (href; a local path as given). Built with
   * defineProperty only. Answers { copy, denied }.
   */
  function vetOptions(opts, plan, appId, name, t) {
    const replaced = create(null);
    let denied = null;
    const vet = (raw, entry, required) => {
      if (raw === undefined || raw === null) {
        if (!required) return raw;
      }
      const s = StringCtor(raw);
      if (entry.local && isLocalPath(s)) return s;
      let target = s;
      let css = null;
      if (entry.css) {
        css = cssUrl(s);
        target = css === null ? '' : css.url;
      }
      const r = urlCheck(appId, entry.kind, target, t, name);
      count(r.v, appId, name, target);
      if (!allows(r.v)) {
        if (denied === null) denied = r;
        return undefined;
      }
      // Report mode lets an unparsable URL through: nothing to serialise.
      const out = r.href === null ? target : r.href;
      return css === null || css.bare ? out : `url("${cssEscape(out)}")`;
    };
    for (let i = 0; i < plan.length; i++) {
      const entry = plan[i];
      const raw = opts === undefined ? undefined : opts[entry.key];
      let value;
      if (!entry.array) {
        value = vet(raw, entry, !entry.local);
      } else if (raw === undefined || raw === null) {
        value = raw;
      } else if (typeof raw !== 'object') {
        value = vet(raw, entry, true);
      } else {
        const len = floor(NumberCtor(raw.length));
        const n = len > 0 ? (len < MAX_TARGETS ? len : MAX_TARGETS) : 0;
        const arr = [];
        for (let k = 0; k < n; k++) {
          const item = raw[k];
          let v2;
          if (entry.fields === null || item === null || typeof item !== 'object') {
            v2 = vet(item, entry, entry.fields !== null);
          } else {
            v2 = copyExcept(item, entry.fields);
            for (let f = 0; f < entry.fields.length; f++) own(v2, entry.fields[f], vet(item[entry.fields[f]], entry, false));
          }
          own(arr, k, v2);
        }
        value = arr;
      }
      replaced[entry.key] = value;
    }
    if (denied !== null) return { __proto__: null, copy: undefined, denied };
    // Object spread defines (never assigns) and reads each property once;
    // when a door field is an accessor its getter must not run again, so
    // that case copies key by key without it.
    const copy = opts === undefined ? {} : targetsAreData(opts, plan) ? { ...opts } : copyExcept(opts, plan);
    // Every door field is an own property of the copy, even when absent, so
    // the original never reads one through a prototype. Assigning to an own
    // data property runs no setter.
    for (let i = 0; i < plan.length; i++) {
      const k = plan[i].key;
      if (hasOwn(copy, k)) copy[k] = replaced[k];
      else own(copy, k, replaced[k]);
    }
    return { __proto__: null, copy, denied: null };
  }

  return freeze({ __proto__: null, planOf, vetOptions });
}


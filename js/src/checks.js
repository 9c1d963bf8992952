// The guard's checks over its driver (./raw.js or ./native.js): API checks by
// interned id, URL and raw-socket checks, and the errMsg of each, taken from
// guard-core right after the check that produced it.

import { create, freeze, ownKeys, floor, shaped } from './safe.js';

/**
 * The checks of `core` with `tables` (./verdicts.js). Ids and handles are
 * the guard's, resolved at call time from tables a re-key empties (`reset`:
 * the sync's new key set is a new guard in the instance); `generation()`
 * counts those guards, so a wrapper that cached ids knows to resolve again.
 */
export function createChecks(core, tables) {
  const { verdictOf, allows } = tables;
  let apiIds = create(null);
  let appHandles = create(null);
  let generation = 0;
  const apiMessages = create(null);

  function apiIdOf(name) {
    let id = apiIds[name];
    if (id === undefined) {
      const n = core.apiId(name);
      if (n >= 0) { id = n; apiIds[name] = id; }
    }
    return id;
  }
  function appHandleOf(appId) {
    let h = appHandles[appId];
    if (h === undefined) {
      const n = core.appHandle(appId);
      if (n >= 0) { h = n; appHandles[appId] = h; }
    }
    return h;
  }
  function verdictApi(appId, name, id, t) {
    const handle = appHandleOf(appId);
    if (handle !== undefined && id !== undefined) return verdictOf(core.checkApi(handle, id, t));
    return verdictOf(core.checkApiName(appId, name, t));
  }
  // API errMsgs are a pure function of (verdict, name): rendered by Rust
  // from the check just made (call this right after it, before any listener
  // runs), then reused; cached only for interned names (a bounded table).
  function apiMessage(v, name, id) {
    if (id === undefined) return core.messageFor(name);
    let perName = apiMessages[name];
    if (perName === undefined) { perName = create(null); apiMessages[name] = perName; }
    let m = perName[v];
    if (m === undefined) { m = core.messageFor(name); perName[v] = m; }
    return m;
  }

  // `<label>:ok` names nothing, so guard-core renders it once per label.
  const okMessages = create(null);
  function okMessage(key, label) {
    let m = okMessages[key];
    if (m === undefined) {
      m = label === undefined ? core.message() : core.messageFor(label);
      okMessages[key] = m;
    }
    return m;
  }

  /**
   * A URL check: answers { v, message, href } with the message (labelled
   * `label`) and href taken before any listener can run a check of its own.
   */
  function urlCheck(appId, kind, url, t, label, needMessage) {
    const handle = appHandleOf(appId);
    const v = verdictOf(handle !== undefined ? core.checkUrl(kind, handle, url, t) : core.checkUrlByApp(kind, appId, url, t));
    // The href first: writing the label for messageFor replaces the input
    // buffer, which ends what guard_href can say about this check.
    const href = allows(v) ? core.href() : null;
    let message;
    if (v !== 0) message = label === undefined ? core.message() : core.messageFor(label);
    else if (needMessage === true) message = okMessage(label === undefined ? kind : label, label);
    return { v, message, href };
  }

  // A port as the ABI's u32: an integer 0..2^32-1 as it is; anything else
  // (fractions, negatives, NaN, 2^32 + 80 that would wrap to 80) as 0,
  // which guard-core answers invalid_url.
  const portOf = (p) => (typeof p === 'number' && p >= 0 && p <= 0xffffffff && floor(p) === p ? p : 0);

  /**
   * A raw socket target (§3.7): { v, message, href: the serialised host };
   * the message names `label` when given (`UDPSocket.send`), else the kind.
   */
  function socketCheck(appId, kind, host, port, t, label) {
    const v = verdictOf(core.checkSocket(kind, appId, host, portOf(port), t));
    const href = allows(v) ? core.href() : null;
    return { v, message: label === undefined ? core.message() : core.messageFor(label), href };
  }

  /**
   * After a re-key: new tables, the names and apps interned again in the
   * order they first were, before anything else.
   */
  function reset() {
    const names = ownKeys(apiIds);
    const apps = ownKeys(appHandles);
    generation++;
    apiIds = create(null);
    appHandles = create(null);
    return () => {
      for (let i = 0; i < names.length; i++) apiIdOf(names[i]);
      for (let i = 0; i < apps.length; i++) appHandleOf(apps[i]);
    };
  }

  return freeze(shaped({
    apiIdOf, appHandleOf, verdictApi, apiMessage, urlCheck, socketCheck, reset,
    generation: () => generation,
  }));
}

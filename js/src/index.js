// @miniprogram-guard/bridge: enforces a superapp's permission policy inside
// the mini program base library, through guard-core compiled to wasm.
//
// The bridge only converts and routes: every verdict, deny code, errno, href
// and errMsg comes from guard-core, through the raw ABI (./raw.js) of a wasm
// instance each guard owns, or a native back end (./native.js).
//
// Containment model (docs/threat-model.md): the base library evaluates this
// module first, and createGuard/wrap complete before any mini program code
// runs; afterwards mini program code shares the realm and may replace any
// mutable built-in. So every module of the bridge captures the built-ins it
// uses at its own evaluation (./safe.js); the memory, instance and exports of
// a guard's wasm live in closures; what the guard hands out is frozen, and
// the mini program holds mirrors, never originals; the original wx function
// receives a frozen copy of what was checked; every door of ./doors.js is
// checked.
//
// The modules, each one concept, importing only downward:
//   safe.js        captured intrinsics and helpers built on them alone
//   raw.js         the raw wasm ABI driver; native.js the native back end's
//   module.js      the guard module's bytes, compiled once (no JS glue)
//   typings.js     call shapes of every API and interface (generated)
//   doors.js       the door table: which argument of which API is a target
//   not-targets.js the typings' sites that are no door, and why (tests only)
//   css.js         CSS url(...) values
//   verdicts.js    what guard-core's integers mean; decision objects
//   checks.js      API, URL and raw-socket checks with their errMsgs
//   violations.js  listeners and counters
//   targets.js     one target classified (§3.7 media forms), checked, replaced
//   attributes.js  component attributes: style url()s, rich-text nodes
//   links.js       which mirror stands for which original (private fields)
//   scope.js       one wrap's state: links, trampolines, error listeners
//   vet.js         what an original receives: arguments copied, doors vetted
//   mirror.js      mirrors: guarded members, late members through a Proxy
//   deny.js        the platform's failure shapes for a denied call
//   returned.js    mirrors of the objects originals answer
//   api-verdicts.js a wrapped call's API verdict and its memo
//   wrap.js        wrapping a namespace: its members, one API's calls
//   guard.js       the guard object, createGuard (roots, keys or a secret),
//                  key sets and the signed state, the test-only sync's re-key
//   sync-safe.js   the sync's captured intrinsics, pinned promises, timers
//   sync-http.js   one request through the injected fetch, read whole
//   sync-config.js the sync's options (roots required) and configuration file
//   sync-store.js  the stored record and the floor's own copy
//   sync-trust.js  where keys come from: roots and key sets (or, test-only,
//                  keys.json), and what of them is persisted
//   sync-loop.js   rounds with the server and their pacing
//   sync-reports.js violation reports sent
//   sync.js        keeping a guard in step with the superapp's server

export { createGuard, createKeyedGuard } from './guard.js';
export { sync, TEST_ONLY_NO_ROOTS } from './sync.js';

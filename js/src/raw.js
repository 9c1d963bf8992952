// The bridge's own wasm instance, driven through the RAW ABI of
// guard-wasm/src/raw_abi.rs (docs/wasm-host.md): integers in and out, strings
// through the module's input buffer, text back through its output buffer.
//
// Why not a wasm-bindgen glue (the tools-only js/pkg-tools/guard_wasm.js; the
// shipped module has none, decision 590): such a glue reads
// built-ins at call time (Uint8Array.prototype.subarray, which honours
// Symbol.species through `constructor`; TextEncoder.prototype.encodeInto;
// String.prototype.charCodeAt/slice; WebAssembly.Memory.prototype.buffer...),
// and mini program code shares the realm, so it could choose the bytes a check
// sees or be handed the instance's whole memory. Here every built-in this file
// uses at call time is captured when the module is evaluated (the base library
// evaluates the bridge before any mini program code, docs/threat-model.md) and
// applied through a captured Reflect.apply; views are made with a captured
// Uint8Array constructor over a buffer read with a captured getter; nothing
// species-honouring (subarray, slice, map, ...) is ever called.
//
// Nothing here is handed to mini program code: index.js keeps the object
// `open()` answers in a closure. Importing this file yourself gets you a
// fresh, empty instance of your own, never a guard's.

import { domainToAsciiImport } from './host-idna.js';

const R = Reflect;
const apply = R.apply;
const getOwnPropertyDescriptor = R.getOwnPropertyDescriptor;
const defineProperty = R.defineProperty;
const objectCreate = Object.create;
const objectFreeze = Object.freeze;
const setProto = Object.setPrototypeOf;
const U8 = Uint8Array;
const MapCtor = Map;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapClear = Map.prototype.clear;
const mapSize = getOwnPropertyDescriptor(Map.prototype, 'size').get;
const F64 = Float64Array;
const NumberCtor = Number;
const BigIntCtor = BigInt;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const mathFloor = Math.floor;
// A JS engine without WebAssembly (iOS JavaScriptCore outside a web view)
// still evaluates this file: nothing here exists there, and index.js then
// needs a native back end (./native.js) instead.
const WA = typeof WebAssembly === 'object' && WebAssembly !== null ? WebAssembly : undefined;
/** Whether this realm has WebAssembly (and the text codecs the driver needs), as it was when the bridge was evaluated. */
export const HAS_WASM = WA !== undefined && typeof TextEncoder === 'function' && typeof TextDecoder === 'function';
const WAModule = HAS_WASM ? WA.Module : undefined;
const WAInstance = HAS_WASM ? WA.Instance : undefined;
const waInstantiate = HAS_WASM ? WA.instantiate : undefined;
const waCompile = HAS_WASM ? WA.compile : undefined;
const waCompileStreaming = HAS_WASM && typeof WA.compileStreaming === 'function' ? WA.compileStreaming : undefined;
const moduleImports = HAS_WASM ? WA.Module.imports : undefined;
const instanceExports = HAS_WASM ? getOwnPropertyDescriptor(WA.Instance.prototype, 'exports').get : undefined;
const memoryBuffer = HAS_WASM ? getOwnPropertyDescriptor(WA.Memory.prototype, 'buffer').get : undefined;
const encoder = HAS_WASM ? new TextEncoder() : undefined;
const encodeInto = HAS_WASM ? TextEncoder.prototype.encodeInto : undefined;
const decoder = HAS_WASM ? new TextDecoder('utf-8', { ignoreBOM: true }) : undefined;
const decode = HAS_WASM ? TextDecoder.prototype.decode : undefined;
const U64_MAX = 0xffffffffffffffffn;
const LOW32 = 0xffffffffn;
const TWO_64 = 18446744073709551616;
// guard_check_url_href's href field (bits 8 and up of its answer): none, the
// URL itself, or 2 + the length of another string (HREF_ASK: too long to
// say, read it with guard_href).
const HREF_NONE = 0;
const HREF_INPUT = 1;
const HREF_ASK = 0x7fffff;
// The href field before any URL check, or after a call that may have
// changed the module's href: ask the module.
const HREF_UNKNOWN = -1;
/** Input buffers of one string are asked in multiples of this, so that their view is made once (see put in writerOf). */
const INPUT_STEP = 64;
/** The hrefs remembered per driver (see rewritten in hrefStateOf): at most this many, of URLs at most HREF_MEMO_URL long. */
const HREF_MEMO_SIZE = 256;
const HREF_MEMO_URL = 512;

/** The raw ABI exports the bridge needs (ABI_VERSION 5). */
const NEEDED = objectFreeze([
  'memory', 'guard_abi_version', 'guard_input', 'guard_new', 'guard_load', 'guard_api_id', 'guard_app_handle',
  'guard_check_api', 'guard_check_api_name', 'guard_check_url', 'guard_message',
  'guard_message_for', 'guard_href', 'guard_code_name', 'guard_errno', 'guard_kind', 'guard_report_bit',
  'guard_max_bundle_bytes', 'guard_max_url_bytes', 'guard_load_too_large',
  'guard_check_launch', 'guard_check_socket_target', 'guard_check_redirect',
  'guard_take_reports', 'guard_requeue_reports', 'guard_floor', 'guard_restore_floor',
  'guard_new_config', 'guard_load_keys', 'guard_signed_state', 'guard_restore_state', 'guard_href_is_input',
  'guard_check_url_href', 'guard_href_at', 'guard_check_api_span', 'guard_memo_cell',
]);

export const ABI_VERSION = 5;

/** Compiles module bytes (or answers a compiled module). Start-up only. */
export async function compile(source) {
  if (source instanceof WAModule) return source;
  return waCompile(source);
}

/** Whether this realm compiles a fetch Response as it arrives (WebAssembly.compileStreaming). */
export const CAN_STREAM = waCompileStreaming !== undefined;

/**
 * Compiles a fetch Response served as `application/wasm` while its body
 * arrives: the engine validates (and, eagerly or lazily, compiles) each
 * part as it comes instead of after a copy of the whole body, and a
 * browser may keep the compiled code in its cache for the next start.
 * Start-up only.
 */
export async function compileStreaming(response) {
  return waCompileStreaming(response);
}

/**
 * The memo cell of decisions 642 and 643 (guard_memo_cell): the state
 * epoch the module bumps on every change of its guard, and the span
 * `[from, until)` guard_check_api_span writes, three f64s at one address
 * for the life of the instance, read through a view made with the captured
 * constructor over the buffer read with the captured getter, so reading
 * one runs no code of the realm's (an element of a typed array is no
 * property lookup). A grown memory detaches the old buffer: an element of
 * the old view then reads undefined, which equals no epoch kept and is no
 * bound, and the view is made again after the next check. Undefined when
 * the cell does not read as the module wrote it (the fresh epoch is 1; a
 * big-endian view of the little-endian memory reads something else): no
 * memo then, every call crosses. `checkSpan(app, api, t)` is
 * guard_check_api_span as the driver calls it: `check` answers its verdict
 * byte, and from() and until() then answer its span.
 */
function memoOf(memory, gMemoCell, checkSpan) {
  const at = gMemoCell() >>> 0;
  let cell = new F64(apply(memoryBuffer, memory, []), at, 3);
  if (cell[0] !== 1) return undefined;
  return objectFreeze(setProto({
    epoch: () => cell[0],
    from: () => cell[1],
    until: () => cell[2],
    check(app, api, t) {
      const v = checkSpan(app, api, t);
      if (cell[0] === undefined) cell = new F64(apply(memoryBuffer, memory, []), at, 3);
      return v;
    },
  }, null));
}

function trap() {
  throw new ErrorCtor('guard module: the raw ABI calls no import but guard_host.domain_to_ascii');
}

/** The module's one import the raw ABI calls (decision 660): module and name. */
const HOST_MODULE = 'guard_host';
const HOST_IDNA = 'domain_to_ascii';

/**
 * Instantiates `module` for one guard: `guard_host.domain_to_ascii` is the
 * host's domain to ASCII over this realm's URL parser (./host-idna.js); any
 * other import is a function that throws (the raw-ABI paths never call it;
 * `__wbindgen_start` is never run). Answers the instance's exports once
 * every export the bridge needs is there and the module speaks its ABI.
 */
async function instantiate(module) {
  const imports = objectCreate(null);
  // The import reads and writes this instance's memory, known once it exists.
  let hostMemory;
  const hostIdna = domainToAsciiImport(() => hostMemory);
  const list = moduleImports(module);
  for (let i = 0; i < list.length; i++) {
    const { module: m, name, kind } = list[i];
    if (kind !== 'function') throw new TypeErrorCtor(`guard module: unexpected ${kind} import ${m}.${name}`);
    let ns = imports[m];
    if (ns === undefined) {
      ns = objectCreate(null);
      defineProperty(imports, m, { value: ns, enumerable: true });
    }
    const value = m === HOST_MODULE && name === HOST_IDNA ? hostIdna : trap;
    defineProperty(ns, name, { value, enumerable: true });
  }
  const instance = await waInstantiate(module, imports);
  if (!(instance instanceof WAInstance)) throw new TypeErrorCtor('guard module: instantiate gave no instance');
  const x = apply(instanceExports, instance, []);
  for (let i = 0; i < NEEDED.length; i++) {
    if (getOwnPropertyDescriptor(x, NEEDED[i]) === undefined) throw new TypeErrorCtor(`guard module has no raw ABI export ${NEEDED[i]}`);
  }
  hostMemory = x.memory;
  const abiVersion = x.guard_abi_version;
  if (abiVersion() !== ABI_VERSION) throw new TypeErrorCtor(`guard module speaks raw ABI ${abiVersion()}, the bridge ${ABI_VERSION}`);
  return x;
}

/** The clock as the ABI's i64, converted once per distinct second. */
function clockOf() {
  let lastT = -1;
  let lastBig = 0n;
  return function big(t) {
    if (t !== lastT) {
      lastT = t;
      lastBig = t >= TWO_64 ? U64_MAX : BigIntCtor(mathFloor(t));
    }
    return lastBig;
  };
}

/** `len` bytes of UTF-8 `memory` holds at `at`, as a string. */
function textIn(memory, at, len) {
  if (len === 0) return '';
  const buffer = apply(memoryBuffer, memory, []);
  return apply(decode, decoder, [new U8(buffer, at, len)]);
}

/** Text the module packed as (address << 32) | length; null on an ERR_*. */
function packedText(memory, packed) {
  if (packed < 0n) return null;
  return textIn(memory, NumberCtor((packed >> 32n) & LOW32), NumberCtor(packed & LOW32));
}

/**
 * The href of the last URL check, as guard_check_url_href told it: `field`
 * (HREF_*, or 2 + a length), and the URL, where put() wrote it, and its
 * kind. Every call that may change the module's href resets `field`: those
 * that write an input buffer in put(), the others through forget(). A
 * null-prototype record: no read or write of it reaches a prototype.
 */
function hrefStateOf(x) {
  const memory = x.memory;
  const gHref = x.guard_href;
  const gHrefAt = x.guard_href_at;
  const gHrefIsInput = x.guard_href_is_input;
  // The hrefs guard-core wrote for URLs it rewrote, by kind and URL
  // (decision 650): its serialisation is a function of the kind, the URL
  // and the module's configuration alone, so the text decoded once for a
  // URL is the text it writes for that URL again; decoding it again cost
  // more than the rest of the href. Kept only while the configuration
  // stands (create, load and the restores forget it), checked against the
  // length guard-core answers, bounded, and never seen by mini program code
  // (a Map driven through methods captured with this file). A
  // null-prototype table: no read of it reaches Array.prototype or
  // Object.prototype, where a mini program could plant a Map of its own.
  const known = objectCreate(null);
  let knownKinds = 0;
  function knownOf(kind) {
    let m = known[kind];
    if (m === undefined) {
      m = new MapCtor();
      known[kind] = m;
      knownKinds++;
    }
    return m;
  }
  /** The href of the last check, `len` UTF-8 bytes guard-core holds (asked only when not remembered). */
  function rewritten(len) {
    const url = h.url;
    const short = url !== null && url.length <= HREF_MEMO_URL;
    const m = short ? knownOf(h.kind) : undefined;
    if (m !== undefined) {
      const had = apply(mapGet, m, [url]);
      if (had !== undefined && had.len === len) return had.href;
    }
    const at = gHrefAt() >>> 0;
    if (at === 0) return undefined;
    const href = textIn(memory, at, len);
    if (m !== undefined) {
      if (apply(mapSize, m, []) >= HREF_MEMO_SIZE) apply(mapClear, m, []);
      apply(mapSet, m, [url, objectFreeze(setProto({ href, len }, null))]);
    }
    return href;
  }
  const h = setProto({
    field: HREF_UNKNOWN,
    url: null,
    at: 0,
    len: 0,
    kind: -1,
    /** Forgets the remembered hrefs: the configuration changed. */
    forgetKnown() {
      if (knownKinds === 0) return;
      for (const k in known) apply(mapClear, known[k], []);
    },
    /**
     * The href of the last URL check, or null. When guard-core answered the
     * input itself (its fast path: the URL already is its serialisation,
     * hence ASCII, hence byte for byte the caller's string), that string is
     * answered without decoding anything, asked with integers only (the
     * packed i64 of guard_href is a BigInt here, which costs more than the
     * question).
     */
    href() {
      const field = h.field;
      if (field === HREF_NONE) return null;
      if (field === HREF_INPUT && h.url !== null) return h.url;
      if (field > HREF_INPUT && field < HREF_ASK) {
        const r = rewritten(field - 2);
        if (r !== undefined) return r;
      }
      if (h.url !== null && gHrefIsInput(h.at, h.len) === 1) return h.url;
      return packedText(memory, gHref());
    },
  }, null);
  return h;
}

/**
 * put(s, t, limit, u) copies `s`, and `t` and `u` when given, one after
 * the other into a fresh input buffer of at most `limit + 4` bytes per
 * string, and leaves their UTF-8 lengths in `lens`. A string longer than
 * `limit` bytes is cut just past `limit` (never copied whole), so the guard
 * sees a too-long string. False when the module had no buffer to give.
 */
function writerOf(x, h) {
  const memory = x.memory;
  const input = x.guard_input;
  // The view put() wrote the last single string through: a buffer asked in
  // a multiple of INPUT_STEP is mostly at the same address as the last one,
  // so its view is made again only when the address, size or memory
  // changed (a view per call cost more than the write).
  let view = null;
  let viewBuffer = null;
  let viewAt = -1;
  let viewLen = -1;
  function viewOf(buffer, at, len) {
    if (buffer !== viewBuffer || at !== viewAt || len !== viewLen) {
      view = new U8(buffer, at, len);
      viewBuffer = buffer;
      viewAt = at;
      viewLen = len;
    }
    return view;
  }
  const lens = [0, 0, 0];
  const cap = (str, limit) => {
    const n = str === undefined ? 0 : str.length * 3;
    return n < limit + 4 ? n : limit + 4;
  };
  function put(s, t, limit, u) {
    h.field = HREF_UNKNOWN;
    const capS = cap(s, limit);
    const capT = cap(t, limit);
    const capU = cap(u, limit);
    lens[0] = 0;
    lens[1] = 0;
    lens[2] = 0;
    if (t === undefined && u === undefined) {
      // One string (a URL, a name): its buffer rounded up to INPUT_STEP
      // bytes unless that passes the cut, written through a kept view.
      const round = capS + INPUT_STEP - 1 - ((capS + INPUT_STEP - 1) % INPUT_STEP);
      const len = round <= limit + 4 ? round : capS;
      const at = input(len) >>> 0;
      if (at === 0 && len !== 0) return false;
      // The kept view, without asking the memory for its buffer, while it
      // is still attached: the buffer is replaced (the old one detached,
      // its views emptied) only when the memory grows. An element read of
      // a typed array never reaches a prototype: no mini program code
      // answers it.
      const kept = view !== null && at === viewAt && len === viewLen && len !== 0 && view[len - 1] !== undefined;
      lens[0] = apply(encodeInto, encoder, [s, kept ? view : viewOf(apply(memoryBuffer, memory, []), at, len)]).written;
      return true;
    }
    const at = input(capS + capT + capU) >>> 0;
    if (at === 0 && capS + capT + capU !== 0) return false;
    const buffer = apply(memoryBuffer, memory, []);
    const a = apply(encodeInto, encoder, [s, new U8(buffer, at, capS)]).written;
    lens[0] = a;
    if (t !== undefined) lens[1] = apply(encodeInto, encoder, [t, new U8(buffer, at + a, capT)]).written;
    if (u !== undefined) lens[2] = apply(encodeInto, encoder, [u, new U8(buffer, at + a + lens[1], capU)]).written;
    return true;
  }
  return { put, lens };
}

/**
 * The driver's doors that change or read the guard's configuration and
 * state: create, the loads and restores, reports, floors and texts. `io`
 * is what open() built over the same instance.
 */
function stateDoorsOf(x, io) {
  const { put, lens, big, forget, h, memory } = io;
  const text = (packed) => packedText(memory, packed);
  const gNew = x.guard_new;
  const gNewConfig = x.guard_new_config;
  const gLoad = x.guard_load;
  const gLoadKeys = x.guard_load_keys;
  const gTooLarge = x.guard_load_too_large;
  const gSignedState = x.guard_signed_state;
  const gRestoreState = x.guard_restore_state;
  const gTakeReports = x.guard_take_reports;
  const gRequeueReports = x.guard_requeue_reports;
  const gFloor = x.guard_floor;
  const gRestoreFloor = x.guard_restore_floor;
  const gMessage = x.guard_message;
  const gMessageFor = x.guard_message_for;
  const gCodeName = x.guard_code_name;
  const gErrno = x.guard_errno;
  const gReportBit = x.guard_report_bit;
  const MAX_BUNDLE = io.MAX_BUNDLE;
  // A signed state holds a bundle and at most two key sets (64 KiB each).
  const MAX_STATE = MAX_BUNDLE + 262144;
  return {
    /**
     * 0 ok, 1 bad key or configuration (message says why), negative misuse.
     * `key` is a SecretKey, or (first character `{`) a guard configuration
     * JSON `{"secret"?, "keys"?, "roots"?, "superapp_id"?, "local_prefixes"?}`
     * (contract v3: roots with the superapp id, never with a secret or keys).
     */
    create(key) {
      h.forgetKnown();
      if (!put(key, undefined, MAX_BUNDLE)) return -4;
      return key[0] === '{' ? gNewConfig(lens[0]) : gNew(lens[0]);
    },
    /** The LoadCode number; the bundle's size is checked before any copy. */
    load(bundle, t) {
      h.forgetKnown();
      if (bundle.length > MAX_BUNDLE) return forget(gTooLarge(bundle.length >>> 0));
      if (!put(bundle, undefined, MAX_BUNDLE)) return gTooLarge(bundle.length >>> 0);
      return gLoad(lens[0], big(t));
    },
    /** Contract v3: loads a key set (a key-set JWS); the LoadCode number. */
    loadKeys(jws, t) {
      h.forgetKnown();
      if (!put(jws, undefined, MAX_BUNDLE)) return gTooLarge(jws.length >>> 0);
      return gLoadKeys(lens[0], big(t));
    },
    /** Contract v3: the signed state's JSON ('' for a guard without roots), null on misuse. */
    signedState: () => forget(text(gSignedState())),
    /** Contract v3: restores a signed state; the LoadCode number (0 restored, message says why not). */
    restoreState(json, t) {
      h.forgetKnown();
      if (!put(json, undefined, MAX_STATE)) return -4;
      return gRestoreState(lens[0], big(t));
    },
    message: () => text(gMessage()) ?? '',
    messageFor(label) {
      if (!put(label, undefined, 4096)) return '';
      return text(gMessageFor(lens[0])) ?? '';
    },
    codeName: (code, load) => text(gCodeName(code, load ? 1 : 0)) ?? '',
    errno: (code) => gErrno(code),
    reportBit: () => gReportBit(),
    /** The JSON of the drained report log (guard-core report::Batch). */
    takeReports: (t) => forget(text(gTakeReports(big(t)))) ?? '{"reports":[],"dropped":0}',
    /** Puts the last taken batch back (its send failed). */
    requeueReports: (t) => forget(gRequeueReports(big(t))),
    /** The floor's JSON, '' when nothing was accepted, null on misuse. */
    floor: () => forget(text(gFloor())),
    /** 0 restored, 1 refused (message says why), negative misuse. */
    restoreFloor(json) {
      if (!put(json, undefined, 4096)) return -4;
      return gRestoreFloor(lens[0]);
    },
  };
}

/**
 * The driver's doors that decide: by API, URL, launch, socket and
 * redirect, the href of the last URL check, and the API verdict memo.
 */
function checkDoorsOf(x, io) {
  const { put, lens, big, forget, h, memory } = io;
  const gApiId = x.guard_api_id;
  const gAppHandle = x.guard_app_handle;
  const gCheckApi = x.guard_check_api;
  const gCheckApiName = x.guard_check_api_name;
  const gCheckUrl = x.guard_check_url;
  const gCheckUrlHref = x.guard_check_url_href;
  const gCheckLaunch = x.guard_check_launch;
  const gCheckSocket = x.guard_check_socket_target;
  const gCheckRedirect = x.guard_check_redirect;
  const gKind = x.guard_kind;
  const gCheckApiSpan = x.guard_check_api_span;
  const MAX_URL = io.MAX_URL;
  // The memo reads its cell before any other call of this driver's.
  const memo = memoOf(memory, x.guard_memo_cell, (app, api, t) => forget(gCheckApiSpan(app, api, big(t))));
  function kind(name) {
    if (!put(name, undefined, 64)) return -2;
    return gKind(lens[0]);
  }
  /** The verdict byte (negative misuse); href() then tells the href without asking the module again. */
  function checkUrl(k, handle, url, t) {
    h.url = null;
    if (!put(url, undefined, MAX_URL)) return -4;
    const a = gCheckUrlHref(k, handle, lens[0], big(t));
    if (a < 0) return a;
    h.url = url;
    h.at = 0;
    h.len = lens[0];
    h.kind = k;
    h.field = a >> 8;
    return a & 0xff;
  }
  const MEDIA = kind('media');
  if (MEDIA < 0) throw new TypeErrorCtor('guard module has no media kind');
  return {
    apiId(name) {
      if (name.length > 4096 || !put(name, undefined, 4096)) return -2;
      return gApiId(lens[0]);
    },
    appHandle(app) {
      if (app.length > 4096 || !put(app, undefined, 4096)) return -2;
      return gAppHandle(lens[0]);
    },
    checkApi: (app, api, t) => forget(gCheckApi(app, api, big(t))),
    checkApiName(app, name, t) {
      if (!put(app, name, MAX_URL)) return -4;
      return gCheckApiName(lens[0], lens[1], big(t));
    },
    checkUrl,
    /** Contract v3: a media source check by app handle (kind `media` of checkUrl); href() then is what to hand on. */
    checkMedia: (handle, url, t) => checkUrl(MEDIA, handle, url, t),
    checkUrlByApp(k, app, url, t) {
      h.url = null;
      if (!put(app, url, MAX_URL)) return -4;
      h.url = url;
      h.at = lens[0];
      h.len = lens[1];
      return gCheckUrl(k, lens[0], lens[1], big(t));
    },
    checkLaunch(app, version, sha, t) {
      h.url = null;
      if (!put(app, version, MAX_URL, sha)) return -4;
      return gCheckLaunch(lens[0], lens[1], lens[2], big(t));
    },
    /** `port` an integer 0..2^32-1 (anything else is passed as 0, which is invalid). */
    checkSocket(k, app, host, port, t) {
      h.url = null;
      if (!put(app, host, MAX_URL)) return -4;
      return gCheckSocket(k, lens[0], lens[1], port, big(t));
    },
    checkRedirect(k, app, base, location, hop, t) {
      h.url = null;
      if (!put(app, base, MAX_URL, location)) return -4;
      return gCheckRedirect(k, lens[0], lens[1], lens[2], hop, big(t));
    },
    /** The href of the last URL check, or null (see hrefStateOf). */
    href: h.href,
    kind,
    /** The reads of the API verdict memo (see memoOf), or undefined when this realm cannot read the cell. */
    memo,
  };
}

/**
 * Opens `module` for one guard: its own instance, and the driver over it
 * (closures over this instance only): the state doors and the check doors.
 */
export async function open(module) {
  const x = await instantiate(module);
  const memory = x.memory;
  const h = hrefStateOf(x);
  const { put, lens } = writerOf(x, h);
  /** Answers `v` after a module call that cleared the module's href. */
  const forget = (v) => {
    h.field = HREF_UNKNOWN;
    return v;
  };
  const io = objectFreeze(setProto({
    put, lens, big: clockOf(), forget, h, memory,
    MAX_BUNDLE: x.guard_max_bundle_bytes(),
    MAX_URL: x.guard_max_url_bytes(),
  }, null));
  return objectFreeze({
    MAX_BUNDLE: io.MAX_BUNDLE,
    MAX_URL: io.MAX_URL,
    ...stateDoorsOf(x, io),
    ...checkDoorsOf(x, io),
  });
}

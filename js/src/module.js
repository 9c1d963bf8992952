// The guard module: its bytes found and compiled once (each guard then
// instantiates its own instance, ./raw.js), and the wasm-bindgen glue frozen.
//
// The glue (../pkg/guard_wasm.js) stays for trusted JS (tests use
// WasmGuard.decide as their oracle, the harness WasmGuard.explain), but code
// that imports the same module specifier must not be able to change what it
// answers: its classes and functions are frozen when the bridge is
// evaluated. It is imported only where WebAssembly exists: its own
// evaluation needs TextEncoder and TextDecoder, which a bare JavaScriptCore
// (no WebAssembly, a native back end instead) lacks too.

import { compile, HAS_WASM } from './raw.js';
import { ownKeys, freeze, ErrorCtor } from './safe.js';

const glue = HAS_WASM ? await import('../pkg/guard_wasm.js') : null;
if (glue !== null) {
  for (const k of ownKeys(glue)) {
    const v = glue[k];
    if (typeof v === 'function') {
      if (v.prototype !== undefined && v.prototype !== null) freeze(v.prototype);
      freeze(v);
    }
  }
}

/** Why a guard cannot exist here without a native back end. */
export const NO_WASM = 'this JS engine has no WebAssembly: createGuard needs `native`, the base library\'s synchronous JS-to-native call '
  + '(request: string) => string (docs/js-bridge.md, "Native back end"); without a guard nothing is allowed';

let defaultModule = null;

async function bytesOf(source) {
  if (typeof source === 'string' || source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok) throw new ErrorCtor(`cannot fetch the guard module: ${res.status}`);
    return res.arrayBuffer();
  }
  return source;
}

async function defaultBytes() {
  const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
  const url = new URL('../pkg/guard_wasm_bg.wasm', import.meta.url);
  if (isNode) {
    const { readFileSync } = await import('node:fs');
    return readFileSync(url);
  }
  return bytesOf(url);
}

/**
 * The compiled module for `source` (bytes, a compiled module, a URL), or
 * the default one next to the glue, compiled once. Start-up only.
 */
export function moduleFor(source) {
  if (source !== undefined) return bytesOf(source).then(compile);
  if (defaultModule === null) {
    defaultModule = defaultBytes().then(compile);
    defaultModule.catch(() => { defaultModule = null; });
  }
  return defaultModule;
}

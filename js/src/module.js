// The guard module: its bytes found and compiled once (each guard then
// instantiates its own instance, ./raw.js).
//
// The bridge imports no JS glue: the shipped module (../pkg/guard_wasm_bg.wasm)
// has the raw ABI alone and no imports (decision 590). The wasm-bindgen
// façade (WasmGuard, decide, explain) and its glue are a second, tools-only
// module in ../pkg-tools/, which the tests and the harness import
// themselves; nothing a mini program's realm shares loads it.

import { compile } from './raw.js';
import { ErrorCtor } from './safe.js';

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
 * the default one (../pkg/guard_wasm_bg.wasm), compiled once. Start-up only.
 */
export function moduleFor(source) {
  if (source !== undefined) return bytesOf(source).then(compile);
  if (defaultModule === null) {
    defaultModule = defaultBytes().then(compile);
    defaultModule.catch(() => { defaultModule = null; });
  }
  return defaultModule;
}

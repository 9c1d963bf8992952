// The guard module: its bytes found and compiled once (each guard then
// instantiates its own instance, ./raw.js).
//
// The bridge imports no JS glue: the shipped module (../pkg/guard_wasm_bg.wasm)
// has the raw ABI alone (decision 590) and one import, the host's domain to
// ASCII, which ./raw.js provides itself (decision 660). The wasm-bindgen
// façade (WasmGuard, decide, explain) and its glue are a second, tools-only
// module in ../pkg-tools/, which the tests and the harness import
// themselves; nothing a mini program's realm shares loads it.

import { compile, compileStreaming, CAN_STREAM } from './raw.js';
import { ErrorCtor } from './safe.js';

/** Why a guard cannot exist here without a native back end. */
export const NO_WASM = 'this JS engine has no WebAssembly: createGuard needs `native`, the base library\'s synchronous JS-to-native call '
  + '(request: string) => string (docs/js-bridge.md, "Native back end"); without a guard nothing is allowed';

let defaultModule = null;

/**
 * Whether a response's Content-Type is exactly `application/wasm`:
 * compileStreaming refuses anything else (Node even with parameters or in
 * upper case), and such a module is then compiled from its body.
 */
function isWasm(response) {
  return response.headers.get('content-type') === 'application/wasm';
}

/**
 * The compiled module at a URL: compiled while it downloads when the realm
 * can and the server says `application/wasm` (decision 591); otherwise from
 * the whole body, as before.
 */
async function compileUrl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new ErrorCtor(`cannot fetch the guard module: ${res.status}`);
  if (CAN_STREAM && isWasm(res)) return compileStreaming(res);
  return compile(await res.arrayBuffer());
}

/** The compiled module for bytes, a compiled module or a URL. */
function compileSource(source) {
  if (typeof source === 'string' || source instanceof URL) return compileUrl(source);
  return compile(source);
}

async function defaultModuleOf() {
  const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
  const url = new URL('../pkg/guard_wasm_bg.wasm', import.meta.url);
  if (isNode) {
    const { readFileSync } = await import('node:fs');
    return compile(readFileSync(url));
  }
  return compileUrl(url);
}

/**
 * The compiled module for `source` (bytes, a compiled module, a URL), or
 * the default one (../pkg/guard_wasm_bg.wasm), compiled once. Start-up only.
 */
export function moduleFor(source) {
  if (source !== undefined) return compileSource(source);
  if (defaultModule === null) {
    defaultModule = defaultModuleOf();
    defaultModule.catch(() => { defaultModule = null; });
  }
  return defaultModule;
}

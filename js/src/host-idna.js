// The guard module's one import, `guard_host.domain_to_ascii` (decision 660;
// the contract is docs/wasm-host.md, "The host import"): the WHATWG URL
// Standard's domain to ASCII of a host that needs Unicode data (an IDN
// label, or an `xn--` label to validate), which the shipped module does not
// carry. This realm's own URL parser does it, exactly as the Rust `url`
// crate calls `idna::domain_to_ascii_cow(domain, AsciiDenyList::URL)`:
//
// - every byte of the domain is percent-encoded, so the parser
//   percent-decodes and UTF-8 decodes it back to the very bytes the module
//   holds (ill-formed UTF-8 becomes U+FFFD, which UTS #46 refuses, as the
//   Rust side refuses ill-formed input), and no byte can end the host;
// - a last label `a` is appended, so the host never "ends in a number" and
//   the parser answers domain to ASCII plus the forbidden-code-point check,
//   never an IPv4 address in its place (the module parses IPv4 itself);
//   the label changes nothing else: `.` is a starter that nothing composes
//   with, and `a` passes every bidi and joiner rule; it is cut off again;
// - any throw (the parser refusing the host) answers "not a valid domain";
// - a `%XX` in the answer is decoded back: the domain holds no `%` (the
//   module refuses one before asking), so it is the parser's own escape of
//   a code point the URL Standard keeps (Chromium writes `*` as `%2A`) or
//   of one it forbids (U+3000 mapped to a space, `%20`), which the module
//   then refuses.
//
// Mini program code shares the realm and runs after this file is evaluated:
// every built-in used at call time (URL, its `hostname` getter, String's
// charCodeAt, Uint8Array, the memory's `buffer` getter, Reflect.apply) is
// captured now, and nothing species-honouring or prototype-reaching is
// called (string `+`, `.length` and indexing of primitives only).

const apply = Reflect.apply;
const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const U8 = Uint8Array;
const charCodeAt = String.prototype.charCodeAt;
const URLCtor = typeof URL === 'function' ? URL : undefined;
const hostnameGet = URLCtor !== undefined ? getOwnPropertyDescriptor(URLCtor.prototype, 'hostname')?.get : undefined;
const memoryBuffer =
  typeof WebAssembly === 'object' && WebAssembly !== null
    ? getOwnPropertyDescriptor(WebAssembly.Memory.prototype, 'buffer').get
    : undefined;

/** `%00`..`%FF`, indexed by byte: a frozen array, read by own index only. */
const PERCENT = (() => {
  const hex = '0123456789ABCDEF';
  const table = [];
  for (let b = 0; b < 256; b++) table[b] = '%' + hex[b >> 4] + hex[b & 15];
  return Object.freeze(table);
})();

/** ASCII by code (`ASCII[0x2a] === '*'`), and hex digits' values by code (-1 elsewhere). */
const ASCII = (() => {
  const table = [];
  for (let c = 0; c < 128; c++) table[c] = String.fromCharCode(c);
  return Object.freeze(table);
})();
const HEX = (() => {
  const table = [];
  for (let c = 0; c < 128; c++) table[c] = -1;
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) table[0x41 + d] = table[0x61 + d] = 10 + d;
  return Object.freeze(table);
})();

/** The answer for "not a valid domain". */
const INVALID = -1;

/** Whether this realm has a WHATWG URL parser the import can use (captured when this file was evaluated). */
export const HAS_URL = URLCtor !== undefined && typeof hostnameGet === 'function';

/**
 * Domain to ASCII of the first `len` bytes of `bytes` (a Uint8Array: the
 * domain's UTF-8 bytes, possibly ill-formed; `len` is passed because a
 * typed array's `length` is a getter mini program code can replace)
 * through this realm's URL parser, as the module's Rust side defines it:
 * the ASCII string, or `null` when it is not a valid domain (or this realm
 * has no URL parser: fail closed).
 */
export function domainToAscii(bytes, len) {
  if (!HAS_URL) return null;
  let encoded = '';
  for (let i = 0; i < len; i++) encoded += PERCENT[bytes[i]];
  let host;
  try {
    host = apply(hostnameGet, new URLCtor('http://' + encoded + '.a/'), []);
  } catch {
    return null;
  }
  if (typeof host !== 'string') return null;
  const n = host.length;
  if (n < 2 || host[n - 2] !== '.' || host[n - 1] !== 'a') return null;
  let out = '';
  for (let i = 0; i < n - 2; i++) {
    const c = apply(charCodeAt, host, [i]);
    if (c > 0x7e) return null;
    if (c !== 0x25) {
      out += host[i];
      continue;
    }
    if (i + 2 >= n - 2) return null;
    const hi = HEX[apply(charCodeAt, host, [i + 1])];
    const lo = HEX[apply(charCodeAt, host, [i + 2])];
    if (hi === undefined || lo === undefined || hi < 0 || lo < 0 || hi > 7) return null;
    out += ASCII[hi * 16 + lo];
    i += 2;
  }
  return out;
}

/**
 * The import for one instance: `getMemory()` answers its exported memory
 * (known only once instantiated). Reads `inLen` bytes at `inPtr`, answers
 * `-1` for not a valid domain, else the answer's byte length `n`, written
 * at `outPtr` only when `n <= outCap` (the module asks again with a larger
 * buffer otherwise). Never throws: anything unexpected is `-1`.
 */
export function domainToAsciiImport(getMemory) {
  return function domain_to_ascii(inPtr, inLen, outPtr, outCap) {
    try {
      const buffer = apply(memoryBuffer, getMemory(), []);
      const len = inLen >>> 0;
      const ascii = domainToAscii(new U8(buffer, inPtr >>> 0, len), len);
      if (ascii === null) return INVALID;
      const n = ascii.length;
      if (n <= outCap >>> 0) {
        const out = new U8(buffer, outPtr >>> 0, n);
        for (let i = 0; i < n; i++) out[i] = apply(charCodeAt, ascii, [i]);
      }
      return n;
    } catch {
      return INVALID;
    }
  };
}

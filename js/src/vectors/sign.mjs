// Signs policy documents into bundles (docs/policy.md §2) for the vector
// runner, the same bytes in Node and in a browser page: no Node-only API.
//
// HS256 is synchronous and written out here (SHA-256 and HMAC, FIPS 180-4 and
// RFC 2104) because its callers are: the harness server, the unit-test
// fixture and the benchmark sign with `signPolicy(policy, secret)` and use the
// string at once, and WebCrypto only offers an asynchronous HMAC. One
// implementation for every runtime keeps the bundles byte-identical; the CLI
// test checks it against node:crypto. EdDSA goes through WebCrypto
// (`crypto.subtle`, Ed25519), present in Node 20 and in Chromium, because a
// hand-written Ed25519 signer is not worth its risk.
import { RawNumber, stringify as stringifyLossless } from './lossless-json.mjs';

// ---- SHA-256 (FIPS 180-4 §6.2)

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr = (x, n) => (x >>> n) | (x << (32 - n));

/** SHA-256 of `bytes` (a Uint8Array); 32 bytes. */
export function sha256(bytes) {
  const len = bytes.length;
  // Message, 0x80, zeros, then the bit length as 64-bit big-endian, to a multiple of 64 bytes.
  const padded = new Uint8Array(Math.ceil((len + 9) / 64) * 64);
  padded.set(bytes);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(len / 0x20000000));
  view.setUint32(padded.length - 4, (len * 8) >>> 0);
  const h = Uint32Array.from(H0);
  const w = new Uint32Array(64);
  for (let off = 0; off < padded.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(off + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i]);
  return out;
}

/** HMAC-SHA256 (RFC 2104) of `message` under `key`, both Uint8Arrays. */
export function hmacSha256(key, message) {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

// ---- encodings

const utf8 = (s) => new TextEncoder().encode(s);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Base64url without padding (RFC 7515 §2) of bytes or of a string's UTF-8. */
export function base64url(input) {
  const bytes = typeof input === 'string' ? utf8(input) : input instanceof Uint8Array ? input : new Uint8Array(input);
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
  }
  return out;
}

/**
 * The policy's compact JSON, the payload every runner signs. `policy` is a
 * plain value or one from lossless-json, whose numbers keep the digits they
 * were written with (as serde_json keeps a u64 beyond 2^53).
 */
export function policyJson(policy) {
  const lossless = policy instanceof Map || policy instanceof RawNumber || Array.isArray(policy);
  return lossless ? stringifyLossless(policy) : JSON.stringify(policy);
}

// ---- bundles

/** An HS256 bundle of `policy` keyed by the SecretKey `secret` (its UTF-8 bytes). */
export function signPolicy(policy, secret) {
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(policyJson(policy))}`;
  return `${input}.${base64url(hmacSha256(utf8(secret), utf8(input)))}`;
}

/** The public part of an Ed25519 JWK: every member but the private `d`. */
export function publicJwk(jwk) {
  const out = {};
  for (const [k, v] of Object.entries(jwk)) if (k !== 'd') out[k] = v;
  return out;
}

/**
 * An EdDSA bundle of `policy` (RFC 8037), header {"alg":"EdDSA","kid":…},
 * signed by the private Ed25519 JWK `jwk` (which carries `kid` and `d`).
 * `subtle` defaults to the runtime's WebCrypto.
 */
export async function signPolicyEdDsa(policy, jwk, subtle = globalThis.crypto?.subtle) {
  if (subtle === undefined) throw new Error('EdDSA signing needs WebCrypto (crypto.subtle), which this runtime lacks');
  // Only the key material: WebCrypto rejects some JWK members (`key_ops`, `use`)
  // that would not match a signing key, and `kid` is ours, not WebCrypto's.
  const key = await subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, { name: 'Ed25519' }, false, ['sign']);
  const input = `${base64url(JSON.stringify({ alg: 'EdDSA', kid: jwk.kid }))}.${base64url(policyJson(policy))}`;
  const sig = await subtle.sign({ name: 'Ed25519' }, key, utf8(input));
  return `${input}.${base64url(new Uint8Array(sig))}`;
}

// Signs policy documents into bundles (docs/policy.md §2), and key sets
// with a root (contract v3 §2.1), for the vector runner, the same bytes in Node and in a browser page: no Node-only API.
//
// HS256 is synchronous because its callers are: the harness server, the
// unit-test fixture and the benchmark sign with `signPolicy(policy, secret)`
// and use the string at once, and WebCrypto only offers an asynchronous HMAC.
// So HMAC-SHA256 comes from @noble/hashes (audited, synchronous, the same
// code in Node and in a page: a page maps the bare specifier with an import
// map); the CLI test checks the bundles against node:crypto. EdDSA goes
// through WebCrypto (`crypto.subtle`, Ed25519), present in Node 20 and in
// Chromium.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { RawNumber, stringify as stringifyLossless } from './lossless-json.mjs';

/** HMAC-SHA256 (RFC 2104) of `message` under `key`, both Uint8Arrays. */
export const hmacSha256 = (key, message) => hmac(sha256, key, message);
export { sha256 };

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

/**
 * The public part of an Ed25519 JWK, as a device key set takes it: only
 * `kty`, `crv`, `kid` and `x` (a WebCrypto export also carries `key_ops`,
 * `ext` and `alg`, which a guard's key set refuses as unknown members).
 */
export function publicJwk(jwk) {
  const out = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  if (jwk.kid !== undefined) out.kid = jwk.kid;
  return out;
}

/**
 * An EdDSA bundle of `policy` (RFC 8037), header {"alg":"EdDSA","kid":…},
 * signed by the private Ed25519 JWK `jwk` (which carries `kid` and `d`).
 * `subtle` defaults to the runtime's WebCrypto.
 */
export function signPolicyEdDsa(policy, jwk, subtle = globalThis.crypto?.subtle) {
  return signEdDsa({ alg: 'EdDSA', kid: jwk.kid }, policy, jwk, subtle);
}

/** The `typ` of a key set's header (contract v3 §2.1). */
export const KEYSET_TYP = 'guard-keyset+jws';

/**
 * A key set (contract v3 §2.1) of `payload`, header
 * {"alg":"EdDSA","kid":…,"typ":"guard-keyset+jws"}, signed by the private
 * root JWK `root` (which carries `kid` and `d`).
 */
export function signKeysetEdDsa(payload, root, subtle = globalThis.crypto?.subtle) {
  return signEdDsa({ alg: 'EdDSA', kid: root.kid, typ: KEYSET_TYP }, payload, root, subtle);
}

async function signEdDsa(header, payload, jwk, subtle) {
  if (subtle === undefined) throw new Error('EdDSA signing needs WebCrypto (crypto.subtle), which this runtime lacks');
  // Only the key material: WebCrypto rejects some JWK members (`key_ops`, `use`)
  // that would not match a signing key, and `kid` is ours, not WebCrypto's.
  const key = await subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, { name: 'Ed25519' }, false, ['sign']);
  const input = `${base64url(JSON.stringify(header))}.${base64url(policyJson(payload))}`;
  const sig = await subtle.sign({ name: 'Ed25519' }, key, utf8(input));
  return `${input}.${base64url(new Uint8Array(sig))}`;
}

// The vector runner's core, importable from Node and from a browser page
// (no Node-only API below this folder). See runner.mjs.
export { runVectorText, runFile, validate, parseTarget, warning, tally, LOAD_CODES } from './runner.mjs';
export { signPolicy, signPolicyEdDsa, signKeysetEdDsa, publicJwk, policyJson, base64url, sha256, hmacSha256 } from './sign.mjs';
export { parse as parseLossless, stringify as stringifyLossless, toPlain, RawNumber } from './lossless-json.mjs';

// The lossless JSON parser moved to src/vectors/ so that the vector runner's
// core can load it in a browser page too (src/ is what the harness serves);
// this path stays because docs and callers name it.
export * from '../src/vectors/lossless-json.mjs';

// The sync takeover of issue 20 replayed in Node (js/test/takeover-scenario.mjs):
// mini program code plants Object.prototype.then, sees every Response the
// realm's fetch resolves, and answers with its own key set and bundle; then
// writes them into the sync's storage. The guard keeps the superapp's policy
// and floor, and storage holds only what the roots lead to.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { sync } from '../src/index.js';
import { signKeysetEdDsa, signPolicyEdDsa } from '../src/vectors/sign.mjs';
import { startTakeoverServer } from './takeover-server.mjs';
import { replayTakeover, replayPacing, checkPacing, EXPECTED } from './takeover-scenario.mjs';

const server = await startTakeoverServer();
after(() => server.close());

test('a planted Object.prototype.then answering with its own key set and bundle changes nothing enforced or stored', async () => {
  const facts = await replayTakeover({ sync, signKeysetEdDsa, signPolicyEdDsa, origin: server.origin });
  assert.match(facts.refusal, /refused: (bad_signature|unknown_key)/, 'the planted documents reached the guard, which refused them');
  assert.match(facts.plantedRestart.stored, /^refused: stored signed state: bad_signature/);
  const { stored, ...restart } = facts.plantedRestart;
  assert.deepEqual({ ...facts, plantedRestart: restart, refusal: undefined }, { ...EXPECTED, refusal: undefined });
  assert.ok(server.hits['/api/v1/superapps/demo/keyset'] > 0);
});

test('pacing: a server that answers every round at once with the same documents gets one round per gap, and nothing is reloaded or rewritten', async () => {
  checkPacing(assert, await replayPacing({ sync, signKeysetEdDsa, signPolicyEdDsa, origin: server.origin }));
});

// The tests' synchronous channel to another process (native/sync-call.mjs):
// back-to-back calls never lose a wake-up. A worker that re-read the state
// before waiting could sleep on REQUEST while the caller slept waiting for
// ANSWER; that made native.test.mjs fail CI once with a 20 s `no answer`
// (it hung within the first hundred calls through `cat` before the fix).
// Run: node --test js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeProcess } from './native/sync-call.mjs';

test('5,000 back-to-back calls through `cat` each get their own answer, none times out', async () => {
  const echo = nativeProcess('cat', [], { timeoutMs: 5000 });
  try {
    for (let i = 0; i < 5000; i++) assert.equal(echo.call(`call ${i}`), `call ${i}`);
    assert.equal(echo.calls(), 5000);
  } finally {
    await echo.close();
  }
});

// Run by bridge.test.mjs in a child process: the realm's clock is replaced
// before the bridge is evaluated (the bridge captures `Date.now` then), so
// the test moves time itself. A policy valid until `EXP`; a wrapped call
// whose options getter (the caller's code, run while the arguments are
// copied) moves the clock past `EXP`: the call must be decided at the time
// after the copy, never at the time before it. Prints one JSON line.
// Static imports would evaluate the bridge (through the fixture) first.
const NOW = 1795305600;
const EXP = NOW + 100;
let clock = NOW;
Date.now = () => clock * 1000;
const { SECRET, policy, fakeWx, tick } = await import('./fixture.mjs');
const { signPolicy } = await import('../bin/guard-vectors.mjs');
const { createGuard } = await import('../src/index.js');
const guard = await createGuard({ secret: SECRET });
const loaded = guard.load(signPolicy(policy({ issued_at: NOW - 10, expires_at: EXP }), SECRET));
const wx = fakeWx();
const mp = guard.wrap(wx, { appId: 'mp_shop' });
const failed = [];
const late = () => ({
  get url() { clock = EXP + 1; return 'https://api.shop.example/x'; },
  fail: (r) => failed.push(r.errMsg),
});
// Before the expiry: allowed, reaches the original.
mp.request({ url: 'https://api.shop.example/early' });
const before = wx.calls.length;
// The getter moves the clock past the expiry while the call is copied.
mp.request(late());
await tick();
process.stdout.write(`${JSON.stringify({ load: loaded.code, before, after: wx.calls.length, failed })}\n`);

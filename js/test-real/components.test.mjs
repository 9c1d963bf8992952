// Issue 21 §7, real code: components of @vant/weapp 1.11.7 and
// tdesign-miniprogram 1.16.0 rendered with miniprogram-simulate over the mock
// base library. Through `guard.wrap` with a policy that allows what they use,
// every call, callback result, rendered attribute, emitted event and the
// rendered DOM are those of the run without the wrapper. With a policy that
// denies it (the sensitive APIs restricted, the domain lists on with other
// hosts), each component takes its own failure path, nothing escapes as an
// exception, nothing denied reaches the base library, and every failure the
// app sees looks like the platform's (`<api>:fail ...` with an errno).
// Run: node --test js/test-real/components.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, PACKAGES } from './surface.mjs';
import { createMock } from './mock-wx.mjs';
import { runScenario } from './components.mjs';
import { SCENARIOS, HOSTS, SENSITIVE, entries } from './scenarios.mjs';
import { APP, guardWith, policy } from './harness.mjs';

const CONTROL = { server_domains: true, apis: true, webview_domains: true };
const ALLOW = policy({ control: CONTROL, serverDomains: HOSTS, sensitive: SENSITIVE, granted: SENSITIVE });
const DENY = policy({ control: CONTROL, serverDomains: ['https://api.other.example'], webviewDomains: ['https://h5.other.example'], sensitive: SENSITIVE });

const surface = describe(PACKAGES[0]);
const allow = await guardWith(ALLOW);
const deny = await guardWith(DENY);

async function run(scenario, guard) {
  const mock = createMock(surface);
  const wx = guard === null ? mock.wx : guard.wrap(mock.wx, { appId: APP });
  return runScenario(scenario, { wx, mock, guard });
}

/** Every object in `v` that carries an errMsg, with where it was. */
function errMsgs(v, where, out = []) {
  if (v === null || typeof v !== 'object') return out;
  if (typeof v.errMsg === 'string') out.push({ where, result: v });
  for (const [k, x] of Object.entries(v)) errMsgs(x, `${where}.${k}`, out);
  return out;
}


for (const scenario of SCENARIOS) {
  test(`${scenario.name}: through the wrapper exactly as without it`, async () => {
    const raw = await run(scenario, null);
    const wrapped = await run(scenario, allow);
    assert.deepEqual(raw.errors, [], 'the component failed without the wrapper');
    assert.ok(raw.log.length > 0, 'the scenario recorded nothing');
    assert.deepEqual(wrapped.log, raw.log);
    assert.deepEqual(wrapped.rejections, raw.rejections);
    assert.deepEqual(wrapped.errors, raw.errors);
    assert.equal(wrapped.html, raw.html);
  });

  test(`${scenario.name}: denied, takes its own failure path`, async () => {
    const denied = await run(scenario, deny);
    assert.deepEqual(denied.errors, [], 'an exception escaped');
    // Nothing denied reached the base library: no restricted API, no URL of the hosts.
    const calls = entries(denied, 'wx');
    assert.deepEqual(calls.filter((e) => SENSITIVE.some((api) => e[1] === `wx.${api}`)), []);
    assert.deepEqual(calls.filter((e) => HOSTS.some((h) => JSON.stringify(e[2]).includes(h.slice('https://'.length)))), []);
    // Every failure the app saw is shaped as the platform's.
    const failures = [...errMsgs(denied.log, 'log'), ...errMsgs(denied.rejections, 'rejection')].filter((f) => /:fail/.test(f.result.errMsg));
    for (const { where, result } of failures) {
      assert.match(result.errMsg, /^[A-Za-z-]+:fail \S/, where);
      if (!where.includes('render') && !/^(image|video):/.test(result.errMsg)) assert.equal(typeof result.errno, 'number', `${where}: ${result.errMsg} has no errno`);
    }
    if (scenario.denied !== undefined) scenario.denied(denied);
  });
}

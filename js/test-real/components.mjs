// Runs a real component (from @vant/weapp or tdesign-miniprogram) under
// miniprogram-simulate over a given `wx`, drives its interactions on a
// driven clock, and answers everything that crossed: each call the mock
// received (API, arguments as the mock read them, what it answered its
// callbacks), each component attribute the base library rendered, each event
// the component emitted, the rendered DOM, and any exception that escaped.
//
// The built-in `image` and `video` play the base library's part for their
// network attributes: with a guard they ask `guard.checkAttribute` and render
// the href it answers, or fire the component's `error` event on a denial
// (as a failed load does); without one they render the value as given.
import { createRequire } from 'node:module';
import path from 'node:path';
import { canon } from './canon.mjs';
import { APP, collectEscapes } from './harness.mjs';

const require = createRequire(import.meta.url);
const { simulate, ROOTS, Clock, purgeLibraries } = require('./sim-env.cjs');
const jComponent = require('j-component');

/** The run in progress: `{ guard, log, clock, registry }`. */
let current = null;

/** A network attribute of a built-in component, rendered as a base library would. */
function door(component, attribute) {
  return {
    type: null,
    value: null,
    observer(value) {
      const run = current;
      if (run === null || value === null || value === undefined || value === '') return;
      let rendered = value;
      if (run.guard !== null) {
        const d = run.guard.checkAttribute(APP, component, attribute, String(value));
        if (!d.allow) {
          run.log.push(['render', component, attribute, null, d.code]);
          setTimeout(() => this.triggerEvent('error', { errMsg: d.message }), 0);
          return;
        }
        rendered = d.href;
      }
      run.log.push(['render', component, attribute, rendered]);
      if (attribute === 'src') setTimeout(() => this.triggerEvent('load', { width: 375, height: 667 }), 0);
    },
  };
}

jComponent.register({ id: 'image', tagName: 'wx-image', template: '<slot/>', properties: { src: door('image', 'src'), mode: String } });
jComponent.register({ id: 'video', tagName: 'wx-video', template: '<slot/>', properties: { src: door('video', 'src'), poster: door('video', 'poster') } });

/**
 * One run of `scenario` over `wx` (the mock's own, or wrapped). `mock` is the
 * mock behind it; `guard` (or null) renders attributes. Answers
 * `{ log, html, errors, rejections }`: `log` in order (calls, callbacks,
 * renders, events, notes), `errors` the exceptions that escaped,
 * `rejections` the unhandled rejections with a plain reason (a
 * Promise-style call that failed with nobody catching it, as on the
 * platform).
 */
export async function runScenario(scenario, { wx, mock, guard = null }) {
  const clock = new Clock();
  const run = { guard, log: [], clock, registry: mock.registry };
  let comp = null;
  current = run;
  global.wx = wx;
  mock.observe((e) => run.log.push(['wx', e.path, e.seen ?? e.result]));
  try {
    const escaped = await collectEscapes(async (onException) => {
      clock.onError = onException;
      clock.install();
      try {
        purgeLibraries();
        const root = ROOTS[scenario.lib];
        const id = simulate.load(path.join(root, scenario.path), scenario.tag, { rootPath: root });
        comp = simulate.render(id, scenario.props === undefined ? {} : scenario.props());
        for (const ev of scenario.events ?? []) {
          comp.addEventListener(ev, (e) => run.log.push(['event', ev, canon(e.detail, mock.registry)]));
        }
        comp.attach(document.createElement('parent-wrapper'));
        await clock.advance(1000);
        const note = (label, value) => run.log.push(['note', label, canon(value, mock.registry)]);
        if (scenario.interact !== undefined) await scenario.interact({ comp, clock, mock, note });
        await clock.advance(10_000);
        return comp.dom.outerHTML;
      } finally {
        clock.uninstall();
      }
    }, (reason) => canon(reason, mock.registry));
    return { log: run.log, html: escaped.value, errors: escaped.errors, rejections: escaped.rejections };
  } finally {
    current = null;
    mock.observe(null);
    // j-component cannot detach a virtual-host root (tdesign's): the
    // component is dropped with its parent instead.
    if (comp !== null) try { comp.detach(); } catch { /* see above */ }
  }
}

/** Taps the first node matching `selector` (a j-component selector); throws when there is none. */
export function tap(comp, selector) {
  const node = comp.querySelector(selector);
  if (node === undefined || node === null) throw new Error(`no node matches ${selector}`);
  node.dispatchEvent('tap', { currentTarget: node.dom });
  return node;
}

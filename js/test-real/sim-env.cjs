// What miniprogram-simulate needs to run real component libraries in Node:
// a jsdom document as the global DOM, tdesign-miniprogram's ES module
// sources loaded as CommonJS (the devtools' "build npm" step does the same;
// transpiled with the TypeScript compiler already in js/), a driven clock
// (timers, Date.now and Math.random replaced while a run is on, so two runs
// of the same interactions are identical and no test waits on wall time),
// and a fresh evaluation of the libraries' modules for every run (their
// module-level `wx` calls then reach the `wx` of that run).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { JSDOM } = require('jsdom');
const ts = require('typescript');

const VANT = path.dirname(require.resolve('@vant/weapp/package.json'));
const TDESIGN = path.dirname(require.resolve('tdesign-miniprogram/package.json'));
/** Component roots: vant's CommonJS build, tdesign's (ES module) miniprogram build. */
const ROOTS = Object.freeze({ vant: path.join(VANT, 'lib'), tdesign: path.join(TDESIGN, 'miniprogram_dist') });

// Real timers, captured before any fake is installed.
const real = {
  setTimeout, clearTimeout, setInterval, clearInterval, setImmediate,
  now: Date.now, random: Math.random,
};

function installDom() {
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true, url: 'https://simulate.test/' });
  const win = dom.window;
  global.window = win;
  global.document = win.document;
  for (const k of ['Node', 'Element', 'HTMLElement', 'DocumentFragment', 'Event', 'CustomEvent', 'MouseEvent', 'TouchEvent', 'getComputedStyle', 'navigator', 'HTMLCanvasElement', 'Image']) {
    if (!(k in global) || k === 'Event' || k === 'CustomEvent') {
      Object.defineProperty(global, k, { value: k === 'getComputedStyle' ? win.getComputedStyle.bind(win) : win[k], configurable: true, writable: true });
    }
  }
  // jsdom's frame callbacks run on the (driven) global timers.
  global.requestAnimationFrame = win.requestAnimationFrame = (fn) => global.setTimeout(() => fn(Date.now()), 16);
  global.cancelAnimationFrame = win.cancelAnimationFrame = (id) => global.clearTimeout(id);
  // Pages: components ask for the current page stack (navbar, toast context).
  global.getCurrentPages = () => [];
  global.getApp = () => ({ globalData: {} });
}

// tdesign's sources are ES modules with extensionless specifiers; Node's own
// loader refuses those, so they are transpiled to CommonJS once and cached.
const transpiled = new Map();
function installEsmHook() {
  const original = Module._extensions['.js'];
  Module._extensions['.js'] = function load(module, filename) {
    if (!filename.startsWith(ROOTS.tdesign)) return original(module, filename);
    let out = transpiled.get(filename);
    if (out === undefined) {
      const src = fs.readFileSync(filename, 'utf8');
      out = ts.transpileModule(src, {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true, importHelpers: false },
      }).outputText;
      transpiled.set(filename, out);
    }
    return module._compile(out, filename);
  };
}

// Bare specifiers in tdesign resolve to the copies it ships in
// miniprogram_npm/, as the devtools resolve them.
function installNpmResolver() {
  const npm = path.join(ROOTS.tdesign, 'miniprogram_npm');
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolve(request, parent, ...rest) {
    if (parent?.filename?.startsWith(ROOTS.tdesign) && !request.startsWith('.') && !path.isAbsolute(request)) {
      const shipped = path.join(npm, request);
      for (const candidate of [shipped, `${shipped}.js`, path.join(shipped, 'index.js')]) {
        if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
      }
    }
    return original.call(this, request, parent, ...rest);
  };
}

installDom();
installEsmHook();
installNpmResolver();
// miniprogram-simulate reads `global.wx` once when required (it installs
// its own); every run sets `global.wx` to the wx under test.
const simulate = require('miniprogram-simulate');

/** Forgets every module of the component libraries, so the next load evaluates them afresh. */
function purgeLibraries() {
  for (const k of Object.keys(require.cache)) {
    if (k.startsWith(ROOTS.vant) || k.startsWith(ROOTS.tdesign)) delete require.cache[k];
  }
}

/**
 * A driven clock: while installed, setTimeout/setInterval queue on it and
 * Date.now reads it; `advance(ms)` runs what falls due, in order, letting
 * microtasks run after each. Math.random is a fixed sequence.
 */
class Clock {
  constructor() {
    this.now = Date.UTC(2026, 0, 1);
    this.timers = new Map();
    this.seq = 0;
    this.seed = 1;
    /** Receives what a timer callback throws; null: it propagates. */
    this.onError = null;
  }

  install() {
    const clock = this;
    global.setTimeout = (fn, ms = 0, ...args) => clock.add(fn, ms, args, false);
    global.setInterval = (fn, ms = 0, ...args) => clock.add(fn, ms, args, true);
    global.clearTimeout = global.clearInterval = (id) => { clock.timers.delete(id); };
    for (const k of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) window[k] = global[k];
    Date.now = () => clock.now;
    Math.random = () => {
      clock.seed = (clock.seed * 48271) % 2147483647;
      return clock.seed / 2147483647;
    };
  }

  uninstall() {
    for (const k of ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']) global[k] = real[k];
    Date.now = real.now;
    Math.random = real.random;
  }

  add(fn, ms, args, repeat) {
    const id = ++this.seq;
    const delay = Math.max(0, Number(ms) || 0);
    this.timers.set(id, { at: this.now + delay, fn, args, repeat, delay, id });
    return id;
  }

  /** Runs every timer due within `ms` (default: a bounded number of rounds until none is left). */
  async advance(ms = 10_000) {
    const end = this.now + ms;
    for (let rounds = 0; rounds < 10_000; rounds++) {
      await flush();
      let next = null;
      for (const t of this.timers.values()) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      this.now = Math.max(this.now, next.at);
      if (next.repeat) next.at = this.now + Math.max(1, next.delay);
      else this.timers.delete(next.id);
      // A timer callback that throws is the component's uncaught
      // exception: reported, and the clock goes on (as an event loop does).
      if (typeof next.fn === 'function') {
        try {
          next.fn(...next.args);
        } catch (e) {
          if (this.onError === null) throw e;
          this.onError(e);
        }
      }
    }
    this.now = Math.max(this.now, end);
    await flush();
  }
}

/** Lets queued microtasks and immediates run (on the real event loop). */
function flush() {
  return new Promise((resolve) => real.setImmediate(resolve));
}

module.exports = { simulate, ROOTS, Clock, purgeLibraries, flush, real };

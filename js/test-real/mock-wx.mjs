// A mock base library: a `wx` object implementing every member of a typings
// package's `Wx` (surface.mjs describes it), recording every call with its
// arguments as received and answering deterministically.
//
// - callback APIs call `success` then `complete` in a microtask with a result
//   generated from the typings (`errMsg: '<api>:ok'`); without callbacks they
//   answer a Promise where the typings say so, and a task object where the
//   typings answer one (RequestTask, ...);
// - `*Sync` and plain functions answer a generated value;
// - an API answering an object with behaviour (a context, a manager, a task)
//   answers an instance of a class made for that type: methods on the
//   prototype, properties as prototype accessors whose writes are recorded,
//   onX/offX listeners kept per instance and fired by `emitOn`;
// - wx-level onX/offX keep listeners that `emit` fires;
// - function-typed arguments of plain functions (nextTick, exec) are called
//   once, in a microtask, with a generated value.
// Everything it hands out is named in the registry (canon.mjs), so a diff
// sees whether the app got the mock's own object back.
import { Registry, canon } from './canon.mjs';

// Values a few components compare against (version checks, layout); every
// other value is generated from its type and the field's name.
const STRINGS = Object.freeze({
  SDKVersion: '3.8.0', version: '8.0.50', platform: 'devtools', system: 'iOS 17.0', language: 'zh_CN',
  theme: 'light', model: 'iPhone 15', brand: 'devtools', USER_DATA_PATH: 'wxfile://usr', environment: '',
});
/** Fields whose value is a file or a URL, by name (results get local paths, app arguments URLs). */
export const URLISH = /(paths?|urls?|src|icon|image|poster|cover|source)$/i;

export function createMock(surface, options = {}) {
  const registry = options.registry ?? new Registry();
  const log = [];
  const wxListeners = new Map();
  const counters = new Map();
  const classes = new Map();
  const state = new WeakMap();
  const microtask = (fn) => { Promise.resolve().then(fn); };
  // Whoever watches the log as it grows (a component run interleaves it
  // with what the components rendered and emitted).
  let observer = null;
  const push = (entry) => {
    log.push(entry);
    if (observer !== null) observer(entry);
  };

  // `self` is kept (an instance's methods are diffed by the instance's
  // name, in `path`), not canonicalised.
  // `ret` is what the call answered (the scenario finds the original
  // instance behind what the bridge handed the app).
  const record = (path, self, args) => {
    const entry = { path, self, args, seen: canon(args, registry), ret: undefined };
    push(entry);
    return entry;
  };

  // -------------------------------------------------------------------------
  // values

  function name(kind) {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return `${kind}#${n}`;
  }

  /** A deterministic value of type `desc`; `field` is the property it is for. */
  function valueOf(desc, field, api, chain = []) {
    if (desc === null || desc === undefined) return undefined;
    switch (desc.t) {
      case 'string':
        if (desc.lit !== undefined) return desc.lit;
        if (field === 'errMsg') return `${api}:ok`;
        if (STRINGS[field] !== undefined) return STRINGS[field];
        return URLISH.test(field) ? `wxfile://tmp/${api}-${field}.png` : `${field}-value`;
      case 'number':
        if (desc.lit !== undefined) return desc.lit;
        if (/width$/i.test(field)) return 375;
        if (/height$/i.test(field)) return 667;
        if (field === 'pixelRatio') return 2;
        if (field === 'size') return 1024;
        return 1;
      case 'boolean': return desc.lit ?? true;
      case 'void': return undefined;
      case 'any': return {};
      case 'buffer': return registry.nameMock(new ArrayBuffer(4), name('ArrayBuffer'));
      case 'array': return [valueOf(desc.of, field, api, chain)];
      case 'promise': return Promise.resolve(valueOf(desc.of, field, api, chain));
      case 'fn': return mockFunction(desc.method, `${api}.${field}`);
      case 'ref': return refValue(desc.key, field, api, chain);
      default: return undefined;
    }
  }

  function refValue(key, field, api, chain) {
    const entry = surface.types[key];
    if (entry.methods) return instantiate(key);
    if (chain.includes(key) || chain.length > 4) return null;
    const out = {};
    for (const [k, m] of Object.entries(entry.members)) {
      out[k] = m.kind === 'prop' ? valueOf(m.type, k, api, [...chain, key]) : mockFunction(m, `${api}.${k}`);
    }
    return out;
  }

  /** A function the mock hands out (a member of a generated value): records its calls. */
  function mockFunction(method, path) {
    const fn = function (...args) { return invoke(this, method, path, args); };
    return registry.nameMock(fn, name(`fn ${path}`));
  }

  // -------------------------------------------------------------------------
  // classes for objects with behaviour

  function shortName(key) {
    const bare = key.replace(/<.*$/s, '');
    const last = bare.split('.').pop();
    return /^[A-Za-z_$][\w$]*$/.test(last) ? last : 'MockObject';
  }

  function classFor(key) {
    let C = classes.get(key);
    if (C !== undefined) return C;
    const cls = shortName(key);
    C = ({ [cls]: class {} })[cls];
    classes.set(key, C);
    for (const [member, m] of Object.entries(surface.types[key].members)) {
      if (m.kind === 'method') {
        const fn = { [member](...args) { return invoke(this, m, `${nameOf(this)}.${member}`, args, key); } }[member];
        Object.defineProperty(C.prototype, member, { value: fn, writable: true, configurable: true, enumerable: false });
      } else {
        Object.defineProperty(C.prototype, member, {
          configurable: true,
          enumerable: true,
          get() { return propsOf(this, key).get(member); },
          set: m.readonly ? undefined : function (v) {
            record(`${nameOf(this)}.${member}=`, this, [v]);
            propsOf(this, key).set(member, v);
          },
        });
      }
    }
    return C;
  }

  function propsOf(obj, key) {
    let s = state.get(obj);
    if (s === undefined) {
      s = { props: new Map(), listeners: new Map() };
      state.set(obj, s);
    }
    if (!s.filled) {
      s.filled = true;
      for (const [k, m] of Object.entries(surface.types[key].members)) {
        if (m.kind === 'prop') s.props.set(k, valueOf(m.type, k, shortName(key)));
      }
    }
    return s.props;
  }

  function instantiate(key) {
    const C = classFor(key);
    const obj = new C();
    registry.nameMock(obj, name(C.name));
    return obj;
  }

  const nameOf = (obj) => registry.mockName(obj) ?? 'wx';

  // -------------------------------------------------------------------------
  // calls

  /** One call of a member described by `m`, answering as its style says. */
  function invoke(self, m, path, args, ownKey) {
    const entry = record(path, self, args);
    const ret = answer(self, m, path, args, ownKey);
    entry.ret = ret;
    return ret;
  }

  function answer(self, m, path, args, ownKey) {
    const api = path.split('.').pop();
    if (m.style === 'listener') return listen(self, api, args[0]);
    if (m.style === 'callback') return callback(m, api, path, args[0]);
    for (let i = 0; i < args.length; i++) {
      const d = m.args?.[i];
      if (typeof args[i] === 'function' && d?.t === 'fn') {
        const f = args[i];
        const v = (d.method.args ?? []).map((a, j) => valueOf(a, `arg${j}`, api));
        microtask(() => { push({ path: `${path}:arg${i}`, result: canon(v, registry) }); f(...v); });
      }
    }
    if (m.returns?.t === 'ref' && m.returns.key === ownKey) return self;
    return valueOf(m.returns, 'return', api);
  }

  function listen(self, api, fn) {
    if (self !== null && !state.has(self)) state.set(self, { props: new Map(), listeners: new Map() });
    const s = self === null ? null : state.get(self);
    const table = s === null ? wxListeners : s.listeners;
    const event = api.replace(/^(on|off)/, '');
    const set = table.get(event) ?? new Set();
    table.set(event, set);
    if (api.startsWith('on')) set.add(fn);
    else if (typeof fn === 'function') set.delete(fn);
    else set.clear();
    return undefined;
  }

  function callback(m, api, path, opts) {
    const result = m.result === null ? { errMsg: `${api}:ok` } : valueOf(m.result, 'result', api);
    if (result !== null && typeof result === 'object' && !('errMsg' in result)) result.errMsg = `${api}:ok`;
    const isObj = opts !== null && typeof opts === 'object';
    const success = isObj ? opts.success : undefined;
    const complete = isObj ? opts.complete : undefined;
    const hasCallbacks = isObj && (typeof success === 'function' || typeof opts.fail === 'function' || typeof complete === 'function');
    const task = m.task ? valueOf(m.returns, 'return', api) : undefined;
    if (!hasCallbacks && m.promise) {
      return new Promise((resolve) => microtask(() => { push({ path: `${path}:resolve`, result: canon(result, registry) }); resolve(result); }));
    }
    microtask(() => {
      push({ path: `${path}:success`, result: canon(result, registry) });
      if (typeof success === 'function') success.call(undefined, result);
      if (typeof complete === 'function') complete.call(undefined, result);
    });
    return task;
  }

  // -------------------------------------------------------------------------
  // the namespace

  function namespace(ns, path) {
    const out = {};
    for (const [k, m] of Object.entries(ns.members)) {
      const p = `${path}.${k}`;
      if (m.kind === 'namespace') out[k] = namespace(m, p);
      // Namespace functions ignore `this`: a base library's do, and the
      // bridge may call them with any receiver.
      else if (m.kind === 'method') out[k] = { [k](...args) { return invoke(null, m, p, args); } }[k];
      else if (m.kind === 'class') out[k] = classMember(m, p);
      else out[k] = valueOf(m.type, k, p);
    }
    return out;
  }

  /** A constructor member (cloud.CloudID): `new` makes an instance of the type; a callable one answers one too. */
  function classMember(m, path) {
    const key = m.instance.t === 'ref' ? m.instance.key : null;
    const make = (args) => {
      record(path, undefined, args);
      return key === null ? {} : instantiate(key);
    };
    const C = function (...args) { return make(args); };
    Object.defineProperty(C, 'name', { value: path.split('.').pop() });
    return C;
  }

  const wx = namespace(surface.root, 'wx');
  // Members the typings omit but base libraries have (issue 21: the demo's
  // `new wx.cloud.Cloud(...)`): an instance has the cloud namespace's methods.
  if (wx.cloud !== undefined && wx.cloud.Cloud === undefined) {
    const cloudNs = surface.root.members.cloud;
    wx.cloud.Cloud = class Cloud {
      constructor(...args) { record('wx.cloud.Cloud', undefined, args); registry.nameMock(this, name('Cloud')); }
    };
    for (const [k, m] of Object.entries(cloudNs.members)) {
      if (m.kind !== 'method') continue;
      Object.defineProperty(wx.cloud.Cloud.prototype, k, { value: { [k](...args) { return invoke(this, m, `${nameOf(this)}.${k}`, args); } }[k], writable: true, configurable: true });
    }
  }

  // The worklet easing functions the typings declare as an empty interface.
  if (wx.worklet !== undefined && Object.keys(wx.worklet.Easing ?? {}).length === 0) {
    const easing = { kind: 'method', style: 'plain', params: 1, args: [{ t: 'any' }], returns: { t: 'fn', method: { kind: 'method', style: 'plain', params: 1, args: [{ t: 'number' }], returns: { t: 'number' } } } };
    for (const k of ['linear', 'ease', 'quad', 'cubic', 'poly', 'sin', 'circle', 'exp', 'elastic', 'back', 'bounce', 'bezier', 'in', 'out', 'inOut']) {
      wx.worklet.Easing[k] = { [k](...args) { return invoke(null, easing, `wx.worklet.Easing.${k}`, args); } }[k];
    }
  }

  return {
    wx,
    log,
    registry,
    /** Fires the wx-level listeners of `event` (`ThemeChange` for onThemeChange). */
    emit(event, res) {
      for (const fn of wxListeners.get(event) ?? []) fn(res);
    },
    /** Fires an instance's listeners of `event` (`Error` for onError). */
    emitOn(obj, event, res) {
      for (const fn of state.get(obj)?.listeners.get(event) ?? []) fn(res);
    },
    /** Listeners an instance holds for `event`, as registered. */
    listenersOn(obj, event) {
      return [...(state.get(obj)?.listeners.get(event) ?? [])];
    },
    valueOf,
    /** Calls `fn(entry)` for every entry the log gets from now on (null: nobody). */
    observe(fn) {
      observer = fn;
    },
  };
}

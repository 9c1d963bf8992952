// The `wx` surface of miniprogram-api-typings and minigame-api-typings, read
// with the TypeScript compiler API: every member of `WechatMiniprogram.Wx` /
// `WechatMinigame.Wx` (nested namespaces included), classified by call style,
// with a structural description of what each one answers. The mock base
// library (mock-wx.mjs) is built from it, so a typings update changes the
// mock and the sweep without anyone listing APIs by hand.
//
// Call styles (`style` of a method):
//   callback  options with success/fail/complete; `promise: true` when the
//             typings answer a Promise for a call without callbacks, `task`
//             when they answer an object (RequestTask, ...)
//   sync      a `*Sync` function: answers its value or throws
//   listener  onX/offX taking a function
//   object    answers an object (a context, a manager) with members
//   plain     anything else (answers a value or nothing)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);

/** The two typings packages this harness covers, by their global `wx`. */
export const PACKAGES = Object.freeze([
  Object.freeze({ name: 'miniprogram-api-typings', space: 'WechatMiniprogram' }),
  Object.freeze({ name: 'minigame-api-typings', space: 'WechatMinigame' }),
]);

// Beyond this many nested inline types (arrays, functions, parameters) a
// description is cut to `any`. Named object types restart the count: each
// is described once, in `types`, however deep it was first met.
const MAX_DEPTH = 8;

/**
 * Describes one typings package: `{ name, version, root, types }`. `root` is
 * the description of its `wx` namespace; `types` holds every named object
 * type referenced from it (by key), so recursive types stay finite.
 */
export function describe(pkg) {
  const pkgJson = require.resolve(`${pkg.name}/package.json`);
  const index = join(dirname(pkgJson), 'types', 'index.d.ts');
  const program = ts.createProgram({
    rootNames: [index],
    options: { noEmit: true, strict: true, skipLibCheck: true, types: [], lib: ['lib.es2020.d.ts'], target: ts.ScriptTarget.ES2020 },
  });
  const checker = program.getTypeChecker();
  const wxDecl = findWxDeclaration(program);
  if (wxDecl === undefined) throw new Error(`${pkg.name}: no global wx declaration`);
  const reader = new Reader(checker, wxDecl);
  const root = reader.namespace(checker.getTypeAtLocation(wxDecl.name), 'wx');
  const types = reader.types;
  // A type still being read when a method answering it was classified may
  // have gained methods since: classify 'plain' vs 'object' again now.
  const settle = (m) => {
    if (m.kind === 'namespace') Object.values(m.members).forEach(settle);
    if (m.kind !== 'method' || (m.style !== 'plain' && m.style !== 'object')) return;
    m.style = m.returns?.t === 'ref' && types[m.returns.key].methods ? 'object' : 'plain';
  };
  settle(root);
  for (const t of Object.values(types)) Object.values(t.members).forEach(settle);
  return { name: pkg.name, version: require(pkgJson).version, root, types };
}

/** The `declare let|const wx` of the package's index.d.ts. */
function findWxDeclaration(program) {
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.endsWith('/types/wx/index.d.ts')) continue;
    for (const st of sf.statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === 'wx') return d;
    }
  }
  return undefined;
}

class Reader {
  constructor(checker, at) {
    this.checker = checker;
    this.at = at;
    /** Named object types: key -> { key, methods: bool, members }. */
    this.types = Object.create(null);
  }

  /** A namespace object: every property, described as a member. */
  namespace(type, path) {
    const members = Object.create(null);
    for (const p of this.checker.getPropertiesOfType(type)) {
      const t = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(p, this.at));
      members[p.name] = this.member(p.name, t, `${path}.${p.name}`, 0, true);
    }
    return { kind: 'namespace', members };
  }

  /**
   * One member of a namespace or an object type. `top`: a namespace member,
   * where an object-typed property is a namespace (wx.cloud, wx.worklet).
   */
  member(name, type, path, depth, top) {
    const calls = type.getCallSignatures();
    const ctors = type.getConstructSignatures();
    if (ctors.length > 0) {
      return { kind: 'class', callable: calls.length > 0, instance: this.type(ctors[0].getReturnType(), depth + 1) };
    }
    if (calls.length > 0) return this.method(name, calls, depth);
    if (top && isObjectLike(type) && !this.isArray(type)) return this.namespace(type, path);
    return { kind: 'value', type: this.type(type, depth + 1) };
  }

  /** A function member, classified by call style (see the file's head). */
  method(name, sigs, depth) {
    const params = Math.max(...sigs.map((s) => s.parameters.length));
    const first = sigs[0];
    const returns = (s) => this.checker.getReturnTypeOfSignature(s);
    const opt = this.optionsType(first);
    const promiseSig = sigs.find((s) => returnsPromise(s, this.checker));
    const nonPromise = sigs.find((s) => !returnsPromise(s, this.checker));
    // A PromisifySuccessResult signature answers nothing when given callbacks.
    const ret = nonPromise === undefined ? undefined : returns(nonPromise);
    const base = {
      kind: 'method',
      params,
      args: this.paramTypes(nonPromise ?? first, depth),
      returns: ret === undefined || isVoid(ret) ? null : this.type(ret, depth + 1),
    };
    if (/Sync$/.test(name)) return { ...base, style: 'sync' };
    if (/^(on|off)[A-Z]/.test(name) && first.parameters.length > 0 && this.paramIsFunction(first)) return { ...base, style: 'listener' };
    if (opt !== undefined && ['success', 'fail', 'complete'].some((k) => opt.getProperty(k) !== undefined)) {
      const success = opt.getProperty('success');
      const result = success === undefined ? null : this.callbackResult(success, depth);
      const promise = promiseSig !== undefined;
      const resultOfPromise = promise && result === null ? this.promiseResult(returns(promiseSig), depth) : result;
      // A task is an object the call answers (RequestTask, Camera, ...); an
      // API that answers a number with callbacks (minigame getTextLineHeight)
      // answers no task.
      const task = base.returns !== null && base.returns.t === 'ref';
      return { ...base, style: 'callback', promise, task, result: resultOfPromise };
    }
    if (base.returns !== null && base.returns.t === 'ref' && this.types[base.returns.key].methods) return { ...base, style: 'object' };
    return { ...base, style: 'plain' };
  }

  /** Each parameter's type (a type parameter read as its constraint). */
  paramTypes(sig, depth) {
    return sig.parameters.map((p) => {
      let t = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(p, this.at));
      if (t.isTypeParameter()) t = this.checker.getNonNullableType(this.checker.getBaseConstraintOfType(t) ?? t);
      return this.type(t, depth + 1);
    });
  }

  /** The first parameter's object type (a type parameter read as its constraint), or undefined. */
  optionsType(sig) {
    const p = sig.parameters[0];
    if (p === undefined) return undefined;
    let t = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(p, this.at));
    if (t.isTypeParameter()) t = this.checker.getNonNullableType(this.checker.getBaseConstraintOfType(t) ?? t);
    return isObjectLike(t) ? t : undefined;
  }

  paramIsFunction(sig) {
    const t = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(sig.parameters[0], this.at));
    return t.getCallSignatures().length > 0;
  }

  /** What the `success` callback receives. */
  callbackResult(prop, depth) {
    const t = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(prop, this.at));
    const sig = t.getCallSignatures()[0];
    if (sig === undefined || sig.parameters.length === 0) return null;
    return this.type(this.checker.getTypeOfSymbolAtLocation(sig.parameters[0], this.at), depth + 1);
  }

  promiseResult(type, depth) {
    const args = this.checker.getTypeArguments?.(type) ?? [];
    return args.length > 0 ? this.type(args[0], depth + 1) : null;
  }

  isArray(type) {
    return this.checker.isArrayType(type) || this.checker.isTupleType(type);
  }

  /** A structural description of a value type (see mock-wx.mjs `valueOf`). */
  type(type, depth) {
    const c = this.checker;
    const f = type.flags;
    if (depth > MAX_DEPTH || f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { t: 'any' };
    if (f & ts.TypeFlags.StringLiteral) return { t: 'string', lit: type.value };
    if (f & ts.TypeFlags.NumberLiteral) return { t: 'number', lit: type.value };
    if (f & ts.TypeFlags.BooleanLiteral) return { t: 'boolean', lit: c.typeToString(type) === 'true' };
    if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) return { t: 'string' };
    if (f & ts.TypeFlags.Number) return { t: 'number' };
    if (f & ts.TypeFlags.Boolean) return { t: 'boolean' };
    if (f & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Never)) return { t: 'void' };
    if (type.isUnion()) {
      const parts = type.types.filter((u) => !(u.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      return parts.length === 0 ? { t: 'void' } : this.type(parts[0], depth);
    }
    if (this.isArray(type)) {
      const [el] = c.getTypeArguments(type);
      return { t: 'array', of: el === undefined ? { t: 'any' } : this.type(el, depth + 1) };
    }
    const name = type.getSymbol()?.getName();
    if (name === 'ArrayBuffer' || /Array$/.test(name ?? '') && /^(Uint|Int|Float)/.test(name)) return { t: 'buffer' };
    if (name === 'Promise') return { t: 'promise', of: this.promiseResult(type, depth) ?? { t: 'any' } };
    if (type.getCallSignatures().length > 0 && c.getPropertiesOfType(type).length === 0) {
      return { t: 'fn', method: this.method('fn', type.getCallSignatures(), depth + 1) };
    }
    if (!isObjectLike(type)) return { t: 'any' };
    return this.objectType(type);
  }

  /** A named (or anonymous) object type, registered once by its printed name. */
  objectType(type) {
    const c = this.checker;
    const key = c.typeToString(type, undefined, ts.TypeFormatFlags.UseFullyQualifiedType | ts.TypeFormatFlags.NoTruncation);
    if (this.types[key] !== undefined) return { t: 'ref', key };
    // `methods`: the type has behaviour (a context, a task, a minigame
    // Image with its onload): the mock makes instances of a class for it.
    const entry = { key, methods: false, members: Object.create(null) };
    let callbacks = false;
    this.types[key] = entry;
    for (const p of c.getPropertiesOfType(type)) {
      if (p.name.startsWith('__')) continue;
      const pt = c.getNonNullableType(c.getTypeOfSymbolAtLocation(p, this.at));
      const declaredMethod = (p.flags & ts.SymbolFlags.Method) !== 0;
      // A method signature makes an object with behaviour (a context, a
      // task); a function-typed property (an option's `success`) does not.
      if (declaredMethod) entry.methods = true;
      if (declaredMethod || (pt.getCallSignatures().length > 0 && c.getPropertiesOfType(pt).length === 0)) {
        if (!declaredMethod && !['success', 'fail', 'complete'].includes(p.name)) callbacks = true;
        entry.members[p.name] = this.method(p.name, pt.getCallSignatures(), 0);
      } else {
        const readonly = p.declarations?.some((d) => (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly) !== 0) ?? false;
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        entry.members[p.name] = { kind: 'prop', readonly, optional, type: this.type(pt, 1) };
      }
    }
    // Options objects carry success/fail/complete; anything else with a
    // function-typed property is an object with behaviour too.
    if (callbacks && entry.members.success === undefined) entry.methods = true;
    return { t: 'ref', key };
  }
}

function isObjectLike(type) {
  return (type.flags & ts.TypeFlags.Object) !== 0 || type.isIntersection();
}

function isVoid(type) {
  return (type.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Never)) !== 0;
}

/** Whether a signature answers a Promise (directly or through PromisifySuccessResult). */
function returnsPromise(sig, checker) {
  const decl = sig.getDeclaration();
  if (decl?.type !== undefined && /PromisifySuccessResult|Promise</.test(decl.type.getText())) return true;
  const r = checker.getReturnTypeOfSignature(sig);
  return r.getSymbol()?.getName() === 'Promise';
}

// The `wx` surface of miniprogram-api-typings and minigame-api-typings, read
// with the TypeScript compiler API, as the bridge needs it:
//
//  - every API (`request`, `cloud.callFunction`, ...): the shape of each
//    argument (an options object, a function, another value), its call style
//    (callbacks with or without a Promise, *Sync, listener, returning an
//    object) and the interface it returns (`createInnerAudioContext` ->
//    `InnerAudioContext`);
//  - every interface with methods: each method's shape, style and return;
//  - every *site*: each parameter or member whose name or documentation says
//    URL, host, path, src, icon or image and whose type can hold a string,
//    i.e. each place a mini program may hand the platform a network target.
//
// js/scripts/gen-typings.mjs writes the first two into js/src/typings.js for
// the bridge; js/test/door-sites.test.mjs checks that js/src/doors.js
// classifies every site (a door of some kind, or not a target and why), so a
// typings update that adds a door fails that test until someone classifies it.
//
// A site is named by where it sits:
//   request(0).url                 API `request`, argument 0, option `url`
//   previewImage(0).urls           an array option (its items are the targets)
//   previewMedia(0).sources[].url  a field of an array option's items
//   InnerAudioContext.src          a property of an interface (a setter)
//   MapContext.addGroundOverlay(0).src   an option of an interface's method
//   AudioContext.setSrc(0)         a positional argument
//
// A namespace the typings declare as an empty interface (`worklet.Easing:
// WorkletEasing {}`) lists its members only in its doc comment; `opaque`
// keeps that comment, whole, by the namespace's dotted name, for
// js/scripts/gen-catalogue.mjs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);

/** The two typings packages, by the namespace their global `wx` is typed in. */
export const PACKAGES = Object.freeze([
  Object.freeze({ name: 'miniprogram-api-typings', kind: 'mini_program' }),
  Object.freeze({ name: 'minigame-api-typings', kind: 'mini_game' }),
]);

// What makes a name or a doc comment say "network target". Names are
// matched by the words of the identifier (camelCase split); docs in English
// or Chinese (地址 address, 链接 link, 路径 path, 图片 image, 图标 icon,
// 网址 URL, 域名 domain).
const NAME_WORDS = /^(url|urls|uri|host|hostname|path|paths|src|icon|image|images|img|poster|cover|href|link|address|source|sources|domain)$/i;
const DOC_WORDS = /\burl\b|\bhost\b|\bsrc\b|\bicon\b|\bimage\b|地址|链接|路径|图片|图标|网址|域名/i;
// The declaration files of the `wx` API surface.
const API_FILES = /\/lib\.wx\.(api|cloud|canvas)\.d\.ts$/;
// Beyond this nesting an option is not followed (the typings are recursive).
const MAX_DEPTH = 5;

/** The words of an identifier: `iconPath` -> icon, path; `imageURL` -> image, URL. */
export function words(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(/[\s_-]+/).filter(Boolean);
}

/** Whether an identifier or its doc comment names a network target. */
export function saysTarget(name, doc) {
  return words(name).some((w) => NAME_WORDS.test(w)) || DOC_WORDS.test(doc);
}

/**
 * The surface of one package: `{ package, version, apis, interfaces, sites }`.
 * `apis` and each interface's `methods`: name -> { args, style, returns };
 * `args` one letter per parameter (`o` an options object, `f` a function,
 * `v` any other value); `style` one of `callback`, `promise` (callbacks, or a
 * Promise without them), `sync`, `listener`, `object` (answers an
 * interface), `plain`; `returns` the interface name or null. `sites`:
 * site -> { type, doc }.
 */
export function surfaceOf(pkg) {
  const pkgJson = require.resolve(`${pkg.name}/package.json`);
  const index = join(dirname(pkgJson), 'types', 'index.d.ts');
  const program = ts.createProgram({
    rootNames: [index],
    options: { noEmit: true, strict: true, skipLibCheck: true, types: [], lib: ['lib.es2020.d.ts'], target: ts.ScriptTarget.ES2020 },
  });
  const checker = program.getTypeChecker();
  const wxDecl = findWx(program);
  if (wxDecl === undefined) throw new Error(`${pkg.name}: no global wx declaration`);
  const r = new Reader(checker, wxDecl, dirname(pkgJson));
  r.namespace(checker.getTypeAtLocation(wxDecl.name), '');
  r.everyInterface(program);
  return { package: pkg.name, version: require(pkgJson).version, apis: r.apis, interfaces: r.interfaces, sites: r.sites, opaque: r.opaque };
}

/** Both packages' surfaces merged (an API in both keeps the mini program's shape; `kinds` says where it is). */
export function surface() {
  const apis = new Map();
  const interfaces = new Map();
  const sites = new Map();
  const opaque = new Map();
  const versions = {};
  for (const pkg of PACKAGES) {
    const s = surfaceOf(pkg);
    versions[s.package] = s.version;
    const merge = (into, from) => {
      for (const [k, v] of from) {
        const prev = into.get(k);
        if (prev === undefined) into.set(k, { ...v, kinds: [pkg.kind] });
        else if (!prev.kinds.includes(pkg.kind)) prev.kinds.push(pkg.kind);
      }
    };
    merge(apis, s.apis);
    merge(sites, s.sites);
    merge(opaque, s.opaque);
    for (const [k, v] of s.interfaces) {
      const prev = interfaces.get(k);
      if (prev === undefined) { interfaces.set(k, { methods: new Map(v.methods), kinds: [pkg.kind] }); continue; }
      if (!prev.kinds.includes(pkg.kind)) prev.kinds.push(pkg.kind);
      for (const [m, d] of v.methods) if (!prev.methods.has(m)) prev.methods.set(m, d);
    }
  }
  return { versions, apis, interfaces, sites, opaque };
}

function findWx(program) {
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
  constructor(checker, at, root) {
    this.checker = checker;
    this.at = at;
    this.root = root;
    this.apis = new Map();
    this.interfaces = new Map();
    this.sites = new Map();
    this.opaque = new Map();
  }

  doc(symbol) {
    return ts.displayPartsToString(symbol.getDocumentationComment(this.checker)).replace(/\s+/g, ' ').slice(0, 160);
  }

  typeOf(symbol) {
    return this.resolve(this.checker.getTypeOfSymbolAtLocation(symbol, this.at));
  }

  /** A type without null/undefined; a type parameter (`<T extends XOption>`) as its constraint. */
  resolve(type) {
    let t = this.checker.getNonNullableType(type);
    if ((t.flags & ts.TypeFlags.TypeParameter) !== 0) {
      const c = this.checker.getBaseConstraintOfType(t);
      if (c !== undefined) t = this.checker.getNonNullableType(c);
    }
    return t;
  }

  /** The `wx` namespace (and nested ones such as `wx.cloud`): `prefix` is `''` or `cloud.`. */
  namespace(type, prefix) {
    for (const p of this.checker.getPropertiesOfType(type)) {
      const t = this.typeOf(p);
      const name = `${prefix}${p.name}`;
      if (t.getCallSignatures().length > 0 || t.getConstructSignatures().length > 0) {
        this.apis.set(name, this.callable(t, name));
      } else if (isObject(t) && arrayElement(this.checker, t) === undefined) {
        if (this.checker.getPropertiesOfType(t).length === 0) {
          this.opaque.set(name, { doc: ts.displayPartsToString(p.getDocumentationComment(this.checker)) });
        }
        this.namespace(t, `${name}.`);
      }
    }
  }

  /** What calling (or constructing) a function of type `t`, reached as `name`, looks like; sites recorded. */
  callable(t, name) {
    const sigs = [...t.getCallSignatures(), ...t.getConstructSignatures()];
    // The longest signature decides the argument shape; every one adds sites.
    let best = sigs[0];
    for (const s of sigs) if (s.getParameters().length > best.getParameters().length) best = s;
    for (const sig of sigs) this.params(sig, name);
    // Per argument, across the signatures: an options object where any
    // signature takes one there, else a function where all do, else a value.
    const shapes = sigs.map((sig) => sig.getParameters().map((p) => this.argShape(this.typeOf(p))));
    let args = '';
    for (let i = 0; i < best.getParameters().length; i++) {
      const at = shapes.map((sh) => sh[i]).filter((x) => x !== undefined);
      args += at.includes('o') ? 'o' : at.every((x) => x === 'f') ? 'f' : 'v';
    }
    const ret = this.resolve(best.getReturnType());
    const returns = this.interfaceOf(ret, true);
    // An API answers a Promise when any of its signatures does (callbacks omitted).
    const promise = sigs.some((s) => isPromise(s.getReturnType()));
    return { args, style: this.style(name, best, args, promise, returns), returns };
  }

  /** `f` a function, `o` an options object (a literal type or an interface of the typings without methods), `v` anything else. */
  argShape(t) {
    if (t.isUnion()) {
      const shapes = t.types.map((u) => this.argShape(u));
      return shapes.includes('o') ? 'o' : shapes.includes('f') && shapes.every((x) => x === 'f') ? 'f' : 'v';
    }
    if (t.getCallSignatures().length > 0) return 'f';
    if (!isObject(t) || arrayElement(this.checker, t) !== undefined || this.interfaceOf(t) !== null) return 'v';
    // A component or page instance (`this` of the mini program's own code)
    // is passed as it is: its types live in the component and page files.
    const decls = [...(t.aliasSymbol?.getDeclarations() ?? []), ...(t.getSymbol()?.getDeclarations() ?? [])];
    if (decls.some((d) => d.getSourceFile().fileName.startsWith(this.root) && !API_FILES.test(d.getSourceFile().fileName))) return 'v';
    if (t.isIntersection() && t.types.some((u) => this.argShape(u) === 'v')) return 'v';
    const s = t.getSymbol();
    if (s === undefined || s.name === '__type' || s.name === '__object') return 'o';
    return (s.getDeclarations() ?? []).some((d) => d.getSourceFile().fileName.startsWith(this.root)) ? 'o' : 'v';
  }

  style(name, sig, args, promise, returns) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    if (/Sync$/.test(last)) return 'sync';
    if (/^(on|off)[A-Z]/.test(last) && args.includes('f')) return 'listener';
    if (returns !== null) return 'object';
    if (promise) return 'promise';
    const p0 = sig.getParameters()[0];
    if (p0 !== undefined && this.checker.getPropertiesOfType(this.typeOf(p0)).some((s) => s.name === 'success' || s.name === 'fail')) return 'callback';
    return 'plain';
  }

  /**
   * The name of an interface of the typings (`InnerAudioContext`) that has
   * methods, or any interface when it is what a function `returned` (a mini
   * game's `Image` has properties only); null for anything else.
   */
  interfaceOf(t, returned) {
    if (!isObject(t) || t.getCallSignatures().length > 0) return null;
    const s = t.getSymbol();
    if (s === undefined || s.name === '__type' || s.name === '__object') return null;
    const decls = s.getDeclarations() ?? [];
    if (!decls.some((d) => d.getSourceFile().fileName.startsWith(this.root))) return null;
    const isMethod = (m) => ts.isMethodSignature(m) || ts.isMethodDeclaration(m);
    if (!decls.some((d) => (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) && (returned === true || d.members.some(isMethod)))) return null;
    if (!this.interfaces.has(s.name)) this.iface(t, s.name);
    return s.name;
  }

  /** An interface: its methods' shapes and its sites. */
  iface(type, name) {
    const methods = new Map();
    this.interfaces.set(name, { methods });
    for (const p of this.checker.getPropertiesOfType(type)) {
      const t = this.typeOf(p);
      if (t.getCallSignatures().length > 0) {
        methods.set(p.name, this.callable(t, `${name}.${p.name}`));
      } else if (canHoldString(this.checker, t) && saysTarget(p.name, this.doc(p))) {
        this.add(`${name}.${p.name}`, t, this.doc(p));
      }
    }
  }

  /**
   * Every interface with methods the API files declare, reached or not
   * (contexts and canvas nodes also arrive through callbacks). The
   * component, page, XR-frame and physics files describe what mini program
   * code defines, or a scene framework's own loaders, not `wx`.
   */
  everyInterface(program) {
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(this.root) || !API_FILES.test(sf.fileName)) continue;
      const visit = (node) => {
        if (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) {
          const sym = node.name === undefined ? undefined : this.checker.getSymbolAtLocation(node.name);
          if (sym !== undefined && sym.name !== 'Wx' && sym.name !== 'WxCloud') this.interfaceOf(this.checker.getDeclaredTypeOfSymbol(sym));
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
  }

  /** One signature of `name`: the sites of its parameters. */
  params(sig, name) {
    const params = sig.getParameters();
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const t = this.typeOf(p);
      if (t.getCallSignatures().length > 0) continue;
      const at = `${name}(${i})`;
      if (canHoldString(this.checker, t) && saysTarget(p.name, this.doc(p))) this.add(at, t, this.doc(p));
      this.options(t, at, 0, new Set());
    }
  }

  /** The fields of an options object (and of its arrays' items), recursively. */
  options(type, at, depth, seen) {
    if (depth >= MAX_DEPTH) return;
    for (const t of type.isUnion() ? type.types : [type]) {
      const elem = arrayElement(this.checker, t);
      if (elem !== undefined) { this.options(elem, `${at}[]`, depth + 1, seen); continue; }
      if (!isObject(t) || t.getCallSignatures().length > 0 || seen.has(t) || this.interfaceOf(t) !== null) continue;
      const inner = new Set(seen).add(t);
      for (const p of this.checker.getPropertiesOfType(t)) {
        const pt = this.typeOf(p);
        if (pt.getCallSignatures().length > 0) continue;
        const field = `${at}.${p.name}`;
        if (canHoldString(this.checker, pt) && saysTarget(p.name, this.doc(p))) this.add(field, pt, this.doc(p));
        this.options(pt, field, depth + 1, inner);
      }
    }
  }

  add(site, type, doc) {
    if (!this.sites.has(site)) this.sites.set(site, { type: this.checker.typeToString(type), doc });
  }
}

/** Whether a return type is a Promise, or the typings' PromisifySuccessResult (a Promise without callbacks). */
function isPromise(t) {
  if (t.aliasSymbol?.name === 'PromisifySuccessResult') return true;
  if (t.getSymbol()?.name === 'Promise') return true;
  return t.isUnion() && t.types.some(isPromise);
}

function isObject(t) {
  return (t.flags & ts.TypeFlags.Object) !== 0 || t.isIntersection();
}

function arrayElement(checker, t) {
  if (checker.isArrayType(t) || checker.isTupleType(t)) {
    const args = checker.getTypeArguments(t);
    return args.length > 0 ? checker.getNonNullableType(args[0]) : undefined;
  }
  return undefined;
}

/** Whether a value of type `t` may be any string (string, any, unknown, string[] ...; not a union of literals). */
function canHoldString(checker, t) {
  if ((t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.String)) !== 0) return true;
  if (t.isUnion()) return t.types.some((u) => canHoldString(checker, u));
  const elem = arrayElement(checker, t);
  return elem !== undefined && canHoldString(checker, elem);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { versions, apis, interfaces, sites } = surface();
  console.log(JSON.stringify(versions));
  for (const [k, v] of [...sites].sort()) console.log(`site ${k}\t${v.kinds.join(',')}\t${v.type}\t${v.doc.slice(0, 60)}`);
  for (const [k, v] of [...apis].sort()) console.log(`api ${k}\t${v.args}\t${v.style}\t${v.returns ?? ''}\t${v.kinds.join(',')}`);
  for (const [k, v] of [...interfaces].sort()) console.log(`iface ${k}\t${[...v.methods].map(([m, d]) => `${m}:${d.args}:${d.style}${d.returns ? `:${d.returns}` : ''}`).join(' ')}`);
  console.error(`${sites.size} sites, ${apis.size} apis, ${interfaces.size} interfaces`);
}

// Type-checked by `tsc -p js/types` (scripts/test.d/30-js.sh): uses every type
// js/src/index.d.ts exports, the way a base library would, and the
// `@ts-expect-error` lines are misuses the types must refuse (tsc fails if
// one of them compiles, so the declarations cannot silently loosen).
import {
  createGuard,
  sync,
  type ClockOptions,
  type Counters,
  type CreateGuardOptions,
  type Decision,
  type DenyCode,
  type Ed25519PublicJwk,
  type FailResult,
  type Guard,
  type LoadCode,
  type LoadResult,
  type NativeCall,
  type ReportOutcome,
  type RichTextDecision,
  type RichTextNode,
  type SuperappConfig,
  type Synced,
  type SyncChange,
  type SyncFetch,
  type SyncOptions,
  type SyncResponse,
  type SyncStatus,
  type SyncStorage,
  type TargetDecision,
  type Violation,
  type WebViewGuard,
} from '../src/index.js';

const key: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', kid: 'k1', x: 'AAAA' };
const at: ClockOptions = { now: 1_800_000_000 };

export async function wasmGuard(bundle: string): Promise<void> {
  const options: CreateGuardOptions = { keys: [key], localPrefixes: ['http://tmp/'] };
  const guard: Guard = await createGuard(options);
  const loaded: LoadResult = guard.load(bundle, at);
  const code: LoadCode = loaded.code;
  const d: Decision = guard.checkApi('mp_shop', 'getLocation', at);
  const deny: DenyCode | null = d.code;
  const t: TargetDecision = guard.checkRequest('mp_shop', 'https://api.shop.example/', at);
  const href: string | null = t.href;
  guard.checkTcp('mp_shop', 'printer.example', 9100);
  guard.checkLaunch('mp_shop', { version: '1.0.0', packageSha256: 'ab' });
  guard.checkRedirect('mp_shop', 'download', 'https://a.example/', '/b', 1);
  guard.checkAttribute('mp_shop', 'image', 'src', 'https://cdn.example/p.png');
  const nodes: RichTextDecision = guard.checkAttribute('mp_shop', 'rich-text', 'nodes', [{ name: 'img', attrs: { src: 'a.png' } }]);
  const tree: readonly RichTextNode[] | null = nodes.href;
  void tree;
  const wx = guard.wrap({ request(o: { url: string }) { return o.url; }, version: '3' }, { appId: 'mp_shop' });
  const v: string = wx.version;
  const view: WebViewGuard = guard.webView('mp_shop', { element: { src: '' } });
  const ok: boolean = view.shouldLoad('https://h5.example/');
  const off: () => void = guard.onViolation((e: Violation) => { void e.reported; });
  off();
  const c: Counters = guard.counters();
  const taken = guard.takeReports();
  const body: string = taken.body;
  guard.requeueReports();
  const floor: string | null = guard.floor();
  if (floor !== null) guard.restoreFloor(floor);
  // Contract v3: roots, key sets, media, the signed state.
  const rooted: Guard = await createGuard({ roots: [key], superappId: 'demo', localPrefixes: ['http://tmp/'] });
  const keysLoaded: LoadCode = rooted.loadKeys('a.b.c', at).code;
  const media: TargetDecision = rooted.checkMedia('mp_shop', '/images/a.png', at);
  const state: string | null = rooted.signedState();
  if (state !== null) rooted.restoreState(state, at);
  void [keysLoaded, media.href];
  const fail: FailResult = { errMsg: d.message, errno: d.errno ?? 0 };
  void [code, deny, href, v, ok, c.byCode.no_policy, body, fail];
  // @ts-expect-error: createGuard needs options
  await createGuard();
  // @ts-expect-error: the superapp id is a string
  await createGuard({ roots: [key], superappId: 7 });
  // @ts-expect-error: local prefixes are URLs
  await createGuard({ keys: [key], localPrefixes: 'http://tmp/' });
  // @ts-expect-error: a wrapped namespace is read-only
  wx.version = '4';
  // @ts-expect-error: not a redirect kind
  guard.checkRedirect('mp_shop', 'socket', 'https://a.example/', '/b', 1);
}

export async function nativeGuard(bridge: (request: string) => string): Promise<Guard> {
  const native: NativeCall = bridge;
  // @ts-expect-error: a native call answers a string synchronously
  const bad: NativeCall = async (request: string) => request;
  void bad;
  return createGuard({ native });
}

export async function synced(): Promise<void> {
  const storage: SyncStorage = {
    async get(k: string) { return k === '' ? null : 'v'; },
    set(_k: string, _v: string) { /* a synchronous store is fine */ },
  };
  const fetchFn: SyncFetch = async (url, init) => {
    const res: SyncResponse = await fetch(url, init);
    return res;
  };
  const config: SuperappConfig = {
    format: 'guard-superapp-config/1',
    superapp_id: 'demo',
    server_url: 'https://guard.example.com',
    bundle_url: 'https://guard.example.com/api/v1/superapps/demo/bundle',
    keys_url: 'https://guard.example.com/api/v1/superapps/demo/keys.json',
    long_poll_seconds: 25,
    name: 'Demo',
  };
  const options: SyncOptions = { roots: [key], config, fetch: fetchFn, storage, intervalSeconds: 30, minRoundSeconds: 1, now: () => 1_800_000_000 };
  const s: Synced = await sync(options);
  await sync({ roots: [key], configUrl: 'https://guard.example.com/api/v1/superapps/demo/config.json', keysetUrl: 'https://guard.example.com/api/v1/superapps/demo/keyset', storage });
  await sync({ insecureTestOnlyKeysJsonWithoutRoots: true, config, storage });
  // @ts-expect-error: the test-only escape hatch is `true` or absent
  await sync({ insecureTestOnlyKeysJsonWithoutRoots: false, config, storage });
  const st: SyncStatus = s.status();
  const version: number | null = st.version;
  const off = s.onChange((e: SyncChange) => { const r: 'bundle' | 'keys' = e.reason; void r; });
  off();
  s.onStatus((x) => { void x.longPoll; })();
  const outcome: ReportOutcome = await s.background();
  const after: SyncStatus = await s.refresh();
  const now = s.current();
  s.guard.checkApi('mp_shop', 'getLocation');
  await s.stop();
  void [version, outcome, after.online, now.bundle];
  // @ts-expect-error: storage is required
  await sync({ config });
  // @ts-expect-error: the guard a sync keeps is not replaceable
  s.guard = s.guard;
  // @ts-expect-error: a configuration has its format
  const wrong: SuperappConfig = { superapp_id: 'demo' };
  void wrong;
}

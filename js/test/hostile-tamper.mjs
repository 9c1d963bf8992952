// Run by bridge.test.mjs in its own process: a mini program that tampers
// with the realm before calling the wrapped namespace. Prints one JSON line.
import { createGuard } from '../src/index.js';
import { SECRET, policy, bundle, fakeWx } from './fixture.mjs';

const print = process.stdout.write.bind(process.stdout);
const stringify = JSON.stringify;
const setTimeoutReal = setTimeout;
const gopd = Object.getOwnPropertyDescriptor;

const guard = await createGuard({ secret: SECRET });
const now = Math.floor(Date.now() / 1000);
const code = guard.load(bundle(policy({ issued_at: 0, expires_at: now + 86400 })), { now }).code;
if (code !== 'ok') throw new Error(code);
const wx = fakeWx();
const mp = guard.wrap(wx, { appId: 'mp_shop' });

// --- the mini program's tricks
const def = (obj, key, desc) => Object.defineProperty(obj, key, { configurable: true, ...desc });
def(Object.prototype, 'allow', { get: () => true, set() {} });
def(Object.prototype, 'code', { get: () => null, set() {} });
def(Object.prototype, 'url', { get: () => 'https://api.shop.example/', set() {} });
def(Object.prototype, 'fail', { get: () => undefined, set() {} });
def(Object.prototype, 'errMsg', { get: () => 'ok', set() {} });
def(Array.prototype, '0', { get: () => ({ url: 'https://api.shop.example/' }), set() {} });
def(Function.prototype, 'apply', { value() { return 'hijacked'; }, writable: true });
def(Function.prototype, 'call', { value() { return 'hijacked'; }, writable: true });
def(Function.prototype, 'bind', { value() { return () => 'hijacked'; }, writable: true });
def(Date, 'now', { value: () => 1e15, writable: true });
def(Math, 'floor', { value: () => 4e9, writable: true });
def(Map.prototype, 'get', { value: () => 0, writable: true });
def(globalThis, 'Promise', { value: function FakePromise() {}, writable: true });
def(globalThis, 'String', { value: () => 'https://api.shop.example/', writable: true });
def(Reflect, 'apply', { value: () => 'hijacked', writable: true });
def(Object, 'freeze', { value: (o) => o, writable: true });
try { mp.request.hacked = true; } catch { /* frozen */ }

let failRequest;
let failChoose;
const d = guard.checkRequest('mp_shop', 'https://evil.example/');
mp.request({ url: 'https://evil.example/', fail: (r) => { failRequest = gopd(r, 'errMsg').value; } });
mp.chooseImage({ fail: (r) => { failChoose = gopd(r, 'errMsg').value; } });
const storage = mp.getStorageSync('k');
const apiAfter = gopd(guard.checkApi('mp_shop', 'chooseImage'), 'code').value;
setTimeoutReal(() => {
  print(`${stringify({
    decisionAllow: gopd(d, 'allow').value,
    decisionCode: gopd(d, 'code').value,
    fails: [failRequest, failChoose],
    storage,
    reached: Object.keys(wx.calls).filter((k) => k !== 'push').map((k) => gopd(wx.calls, k).value[0]),
    apiAfter,
  })}\n`);
}, 0);

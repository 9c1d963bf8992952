// A policy, its bundle and a fake `wx` namespace shared by the unit tests.
import { signPolicy } from '../bin/guard-vectors.mjs';

export const SECRET = 'k3yK3yk3yK3yk3y1';
export const NOW = 1795305600;

export function policy(overrides = {}) {
  return {
    schema: 1,
    superapp_id: 'demo-superapp',
    version: 7,
    issued_at: NOW - 3600,
    expires_at: NOW + 30 * 86400,
    mode: 'enforce',
    sensitive_apis: [
      { name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' },
      { name: 'chooseImage', status: 'restricted', scope: 'all', type: 'system' },
      { name: 'openWallet', status: 'restricted', scope: 'all', type: 'custom' },
    ],
    apps: [
      {
        app_id: 'mp_shop',
        kind: 'mini_program',
        control: { server_domains: true, apis: true, webview_domains: true },
        server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'wss://ws.shop.example', 'https://*.img.shop.example'],
        webview_domains: ['https://h5.shop.example'],
        api_whitelist: ['openWallet'],
        granted_apis: ['getLocation'],
      },
    ],
    ...overrides,
  };
}

export const bundle = (p = policy()) => signPolicy(p, SECRET);

/** A base library's wx: records what reached it. */
export function fakeWx() {
  const calls = [];
  // Recorded with defineProperty so a tampered Array.prototype cannot lose entries.
  const define = Object.defineProperty;
  define(calls, 'push', { value: (entry) => define(calls, calls.length, { value: entry, writable: true, enumerable: true, configurable: true }) });
  const task = (kind) => ({ kind, abort() { calls.push(['abort']); }, close() { calls.push(['close']); } });
  const wx = {
    calls,
    version: '3.0.0',
    request(o) { calls.push(['request', o]); return task('request'); },
    uploadFile(o) { calls.push(['uploadFile', o]); return task('upload'); },
    downloadFile(o) { calls.push(['downloadFile', o]); return task('download'); },
    connectSocket(o) { calls.push(['connectSocket', o]); return task('socket'); },
    getLocation(o) {
      calls.push(['getLocation', o]);
      if (o && typeof o.success === 'function') { o.success({ latitude: 1, longitude: 2 }); return undefined; }
      return Promise.resolve({ latitude: 1, longitude: 2 });
    },
    chooseImage(o) { calls.push(['chooseImage', o]); return o ? undefined : Promise.resolve({}); },
    getStorageSync(k) { calls.push(['getStorageSync', k]); return 'v'; },
    openWallet(o) { calls.push(['openWallet', o]); },
    scanIdCardSync() { calls.push(['scanIdCardSync']); return 'id'; },
    cloud: { callFunction(o) { calls.push(['cloud.callFunction', o]); } },
  };
  return wx;
}

/** Resolves after queued microtasks (denied callbacks run in one). */
export const tick = () => new Promise((r) => setTimeout(r, 0));

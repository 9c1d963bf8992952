// The harness superapp's policy (contract v2, schema 2). The server signs it
// with EdDSA under a key pair it generates at start (playing the superapp's
// backend); the page and the server's native layer verify it with the public
// key only. No SecretKey exists in the harness.
export const DEMO_APP = 'mp_demo';
/** An app whose permission-control switches are all off: only the superapp's blocks apply. */
export const OPEN_APP = 'mp_open';
/** An app the superapp removed (delisted). */
export const REMOVED_APP = 'mp_gone';
/** The version of mp_demo the superapp approved for release. */
export const RELEASED_VERSION = '1.0.0';
/** The superapp's own backend: no mini program may reach it. */
export const BACKEND_HOST = 'api.superapp.example';
export const BLOCKED_HOSTS = ['*.internal.superapp.example', BACKEND_HOST];

/**
 * The demo policy. `packageSha256` is the SHA-256 (hex) of mp_demo's released
 * code package (the bytes of js/harness/mini-program.mjs, as the server reads
 * them at start).
 */
export function demoPolicy({ now = Math.floor(Date.now() / 1000), version = 1, packageSha256 }) {
  return {
    schema: 2,
    superapp_id: 'harness-superapp',
    version,
    issued_at: now - 60,
    expires_at: now + 86400,
    mode: 'enforce',
    blocked_hosts: BLOCKED_HOSTS,
    sensitive_apis: [
      { name: 'getLocation', status: 'restricted', scope: 'all', type: 'system' },
      { name: 'chooseImage', status: 'restricted', scope: 'all', type: 'system' },
    ],
    apps: [
      {
        app_id: DEMO_APP,
        kind: 'mini_program',
        control: { server_domains: true, apis: true, webview_domains: true },
        server_domains: ['https://api.shop.example', 'https://cdn.shop.example:8443', 'wss://ws.shop.example', 'https://*.img.shop.example'],
        webview_domains: ['https://h5.shop.example'],
        api_whitelist: [],
        granted_apis: ['getLocation'],
        release: { version: RELEASED_VERSION, package_sha256: packageSha256 },
      },
      {
        app_id: OPEN_APP,
        kind: 'mini_program',
        control: { server_domains: false, apis: false, webview_domains: false },
      },
      {
        app_id: REMOVED_APP,
        kind: 'mini_program',
        control: { server_domains: true, apis: true, webview_domains: true },
        server_domains: ['https://api.gone.example'],
        removed: true,
      },
    ],
  };
}

// The harness superapp's policy and SecretKey (a demo key, not a secret).
// Shared by the server (which signs it, playing the superapp's backend) and
// the Playwright test.
export const DEMO_SECRET = 'HarnessDemoKey16';
export const DEMO_APP = 'mp_demo';

export function demoPolicy(now = Math.floor(Date.now() / 1000), version = 1) {
  return {
    schema: 1,
    superapp_id: 'harness-superapp',
    version,
    issued_at: now - 60,
    expires_at: now + 86400,
    mode: 'enforce',
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
      },
    ],
  };
}

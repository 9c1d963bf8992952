// The browser differential test's inputs, policy and oracle. The oracle is
// docs/policy.md §3.3 rules 3-8 written over the browser's own `URL` parser;
// the test runs it in Chromium next to the guard and compares code and host.

export const DIFF_APP = 'mp_diff';

/** Whitelist entries, and the same entries as the oracle reads them. */
export const ENTRIES = [
  ['https://example.org', 'example.org', false, 443],
  ['https://*.example.com', 'example.com', true, 443],
  ['https://example.com:8080', 'example.com', false, 8080],
  ['https://foo', 'foo', false, 443],
  ['https://x', 'x', false, 443],
  ['https://host', 'host', false, 443],
  ['https://www.google.com', 'www.google.com', false, 443],
  ['https://xn--6qqa088eba', 'xn--6qqa088eba', false, 443],
  ['https://xn--n3h', 'xn--n3h', false, 443],
  ['https://test', 'test', false, 443],
  ['https://xn--bcher-kva.example', 'xn--bcher-kva.example', false, 443],
  ['https://foo.bar:443', 'foo.bar', false, 443],
  ['https://example.:444', 'example.', false, 444],
  ['wss://example.org', 'example.org', false, 443],
  ['wss://ws.example.org:9443', 'ws.example.org', false, 9443],
];
// wss entries only apply to socket checks; the oracle takes the scheme's own.
export const ENTRY_SCHEMES = ENTRIES.map(([e]) => e.slice(0, e.indexOf(':')));

export function diffPolicy(now) {
  return {
    schema: 1,
    superapp_id: 'diff-superapp',
    version: 1,
    issued_at: now - 60,
    expires_at: now + 86400,
    mode: 'enforce',
    apps: [{ app_id: DIFF_APP, kind: 'mini_program', control: { server_domains: true, apis: false, webview_domains: false }, server_domains: ENTRIES.map(([e]) => e) }],
  };
}

/** Our own hostile inputs, on top of the WHATWG ones. */
export const HOSTILE = [
  'https://EXAMPLE.ORG/', 'https://example.org./', 'https://example.org../', 'https://example.org:443/', 'https://example.org:0443/',
  'https://example.org:8080/', 'https://example.com:8080/', 'https://example.com/', 'https://www.example.com/', 'https://a.b.www.example.com/',
  'https://.example.com/', 'https://example.com.:8080/', 'https://www.example.com.:443/', 'https://example.:444/', 'https://example:444/', 'https://example..:444/',
  'https://bücher.example/', 'https://BÜCHER.example/', 'https://xn--bcher-kva.example/', 'https://☃/', 'https://%E2%98%83/', 'https://ｅｘａｍｐｌｅ.org/',
  'https://example。org/', 'https://exa\u00ADmple.org/', 'https://example\u200B.org/', 'https://xn--/', 'https://xn--bcher-kva.example./', 'https://Ｆｏｏ/',
  'https://user@example.org/', 'https://:pw@example.org/', 'https://@example.org/', 'https://example.org@evil.com/', 'https://evil.com\\@example.org/',
  'https://evil.com#@example.org/', 'https://evil.com?@example.org/', 'https://example.org%40evil.com/', 'https://example.org\\@evil.com/',
  'https:\\\\example.org\\x', 'https:/\\example.org/', 'https:example.org', 'https:/example.org', 'https:///example.org/', 'https:////example.org/',
  'https://exa\tmple.org/', 'https://example.org\n/', '\t https://example.org/ \n', 'ht\ttps://example.org/', 'https://example.org\r:8080/',
  'https://%65xample.org/', 'https://example%2Eorg/', 'https://%2565xample.org/', 'https://exa%00mple.org/', 'https://example.org%2F@evil.com/', 'https://%30x7f.1/',
  'https://127.0.0.1/', 'https://0x7f.1/', 'https://2130706433/', 'https://127.1/', 'https://0177.0.0.1/', 'https://1.2.3.4.5/', 'https://1.2.3.08/',
  'https://foo.0x10/', 'https://foo.09/', 'https://example.org.127/', 'https://4294967296/', 'https://0x100000000/', 'https://1.2.3.4./',
  'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::1]:8080/', 'https://[1::2::3]/', 'https://[::1/', 'https://[example.org]/',
  'https://example.org:65535/', 'https://example.org:65536/', 'https://example.org:/', 'https://example.org:+443/', 'https://example.org: 443/', 'https://example.com:08080/',
  'https://example.org:443:443/', 'https://example.org:4 43/',
  'HTTPS://example.org/', 'http://example.org/', 'wss://example.org/', 'javascript:alert(1)', 'data:text/html,x', 'blob:https://example.org/uuid',
  'file:///etc/passwd', 'https://', '', ' ', 'https://example.org\u0000/', 'https://exam ple.org/', 'https://exam<ple.org/', 'https://exam%ple.org/',
  `https://${'a'.repeat(64)}.example.com/`, `https://${'a.'.repeat(130)}example.com/`, 'https://foo/', 'https://FOO./', 'https://x:443/', 'https://test:80/',
  'https://www.google.com@example.org/', 'https://example.org/%2e%2e/', 'https://example.org?x=https://evil.com', 'https://example.org#@evil.com',
];

export const SOCKET_HOSTILE = [
  'wss://example.org/', 'wss://example.org:443/', 'wss://ws.example.org:9443/', 'wss://ws.example.org/', 'WSS://EXAMPLE.ORG./', 'ws://example.org/',
  'https://example.org/', 'wss://user@example.org/', 'wss:\\\\example.org/', 'wss:example.org', 'wss://[::1]:9443/', 'wss://ws.example.org:09443/',
];

/** The WHATWG inputs plus https:// variants of the http(s) ones. */
export function whatwgInputs(urltestdata) {
  const out = [];
  for (const t of urltestdata) {
    if (typeof t !== 'object' || t === null || typeof t.input !== 'string') continue;
    out.push(t.input);
    const v = t.input.replace(/^([\u0000-\u0020]*)https?:/i, '$1https:');
    if (v !== t.input) out.push(v);
  }
  return out;
}

/**
 * Runs in the browser (stringified by Playwright): the oracle, from `new URL`.
 * Answers the deny code §3.3 gives, or null for allow, and the host/port
 * the message must name.
 */
export function oracle(input, scheme, entries, entrySchemes) {
  let url;
  try { url = new URL(input); } catch { return { code: 'invalid_url' }; }
  if (url.username !== '' || url.password !== '') return { code: 'invalid_url' };
  if (url.protocol !== `${scheme}:`) return { code: 'insecure_scheme' };
  const host = url.hostname;
  const port = url.port === '' ? 443 : Number(url.port);
  if (host.startsWith('[') || /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host)) return { code: 'domain_not_whitelisted', host, port };
  const strip = (s) => (s.endsWith('.') ? s.slice(0, -1) : s);
  const h = strip(host);
  let hostMatch = false;
  for (let i = 0; i < entries.length; i++) {
    if (entrySchemes[i] !== scheme) continue;
    const [, eh, wildcard, eport] = entries[i];
    const e = strip(eh);
    if (wildcard ? h.endsWith(`.${e}`) : h === e) {
      hostMatch = true;
      if (eport === port) return { code: null, host, port };
    }
  }
  return { code: hostMatch ? 'port_not_allowed' : 'domain_not_whitelisted', host, port };
}

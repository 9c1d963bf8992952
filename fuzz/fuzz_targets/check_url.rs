//! Arbitrary strings as URLs for every URL kind: never a panic, and never an
//! allow for anything the WHATWG parser does not read as https/wss to a
//! whitelisted host.
#![no_main]

use guard_core::{bundle, CheckKind, Guard, SecretKey};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const POLICY: &[u8] = br#"{"schema":1,"superapp_id":"fuzz","version":1,"issued_at":0,
  "apps":[{"app_id":"a","kind":"mini_program",
  "control":{"server_domains":true,"webview_domains":true},
  "server_domains":["https://api.example","https://*.img.example:8443","wss://ws.example"],
  "webview_domains":["https://h5.example"]}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else { return };
    let key = SecretKey::new(SECRET).expect("valid key");
    let mut guard = Guard::new(SECRET).expect("valid key");
    guard.load(&bundle::sign(POLICY, &key), 10).expect("policy loads");
    for kind in CheckKind::URL_KINDS {
        let v = guard.check_url("a", kind, url, 10);
        let _ = guard.explain("a", kind, url, 10);
        if v.verdict.allow() {
            let host = v.host.as_deref().unwrap_or_default().trim_end_matches('.');
            let ok = match kind {
                CheckKind::Socket => host == "ws.example" && v.port == Some(443),
                CheckKind::Webview => host == "h5.example" && v.port == Some(443),
                _ => host == "api.example" && v.port == Some(443)
                    || host.ends_with(".img.example") && v.port == Some(8443),
            };
            assert!(ok, "allowed {url:?} as {kind:?} to {host}:{:?}", v.port);
        }
    }
});

//! Arbitrary strings as URLs for every URL kind: never a panic, never an
//! allow for anything the WHATWG parser does not read as https/wss to a
//! whitelisted, unblocked host, and the forwarded href always parses to the
//! host and port that were checked.
#![no_main]

use guard_core::{bundle, CheckKind, Guard, SecretKey};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const POLICY: &[u8] = br#"{"schema":2,"superapp_id":"fuzz","version":1,"issued_at":0,
  "blocked_hosts":["blocked.img.example","*.deep.img.example"],
  "apps":[{"app_id":"a","kind":"mini_program",
  "control":{"server_domains":true,"webview_domains":true},
  "server_domains":["https://api.example","https://*.img.example:8443","wss://ws.example"],
  "webview_domains":["https://h5.example"]}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let key = SecretKey::new(SECRET).expect("valid key");
    let mut guard = Guard::new(SECRET).expect("valid key");
    guard
        .load(&bundle::sign(POLICY, &key), 10)
        .expect("policy loads");
    for kind in CheckKind::URL_KINDS {
        let v = guard.check_url("a", kind, url, 10);
        let _ = guard.explain("a", kind, url, 10);
        let (terse, href) = guard.check_url_href_by_app("a", kind, url, 10);
        assert_eq!(terse.verdict, v.verdict);
        if v.verdict.allow() {
            // What is forwarded is what was checked.
            let href = href.expect("an allowed URL has an href");
            let parsed = url::Url::parse(&href).expect("the href parses");
            assert_eq!(parsed.as_str(), href, "the href is its own serialisation");
            assert_eq!(parsed.host_str(), v.host.as_deref());
            assert_eq!(parsed.port_or_known_default(), v.port);
        }
        if v.verdict.allow() {
            let host = v.host.as_deref().unwrap_or_default().trim_end_matches('.');
            let ok = match kind {
                CheckKind::Socket => host == "ws.example" && v.port == Some(443),
                CheckKind::Webview => host == "h5.example" && v.port == Some(443),
                _ => {
                    host == "api.example" && v.port == Some(443)
                        || host.ends_with(".img.example")
                            && host != "blocked.img.example"
                            && !host.ends_with(".deep.img.example")
                            && v.port == Some(8443)
                }
            };
            assert!(ok, "allowed {url:?} as {kind:?} to {host}:{:?}", v.port);
        }
    }
});

//! Arbitrary launch, raw socket and redirect checks (contract v2): never a
//! panic; never an allow for a removed app, a blocked host, an unreleased
//! package or a hop past the tenth; and the serialised socket host or
//! redirect href is always what the check judged.
#![no_main]

use guard_core::{bundle, Check, CheckKind, DenyCode, Guard, SecretKey};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const SHA: &str = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
const POLICY: &str = r#"{"schema":2,"superapp_id":"fuzz","version":1,"issued_at":0,
  "blocked_hosts":["blocked.example","*.internal.example"],
  "apps":[{"app_id":"a","kind":"mini_program","control":{"server_domains":true},
    "server_domains":["https://api.example"],
    "release":{"version":"1.0","package_sha256":"SHA"}},
  {"app_id":"open","kind":"mini_program","mode":"report"},
  {"app_id":"gone","kind":"mini_program","removed":true}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = SecretKey::new(SECRET).expect("valid key");
    let mut guard = Guard::new(SECRET).expect("valid key");
    let policy = POLICY.replace("SHA", SHA);
    guard
        .load(&bundle::sign(policy.as_bytes(), &key), 10)
        .expect("policy loads");
    let (first, rest) = text.split_at(text.find('|').unwrap_or(text.len()));
    let rest = rest.strip_prefix('|').unwrap_or(rest);
    let port = rest.len() as u32 * 997 % 70_000;
    for app in ["a", "open", "gone", "nobody"] {
        let launch = guard.check_launch(app, first, rest, 10);
        if launch.allow() && !launch.reported() {
            assert!(
                app == "a" && first == "1.0" && rest.eq_ignore_ascii_case(SHA),
                "{first:?} {rest:?}"
            );
        }
        for kind in [CheckKind::Tcp, CheckKind::Udp] {
            let (v, host) = guard.check_socket_target(app, kind, first, port, 10);
            let _ = guard.explain_check(app, &Check::Socket(kind, first, port), 10);
            if v.verdict.allow() {
                assert_ne!(app, "gone");
                let host = host.expect("an allowed target has a host");
                let h = host.trim_end_matches('.');
                assert!(
                    h != "blocked.example" && !h.ends_with(".internal.example"),
                    "{host}"
                );
                assert!((1..=65535).contains(&port));
            }
        }
        for hop in [1, 10, 11] {
            for kind in [CheckKind::Request, CheckKind::Webview] {
                let (v, href) = guard.check_redirect(app, kind, first, rest, hop, 10);
                if v.verdict.allow() && !v.verdict.reported() {
                    assert!(hop <= 10 && app != "gone");
                    let href = href.expect("an allowed hop has an href");
                    assert_eq!(guard.check_url(app, kind, &href, 10).verdict, v.verdict);
                }
                if app == "gone" {
                    assert_eq!(v.verdict.code(), Some(DenyCode::AppRemoved));
                }
            }
        }
    }
});

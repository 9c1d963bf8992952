//! The hot paths allocate nothing: API checks by id and by name, URL verdicts
//! on plain URLs, and the href of a URL that already is its serialisation;
//! an href the fast path writes is the one allocation of its check.

use std::alloc::System;

use guard_core::{bundle, CheckKind, Guard, SecretKey};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn checks_do_not_allocate() {
    let secret = "k3yK3yk3yK3yk3y1";
    let policy = br#"{"schema":2,"superapp_id":"s","version":1,"issued_at":0,
      "blocked_hosts":["*.internal.example"],
      "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
      "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true,"apis":true},
      "server_domains":["https://api.example","https://*.img.example"],"granted_apis":["getLocation"],
      "release":{"version":"1.0","package_sha256":"6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a"}}]}"#;
    let mut guard = Guard::new(secret).unwrap();
    guard
        .load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 10)
        .unwrap();
    let app = guard.app_handle("mp").unwrap();
    let api = guard.api_id("getLocation").unwrap();

    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        assert!(guard.check_api_id(app, api, 10).allow());
        assert!(guard.check_api("mp", "getLocation", 10).allow());
        assert!(!guard.check_api("mp", "custom", 10).allow());
        for url in [
            "https://api.example/v1?x=1",
            "https://a.b.img.example/x.png",
            "https://evil.example/",
            "https://a.internal.example/",
        ] {
            let _ = guard.check_url_verdict(app, CheckKind::Request, url, 10);
        }
        let (v, href) =
            guard.check_url_href(app, CheckKind::Request, "https://api.example/v1?x=1", 10);
        assert!(v.verdict.allow() && href.is_some());
        let sha = "6A2D00FA6FE7FD1C560B60534644C0B1EEDAB8BFD7CC940351D37899E84DC80A";
        assert!(guard.check_launch("mp", "1.0", sha, 10).allow());
    }
    let stats = region.change();
    assert_eq!(stats.allocations, 0, "{stats:?}");

    // A URL that is not its own serialisation but that the fast path can
    // write (upper case host, default port): the written href is the one
    // allocation of an allowed check, the host is read inside it.
    let region = Region::new(GLOBAL);
    for url in ["HTTPS://API.Example/v1?x=1", "https://api.example:443/v1"] {
        for _ in 0..100 {
            let (v, href) = guard.check_url_href(app, CheckKind::Request, url, 10);
            assert!(v.verdict.allow() && v.host.is_none());
            let want = if url.starts_with('H') {
                "https://api.example/v1?x=1"
            } else {
                "https://api.example/v1"
            };
            assert_eq!(href.as_deref(), Some(want));
        }
    }
    let stats = region.change();
    assert_eq!(stats.allocations, 200, "{stats:?}");
}

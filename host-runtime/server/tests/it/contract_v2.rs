//! What contract v2 adds to the bundle the server publishes: blocked hosts
//! (the superapp's own patterns, its backend host and the openserver host)
//! and report mode per app, checked by `guard_core::Guard` as the SDK does.
//! On SQLite (decision 340).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::{stores, Harness, T0};
use guard_core::{DenyCode, Policy};
use guard_server::{AppState, Clock, Limits};
use serde_json::json;

const NOW: u64 = T0 as u64;

fn payload(bundle: &str) -> Policy {
    use base64::Engine as _;
    let part = bundle.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    Policy::from_json(&bytes).unwrap()
}

#[tokio::test]
async fn the_backend_and_openserver_hosts_are_blocked_whatever_the_switches_say() {
    for (backend, store) in stores("blocked").await {
        let state = AppState::new(store, Clock::manual(T0), Limits::default())
            .with_openserver_host(Some("guard.example.net".into()));
        let mut h = Harness::from_state(backend, state).await;
        h.world().await;
        // The app's server list is switched off: everything https is allowed
        // but what the superapp blocked.
        h.ok(
            "sa_admin",
            "PUT",
            "/api/v1/apps/mp1/control",
            Some(json!({"server_domains": false, "apis": false, "webview_domains": false})),
            200,
        )
        .await;
        let b = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/blocked-hosts",
                None,
                200,
            )
            .await;
        assert_eq!(b["blocked_hosts"], json!([]));
        assert_eq!(
            b["defaults"],
            json!(["backend.example.com", "guard.example.net"])
        );
        let mut g = h.guard("sa1").await;
        let (bundle, _) = h.bundle("/api/v1/apps/mp1/bundle").await;
        g.load(&bundle, NOW).unwrap();
        assert_eq!(payload(&bundle).schema, 2);
        for url in [
            "https://backend.example.com/api",
            "https://BACKEND.example.com.:8443/",
            "https://guard.example.net/openserver/sns/jscode2session",
        ] {
            assert_eq!(
                g.check_url("mp1", guard_core::CheckKind::Request, url, NOW)
                    .verdict
                    .code(),
                Some(DenyCode::DomainBlocked),
                "[{backend}] {url}"
            );
        }
        assert!(g
            .check_url(
                "mp1",
                guard_core::CheckKind::Request,
                "https://shop.example/",
                NOW
            )
            .verdict
            .allow());

        // The superapp's own patterns, validated by guard-core's rules.
        for (bad, field) in [
            (json!(["https://a.example"]), "blocked_hosts[0]"),
            (json!(["ok.example", "10.0.0.1"]), "blocked_hosts[1]"),
            (json!(["*.com"]), "blocked_hosts[0]"),
            (json!(["a.example:443"]), "blocked_hosts[0]"),
        ] {
            let r = h
                .ok(
                    "senior",
                    "PUT",
                    "/api/v1/superapps/sa1/blocked-hosts",
                    Some(json!({"blocked_hosts": bad})),
                    400,
                )
                .await;
            assert_eq!(r["error"]["field"], field, "{r}");
        }
        let r = h
            .ok(
                "senior",
                "PUT",
                "/api/v1/superapps/sa1/blocked-hosts",
                Some(json!({"blocked_hosts": ["*.Internal.Example.", "metadata.example"]})),
                200,
            )
            .await;
        assert_eq!(
            r["blocked_hosts"],
            json!(["*.internal.example", "metadata.example"])
        );
        let (bundle, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        g.load(&bundle, NOW).unwrap();
        for app in ["mp1", "mp2"] {
            assert_eq!(
                g.check_url(
                    app,
                    guard_core::CheckKind::Download,
                    "https://db.internal.example/x",
                    NOW
                )
                .verdict
                .code(),
                Some(DenyCode::DomainBlocked)
            );
        }
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        let last = audit["records"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "set_blocked_hosts");
        assert_eq!(last["version"], r["version"]);
    }
}

#[tokio::test]
async fn report_mode_is_per_app() {
    for (backend, store) in stores("mode").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        for app in ["mp1", "mp2"] {
            h.ok(
                "sa_admin",
                "PUT",
                &format!("/api/v1/apps/{app}/control"),
                Some(json!({"server_domains": true, "apis": false, "webview_domains": false})),
                200,
            )
            .await;
        }
        let r = h
            .ok(
                "senior",
                "PUT",
                "/api/v1/apps/mp1/mode",
                Some(json!({"mode": "report"})),
                200,
            )
            .await;
        assert_eq!(r["mode"], "report");
        h.ok(
            "senior",
            "PUT",
            "/api/v1/apps/mp1/mode",
            Some(json!({"mode": "loud"})),
            400,
        )
        .await;
        let app = h.ok("dev", "GET", "/api/v1/apps/mp1", None, 200).await;
        assert_eq!(app["mode"], "report");

        let mut g = h.guard("sa1").await;
        let (bundle, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        g.load(&bundle, NOW).unwrap();
        let url = "https://not-listed.example/";
        let v = g
            .check_url("mp1", guard_core::CheckKind::Request, url, NOW)
            .verdict;
        assert!(v.allow() && v.reported(), "[{backend}] mp1 reports");
        assert_eq!(v.code(), Some(DenyCode::DomainNotWhitelisted));
        let v = g
            .check_url("mp2", guard_core::CheckKind::Request, url, NOW)
            .verdict;
        assert!(!v.allow() && !v.reported(), "[{backend}] mp2 enforces");
        // Report mode never relaxes what the superapp blocked.
        let v = g
            .check_url(
                "mp1",
                guard_core::CheckKind::Request,
                "https://backend.example.com/",
                NOW,
            )
            .verdict;
        assert_eq!(v.code(), Some(DenyCode::DomainBlocked));
        assert!(!v.allow());

        h.ok(
            "senior",
            "PUT",
            "/api/v1/apps/mp1/mode",
            Some(json!({"mode": "enforce"})),
            200,
        )
        .await;
        let (bundle, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        g.load(&bundle, NOW).unwrap();
        assert!(!g
            .check_url("mp1", guard_core::CheckKind::Request, url, NOW)
            .verdict
            .allow());
    }
}

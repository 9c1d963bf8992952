//! The permission workflow end to end, checked by `guard_core::Guard` exactly
//! as the SDK would; whitelists; audit; robustness. On SQLite; the end-to-end
//! flow and the reviewers' race also on PostgreSQL (decision 340).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::{both_stores, statuses_at_once, stores, Harness, SECRET, T0};
use guard_core::{CheckKind, DenyCode, Guard};
use guard_server::Limits;
use serde_json::json;

const NOW: u64 = T0 as u64;

#[tokio::test]
async fn request_approve_bundle_enforced_revoke_request_again() {
    for (backend, store) in both_stores("flow").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let mut guard = h.guard("sa1").await;

        // Before: getLocation is restricted and not granted.
        let (b0, etag0) = h.bundle("/api/v1/apps/mp1/bundle").await;
        guard.load(&b0, NOW).unwrap();
        // The second fetch comes from the bundle cache: the same bytes. Every
        // later fetch after a change below must show the change, which is
        // what keeps the cache honest.
        assert_eq!(
            h.bundle("/api/v1/apps/mp1/bundle").await,
            (b0.clone(), etag0.clone())
        );
        assert_eq!(
            guard.check_api("mp1", "getLocation", NOW).code(),
            Some(DenyCode::PermissionNotGranted)
        );

        // A fresh client's poll: 304 with the same ETag.
        let r = h
            .raw(
                Request::get("/api/v1/apps/mp1/bundle")
                    .header("if-none-match", &etag0)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 304);
        assert_eq!(r.headers["etag"].to_str().unwrap(), etag0);

        // Request → pending.
        let req = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/requests",
                Some(json!({"api": "getLocation", "reason": "store finder"})),
                201,
            )
            .await;
        assert_eq!(req["status"], "pending");
        let rid = req["id"].as_str().unwrap().to_owned();
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/requests",
            Some(json!({"api": "getLocation", "reason": "again"})),
            409,
        )
        .await;
        let pending = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/requests?status=pending",
                None,
                200,
            )
            .await;
        assert_eq!(pending["requests"].as_array().unwrap().len(), 1);

        // Approve → approved list, authorized list, bundle grants it.
        let d = h
            .ok(
                "review",
                "POST",
                &format!("/api/v1/requests/{rid}/decision"),
                Some(json!({"decision": "approve", "note": "ok"})),
                200,
            )
            .await;
        assert_eq!(d["status"], "approved");
        assert_eq!(d["decided_by"], "review");
        h.ok(
            "sa_admin",
            "POST",
            &format!("/api/v1/requests/{rid}/decision"),
            Some(json!({"decision": "reject"})),
            409,
        )
        .await;
        let approved = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/superapps/sa1/requests?status=approved",
                None,
                200,
            )
            .await;
        assert_eq!(approved["requests"][0]["id"], rid.as_str());
        let auth = h
            .ok(
                "platform",
                "GET",
                "/api/v1/superapps/sa1/apis/getLocation/authorized",
                None,
                200,
            )
            .await;
        assert_eq!(auth["apps"][0]["app_id"], "mp1");

        let r = h
            .raw(
                Request::get("/api/v1/apps/mp1/bundle")
                    .header("if-none-match", &etag0)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 200, "a change gives a new ETag");
        let (b1, etag1) = h.bundle("/api/v1/apps/mp1/bundle").await;
        assert_ne!(etag0, etag1);
        guard.load(&b1, NOW).unwrap();
        assert!(guard.check_api("mp1", "getLocation", NOW).allow());
        // The superapp bundle agrees, for every app.
        let (all, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        let mut g2 = h.guard("sa1").await;
        g2.load(&all, NOW).unwrap();
        assert!(g2.check_api("mp1", "getLocation", NOW).allow());
        assert!(!g2.check_api("mp2", "getLocation", NOW).allow());
        // A bundle signed by the server verifies only with this superapp's key.
        assert!(Guard::new(&h.bundle_key("sa2").await)
            .unwrap()
            .load(&b1, NOW)
            .is_err());

        // Revoke → the newer bundle denies again (and is not a rollback).
        h.ok(
            "senior",
            "DELETE",
            "/api/v1/apps/mp1/grants/getLocation",
            None,
            200,
        )
        .await;
        h.ok(
            "senior",
            "DELETE",
            "/api/v1/apps/mp1/grants/getLocation",
            None,
            404,
        )
        .await;
        let (b2, _) = h.bundle("/api/v1/apps/mp1/bundle").await;
        guard.load(&b2, NOW).unwrap();
        assert_eq!(
            guard.check_api("mp1", "getLocation", NOW).code(),
            Some(DenyCode::PermissionNotGranted)
        );
        // And an old bundle cannot be replayed.
        assert!(guard.load(&b1, NOW).is_err());
        let reqs = h
            .ok("dev", "GET", "/api/v1/apps/mp1/requests", None, 200)
            .await;
        assert_eq!(reqs["requests"][0]["status"], "revoked");
        // Must request again.
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/requests",
            Some(json!({"api": "getLocation", "reason": "please"})),
            201,
        )
        .await;

        // Reject path keeps the note.
        let r2 = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/requests",
                Some(json!({"api": "getPhoneNumber", "reason": "login"})),
                201,
            )
            .await;
        let rej = h
            .ok(
                "sa_admin",
                "POST",
                &format!("/api/v1/requests/{}/decision", r2["id"].as_str().unwrap()),
                Some(json!({"decision": "reject", "note": "use email"})),
                200,
            )
            .await;
        assert_eq!(rej["status"], "rejected");
        assert_eq!(rej["note"], "use email");

        // Audit: every change, with who/what/before/after/when, versions dense.
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        let recs = audit["records"].as_array().unwrap();
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r["version"], i as i64 + 1, "{r}");
        }
        let revoke = recs.iter().find(|r| r["action"] == "revoke").unwrap();
        assert_eq!(revoke["actor"], "senior");
        assert_eq!(revoke["before"]["api"], "getLocation");
        assert!(revoke["after"].is_null());
        let approve = recs
            .iter()
            .find(|r| r["action"] == "approve_request")
            .unwrap();
        assert_eq!(approve["after"]["status"], "approved");
        assert_eq!(approve["at"], T0);
        let head = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1", None, 200)
            .await;
        assert_eq!(head["version"], recs.last().unwrap()["version"]);
        let later = h
            .ok(
                "sa_admin",
                "GET",
                &format!("/api/v1/superapps/sa1/audit?after={}", recs.len() - 1),
                None,
                200,
            )
            .await;
        assert_eq!(later["records"].as_array().unwrap().len(), 1);
        let e = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/superapps/sa1/audit?after=abc",
                None,
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "after");
    }
}

#[tokio::test]
async fn sensitive_api_list_management() {
    for (backend, store) in stores("apis").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let list = h
            .ok("review", "GET", "/api/v1/superapps/sa1/apis", None, 200)
            .await;
        let names: Vec<_> = list["apis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            names.contains(&"getPhoneNumber".to_owned())
                && names.contains(&"getLocation".to_owned())
        );
        // System API: must be a platform API.
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis",
            Some(json!({"name": "scanCode", "type": "system"})),
            201,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis",
            Some(json!({"name": "scanCode", "type": "system"})),
            409,
        )
        .await;
        let e = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/apis",
                Some(json!({"name": "openWallet", "type": "system"})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "name");
        // Custom API: name, description, scope.
        let c = h.ok("senior", "POST", "/api/v1/superapps/sa1/apis", Some(json!({"name": "openWallet", "type": "custom", "description": "opens the wallet", "scope": "mini_program"})), 201).await;
        assert_eq!(c["scope"], "mini_program");
        let e = h
            .ok(
                "senior",
                "POST",
                "/api/v1/superapps/sa1/apis",
                Some(json!({"name": "openSecretVault", "type": "custom"})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "description");
        // Scope: a mini game needs no permission for a mini-program-only API.
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mg1/requests",
            Some(json!({"api": "openWallet", "reason": "r"})),
            409,
        )
        .await;
        let mut g = h.guard("sa1").await;
        g.load(&h.bundle("/api/v1/superapps/sa1/bundle").await.0, NOW)
            .unwrap();
        assert_eq!(
            g.check_api("mp1", "openWallet", NOW).code(),
            Some(DenyCode::PermissionNotGranted)
        );
        assert!(g.check_api("mg1", "openWallet", NOW).allow());
        // Allow → public; restrict → restricted.
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis/openWallet/allow",
            None,
            200,
        )
        .await;
        g.load(&h.bundle("/api/v1/superapps/sa1/bundle").await.0, NOW)
            .unwrap();
        assert!(g.check_api("mp1", "openWallet", NOW).allow());
        h.ok(
            "dev",
            "POST",
            "/api/v1/apps/mp1/requests",
            Some(json!({"api": "openWallet", "reason": "r"})),
            409,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis/openWallet/restrict",
            None,
            200,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/apis/nope/restrict",
            None,
            404,
        )
        .await;
        // Delete: custom only.
        h.ok(
            "sa_admin",
            "DELETE",
            "/api/v1/superapps/sa1/apis/getLocation",
            None,
            409,
        )
        .await;
        h.ok(
            "sa_admin",
            "DELETE",
            "/api/v1/superapps/sa1/apis/openWallet",
            None,
            200,
        )
        .await;
        h.ok(
            "sa_admin",
            "DELETE",
            "/api/v1/superapps/sa1/apis/openWallet",
            None,
            404,
        )
        .await;
        // Unknown API in a request: 400 naming `api`.
        let e = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/requests",
                Some(json!({"api": "openWallet", "reason": "r"})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "api");
    }
}

#[tokio::test]
async fn whitelists_switches_and_limits() {
    for (backend, store) in stores("wl").await {
        let limits = Limits {
            max_server_domains: 3,
            ..Limits::default()
        };
        let mut h = Harness::with_limits(backend, store, limits).await;
        h.world().await;
        let p = "/api/v1/apps/mp1/whitelists/server_domains";
        let a = h
            .ok(
                "sa_admin",
                "POST",
                p,
                Some(json!({"value": "https://api.shop.example", "remark": "api"})),
                201,
            )
            .await;
        h.ok(
            "sa_admin",
            "POST",
            p,
            Some(json!({"value": "wss://ws.shop.example"})),
            201,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            p,
            Some(json!({"value": "https://api.shop.example"})),
            409,
        )
        .await;
        // Duplicates are found in the guard's normalised form, not as text.
        for same in [
            "https://API.Shop.Example",
            "https://api.shop.example.",
            "HTTPS://api.shop.example:443",
        ] {
            let e = h
                .ok("sa_admin", "POST", p, Some(json!({"value": same})), 409)
                .await;
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("the same entry as `https://api.shop.example`"),
                "{same}: {e}"
            );
        }
        for bad in [
            "http://api.shop.example",
            "https://api.shop.example/path",
            "ftp://x.example",
            "https://127.0.0.1",
            "not a url",
        ] {
            let e = h
                .ok("sa_admin", "POST", p, Some(json!({"value": bad})), 400)
                .await;
            assert_eq!(e["error"]["field"], "value", "{bad}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("server_domains"),
                "{e}"
            );
        }
        let e = h
            .ok(
                "sa_admin",
                "POST",
                p,
                Some(json!({"value": "https://x.example", "remark": "r".repeat(201)})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "remark");
        h.ok(
            "sa_admin",
            "POST",
            p,
            Some(json!({"value": "https://x.example", "remark": "é".repeat(200)})),
            201,
        )
        .await;
        // The configured maximum (3 here; 30 by default).
        let e = h
            .ok(
                "sa_admin",
                "POST",
                p,
                Some(json!({"value": "https://y.example"})),
                409,
            )
            .await;
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("maximum of 3"),
            "{e}"
        );
        // Web-view: https only.
        let w = "/api/v1/apps/mp1/whitelists/webview_domains";
        h.ok(
            "sa_admin",
            "POST",
            w,
            Some(json!({"value": "wss://ws.shop.example"})),
            400,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            w,
            Some(json!({"value": "https://h5.shop.example"})),
            201,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/apps/mp1/whitelists/nope",
            Some(json!({"value": "x"})),
            404,
        )
        .await;
        // Edit: to a duplicate refused, to a new value fine; delete.
        let id = a["id"].as_str().unwrap();
        h.ok(
            "senior",
            "PUT",
            &format!("{p}/{id}"),
            Some(json!({"value": "wss://ws.shop.example"})),
            409,
        )
        .await;
        h.ok(
            "senior",
            "PUT",
            &format!("{p}/{id}"),
            Some(json!({"value": "https://api2.shop.example", "remark": "moved"})),
            200,
        )
        .await;
        // Switches on → the guard enforces the lists.
        h.ok(
            "sa_admin",
            "PUT",
            "/api/v1/apps/mp1/control",
            Some(json!({"server_domains": true, "apis": true, "webview_domains": true})),
            200,
        )
        .await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/apps/mp1/whitelists/api_whitelist",
            Some(json!({"value": "openWallet", "remark": "wallet"})),
            201,
        )
        .await;
        let mut g = h.guard("sa1").await;
        g.load(&h.bundle("/api/v1/apps/mp1/bundle").await.0, NOW)
            .unwrap();
        assert!(g
            .check_url(
                "mp1",
                CheckKind::Request,
                "https://api2.shop.example/v1",
                NOW
            )
            .verdict
            .allow());
        assert_eq!(
            g.check_url(
                "mp1",
                CheckKind::Request,
                "https://api.shop.example/v1",
                NOW
            )
            .verdict
            .code(),
            Some(DenyCode::DomainNotWhitelisted)
        );
        assert!(g
            .check_url("mp1", CheckKind::Webview, "https://h5.shop.example/", NOW)
            .verdict
            .allow());
        assert!(g.check_api("mp1", "openWallet", NOW).allow());
        assert_eq!(
            g.check_api("mp1", "openSecretVault", NOW).code(),
            Some(DenyCode::ApiNotWhitelisted)
        );
        h.ok("senior", "DELETE", &format!("{p}/{id}"), None, 200)
            .await;
        h.ok("senior", "DELETE", &format!("{p}/{id}"), None, 404)
            .await;
        g.load(&h.bundle("/api/v1/apps/mp1/bundle").await.0, NOW)
            .unwrap();
        assert!(!g
            .check_url(
                "mp1",
                CheckKind::Request,
                "https://api2.shop.example/v1",
                NOW
            )
            .verdict
            .allow());
        let app = h.ok("dev", "GET", "/api/v1/apps/mp1", None, 200).await;
        assert_eq!(
            app["whitelists"]["server_domains"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(app["control"]["apis"], true);
    }
}

#[tokio::test]
async fn malformed_input_is_a_400_naming_the_field_and_bodies_are_bounded() {
    for (backend, store) in stores("bad").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        for (body, field) in [
            (
                json!({"id": "s9", "name": "n", "secret_key": "short", "backend_domain": "https://b.example.com"}),
                "secret_key",
            ),
            (
                json!({"id": "s9", "name": "n", "secret_key": "k3yK3yk3yK3yk3y!", "backend_domain": "https://b.example.com"}),
                "secret_key",
            ),
            (
                json!({"id": "s9", "name": "n", "secret_key": SECRET, "backend_domain": "http://b.example.com"}),
                "backend_domain",
            ),
            (
                json!({"id": "s 9", "name": "n", "secret_key": SECRET, "backend_domain": "https://b.example.com"}),
                "id",
            ),
            (
                json!({"id": "s9", "name": "n", "secret_key": SECRET}),
                "backend_domain",
            ),
            (
                json!({"id": 9, "name": "n", "secret_key": SECRET, "backend_domain": "https://b.example.com"}),
                "id",
            ),
            (
                json!({"id": "s9", "name": "n", "secret_key": SECRET, "backend_domain": "https://b.example.com", "extra": 1}),
                "extra",
            ),
        ] {
            let e = h
                .ok(
                    "admin",
                    "POST",
                    "/api/v1/superapps",
                    Some(body.clone()),
                    400,
                )
                .await;
            assert_eq!(e["error"]["code"], "invalid_field");
            assert_eq!(e["error"]["field"], field, "{body}: {e}");
            // The offered SecretKey is never echoed.
            assert!(!e.to_string().contains("k3yK3yk3yK3yk3y!"));
        }
        let e = h
            .ok(
                "dev",
                "POST",
                "/api/v1/apps/mp1/requests",
                Some(json!({"api": "getLocation", "reason": ""})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "reason");
        let e = h
            .ok(
                "review",
                "POST",
                "/api/v1/requests/x/decision",
                Some(json!({"decision": "maybe"})),
                400,
            )
            .await;
        assert_eq!(e["error"]["field"], "decision");
        let r = h
            .raw(
                Request::post("/api/v1/teams")
                    .header("authorization", format!("Bearer {}", h.admin))
                    .body(Body::from("{not json"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 400);
        // Over the body limit: 413, nothing stored.
        let big = json!({"id": "big", "name": "x".repeat(100_000)});
        let r = h
            .call("POST", "/api/v1/teams", Some(&h.admin.clone()), Some(big))
            .await;
        assert_eq!(r.status, 413);
        let teams = h.ok("admin", "GET", "/api/v1/teams", None, 200).await;
        assert!(!teams.to_string().contains("\"big\""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_reviewers_deciding_at_once_exactly_one_wins() {
    for (backend, store) in both_stores("race").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let h = std::sync::Arc::new(h);
        for i in 0..8 {
            let api = format!("raceApi{i}");
            h.ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/apis",
                Some(json!({"name": api, "type": "custom", "description": "d"})),
                201,
            )
            .await;
            let r = h
                .ok(
                    "dev",
                    "POST",
                    "/api/v1/apps/mp1/requests",
                    Some(json!({"api": api, "reason": "r"})),
                    201,
                )
                .await;
            let path = format!("/api/v1/requests/{}/decision", r["id"].as_str().unwrap());
            let got = statuses_at_once([("sa_admin", "approve"), ("review", "reject")].map(
                |(who, decision)| {
                    let (h, path) = (h.clone(), path.clone());
                    async move {
                        let body = Some(json!({"decision": decision, "note": "n"}));
                        h.call("POST", &path, Some(h.token(who)), body)
                            .await
                            .status
                            .as_u16()
                    }
                },
            ))
            .await;
            assert_eq!(got, [200, 409], "[{backend}] round {i}");
        }
    }
}

/// The SecretKey authenticates the backend only: a new one leaves the bundle
/// key alone. A rotated bundle key is a change like any other: the next
/// bundle is signed with it (never the cached one signed with the old key),
/// and guards holding only the old key refuse it.
#[tokio::test]
async fn a_rotated_bundle_key_signs_the_next_bundle_and_a_new_secret_key_does_not() {
    const NEW: &str = "N3wN3wN3wN3wN3w1";
    for (backend, store) in stores("rekey").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        h.use_hs256("sa1").await;
        let old = h.bundle_key("sa1").await;
        let (b0, etag0) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert!(
            Guard::new(&old).unwrap().load(&b0, NOW).is_ok(),
            "{backend}"
        );
        h.ok(
            "sa_admin",
            "PATCH",
            "/api/v1/superapps/sa1",
            Some(json!({ "secret_key": NEW })),
            200,
        )
        .await;
        assert_eq!(h.bundle_key("sa1").await, old, "{backend}");
        let (b1, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert!(
            Guard::new(&old).unwrap().load(&b1, NOW).is_ok(),
            "{backend}"
        );
        assert!(
            Guard::new(NEW).unwrap().load(&b1, NOW).is_err(),
            "{backend}"
        );

        for who in ["senior", "review", "dev", "admin", "platform", "sa2_admin"] {
            h.ok(
                who,
                "POST",
                "/api/v1/superapps/sa1/bundle-key/rotate",
                None,
                403,
            )
            .await;
            h.ok(who, "GET", "/api/v1/superapps/sa1/bundle-key", None, 403)
                .await;
        }
        let r = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/bundle-key/rotate",
                None,
                200,
            )
            .await;
        let new = r["bundle_key"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert_eq!(h.bundle_key("sa1").await, new);
        let (b2, etag2) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_ne!(etag0, etag2, "{backend}");
        assert!(
            Guard::new(&new).unwrap().load(&b2, NOW).is_ok(),
            "{backend}"
        );
        assert!(
            Guard::new(&old).unwrap().load(&b2, NOW).is_err(),
            "{backend}"
        );
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        assert!(audit.to_string().contains("rotate_bundle_key"));
        assert!(!audit.to_string().contains(&new) && !audit.to_string().contains(&old));
    }
}

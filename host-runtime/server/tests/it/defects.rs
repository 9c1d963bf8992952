//! Defects found by trying the server from outside (issue 12), each pinned
//! by a test that failed before its fix. On SQLite (decision 340).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use common::{stores, Harness, SECRET, T0};
use guard_core::Guard;
use guard_server::{AppState, Clock, Limits};

use serde_json::{json, Value};
use tower::ServiceExt;

const NOW: u64 = T0 as u64;

/// Status, content type and JSON body of a request sent straight to the
/// router (unknown routes are not in the OpenAPI document by definition).
async fn send(h: &Harness, req: Request<Body>) -> (StatusCode, String, Value) {
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        ct,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn assert_json_error(what: &str, got: &(StatusCode, String, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "{what}: {got:?}");
    assert!(got.1.starts_with("application/json"), "{what}: {got:?}");
    assert_eq!(got.2["error"]["code"], code, "{what}: {got:?}");
    assert!(got.2["error"]["message"].is_string(), "{what}: {got:?}");
}

fn bundle_apps(bundle: &str) -> Vec<String> {
    payload(bundle)["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["app_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The policy document inside a bundle.
pub fn payload(bundle: &str) -> Value {
    let part = bundle.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn binding_an_app_to_an_unrelated_superapp_is_a_request_the_superapp_decides() {
    for (backend, store) in stores("binding").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        // dev2's team (t2) has nothing on sa2.
        let created = h
            .ok(
                "dev2",
                "POST",
                "/api/v1/superapps/sa2/apps",
                Some(
                    json!({"id": "intruder", "name": "n", "kind": "mini_program", "team_id": "t2"}),
                ),
                201,
            )
            .await;
        let (all, _) = h.bundle("/api/v1/superapps/sa2/bundle").await;
        assert!(
            !bundle_apps(&all).contains(&"intruder".to_owned()),
            "[{backend}] an unapproved binding is in the bundle"
        );
        h.ok("dev2", "GET", "/api/v1/superapps/sa2/apis", None, 403)
            .await;
        h.ok("dev2", "GET", "/api/v1/superapps/sa2", None, 403)
            .await;
        let r = h
            .call(
                "POST",
                "/api/v1/apps/intruder/requests",
                Some(h.token("dev2")),
                Some(json!({"api": "getLocation", "reason": "r"})),
            )
            .await;
        assert_eq!(r.status, 409, "[{backend}] {}", r.text);
        let r = h
            .call("GET", "/api/v1/apps/intruder/bundle", None, None)
            .await;
        assert_eq!(r.status, 404, "[{backend}] {}", r.text);
        assert_eq!(created["binding"]["status"], "pending", "{created}");
        let app = h
            .ok("dev2", "GET", "/api/v1/apps/intruder", None, 200)
            .await;
        assert_eq!(app["bound"], false);
        let bid = created["binding"]["id"].as_str().unwrap().to_owned();

        // The superapp's reviewers see it; the developer cannot decide it,
        // nor can another superapp's admin.
        let pending = h
            .ok(
                "sa2_admin",
                "GET",
                "/api/v1/superapps/sa2/bindings?status=pending",
                None,
                200,
            )
            .await;
        assert_eq!(pending["bindings"][0]["app_id"], "intruder");
        let decide = format!("/api/v1/bindings/{bid}/decision");
        for who in ["dev2", "sa_admin", "review", "platform", "admin"] {
            h.ok(
                who,
                "POST",
                &decide,
                Some(json!({"decision": "approve"})),
                403,
            )
            .await;
        }
        let d = h
            .ok(
                "sa2_admin",
                "POST",
                &decide,
                Some(json!({"decision": "approve", "note": "welcome"})),
                200,
            )
            .await;
        assert_eq!(d["status"], "approved");
        h.ok(
            "sa2_admin",
            "POST",
            &decide,
            Some(json!({"decision": "reject"})),
            409,
        )
        .await;
        let (all, _) = h.bundle("/api/v1/superapps/sa2/bundle").await;
        assert!(bundle_apps(&all).contains(&"intruder".to_owned()));
        h.ok("dev2", "GET", "/api/v1/superapps/sa2/apis", None, 200)
            .await;
        let app = h
            .ok("dev2", "GET", "/api/v1/apps/intruder", None, 200)
            .await;
        assert_eq!(app["bound"], true);
        h.ok(
            "dev2",
            "POST",
            "/api/v1/apps/intruder/requests",
            Some(json!({"api": "getLocation", "reason": "r"})),
            201,
        )
        .await;

        // A rejected binding stays out of the bundle.
        let c = h
            .ok(
                "dev2",
                "POST",
                "/api/v1/superapps/sa2/apps",
                Some(json!({"id": "refused", "name": "n", "kind": "mini_game", "team_id": "t2"})),
                201,
            )
            .await;
        let d = h
            .ok(
                "sa2_admin",
                "POST",
                &format!(
                    "/api/v1/bindings/{}/decision",
                    c["binding"]["id"].as_str().unwrap()
                ),
                Some(json!({"decision": "reject", "note": "no"})),
                200,
            )
            .await;
        assert_eq!(d["status"], "rejected");
        let (all, _) = h.bundle("/api/v1/superapps/sa2/bundle").await;
        assert!(!bundle_apps(&all).contains(&"refused".to_owned()));
    }
}

#[tokio::test]
async fn the_reserved_platform_scope_is_404_on_every_superapp_route() {
    for (backend, store) in stores("platform").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let p = "/api/v1/superapps/_platform";
        for (who, method, path, body) in [
            (
                "admin",
                "POST",
                format!("{p}/apps"),
                Some(json!({"id": "plat", "name": "n", "kind": "mini_program", "team_id": "t1"})),
            ),
            (
                "dev",
                "POST",
                format!("{p}/apps"),
                Some(json!({"id": "plat2", "name": "n", "kind": "mini_program", "team_id": "t1"})),
            ),
            ("admin", "GET", format!("{p}/apis"), None),
            ("admin", "GET", p.to_owned(), None),
            ("admin", "GET", format!("{p}/requests"), None),
            (
                "admin",
                "GET",
                format!("{p}/apis/getLocation/authorized"),
                None,
            ),
        ] {
            let r = h.call(method, &path, Some(h.token(who)), body).await;
            assert_eq!(
                r.status, 404,
                "[{backend}] {who} {method} {path}: {}",
                r.text
            );
            assert_eq!(r.body["error"]["code"], "not_found");
        }
        let r = h.call("GET", &format!("{p}/bundle"), None, None).await;
        assert_eq!(r.status, 404, "[{backend}] {}", r.text);
        for tag in ["\"_platform.8\"", "*"] {
            let r = h
                .raw(
                    Request::get(format!("{p}/bundle"))
                        .header("if-none-match", tag)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(r.status, 404, "[{backend}] If-None-Match {tag}");
        }
        // The superapp backend's routes too (whatever the bearer).
        for (path, body) in [
            (format!("{p}/users"), json!({"user_id": "u1"})),
            (
                format!("{p}/codes"),
                json!({"kind": "login", "app_id": "mp1", "user_id": "u1"}),
            ),
        ] {
            let r = h.call("POST", &path, Some(SECRET), Some(body)).await;
            assert_eq!(r.status, 404, "[{backend}] {path}: {}", r.text);
        }
        let r = h
            .call(
                "DELETE",
                &format!("{p}/apis/audit"),
                Some(h.token("sa_admin")),
                None,
            )
            .await;
        assert_eq!(r.status, 404, "[{backend}] {}", r.text);
        // The platform's own audit log is still there.
        h.ok("admin", "GET", &format!("{p}/audit"), None, 200).await;
    }
}

#[tokio::test]
async fn http_errors_are_the_documented_json_error() {
    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("httperr"))
        .await
        .unwrap();
    let h = Harness::new("sqlite", store).await;
    let bearer = format!("Bearer {}", h.admin);
    // Over the limit with a Content-Length: the JSON 413.
    let big = json!({"id": "big", "name": "x".repeat(100_000)}).to_string();
    let got = send(
        &h,
        Request::post("/api/v1/teams")
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .header("content-length", big.len())
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_json_error("413", &got, 413, "too_large");
    // An array where an object is required.
    let got = send(
        &h,
        Request::post("/api/v1/teams")
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(Body::from(r#"["arr","Array team"]"#))
            .unwrap(),
    )
    .await;
    assert_json_error("array body", &got, 400, "invalid_field");
    let teams = h.ok("admin", "GET", "/api/v1/teams", None, 200).await;
    assert!(!teams.to_string().contains("arr"), "{teams}");
    // The auth scheme is case-insensitive (RFC 9110 §11.1).
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let got = send(
            &h,
            Request::get("/api/v1/teams")
                .header("authorization", format!("{scheme} {}", h.admin))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(got.0, 200, "{scheme}: {got:?}");
    }
    let got = send(
        &h,
        Request::get("/api/v1/teams")
            .header("authorization", format!("Basic {}", h.admin))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_json_error("basic", &got, 401, "unauthorized");
    // Unknown routes and wrong methods.
    for path in ["/api/v1/nope", "/", "/api/v1/superapps/sa1/nope/deeper"] {
        let got = send(&h, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_json_error(path, &got, 404, "not_found");
    }
    let got = send(
        &h,
        Request::delete("/api/v1/teams")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_json_error("DELETE /api/v1/teams", &got, 405, "method_not_allowed");
}

#[tokio::test]
async fn wildcards_over_public_suffixes_are_refused() {
    for (backend, store) in stores("psl").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        for (list, value) in [
            ("server_domains", "https://*.co.uk"),
            ("server_domains", "https://*.github.io"),
            ("server_domains", "wss://*.com.cn"),
            ("webview_domains", "https://*.CO.UK."),
            ("webview_domains", "https://*.appspot.com"),
        ] {
            let e = h
                .ok(
                    "sa_admin",
                    "POST",
                    &format!("/api/v1/apps/mp1/whitelists/{list}"),
                    Some(json!({"value": value})),
                    400,
                )
                .await;
            assert_eq!(e["error"]["field"], "value", "[{backend}] {value}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("public suffix"),
                "{e}"
            );
        }
        for (list, value) in [
            ("server_domains", "https://*.shop.co.uk"),
            ("server_domains", "https://*.me.github.io"),
            ("webview_domains", "https://*.h5.shop.example"),
            ("server_domains", "https://co.uk.shop.example"),
        ] {
            h.ok(
                "sa_admin",
                "POST",
                &format!("/api/v1/apps/mp1/whitelists/{list}"),
                Some(json!({"value": value})),
                201,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn bundles_are_not_signed_with_the_secret_key() {
    for (backend, store) in stores("bundlekey").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        h.use_hs256("sa1").await;
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert!(
            Guard::new(SECRET).unwrap().load(&b, NOW).is_err(),
            "[{backend}] the SecretKey verifies the bundle"
        );
        let k = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/superapps/sa1/bundle-key",
                None,
                200,
            )
            .await;
        let key = k["bundle_key"].as_str().unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(k["alg"], "HS256");
        assert!(Guard::new(key).unwrap().load(&b, NOW).is_ok());
        // The SecretKey is in no bundle and no answer but nobody's to read:
        // not the bundles, the superapp, its bundle key, the audit logs or
        // the documents.
        let mut seen = vec![
            b,
            h.bundle("/api/v1/apps/mp1/bundle").await.0,
            k.to_string(),
        ];
        for (who, path) in [
            ("sa_admin", "/api/v1/superapps/sa1"),
            ("admin", "/api/v1/superapps"),
            ("sa_admin", "/api/v1/superapps/sa1/audit"),
            ("admin", "/api/v1/superapps/_platform/audit"),
            ("sa_admin", "/api/v1/apps/mp1"),
        ] {
            seen.push(h.ok(who, "GET", path, None, 200).await.to_string());
        }
        seen.push(h.call("GET", "/openapi.json", None, None).await.text);
        for text in &seen {
            assert!(
                !text.contains(SECRET),
                "[{backend}] the SecretKey leaks: {text}"
            );
        }
    }
}

#[tokio::test]
async fn bundles_expire_after_the_default_lifetime() {
    for (backend, store) in stores("expiry").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        for path in ["/api/v1/superapps/sa1/bundle", "/api/v1/apps/mp1/bundle"] {
            let (b, _) = h.bundle(path).await;
            let p = payload(&b);
            assert_eq!(p["issued_at"], T0, "[{backend}] {p}");
            assert_eq!(p["expires_at"], T0 + 7 * 86_400, "[{backend}] {p}");
        }
    }
}

/// With a short lifetime: a bundle past half of it is re-issued as a new
/// version with a later expiry (so a guard accepts it), and its ETag changes;
/// before that, the same bytes and 304.
#[tokio::test]
async fn a_bundle_past_half_its_lifetime_is_reissued_with_a_later_expiry() {
    for (backend, store) in stores("reissue").await {
        let state =
            AppState::new(store, Clock::manual(T0), Limits::default()).with_bundle_lifetime(100);
        let mut h = Harness::from_state(backend, state).await;
        h.world().await;
        let path = "/api/v1/apps/mp1/bundle";
        let (b0, e0) = h.bundle(path).await;
        assert_eq!(payload(&b0)["expires_at"], T0 + 100, "[{backend}]");
        h.state.clock.advance(49);
        assert_eq!(
            h.bundle(path).await,
            (b0.clone(), e0.clone()),
            "[{backend}]"
        );
        let poll = |tag: String| {
            Request::get(path)
                .header("if-none-match", tag)
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(h.raw(poll(e0.clone())).await.status, 304, "[{backend}]");
        h.state.clock.advance(1);
        let r = h.raw(poll(e0.clone())).await;
        assert_eq!(r.status, 200, "[{backend}] a stale bundle is not 304");
        let (b1, e1) = h.bundle(path).await;
        assert_ne!(e0, e1, "[{backend}]");
        let (p0, p1) = (payload(&b0), payload(&b1));
        assert_eq!(p1["issued_at"], T0 + 50, "[{backend}]");
        assert_eq!(p1["expires_at"], T0 + 150, "[{backend}]");
        assert_eq!(p1["version"], p0["version"].as_i64().unwrap() + 1);
        assert_eq!(p1["apps"], p0["apps"], "[{backend}] nothing else changed");
        // A guard moves on to the re-issued bundle, and an old one expires.
        let mut g = h.guard("sa1").await;
        g.load(&b0, NOW + 50).unwrap();
        g.load(&b1, NOW + 50).unwrap();
        let mut old = h.guard("sa1").await;
        old.load(&b0, NOW).unwrap();
        assert_eq!(
            old.check_api("mp1", "getLocation", NOW + 100).code(),
            Some(guard_core::DenyCode::NoPolicy)
        );
        // Re-issued once, recorded by the server; the superapp bundle too.
        assert_eq!(h.bundle(path).await.1, e1);
        let (all, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(payload(&all)["expires_at"], T0 + 150);
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        let reissues: Vec<_> = audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "reissue_bundle")
            .collect();
        assert_eq!(reissues.len(), 1, "[{backend}] {audit}");
        assert_eq!(reissues[0]["actor"], "server");
        assert_eq!(reissues[0]["after"]["expires_at"], T0 + 150);
    }
}

/// A store from before bindings and bundle keys (only migration 1 applied):
/// its apps stay bound, and its superapps get a bundle key at the next start
/// (never the SecretKey).
#[tokio::test]
async fn an_upgraded_store_keeps_its_apps_bound_and_gets_bundle_keys() {
    let dir = common::temp_dir("upgrade");
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/guard.db?mode=rwc", dir.display());
    let old = sqlx::AnyPool::connect(&url).await.unwrap();
    let v1 = include_str!("../../migrations/0001_initial.sql");
    for stmt in v1.split(';').filter(|c| {
        c.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
    }) {
        sqlx::query(sqlx::AssertSqlSafe(stmt.to_owned()))
            .execute(&old)
            .await
            .unwrap();
    }
    for stmt in [
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        "INSERT INTO schema_migrations VALUES (1, 0)",
        "INSERT INTO superapps VALUES ('old', 'Old', 'k3yK3yk3yK3yk3y1', 'https://b.example.com', 0)",
        "INSERT INTO versions VALUES ('old', 3, 0)",
        "INSERT INTO teams VALUES ('t', 't', 0)",
        "INSERT INTO apps VALUES ('mp_old', 'old', 't', 'mini_program', 'n', 'x', 0, 0, 0)",
    ] {
        sqlx::query(stmt).execute(&old).await.unwrap();
    }
    old.close().await;
    let store = guard_server::store::Store::open_sqlite(&dir).await.unwrap();
    let h = Harness::new("sqlite", store.clone()).await;
    // Migration 44 (at start, with the KEK) gives it a bundle key, sealed.
    guard_server::distribution::secrets::seal_stored(&h.state)
        .await
        .unwrap();
    let kept: Option<String> =
        sqlx::query_scalar("SELECT bundle_key FROM superapps WHERE id = 'old'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
    let key = h
        .state
        .kek
        .as_ref()
        .unwrap()
        .open_secret(
            guard_server::distribution::sealing::Secret::BundleKey { superapp: "old" },
            &kept.unwrap(),
        )
        .unwrap();
    assert!(key.len() == 32 && key != SECRET, "{key}");
    let (b, _) = h.bundle("/api/v1/superapps/old/bundle").await;
    assert_eq!(bundle_apps(&b), ["mp_old"]);
    assert!(Guard::new(&key).unwrap().load(&b, 0).is_ok());
    assert!(Guard::new(SECRET).unwrap().load(&b, 0).is_err());
}

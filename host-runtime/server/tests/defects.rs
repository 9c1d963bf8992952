//! Defects found by trying the server from outside (issue 12), each pinned
//! by a test that failed before its fix. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use common::{stores, Harness, SECRET, T0};
use guard_core::Guard;

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

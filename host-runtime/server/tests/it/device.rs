//! What devices see of the server besides bundles: CORS on the device
//! endpoints only (a base library in a web view fetches cross-origin; a
//! page of another origin must not read or drive the console), and the
//! configuration file's `reports_url` and `long_poll_seconds` (P5).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use common::{stores, Harness};
use guard_server::Limits;
use tower::ServiceExt;

const ORIGIN: &str = "https://webview.example";

async fn send(
    h: &Harness,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = if path.ends_with("/reports") {
        Body::from(r#"{"reports":[],"dropped":0}"#)
    } else {
        Body::empty()
    };
    let res = h
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    (res.status(), res.headers().clone())
}

fn list(h: &HeaderMap, name: &str) -> Vec<String> {
    h.get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_lowercase())
        .collect()
}

#[tokio::test]
async fn device_endpoints_answer_any_origin_without_credentials_and_the_console_none() {
    for (backend, store) in stores("device-cors").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let device = [
            (Method::GET, "/api/v1/superapps/sa1/bundle"),
            (Method::GET, "/api/v1/apps/mp1/bundle"),
            (Method::GET, "/api/v1/superapps/sa1/keys.json"),
            (Method::GET, "/api/v1/superapps/sa1/config.json"),
            (Method::GET, "/api/v1/apps/mp1/package"),
            (Method::GET, "/api/v1/apps/mp1/qrcode.svg"),
            (Method::POST, "/api/v1/superapps/sa1/reports"),
        ];
        for (method, path) in &device {
            let (status, hs) = send(&h, method.clone(), path, &[("origin", ORIGIN)]).await;
            // Whatever the answer (config.json wants a token, nothing is
            // released yet), a web view can read it.
            assert_eq!(
                hs["access-control-allow-origin"], "*",
                "[{backend}] {method} {path} {status}"
            );
            assert!(hs.get("access-control-allow-credentials").is_none());
            let exposed = list(&hs, "access-control-expose-headers");
            for name in [
                "etag",
                "preference-applied",
                "retry-after",
                "x-package-sha256",
            ] {
                assert!(
                    exposed.contains(&name.to_owned()),
                    "[{backend}] {path}: {exposed:?}"
                );
            }
        }
        // Preflights: the reports POST with its JSON body, and the bundle's
        // long-poll headers.
        for (path, method, headers) in [
            ("/api/v1/superapps/sa1/reports", "POST", "content-type"),
            (
                "/api/v1/superapps/sa1/bundle",
                "GET",
                "if-none-match, prefer",
            ),
            ("/api/v1/apps/mp1/bundle", "GET", "prefer"),
        ] {
            let (status, hs) = send(
                &h,
                Method::OPTIONS,
                path,
                &[
                    ("origin", ORIGIN),
                    ("access-control-request-method", method),
                    ("access-control-request-headers", headers),
                ],
            )
            .await;
            assert!(
                status.is_success(),
                "[{backend}] preflight {path}: {status}"
            );
            assert_eq!(hs["access-control-allow-origin"], "*");
            assert!(list(&hs, "access-control-allow-methods").contains(&method.to_lowercase()));
            let allowed = list(&hs, "access-control-allow-headers");
            for hname in headers.split(", ") {
                assert!(allowed.contains(&hname.to_owned()), "{path}: {allowed:?}");
            }
            assert!(
                !allowed.contains(&"authorization".to_owned()),
                "no credentials cross-origin"
            );
        }
        // The console: no CORS answer at all, for reads, writes and preflights.
        for (method, path) in [
            (Method::GET, "/api/v1/superapps/sa1"),
            (Method::GET, "/api/v1/apps/mp1/violations"),
            (Method::GET, "/api/v1/superapps/sa1/audit"),
            (Method::POST, "/api/v1/teams"),
        ] {
            let (_, hs) = send(&h, method.clone(), path, &[("origin", ORIGIN)]).await;
            assert!(
                hs.get("access-control-allow-origin").is_none(),
                "[{backend}] {method} {path}"
            );
            let (_, hs) = send(
                &h,
                Method::OPTIONS,
                path,
                &[
                    ("origin", ORIGIN),
                    ("access-control-request-method", method.as_str()),
                    (
                        "access-control-request-headers",
                        "authorization, content-type",
                    ),
                ],
            )
            .await;
            assert!(
                hs.get("access-control-allow-origin").is_none(),
                "[{backend}] preflight {path}"
            );
        }
        // A device route's wrong method is still the JSON 405.
        let (status, hs) = send(&h, Method::DELETE, "/api/v1/superapps/sa1/bundle", &[]).await;
        assert_eq!(status, 405);
        assert!(hs["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
    }
}

#[tokio::test]
async fn the_configuration_file_names_the_reports_endpoint_and_the_long_poll() {
    for (max_wait, expected) in [(30, 25), (10, 10), (0, 0)] {
        for (backend, store) in stores("device-config").await {
            let limits = Limits {
                max_wait_secs: max_wait,
                ..Limits::default()
            };
            let mut h = Harness::with_limits(backend, store, limits).await;
            h.world().await;
            let c = h
                .ok(
                    "sa_admin",
                    "GET",
                    "/api/v1/superapps/sa1/config.json",
                    None,
                    200,
                )
                .await;
            let base = c["server_url"].as_str().unwrap();
            assert_eq!(
                c["reports_url"],
                format!("{base}/api/v1/superapps/sa1/reports"),
                "[{backend}]"
            );
            // Never more than the server holds (--max-wait-seconds).
            assert_eq!(c["long_poll_seconds"], expected, "[{backend}] {max_wait}");
        }
    }
}

//! The two credentials and how they are read (decisions 45, 89, 113, 114):
//! the bearer scheme is case-insensitive and other schemes are refused; a
//! console session cookie opens no JSON API and a bearer token no console
//! page; a report is read whatever its `Content-Type` says (so
//! `navigator.sendBeacon` works) and still refused when it is not a report;
//! requests that carry no peer address share one limit, whatever headers
//! they send to pass for other clients.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{stores, Harness, Resp};
use console_kit::signed_in;
use guard_server::reports::rate::Rate;
use guard_server::Limits;
use serde_json::json;
use tower::ServiceExt;

async fn with_authorization(h: &Harness, value: &str) -> StatusCode {
    let req = Request::builder()
        .method(Method::GET)
        .uri("/api/v1/superapps")
        .header("authorization", value)
        .body(Body::empty())
        .unwrap();
    h.raw(req).await.status
}

/// Decision 45 (RFC 9110 §11.1: the scheme is case-insensitive; §11.4: one
/// or more spaces before the token).
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_other_schemes_are_refused() {
    for (backend, store) in stores("credentials-bearer").await {
        let h = Harness::new(backend, store).await;
        let token = h.admin.clone();
        for ok in [
            format!("Bearer {token}"),
            format!("bearer {token}"),
            format!("BEARER {token}"),
            format!("Bearer   {token}"),
        ] {
            assert_eq!(
                with_authorization(&h, &ok).await,
                StatusCode::OK,
                "[{backend}] {ok}"
            );
        }
        for refused in [
            format!("Basic {token}"),
            format!("Token {token}"),
            format!("Bearer{token}"),
            "Bearer ".to_owned(),
            format!("Bearer {token}x"),
            token.clone(),
        ] {
            assert_eq!(
                with_authorization(&h, &refused).await,
                StatusCode::UNAUTHORIZED,
                "[{backend}] {refused}"
            );
        }
    }
}

/// Decision 89: the console reads only its cookie, the API only the
/// `Authorization` header.
#[tokio::test]
async fn a_session_cookie_opens_no_api_and_a_bearer_token_no_console() {
    for (backend, store) in stores("credentials-mixed").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let mut b = signed_in(&h, "sa_admin").await;
        let cookie = b.cookie.clone().expect("signed in");
        // The session works where it belongs: the console's front door sends
        // it to its first page, which answers.
        let first = b.get("/console/").await.location().to_owned();
        assert!(first.starts_with("/console/") && !first.starts_with("/console/login"));
        assert_eq!(
            b.get(&first).await.status,
            StatusCode::OK,
            "[{backend}] {first}"
        );

        // The cookie sent to the API: no credentials.
        let req = Request::builder()
            .method(Method::GET)
            .uri("/api/v1/superapps/sa1")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            h.raw(req).await.status,
            StatusCode::UNAUTHORIZED,
            "[{backend}]"
        );
        // The same account's bearer token does open it.
        h.ok("sa_admin", "GET", "/api/v1/superapps/sa1", None, 200)
            .await;

        // The bearer token sent to the console: sent to sign in. (Straight
        // to the router: the console's pages are not in the API's OpenAPI
        // document the harness checks answers against.)
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(first.as_str())
            .header("authorization", format!("Bearer {}", h.token("sa_admin")))
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(
            "192.0.2.10:50000".parse::<SocketAddr>().unwrap(),
        ));
        let res = h.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "[{backend}]");
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/console/login"));
    }
}

fn report_batch() -> String {
    json!({"reports": [{"app": "mp1", "kind": "api", "api": "getLocation",
        "code": "permission_not_granted", "mode": "enforce", "policy_version": 1,
        "count": 1, "first_seen": 1, "last_seen": 1}], "dropped": 0})
    .to_string()
}

async fn post_report(
    h: &Harness,
    content_type: Option<&str>,
    body: &str,
    peer: Option<&str>,
    forwarded: Option<&str>,
) -> Resp {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/superapps/sa1/reports");
    if let Some(t) = content_type {
        req = req.header("content-type", t);
    }
    if let Some(f) = forwarded {
        req = req
            .header("x-forwarded-for", f)
            .header("forwarded", format!("for={f}"));
    }
    let mut req = req.body(Body::from(body.to_owned())).unwrap();
    if let Some(p) = peer {
        req.extensions_mut()
            .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
    }
    h.raw(req).await
}

/// Decision 113: what `navigator.sendBeacon` sends (a `text/plain` blob) or
/// no type at all is read as a report; a body that is not a report is
/// refused whatever type it claims.
#[tokio::test]
async fn a_report_is_read_whatever_its_content_type_says() {
    for (backend, store) in stores("credentials-report-type").await {
        let mut h = Harness::with_limits(backend, store, common::unlimited_reports()).await;
        h.world().await;
        let peer = Some("198.51.100.7:40000");
        for t in [
            Some("application/json"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let r = post_report(&h, t, &report_batch(), peer, None).await;
            assert_eq!(
                r.status,
                StatusCode::ACCEPTED,
                "[{backend}] {t:?}: {}",
                r.text
            );
            assert_eq!(r.body["accepted"], 1, "[{backend}] {t:?}");
        }
        for t in [Some("text/plain"), Some("application/json")] {
            let r = post_report(&h, t, "reports=1", peer, None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{backend}] {t:?}");
        }
    }
}

/// Decision 114: a router served without connect info puts every request
/// under one address, so the per-address limit is shared: headers that
/// claim another client change nothing. With peers, the limit is theirs.
#[tokio::test]
async fn requests_without_a_peer_address_share_one_limit() {
    for (backend, store) in stores("credentials-no-peer").await {
        let two = Rate {
            per_minute: 1,
            burst: 2,
        };
        let limits = Limits {
            reports_per_address: two,
            ..common::unlimited_reports()
        };
        let mut h = Harness::with_limits(backend, store, limits).await;
        h.world().await;
        let body = report_batch();
        let json = Some("application/json");
        let statuses = [
            post_report(&h, json, &body, None, Some("203.0.113.1"))
                .await
                .status,
            post_report(&h, json, &body, None, Some("203.0.113.2"))
                .await
                .status,
            post_report(&h, json, &body, None, Some("203.0.113.3"))
                .await
                .status,
        ];
        assert_eq!(
            statuses,
            [
                StatusCode::ACCEPTED,
                StatusCode::ACCEPTED,
                StatusCode::TOO_MANY_REQUESTS
            ],
            "[{backend}]"
        );
        // Real peers each have their own allowance.
        for peer in ["198.51.100.1:1", "198.51.100.2:1", "198.51.100.3:1"] {
            let r = post_report(&h, json, &body, Some(peer), None).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "[{backend}] {peer}");
        }
    }
}

//! The long-poll of the bundle routes (`Prefer: wait=N`, `docs/protocols.md`
//! P1), in process, on SQLite (the wake-up on a commit also on PostgreSQL,
//! decision 340): a held request answers 200 as
//! soon as a change commits, 304 with `Preference-Applied` when the wait
//! runs out, and nothing at all is held for what a hostile client tries
//! (bad `Prefer` values, unknown superapps, a flood beyond the waiter
//! limit, clients that hang up). Held requests are awaited through the
//! server's own count of waiters, never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::{both_stores, stores, Harness};
use guard_server::{AppState, Limits};
use serde_json::json;
use tower::ServiceExt;

struct Got {
    status: StatusCode,
    headers: HeaderMap,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// `GET path` with these request headers, checked against the OpenAPI
/// document like every harness call.
async fn get(router: &axum::Router, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = Request::builder().uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = serde_json::from_slice(&body).ok();
    common::check_against_openapi(&axum::http::Method::GET, path, status, json.as_ref());
    Got { status, headers }
}

async fn harness(
    backend: &'static str,
    store: guard_server::store::Store,
    limits: Limits,
) -> Harness {
    let mut h = Harness::with_limits(backend, store, limits).await;
    h.world().await;
    h
}

async fn etag(h: &Harness, path: &str) -> String {
    h.bundle(path).await.1
}

/// A change of sa1 (mp1's mode), as its admin makes it.
async fn change_sa1(h: &Harness, mode: &str) {
    h.ok(
        "sa_admin",
        "PUT",
        "/api/v1/apps/mp1/mode",
        Some(json!({ "mode": mode })),
        200,
    )
    .await;
}

fn state(h: &Harness) -> &AppState {
    &h.state
}

#[tokio::test]
async fn a_held_request_answers_the_new_bundle_as_soon_as_a_change_commits() {
    for (backend, store) in both_stores("longpoll-wake").await {
        let h = harness(backend, store, Limits::default()).await;
        for path in ["/api/v1/superapps/sa1/bundle", "/api/v1/apps/mp1/bundle"] {
            let tag = etag(&h, path).await;
            let router = h.router.clone();
            let (p, t) = (path.to_owned(), tag.clone());
            let held = tokio::spawn(async move {
                get(&router, &p, &[("if-none-match", &t), ("prefer", "wait=30")]).await
            });
            // The request is being held: the server counts it as a waiter.
            state(&h).store.watch.until(|n| *n == 1).await;
            change_sa1(&h, "report").await;
            let got = tokio::time::timeout(Duration::from_secs(20), held)
                .await
                .expect("woken long before its 30 s")
                .unwrap();
            assert_eq!(got.status, StatusCode::OK, "[{backend}] {path}");
            assert_ne!(
                got.header("etag"),
                Some(tag.as_str()),
                "[{backend}] the new version"
            );
            assert_eq!(got.header("preference-applied"), Some("wait=30"));
            assert_eq!(got.header("etag").unwrap(), etag(&h, path).await);
            assert_eq!(state(&h).store.watch.waiting(), 0, "[{backend}] released");
            change_sa1(&h, "enforce").await;
        }
    }
}

#[tokio::test]
async fn the_wait_runs_out_into_a_304_capped_at_the_servers_maximum() {
    for (backend, store) in stores("longpoll-timeout").await {
        let limits = Limits {
            max_wait_secs: 1,
            ..Limits::default()
        };
        let h = harness(backend, store, limits).await;
        let path = "/api/v1/superapps/sa1/bundle";
        let tag = etag(&h, path).await;
        // Asked for an hour: held for the server's 1 s, and told so.
        let got = get(
            &h.router,
            path,
            &[("if-none-match", &tag), ("prefer", "wait=3600")],
        )
        .await;
        assert_eq!(got.status, StatusCode::NOT_MODIFIED, "[{backend}]");
        assert_eq!(got.header("etag"), Some(tag.as_str()));
        assert_eq!(got.header("preference-applied"), Some("wait=1"));
        // A change of another superapp while held does not answer it early
        // with anything but its own, unchanged ETag.
        let router = h.router.clone();
        let t = tag.clone();
        let held = tokio::spawn(async move {
            get(
                &router,
                path,
                &[("if-none-match", &t), ("prefer", "wait=1")],
            )
            .await
        });
        state(&h).store.watch.until(|n| *n == 1).await;
        h.ok(
            "sa2_admin",
            "PUT",
            "/api/v1/apps/mp3/mode",
            Some(json!({"mode": "report"})),
            200,
        )
        .await;
        let got = held.await.unwrap();
        assert_eq!(got.status, StatusCode::NOT_MODIFIED, "[{backend}]");
        assert_eq!(got.header("etag"), Some(tag.as_str()));
    }
}

#[tokio::test]
async fn without_a_usable_wait_nothing_is_held() {
    for (backend, store) in stores("longpoll-none").await {
        let limits = Limits {
            max_wait_secs: 30,
            ..Limits::default()
        };
        let h = harness(backend, store, limits).await;
        let path = "/api/v1/apps/mp1/bundle";
        let tag = etag(&h, path).await;
        // What a client might send that is no wait at all: answered at once
        // (a hang here would time the test out), and never said applied.
        for prefer in [
            None,
            Some("wait=0"),
            Some("wait=-5"),
            Some("wait=soon"),
            Some("wait=1.5"),
            Some("respond-async"),
        ] {
            let mut hs = vec![("if-none-match", tag.as_str())];
            if let Some(p) = prefer {
                hs.push(("prefer", p));
            }
            let got = tokio::time::timeout(Duration::from_secs(10), get(&h.router, path, &hs))
                .await
                .unwrap_or_else(|_| panic!("[{backend}] {prefer:?} was held"));
            assert_eq!(
                got.status,
                StatusCode::NOT_MODIFIED,
                "[{backend}] {prefer:?}"
            );
            assert_eq!(
                got.header("preference-applied"),
                None,
                "[{backend}] {prefer:?}"
            );
        }
        // A stale ETag gets the bundle at once, wait or not.
        let got = get(
            &h.router,
            path,
            &[("if-none-match", "\"sa1.mp1.1\""), ("prefer", "wait=30")],
        )
        .await;
        assert_eq!(got.status, StatusCode::OK);
        // No If-None-Match: nothing to wait for.
        let got = get(&h.router, path, &[("prefer", "wait=30")]).await;
        assert_eq!(got.status, StatusCode::OK);
        // Unknown superapp, unknown app, the platform's scope: 404 at once,
        // and no waiter is left behind for them.
        for p in [
            "/api/v1/superapps/nope/bundle",
            "/api/v1/apps/nope/bundle",
            "/api/v1/superapps/_platform/bundle",
        ] {
            let got = get(
                &h.router,
                p,
                &[("if-none-match", "*"), ("prefer", "wait=30")],
            )
            .await;
            assert_eq!(got.status, StatusCode::NOT_FOUND, "[{backend}] {p}");
        }
        assert_eq!(state(&h).store.watch.waiting(), 0);
        assert_eq!(state(&h).store.watch.scopes_waited_for(), 0);
    }
}

#[tokio::test]
async fn beyond_the_waiter_limit_requests_are_answered_at_once() {
    for (backend, store) in stores("longpoll-limit").await {
        let limits = Limits {
            max_waiters: 2,
            ..Limits::default()
        };
        let h = harness(backend, store, limits).await;
        let path = "/api/v1/superapps/sa1/bundle";
        let tag = etag(&h, path).await;
        let mut held = Vec::new();
        for _ in 0..2 {
            let router = h.router.clone();
            let t = tag.clone();
            held.push(tokio::spawn(async move {
                get(
                    &router,
                    path,
                    &[("if-none-match", &t), ("prefer", "wait=30")],
                )
                .await
            }));
        }
        state(&h).store.watch.until(|n| *n == 2).await;
        // The third of a flood: 304 at once, without Preference-Applied.
        let got = get(
            &h.router,
            path,
            &[("if-none-match", &tag), ("prefer", "wait=30")],
        )
        .await;
        assert_eq!(got.status, StatusCode::NOT_MODIFIED, "[{backend}]");
        assert_eq!(got.header("preference-applied"), None);
        change_sa1(&h, "report").await;
        for w in held {
            assert_eq!(w.await.unwrap().status, StatusCode::OK, "[{backend}]");
        }
    }
}

#[tokio::test]
async fn a_client_that_hangs_up_leaves_no_waiter_behind() {
    use std::io::Write;
    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("longpoll-hangup"))
        .await
        .unwrap();
    let h = harness("sqlite", store, Limits::default()).await;
    let tag = etag(&h, "/api/v1/superapps/sa1/bundle").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = guard_server::router(AppState::clone(&h.state));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let watch = h.state.store.watch.clone();
    for _ in 0..3 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /api/v1/superapps/sa1/bundle HTTP/1.1\r\nHost: x\r\nIf-None-Match: {tag}\r\nPrefer: wait=300\r\n\r\n"
        )
        .unwrap();
        watch.until(|n| *n == 1).await;
        drop(s);
        // Released long before its 300 s: the server dropped the handler.
        tokio::time::timeout(Duration::from_secs(30), watch.until(|n| *n == 0))
            .await
            .expect("the waiter of a closed connection is released");
        assert_eq!(watch.scopes_waited_for(), 0);
    }
}

//! Secrets never appear in logs: run the login flow and console changes with
//! a capturing subscriber at TRACE, then search the captured text.
//!
//! A binary of its own, not a module of `tests/it`: `tracing` keeps its
//! callsite interest and level hint per process, so a capture set up while
//! other tests of the same process log (with their own or no subscriber) can
//! miss events, and this test must see every one of them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Harness, SECRET};
use serde_json::json;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_the_log() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let store = guard_server::store::Store::open_sqlite(&common::temp_dir("logs"))
        .await
        .unwrap();
    let mut h = Harness::new("sqlite", store).await;
    h.world().await;
    h.call(
        "POST",
        "/api/v1/superapps/sa1/users",
        Some(SECRET),
        Some(json!({"user_id": "u1", "phone": "+8613800000000"})),
    )
    .await;
    let code = h
        .call(
            "POST",
            "/api/v1/superapps/sa1/codes",
            Some(SECRET),
            Some(json!({"kind": "login", "app_id": "mp1", "user_id": "u1"})),
        )
        .await
        .body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let app_secret = h.app_secrets["mp1"].clone();
    let s = h.call("GET", &format!("/openserver/sns/jscode2session?appid=mp1&secret={app_secret}&js_code={code}&grant_type=authorization_code"), None, None).await.body;
    let t = h.call("GET", &format!("/openserver/cgi-bin/token?appid=mp1&secret={app_secret}&grant_type=client_credential"), None, None).await.body;
    let token = t["access_token"].as_str().unwrap().to_owned();
    // Failures log too: a wrong secret, a bad token, a bad SecretKey offered.
    h.call(
        "GET",
        &format!(
            "/openserver/cgi-bin/token?appid=mp1&secret={app_secret}x&grant_type=client_credential"
        ),
        None,
        None,
    )
    .await;
    h.call("GET", &format!("/openserver/wxa/checksession?access_token={token}x&openid=o&signature=s&sig_method=hmac_sha256"), None, None).await;
    h.call(
        "PATCH",
        "/api/v1/superapps/sa1",
        Some(h.token("sa_admin")),
        Some(json!({"secret_key": "N3wN3wN3wN3wN3w1"})),
    )
    .await;
    h.call("POST", "/api/v1/superapps", Some(&h.admin.clone()), Some(json!({"id": "x", "name": "x", "secret_key": "BadBadBad!", "backend_domain": "https://b.example.com"}))).await;
    // Bundle keys: read, rotated, and a bundle signed with each.
    let bundle_key = h.bundle_key("sa1").await;
    h.bundle("/api/v1/superapps/sa1/bundle").await;
    let rotated = h
        .call(
            "POST",
            "/api/v1/superapps/sa1/bundle-key/rotate",
            Some(h.token("sa_admin")),
            None,
        )
        .await
        .body["bundle_key"]
        .as_str()
        .unwrap()
        .to_owned();
    h.bundle("/api/v1/superapps/sa1/bundle").await;

    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("/openserver/sns/jscode2session"),
        "the capture works: {log}"
    );
    let secrets = [
        h.admin.clone(),
        h.token("dev").to_owned(),
        SECRET.to_owned(),
        "N3wN3wN3wN3wN3w1".to_owned(),
        "BadBadBad!".to_owned(),
        app_secret,
        code,
        token,
        s["session_key"].as_str().unwrap().to_owned(),
        "+8613800000000".to_owned(),
        bundle_key,
        rotated,
    ];
    for secret in secrets {
        assert!(!log.contains(&secret), "secret `{secret}` found in the log");
    }
}

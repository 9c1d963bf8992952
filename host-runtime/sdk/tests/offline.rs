//! The SDK without a reachable server: expiry fails closed and is never
//! undone by a restart, checks from many threads while bundles load, a
//! second SDK on the same state directory is refused, a synced SDK whose
//! server is gone starts and denies `no_policy`, an older cache copied back
//! over the newer one is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{module, temp_dir};
use guard_core::{bundle, Check, CheckKind, DenyCode, LoadCode, SecretKey};
use guard_sdk::{Config, Sdk, SdkError};

const KEY: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;

fn signed(version: u64, expires_at: u64) -> String {
    let policy = format!(
        r#"{{"schema":1,"superapp_id":"demo","version":{version},"issued_at":0,"expires_at":{expires_at},
      "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
      "apps":[{{"app_id":"mp_shop","kind":"mini_program","control":{{"server_domains":true}},"granted_apis":["getLocation"]}}]}}"#
    );
    bundle::sign(policy.as_bytes(), &SecretKey::new(KEY).unwrap())
}

#[test]
fn an_expired_bundle_fails_closed_and_a_restart_does_not_bring_it_back() {
    let dir = temp_dir("expiry");
    let clock = Arc::new(AtomicU64::new(NOW));
    let start = |clock: &Arc<AtomicU64>| {
        let c = Arc::clone(clock);
        Sdk::with_keys(module(), KEY)
            .state_dir(&dir)
            .clock(move || c.load(Ordering::SeqCst))
            .start()
            .unwrap()
    };
    let sdk = start(&clock);
    sdk.load_at(&signed(1, NOW + 100), NOW).unwrap();
    assert!(sdk.check_api("mp_shop", "getLocation").allow);
    assert_eq!(sdk.status().policy.unwrap().version, 1);

    // The server stays unreachable past the bundle's expiry.
    clock.store(NOW + 100, Ordering::SeqCst);
    assert_eq!(
        sdk.check_api("mp_shop", "getLocation").code,
        Some(DenyCode::NoPolicy)
    );
    let st = sdk.status();
    assert!(st.policy.is_none());
    assert_eq!(st.accepted_version, Some(1));
    drop(sdk);

    // Tried: restart the app, hoping the cache loads as new.
    let sdk = start(&clock);
    assert_eq!(
        sdk.check_api("mp_shop", "getLocation").code,
        Some(DenyCode::NoPolicy)
    );
    assert!(sdk.status().policy.is_none());
    // Tried: the same version re-signed with a later expiry (what a
    // compromised or rolled-back server could hand out): the floor refuses
    // other bytes at the version accepted.
    assert_eq!(
        sdk.load_at(&signed(1, NOW + 1_000), NOW + 100)
            .unwrap_err()
            .code,
        LoadCode::StaleVersion
    );
    // A fresh bundle is accepted at once.
    sdk.load_at(&signed(2, NOW + 1_000), NOW + 100).unwrap();
    assert!(sdk.check_api("mp_shop", "getLocation").allow);
    drop(sdk);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checks_from_many_threads_while_bundles_load() {
    let sdk = Arc::new(Sdk::with_keys(module(), KEY).start().unwrap());
    sdk.load_at(&signed(1, NOW + 1_000), NOW).unwrap();
    let mut threads = Vec::new();
    for t in 0..4 {
        let sdk = Arc::clone(&sdk);
        threads.push(std::thread::spawn(move || {
            for i in 0..2_000 {
                let d = sdk.decide_at("mp_shop", &Check::Api("getLocation"), NOW);
                assert!(d.decision.allow, "thread {t}, call {i}");
                let u = sdk.decide_at(
                    "mp_shop",
                    &Check::Url(CheckKind::Request, "https://nowhere.example/"),
                    NOW,
                );
                assert!(!u.decision.allow && u.href.is_none());
            }
        }));
    }
    for v in 2..50 {
        sdk.load_at(&signed(v, NOW + 1_000), NOW).unwrap();
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sdk.status().accepted_version, Some(49));
    // Every one of the 8,000 denials is in one report.
    let batch = sdk.take_reports(NOW);
    assert_eq!(batch.reports.iter().map(|r| r.count).sum::<u64>(), 8_000);
}

#[test]
fn one_sdk_per_state_directory() {
    let dir = temp_dir("lock");
    let a = Sdk::with_keys(module(), KEY)
        .state_dir(&dir)
        .start()
        .unwrap();
    match Sdk::with_keys(module(), KEY).state_dir(&dir).start() {
        Err(SdkError::Locked(p)) => assert_eq!(p, dir),
        other => panic!("{other:?}"),
    }
    // Released by shutdown, not only by drop.
    a.shutdown();
    let b = Sdk::with_keys(module(), KEY)
        .state_dir(&dir)
        .start()
        .unwrap();
    drop((a, b));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_synced_sdk_whose_server_is_gone_starts_denies_and_says_why() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let config = Config::from_json(&format!(
        r#"{{"format":"guard-superapp-config/1","superapp_id":"demo","server_url":"{base}",
          "bundle_url":"{base}/api/v1/superapps/demo/bundle","keyset_url":"{base}/api/v1/superapps/demo/keyset",
          "roots":[{{"kty":"OKP","crv":"Ed25519","kid":"root-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}}"#
    ))
    .unwrap();
    let sdk = Sdk::synced(module(), config)
        .timing(common::fast(Duration::from_secs(3600)))
        .start()
        .unwrap();
    assert_eq!(
        sdk.check_api("mp_shop", "getLocation").code,
        Some(DenyCode::NoPolicy)
    );
    let st = sdk
        .wait_until(Duration::from_secs(10), |s| s.last_error.is_some())
        .expect("the background sync never reported its failure");
    assert!(st.last_error.unwrap().contains("/keyset"));
    assert!(matches!(sdk.sync_now(), Err(SdkError::Http { .. })));
    // The no_policy denials are recorded, for when the server is back.
    assert!(!sdk.take_reports(NOW).reports.is_empty());
    // A shutdown does not wait for the background thread's retries.
    sdk.shutdown();
    assert!(matches!(sdk.sync_now(), Err(SdkError::Shutdown)));
}

#[test]
fn an_older_cache_copied_back_is_refused_by_the_floor_file() {
    let dir = temp_dir("replay");
    let start = || {
        Sdk::with_keys(module(), KEY)
            .state_dir(&dir)
            .clock(|| NOW)
            .start()
            .unwrap()
    };
    let sdk = start();
    sdk.load_at(&signed(1, NOW + 1_000), NOW).unwrap();
    drop(sdk);
    // A whole, genuine cache of version 1, digest line and all.
    let old = std::fs::read(dir.join("cache.json")).unwrap();
    let sdk = start();
    sdk.load_at(&signed(2, NOW + 1_000), NOW).unwrap();
    drop(sdk);

    // Tried: version 1's cache put back (a restored device backup, or a
    // mini program's native helper with write access to one file).
    std::fs::write(dir.join("cache.json"), &old).unwrap();
    let sdk = start();
    let st = sdk.status();
    assert!(
        st.cache_refused
            .as_deref()
            .is_some_and(|why| why.contains("stale_version")),
        "{st:?}"
    );
    assert_eq!(st.floor.map(|f| f.version), Some(2));
    assert_eq!(
        sdk.check_api("mp_shop", "getLocation").code,
        Some(DenyCode::NoPolicy)
    );
    assert_eq!(
        sdk.load_at(&signed(1, NOW + 1_000), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
    drop(sdk);

    // Stray temporary files of a write the process was killed during are
    // removed at the next start; the files themselves are whole.
    std::fs::write(dir.join(".tmp-guard-sdk-AbC123"), b"half a cache").unwrap();
    let sdk = start();
    assert!(!dir.join(".tmp-guard-sdk-AbC123").exists());
    sdk.load_at(&signed(3, NOW + 1_000), NOW).unwrap();
    drop(sdk);
    std::fs::remove_dir_all(&dir).unwrap();
}

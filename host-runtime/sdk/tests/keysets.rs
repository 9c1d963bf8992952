//! Contract v3 against a real `guard serve` process: a device pinned to the
//! roots of its `config.json` syncs key sets and bundles, follows a
//! signing-key rotation, and keeps the superapp's policy and floor when a
//! proxy in front of the server, or whoever can write its state directory,
//! answers with an attacker's key set and bundle (issue 20's takeover).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use common::{fast, module, temp_dir, Demo, API, APP};
use guard_core::{keyset, DenyCode, LoadCode};
use guard_sdk::{Config, Sdk, SdkError};
use serde_json::{json, Value};

const HOUR: Duration = Duration::from_secs(3600);
/// The attacker's own key, and the version it claims (far above any real one).
const EVIL_SEED: [u8; 32] = [7; 32];
const HUGE: u64 = 9_000_000_000_000;

fn manual(config: &Config, state: &Path) -> Sdk {
    Sdk::synced(module(), config.clone())
        .state_dir(state)
        .timing(fast(HOUR))
        .background_sync(false)
        .background_reports(false)
        .start()
        .unwrap()
}

fn allowed(sdk: &Sdk) -> bool {
    sdk.check_api(APP, API).allow
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn segment(jws: &str, i: usize) -> Value {
    let part = jws.split('.').nth(i).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn get(url: &str) -> (String, String) {
    let mut res = ureq::get(url).call().unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    (res.body_mut().read_to_string().unwrap(), etag)
}

/// The attacker's key set (listing only the attacker's key) signed with
/// `root_kid` by the attacker's seed, and the superapp's current bundle
/// re-signed by the attacker's key: every switch off, a huge version.
fn forged(demo: &Demo, root_kid: &str) -> (String, String) {
    let evil = ed25519_dalek::SigningKey::from_bytes(&EVIL_SEED)
        .verifying_key()
        .to_bytes();
    let t = now();
    let ks = json!({"superapp_id":"demo","version":HUGE,"issued_at":t - 60,"expires_at":t + 86_400,
        "keys":[{"kty":"OKP","crv":"Ed25519","kid":"evil","x":keyset::encode_x(&evil)}]});
    let ks = keyset::sign(ks.to_string().as_bytes(), root_kid, &EVIL_SEED);
    let (real, _) = get(&demo.server.url("/api/v1/superapps/demo/bundle"));
    let mut policy = segment(&real, 1);
    policy["version"] = json!(HUGE);
    policy["apps"][0]["control"] =
        json!({"apis":false,"server_domains":false,"webview_domains":false});
    let bundle =
        guard_core::bundle::sign_ed25519(policy.to_string().as_bytes(), "evil", &EVIL_SEED);
    (ks, bundle)
}

/// A proxy (or CDN) in front of the server that answers every key-set and
/// bundle request with the attacker's documents, with ETags of its own.
fn hostile_proxy(keyset: String, bundle: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head);
            let body = if head.contains("/keyset ") {
                &keyset
            } else {
                &bundle
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/jose\r\netag: \"evil.{HUGE}\"\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

/// The configuration with its key-set and bundle URLs pointed at `base`.
fn through(config: &Config, demo: &Demo, base: &str) -> Config {
    let mut v = demo.server.ok(
        "GET",
        "/api/v1/superapps/demo/config.json",
        &demo.boss,
        None,
        200,
    );
    v["keyset_url"] = json!(format!("{base}/api/v1/superapps/demo/keyset"));
    v["bundle_url"] = json!(format!("{base}/api/v1/superapps/demo/bundle"));
    let c = Config::from_json(&v.to_string()).unwrap();
    assert_eq!(c.roots, config.roots);
    c
}

fn cache_body(state: &Path) -> Value {
    let bytes = std::fs::read(state.join("cache.json")).unwrap();
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    serde_json::from_slice(&bytes[nl + 1..]).unwrap()
}

/// Writes a whole cache file (digest line recomputed): what someone who can
/// write the state directory plants.
fn plant(state: &Path, name: &str, tag: &str, body: &str) {
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(state.join(name), format!("{tag} {digest}\n{body}")).unwrap();
}

#[test]
fn a_device_pinned_to_the_roots_of_its_config_syncs_enforces_and_follows_a_rotation() {
    let dir = temp_dir("v3-sync");
    let demo = Demo::start(&dir.join("server"));
    let config = demo.config();
    assert!(config.has_roots(), "config.json carries the roots");
    assert!(config.keyset_url.ends_with("/api/v1/superapps/demo/keyset"));
    let state = dir.join("state");
    let sdk = manual(&config, &state);
    demo.grant();
    assert!(sdk.sync_now().unwrap().changed);
    assert!(allowed(&sdk));
    let cached = cache_body(&state);
    let ks0 = cached["keyset"].as_str().unwrap().to_owned();
    assert_eq!(segment(&ks0, 0)["typ"], "guard-keyset+jws");
    assert!(
        cached["keys_etag"].is_null(),
        "a key-set ETag was persisted"
    );
    assert!(cached["floor"].is_null(), "a floor number was persisted");
    assert!(!state.join("floor.json").exists());

    // Rotation: the next key is published in a new key set, then signs.
    let rot = demo.server.ok(
        "POST",
        "/api/v1/superapps/demo/signing-keys/rotate",
        &demo.boss,
        None,
        200,
    );
    let next = rot["kid"].as_str().unwrap().to_owned();
    assert!(
        sdk.sync_now().unwrap().changed,
        "the new key set is a change"
    );
    let ks1 = cache_body(&state)["keyset"].as_str().unwrap().to_owned();
    assert!(segment(&ks1, 1)["version"].as_u64() > segment(&ks0, 1)["version"].as_u64());
    demo.server.ok(
        "POST",
        "/api/v1/superapps/demo/signing-keys/promote",
        &demo.boss,
        None,
        200,
    );
    demo.revoke();
    assert!(sdk.sync_now().unwrap().changed);
    let bundle = cache_body(&state)["bundle"].as_str().unwrap().to_owned();
    assert_eq!(
        segment(&bundle, 0)["kid"],
        json!(next),
        "signed by the new key"
    );
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );
    // And a restart restores all of it from the cache, verified again.
    drop(sdk);
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_none());
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_proxy_answering_with_an_attackers_key_set_and_bundle_changes_nothing_enforced() {
    let dir = temp_dir("v3-proxy");
    let demo = Demo::start(&dir.join("server"));
    let config = demo.config();
    let root_kid = config.roots[0]["kid"].as_str().unwrap().to_owned();
    let state = dir.join("state");
    demo.grant();
    let sdk = manual(&config, &state);
    let version = sdk.sync_now().unwrap().version.unwrap();
    drop(sdk);

    // Signed by a key that is no root (its own kid), and by a key that
    // claims the root's kid.
    for (kid, code) in [
        ("attacker-root", LoadCode::UnknownKey),
        (root_kid.as_str(), LoadCode::BadSignature),
    ] {
        let (ks, bundle) = forged(&demo, kid);
        let proxied = through(&config, &demo, &hostile_proxy(ks, bundle));
        let sdk = manual(&proxied, &state);
        match sdk.sync_now() {
            Err(SdkError::Load(e)) => assert_eq!(e.code, code, "{kid}: {e}"),
            other => panic!("{kid}: the forged key set was not refused: {other:?}"),
        }
        let st = sdk.status();
        assert!(
            st.last_error
                .as_deref()
                .is_some_and(|e| e.contains("key set refused")),
            "{st:?}"
        );
        assert!(allowed(&sdk), "{kid}: the superapp's policy was replaced");
        assert_eq!(st.accepted_version, Some(version));
        assert_eq!(st.floor.map(|f| f.version), Some(version), "{kid}: floor");
        // Another round with the proxy's ETags: still refused, nothing kept.
        assert!(sdk.sync_now().is_err());
        assert!(allowed(&sdk));
        drop(sdk);
    }

    // Back on the real server: no lockout, the next change arrives.
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_none());
    assert!(allowed(&sdk));
    demo.revoke();
    assert!(sdk.sync_now().unwrap().changed);
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::PermissionNotGranted)
    );
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_planted_floor_or_key_set_in_the_state_directory_locks_nothing_out() {
    let dir = temp_dir("v3-plant");
    let mut demo = Demo::start(&dir.join("server"));
    let config = demo.config();
    let root_kid = config.roots[0]["kid"].as_str().unwrap().to_owned();
    let state = dir.join("state");
    demo.grant();
    let sdk = manual(&config, &state);
    let version = sdk.sync_now().unwrap().version.unwrap();
    drop(sdk);
    let genuine = std::fs::read(state.join("cache.json")).unwrap();

    // A huge floor written beside the cache (v2's floor file, digest right).
    plant(
        &state,
        "floor.json",
        "guard-sdk-floor/1",
        &json!({"superapp_id":"demo","version":HUGE,"digest":"ab".repeat(32)}).to_string(),
    );
    let sdk = manual(&config, &state);
    assert!(
        allowed(&sdk),
        "a planted floor number locked the device out"
    );
    assert_eq!(sdk.status().floor.map(|f| f.version), Some(version));
    drop(sdk);

    // The attacker's key set and bundle planted as the cache, with the
    // server's own ETags (so a trusting SDK would get 304 for ever).
    let (ks, bundle) = forged(&demo, &root_kid);
    let (_, ks_etag) = get(&demo.server.url("/api/v1/superapps/demo/keyset"));
    let (_, b_etag) = get(&demo.server.url("/api/v1/superapps/demo/bundle"));
    let planted = json!({"superapp_id":"demo","keys":null,"keys_etag":ks_etag,"keyset":ks,
        "bundle_keyset":null,"bundle":bundle,"bundle_etag":b_etag,"floor":null,"saved_at":0});
    plant(
        &state,
        "cache.json",
        "guard-sdk-cache/1",
        &planted.to_string(),
    );
    // The cache alone: refused, and the second copy (genuine) restored.
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_some());
    assert!(allowed(&sdk));
    drop(sdk);
    // Both copies planted.
    plant(
        &state,
        "cache.json",
        "guard-sdk-cache/1",
        &planted.to_string(),
    );
    plant(
        &state,
        "state.json",
        "guard-sdk-state/1",
        &planted.to_string(),
    );
    let sdk = manual(&config, &state);
    let st = sdk.status();
    assert!(
        st.cache_refused
            .as_deref()
            .is_some_and(|why| why.contains("does not verify against the roots")),
        "{st:?}"
    );
    assert_eq!(
        sdk.check_api(APP, API).code,
        Some(DenyCode::NoPolicy),
        "the planted policy was enforced"
    );
    assert!(
        sdk.sync_now().unwrap().changed,
        "online, the real state returns"
    );
    assert!(allowed(&sdk));
    assert_eq!(sdk.status().accepted_version, Some(version));
    drop(sdk);

    // Offline: only what re-verifies is restored. The genuine key set with
    // the attacker's bundle is refused; the genuine cache is enforced.
    demo.server.kill();
    let mut mixed: Value = {
        let nl = genuine.iter().position(|b| *b == b'\n').unwrap();
        serde_json::from_slice(&genuine[nl + 1..]).unwrap()
    };
    mixed["bundle"] = json!(bundle);
    plant(
        &state,
        "cache.json",
        "guard-sdk-cache/1",
        &mixed.to_string(),
    );
    plant(
        &state,
        "state.json",
        "guard-sdk-state/1",
        &mixed.to_string(),
    );
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_some());
    assert_eq!(sdk.check_api(APP, API).code, Some(DenyCode::NoPolicy));
    drop(sdk);
    std::fs::write(state.join("cache.json"), &genuine).unwrap();
    let sdk = manual(&config, &state);
    assert!(sdk.status().cache_refused.is_none());
    assert!(allowed(&sdk), "the genuine cache was not restored offline");
    assert!(matches!(sdk.sync_now(), Err(SdkError::Http { .. })));
    drop(sdk);
    drop(demo);
    std::fs::remove_dir_all(&dir).unwrap();
}

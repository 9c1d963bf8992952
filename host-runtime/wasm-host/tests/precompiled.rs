//! Running the guard from a precompiled artifact (Pulley, as an iOS app
//! ships it): every vector passes; a modified, truncated or unpinned artifact
//! is refused before wasmtime deserialises a byte; an artifact for another
//! engine is refused by wasmtime; and re-keying a guard (P6) keeps what it
//! enforces.

mod common;

use common::{module, pulley_module, vector_paths, SECRET};
use guard_conformance::{run_paths, sign_policy, Outcome};
use guard_core::{bundle, CheckKind, DenyCode, LoadCode};
use guard_wasm_host::{Backend, HostError, Options, Rekeyed, WasmEngine, WasmGuard, WasmModule};
use serde_json::json;
use sha2::{Digest, Sha256};

const NOW: u64 = 1_795_305_600;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn pulley() -> Options {
    Options {
        backend: Backend::Pulley,
        ..Options::default()
    }
}

#[test]
fn every_vector_passes_from_a_precompiled_pulley_artifact() {
    let artifact = pulley_module().precompile().unwrap();
    let m = WasmModule::from_precompiled(&artifact, &hex(&artifact), &pulley()).unwrap();
    assert!(m.is_interpreted() && m.is_precompiled());
    assert_eq!(m.sha256_hex(), hex(&artifact));
    assert_eq!(m.tables(), module().tables(), "the artifact's tables");
    let mut failures = Vec::new();
    let summary = run_paths(
        &vector_paths(),
        &mut |secret: &str| WasmEngine::new(&m, secret),
        &mut |o: &Outcome| {
            if let Some(f) = &o.failure {
                failures.push(format!("{}: {f}", o.name));
            }
        },
    )
    .unwrap();
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n"));
    assert!(summary.passed > 100, "{summary}");
}

#[test]
fn a_modified_truncated_or_unpinned_artifact_is_refused_before_deserialisation() {
    let artifact = pulley_module().precompile().unwrap();
    let pin = hex(&artifact);
    let mut flipped = artifact.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let mut extended = artifact.clone();
    extended.push(0);
    for (what, bytes) in [
        ("one bit changed", flipped),
        ("truncated", artifact[..artifact.len() - 1].to_vec()),
        ("half of it", artifact[..mid].to_vec()),
        ("a byte appended", extended),
        ("empty", Vec::new()),
        (
            "the .wasm itself",
            std::fs::read(guard_wasm_host::default_module_path()).unwrap(),
        ),
    ] {
        match WasmModule::from_precompiled(&bytes, &pin, &pulley()) {
            // The digest check, which runs before `Module::deserialize` is
            // reached: wasmtime never saw these bytes.
            Err(HostError::ArtifactDigest { actual, pinned }) => {
                assert_eq!(actual, hex(&bytes), "{what}");
                assert_eq!(pinned, pin, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    for bad_pin in [
        "",
        "00",
        &pin[..63],
        &format!("{pin}0"),
        &format!("+{}", &pin[1..]),
    ] {
        assert!(
            matches!(
                WasmModule::from_precompiled(&artifact, bad_pin, &pulley()),
                Err(HostError::ArtifactPin(_))
            ),
            "pin `{bad_pin}`"
        );
    }
    // Upper-case hex is the same pin.
    WasmModule::from_precompiled(&artifact, &pin.to_uppercase(), &pulley()).unwrap();
}

#[test]
fn an_artifact_for_another_engine_is_refused_by_wasmtime() {
    let pulley_artifact = pulley_module().precompile().unwrap();
    // Pinned correctly, but made for Pulley and opened for Cranelift.
    match WasmModule::from_precompiled(
        &pulley_artifact,
        &hex(&pulley_artifact),
        &Options::default(),
    ) {
        Err(HostError::Compile(m)) => assert!(!m.is_empty()),
        other => panic!("{other:?}"),
    }
    // A Cranelift artifact (native code) runs on Cranelift.
    let native = module().precompile().unwrap();
    let m = WasmModule::from_precompiled(&native, &hex(&native), &Options::default()).unwrap();
    assert!(!m.is_interpreted() && m.is_precompiled());
    // ... and is refused for Pulley.
    assert!(matches!(
        WasmModule::from_precompiled(&native, &hex(&native), &pulley()),
        Err(HostError::Compile(_))
    ));
}

fn policy(version: u64) -> serde_json::Value {
    json!({"schema":1,"superapp_id":"demo","version":version,"issued_at":0,
      "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
      "apps":[{"app_id":"mp_shop","kind":"mini_program","control":{"server_domains":true},
               "server_domains":["https://api.shop.example"],"granted_apis":["getLocation"]}]})
}

/// Ed25519 key `kid` from a seed, as a JWK.
fn jwk(kid: &str, seed: [u8; 32]) -> serde_json::Value {
    use base64::Engine as _;
    let x = ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(x);
    json!({"kty":"OKP","crv":"Ed25519","kid":kid,"x":x})
}

#[test]
fn re_keying_keeps_what_the_guard_enforces_and_its_floor() {
    let (old, new) = ([1u8; 32], [2u8; 32]);
    let both = json!({"keys":[jwk("old", old), jwk("new", new)]}).to_string();
    let only_new = json!({"keys":[jwk("new", new)]}).to_string();
    let eddsa = |v: u64, kid: &str, seed: &[u8; 32]| {
        bundle::sign_ed25519(&serde_json::to_vec(&policy(v)).unwrap(), kid, seed)
    };
    let mut g = WasmGuard::new(&module(), &json!({"keys":[jwk("old", old)]}).to_string()).unwrap();
    let app = g.app_handle("mp_shop").unwrap();
    let api = g.api_id("getLocation").unwrap();
    g.load(&eddsa(5, "old", &old), NOW).unwrap();
    // A bundle of the next key is unknown until the set has it.
    assert_eq!(
        g.load(&eddsa(6, "new", &new), NOW).unwrap_err().code,
        LoadCode::UnknownKey
    );

    // The rotation publishes the next key: re-keyed, nothing changes.
    assert_eq!(g.set_keys(&both).unwrap(), Rekeyed::Kept);
    assert!(
        g.check_api_id(app, api, NOW).allow(),
        "the ids or the bundle were lost"
    );
    assert_eq!(g.floor().unwrap().version, 5);
    assert_eq!(
        g.load(&eddsa(4, "old", &old), NOW).unwrap_err().code,
        LoadCode::StaleVersion
    );
    g.load(&eddsa(6, "new", &new), NOW).unwrap();

    // The old key is withdrawn; the bundle in force is the new key's.
    assert_eq!(g.set_keys(&only_new).unwrap(), Rekeyed::Kept);
    assert!(g.check_api_id(app, api, NOW).allow());
    // Tried: a bundle signed with the withdrawn key.
    assert_eq!(
        g.load(&eddsa(7, "old", &old), NOW).unwrap_err().code,
        LoadCode::UnknownKey
    );

    // A key set that does not have the bundle's key any more: the bundle is
    // dropped, the floor stays (nothing older comes back), no policy.
    let other = json!({"keys":[jwk("other", [3u8; 32])]}).to_string();
    match g.set_keys(&other).unwrap() {
        Rekeyed::Dropped(e) => assert_eq!(e.code, LoadCode::UnknownKey),
        r => panic!("{r:?}"),
    }
    assert_eq!(
        g.check_api_id(app, api, NOW),
        guard_core::Verdict::deny(DenyCode::NoPolicy)
    );
    assert_eq!(g.floor().unwrap().version, 6);
    assert_eq!(
        g.load(&eddsa(5, "other", &[3u8; 32]), NOW)
            .unwrap_err()
            .code,
        LoadCode::StaleVersion
    );

    // Keys the module refuses leave the guard as it was.
    g.set_keys(&only_new).unwrap();
    g.load(&eddsa(8, "new", &new), NOW).unwrap();
    assert!(matches!(
        g.set_keys(r#"{"keys":[]}"#),
        Err(HostError::Secret(_))
    ));
    assert!(g.check_api_id(app, api, NOW).allow());
    assert_eq!(g.floor().unwrap().version, 8);

    // From nothing: an empty guard re-keys to nothing to re-load.
    let mut empty = WasmGuard::new(&module(), SECRET).unwrap();
    assert_eq!(empty.set_keys(&only_new).unwrap(), Rekeyed::Empty);
    let hs = sign_policy(&policy(1), SECRET).unwrap();
    assert_eq!(empty.load(&hs, NOW).unwrap_err().code, LoadCode::UnknownKey);
}

#[test]
fn decide_with_href_is_one_check_and_one_report() {
    let mut g = WasmGuard::new(&module(), SECRET).unwrap();
    g.load(&sign_policy(&policy(1), SECRET).unwrap(), NOW)
        .unwrap();
    let (d, href) = g.decide_check_href(
        "mp_shop",
        &guard_core::Check::Url(CheckKind::Request, "https://API.shop.example/x"),
        NOW,
    );
    assert!(d.allow);
    assert_eq!(href.as_deref(), Some("https://api.shop.example/x"));
    let (d, href) = g.decide_check_href(
        "mp_shop",
        &guard_core::Check::Url(CheckKind::Request, "https://evil.example/x"),
        NOW,
    );
    assert_eq!(d.code, Some(DenyCode::DomainNotWhitelisted));
    assert_eq!(
        d.message,
        g.decide("mp_shop", CheckKind::Request, "https://evil.example/x", NOW)
            .message
    );
    assert_eq!(href.as_deref(), Some("https://evil.example/x"));
    let batch = g.take_reports(NOW);
    assert_eq!(batch.reports.len(), 1);
    assert_eq!(
        batch.reports[0].count, 2,
        "one report per check, not per call into the module"
    );
    let (d, href) = g.decide_check_href("mp_shop", &guard_core::Check::Api("getLocation"), NOW);
    assert!(d.allow && href.is_none());
}

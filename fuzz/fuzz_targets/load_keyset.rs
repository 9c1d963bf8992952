//! Arbitrary bytes against a guard created with roots (contract v3, §2.1):
//! as a key-set JWS, as a key-set payload signed by a root, and as the
//! signed state a host persists. Never a panic; a refused key set changes
//! nothing (the key set in force, the floors, the decisions); an accepted
//! one never lowers the key-set floor and never carries a root; no key set
//! the fuzzer writes is accepted unless a root signed it; and a restored
//! state holds only documents it was given.
#![no_main]

use std::sync::OnceLock;

use guard_core::keys::KeySet;
use guard_core::{bundle, keyset, CheckKind, Guard, GuardConfig, SignedState};
use libfuzzer_sys::fuzz_target;

const ROOT: [u8; 32] = [1; 32];
const SIGNER: [u8; 32] = [2; 32];
const NOW: u64 = 100;

fn public(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes()
}

/// The key set in force before the input: version 5, the key `k`; signed
/// once (Ed25519 signing dominates an iteration otherwise).
fn first_keyset() -> &'static str {
    static JWS: OnceLock<String> = OnceLock::new();
    JWS.get_or_init(|| {
        let payload = format!(
            r#"{{"superapp_id":"fuzz","version":5,"issued_at":0,"expires_at":1000,
            "keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k","x":"{}"}}]}}"#,
            keyset::encode_x(&public(&SIGNER))
        );
        keyset::sign(payload.as_bytes(), "root-1", &ROOT)
    })
}

/// The bundle in force before the input, signed by `k`, once.
fn first_bundle() -> &'static str {
    static JWS: OnceLock<String> = OnceLock::new();
    JWS.get_or_init(|| {
        let policy = br#"{"schema":3,"superapp_id":"fuzz","version":7,"issued_at":0,
          "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
          "apps":[{"app_id":"a","kind":"mini_program","control":{"server_domains":true},
          "server_domains":["https://api.example"]}]}"#;
        bundle::sign_ed25519(policy, "k", &SIGNER)
    })
}

/// A guard created with the one root, that has loaded nothing.
fn bare_guard() -> Guard {
    let mut roots = KeySet::default();
    roots
        .add_ed25519("root-1", &public(&ROOT))
        .expect("a valid root");
    Guard::from_config(GuardConfig::roots(roots, "fuzz"))
}

/// [`bare_guard`] with the first key set and a bundle it admitted.
fn guard() -> Guard {
    let mut guard = bare_guard();
    guard
        .load_keys(first_keyset(), NOW)
        .expect("the first key set loads");
    guard.load(first_bundle(), NOW).expect("the bundle loads");
    guard
}

/// What a refused load must leave as it was: the key set in force, the
/// floors, the signed state and three decisions.
type Snapshot = (
    Option<guard_core::KeysetStatus>,
    Option<u64>,
    Option<SignedState>,
    [bool; 3],
);

fn snapshot(g: &Guard) -> Snapshot {
    let allow = |kind, subject| g.decide("a", kind, subject, NOW).allow;
    (
        g.keyset_status(),
        g.highest_version(),
        g.signed_state(),
        [
            allow(CheckKind::Api, "getLocation"),
            allow(CheckKind::Request, "https://api.example/"),
            allow(CheckKind::Request, "https://evil.example/"),
        ],
    )
}

/// The snapshot of [`guard`], taken once.
fn base() -> &'static Snapshot {
    static BASE: OnceLock<Snapshot> = OnceLock::new();
    BASE.get_or_init(|| snapshot(&guard()))
}

/// An accepted key set never lowers the floor and carries no root.
fn check_accepted(after: &Guard) {
    let old = &base().0;
    let new = after
        .keyset_status()
        .expect("an accepted key set is in force");
    assert!(
        old.as_ref().is_none_or(|o| o.version <= new.version),
        "the floor went down"
    );
    assert!(!new.kids.is_empty() && new.kids.len() <= 16, "{new:?}");
    assert!(
        !new.kids.iter().any(|k| k == "root-1"),
        "a root as a signing key"
    );
    assert!(new.expires_at > NOW, "an expired key set in force");
}

fuzz_target!(|data: &[u8]| {
    let mut g = guard();
    // As a key-set JWS: only the one a root signed is accepted.
    if let Ok(text) = std::str::from_utf8(data) {
        match g.load_keys(text, NOW) {
            Ok(_) => {
                assert_eq!(text, first_keyset(), "a key set no root signed");
                g = guard();
            }
            Err(_) => assert_eq!(&snapshot(&g), base(), "a refused key set changed state"),
        }
    }
    // As a payload a root signed: steps 5 to 9 (on the guard as it was).
    match g.load_keys(&keyset::sign(data, "root-1", &ROOT), NOW) {
        Ok(_) => check_accepted(&g),
        Err(_) => assert_eq!(&snapshot(&g), base(), "a refused payload changed state"),
    }
    // As persisted state: restored only from documents the roots verify.
    if let Ok(state) = SignedState::from_json(&String::from_utf8_lossy(data)) {
        let mut fresh = bare_guard();
        if fresh.restore_state(&state, NOW).is_ok() {
            let kept = fresh.signed_state().expect("a guard with roots has state");
            let given = [&state.keyset, &state.bundle_keyset, &state.bundle];
            for doc in [&kept.keyset, &kept.bundle_keyset, &kept.bundle]
                .into_iter()
                .flatten()
            {
                assert!(
                    given.iter().any(|g| g.as_ref() == Some(doc)),
                    "an invented document"
                );
            }
        } else {
            assert_eq!(fresh.keyset_status(), None);
            assert_eq!(fresh.highest_version(), None);
        }
    }
});

//! Arbitrary bytes as a bundle, and as a validly signed policy payload (HS256
//! and EdDSA): loading must never panic, and a refused load must not change
//! any decision.
#![no_main]

use guard_core::{bundle, CheckKind, Guard, KeySet};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "k3yK3yk3yK3yk3y1";
const SEED: [u8; 32] = [5; 32];
const BASE: &[u8] = br#"{"schema":1,"superapp_id":"fuzz","version":5,"issued_at":0,
  "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
  "apps":[{"app_id":"a","kind":"mini_program","control":{"server_domains":true},
  "server_domains":["https://api.example"],"granted_apis":["getLocation"]}]}"#;

fn snapshot(g: &Guard) -> [bool; 3] {
    [
        g.decide("a", CheckKind::Api, "getLocation", 10).allow,
        g.decide("a", CheckKind::Request, "https://api.example/", 10)
            .allow,
        g.decide("a", CheckKind::Request, "https://evil.example/", 10)
            .allow,
    ]
}

fuzz_target!(|data: &[u8]| {
    let key = guard_core::SecretKey::new(SECRET).expect("valid key");
    let mut keys = KeySet::secret(key.clone());
    let x = ed25519_dalek::SigningKey::from_bytes(&SEED)
        .verifying_key()
        .to_bytes();
    keys.add_ed25519("k", &x).expect("a valid public key");
    let mut guard = Guard::with_keys(keys);
    guard
        .load(&bundle::sign(BASE, &key), 10)
        .expect("base policy loads");
    let before = snapshot(&guard);
    if let Ok(text) = std::str::from_utf8(data) {
        if guard.load(text, 10).is_err() {
            assert_eq!(
                before,
                snapshot(&guard),
                "a refused bundle changed a decision"
            );
        }
    }
    // The same bytes as a signed payload reach the policy parser and validator.
    if guard.load(&bundle::sign(data, &key), 10).is_err() {
        assert_eq!(
            before,
            snapshot(&guard),
            "a refused policy changed a decision"
        );
    }
    if guard
        .load(&bundle::sign_ed25519(data, "k", &SEED), 10)
        .is_err()
    {
        assert_eq!(
            before,
            snapshot(&guard),
            "a refused EdDSA policy changed a decision"
        );
    }
});

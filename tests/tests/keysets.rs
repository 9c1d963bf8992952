//! Property tests of key-set loading (`docs/policy.md` §2.1, contract v3),
//! against a guard created with roots: no mutation of a valid key set's text
//! is ever accepted (and a refused one changes nothing); random sequences of
//! key sets follow the steps of §2.1 in order, the key-set floor only rises,
//! and bundles verify only with the key set in force; the signed state a
//! host persists restores the same floors, and a tampered one restores
//! nothing.

use guard_core::keys::KeySet;
use guard_core::{bundle, keyset, CheckKind, Guard, GuardConfig, LoadCode, SignedState};
use proptest::prelude::*;
use serde_json::json;

const NOW: u64 = 1_795_305_600;
const SUPERAPP: &str = "prop";
const ROOT_1: [u8; 32] = [1; 32];
const ROOT_2: [u8; 32] = [2; 32];
/// A key no root of the guard has.
const ROGUE: [u8; 32] = [3; 32];
/// The two signing keys: key sets of even versions carry `k-even`, of odd
/// versions `k-odd`.
const SIGNERS: [(&str, [u8; 32]); 2] = [("k-even", [4; 32]), ("k-odd", [5; 32])];

fn public(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes()
}

fn guard() -> Guard {
    let mut roots = KeySet::default();
    roots.add_ed25519("root-1", &public(&ROOT_1)).unwrap();
    roots.add_ed25519("root-2", &public(&ROOT_2)).unwrap();
    Guard::from_config(GuardConfig::roots(roots, SUPERAPP))
}

/// One key set document: its parts decide its bytes (Ed25519 signing is
/// deterministic), so two equal `Doc`s are the same signed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Doc {
    version: u64,
    /// Another `issued_at`: the same version with other bytes.
    variant: bool,
    /// `expires_at` is `NOW` (expired when loaded at `NOW`).
    expired: bool,
    /// Another superapp's (step 7).
    other_superapp: bool,
    /// No keys at all (step 6).
    empty: bool,
    /// 0: root-1, 1: root-2, 2: a key no root has, under the kid `root-1`,
    /// 3: a kid no root has.
    signer: u8,
}

impl Doc {
    fn signer_kid(self) -> &'static str {
        SIGNERS[(self.version % 2) as usize].0
    }

    fn jws(self) -> String {
        let (kid, seed) = SIGNERS[(self.version % 2) as usize];
        let keys = if self.empty {
            json!([])
        } else {
            json!([{"kty": "OKP", "crv": "Ed25519", "kid": kid,
                    "x": keyset::encode_x(&public(&seed))}])
        };
        let payload = json!({
            "superapp_id": if self.other_superapp { "other" } else { SUPERAPP },
            "version": self.version,
            "issued_at": NOW - if self.variant { 7200 } else { 3600 },
            "expires_at": if self.expired { NOW } else { NOW + 1000 },
            "keys": keys,
        });
        let (root_kid, root) = match self.signer {
            0 => ("root-1", &ROOT_1),
            1 => ("root-2", &ROOT_2),
            2 => ("root-1", &ROGUE),
            _ => ("root-3", &ROGUE),
        };
        keyset::sign(payload.to_string().as_bytes(), root_kid, root)
    }

    /// §2.1 steps 3 to 9 for this document against a floor: the outcome.
    fn expect(self, floor: Option<Doc>) -> LoadCode {
        match self.signer {
            3 => return LoadCode::UnknownKey,
            2 => return LoadCode::BadSignature,
            _ => {}
        }
        if self.empty || self.other_superapp {
            return LoadCode::InvalidKeyset;
        }
        if let Some(f) = floor {
            if self.version < f.version || (self.version == f.version && self != f) {
                return LoadCode::StaleVersion;
            }
        }
        if self.expired {
            return LoadCode::Expired;
        }
        LoadCode::Ok
    }
}

fn doc() -> impl Strategy<Value = Doc> {
    (
        0u64..6,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop_oneof![8 => 0u8..2, 1 => 2u8..4],
    )
        .prop_map(
            |(version, variant, expired, other_superapp, empty, signer)| Doc {
                version,
                variant,
                expired,
                other_superapp,
                empty,
                signer,
            },
        )
}

/// A bundle of `version` signed by the signing key `kid`.
fn bundle_by(kid: &str, version: u64) -> String {
    let seed = SIGNERS
        .iter()
        .find(|(k, _)| *k == kid)
        .map(|(_, s)| s)
        .unwrap();
    let policy = json!({"schema": 3, "superapp_id": SUPERAPP, "version": version,
        "issued_at": NOW, "apps": [{"app_id": format!("mp_v{version}"), "kind": "mini_program"}]});
    bundle::sign_ed25519(policy.to_string().as_bytes(), kid, seed)
}

/// How one character of a JWS is changed.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Delete(usize),
    Insert(usize, char),
    Truncate(usize),
    /// The segments in another order.
    Swap(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop::sample::select(
        "AZaz09-_.=+/ \u{0}é"
            .chars()
            .chain(['Q', 'g', 'w', 'B'])
            .collect::<Vec<_>>(),
    );
    prop_oneof![
        4 => (any::<prop::sample::Index>(), c.clone()).prop_map(|(i, c)| Mutation::Replace(i.index(usize::MAX), c)),
        2 => any::<prop::sample::Index>().prop_map(|i| Mutation::Delete(i.index(usize::MAX))),
        2 => (any::<prop::sample::Index>(), c).prop_map(|(i, c)| Mutation::Insert(i.index(usize::MAX), c)),
        1 => any::<prop::sample::Index>().prop_map(|i| Mutation::Truncate(i.index(usize::MAX))),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

impl Mutation {
    fn apply(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = chars.clone();
        if chars.is_empty() {
            return "A".into();
        }
        match *self {
            Mutation::Replace(i, c) => out[i % chars.len()] = c,
            Mutation::Delete(i) => {
                out.remove(i % chars.len());
            }
            Mutation::Insert(i, c) => out.insert(i % (chars.len() + 1), c),
            Mutation::Truncate(i) => out.truncate(i % chars.len()),
            Mutation::Swap(a, b) => {
                let mut parts: Vec<&str> = text.split('.').collect();
                if a.max(b) >= parts.len() {
                    return text.to_owned();
                }
                parts.swap(a, b);
                return parts.join(".");
            }
        }
        out.into_iter().collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No change to the text of a valid key set is ever accepted, and a
    /// refused one changes nothing: the key set in force, the bundle in
    /// force, and which bundles verify.
    #[test]
    fn mutated_key_sets_are_never_accepted(mutations in prop::collection::vec(mutation(), 1..4)) {
        let first = Doc { version: 2, variant: false, expired: false, other_superapp: false,
            empty: false, signer: 0 };
        let next = Doc { version: 3, ..first };
        let mut g = guard();
        g.load_keys(&first.jws(), NOW).unwrap();
        g.load(&bundle_by(first.signer_kid(), 10), NOW).unwrap();
        let good = next.jws();
        let mut text = good.clone();
        for m in &mutations {
            text = m.apply(&text);
        }
        prop_assume!(text != good);
        let before = (g.keyset_status(), g.highest_version(), g.signed_state());
        prop_assert!(g.load_keys(&text, NOW).is_err(), "accepted {:?}", text);
        prop_assert_eq!(&(g.keyset_status(), g.highest_version(), g.signed_state()), &before);
        prop_assert_eq!(g.load(&bundle_by(next.signer_kid(), 11), NOW).unwrap_err().code, LoadCode::UnknownKey);
        prop_assert!(g.decide("mp_v10", CheckKind::Api, "showToast", NOW).allow);
        // The unchanged text loads: the property is not vacuous.
        g.load_keys(&good, NOW).unwrap();
        g.load(&bundle_by(next.signer_kid(), 11), NOW).unwrap();
    }

    /// Random key sets in random order: each load answers the first failing
    /// step of §2.1, the key-set floor only rises, and a bundle verifies
    /// only with the key set in force.
    #[test]
    fn key_set_loads_follow_the_steps_and_floors_only_rise(docs in prop::collection::vec(doc(), 1..12)) {
        let mut g = guard();
        let mut floor: Option<Doc> = None;
        let mut bundle_version = 0;
        for d in docs {
            let want = d.expect(floor);
            let got = g.load_keys(&d.jws(), NOW).err().map_or(LoadCode::Ok, |e| e.code);
            prop_assert_eq!(got, want, "{:?} over floor {:?}", d, floor);
            let before = g.keyset_status().map(|k| k.version);
            if want == LoadCode::Ok {
                prop_assert!(floor.is_none_or(|f| f.version <= d.version));
                floor = Some(d);
            }
            prop_assert_eq!(g.keyset_status().map(|k| k.version), floor.map(|f| f.version));
            prop_assert!(before <= g.keyset_status().map(|k| k.version));
            // Bundles: only the key of the key set in force signs.
            bundle_version += 1;
            for (kid, _) in SIGNERS {
                let got = g.load(&bundle_by(kid, bundle_version), NOW);
                let in_force = floor.is_some_and(|f| f.signer_kid() == kid);
                prop_assert_eq!(got.is_ok(), in_force, "{} over floor {:?}: {:?}", kid, floor, got);
                if !in_force {
                    prop_assert_eq!(got.unwrap_err().code, LoadCode::UnknownKey);
                }
            }
        }
    }

    /// The signed state restores the same floors into a new guard; any
    /// change to one of its documents restores nothing.
    #[test]
    fn signed_state_restores_the_floors_and_nothing_tampered(
        docs in prop::collection::vec(doc(), 1..8),
        m in mutation(),
        which in 0usize..3,
    ) {
        let mut g = guard();
        let mut version = 0;
        for d in docs {
            if g.load_keys(&d.jws(), NOW).is_ok() {
                version += 1;
                g.load(&bundle_by(d.signer_kid(), version), NOW).unwrap();
            }
        }
        let state = g.signed_state().unwrap();
        let mut restored = guard();
        let back = restored.restore_state(&SignedState::from_json(&state.to_json()).unwrap(), NOW).unwrap();
        prop_assert_eq!(back.keyset, g.keyset_status());
        prop_assert_eq!(back.floor, g.highest_version());
        prop_assert_eq!(restored.signed_state(), Some(state.clone()));

        let mut tampered = state.clone();
        let slot = match which {
            0 => &mut tampered.keyset,
            1 => &mut tampered.bundle_keyset,
            _ => &mut tampered.bundle,
        };
        let Some(text) = slot.as_mut() else { return Ok(()) };
        let changed = m.apply(text);
        prop_assume!(changed != *text);
        *text = changed;
        let mut fresh = guard();
        prop_assert!(fresh.restore_state(&tampered, NOW).is_err(), "{:?}", tampered);
        prop_assert_eq!(fresh.keyset_status(), None);
        prop_assert_eq!(fresh.highest_version(), None);
    }
}

//! Ed25519 signing keys: bundles verify with the public key set alone, the
//! private key is sealed at rest and never shown, rotation publishes the next
//! key before it signs, and a retired key leaves the set after the grace
//! period. SQLite and PostgreSQL (sealed keys are bytes at rest).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{both_stores, Harness, T0};
use guard_core::{Guard, KeySet};
use guard_server::distribution::sealing::Kek;
use guard_server::{AppState, Clock, Limits};
use serde_json::{json, Value};
use sqlx::Row;

const NOW: u64 = T0 as u64;
const DAY: i64 = 86_400;

fn header(bundle: &str) -> Value {
    let h = URL_SAFE_NO_PAD
        .decode(bundle.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&h).unwrap()
}

/// The kids of a key set, sorted.
fn kids(keys_json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(keys_json).unwrap();
    let mut out: Vec<String> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn device(keys_json: &str) -> Guard {
    Guard::with_keys(KeySet::from_json(keys_json).unwrap())
}

#[tokio::test]
async fn eddsa_bundles_verify_with_keys_json_and_keys_rotate() {
    for (backend, store) in both_stores("signing").await {
        let kek = [9u8; 32];
        let clock = Clock::manual(T0);
        let state = AppState::new(store.clone(), clock.clone(), Limits::default())
            .with_kek(Kek::from_bytes(kek))
            .with_key_periods(2 * DAY, 14 * DAY);
        let mut h = Harness::from_state(backend, state).await;
        h.world().await;

        // A device configured with keys.json alone (no secret) loads the bundle.
        let r = h
            .call("GET", "/api/v1/superapps/sa1/keys.json", None, None)
            .await;
        assert_eq!(r.status, 200);
        let etag = r.headers["etag"].to_str().unwrap().to_owned();
        let keys0 = r.text.clone();
        let k1 = kids(&keys0);
        assert_eq!(k1.len(), 1, "[{backend}] {keys0}");
        for k in serde_json::from_str::<Value>(&keys0).unwrap()["keys"]
            .as_array()
            .unwrap()
        {
            let mut names: Vec<_> = k.as_object().unwrap().keys().cloned().collect();
            names.sort();
            assert_eq!(names, ["crv", "kid", "kty", "x"], "public parts only");
        }
        let r = h
            .raw(
                axum::http::Request::get("/api/v1/superapps/sa1/keys.json")
                    .header("if-none-match", &etag)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 304);
        let (b0, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(header(&b0), json!({"alg": "EdDSA", "kid": k1[0]}));
        let mut g = device(&keys0);
        g.load(&b0, NOW).unwrap();
        // Another superapp's key set does not verify it.
        assert!(device(&h.keys_json("sa2").await).load(&b0, NOW).is_err());

        // The seed is sealed in the store, and nowhere in clear.
        let rows = sqlx::query("SELECT superapp_id, kid, x, sealed FROM signing_keys")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert!(rows.len() >= 2);
        let mut secrets = Vec::new();
        for row in &rows {
            let (sid, kid, sealed): (String, String, String) = (
                row.try_get("superapp_id").unwrap(),
                row.try_get("kid").unwrap(),
                row.try_get("sealed").unwrap(),
            );
            let seed = Kek::from_bytes(kek).open(&sid, &kid, &sealed).unwrap();
            assert_eq!(seed.len(), 32);
            let raw = STANDARD.decode(&sealed).unwrap();
            assert!(
                !raw.windows(32).any(|w| w == seed.as_slice()),
                "sealed bytes hold the seed"
            );
            assert!(Kek::from_bytes([1; 32]).open(&sid, &kid, &sealed).is_err());
            secrets.push(guard_server::util::hex(&seed));
            secrets.push(URL_SAFE_NO_PAD.encode(&seed));
            secrets.push(STANDARD.encode(&seed));
        }
        let mut seen =
            common::text_of_tables(&store, &["signing_keys", "superapps", "audit", "settings"])
                .await;
        // The secrets search below read the tables: it sees the superapp's id.
        assert!(
            seen.contains("sa1"),
            "[{backend}] the tables searched hold no text"
        );

        // Rotation: the next key is published at once and signs nothing yet.
        let rot = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/signing-keys/rotate",
                None,
                200,
            )
            .await;
        seen.push_str(&rot.to_string());
        let k2 = rot["kid"].as_str().unwrap().to_owned();
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/rotate",
            None,
            409,
        )
        .await;
        let keys1 = h.keys_json("sa1").await;
        assert_eq!(kids(&keys1), sorted(vec![k1[0].clone(), k2.clone()]));
        let (b1, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(header(&b1)["kid"], k1[0], "next signs nothing");
        // A device that refreshed its key set before promotion keeps working.
        let mut refreshed = device(&keys1);
        refreshed.load(&b1, NOW).unwrap();

        let pro = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/signing-keys/promote",
                None,
                200,
            )
            .await;
        seen.push_str(&pro.to_string());
        assert_eq!(pro["kid"], k2);
        assert_eq!(pro["retired"], k1[0]);
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/promote",
            None,
            409,
        )
        .await;
        let (b2, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(header(&b2)["kid"], k2, "the new key signs the next bundle");
        refreshed.load(&b2, NOW).unwrap();
        let keys2 = h.keys_json("sa1").await;
        assert_eq!(
            kids(&keys2),
            sorted(vec![k1[0].clone(), k2.clone()]),
            "old key retired, still published"
        );
        // The old key still verifies bundles signed before.
        device(&keys2).load(&b0, NOW).unwrap();
        seen.push_str(&b0);
        seen.push_str(&b2);
        seen.push_str(&keys2);

        // After the grace period the retired key leaves the set.
        clock.advance(14 * DAY + 1);
        let keys3 = h.keys_json("sa1").await;
        assert_eq!(kids(&keys3), vec![k2.clone()]);
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        seen.push_str(&audit.to_string());
        let actions: Vec<_> = audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap().to_owned())
            .collect();
        for a in [
            "rotate_signing_key",
            "promote_signing_key",
            "drop_signing_key",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }

        // A rotated key is promoted by itself after the pre-publication period.
        let rot = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/signing-keys/rotate",
                None,
                200,
            )
            .await;
        clock.advance(2 * DAY + 1);
        let (b3, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(header(&b3)["kid"], rot["kid"]);

        for s in &secrets {
            assert!(
                !seen.contains(s.as_str()),
                "[{backend}] a private key is visible"
            );
        }

        // HS256 stays available per superapp, with the bundle key.
        let sa = h
            .ok(
                "sa_admin",
                "PATCH",
                "/api/v1/superapps/sa1",
                Some(json!({"bundle_alg": "HS256"})),
                200,
            )
            .await;
        assert_eq!(sa["bundle_alg"], "HS256");
        let (b4, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert_eq!(header(&b4)["alg"], "HS256");
        Guard::new(&h.bundle_key("sa1").await)
            .unwrap()
            .load(&b4, NOW)
            .unwrap();
        h.ok(
            "sa_admin",
            "PATCH",
            "/api/v1/superapps/sa1",
            Some(json!({"bundle_alg": "none"})),
            400,
        )
        .await;
        // Only the superapp admin rotates.
        for who in ["senior", "review", "admin", "platform", "dev", "sa2_admin"] {
            h.ok(
                who,
                "POST",
                "/api/v1/superapps/sa1/signing-keys/rotate",
                None,
                403,
            )
            .await;
        }
    }
}

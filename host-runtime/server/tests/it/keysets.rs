//! Contract v3 key sets (`policy.md` §2.1) on the server: each superapp's
//! root signs its key set, which devices verify against the roots in
//! `config.json` and then take bundles from; a rotation publishes a key set
//! before the new key signs; ETag, 304 and the long-poll as for bundles; a
//! superapp that keeps its root offline uploads key sets, and every hostile
//! upload is refused. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{both_stores, stores, Harness, Resp, T0};
use guard_core::{keyset, CheckKind, Guard, GuardConfig, LoadCode};
use guard_server::distribution::sealing::Kek;
use guard_server::{AppState, Clock, Limits};
use serde_json::{json, Value};
use sqlx::Row;

const NOW: u64 = T0 as u64;
const DAY: i64 = 86_400;
const KEK: [u8; 32] = [9u8; 32];

async fn harness(
    backend: &'static str,
    store: guard_server::store::Store,
    clock: &Clock,
) -> Harness {
    let state = AppState::new(store, clock.clone(), Limits::default())
        .with_kek(Kek::from_bytes(KEK))
        .with_key_periods(2 * DAY, 20 * DAY);
    let mut h = Harness::from_state(backend, state).await;
    h.world().await;
    h
}

fn segment(jws: &str, i: usize) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(jws.split('.').nth(i).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn kids(keyset_jws: &str) -> Vec<String> {
    let mut out: Vec<String> = segment(keyset_jws, 1)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// The superapp's configuration file, as its admin downloads it.
async fn config(h: &Harness, sid: &str) -> Value {
    let admin = if sid == "sa1" {
        "sa_admin"
    } else {
        "sa2_admin"
    };
    h.ok(
        admin,
        "GET",
        &format!("/api/v1/superapps/{sid}/config.json"),
        None,
        200,
    )
    .await
}

/// A device of `sid`, created as contract v3 says: the roots and superapp id
/// of the configuration file, nothing else.
fn device(config: &Value) -> Guard {
    let c = json!({"roots": config["roots"], "superapp_id": config["superapp_id"]});
    Guard::from_config(GuardConfig::from_json(&c.to_string()).unwrap())
}

/// `GET …/keyset` without credentials: (body, ETag).
async fn keyset_of(h: &Harness, sid: &str) -> (String, String) {
    let r = h
        .call(
            "GET",
            &format!("/api/v1/superapps/{sid}/keyset"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {}", h.backend, r.text);
    assert_eq!(r.headers["content-type"], "application/jose");
    (r.text, r.headers["etag"].to_str().unwrap().to_owned())
}

async fn get_with(h: &Harness, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    h.raw(req.body(Body::empty()).unwrap()).await
}

/// `who` (or nobody) uploads `jws` as `sid`'s key set.
async fn upload(h: &Harness, who: Option<&str>, sid: &str, jws: &str) -> Resp {
    let mut req = Request::put(format!("/api/v1/superapps/{sid}/keyset"))
        .header("content-type", "application/jose");
    if let Some(who) = who {
        req = req.header("authorization", format!("Bearer {}", h.token(who)));
    }
    h.raw(req.body(Body::from(jws.to_owned())).unwrap()).await
}

fn public_x(seed: &[u8; 32]) -> String {
    keyset::encode_x(
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .as_bytes(),
    )
}

fn root_jwk(kid: &str, seed: &[u8; 32]) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": public_x(seed)})
}

/// A key set of `sid` at `version` listing `keys`, signed by `seed` as `kid`.
fn signed(sid: &str, version: i64, keys: &Value, kid: &str, seed: &[u8; 32]) -> String {
    let payload = json!({
        "superapp_id": sid, "version": version, "issued_at": T0,
        "expires_at": T0 + 30 * DAY, "keys": keys,
    });
    keyset::sign(payload.to_string().as_bytes(), kid, seed)
}

async fn bundle(h: &Harness) -> String {
    h.bundle("/api/v1/superapps/sa1/bundle").await.0
}

#[tokio::test]
async fn the_served_key_set_verifies_against_the_roots_and_admits_the_servers_bundles() {
    for (backend, store) in stores("keysets-serve").await {
        let clock = Clock::manual(T0);
        let h = harness(backend, store.clone(), &clock).await;
        let cfg = config(&h, "sa1").await;
        assert_eq!(cfg["superapp_id"], "sa1");
        assert!(cfg["keyset_url"]
            .as_str()
            .unwrap()
            .ends_with("/api/v1/superapps/sa1/keyset"));
        let roots = cfg["roots"].as_array().unwrap();
        assert_eq!(roots.len(), 1, "[{backend}] {cfg}");
        let mut members: Vec<_> = roots[0].as_object().unwrap().keys().cloned().collect();
        members.sort();
        assert_eq!(members, ["crv", "kid", "kty", "x"], "public parts only");

        let (ks, etag) = keyset_of(&h, "sa1").await;
        assert_eq!(
            segment(&ks, 0),
            json!({"alg": "EdDSA", "kid": roots[0]["kid"], "typ": "guard-keyset+jws"})
        );
        let payload = segment(&ks, 1);
        assert_eq!(payload["superapp_id"], "sa1");
        assert_eq!(
            payload["expires_at"].as_i64().unwrap() - payload["issued_at"].as_i64().unwrap(),
            28 * DAY
        );
        let keys_json: Value = serde_json::from_str(&h.keys_json("sa1").await).unwrap();
        assert_eq!(payload["keys"], keys_json["keys"], "the published keys");

        // A device with the roots alone takes the key set, then the bundle.
        let mut g = device(&cfg);
        let status = g.load_keys(&ks, NOW).unwrap();
        assert_eq!(status.version, payload["version"].as_u64().unwrap());
        let b = bundle(&h).await;
        g.load(&b, NOW).unwrap();
        assert!(g
            .check_url("mp1", CheckKind::Request, "https://x.example/", NOW)
            .verdict
            .allow());
        // The app bundle too (on another device: it has the same version).
        let mut app_device = device(&cfg);
        app_device.load_keys(&ks, NOW).unwrap();
        app_device
            .load(&h.bundle("/api/v1/apps/mp1/bundle").await.0, NOW)
            .unwrap();
        // Another superapp's key set or bundle does not.
        let (other, _) = keyset_of(&h, "sa2").await;
        assert_eq!(
            device(&cfg).load_keys(&other, NOW).unwrap_err().code,
            LoadCode::UnknownKey
        );
        let mut sa2 = device(&config(&h, "sa2").await);
        sa2.load_keys(&other, NOW).unwrap();
        assert_eq!(sa2.load(&b, NOW).unwrap_err().code, LoadCode::UnknownKey);

        // ETag and If-None-Match.
        let r = get_with(
            &h,
            "/api/v1/superapps/sa1/keyset",
            &[("if-none-match", &etag)],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_MODIFIED, "[{backend}]");
        assert_eq!(r.headers["etag"].to_str().unwrap(), etag);
        assert!(r.text.is_empty());
        let r = get_with(
            &h,
            "/api/v1/superapps/sa1/keyset",
            &[("if-none-match", "\"sa1.keyset.0\"")],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        for missing in ["nope", "_platform"] {
            let r = h
                .call(
                    "GET",
                    &format!("/api/v1/superapps/{missing}/keyset"),
                    None,
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{backend}] {missing}");
        }

        // The root is sealed at rest and its seed appears nowhere.
        let rows = sqlx::query("SELECT superapp_id, kid, sealed FROM root_keys")
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2, "one root per superapp");
        let mut seen =
            common::text_of_tables(&store, &["keysets", "audit", "superapps", "signing_keys"])
                .await;
        seen.push_str(&cfg.to_string());
        for row in rows {
            let (sid, kid, sealed): (String, String, String) = (
                row.try_get("superapp_id").unwrap(),
                row.try_get("kid").unwrap(),
                row.try_get("sealed").unwrap(),
            );
            // The search below read the tables: it sees the superapp's id.
            assert!(
                seen.contains(&sid),
                "[{backend}] `{sid}` not in the tables searched"
            );
            let seed = Kek::from_bytes(KEK).open(&sid, &kid, &sealed).unwrap();
            assert_eq!(seed.len(), 32);
            assert!(Kek::from_bytes([1; 32]).open(&sid, &kid, &sealed).is_err());
            for s in [
                guard_server::util::hex(&seed),
                URL_SAFE_NO_PAD.encode(&seed),
                STANDARD.encode(&seed),
            ] {
                assert!(!seen.contains(&s), "[{backend}] a root's seed is visible");
            }
        }
    }
}

#[tokio::test]
async fn a_rotation_publishes_a_key_set_before_the_new_key_signs() {
    for (backend, store) in both_stores("keysets-rotate").await {
        let clock = Clock::manual(T0);
        let h = harness(backend, store, &clock).await;
        let cfg = config(&h, "sa1").await;
        let (ks0, _) = keyset_of(&h, "sa1").await;
        let v0 = segment(&ks0, 1)["version"].as_i64().unwrap();
        let old_kid = kids(&ks0)[0].clone();

        let rot = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/signing-keys/rotate",
                None,
                200,
            )
            .await;
        let next = rot["kid"].as_str().unwrap().to_owned();
        assert_eq!(rot["keyset_version"], v0 + 1, "[{backend}] {rot}");
        let (ks1, _) = keyset_of(&h, "sa1").await;
        assert_eq!(segment(&ks1, 1)["version"], v0 + 1);
        let mut both = vec![old_kid.clone(), next.clone()];
        both.sort();
        assert_eq!(kids(&ks1), both, "the next key is published");
        let b1 = bundle(&h).await;
        assert_eq!(segment(&b1, 0)["kid"], old_kid, "it signs nothing yet");

        // A device that has only the old key set, and one that refreshed.
        let mut stale = device(&cfg);
        stale.load_keys(&ks0, NOW).unwrap();
        let mut fresh = device(&cfg);
        fresh.load_keys(&ks0, NOW).unwrap();
        fresh.load_keys(&ks1, NOW).unwrap();
        fresh.load(&b1, NOW).unwrap();
        // The older key set cannot come back.
        assert_eq!(
            fresh.load_keys(&ks0, NOW).unwrap_err().code,
            LoadCode::StaleVersion
        );

        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/promote",
            None,
            200,
        )
        .await;
        let b2 = bundle(&h).await;
        assert_eq!(segment(&b2, 0)["kid"], next);
        fresh.load(&b2, NOW).unwrap();
        assert_eq!(
            stale.load(&b2, NOW).unwrap_err().code,
            LoadCode::UnknownKey,
            "what the order spares devices"
        );
        let (ks2, _) = keyset_of(&h, "sa1").await;
        assert_eq!(ks2, ks1, "a promotion changes no published key");

        // Half the key set's life: re-issued, same keys, a higher version.
        clock.advance(14 * DAY);
        let (ks3, _) = keyset_of(&h, "sa1").await;
        assert_eq!(segment(&ks3, 1)["version"], v0 + 2, "[{backend}]");
        assert_eq!(kids(&ks3), both);
        // After the grace period the retired key leaves the key set.
        clock.advance(6 * DAY);
        let (ks4, _) = keyset_of(&h, "sa1").await;
        assert_eq!(segment(&ks4, 1)["version"], v0 + 3);
        assert_eq!(kids(&ks4), vec![next.clone()]);
        let now = NOW + 20 * DAY as u64;
        fresh.load_keys(&ks4, now).unwrap();
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        let actions: Vec<_> = audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap().to_owned())
            .collect();
        for a in ["rotate_signing_key", "reissue_keyset", "drop_signing_key"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }
    }
}

#[tokio::test]
async fn the_long_poll_wakes_on_a_rotation() {
    for (backend, store) in both_stores("keysets-longpoll").await {
        let clock = Clock::manual(T0);
        let h = harness(backend, store, &clock).await;
        let (_, tag) = keyset_of(&h, "sa1").await;
        let router = h.router.clone();
        let t = tag.clone();
        let held = tokio::spawn(async move {
            use tower::ServiceExt;
            let req = Request::get("/api/v1/superapps/sa1/keyset")
                .header("if-none-match", t)
                .header("prefer", "wait=30")
                .body(Body::empty())
                .unwrap();
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (status, headers, String::from_utf8(body.to_vec()).unwrap())
        });
        h.state.store.watch.until(|n| *n == 1).await;
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/rotate",
            None,
            200,
        )
        .await;
        let (status, headers, body) = tokio::time::timeout(Duration::from_secs(20), held)
            .await
            .expect("woken long before its 30 s")
            .unwrap();
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert_ne!(headers["etag"].to_str().unwrap(), tag);
        assert_eq!(headers["preference-applied"], "wait=30");
        assert_eq!(body, keyset_of(&h, "sa1").await.0);
        assert_eq!(h.state.store.watch.waiting(), 0);
    }
}

#[tokio::test]
async fn an_offline_root_uploads_key_sets_and_hostile_uploads_are_refused() {
    const ROOT: [u8; 32] = [7u8; 32];
    const OTHER: [u8; 32] = [8u8; 32];
    for (backend, store) in stores("keysets-upload").await {
        let clock = Clock::manual(T0);
        let h = harness(backend, store, &clock).await;
        let (ks0, _) = keyset_of(&h, "sa1").await;
        let v0 = segment(&ks0, 1)["version"].as_i64().unwrap();
        let keys =
            serde_json::from_str::<Value>(&h.keys_json("sa1").await).unwrap()["keys"].clone();

        // Registering roots: the superapp admin alone, public keys only.
        let roots = json!({"roots": [root_jwk("sa1-offline", &ROOT)]});
        let r = h
            .call(
                "PUT",
                "/api/v1/superapps/sa1/roots",
                None,
                Some(roots.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        for who in ["senior", "review", "admin", "platform", "dev", "sa2_admin"] {
            h.ok(
                who,
                "PUT",
                "/api/v1/superapps/sa1/roots",
                Some(roots.clone()),
                403,
            )
            .await;
        }
        let mut private = root_jwk("sa1-offline", &ROOT);
        private["d"] = json!(URL_SAFE_NO_PAD.encode(ROOT));
        let signing = keys[0].clone();
        for bad in [
            json!({"roots": [private]}),
            json!({"roots": [signing]}),
            json!({"roots": [{"kty": "OKP", "crv": "Ed25519", "kid": "r", "x": "AAAA"}]}),
            json!({"roots": "sa1-offline"}),
        ] {
            let b = h
                .ok(
                    "sa_admin",
                    "PUT",
                    "/api/v1/superapps/sa1/roots",
                    Some(bad.clone()),
                    400,
                )
                .await;
            assert_eq!(b["error"]["field"], "roots", "[{backend}] {bad}: {b}");
        }
        let set = h
            .ok(
                "sa_admin",
                "PUT",
                "/api/v1/superapps/sa1/roots",
                Some(roots.clone()),
                200,
            )
            .await;
        assert_eq!(set["offline"], true);
        let cfg = config(&h, "sa1").await;
        assert_eq!(
            cfg["roots"], roots["roots"],
            "devices pin the offline root only"
        );

        // An upload signed by that root is served as given.
        let good = signed("sa1", v0 + 5, &keys, "sa1-offline", &ROOT);
        let r = upload(&h, Some("sa_admin"), "sa1", &format!("{good}\n")).await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
        assert_eq!(r.body["source"], "upload");
        assert_eq!(r.body["version"], v0 + 5);
        let (served, _) = keyset_of(&h, "sa1").await;
        assert_eq!(served, good);
        let mut g = device(&cfg);
        g.load_keys(&served, NOW).unwrap();
        g.load(&bundle(&h).await, NOW).unwrap();

        // Hostile uploads change nothing.
        let bundle_text = bundle(&h).await;
        let other_root = signed("sa1", v0 + 9, &keys, "sa1-other", &OTHER);
        let forged = signed("sa1", v0 + 9, &keys, "sa1-offline", &OTHER);
        let for_sa2 = signed("sa2", v0 + 9, &keys, "sa1-offline", &ROOT);
        let (sa2_keyset, _) = keyset_of(&h, "sa2").await;
        let expired = {
            let payload = json!({"superapp_id": "sa1", "version": v0 + 9, "issued_at": T0 - 10 * DAY,
                "expires_at": T0 - DAY, "keys": keys});
            keyset::sign(payload.to_string().as_bytes(), "sa1-offline", &ROOT)
        };
        for (what, jws, code) in [
            ("a non-root's signature", other_root.as_str(), "unknown_key"),
            ("a forged signature", forged.as_str(), "bad_signature"),
            (
                "another superapp's key set",
                for_sa2.as_str(),
                "invalid_keyset",
            ),
            ("sa2's own key set", sa2_keyset.as_str(), "unknown_key"),
            ("a bundle", bundle_text.as_str(), "unknown_key"),
            ("an expired key set", expired.as_str(), "expired"),
            ("not a JWS", "hello", "malformed_bundle"),
            ("nothing", "", "malformed_bundle"),
        ] {
            let r = upload(&h, Some("sa_admin"), "sa1", jws).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{backend}] {what}: {}",
                r.text
            );
            assert_eq!(r.body["error"]["field"], "keyset", "{what}");
            assert!(
                r.body["error"]["message"].as_str().unwrap().contains(code),
                "[{backend}] {what}: {}",
                r.text
            );
        }
        let lower = signed("sa1", v0 + 4, &keys, "sa1-offline", &ROOT);
        let same_other_bytes = {
            let payload = json!({"superapp_id": "sa1", "version": v0 + 5, "issued_at": T0 + 1,
                "expires_at": T0 + 30 * DAY, "keys": keys});
            keyset::sign(payload.to_string().as_bytes(), "sa1-offline", &ROOT)
        };
        let without_active = signed(
            "sa1",
            v0 + 9,
            &json!([root_jwk("someone-else", &OTHER)]),
            "sa1-offline",
            &ROOT,
        );
        for (what, jws) in [
            ("a lower version", lower.as_str()),
            ("the same version, other bytes", same_other_bytes.as_str()),
            ("the same key set again", good.as_str()),
            ("no active key", without_active.as_str()),
        ] {
            let r = upload(&h, Some("sa_admin"), "sa1", jws).await;
            assert_eq!(
                r.status,
                StatusCode::CONFLICT,
                "[{backend}] {what}: {}",
                r.text
            );
        }
        let higher = signed("sa1", v0 + 9, &keys, "sa1-offline", &ROOT);
        assert_eq!(
            upload(&h, None, "sa1", &higher).await.status,
            StatusCode::UNAUTHORIZED
        );
        for who in ["senior", "review", "admin", "platform", "dev", "sa2_admin"] {
            let r = upload(&h, Some(who), "sa1", &higher).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{backend}] {who}");
        }
        assert_eq!(keyset_of(&h, "sa1").await.0, good, "[{backend}] unchanged");

        // Rotation with an offline root: promotion waits for an upload
        // that lists the new key; the server signs no key set itself.
        let rot = h
            .ok(
                "sa_admin",
                "POST",
                "/api/v1/superapps/sa1/signing-keys/rotate",
                None,
                200,
            )
            .await;
        assert_eq!(rot["keyset_version"], Value::Null);
        assert_eq!(keyset_of(&h, "sa1").await.0, good);
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/promote",
            None,
            409,
        )
        .await;
        clock.advance(3 * DAY);
        let b = bundle(&h).await;
        assert_ne!(
            segment(&b, 0)["kid"],
            rot["kid"],
            "not promoted by time either"
        );
        let keys2 =
            serde_json::from_str::<Value>(&h.keys_json("sa1").await).unwrap()["keys"].clone();
        let listing = signed("sa1", v0 + 6, &keys2, "sa1-offline", &ROOT);
        let r = upload(&h, Some("sa_admin"), "sa1", &listing).await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
        h.ok(
            "sa_admin",
            "POST",
            "/api/v1/superapps/sa1/signing-keys/promote",
            None,
            200,
        )
        .await;
        let b = bundle(&h).await;
        assert_eq!(segment(&b, 0)["kid"], rot["kid"]);
        let now = NOW + 3 * DAY as u64;
        g.load_keys(&listing, now).unwrap();
        g.load(&b, now).unwrap();
        // Half its life later, an uploaded key set is still served as given.
        clock.advance(15 * DAY);
        assert_eq!(keyset_of(&h, "sa1").await.0, listing);

        // Back to the server's root: it signs a higher version at once.
        let back = h
            .ok(
                "sa_admin",
                "PUT",
                "/api/v1/superapps/sa1/roots",
                Some(json!({"roots": []})),
                200,
            )
            .await;
        assert_eq!(back["offline"], false);
        assert_eq!(back["keyset"]["source"], "server");
        assert_eq!(back["keyset"]["version"], v0 + 7);
        let cfg = config(&h, "sa1").await;
        assert_ne!(cfg["roots"], roots["roots"]);
        let now = NOW + 18 * DAY as u64;
        let mut g = device(&cfg);
        g.load_keys(&keyset_of(&h, "sa1").await.0, now).unwrap();
        g.load(&bundle(&h).await, now).unwrap();
    }
}

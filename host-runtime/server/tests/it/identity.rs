//! Identity (issue 22 item 4): new passwords checked for strength through
//! the invite form (decision 446), and app ids held only by a pending or
//! approved binding, freed by a rejection (decision 448). On SQLite: what
//! is decided here does not depend on the store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use axum::http::StatusCode;
use common::{both_stores, statuses_at_once, stores, Harness};
use console_kit::{invite, Browser, PW};
use serde_json::{json, Value};

/// What someone setting a guessable password tries: whitespace of any
/// kind, repeats, sequences, keyboard walks, common passwords and the
/// account's own name. Each is refused naming the field, and the invite
/// stays usable for a good password.
#[tokio::test]
async fn weak_and_whitespace_only_passwords_are_refused_and_the_invite_stays_usable() {
    for (backend, store) in stores("identity-pw").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let code = invite(&h, "dev").await;
        let mut b = Browser::new(h.router.clone());
        for (weak, why) in [
            ("            ", "only spaces"),
            ("\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}", "only spaces"),
            ("aaaaaaaaaaaa", "too easy to guess"),
            ("123456789012", "too easy to guess"),
            ("qwertyuiop12", "too easy to guess"),
            ("password1234", "too easy to guess"),
            ("Password123!", "too easy to guess"),
            ("devdevdevdev", "too easy to guess"),
        ] {
            let p = b.redeem(&code, weak).await;
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{backend}] {weak:?}");
            assert!(p.has(why), "[{backend}] {weak:?}: {}", p.text);
            assert!(b.cookie.is_none(), "[{backend}] {weak:?} signed in");
        }
        let p = b.redeem(&code, PW).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
    }
}

fn new_app(id: &str, team: &str) -> Value {
    json!({"id": id, "name": id, "kind": "mini_program", "team_id": team})
}

/// Two teams creating one app id in two superapps at the same moment (a
/// new id, then one a rejected binding freed): the changes of two scopes do
/// not wait for each other, so the store's key decides, and the loser gets
/// the same 409 as a sequential second create, never a 500.
#[tokio::test]
async fn two_creates_of_one_app_id_racing_in_two_superapps_give_one_201_and_one_409() {
    for (backend, store) in both_stores("identity-race").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        let h = std::sync::Arc::new(h);
        let create = |sid: &'static str, id: String| {
            let h = h.clone();
            let (team, who) = if sid == "sa1" {
                ("t2", "dev2")
            } else {
                ("t1", "dev")
            };
            async move {
                let path = format!("/api/v1/superapps/{sid}/apps");
                let r = h
                    .call("POST", &path, Some(h.token(who)), Some(new_app(&id, team)))
                    .await;
                r.status.as_u16()
            }
        };
        for round in 0..6 {
            let id = format!("race{round}");
            if round % 2 == 1 {
                // Filed and rejected first: the id is free again.
                let b = h
                    .ok(
                        "dev",
                        "POST",
                        "/api/v1/superapps/sa2/apps",
                        Some(new_app(&id, "t1")),
                        201,
                    )
                    .await;
                let bid = b["binding"]["id"].as_str().unwrap();
                let path = format!("/api/v1/bindings/{bid}/decision");
                h.ok(
                    "sa2_admin",
                    "POST",
                    &path,
                    Some(json!({"decision": "reject", "note": "r"})),
                    200,
                )
                .await;
            }
            let got =
                statuses_at_once([create("sa1", id.clone()), create("sa2", id.clone())]).await;
            assert_eq!(got, [201, 409], "[{backend}] round {round}");
            h.ok("admin", "GET", &format!("/api/v1/apps/{id}"), None, 200)
                .await;
        }
    }
}

/// Decision 448. What a squatter tries: filing bindings for ids others
/// will want. A pending or approved binding holds its id everywhere; a
/// rejected one frees it, and whoever takes it next gets a clean app: the
/// rejected app and everything of it are gone, so its old team neither
/// reads nor acts on the new one.
#[tokio::test]
async fn a_rejected_binding_frees_its_app_id_and_a_held_one_stays_taken() {
    for (backend, store) in stores("identity-appid").await {
        let mut h = Harness::new(backend, store).await;
        h.world().await;
        // An approved binding (mp1, t1 on sa1) holds its id in every
        // superapp, for every team.
        for (sid, team, who) in [("sa1", "t2", "dev2"), ("sa2", "t1", "dev")] {
            let r = h
                .call(
                    "POST",
                    &format!("/api/v1/superapps/{sid}/apps"),
                    Some(h.token(who)),
                    Some(new_app("mp1", team)),
                )
                .await;
            assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] {}", r.text);
        }
        // dev2 (t2) squats `wanted` on sa2: pending, it holds the id.
        let squat = h
            .ok(
                "dev2",
                "POST",
                "/api/v1/superapps/sa2/apps",
                Some(new_app("wanted", "t2")),
                201,
            )
            .await;
        h.ok(
            "dev2",
            "POST",
            "/api/v1/apps/wanted/requests",
            Some(json!({"api": "getLocation", "reason": "r"})),
            409,
        )
        .await;
        let r = h
            .call(
                "POST",
                "/api/v1/superapps/sa1/apps",
                Some(h.token("dev")),
                Some(new_app("wanted", "t1")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] pending holds");
        // sa2 rejects it: the id is free again. Until it is taken the
        // rejected app stays readable to its team, note and all.
        let bid = squat["binding"]["id"].as_str().unwrap().to_owned();
        h.ok(
            "sa2_admin",
            "POST",
            &format!("/api/v1/bindings/{bid}/decision"),
            Some(json!({"decision": "reject", "note": "squatting"})),
            200,
        )
        .await;
        h.ok("dev2", "GET", "/api/v1/apps/wanted", None, 200).await;
        let taken = h
            .ok(
                "dev",
                "POST",
                "/api/v1/superapps/sa1/apps",
                Some(new_app("wanted", "t1")),
                201,
            )
            .await;
        assert_eq!(taken["binding"]["status"], "pending", "[{backend}]");
        // The new app is t1's alone: the squatter's team reads nothing of
        // it and its old binding is gone from sa2's list.
        let app = h.ok("dev", "GET", "/api/v1/apps/wanted", None, 200).await;
        assert_eq!(app["team_id"], "t1", "[{backend}] {app}");
        assert_eq!(app["superapp_id"], "sa1", "[{backend}] {app}");
        let r = h
            .call("GET", "/api/v1/apps/wanted", Some(h.token("dev2")), None)
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "[{backend}] {} {}",
            r.status,
            r.text
        );
        let rejected = h
            .ok(
                "sa2_admin",
                "GET",
                "/api/v1/superapps/sa2/bindings?status=rejected",
                None,
                200,
            )
            .await;
        assert!(
            !rejected.to_string().contains("wanted"),
            "[{backend}] {rejected}"
        );
        // The audit record of the new app says what it replaced.
        let audit = h
            .ok("sa_admin", "GET", "/api/v1/superapps/sa1/audit", None, 200)
            .await;
        assert!(
            audit.to_string().contains("replaces_rejected"),
            "[{backend}] {audit}"
        );
        // Once pending again, the id is held again.
        let r = h
            .call(
                "POST",
                "/api/v1/superapps/sa2/apps",
                Some(h.token("dev2")),
                Some(new_app("wanted", "t2")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{backend}] {}", r.text);
    }
}

/// Decision 448: removing a rejected app removes its rows from every table
/// that has an `app_id` column — read from the schema of both stores, so a
/// table added later (and not listed) fails here instead of leaving the
/// rejected app's rows to the next app of its id.
#[tokio::test]
async fn removing_a_rejected_app_reaches_every_table_with_an_app_id() {
    use guard_server::resources::bindings::APP_ROWS;
    use guard_server::store::Backend;
    for (backend, store) in common::both_stores("identity-app-rows").await {
        let sql = match store.backend {
            Backend::Sqlite => {
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND p.name = 'app_id' ORDER BY m.name"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.columns \
                 WHERE table_schema = 'public' AND column_name = 'app_id' ORDER BY table_name"
            }
        };
        let with_app_id: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&store.pool)
            .await
            .unwrap();
        assert!(with_app_id.len() >= APP_ROWS.len(), "[{backend}]");
        let mut listed: Vec<&str> = APP_ROWS.to_vec();
        listed.sort_unstable();
        assert_eq!(with_app_id, listed, "[{backend}] tables with an app_id");
    }
}

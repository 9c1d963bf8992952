//! Secrets at rest (issue 22 item 3, decisions 440–442), on SQLite and
//! PostgreSQL: what someone who reads the database (the SQLite files, or
//! every PostgreSQL table) finds of the secrets the server keeps (signing
//! and root keys included) — nothing in clear —, what an older server's rows in clear become (migration 44),
//! what a secret copied into another superapp's row does (nothing), and
//! the data directory's permissions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::console_kit;

use axum::http::StatusCode;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::{both_stores, stores, Harness, SECRET, SECRET2};
use console_kit::{signed_in, Browser, PW};
use guard_server::distribution::secrets::{openid_secret, seal_stored, MIGRATION};
use guard_server::store::{Backend, Store};
use guard_server::util::hmac_hex;
use serde_json::{json, Value};

/// Every text cell of every table of `store`.
async fn every_table(store: &Store) -> String {
    let sql = match store.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let names: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(&store.pool)
        .await
        .unwrap();
    assert!(names.len() > 20, "{names:?}");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    common::text_of_tables(store, &names).await
}

/// Every byte of the SQLite data directory but the KEK file (nothing on
/// PostgreSQL: its tables are read instead).
fn every_file(store: &Store) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(dir) = &store.data_dir {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() != "kek" {
                bytes.extend(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    bytes
}

/// The labels of the `secrets` that someone reading the database finds.
async fn found_in_the_database(store: &Store, secrets: &[(&str, String)]) -> Vec<String> {
    let tables = every_table(store).await;
    let files = every_file(store);
    let in_files = |s: &str| files.windows(s.len()).any(|w| w == s.as_bytes());
    secrets
        .iter()
        .filter(|(_, s)| tables.contains(s.as_str()) || in_files(s))
        .map(|(label, _)| (*label).to_owned())
        .collect()
}

/// Every signing and root key's seed, opened with the server's KEK from
/// the rows that keep them sealed.
async fn key_seeds(h: &Harness) -> Vec<(String, Vec<u8>)> {
    use sqlx::Row;
    let kek = h.state.kek.as_ref().unwrap();
    let mut seeds = Vec::new();
    for table in ["signing_keys", "root_keys"] {
        for row in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT superapp_id, kid, sealed FROM {table} WHERE sealed IS NOT NULL"
        )))
        .fetch_all(&h.state.store.pool)
        .await
        .unwrap()
        {
            let (sid, kid, sealed): (String, String, String) = (
                row.try_get("superapp_id").unwrap(),
                row.try_get("kid").unwrap(),
                row.try_get("sealed").unwrap(),
            );
            let seed = kek.open(&sid, &kid, &sealed).unwrap();
            assert_eq!(seed.len(), 32, "{kid}");
            seeds.push((format!("{table} {kid}"), seed));
        }
    }
    seeds
}

/// A user `u1` logs in to mp1: the `jscode2session` answer.
async fn log_in(h: &Harness) -> Value {
    let r = add_user(h, "sa1", SECRET, "u1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h
        .call(
            "POST",
            "/api/v1/superapps/sa1/codes",
            Some(SECRET),
            Some(json!({"kind": "login", "app_id": "mp1", "user_id": "u1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let code = r.body["code"].as_str().unwrap();
    let r = h
        .call(
            "GET",
            &format!(
                "/openserver/sns/jscode2session?appid=mp1&secret={}&js_code={code}&grant_type=authorization_code",
                h.app_secrets["mp1"]
            ),
            None,
            None,
        )
        .await;
    assert_eq!(r.body["errcode"], 0, "{}", r.text);
    r.body
}

/// The openserver `checksession` errcode for `session_key` of `openid`.
async fn check_session(h: &Harness, openid: &str, session_key: &str) -> Value {
    let t = h
        .call(
            "GET",
            &format!(
                "/openserver/cgi-bin/token?appid=mp1&secret={}&grant_type=client_credential",
                h.app_secrets["mp1"]
            ),
            None,
            None,
        )
        .await;
    let token = t.body["access_token"].as_str().unwrap();
    let sig = hmac_hex(session_key.as_bytes(), b"");
    let r = h
        .call(
            "GET",
            &format!("/openserver/wxa/checksession?access_token={token}&openid={openid}&signature={sig}&sig_method=hmac_sha256"),
            None,
            None,
        )
        .await;
    r.body["errcode"].clone()
}

/// The backend (SecretKey `key`) adds user `user` to superapp `sid`.
async fn add_user(h: &Harness, sid: &str, key: &str, user: &str) -> common::Resp {
    let path = format!("/api/v1/superapps/{sid}/users");
    h.call("POST", &path, Some(key), Some(json!({ "user_id": user })))
        .await
}

/// `GET path` as `who`, outside the OpenAPI check: a secret that does not
/// open is a 500, which the API document does not list (no client can
/// act on it; the operator reads the log).
async fn get_failing(h: &Harness, path: &str, who: &str) -> (StatusCode, String) {
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header("authorization", format!("Bearer {}", h.token(who)))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// `dev` signs in to the console: the browser and its forms' CSRF token.
async fn console(h: &Harness) -> (Browser, String) {
    let mut b = signed_in(h, "dev").await;
    let mut p = b.get("/console/").await;
    while p.status == StatusCode::SEE_OTHER {
        let to = p.location().to_owned();
        p = b.get(&to).await;
    }
    let csrf = p.csrf();
    (b, csrf)
}

/// What an attacker who reads the database file (or dumps every
/// PostgreSQL table) looks for: the SecretKeys, the bundle keys, the
/// openid secret, a user's session key, a console session's CSRF token —
/// and the secrets that were hashes already. None is there in clear, and
/// each still works.
#[tokio::test]
async fn no_secret_the_server_keeps_is_in_the_database_file_or_tables() {
    for (backend, store) in both_stores("at-rest").await {
        let mut h = Harness::new(backend, store.clone()).await;
        h.world().await;
        h.use_hs256("sa1").await;
        let session = log_in(&h).await;
        let (_browser, csrf) = console(&h).await;
        let secrets = [
            ("SecretKey sa1", SECRET.to_owned()),
            ("SecretKey sa2", SECRET2.to_owned()),
            ("bundle key sa1", h.bundle_key("sa1").await),
            ("bundle key sa2", h.bundle_key("sa2").await),
            ("openid secret", openid_secret(&h.state).await.unwrap()),
            (
                "session key",
                session["session_key"].as_str().unwrap().to_owned(),
            ),
            ("csrf token", csrf),
            ("admin token", h.admin.clone()),
            ("app secret", h.app_secrets["mp1"].clone()),
            ("password", PW.to_owned()),
        ];
        let mut secrets = secrets.to_vec();
        let seeds = key_seeds(&h).await;
        assert!(
            seeds.len() >= 4,
            "[{backend}] a signing and a root key each"
        );
        for (label, seed) in &seeds {
            assert!(
                !every_file(&store).windows(32).any(|w| w == seed.as_slice()),
                "[{backend}] {label}: its raw bytes are in the database files"
            );
            for text in [
                guard_server::util::hex(seed),
                URL_SAFE_NO_PAD.encode(seed),
                STANDARD.encode(seed),
            ] {
                secrets.push((label.as_str(), text));
            }
        }
        for (label, s) in &secrets {
            assert!(s.len() >= 12, "[{backend}] {label}: {s}");
        }
        assert_eq!(
            found_in_the_database(&store, &secrets).await,
            Vec::<String>::new(),
            "[{backend}] secrets in clear in the database"
        );
        // Kept, not lost: each still does its work.
        let openid = session["openid"].as_str().unwrap();
        let key = session["session_key"].as_str().unwrap();
        assert_eq!(check_session(&h, openid, key).await, 0, "[{backend}]");
        let mut g = guard_core::Guard::new(&h.bundle_key("sa1").await).unwrap();
        let (b, _) = h.bundle("/api/v1/superapps/sa1/bundle").await;
        assert!(g.load(&b, 0).is_ok(), "[{backend}] HS256 bundle");
        // The columns say what they hold: a seal or a digest.
        let kept: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT secret_key, bundle_key FROM superapps ORDER BY id")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        for (digest, sealed) in kept {
            assert!(digest.starts_with("hmac:"), "[{backend}] {digest}");
            assert!(sealed.unwrap().starts_with("sealed:"), "[{backend}]");
        }
    }
}

/// An older server's rows in clear (SecretKey, bundle keys, one superapp
/// without a bundle key, the openid secret, a login's session key, a
/// console session's CSRF token): migration 44 seals each once, the same
/// secrets keep working, their bytes leave the database, and a second run
/// changes nothing.
#[tokio::test]
async fn migration_44_seals_what_an_older_server_stored_in_clear() {
    for (backend, store) in both_stores("migration-44").await {
        let mut h = Harness::new(backend, store.clone()).await;
        h.world().await;
        h.use_hs256("sa1").await;
        let session = log_in(&h).await;
        let openid = session["openid"].as_str().unwrap().to_owned();
        let (mut browser, _) = console(&h).await;
        // What an older server wrote, in clear.
        let (bundle, session_key, csrf, openid_plain) = (
            "OldBundleKey0123456789abcdefABCD",
            "0123456789abcdef0123456789abcdef",
            "c5rf0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        );
        for sql in [
            format!("UPDATE superapps SET secret_key = '{SECRET}', bundle_key = '{bundle}' WHERE id = 'sa1'"),
            format!("UPDATE superapps SET secret_key = '{SECRET2}', bundle_key = NULL WHERE id = 'sa2'"),
            format!("UPDATE settings SET value = '{openid_plain}' WHERE name = 'openid_secret'"),
            format!("UPDATE sessions SET session_key = '{session_key}'"),
            format!("UPDATE console_sessions SET csrf = '{csrf}'"),
            format!("DELETE FROM schema_migrations WHERE version = {MIGRATION}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&store.pool)
                .await
                .unwrap();
        }
        // Before the migration a value in clear is never used as it is.
        let r = add_user(&h, "sa1", SECRET, "u2").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{backend}]");
        let (status, text) = get_failing(&h, "/api/v1/superapps/sa1/bundle-key", "sa_admin").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "[{backend}]");
        assert!(!text.contains(bundle), "[{backend}] {text}");

        // The reader finds them all now (so the search below can fail).
        let in_clear = [
            ("SecretKey sa1", SECRET.to_owned()),
            ("SecretKey sa2", SECRET2.to_owned()),
            ("bundle key sa1", bundle.to_owned()),
            ("openid secret", openid_plain.to_owned()),
            ("session key", session_key.to_owned()),
            ("csrf token", csrf.to_owned()),
        ];
        assert_eq!(
            found_in_the_database(&store, &in_clear).await.len(),
            in_clear.len(),
            "[{backend}]"
        );

        // sa1's two, sa2's two (one new), the openid secret, one session
        // key, one CSRF token.
        assert_eq!(seal_stored(&h.state).await.unwrap(), 7, "[{backend}]");
        assert_eq!(seal_stored(&h.state).await.unwrap(), 0, "[{backend}]");
        let done: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(MIGRATION)
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(done, [MIGRATION], "[{backend}]");

        // The same secrets work.
        let r = add_user(&h, "sa1", SECRET, "u2").await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
        assert_eq!(h.bundle_key("sa1").await, bundle, "[{backend}]");
        let sa2_key = h.bundle_key("sa2").await;
        assert_eq!(sa2_key.len(), 32, "[{backend}] sa2 got a bundle key");
        assert_eq!(
            openid_secret(&h.state).await.unwrap(),
            openid_plain,
            "[{backend}]"
        );
        assert_eq!(
            check_session(&h, &openid, session_key).await,
            0,
            "[{backend}]"
        );
        let p = browser.post("/console/logout", &[("csrf", csrf)]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{backend}] {}", p.text);
        assert!(browser.cookie.is_none(), "[{backend}] signed out");

        // And their bytes are gone from the database.
        let mut secrets = in_clear.to_vec();
        secrets.push(("bundle key sa2", sa2_key));
        assert_eq!(
            found_in_the_database(&store, &secrets).await,
            Vec::<String>::new(),
            "[{backend}] secrets in clear after migration 44"
        );
    }
}

/// What someone who can write the database but has no KEK tries: copying
/// sa1's SecretKey digest and sealed bundle key into sa2's row. sa1's
/// SecretKey does not authenticate sa2 (nor does sa2's own any more), and
/// sa2's bundle key does not open as sa1's: a 500 naming sa2's key, never
/// sa1's key served.
#[tokio::test]
async fn a_secret_copied_to_another_row_neither_opens_nor_matches() {
    for (backend, store) in stores("copied-secret").await {
        let mut h = Harness::new(backend, store.clone()).await;
        h.world().await;
        let sa1_key = h.bundle_key("sa1").await;
        sqlx::query(
            "UPDATE superapps SET secret_key = (SELECT secret_key FROM superapps WHERE id = 'sa1'), \
             bundle_key = (SELECT bundle_key FROM superapps WHERE id = 'sa1') WHERE id = 'sa2'",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        for key in [SECRET, SECRET2] {
            let r = add_user(&h, "sa2", key, "u9").await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{backend}] {key}");
        }
        let (status, text) = get_failing(&h, "/api/v1/superapps/sa2/bundle-key", "sa2_admin").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "[{backend}]");
        assert!(!text.contains(&sa1_key), "[{backend}] {text}");
        // sa1 itself is untouched.
        let r = add_user(&h, "sa1", SECRET, "u9").await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
    }
}

/// The data directory is 0700 and the database 0600 — a new one, and one
/// an older server left readable to every local user (0755 / 0644).
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_are_private_to_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let fresh = common::temp_dir("private").join("data");
    let store = Store::open_sqlite(&fresh).await.unwrap();
    Harness::new("sqlite", store.clone()).await;
    assert_eq!(mode(&fresh), 0o700);
    for name in ["guard.db", "guard.db-wal", "guard.db-shm"] {
        let f = fresh.join(name);
        if f.exists() {
            assert_eq!(mode(&f), 0o600, "{name}");
        }
    }
    assert!(fresh.join("guard.db-wal").exists(), "WAL mode");
    store.pool.close().await;

    // An older server's directory, open to everyone.
    std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in ["guard.db", "guard.db-wal", "guard.db-shm"] {
        let f = fresh.join(name);
        if f.exists() {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let again = Store::open_sqlite(&fresh).await.unwrap();
    assert_eq!(mode(&fresh), 0o700);
    for name in ["guard.db", "guard.db-wal", "guard.db-shm"] {
        let f = fresh.join(name);
        if f.exists() {
            assert_eq!(mode(&f), 0o600, "{name} of an older server");
        }
    }
    again.pool.close().await;
}

/// An operator who starts an older server's database with a wrong KEK:
/// migration 44 refuses before sealing anything (a SecretKey digested
/// under the wrong KEK could never be checked again), and the right KEK
/// then seals it.
#[tokio::test]
async fn a_wrong_kek_seals_nothing() {
    for (backend, store) in stores("wrong-kek").await {
        let mut h = Harness::new(backend, store.clone()).await;
        h.world().await;
        guard_server::distribution::keyring::check_and_fill(&h.state)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE superapps SET secret_key = '{SECRET}' WHERE id = 'sa1'"
        )))
        .execute(&store.pool)
        .await
        .unwrap();
        let wrong = guard_server::AppState::new(
            store.clone(),
            h.state.clock.clone(),
            guard_server::Limits::default(),
        )
        .with_kek(guard_server::distribution::sealing::Kek::from_bytes(
            [9; 32],
        ));
        let e = format!("{:?}", seal_stored(&wrong).await.unwrap_err());
        assert!(e.contains("wrong GUARD_KEK"), "[{backend}] {e}");
        let kept: String = sqlx::query_scalar("SELECT secret_key FROM superapps WHERE id = 'sa1'")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(kept, SECRET, "[{backend}] left as it was");
        assert_eq!(seal_stored(&h.state).await.unwrap(), 1, "[{backend}]");
        let r = add_user(&h, "sa1", SECRET, "u3").await;
        assert_eq!(r.status, StatusCode::OK, "[{backend}] {}", r.text);
    }
}

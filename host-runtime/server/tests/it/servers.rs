//! Several real `guard serve` processes on one PostgreSQL database, as in
//! production: a change made through one server wakes a long-poll held by
//! another (LISTEN/NOTIFY), also after the listening connection was killed;
//! servers started at the same moment migrate one after the other, print
//! one bootstrap token between them, and give a superapp from before
//! signing keys exactly one active key. PostgreSQL only (SQLite is one
//! process); with CI=true a missing PostgreSQL fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::{Duration, Instant};

use common::process::{kek, start, start_together, Server, Spawn};
use serde_json::json;
use sqlx::Row;

const ROUND: Duration = Duration::from_secs(20);
/// Loose enough never to flake on a loaded machine; the real numbers are
/// in docs/benchmarks.md.
const WAKE_BOUND: Duration = Duration::from_secs(5);

fn spec<'a>(url: &'a str, data: &'a std::path::Path, kek: &'a str, log: &'a str) -> Spawn<'a> {
    Spawn {
        pg: Some(url),
        data,
        kek,
        log,
        args: &[],
    }
}

fn call(
    s: &Server,
    token: &str,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let auth = format!("Bearer {token}");
    let r = s.http(
        method,
        path,
        &[("Authorization", &auth)],
        Some(&body.to_string()),
    );
    assert!(
        (200..300).contains(&r.status),
        "{method} {path}: {} {}",
        r.status,
        r.body
    );
    r.json()
}

/// sa (EdDSA), team t, app mp bound to it; returns the superapp admin's token.
fn seed(s: &Server, admin: &str) -> String {
    call(
        s,
        admin,
        "POST",
        "/api/v1/superapps",
        json!({"id": "sa", "name": "sa", "secret_key": common::SECRET, "backend_domain": "https://backend.example.com"}),
    );
    call(
        s,
        admin,
        "POST",
        "/api/v1/teams",
        json!({"id": "t", "name": "t"}),
    );
    let sa = call(
        s,
        admin,
        "POST",
        "/api/v1/accounts",
        json!({"id": "boss", "name": "b", "role": "superapp_admin", "superapp_id": "sa"}),
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = call(
        s,
        admin,
        "POST",
        "/api/v1/superapps/sa/apps",
        json!({"id": "mp", "name": "mp", "kind": "mini_program", "team_id": "t"}),
    );
    let bid = app["binding"]["id"].as_str().unwrap();
    call(
        s,
        &sa,
        "POST",
        &format!("/api/v1/bindings/{bid}/decision"),
        json!({"decision": "approve"}),
    );
    sa
}

fn etag(s: &Server) -> String {
    let r = s.http("GET", "/api/v1/superapps/sa/bundle", &[], None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.header("etag").unwrap().to_owned()
}

/// Holds a long-poll on `b` with `tag`, waits until `b` says it is waiting,
/// runs `change` (through the other server) and returns what `b` answered
/// and how long after the change was acknowledged.
fn held_then(b: &Server, tag: &str, change: impl FnOnce()) -> (common::process::Reply, Duration) {
    let (addr, tag) = (b.addr.clone(), tag.to_owned());
    b.drain_log();
    let held = std::thread::spawn(move || {
        let r = common::process::http(
            &addr,
            "GET",
            "/api/v1/superapps/sa/bundle",
            &[("If-None-Match", &tag), ("Prefer", "wait=60")],
            None,
        )
        .unwrap();
        (r, Instant::now())
    });
    b.await_log("long-poll waiting", ROUND);
    change();
    let acked = Instant::now();
    let (reply, at) = held.join().unwrap();
    (reply, at.saturating_duration_since(acked))
}

/// Whether the server of process `pid` holds a connection that has run its
/// `LISTEN` (PostgreSQL's own view), other than the backends `killed`, asked
/// until it does or [`ROUND`] ends.
fn listening_again(url: &str, pid: u32, killed: &[i32]) -> bool {
    common::process::block_on(async {
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        let end = Instant::now() + ROUND;
        let mut found = false;
        while !found && Instant::now() < end {
            found = sqlx::query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'LISTEN%'",
            )
            .bind(format!("guard-listen-{pid}"))
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .any(|r| !killed.contains(&r.get::<i32, _>("pid")));
            if !found {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        pool.close().await;
        found
    })
}

#[test]
fn a_change_through_one_server_wakes_a_long_poll_held_by_another() {
    let Some(url) = common::process::block_on(common::fresh_pg_url()) else {
        return;
    };
    let data = common::temp_dir("servers-wake");
    let kek = kek();
    let log = "warn,guard_server::distribution=debug";
    let a = start(spec(&url, &data.join("a"), &kek, log));
    let admin = a.token.clone().unwrap();
    let sa = seed(&a, &admin);
    let b = start(spec(&url, &data.join("b"), &kek, log));
    assert!(b.token.is_none(), "one bootstrap token per database");
    let mut mode = "report";
    let mut flip = || {
        let v = call(
            &a,
            &sa,
            "PUT",
            "/api/v1/apps/mp/mode",
            json!({ "mode": mode }),
        )["version"]
            .as_i64()
            .unwrap();
        mode = if mode == "report" {
            "enforce"
        } else {
            "report"
        };
        v
    };
    let mut version = 0;
    let (r, latency) = held_then(&b, &etag(&b), || version = flip());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some(format!("\"sa.{version}\"").as_str()));
    assert_eq!(
        r.header("preference-applied"),
        Some("wait=30"),
        "capped at --max-wait-seconds"
    );
    assert!(latency < WAKE_BOUND, "woken {latency:?} after the change");
    eprintln!("a change through A woke B's long-poll {latency:?} after A acknowledged it");

    // Kill B's listening connection (what a PostgreSQL restart or a network
    // cut does), and change at once, before B can have listened again.
    let killed = common::process::block_on(async {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let pids: Vec<i32> = sqlx::query(
            "SELECT pid, pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(format!("guard-listen-{}", b.child.id()))
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i32, _>("pid"))
        .collect();
        pool.close().await;
        pids
    });
    assert_eq!(killed.len(), 1, "B listens on exactly one connection");
    let tag = etag(&b);
    let (r, latency) = held_then(&b, &tag, || version = flip());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some(format!("\"sa.{version}\"").as_str()));
    assert!(
        latency < WAKE_BOUND * 2,
        "woken {latency:?} after a lost connection"
    );
    // B listens again, and a change through A reaches it as before. Asked
    // of PostgreSQL, not of B's log: B may have listened again (and said so)
    // before the long-poll above began, and `held_then` reads past that line.
    assert!(
        listening_again(&url, b.child.id(), &killed),
        "B has no connection listening again within {ROUND:?}"
    );
    let (r, latency) = held_then(&b, &etag(&b), || version = flip());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some(format!("\"sa.{version}\"").as_str()));
    assert!(latency < WAKE_BOUND, "woken {latency:?} after reconnecting");
    // And the other way round: B's change wakes A.
    let (r, _) = held_then(&a, &etag(&a), || {
        version = call(
            &b,
            &sa,
            "PUT",
            "/api/v1/apps/mp/mode",
            json!({"mode": "enforce"}),
        )["version"]
            .as_i64()
            .unwrap();
    });
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("etag"), Some(format!("\"sa.{version}\"").as_str()));
}

#[test]
fn servers_started_together_migrate_bootstrap_and_key_superapps_once() {
    let Some(url) = common::process::block_on(common::fresh_pg_url()) else {
        return;
    };
    let data = common::temp_dir("servers-start");
    let kek = kek();
    let log = "warn";
    // A fresh database: both migrate it (one after the other), one prints
    // the bootstrap token.
    let mut servers = start_together(&[
        spec(&url, &data.join("a"), &kek, log),
        spec(&url, &data.join("b"), &kek, log),
    ]);
    let tokens: Vec<String> = servers.iter().filter_map(|s| s.token.clone()).collect();
    assert_eq!(tokens.len(), 1, "exactly one bootstrap token");
    let admin = tokens[0].clone();
    const N: usize = 30;
    for i in 0..N {
        call(
            &servers[0],
            &admin,
            "POST",
            "/api/v1/superapps",
            json!({"id": format!("s{i}"), "name": "s", "secret_key": common::SECRET, "backend_domain": "https://backend.example.com"}),
        );
    }
    servers.clear();
    for round in 0..3 {
        // Superapps from before signing keys: none has a key. Two servers
        // start at the same moment and each gives them one.
        common::process::block_on(async {
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            sqlx::query("DELETE FROM signing_keys")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
        let servers = start_together(&[
            spec(&url, &data.join("a"), &kek, log),
            spec(&url, &data.join("b"), &kek, log),
        ]);
        let active: Vec<(String, i64)> = common::process::block_on(async {
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let rows = sqlx::query(
                "SELECT superapp_id, COUNT(*) AS n FROM signing_keys WHERE status = 'active' GROUP BY superapp_id ORDER BY superapp_id",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            rows.iter()
                .map(|r| (r.get("superapp_id"), r.get("n")))
                .collect()
        });
        assert_eq!(active.len(), N, "round {round}: every superapp has a key");
        for (sid, n) in &active {
            assert_eq!(*n, 1, "round {round}: `{sid}` has {n} active keys");
        }
        // Both servers sign with that one key and publish the same set.
        for i in [0, N - 1] {
            let path = format!("/api/v1/superapps/s{i}/keys.json");
            let keys: Vec<String> = servers
                .iter()
                .map(|s| s.http("GET", &path, &[], None).body)
                .collect();
            assert_eq!(keys[0], keys[1], "round {round}");
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&keys[0]).unwrap()["keys"]
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
        }
    }
}

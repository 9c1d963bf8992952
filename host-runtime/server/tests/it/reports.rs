//! Violation reports (`docs/protocols.md` P2), on SQLite (the counters' arithmetic, bounds and
//! races also on PostgreSQL, decision 340): what a
//! device sends is added up into counters the console reads, and what a
//! hostile client tries gets a specific refusal and stores nothing: bodies
//! that are not reports, unknown fields, a URL (path, query, port) passed
//! off as a host, huge counts, times far in the future or past, reports for
//! another superapp's apps, a flood of made-up hosts (the rows stay
//! bounded), and a flood of requests (429 with `Retry-After`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{both_stores, stores, Harness, Resp, T0};
use guard_server::reports::counters::{max_rows_per_app, MAX_ROWS_PER_APP, RETENTION_SECS};
use guard_server::reports::rate::Rate;
use guard_server::Limits;
use serde_json::{json, Value};

async fn world(
    backend: &'static str,
    store: guard_server::store::Store,
    limits: Limits,
) -> Harness {
    let mut h = Harness::with_limits(backend, store, limits).await;
    h.world().await;
    h
}

async fn post(h: &Harness, sid: &str, body: &str, from: &str) -> Resp {
    let addr: SocketAddr = from.parse().unwrap();
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/superapps/{sid}/reports"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    h.raw(req).await
}

const DEVICE: &str = "198.51.100.7:40000";

fn host_report(app: &str, host: &str, count: u64) -> Value {
    json!({"app": app, "kind": "request", "host": host, "code": "domain_not_whitelisted",
           "mode": "enforce", "policy_version": 1, "count": count, "first_seen": 1_796_000_000u64,
           "last_seen": 1_796_000_042u64})
}

fn api_report(app: &str, api: &str, mode: &str) -> Value {
    json!({"app": app, "kind": "api", "api": api, "code": "permission_not_granted",
           "mode": mode, "policy_version": 1, "count": 1, "first_seen": 1, "last_seen": 1})
}

fn batch(reports: &[Value]) -> String {
    json!({"reports": reports, "dropped": 0}).to_string()
}

async fn accepted(h: &Harness, sid: &str, reports: &[Value]) -> (i64, i64) {
    let r = post(h, sid, &batch(reports), DEVICE).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "[{}] {}", h.backend, r.text);
    (
        r.body["accepted"].as_i64().unwrap(),
        r.body["refused"].as_i64().unwrap(),
    )
}

async fn violations(h: &Harness, app: &str) -> Value {
    h.ok(
        "sa_admin",
        "GET",
        &format!("/api/v1/apps/{app}/violations?limit=200"),
        None,
        200,
    )
    .await
}

async fn row_count(h: &Harness, app: &str) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM violations WHERE app_id = $1")
        .bind(app)
        .fetch_one(&h.state.store.pool)
        .await
        .unwrap()
        .get("n")
}

#[tokio::test]
async fn reports_add_up_into_counters_the_console_reads() {
    for (backend, store) in both_stores("reports-add").await {
        let h = world(backend, store, common::unlimited_reports()).await;
        assert_eq!(
            accepted(
                &h,
                "sa1",
                &[
                    host_report("mp1", "evil.example", 3),
                    api_report("mp1", "getLocation", "enforce")
                ]
            )
            .await,
            (2, 0)
        );
        h.state.clock.advance(60);
        // The same denial again, and one in report mode.
        assert_eq!(
            accepted(
                &h,
                "sa1",
                &[
                    host_report("mp1", "evil.example", 4),
                    api_report("mp1", "getLocation", "report")
                ]
            )
            .await,
            (2, 0)
        );
        let v = violations(&h, "mp1").await;
        assert_eq!(v["reports"], 4);
        assert_eq!(v["rows"], 3);
        assert_eq!(v["mode"], "enforce");
        let host = &v["top_hosts"][0];
        assert_eq!(host["host"], "evil.example");
        assert_eq!(host["api"], Value::Null);
        assert_eq!(host["count"], 7);
        // The server's clock, not the device's.
        assert_eq!(
            (host["first_seen"].as_i64(), host["last_seen"].as_i64()),
            (Some(T0), Some(T0 + 60))
        );
        assert_eq!(v["top_apis"].as_array().unwrap().len(), 2);
        let wb = v["would_break"].as_array().unwrap();
        assert_eq!(wb.len(), 1, "{v}");
        assert_eq!(
            (wb[0]["api"].as_str(), wb[0]["mode"].as_str()),
            (Some("getLocation"), Some("report"))
        );
        // The superapp view: totals per bound app, sorted by denials.
        let s = h
            .ok(
                "review",
                "GET",
                "/api/v1/superapps/sa1/violations",
                None,
                200,
            )
            .await;
        let apps = s["apps"].as_array().unwrap();
        assert_eq!(apps.len(), 3, "{s}");
        assert_eq!(
            (
                apps[0]["app_id"].as_str(),
                apps[0]["denied"].as_i64(),
                apps[0]["would_break"].as_i64()
            ),
            (Some("mp1"), Some(8), Some(1))
        );
        assert_eq!(apps[1]["denied"], 0);
        assert_eq!(apps[1]["last_seen"], Value::Null);
        // limit is checked.
        for bad in ["0", "201", "x", "-1"] {
            let r = h
                .call(
                    "GET",
                    &format!("/api/v1/apps/mp1/violations?limit={bad}"),
                    Some(h.token("sa_admin")),
                    None,
                )
                .await;
            assert_eq!(r.status, 400, "{bad}");
            assert_eq!(r.body["error"]["field"], "limit");
        }
        let one = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/apps/mp1/violations?limit=1",
                None,
                200,
            )
            .await;
        assert_eq!(one["top_apis"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn what_is_not_a_report_is_refused_naming_the_field_and_stores_nothing() {
    for (backend, store) in stores("reports-hostile").await {
        let h = world(backend, store, common::unlimited_reports()).await;
        let ok = host_report("mp1", "evil.example", 1);
        let with = |k: &str, v: Value| {
            let mut r = ok.clone();
            r[k] = v;
            batch(&[r])
        };
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "body"),
            ("[]".into(), "body"),
            (r#"{"reports":[]} trailing"#.into(), "body"),
            (r#"{"reports":[],"extra":1}"#.into(), "extra"),
            (r#"{"dropped":1}"#.into(), "body"),
            (
                with("url", json!("https://evil.example/a?b=c")),
                "reports[0]",
            ),
            (with("user", json!("alice")), "reports[0]"),
            // A URL passed off as a host: scheme, path, query, port, user.
            (
                with("host", json!("https://evil.example/path?q=1")),
                "reports[0].host",
            ),
            (
                with("host", json!("evil.example/path?q=1")),
                "reports[0].host",
            ),
            (with("host", json!("evil.example:8443")), "reports[0].host"),
            (with("host", json!("alice@evil.example")), "reports[0].host"),
            (with("host", json!("EVIL.example")), "reports[0].host"),
            (with("host", json!("evil.example\n")), "reports[0].host"),
            (with("host", json!("x".repeat(300))), "reports[0].host"),
            (with("api", json!("getLocation")), "reports[0].api"),
            (with("kind", json!("launch")), "reports[0].host"),
            (with("kind", json!("telepathy")), "reports[0].kind"),
            (with("code", json!("nope")), "reports[0].code"),
            (with("mode", json!("maybe")), "reports[0].mode"),
            (
                with("code", json!("domain_blocked")).replace("\"enforce\"", "\"report\""),
                "reports[0].mode",
            ),
            // Counts: none, negative, past the bound, not an integer.
            (with("count", json!(0)), "reports[0].count"),
            (with("count", json!(-1)), "reports[0].count"),
            (with("count", json!(1u64 << 41)), "reports[0].count"),
            (with("count", json!(u64::MAX)), "reports[0].count"),
            (with("count", json!(1.5)), "reports[0].count"),
            (with("count", json!("1")), "reports[0].count"),
            (
                with("first_seen", json!(1_796_000_043u64)),
                "reports[0].first_seen",
            ),
            (
                with("policy_version", json!(-3)),
                "reports[0].policy_version",
            ),
            (with("app", json!("")), "reports[0].app"),
            (batch(&vec![ok.clone(); 101]), "reports"),
            (r#"{"reports":[],"dropped":-1}"#.into(), "dropped"),
        ];
        for (body, field) in &cases {
            let r = post(&h, "sa1", body, DEVICE).await;
            assert_eq!(r.status, 400, "[{backend}] {body}: {}", r.text);
            assert_eq!(r.body["error"]["code"], "invalid_field");
            let got = r.body["error"]["field"].as_str().unwrap();
            assert!(
                got.starts_with(field),
                "[{backend}] {body}: field `{got}`, expected `{field}`"
            );
        }
        assert_eq!(row_count(&h, "mp1").await, 0, "[{backend}] nothing stored");
        // Too large: 413, before anything is parsed.
        let big = format!(
            r#"{{"reports":[],"dropped":0,"pad":"{}"}}"#,
            "x".repeat(33 * 1024)
        );
        let r = post(&h, "sa1", &big, DEVICE).await;
        assert_eq!(r.status, 413, "[{backend}]");
        assert_eq!(r.body["error"]["code"], "too_large");
        // Unknown superapps, and the platform's scope.
        for sid in ["nope", "_platform"] {
            let r = post(&h, sid, &batch(std::slice::from_ref(&ok)), DEVICE).await;
            assert_eq!(r.status, 404, "[{backend}] {sid}: {}", r.text);
        }
        // What the guard would send for an IPv6 host, an IPv4 host and a
        // target that did not parse is taken.
        let mut unparsed = ok.clone();
        unparsed.as_object_mut().unwrap().remove("host");
        unparsed["code"] = json!("invalid_url");
        let launch = json!({"app": "mp1", "kind": "launch", "code": "version_not_released", "mode": "enforce",
                            "policy_version": 1, "count": 1, "first_seen": 1, "last_seen": 1});
        assert_eq!(
            accepted(
                &h,
                "sa1",
                &[
                    host_report("mp1", "[2001:db8::1]", 1),
                    host_report("mp1", "192.0.2.1", 1),
                    unparsed,
                    launch
                ]
            )
            .await,
            (4, 0)
        );
        let v = violations(&h, "mp1").await;
        assert_eq!(v["launches"].as_array().unwrap().len(), 1, "{v}");
        assert!(v["top_hosts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["host"].is_null() && r["code"] == "invalid_url"));
    }
}

#[tokio::test]
async fn reports_for_apps_not_bound_to_the_superapp_are_refused() {
    for (backend, store) in stores("reports-scope").await {
        let h = world(backend, store, common::unlimited_reports()).await;
        // A pending binding: the app exists, the superapp has not agreed.
        h.ok(
            "dev",
            "POST",
            "/api/v1/superapps/sa1/apps",
            Some(json!({"id": "pending", "name": "p", "kind": "mini_program", "team_id": "t1"})),
            201,
        )
        .await;
        let version = h
            .ok("admin", "GET", "/api/v1/superapps/sa1", None, 200)
            .await["version"]
            .as_i64()
            .unwrap();
        let mut future = host_report("mp1", "evil.example", 1);
        future["policy_version"] = json!(version + 1);
        let got = accepted(
            &h,
            "sa1",
            &[
                host_report("mp3", "evil.example", 5), // sa2's app, sent to sa1
                host_report("nosuchapp", "evil.example", 5),
                host_report("pending", "evil.example", 5),
                future, // a policy version sa1 never had
                host_report("mp1", "fine.example", 1),
            ],
        )
        .await;
        assert_eq!(got, (1, 4), "[{backend}]");
        for app in ["mp3", "pending"] {
            assert_eq!(row_count(&h, app).await, 0, "[{backend}] {app}");
        }
        assert_eq!(row_count(&h, "mp1").await, 1);
        // Sent to its own superapp, mp3's report is taken.
        assert_eq!(
            accepted(&h, "sa2", &[host_report("mp3", "evil.example", 5)]).await,
            (1, 0)
        );
        // And sa2's admin reads it, sa1's may not.
        h.ok("sa2_admin", "GET", "/api/v1/apps/mp3/violations", None, 200)
            .await;
        h.ok("sa_admin", "GET", "/api/v1/apps/mp3/violations", None, 403)
            .await;
        h.ok(
            "sa_admin",
            "GET",
            "/api/v1/superapps/sa2/violations",
            None,
            403,
        )
        .await;
        h.ok("dev2", "GET", "/api/v1/apps/mp1/violations", None, 403)
            .await;
        let r = h
            .call("GET", "/api/v1/apps/mp1/violations", None, None)
            .await;
        assert_eq!(r.status, 401);
    }
}

#[tokio::test]
async fn times_and_counts_from_a_device_cannot_break_the_counters() {
    for (backend, store) in both_stores("reports-numbers").await {
        let h = world(backend, store, common::unlimited_reports()).await;
        // Times far in the past and the future: taken, and never stored.
        let mut r = host_report("mp1", "evil.example", 1u64 << 40);
        r["first_seen"] = json!(0);
        r["last_seen"] = json!(u64::MAX);
        r["policy_version"] = json!(0);
        let body = json!({"reports": vec![r; 100], "dropped": u64::MAX}).to_string();
        let resp = post(&h, "sa1", &body, DEVICE).await;
        assert_eq!(resp.status, 202, "[{backend}] {}", resp.text);
        let v = violations(&h, "mp1").await;
        let row = &v["top_hosts"][0];
        assert_eq!(row["count"].as_i64(), Some(100 << 40));
        assert_eq!(
            (row["first_seen"].as_i64(), row["last_seen"].as_i64()),
            (Some(T0), Some(T0))
        );
        // Counts saturate instead of overflowing (or failing the batch).
        sqlx::query("UPDATE violations SET calls = $1 WHERE app_id = 'mp1'")
            .bind(i64::MAX - 5)
            .execute(&h.state.store.pool)
            .await
            .unwrap();
        for _ in 0..2 {
            let resp = post(&h, "sa1", &body, DEVICE).await;
            assert_eq!(resp.status, 202, "[{backend}] {}", resp.text);
        }
        let v = violations(&h, "mp1").await;
        assert_eq!(v["top_hosts"][0]["count"].as_i64(), Some(i64::MAX));
        // What the devices could not keep is counted per superapp, bounded.
        let s = h
            .ok(
                "sa_admin",
                "GET",
                "/api/v1/superapps/sa1/violations",
                None,
                200,
            )
            .await;
        assert_eq!(s["dropped"].as_i64(), Some(3 << 40), "{s}");
    }
}

#[tokio::test]
async fn a_flood_of_made_up_hosts_cannot_grow_the_database() {
    for (backend, store) in both_stores("reports-flood").await {
        let h = world(backend, store, common::unlimited_reports()).await;
        const HOSTS: usize = 10_000;
        for chunk in 0..HOSTS / 100 {
            let reports: Vec<Value> = (0..100)
                .map(|i| host_report("mp1", &format!("h{}.evil.example", chunk * 100 + i), 1))
                .collect();
            assert_eq!(accepted(&h, "sa1", &reports).await, (100, 0));
        }
        let v = violations(&h, "mp1").await;
        assert_eq!(v["rows"].as_i64(), Some(MAX_ROWS_PER_APP), "[{backend}]");
        let other = v["other"].as_array().unwrap();
        assert_eq!(other.len(), 1, "[{backend}] {other:?}");
        let beyond = i64::try_from(HOSTS).unwrap() - MAX_ROWS_PER_APP;
        assert_eq!(other[0]["count"].as_i64(), Some(beyond));
        assert_eq!(
            (other[0]["host"].as_str(), other[0]["other"].as_bool()),
            (None, Some(true))
        );
        // Every kind, code and mode of made-up subjects: still bounded.
        let mut reports = Vec::new();
        for kind in guard_core::CheckKind::NAMES {
            for code in guard_core::DenyCode::NAMES {
                for mode in guard_core::Mode::NAMES {
                    let mut r = json!({"app": "mp1", "kind": kind, "code": code, "mode": mode, "policy_version": 1,
                                       "count": 1, "first_seen": 1, "last_seen": 1});
                    match *kind {
                        "api" => r["api"] = json!(format!("made{}{}", code.len(), mode)),
                        "launch" => {}
                        _ => {
                            r["host"] =
                                json!(format!("{code}.{mode}.made.example").replace('_', "-"))
                        }
                    }
                    reports.push(r);
                }
            }
        }
        // Some combinations are refused by guard-core (report mode never
        // lets no_policy through…): each is sent alone.
        let mut taken = 0;
        for r in &reports {
            let status = post(&h, "sa1", &batch(std::slice::from_ref(r)), DEVICE)
                .await
                .status;
            assert!(status == 202 || status == 400, "{status}");
            taken += usize::from(status == 202);
        }
        assert!(
            taken > reports.len() / 2,
            "[{backend}] {taken} of {}",
            reports.len()
        );
        let rows = usize::try_from(row_count(&h, "mp1").await).unwrap();
        assert!(rows <= max_rows_per_app(), "[{backend}] {rows} rows");
        // Another app of the superapp still gets its own rows.
        assert_eq!(
            accepted(&h, "sa1", &[host_report("mp2", "evil.example", 1)]).await,
            (1, 0)
        );
        assert_eq!(violations(&h, "mp2").await["rows"], 1);
        // Rows not seen for the retention period make room again.
        h.state.clock.advance(RETENTION_SECS + 1);
        assert_eq!(
            accepted(&h, "sa1", &[host_report("mp1", "late.example", 1)]).await,
            (1, 0)
        );
        let v = violations(&h, "mp1").await;
        assert!(
            v["top_hosts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["host"] == "late.example"),
            "[{backend}]"
        );
        assert!(v["rows"].as_i64().unwrap() <= MAX_ROWS_PER_APP);
    }
}

#[tokio::test]
async fn concurrent_batches_cannot_both_take_the_last_rows() {
    for (backend, store) in both_stores("reports-race").await {
        let h = std::sync::Arc::new(world(backend, store, common::unlimited_reports()).await);
        let fill: Vec<Value> = (0..100)
            .map(|i| host_report("mp1", &format!("a{i}.example"), 1))
            .collect();
        accepted(&h, "sa1", &fill).await;
        let fill: Vec<Value> = (0..90)
            .map(|i| host_report("mp1", &format!("b{i}.example"), 1))
            .collect();
        accepted(&h, "sa1", &fill).await;
        // 190 rows: eight batches of 50 new hosts race for the last 10.
        let mut tasks = Vec::new();
        for t in 0..8 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move {
                let reports: Vec<Value> = (0..50)
                    .map(|i| host_report("mp1", &format!("c{t}x{i}.example"), 1))
                    .collect();
                accepted(&h, "sa1", &reports).await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), (50, 0));
        }
        let v = violations(&h, "mp1").await;
        assert_eq!(v["rows"].as_i64(), Some(MAX_ROWS_PER_APP), "[{backend}]");
        assert_eq!(
            v["other"][0]["count"].as_i64(),
            Some(8 * 50 - 10),
            "[{backend}]"
        );
    }
}

#[tokio::test]
async fn a_flood_of_requests_is_answered_429_with_retry_after() {
    for (backend, store) in stores("reports-rate").await {
        let limits = Limits {
            reports_per_address: Rate {
                per_minute: 1,
                burst: 5,
            },
            reports_per_app: Rate {
                per_minute: 1,
                burst: 8,
            },
            ..Limits::default()
        };
        let h = world(backend, store, limits).await;
        let one = batch(&[host_report("mp1", "evil.example", 1)]);
        for _ in 0..5 {
            assert_eq!(post(&h, "sa1", &one, DEVICE).await.status, 202);
        }
        // The sixth from the same address, valid or not.
        for body in [one.as_str(), "garbage"] {
            let r = post(&h, "sa1", body, DEVICE).await;
            assert_eq!(r.status, 429, "[{backend}] {}", r.text);
            assert_eq!(r.body["error"]["code"], "rate_limited");
            let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait), "{wait}");
        }
        // Another address of the same IPv6 /64 is the same client.
        let v6 = "[2001:db8:1:2::1]:1000";
        for _ in 0..3 {
            assert_eq!(post(&h, "sa1", &one, v6).await.status, 202);
        }
        // Then mp1's own limit: 8 batches, whatever the addresses.
        let r = post(&h, "sa1", &one, "[2001:db8:9::1]:1000").await;
        assert_eq!(r.status, 429, "[{backend}] {}", r.text);
        assert!(r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`mp1`"));
        // mp2 has its own.
        let r = post(
            &h,
            "sa1",
            &batch(&[host_report("mp2", "evil.example", 1)]),
            "[2001:db8:9::1]:1000",
        )
        .await;
        assert_eq!(r.status, 202, "[{backend}] {}", r.text);
        assert_eq!(violations(&h, "mp1").await["top_hosts"][0]["count"], 8);
    }
}

#[test]
fn the_documented_report_names_are_guard_cores() {
    let doc = common::openapi();
    let report = &doc["components"]["schemas"]["Report"]["properties"];
    let names = |v: &Value| -> Vec<String> {
        v["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&report["kind"]), guard_core::CheckKind::NAMES);
    assert_eq!(names(&report["code"]), guard_core::DenyCode::NAMES);
    assert_eq!(names(&report["mode"]), guard_core::Mode::NAMES);
}

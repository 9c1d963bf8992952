//! A server killed with SIGKILL during a burst of writes loses no acknowledged
//! change: the real binary as a child process, raw HTTP over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let body = body.unwrap_or("");
    http_bytes(
        addr,
        method,
        path,
        token,
        "application/json",
        body.as_bytes(),
    )
}

fn http_bytes(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let out = String::from_utf8_lossy(&raw).into_owned();
    let status = out
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response `{out}`")))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Starts the server; returns the child, its address and the bootstrap token
/// (first start only).
// The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn start(data: &std::path::Path, pg: Option<&str>) -> (Child, String, Option<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard-server"));
    cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match pg {
        Some(url) => cmd
            .env("GUARD_DATABASE_URL", url)
            .arg("--kek-file")
            .arg(data.join("kek")),
        None => cmd.env_remove("GUARD_DATABASE_URL"),
    };
    cmd.env_remove("GUARD_KEK");
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut token = None;
    loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(t) = line.strip_prefix("bootstrap admin token (shown once): ") {
            token = Some(t.to_owned());
        }
        if let Some(addr) = line.strip_prefix("listening on ") {
            return (child, addr.to_owned(), token);
        }
    }
}

fn crash_and_recover(backend: &str, pg: Option<String>) {
    let data = common::temp_dir("crash");
    let (mut child, addr, token) = start(&data, pg.as_deref());
    let token = token.expect("first start prints the admin token");
    let rel = release_setup(&addr, &token);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (addr, token, acked, count, stop) = (
            addr.clone(),
            token.clone(),
            acked.clone(),
            count.clone(),
            stop.clone(),
        );
        workers.push(std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let id = format!("team-{w}-{i}");
                match http(
                    &addr,
                    "POST",
                    "/api/v1/teams",
                    &token,
                    Some(&format!(r#"{{"id":"{id}","name":"n"}}"#)),
                ) {
                    Ok((201, _)) => {
                        acked.lock().unwrap().push(id);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok((s, b)) => panic!("unexpected {s} {b}"),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // A fifth writer submits and approves releases in turn.
    let released = Arc::new(Mutex::new(ReleaseLog::default()));
    {
        let (addr, rel, released, stop) =
            (addr.clone(), rel.clone(), released.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            release_burst(&addr, &rel, &released, &stop)
        }));
    }
    // Kill mid-burst, with writes in flight.
    while count.load(Ordering::SeqCst) < 200 || released.lock().unwrap().approved.len() < 5 {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200);

    let (mut child, addr, again) = start(&data, pg.as_deref());
    assert!(again.is_none(), "bootstrap must not run twice");
    let (status, body) = http(&addr, "GET", "/api/v1/teams", &token, None).unwrap();
    assert_eq!(status, 200, "{body}");
    let teams: serde_json::Value = serde_json::from_str(&body).unwrap();
    let present: std::collections::HashSet<&str> = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let lost: Vec<_> = acked
        .iter()
        .filter(|id| !present.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "[{backend}] acknowledged but lost after SIGKILL: {lost:?}"
    );
    // Each acknowledged change has its audit record too.
    let (_, audit) = http(
        &addr,
        "GET",
        "/api/v1/superapps/_platform/audit",
        &token,
        None,
    )
    .unwrap();
    for id in &acked {
        assert!(
            audit.contains(&format!("team:{id}")),
            "[{backend}] no audit record for {id}"
        );
    }
    check_releases(backend, &addr, &token, &released.lock().unwrap());
    // And the store still takes writes.
    assert_eq!(
        http(
            &addr,
            "POST",
            "/api/v1/teams",
            &token,
            Some(r#"{"id":"after","name":"n"}"#)
        )
        .unwrap()
        .0,
        201
    );
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!(
        "[{backend}] {} acknowledged writes survived SIGKILL",
        acked.len()
    );
}

/// What the release writer needs: the developer's and the reviewer's tokens.
#[derive(Clone)]
struct Rel {
    dev: String,
    reviewer: String,
}

/// What the release writer got acknowledged: every submitted release id in
/// order, and the approved ones.
#[derive(Default)]
struct ReleaseLog {
    submitted: Vec<String>,
    approved: Vec<String>,
}

const VERSIONS: usize = 8;

fn json_of(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Superapp `rs` with app `rapp` (bound) of team `rteam`, and versions
/// `1.0.0`… of it.
fn release_setup(addr: &str, admin: &str) -> Rel {
    let post = |token: &str, path: &str, body: serde_json::Value| {
        let (status, b) = http(addr, "POST", path, token, Some(&body.to_string())).unwrap();
        assert!((200..300).contains(&status), "{path}: {status} {b}");
        json_of(&b)
    };
    post(
        admin,
        "/api/v1/superapps",
        serde_json::json!({"id": "rs", "name": "rs", "secret_key": common::SECRET, "backend_domain": "https://b.example.com"}),
    );
    post(
        admin,
        "/api/v1/teams",
        serde_json::json!({"id": "rteam", "name": "n"}),
    );
    let dev = post(
        admin,
        "/api/v1/accounts",
        serde_json::json!({"id": "rdev", "name": "n", "role": "developer", "team_id": "rteam"}),
    )["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reviewer = post(admin, "/api/v1/accounts", serde_json::json!({"id": "rrev", "name": "n", "role": "superapp_admin", "superapp_id": "rs"}))["token"].as_str().unwrap().to_owned();
    let app = post(
        &dev,
        "/api/v1/superapps/rs/apps",
        serde_json::json!({"id": "rapp", "name": "n", "kind": "mini_program", "team_id": "rteam"}),
    );
    let bid = app["binding"]["id"].as_str().unwrap();
    post(
        &reviewer,
        &format!("/api/v1/bindings/{bid}/decision"),
        serde_json::json!({"decision": "approve"}),
    );
    for k in 0..VERSIONS {
        let zip = common::zip_of(&[("app.js", format!("v{k}").as_bytes())]);
        let (status, b) = http_bytes(
            addr,
            "POST",
            &format!("/api/v1/apps/rapp/versions?app_version=1.0.{k}"),
            &dev,
            "application/zip",
            &zip,
        )
        .unwrap();
        assert_eq!(status, 201, "{b}");
    }
    Rel { dev, reviewer }
}

/// Submits version `k % VERSIONS` and approves it, round after round, until
/// stopped or the server is gone.
fn release_burst(addr: &str, rel: &Rel, log: &Mutex<ReleaseLog>, stop: &AtomicBool) {
    for i in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let body = format!(r#"{{"app_version":"1.0.{}"}}"#, i % VERSIONS);
        let rid = match http(
            addr,
            "POST",
            "/api/v1/apps/rapp/releases",
            &rel.dev,
            Some(&body),
        ) {
            Ok((201, b)) => json_of(&b)["id"].as_str().unwrap().to_owned(),
            Ok((s, b)) => panic!("unexpected {s} {b}"),
            Err(_) => break,
        };
        log.lock().unwrap().submitted.push(rid.clone());
        let path = format!("/api/v1/releases/{rid}/decision");
        match http(
            addr,
            "POST",
            &path,
            &rel.reviewer,
            Some(r#"{"decision":"approve"}"#),
        ) {
            Ok((200, _)) => log.lock().unwrap().approved.push(rid),
            Ok((s, b)) => panic!("unexpected {s} {b}"),
            Err(_) => break,
        }
    }
}

/// Every acknowledged approval survived with its audit record, and the
/// released version is the last acknowledged one or a later one.
fn check_releases(backend: &str, addr: &str, admin: &str, log: &ReleaseLog) {
    let (status, body) = http(
        addr,
        "GET",
        "/api/v1/superapps/rs/releases?status=reviewed",
        admin,
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let listed = json_of(&body);
    let approved: std::collections::HashSet<&str> = listed["releases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "approved")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut audit = String::new();
    let mut after = 0;
    loop {
        let (_, page) = http(
            addr,
            "GET",
            &format!("/api/v1/superapps/rs/audit?after={after}"),
            admin,
            None,
        )
        .unwrap();
        let records = json_of(&page)["records"].as_array().unwrap().clone();
        let Some(last) = records.last() else { break };
        after = last["version"].as_i64().unwrap();
        audit.push_str(&page);
    }
    for rid in &log.approved {
        assert!(
            approved.contains(rid.as_str()),
            "[{backend}] acknowledged approval of {rid} lost"
        );
        assert!(
            audit.contains(&format!("release:{rid}")),
            "[{backend}] no audit record for {rid}"
        );
    }
    let (status, body) = http(addr, "GET", "/api/v1/superapps/rs/released", admin, None).unwrap();
    assert_eq!(status, 200, "{body}");
    let current = json_of(&body)["released"][0]["release_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last_acked = log.approved.last().unwrap();
    let pos = |rid: &str| log.submitted.iter().position(|r| r == rid);
    assert!(
        pos(&current).is_some_and(|p| Some(p) >= pos(last_acked)),
        "[{backend}] released {current}, last acknowledged approval {last_acked}"
    );
    // The package served is the released one.
    let (status, _) = http(addr, "GET", "/api/v1/apps/rapp/package", admin, None).unwrap();
    assert_eq!(status, 200);
    eprintln!(
        "[{backend}] {} acknowledged release approvals survived SIGKILL",
        log.approved.len()
    );
}

#[test]
fn sigkill_during_a_write_burst_loses_no_acknowledged_change_sqlite() {
    crash_and_recover("sqlite", None);
}

#[test]
fn sigkill_during_a_write_burst_loses_no_acknowledged_change_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if let Some(url) = rt.block_on(common::fresh_pg_url()) {
        crash_and_recover("postgres", Some(url));
    }
}

/// A wrong key-encryption key stops the start with a clear error, and the
/// stored signing keys are left as they were (never regenerated).
#[test]
fn a_wrong_kek_fails_the_start() {
    let data = common::temp_dir("kek");
    let (mut child, _, token) = start(&data, None);
    assert!(token.is_some());
    child.kill().unwrap();
    child.wait().unwrap();
    let kek_file = std::fs::read(data.join("kek")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_guard-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("GUARD_DATABASE_URL")
        .env("GUARD_KEK", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("key-encryption key does not open signing keys sealed before"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    let out = Command::new(env!("CARGO_BIN_EXE_guard-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("GUARD_DATABASE_URL")
        .env("GUARD_KEK", "not base64 of 32 bytes")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("GUARD_KEK is not the base64"));
    assert_eq!(std::fs::read(data.join("kek")).unwrap(), kek_file);
    // The right key still opens them.
    let (mut child, _, token) = start(&data, None);
    assert!(token.is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

//! A server killed with SIGKILL during a burst of writes loses no acknowledged
//! change: the real binary as a child process, raw HTTP over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
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
    // Kill mid-burst, with writes in flight.
    while count.load(Ordering::SeqCst) < 200 {
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

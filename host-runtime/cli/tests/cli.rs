//! The `guard` command end to end: exit codes, one-line errors on bad input
//! (never a backtrace), and the `N passed, N failed` closing line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "k3yK3yk3yK3yk3y1";

fn guard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .env("GUARD_SECRET", SECRET)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("guard runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh file per call: the tests run on parallel threads of one process, and
/// two of them writing the same `policy.jws` let one read the other's half-written file.
fn tmp(name: &str, contents: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guard-cli-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

const POLICY: &str = r#"{"schema":1,"superapp_id":"demo","version":3,"issued_at":0,
  "sensitive_apis":[{"name":"getLocation","status":"restricted","scope":"all","type":"system"}],
  "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
           "server_domains":["https://api.example","https://*.img.example"]}]}"#;

fn signed() -> PathBuf {
    let policy = tmp("policy.json", POLICY);
    let out = guard(&["sign", policy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    tmp("policy.jws", &text(&out.stdout))
}

fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stdout {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "`{needle}` in {err}");
    assert!(
        !err.contains("backtrace") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn vectors_report_the_closing_line_and_exit_code() {
    let out = guard(&[
        "vectors",
        "--engine",
        "native",
        repo().join("tests/vectors").to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");

    let broken = tmp(
        "broken.json",
        &format!(
            r#"{{"secret":"{SECRET}","now":1,"policy":{POLICY},
               "cases":[{{"app":"mp","api":"getLocation","expect":"allow"}},
                        {{"app":"mp","api":"showToast","expect":"allow"}}]}}"#
        ),
    );
    let out = guard(&["vectors", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("2 passed, 1 failed"));

    let not_vectors = tmp("garbage.json", "{ not json");
    let out = guard(&["vectors", not_vectors.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout).lines().last(), Some("0 passed, 1 failed"));

    assert_one_line_error(&guard(&["vectors", "/no/such/path"]), "/no/such/path");

    // An annotation the runner does not know is a warning on stderr, not a
    // failure of the file.
    let annotated = tmp(
        "annotated.json",
        &format!(
            r#"{{"secret":"{SECRET}","now":1,"policy":{POLICY},
               "cases":[{{"app":"mp","api":"showToast","expect":"allow","comment":"built in"}}]}}"#
        ),
    );
    let out = guard(&["vectors", annotated.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().last(), Some("2 passed, 0 failed"));
    assert!(
        text(&out.stderr).contains("cases[0]: ignored unknown field `comment`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_exits_0_allow_1_deny_2_error() {
    let bundle = signed();
    let b = bundle.to_str().unwrap();
    let allow = guard(&[
        "check",
        "--bundle",
        b,
        "--app",
        "mp",
        "--now",
        "5",
        "--request",
        "https://a.img.example/x",
    ]);
    assert_eq!(allow.status.code(), Some(0), "{}", text(&allow.stderr));
    let d: serde_json::Value = serde_json::from_slice(&allow.stdout).unwrap();
    assert_eq!(d["allow"], true);
    assert_eq!(d["code"], serde_json::Value::Null);

    let deny = guard(&[
        "check",
        "--bundle",
        b,
        "--app",
        "mp",
        "--now",
        "5",
        "--api",
        "getLocation",
    ]);
    assert_eq!(deny.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&deny.stdout).unwrap();
    assert_eq!(d["code"], "permission_not_granted");
    assert_eq!(d["message"], "getLocation:fail jsapi has no permission");

    let explain = guard(&[
        "explain",
        "--bundle",
        b,
        "--app",
        "mp",
        "--now",
        "5",
        "--request",
        "https://a.img.example:8443/",
    ]);
    assert_eq!(explain.status.code(), Some(1));
    let e: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(e["decision"]["code"], "port_not_allowed");
    assert_eq!(e["rule"], "§3.3 rule 7");

    let explain = guard(&[
        "explain",
        "--bundle",
        b,
        "--app",
        "mp",
        "--now",
        "5",
        "--request",
        "https://a.img.example/",
    ]);
    let e: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
    assert_eq!(e["entry"], "https://*.img.example");
}

#[test]
fn bad_input_is_one_clear_line() {
    let bundle = signed();
    let b = bundle.to_str().unwrap();
    let jws = std::fs::read_to_string(&bundle).unwrap();
    let tampered = tmp("tampered.jws", &format!("{}.extra", jws.trim()));
    assert_one_line_error(
        &guard(&[
            "check",
            "--bundle",
            tampered.to_str().unwrap(),
            "--app",
            "mp",
            "--api",
            "x",
        ]),
        "malformed_bundle",
    );
    // Valid base64 but other bytes: one payload character swapped for another
    // keeps the length (so the base64 stays valid) and the MAC catches it
    // before anything is parsed.
    let jws = jws.trim();
    let middle = jws.find('.').unwrap() + 10;
    let swapped = if &jws[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let flipped = tmp(
        "flipped.jws",
        &format!("{}{swapped}{}", &jws[..middle], &jws[middle + 1..]),
    );
    assert_one_line_error(
        &guard(&[
            "check",
            "--bundle",
            flipped.to_str().unwrap(),
            "--app",
            "mp",
            "--api",
            "x",
        ]),
        "bad_signature",
    );
    assert_one_line_error(
        &guard(&["check", "--bundle", "/nope", "--app", "mp", "--api", "x"]),
        "/nope",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["verify", b])
        .env("GUARD_SECRET", "short")
        .output()
        .unwrap();
    assert_one_line_error(&out, "secret key");
    let other = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["verify", b, "--now", "5"])
        .env("GUARD_SECRET", "0therK3y0therK3y")
        .output()
        .unwrap();
    assert_one_line_error(&other, "bad_signature");
    let bad_policy = tmp(
        "bad.json",
        r#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0,"apps":[{"app_id":"a","kind":"mini_program","server_domains":["http://x.example"]}]}"#,
    );
    assert_one_line_error(
        &guard(&["sign", bad_policy.to_str().unwrap()]),
        "apps[0].server_domains[0]",
    );
    let expired = guard(&["verify", b, "--now", "0"]);
    assert!(expired.status.success(), "{}", text(&expired.stderr));
    let status: serde_json::Value = serde_json::from_slice(&expired.stdout).unwrap();
    assert_eq!(status["version"], 3);
}

//! The native back end of the JS bridge (P4) through the real
//! `guard-sdk-native` binary, out of process, as the bridge's test runs it:
//! every op, and what a hostile caller sends instead of requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use guard_core::{bundle, SecretKey};
use serde_json::{json, Value};

const KEY: &str = "k3yK3yk3yK3yk3y1";
const NOW: u64 = 1_795_305_600;

fn signed(version: u32, mode: &str) -> String {
    let policy = format!(
        r#"{{"schema":2,"superapp_id":"demo","version":{version},"issued_at":0,"mode":"{mode}",
      "sensitive_apis":[{{"name":"getLocation","status":"restricted","scope":"all","type":"system"}}],
      "apps":[{{"app_id":"mp_shop","kind":"mini_program","control":{{"server_domains":true}},
               "server_domains":["https://api.shop.example"],"granted_apis":["getLocation"]}}]}}"#
    );
    bundle::sign(policy.as_bytes(), &SecretKey::new(KEY).unwrap())
}

struct Native {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Native {
    fn start(args: &[&str]) -> Native {
        Native::start_with(args, None)
    }

    /// With `keys` in `GUARD_KEYS`, as a harness that passes no arguments.
    fn start_with(args: &[&str], keys: Option<&str>) -> Native {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard-sdk-native"));
        cmd.env_remove("GUARD_KEYS");
        if let Some(k) = keys {
            cmd.env("GUARD_KEYS", k);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Native {
            child,
            stdin,
            stdout,
        }
    }

    fn raw(&mut self, line: &[u8]) -> String {
        self.stdin.write_all(line).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        assert!(answer.ends_with('\n'), "no whole answer line: `{answer}`");
        answer.trim_end().to_owned()
    }

    fn ask(&mut self, request: Value) -> Value {
        let text = self.raw(request.to_string().as_bytes());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"))
    }

    fn finish(mut self) {
        drop(self.stdin);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn error_of(v: &Value) -> &str {
    v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {v}"))
}

#[test]
fn every_p4_op_answers_from_the_guard() {
    let dir = common::temp_dir("native");
    let keys = dir.join("secret");
    std::fs::write(&keys, format!("{KEY}\n")).unwrap();
    let state = dir.join("state");
    let mut n = Native::start(&[
        "--keys",
        keys.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ]);

    // The tables, as the bridge reads them to drive integer verdicts.
    let t = n.ask(json!({"op":"tables"}));
    assert_eq!(t["abi"], guard_wasm_host::ABI_VERSION);
    assert_eq!(t["codes"][0], Value::Null);
    assert_eq!(t["codes"][1], "no_policy");
    assert_eq!(t["loads"][0], "ok");
    assert_eq!(t["errnos"][0], 0);
    assert_eq!(t["kinds"]["api"], 0);
    // Contract v3's media kind, numbered as guard-core numbers it.
    assert_eq!(t["kinds"]["media"], guard_core::CheckKind::Media as u8);
    assert_eq!(t["report_bit"], 128);
    assert_eq!(
        t["codes"].as_array().unwrap().len(),
        t["errnos"].as_array().unwrap().len()
    );

    // No policy yet: fail closed, and no status.
    let d =
        n.ask(json!({"op":"check","app":"mp_shop","kind":"api","subject":"getLocation","now":NOW}));
    assert_eq!(
        (d["allow"].clone(), d["code"].clone()),
        (json!(false), json!("no_policy"))
    );
    assert_eq!(n.ask(json!({"op":"status","now":NOW})), Value::Null);
    assert_eq!(n.ask(json!({"op":"floor"})), Value::Null);

    let l = n.ask(json!({"op":"load","bundle":signed(3, "enforce"),"now":NOW}));
    assert_eq!(l, json!({"code":"ok","message":""}));
    let st = n.ask(json!({"op":"status","now":NOW}));
    assert_eq!(
        (
            st["superapp_id"].clone(),
            st["version"].clone(),
            st["apps"].clone()
        ),
        (json!("demo"), json!(3), json!(1))
    );

    let d =
        n.ask(json!({"op":"check","app":"mp_shop","kind":"api","subject":"getLocation","now":NOW}));
    assert_eq!(
        d,
        json!({"allow":true,"code":null,"message":"getLocation:ok"})
    );
    let d = n.ask(json!({"op":"check","app":"mp_shop","kind":"request","subject":"https://API.shop.example/a?b","now":NOW}));
    assert_eq!(d["allow"], true);
    assert_eq!(d["href"], "https://api.shop.example/a?b");
    let d = n.ask(json!({"op":"check","app":"mp_shop","kind":"request","subject":"https://evil.example/","now":NOW}));
    assert_eq!(d["code"], "domain_not_whitelisted");
    assert_eq!(d["href"], Value::Null, "a denied target is not handed on");
    assert!(d["errno"].is_number());
    let d = n.ask(json!({"op":"check_socket","app":"mp_shop","kind":"tcp","host":"printer.lan.example","port":9100,"now":NOW}));
    assert_eq!(d["allow"], false);
    assert!(d.as_object().unwrap().contains_key("href"));
    let d = n.ask(json!({"op":"check_launch","app":"mp_shop","version":"1.0.0","package_sha256":"00".repeat(32),"now":NOW}));
    assert_eq!(d["allow"], false);
    assert!(!d.as_object().unwrap().contains_key("href"));
    let d = n.ask(json!({"op":"check_redirect","app":"mp_shop","kind":"request","from":"https://api.shop.example/a","location":"/b","hop":1,"now":NOW}));
    assert_eq!(
        (d["allow"].clone(), d["href"].clone()),
        (json!(true), json!("https://api.shop.example/b"))
    );

    // The reports of those denials (never the path or query).
    let r = n.ask(json!({"op":"take_reports","now":NOW}));
    let text = r.to_string();
    assert!(
        text.contains("evil.example") && !text.contains("/a?b"),
        "{text}"
    );
    assert_eq!(n.ask(json!({"op":"requeue_reports","now":NOW})), json!({}));
    assert_eq!(
        n.ask(json!({"op":"take_reports","now":NOW}))["reports"],
        r["reports"]
    );

    // Anti-rollback: an older bundle is refused; the floor can be read and
    // given back, and a floor that contradicts what was accepted is refused.
    let l = n.ask(json!({"op":"load","bundle":signed(2, "enforce"),"now":NOW}));
    assert_eq!(l["code"], "stale_version");
    let floor = n.ask(json!({"op":"floor"}));
    assert_eq!(
        (floor["version"].clone(), floor["superapp_id"].clone()),
        (json!(3), json!("demo"))
    );
    assert_eq!(
        n.ask(json!({"op":"restore_floor","floor":floor.clone()})),
        json!({})
    );
    assert_eq!(
        n.ask(json!({"op":"restore_floor","floor":floor.to_string()})),
        json!({})
    );
    let mut other = floor.clone();
    other["digest"] = json!("00".repeat(32));
    error_of(&n.ask(json!({"op":"restore_floor","floor":other})));
    let mut foreign = floor.clone();
    foreign["superapp_id"] = json!("other");
    error_of(&n.ask(json!({"op":"restore_floor","floor":foreign})));

    // Report mode: let through, marked reported.
    n.ask(json!({"op":"load","bundle":signed(4, "report"),"now":NOW}));
    let d = n.ask(json!({"op":"check","app":"mp_shop","kind":"request","subject":"https://evil.example/","now":NOW}));
    assert_eq!(
        (d["allow"].clone(), d["reported"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(d["href"], "https://evil.example/");
    n.finish();

    // The state survived the process: a new one starts with version 4.
    let mut n = Native::start(&[
        "--keys",
        keys.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert_eq!(n.ask(json!({"op":"status","now":NOW}))["version"], 4);
    assert_eq!(
        n.ask(json!({"op":"load","bundle":signed(3, "enforce"),"now":NOW}))["code"],
        "stale_version"
    );
    n.finish();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_a_hostile_caller_sends_answers_an_error_line_and_never_kills_the_server() {
    let mut n = Native::start_with(&[], Some(KEY));
    n.ask(json!({"op":"load","bundle":signed(3, "enforce"),"now":NOW}));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let long_url = format!("https://a.example/{}", "x".repeat(3 << 20));
    for (what, line) in [
        ("not JSON", b"hello".to_vec()),
        ("an empty line", b"".to_vec()),
        ("not UTF-8", vec![0xff, 0xfe, b'{', b'}']),
        ("JSON that is not an object", b"[1,2,3]".to_vec()),
        ("no op", br#"{"app":"mp_shop"}"#.to_vec()),
        ("an unknown op", br#"{"op":"grant","app":"mp_shop"}"#.to_vec()),
        ("an unknown field", br#"{"op":"tables","admin":true}"#.to_vec()),
        ("a missing field", br#"{"op":"check","app":"mp_shop","kind":"api","now":1}"#.to_vec()),
        ("a negative now", br#"{"op":"check","app":"mp_shop","kind":"api","subject":"x","now":-1}"#.to_vec()),
        ("a fractional now", br#"{"op":"check","app":"mp_shop","kind":"api","subject":"x","now":1.5}"#.to_vec()),
        ("a port beyond u32", br#"{"op":"check_socket","app":"mp_shop","kind":"tcp","host":"a","port":4294967296,"now":1}"#.to_vec()),
        ("a socket kind through check", br#"{"op":"check","app":"mp_shop","kind":"tcp","subject":"a:1","now":1}"#.to_vec()),
        ("a URL kind through check_socket", br#"{"op":"check_socket","app":"mp_shop","kind":"request","host":"a","port":1,"now":1}"#.to_vec()),
        ("a webview redirect", br#"{"op":"check_redirect","app":"mp_shop","kind":"webview","from":"https://a/","location":"/","hop":1,"now":1}"#.to_vec()),
        ("an unknown kind", br#"{"op":"check","app":"mp_shop","kind":"API","subject":"x","now":1}"#.to_vec()),
        ("a subject that is a number", br#"{"op":"check","app":"mp_shop","kind":"api","subject":7,"now":1}"#.to_vec()),
        ("nesting 100,000 deep", deep.into_bytes()),
        ("a duplicate op", br#"{"op":"tables","op":"floor"}"#.to_vec()),
        ("a floor that is not one", br#"{"op":"restore_floor","floor":{"version":99}}"#.to_vec()),
    ] {
        let answer = n.raw(&line);
        let v: Value = serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{what}: `{answer}`: {e}"));
        assert!(v["error"].is_string(), "{what}: {v}");
    }
    // A URL over the guard's limit is a check (denied), not a crash.
    let d =
        n.ask(json!({"op":"check","app":"mp_shop","kind":"request","subject":long_url,"now":NOW}));
    assert_eq!(d["code"], "invalid_url");
    // A bundle that is garbage is a load error, and the policy stays.
    assert_eq!(
        n.ask(json!({"op":"load","bundle":"a.b.c","now":NOW}))["code"],
        "malformed_bundle"
    );
    let d =
        n.ask(json!({"op":"check","app":"mp_shop","kind":"api","subject":"getLocation","now":NOW}));
    assert_eq!(d["allow"], true, "the policy in force was lost");
    n.finish();
}

#[test]
fn a_bad_start_is_one_error_line_and_exit_2() {
    for args in [
        vec![],
        vec!["--keys", "/nonexistent/keys"],
        vec!["--config", "/nonexistent/config.json"],
        vec![
            "--keys",
            "/dev/null",
            "--precompiled",
            "/nonexistent",
            "--precompiled-sha256",
            "00",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_guard-sdk-native"))
            .args(&args)
            .env_remove("GUARD_KEYS")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

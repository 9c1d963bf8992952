//! The server's integration tests, one binary: each former
//! `tests/<name>.rs` is a module here, sharing the `common` harness and the
//! `console_kit` browser. One binary links the whole server once instead of
//! once per file (15 links of sqlx, axum and guard-core were most of the
//! build time of `cargo test -p guard-server`).
//!
//! A new test file joins by being placed in this folder and declared below
//! (`mod <name>;`), reaching the helpers as `use crate::common;`. The test
//! `every_file_here_is_a_module` fails when a file in this folder is not
//! declared (it would otherwise never be compiled), and a file left at
//! `tests/<name>.rs` fails to build on its `mod common;` (the harness lives
//! here now), so neither way can a test silently not run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod console_kit;

mod applications;
mod console_auth;
mod console_outcome;
mod contract_v2;
mod contract_v3;
mod crash;
mod credentials;
mod defects;
mod device;
mod identity;
mod keysets;
mod login;
mod longpoll;
mod openapi;
mod packages;
mod reports;
mod roles;
mod secrets_at_rest;
mod servers;
mod signing;
mod workflow;

/// Every `*.rs` file and every folder with a `mod.rs` in `tests/it/` is
/// declared as a module of this binary.
#[test]
fn every_file_here_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = match path.file_stem().and_then(|s| s.to_str()) {
            Some(n) => n.to_owned(),
            None => continue,
        };
        let is_module = if path.is_dir() {
            path.join("mod.rs").is_file()
        } else {
            path.extension().is_some_and(|e| e == "rs") && name != "main"
        };
        if is_module && !main.lines().any(|l| l.trim() == format!("mod {name};")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/it/ holds modules not declared in tests/it/main.rs (they would never run): {missing:?}"
    );
}

//! What the CLI's end-to-end tests of keys (`keys_cli.rs`) and key sets
//! (`keysets_cli.rs`) share: a fresh directory per test, the `guard` binary
//! run in it with no `GUARD_SECRET` (so only the keys given are in play) and
//! the repository's `.wasm`, and the checks of its exit and output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fresh, empty directory for one test.
pub fn fresh_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "guard-cli-test-{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `guard ARGS` in `dir`.
pub fn guard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .current_dir(dir)
        .env_remove("GUARD_SECRET")
        .env("GUARD_WASM", repo().join("js/pkg/guard_wasm_bg.wasm"))
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("guard runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The stdout of a run that must succeed.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A refusal: exit 2 and exactly one `error: …` line naming `needle`, no panic.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stdout {}", text(&out.stdout));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "`{needle}` in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

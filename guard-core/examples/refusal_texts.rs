//! Prints what a reader says about each document of a corpus (one per line,
//! as hex, from `scripts/refusal-corpus.py`): `ok` or the refusal's text.
//! The argument names the reader: `policy` (the default), `config`, `keys`,
//! `floor`, `state` or `batch` (a device's report batch). Two runs, before and after a change to the readers,
//! diffed, show every message the change touched (decisions 540, 542, 600,
//! 601, 603).

use std::io::{BufRead, Write};

/// What `kind`'s reader says about `bytes`.
fn refusal(kind: &str, bytes: &[u8]) -> Option<String> {
    if kind == "policy" {
        return guard_core::Policy::from_json(bytes)
            .err()
            .map(|e| e.to_string());
    }
    if kind == "batch" {
        return guard_core::report::Batch::from_json(bytes)
            .err()
            .map(|e| e.to_string());
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some("not UTF-8".into());
    };
    match kind {
        "config" => guard_core::GuardConfig::from_json(text)
            .err()
            .map(|e| e.to_string()),
        "keys" => guard_core::keys::KeySet::from_json(text)
            .err()
            .map(|e| e.to_string()),
        "floor" => guard_core::Floor::from_json(text)
            .err()
            .map(|e| e.to_string()),
        _ => guard_core::SignedState::from_json(text)
            .err()
            .map(|e| e.to_string()),
    }
}

fn main() -> std::io::Result<()> {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "policy".into());
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let line = line?;
        let bytes: Vec<u8> = (0..line.len() / 2)
            .filter_map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).ok())
            .collect();
        match refusal(&kind, &bytes) {
            None => writeln!(out, "ok")?,
            Some(e) => writeln!(out, "{e}")?,
        }
    }
    out.flush()
}

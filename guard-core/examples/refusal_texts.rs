//! Prints what `Policy::from_json` says about each document of a corpus (one
//! per line, as hex, from `scripts/refusal-corpus.py`): `ok` or the refusal's
//! text. Two runs, before and after a change to the readers, diffed, show
//! every message the change touched (decisions 540, 542, 600).

use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let line = line?;
        let bytes: Vec<u8> = (0..line.len() / 2)
            .filter_map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).ok())
            .collect();
        match guard_core::Policy::from_json(&bytes) {
            Ok(_) => writeln!(out, "ok")?,
            Err(e) => writeln!(out, "{e}")?,
        }
    }
    out.flush()
}

//! No code: a build script only so that its build-dependencies (the host
//! side of the pins, see `Cargo.toml`) take part in feature resolution.

fn main() {}

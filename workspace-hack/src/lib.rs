//! No code: this crate only pins the features of the workspace's shared
//! dependencies (see its `Cargo.toml` and `scripts/workspace-hack.py`), so
//! that every cargo selection builds each of them once.

//! The vector runner's view of a [`WasmGuard`].

use guard_core::{Check, CheckKind, Decision, LoadCode};

use crate::guard::WasmGuard;
use crate::module::WasmModule;

/// A [`guard_conformance::Engine`] over a [`WasmGuard`], for the vector
/// runner and the cross-runtime agreement test.
#[derive(Debug)]
pub struct WasmEngine(pub WasmGuard);

impl WasmEngine {
    /// A guard for `keys` (a SecretKey or a key-set JSON, as
    /// [`WasmGuard::new`] takes them) on `module`, as the runner's engine
    /// factory wants.
    ///
    /// # Errors
    ///
    /// As [`WasmGuard::new`], as text.
    pub fn new(module: &WasmModule, keys: &str) -> Result<WasmEngine, String> {
        WasmGuard::new(module, keys)
            .map(WasmEngine)
            .map_err(|e| e.to_string())
    }
}

impl guard_conformance::Engine for WasmEngine {
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0.load(bundle, now).map_err(|e| (e.code, e.message))
    }

    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        self.0.decide(app, kind, subject, now)
    }

    fn check_any(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        self.0.decide_check(app, check, now)
    }
}

//! The vector runner's view of a [`WasmGuard`] (feature `conformance`, so
//! that production code of this crate does not depend on the test crate).

use guard_core::{Check, CheckKind, Decision, LoadCode};

use crate::guard::WasmGuard;
use crate::module::WasmModule;

/// A [`guard_conformance::Engine`] over a [`WasmGuard`], for the vector
/// runner and the cross-runtime agreement test.
#[derive(Debug)]
pub struct WasmEngine(pub WasmGuard);

impl WasmEngine {
    /// A guard for `keys` on `module`, as the runner's engine factory wants
    /// and as `guard_conformance::NativeEngine` reads them: a SecretKey
    /// ([`WasmGuard::new`]), or (first byte `{`) a guard configuration JSON
    /// ([`WasmGuard::from_config`]: v2 keys, or v3 roots with the superapp
    /// id, and local prefixes).
    ///
    /// # Errors
    ///
    /// As [`WasmGuard::new`] and [`WasmGuard::from_config`], as text.
    pub fn new(module: &WasmModule, keys: &str) -> Result<WasmEngine, String> {
        let guard = if keys.starts_with('{') {
            WasmGuard::from_config(module, keys)
        } else {
            WasmGuard::new(module, keys)
        };
        guard.map(WasmEngine).map_err(|e| e.to_string())
    }
}

impl guard_conformance::Engine for WasmEngine {
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0.load(bundle, now).map_err(|e| (e.code, e.message))
    }

    fn load_keyset(&mut self, jws: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0
            .load_keyset(jws, now)
            .map_err(|e| (e.code, e.message))
    }

    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        self.0.decide(app, kind, subject, now)
    }

    fn check_any(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        self.0.decide_check(app, check, now)
    }
}

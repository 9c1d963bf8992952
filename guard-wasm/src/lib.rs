//! # guard-wasm
//!
//! guard-core compiled to one `.wasm` with two faces:
//!
//! - a wasm-bindgen class, [`WasmGuard`], that the JS bridge
//!   (`js/src/index.js`, package `@miniprogram-guard/bridge`) drives;
//! - a raw C-like ABI (module `raw_abi`) for native hosts such as wasmtime.
//!
//! Neither face decides anything itself: every verdict, code and message comes
//! from guard-core. The façade only converts between JS values and guard-core
//! types, and keeps the per-call path integer-only: the bridge resolves API
//! names and app ids to stable `u32`s once ([`WasmGuard::api_id`],
//! [`WasmGuard::app_handle`]), then checks with [`WasmGuard::check_api_id`],
//! which takes and returns plain numbers. Messages (`errMsg`) are rendered by
//! guard-core only when the bridge asks, i.e. on a denial.
//!
//! Verdict bytes are [`Verdict::to_u8`]: `0` allow, else the deny code
//! `1..=8`, plus `0x80` when `report` mode let a would-be denial through.
//!
//! # Examples
//!
//! ```
//! use guard_wasm::WasmGuard;
//!
//! let mut guard = WasmGuard::create("k3yK3yk3yK3yk3y1").unwrap();
//! let app = guard.app_handle("mp_shop").unwrap();
//! let api = guard.api_id("getLocation").unwrap();
//! // No policy loaded yet: everything is denied `no_policy` (code 1).
//! assert_eq!(guard.check_api_id(app, api, 1_795_305_600.0), 1);
//! ```
#![deny(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod raw_abi;

use guard_core::{
    ApiId, AppHandle, CheckKind, Decision, DenyCode, Guard, LoadCode, UrlVerdict, Verdict,
};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The verdict byte a wrong argument from JS answers: it must never read as an
/// allow, and `invalid_url`/`no_policy` would mislead, so an unknown kind or
/// handle is reported as `no_policy` for that call (code 1), which every
/// caller already treats as a denial.
const CALLER_BUG: u8 = DenyCode::NoPolicy as u8;

/// Seconds since the epoch as guard-core wants them. JS numbers may be
/// fractional, negative or NaN; a clock that is not a usable time fails
/// closed by reading as the far future, where any expiring policy has expired.
fn seconds(now: f64) -> u64 {
    if now.is_finite() && now >= 0.0 {
        // Saturating float-to-int conversion: truncates, clamps at u64::MAX.
        now as u64
    } else {
        u64::MAX
    }
}

/// The guard as the JS bridge sees it (exported to JS as `WasmGuard`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct WasmGuard {
    inner: Guard,
    /// The message of the last refused load, for [`WasmGuard::load_message`].
    load_message: String,
    /// The last URL check's verdict with its host and port, kept so the
    /// bridge can ask for the `errMsg` only when it needs one.
    last_url: Option<UrlVerdict>,
}

#[wasm_bindgen]
impl WasmGuard {
    /// A guard with no policy for the superapp whose SecretKey is `secret`.
    ///
    /// # Errors
    ///
    /// A JS `Error` when `secret` is not a valid SecretKey (16, 24 or 32 ASCII
    /// letters and digits).
    #[wasm_bindgen(constructor)]
    pub fn new(secret: &str) -> Result<WasmGuard, JsError> {
        WasmGuard::create(secret).map_err(|e| JsError::new(&e))
    }

    /// A guard with no policy for a key-set JSON (`{"secret"?, "keys"?}`,
    /// Ed25519 public JWKs; see `guard_core::keys::KeySet::from_json`).
    ///
    /// # Errors
    ///
    /// A JS `Error` when the key set is not valid.
    #[wasm_bindgen(js_name = withKeys)]
    pub fn with_keys(json: &str) -> Result<WasmGuard, JsError> {
        let keys =
            guard_core::keys::KeySet::from_json(json).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(WasmGuard {
            inner: Guard::with_keys(keys),
            load_message: String::new(),
            last_url: None,
        })
    }

    /// Loads a signed bundle with the clock at `now` (unix seconds) and answers
    /// the [`LoadCode`] as its number (`0` ok). The message of a refusal is then
    /// available from [`WasmGuard::load_message`].
    pub fn load(&mut self, bundle: &str, now: f64) -> u8 {
        match self.inner.load(bundle, seconds(now)) {
            Ok(_) => {
                self.load_message.clear();
                LoadCode::Ok as u8
            }
            Err(e) => {
                self.load_message = e.message;
                e.code as u8
            }
        }
    }

    /// The message of the last refused load (empty after a successful one).
    #[wasm_bindgen(js_name = loadMessage)]
    pub fn load_message(&self) -> String {
        self.load_message.clone()
    }

    /// The stable id of an API name (interned on first use); `undefined` once
    /// the guard's bounded name table is full, in which case the bridge checks
    /// by name with [`WasmGuard::decide`].
    #[wasm_bindgen(js_name = apiId)]
    pub fn api_id(&mut self, name: &str) -> Option<u32> {
        self.inner.api_id(name).map(|id| id.0)
    }

    /// The stable handle of an app id (interned on first use); `undefined` once
    /// the table is full.
    #[wasm_bindgen(js_name = appHandle)]
    pub fn app_handle(&mut self, app_id: &str) -> Option<u32> {
        self.inner.app_handle(app_id).map(|h| h.0)
    }

    /// The hot path: an API check by handle and id, answering the verdict byte.
    #[wasm_bindgen(js_name = checkApiId)]
    pub fn check_api_id(&self, app: u32, api: u32, now: f64) -> u8 {
        self.inner
            .check_api_id(AppHandle(app), ApiId(api), seconds(now))
            .to_u8()
    }

    /// A URL check of `kind` (`1..=5`, [`CheckKind`]) by app handle, answering
    /// the verdict byte. The parsed host and port are kept for
    /// [`WasmGuard::url_message`].
    #[wasm_bindgen(js_name = checkUrl)]
    pub fn check_url(&mut self, app: u32, kind: u8, url: &str, now: f64) -> u8 {
        let Some(kind) = CheckKind::from_u8(kind).filter(|k| k.is_url()) else {
            self.last_url = None;
            return CALLER_BUG;
        };
        let verdict = self
            .inner
            .check_url_handle_terse(AppHandle(app), kind, url, seconds(now));
        let byte = verdict.verdict.to_u8();
        self.last_url = Some(verdict);
        byte
    }

    /// The `errMsg` of the last [`WasmGuard::check_url`], for `kind`'s label.
    #[wasm_bindgen(js_name = urlMessage)]
    pub fn url_message(&self, kind: u8) -> String {
        let label = CheckKind::from_u8(kind)
            .and_then(CheckKind::url_label)
            .unwrap_or("api");
        match &self.last_url {
            Some(v) => v.verdict.message(label, v.host.as_deref(), v.port),
            None => Verdict::deny(DenyCode::InvalidUrl).message(label, None, None),
        }
    }

    /// The `errMsg` an API check's verdict byte gives for API `name`.
    #[wasm_bindgen(js_name = apiMessage)]
    pub fn api_message(verdict: u8, name: &str) -> String {
        byte_verdict(verdict).message(name, None, None)
    }

    /// [`WasmGuard::check_api_id`] by name, for when the bounded name tables
    /// are full and no id or handle could be given out.
    #[wasm_bindgen(js_name = checkApiName)]
    pub fn check_api_name(&self, app: &str, name: &str, now: f64) -> u8 {
        self.inner.check_api(app, name, seconds(now)).to_u8()
    }

    /// [`WasmGuard::check_url`] by app id, for when no handle could be given out.
    #[wasm_bindgen(js_name = checkUrlByApp)]
    pub fn check_url_by_app(&mut self, app: &str, kind: u8, url: &str, now: f64) -> u8 {
        let Some(kind) = CheckKind::from_u8(kind).filter(|k| k.is_url()) else {
            self.last_url = None;
            return CALLER_BUG;
        };
        let verdict = self.inner.check_url_terse(app, kind, url, seconds(now));
        let byte = verdict.verdict.to_u8();
        self.last_url = Some(verdict);
        byte
    }

    /// Any check by app id (`kind` `0..=5`; `subject` is the API name or URL),
    /// answered as guard-core's [`Decision`] serialised to a JS object.
    ///
    /// Not used by the bridge (which builds decision objects itself, as own
    /// data properties that a tampered `Object.prototype` cannot intercept):
    /// the bridge's tests use it as the oracle for the objects it builds.
    pub fn decide(&self, app: &str, kind: u8, subject: &str, now: f64) -> JsValue {
        let decision = match CheckKind::from_u8(kind) {
            Some(kind) => self.inner.decide(app, kind, subject, seconds(now)),
            None => Decision::new(Verdict::deny(DenyCode::NoPolicy), "api", None, None),
        };
        decision_value(&decision)
    }

    /// [`WasmGuard::decide`] with guard-core's explanation of it
    /// (`Guard::explain`): `{decision, rule, reason, entry}`, for tools that
    /// show why a check answered what it did (the demo harness's "try a
    /// call"). `kind` is a check kind's contract name (`api`, `request`, ...;
    /// `tcp`/`udp` take `host:port`); `null` for a name that is no kind. Not
    /// on the bridge's path.
    pub fn explain(&self, app: &str, kind: &str, subject: &str, now: f64) -> JsValue {
        let Some(kind) = CheckKind::parse(kind) else {
            return JsValue::NULL;
        };
        let explanation = self.inner.explain(app, kind, subject, seconds(now));
        let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
        explanation.serialize(&serializer).unwrap_or(JsValue::NULL)
    }
}

impl WasmGuard {
    /// [`WasmGuard::new`] for Rust callers, with a plain error.
    ///
    /// # Errors
    ///
    /// The SecretKey error's message when `secret` is not valid.
    pub fn create(secret: &str) -> Result<WasmGuard, String> {
        Ok(WasmGuard {
            inner: Guard::new(secret).map_err(|e| e.to_string())?,
            load_message: String::new(),
            last_url: None,
        })
    }
}

/// A verdict byte from JS back to a verdict; a byte no verdict produces fails
/// closed as `no_policy`.
fn byte_verdict(byte: u8) -> Verdict {
    Verdict::from_u8(byte).unwrap_or(Verdict::deny(DenyCode::NoPolicy))
}

/// A decision as the plain JS object the contract spells: `code` is `null`
/// when allowed (hence missing-as-null), `reported` and `errno` are absent
/// when guard-core skips them.
fn decision_value(decision: &Decision) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    // A Decision is plain strings, numbers and bools, so this cannot fail; if
    // it ever did, `null` is what the bridge treats as a denial.
    decision.serialize(&serializer).unwrap_or(JsValue::NULL)
}

/// The contract name of deny code `code` (`1..=8`), or of a load outcome
/// when `load` is true (`0..=6`); empty for a number with no name. The bridge
/// reads these tables once at start-up.
#[wasm_bindgen(js_name = codeName)]
pub fn code_name(code: u8, load: bool) -> String {
    let name = if load {
        LoadCode::from_u8(code).map(LoadCode::as_str)
    } else {
        DenyCode::from_u8(code).map(DenyCode::as_str)
    };
    name.unwrap_or_default().to_owned()
}

/// The `errno` a mini program's `fail` callback gets for deny code `code`
/// (`0` for a number that is no deny code).
#[wasm_bindgen]
pub fn errno(code: u8) -> u32 {
    DenyCode::from_u8(code).map_or(0, DenyCode::errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_fails_closed() {
        assert_eq!(seconds(f64::NAN), u64::MAX);
        assert_eq!(seconds(-1.0), u64::MAX);
        assert_eq!(seconds(12.9), 12);
        assert_eq!(seconds(1e30), u64::MAX);
    }

    #[test]
    fn unknown_kind_and_bytes_deny() {
        let mut g = WasmGuard::create("k3yK3yk3yK3yk3y1").unwrap();
        assert_eq!(g.check_url(0, 0, "https://a.example/", 0.0), CALLER_BUG);
        assert_eq!(g.check_url(0, 9, "https://a.example/", 0.0), CALLER_BUG);
        assert!(!byte_verdict(0x7f).allow());
        assert_eq!(code_name(7, false), "domain_not_whitelisted");
        assert_eq!(code_name(5, true), "stale_version");
        assert_eq!(code_name(0, false), "");
    }
}

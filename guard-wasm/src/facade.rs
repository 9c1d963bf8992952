//! The wasm-bindgen façade (feature `facade`): [`WasmGuard`], `decide`,
//! `explain` and the code-name tables as JS classes and functions, for
//! trusted tools only (the JS tests' oracle, the harness's "Try a call").
//! It is built into a second, tools-only module (`js/pkg-tools/`, by
//! `js/scripts/build-wasm.sh`); the shipped `.wasm` has the raw ABI alone
//! (decision 590), which is what the JS bridge and the wasmtime host call.
//!
//! The façade converts between JS values and guard-core types and decides
//! nothing itself. Its per-call path is integer-only like the raw ABI's:
//! names and app ids resolve to stable `u32`s once ([`WasmGuard::api_id`],
//! [`WasmGuard::app_handle`]), then [`WasmGuard::check_api_id`] takes and
//! returns plain numbers. Messages (`errMsg`) are rendered by guard-core
//! only when asked, i.e. on a denial.
//!
//! Contract v3 (§2.1, §3.7): [`WasmGuard::from_config`] creates a guard from
//! a configuration JSON (root keys with the superapp id, never together with
//! a SecretKey or signing keys; local media prefixes), whose signing keys
//! then arrive only in key sets signed by a root ([`WasmGuard::load_keys`]);
//! [`WasmGuard::check_media`] checks a media source (kind `9`), and
//! [`WasmGuard::signed_state`] / [`WasmGuard::restore_state`] carry the
//! floors across restarts as the signed documents that set them.
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

use guard_core::{
    ApiId, AppHandle, CheckKind, Decision, DenyCode, Guard, GuardConfig, LoadCode, LoadError,
    SignedState, UrlVerdict, Verdict,
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
    /// What the last media check hands on when it let the call through
    /// (§3.7: a local or inline form as classified, a network target as
    /// serialised), for [`WasmGuard::media_href`].
    last_media: Option<String>,
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
        Ok(WasmGuard::over(Guard::with_keys(keys)))
    }

    /// A guard with no policy for a configuration JSON (contract v3):
    /// `{"secret"?, "keys"?, "roots"?, "superapp_id"?, "local_prefixes"?}`,
    /// as `guard_core::GuardConfig::from_json` reads it. With `roots` (public
    /// Ed25519 JWKs) and `superapp_id`, bundles verify only with the keys of
    /// a key set one of the roots signed ([`WasmGuard::load_keys`]).
    ///
    /// # Errors
    ///
    /// A JS `Error` saying what is wrong: roots together with a SecretKey or
    /// signing keys, roots without `superapp_id`, a private or invalid key,
    /// a local prefix that is not an absolute URL whose path ends in `/`.
    #[wasm_bindgen(js_name = fromConfig)]
    pub fn from_config(json: &str) -> Result<WasmGuard, JsError> {
        WasmGuard::configure(json).map_err(|e| JsError::new(&e))
    }

    /// Loads a key set (contract v3 §2.1, a JWS signed by one of the roots)
    /// at `now` and answers the [`LoadCode`] as its number (`0` ok,
    /// `8` `invalid_keyset`, ...), as [`WasmGuard::load`] does for bundles.
    #[wasm_bindgen(js_name = loadKeys)]
    pub fn load_keys(&mut self, jws: &str, now: f64) -> u8 {
        let loaded = self.inner.load_keys(jws, seconds(now)).map(|_| ());
        self.outcome(loaded)
    }

    /// The signed state to persist after a successful load (JSON: the key
    /// set in force and the bundle at the floor, as received), or
    /// `undefined` for a guard created without roots (which keeps a floor).
    #[wasm_bindgen(js_name = signedState)]
    pub fn signed_state(&self) -> Option<String> {
        self.inner.signed_state().map(|s| s.to_json())
    }

    /// Restores a persisted [`WasmGuard::signed_state`] into a guard that
    /// has loaded nothing yet: every document is verified against the roots
    /// again, so stored text can neither lower nor raise a floor. Answers
    /// the [`LoadCode`] as its number; on a refusal the guard is unchanged
    /// and [`WasmGuard::load_message`] says why.
    #[wasm_bindgen(js_name = restoreState)]
    pub fn restore_state(&mut self, json: &str, now: f64) -> u8 {
        let restored = SignedState::from_json(json)
            .and_then(|state| self.inner.restore_state(&state, seconds(now)))
            .map(|_| ());
        self.outcome(restored)
    }

    /// A media check (contract v3 §3.7, kind `9`) by app handle, answering
    /// the verdict byte. What the original receives when the call goes
    /// through is then [`WasmGuard::media_href`]; the `errMsg` is
    /// [`WasmGuard::url_message`] with kind `9`.
    #[wasm_bindgen(js_name = checkMedia)]
    pub fn check_media(&mut self, app: u32, url: &str, now: f64) -> u8 {
        let (verdict, on_hand) = self
            .inner
            .check_media_handle(AppHandle(app), url, seconds(now));
        self.keep_media(verdict, on_hand.map(|h| h.into_owned()))
    }

    /// [`WasmGuard::check_media`] by app id, for when no handle could be
    /// given out.
    #[wasm_bindgen(js_name = checkMediaByApp)]
    pub fn check_media_by_app(&mut self, app: &str, url: &str, now: f64) -> u8 {
        let (verdict, on_hand) = self.inner.check_media(app, url, seconds(now));
        self.keep_media(verdict, on_hand.map(|h| h.into_owned()))
    }

    /// What the last media check hands on (the classified local or inline
    /// form, or the network target's WHATWG serialisation), when it let the
    /// call through; `undefined` after a denial or another check.
    #[wasm_bindgen(js_name = mediaHref)]
    pub fn media_href(&self) -> Option<String> {
        self.last_media.clone()
    }

    /// Loads a signed bundle with the clock at `now` (unix seconds) and answers
    /// the [`LoadCode`] as its number (`0` ok). The message of a refusal is then
    /// available from [`WasmGuard::load_message`].
    pub fn load(&mut self, bundle: &str, now: f64) -> u8 {
        let loaded = self.inner.load(bundle, seconds(now)).map(|_| ());
        self.outcome(loaded)
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
        self.last_media = None;
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
        self.last_media = None;
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
        Ok(WasmGuard::over(
            Guard::new(secret).map_err(|e| e.to_string())?,
        ))
    }

    /// [`WasmGuard::from_config`] for Rust callers, with a plain error.
    ///
    /// # Errors
    ///
    /// The configuration error's message.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_wasm::WasmGuard;
    /// let both = r#"{"secret":"k3yK3yk3yK3yk3y1","roots":[{"kty":"OKP","crv":"Ed25519",
    ///   "kid":"r","x":"CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4"}],"superapp_id":"demo"}"#;
    /// assert!(WasmGuard::configure(both).unwrap_err().contains("never both"));
    /// ```
    pub fn configure(json: &str) -> Result<WasmGuard, String> {
        let config = GuardConfig::from_json(json).map_err(|e| e.to_string())?;
        Ok(WasmGuard::over(Guard::from_config(config)))
    }

    fn over(inner: Guard) -> WasmGuard {
        WasmGuard {
            inner,
            load_message: String::new(),
            last_url: None,
            last_media: None,
        }
    }

    /// A load's outcome as its code number, keeping the refusal's message.
    fn outcome(&mut self, loaded: Result<(), LoadError>) -> u8 {
        match loaded {
            Ok(()) => {
                self.load_message.clear();
                LoadCode::Ok as u8
            }
            Err(e) => {
                self.load_message = e.message;
                e.code as u8
            }
        }
    }

    /// Keeps a media check's verdict (for its message) and what it hands
    /// on when it let the call through.
    fn keep_media(&mut self, verdict: UrlVerdict, on_hand: Option<String>) -> u8 {
        let byte = verdict.verdict.to_u8();
        self.last_media = on_hand.filter(|_| verdict.verdict.allow());
        self.last_url = Some(verdict);
        byte
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
/// when `load` is true (`0..=8`, `8` being v3's `invalid_keyset`); empty for a number with no name. The bridge
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

    // Root `root-1` and signing key `2026-12` of ../shared/vectors-v3/v3-keysets.json.
    const ROOT_X: &str = "CgwQB9HaZxdpWeJ4yxp9AGHTlXmw46RZIN9wnsYNNN4";
    const ROOT_SEED: [u8; 32] = [
        186, 86, 21, 199, 251, 67, 208, 168, 139, 113, 162, 113, 210, 155, 148, 221, 159, 228, 25,
        176, 98, 46, 139, 3, 230, 56, 100, 141, 228, 171, 77, 88,
    ];
    const KEY_X: &str = "oGLZaSl9yuoXZCZf2lzTC5uLVjx9UhtG0Jo51ARBBIQ";
    const KEY_SEED: [u8; 32] = [
        239, 204, 99, 208, 207, 217, 133, 215, 176, 169, 220, 32, 180, 112, 156, 53, 132, 151, 150,
        189, 170, 101, 225, 17, 157, 241, 185, 151, 178, 254, 248, 231,
    ];
    const NOW: f64 = 1_795_305_600.0;

    fn rooted() -> WasmGuard {
        let config = format!(
            r#"{{"roots":[{{"kty":"OKP","crv":"Ed25519","kid":"root-1","x":"{ROOT_X}"}}],
               "superapp_id":"demo","local_prefixes":["http://tmp/"]}}"#
        );
        WasmGuard::configure(&config).unwrap()
    }

    fn keyset(version: u64, x: &str, signer: &[u8; 32]) -> String {
        let payload = format!(
            r#"{{"superapp_id":"demo","version":{version},"issued_at":0,"expires_at":1900000000,
               "keys":[{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{x}"}}]}}"#
        );
        guard_core::keyset::sign(payload.as_bytes(), "root-1", signer)
    }

    fn bundle(version: u64, media: &str) -> String {
        let policy = format!(
            r#"{{"schema":3,"superapp_id":"demo","version":{version},"issued_at":0,
               "apps":[{{"app_id":"mp","kind":"mini_program","control":{{"media_domains":true}},
                         "domains":{{"media":["{media}"]}}}}]}}"#
        );
        guard_core::bundle::sign_ed25519(policy.as_bytes(), "k1", &KEY_SEED)
    }

    #[test]
    fn roots_lead_to_keys_and_bundles() {
        let mut g = rooted();
        // No key set yet: a bundle has nothing to verify with.
        assert_eq!(g.load(&bundle(1, "https://cdn.example"), NOW), 7);
        // A key set signed by a key that is no root is refused.
        assert_eq!(g.load_keys(&keyset(1, KEY_X, &KEY_SEED), NOW), 3);
        assert!(!g.load_message().is_empty());
        assert_eq!(g.load_keys(&keyset(1, KEY_X, &ROOT_SEED), NOW), 0);
        // A key set handed in as a bundle is not a bundle.
        assert_ne!(g.load(&keyset(1, KEY_X, &ROOT_SEED), NOW), 0);
        assert_eq!(g.load(&bundle(1, "https://cdn.example"), NOW), 0);
        let app = g.app_handle("mp").unwrap();
        assert_eq!(g.check_media(app, "https://cdn.example/a.png", NOW), 0);
        assert_eq!(g.media_href().as_deref(), Some("https://cdn.example/a.png"));
        assert_eq!(g.check_media(app, "HTTP://TMP/a.png", NOW), 0);
        assert_eq!(g.media_href().as_deref(), Some("http://tmp/a.png"));
        assert_eq!(
            g.check_media(app, "https://evil.example/a.png", NOW),
            DenyCode::DomainNotWhitelisted as u8
        );
        assert_eq!(g.media_href(), None);
        assert_eq!(
            g.url_message(9),
            "media:fail url not in domain list:evil.example"
        );
        assert_eq!(
            g.check_media_by_app("mp", "//evil.example/a.png", NOW),
            DenyCode::InvalidUrl as u8
        );
        // Another check forgets what the last media check handed on.
        g.check_media(app, "https://cdn.example/b.png", NOW);
        g.check_url(app, 1, "https://cdn.example/", NOW);
        assert_eq!(g.media_href(), None);
    }

    #[test]
    fn signed_state_neither_lowers_nor_raises_a_floor() {
        let mut g = rooted();
        assert_eq!(g.signed_state().as_deref(), Some("{}"));
        assert_eq!(g.load_keys(&keyset(2, KEY_X, &ROOT_SEED), NOW), 0);
        assert_eq!(g.load(&bundle(5, "https://cdn.example"), NOW), 0);
        let state = g.signed_state().unwrap();

        let mut again = rooted();
        assert_eq!(again.restore_state(&state, NOW), 0);
        let app = again.app_handle("mp").unwrap();
        assert_eq!(again.check_media(app, "https://cdn.example/a.png", NOW), 0);
        // The floor came back: an older bundle is stale.
        assert_eq!(again.load(&bundle(4, "https://evil.example"), NOW), 5);
        // Into a guard that loaded something, nothing is restored.
        assert_eq!(again.restore_state(&state, NOW), 5);

        // A floor written in as a number is no signed state.
        let mut forged = rooted();
        assert_eq!(forged.restore_state(r#"{"floor":99999}"#, NOW), 1);
        // A key set signed by a non-root key is refused at restore too.
        let planted = format!(r#"{{"keyset":"{}"}}"#, keyset(9, KEY_X, &KEY_SEED));
        assert_eq!(forged.restore_state(&planted, NOW), 3);
        assert_eq!(forged.load_keys(&keyset(2, KEY_X, &ROOT_SEED), NOW), 0);

        // A guard without roots has no signed state.
        assert_eq!(
            WasmGuard::create("k3yK3yk3yK3yk3y1")
                .unwrap()
                .signed_state(),
            None
        );
    }

    #[test]
    fn configuration_errors_are_errors() {
        let root = format!(r#"[{{"kty":"OKP","crv":"Ed25519","kid":"r","x":"{ROOT_X}"}}]"#);
        for bad in [
            format!(r#"{{"roots":{root},"superapp_id":"s","secret":"k3yK3yk3yK3yk3y1"}}"#),
            format!(r#"{{"roots":{root}}}"#),
            format!(r#"{{"roots":{root},"superapp_id":"s","local_prefixes":["http://tmp/a"]}}"#),
            r#"{"roots":[],"superapp_id":"s"}"#.to_owned(),
            "not json".to_owned(),
        ] {
            assert!(WasmGuard::configure(&bad).is_err(), "{bad}");
        }
        assert_eq!(code_name(8, true), "invalid_keyset");
        assert_eq!(code_name(9, true), "");
    }
}

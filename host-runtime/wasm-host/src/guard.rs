//! [`WasmGuard`]: one guard in its own wasmtime instance, rebuilt from the
//! module and what it accepted (the last good bundle, or for a guard created
//! with roots its signed state) after a trap, a timeout or running out of
//! memory, with the ids it handed out kept stable across rebuilds.

use std::collections::HashMap;
use std::fmt;

use guard_core::report::Batch;
use guard_core::{
    ApiId, AppHandle, Check, CheckKind, Decision, DenyCode, Floor, LoadCode, LoadError,
    SignedState, Verdict,
};
use wasmtime::Trap;

use crate::abi::{check_in, decide_in, load_in, verdict, Doc, NO_POLICY};
use crate::error::HostError;
use crate::instance::{CallError, Live};

/// What [`WasmGuard::set_keys`] did with the bundle in force.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rekeyed {
    /// The last good bundle verifies with the new keys and is in force again.
    Kept,
    /// Nothing had been accepted: nothing to re-load.
    Empty,
    /// The last good bundle does not verify with the new keys (its key left
    /// the set): it is dropped and the floor stays, so the guard denies
    /// `no_policy` until a bundle at or above the floor loads.
    Dropped(LoadError),
}

/// How the guard is created in each instance.
#[derive(Debug, Clone)]
enum Create {
    /// `guard_new`: a SecretKey or a v2 key-set JSON.
    Keys(String),
    /// `guard_new_config`: a guard configuration JSON (contract v3).
    Config(String),
}

/// A length as the raw ABI passes it (texts here are far below 4 GiB).
fn len32(text: &str) -> u32 {
    u32::try_from(text.len()).unwrap_or(u32::MAX)
}
use crate::module::WasmModule;

/// The names a caller interned, with their ids in the current instance, so
/// the ids handed out stay valid across rebuilds.
#[derive(Debug, Default)]
struct Names {
    names: Vec<String>,
    index: HashMap<String, u32>,
    /// `wasm[host id]` = the id in the live instance.
    wasm: Vec<u32>,
}

/// A guard running in its own wasmtime instance.
///
/// Not `Sync`: a store runs one call at a time. Share the [`WasmModule`] and
/// give each thread its own `WasmGuard` (and its own loads).
pub struct WasmGuard {
    module: WasmModule,
    /// What the guard is created from, again on every rebuild.
    create: Create,
    live: Option<Live>,
    /// The last bundle accepted and the clock it was accepted at (a guard
    /// created without roots).
    last_good: Option<(String, u64)>,
    /// A guard created with roots: its signed state (JSON) after the last
    /// successful load or restore, and the clock then; restored into every
    /// rebuilt instance, so both floors survive a rebuild.
    state: Option<(String, u64)>,
    /// The floor a host restored (from before a restart), restored again in
    /// every rebuilt instance before the last good bundle is re-loaded.
    floor: Option<Floor>,
    apis: Names,
    apps: Names,
    rebuilds: u64,
}

impl fmt::Debug for WasmGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmGuard")
            .field("module", &self.module)
            .field("loaded", &self.last_good.is_some())
            .field("rebuilds", &self.rebuilds)
            .finish_non_exhaustive()
    }
}

impl WasmGuard {
    /// A guard with no policy, verifying bundles with `keys`: either the
    /// superapp's SecretKey (HS256 bundles only), or (first byte `{`) a
    /// key-set JSON `{"secret"?: "<SecretKey>", "keys"?: [<Ed25519 public
    /// JWK>, ...]}` with at least one of the two (contract v2 §2; what a
    /// server's `keys.json` serves goes in `keys`). A JWK carrying its private
    /// `d` is refused: a device never holds a private key. The keys are kept
    /// and given to every rebuilt instance.
    ///
    /// # Errors
    ///
    /// [`HostError::Secret`] when the wasm guard refuses the keys (the message
    /// says why), [`HostError::Instance`] when the instance cannot be created.
    pub fn new(module: &WasmModule, keys: &str) -> Result<WasmGuard, HostError> {
        WasmGuard::create(module, Create::Keys(keys.to_owned()))
    }

    /// A guard with no policy, created from a configuration JSON
    /// `{"secret"?, "keys"?, "roots"?, "superapp_id"?, "local_prefixes"?}`
    /// (`guard_core::GuardConfig::from_json`): contract v3's root keys with
    /// the superapp they serve (never with a SecretKey or signing keys; the
    /// signing keys then arrive in key sets, [`WasmGuard::load_keyset`]), and
    /// the prefixes the host treats as local media. Kept and given to every
    /// rebuilt instance.
    ///
    /// # Errors
    ///
    /// [`HostError::Secret`] when the wasm guard refuses the configuration
    /// (the message says why), [`HostError::Instance`] when the instance
    /// cannot be created.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use guard_wasm_host::{Options, WasmGuard, WasmModule};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let module = WasmModule::from_file(guard_wasm_host::default_module_path(), &Options::default())?;
    /// let config = r#"{"roots":[{"kty":"OKP","crv":"Ed25519","kid":"root-1",
    ///   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}],"superapp_id":"demo",
    ///   "local_prefixes":["http://tmp/"]}"#;
    /// let mut guard = WasmGuard::from_config(&module, config)?;
    /// # let (keyset, bundle, now) = (String::new(), String::new(), 0);
    /// guard.load_keyset(&keyset, now)?;
    /// guard.load(&bundle, now)?;
    /// let persist = guard.signed_state(); // keep it; restore_state after a restart
    /// let (v, hand_on) = guard.check_media("mp", "https://cdn.example/a.png", now);
    /// # let _ = (persist, v, hand_on);
    /// # Ok(()) }
    /// ```
    pub fn from_config(module: &WasmModule, config: &str) -> Result<WasmGuard, HostError> {
        WasmGuard::create(module, Create::Config(config.to_owned()))
    }

    fn create(module: &WasmModule, create: Create) -> Result<WasmGuard, HostError> {
        let mut g = WasmGuard {
            module: module.clone(),
            create,
            live: None,
            last_good: None,
            state: None,
            floor: None,
            apis: Names::default(),
            apps: Names::default(),
            rebuilds: 0,
        };
        let live = g.start()?;
        g.live = Some(live);
        Ok(g)
    }

    /// How many times the instance was rebuilt after a trap, timeout or OOM.
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds
    }

    /// The module this guard runs.
    pub fn module(&self) -> &WasmModule {
        &self.module
    }

    /// A fresh instance with the guard created, the last good bundle re-loaded
    /// and every interned name re-interned.
    fn start(&mut self) -> Result<Live, HostError> {
        let load_timeout = self.module.0.options.load_timeout;
        let fail = |what: &str, e: CallError| HostError::Instance(format!("{what}: {e}"));
        let mut live = self.module.instance()?;
        let (keys, new) = match &self.create {
            Create::Keys(k) => (k, live.f.new.clone()),
            Create::Config(c) => (c, live.f.new_config.clone()),
        };
        live.write_input(&[keys.as_bytes()], load_timeout)
            .map_err(|e| fail("writing the keys", e))?;
        let len = u32::try_from(keys.len())
            .map_err(|_| fail("writing the keys", CallError::Oom(keys.len())))?;
        match live.call(&new, len, load_timeout) {
            Ok(0) => {}
            Ok(1) => {
                let m = live.message(load_timeout).unwrap_or_default();
                return Err(HostError::Secret(m));
            }
            Ok(code) => return Err(fail("guard_new", CallError::Abi(code))),
            Err(e) => return Err(fail("guard_new", e)),
        }
        if let Some((state, at)) = &self.state {
            // Verified against the roots again, at the clock it was kept at.
            let code = load_in(&mut live, Doc::State, state, *at, load_timeout)
                .map_err(|e| fail("restoring the signed state", e))?;
            if code != 0 {
                return Err(fail("restoring the signed state", CallError::Abi(code)));
            }
        }
        if let Some(floor) = &self.floor {
            let json = floor.to_json();
            live.write_input(&[json.as_bytes()], load_timeout)
                .map_err(|e| fail("restoring the floor", e))?;
            let f = live.f.restore_floor.clone();
            let code = live
                .call(&f, len32(&json), load_timeout)
                .map_err(|e| fail("restoring the floor", e))?;
            if code != 0 {
                return Err(fail("restoring the floor", CallError::Abi(code)));
            }
        }
        if let Some((bundle, at)) = &self.last_good {
            // Re-loaded at the clock it was first accepted at, so it is accepted
            // again (and keeps its anti-rollback floor) even if it has expired
            // since; checks still judge the validity window at their own clock.
            let code = load_in(&mut live, Doc::Bundle, bundle, *at, load_timeout)
                .map_err(|e| fail("re-loading the last good bundle", e))?;
            if code != 0 {
                return Err(fail(
                    "re-loading the last good bundle",
                    CallError::Abi(code),
                ));
            }
        }
        for (names, func) in [
            (&mut self.apis, live.f.api_id.clone()),
            (&mut self.apps, live.f.app_handle.clone()),
        ] {
            names.wasm.clear();
            for name in &names.names {
                live.write_input(&[name.as_bytes()], load_timeout)
                    .map_err(|e| fail("re-interning a name", e))?;
                let id = live
                    .call(&func, name.len() as u32, load_timeout)
                    .map_err(|e| fail("re-interning a name", e))?;
                names.wasm.push(u32::try_from(id).unwrap_or(u32::MAX));
            }
        }
        Ok(live)
    }

    /// Logs a failed call and rebuilds the instance. A failed rebuild leaves
    /// no instance: every check then denies `no_policy` and the next call
    /// tries again.
    #[cold]
    fn recover(&mut self, during: &str, error: &CallError) {
        tracing::error!(%error, during, "guard wasm instance failed; rebuilding it");
        self.live = None;
        self.rebuilds += 1;
        match self.start() {
            Ok(live) => self.live = Some(live),
            Err(e) => tracing::error!(error = %e, "cannot rebuild the guard wasm instance"),
        }
    }

    fn live(&mut self) -> Option<&mut Live> {
        if self.live.is_none() {
            match self.start() {
                Ok(live) => self.live = Some(live),
                Err(e) => {
                    tracing::error!(error = %e, "cannot rebuild the guard wasm instance");
                    return None;
                }
            }
        }
        self.live.as_mut()
    }

    /// Verifies and loads a bundle at `now` (unix seconds), in the wasm.
    ///
    /// # Errors
    ///
    /// The wasm guard's [`LoadError`]. A load that traps, times out or runs the
    /// instance out of memory is refused as `invalid_policy` (the guard's limits
    /// refuse it), and the guard goes on with the last good bundle.
    pub fn load(&mut self, bundle: &str, now: u64) -> Result<(), LoadError> {
        self.load_doc(Doc::Bundle, bundle, now)
    }

    /// Contract v3 (§2.1): verifies and loads a key set (a key-set JWS signed
    /// by one of the guard's roots) at `now`, in the wasm. Bundles then
    /// verify with the keys it carries.
    ///
    /// # Errors
    ///
    /// The wasm guard's [`LoadError`]: `invalid_keyset`, `stale_version`
    /// below the key-set floor, `expired`, the JWS outcomes, and
    /// `unknown_key` for a guard created without roots. A load that fails
    /// within the instance's limits is `invalid_policy`, as for
    /// [`WasmGuard::load`]. A failed load changes nothing.
    pub fn load_keyset(&mut self, jws: &str, now: u64) -> Result<(), LoadError> {
        self.load_doc(Doc::Keyset, jws, now)
    }

    /// Contract v3 (§2.1): the signed state a host persists after every
    /// successful load of a guard created with roots (both floors as the
    /// signed documents that set them); `None` for a guard created without
    /// roots (it persists its [`WasmGuard::floor`]) or when the instance is
    /// down.
    pub fn signed_state(&mut self) -> Option<SignedState> {
        let json = self.signed_state_json()?;
        SignedState::from_json(&json).ok()
    }

    /// Restores a signed state kept from before a restart (as
    /// [`WasmGuard::signed_state`] gave it) at `now`, into a guard created
    /// from the same roots that has loaded nothing: every document is
    /// verified against the roots again. Kept, and restored in every rebuilt
    /// instance.
    ///
    /// # Errors
    ///
    /// The wasm guard's [`LoadError`] (nothing changes then).
    pub fn restore_state(&mut self, state: &SignedState, now: u64) -> Result<(), LoadError> {
        self.load_doc(Doc::State, &state.to_json(), now)
    }

    /// The signed state's JSON as the module answers it; `None` when it is
    /// empty (no roots) or the instance is down.
    fn signed_state_json(&mut self) -> Option<String> {
        let timeout = self.module.0.options.load_timeout;
        let live = self.live()?;
        let f = live.f.signed_state.clone();
        let text = live
            .call(&f, (), timeout)
            .and_then(|packed| live.packed_text(packed));
        match text {
            Ok(json) if json.is_empty() => None,
            Ok(json) => Some(json),
            Err(e) => {
                self.recover("signed_state", &e);
                None
            }
        }
    }

    /// Loads a bundle, key set or signed state; on success remembers what a
    /// rebuilt instance needs to enforce the same: the signed state of a
    /// guard created with roots, else the bundle.
    fn load_doc(&mut self, what: Doc, doc: &str, now: u64) -> Result<(), LoadError> {
        let timeout = self.module.0.options.load_timeout;
        let outcome = match self.live() {
            None => Err(CallError::Abi(-1)),
            Some(live) => load_in(live, what, doc, now, timeout).and_then(|code| {
                let message = live.message(timeout)?;
                Ok((code, message))
            }),
        };
        match outcome {
            Ok((0, _)) => {
                match self.signed_state_json() {
                    Some(state) => self.state = Some((state, now)),
                    None if what == Doc::Bundle => self.last_good = Some((doc.to_owned(), now)),
                    None => {}
                }
                Ok(())
            }
            Ok((code, message)) => match u8::try_from(code).ok().and_then(LoadCode::from_u8) {
                Some(code) => Err(LoadError { code, message }),
                None => Err(LoadError {
                    code: LoadCode::InvalidPolicy,
                    message: format!("the guard instance answered `{code}`"),
                }),
            },
            Err(e) => {
                if self.live.is_some() {
                    self.recover("load", &e);
                }
                Err(LoadError {
                    code: LoadCode::InvalidPolicy,
                    message: format!(
                        "the guard could not load the document within its limits: {e}"
                    ),
                })
            }
        }
    }

    fn intern(&mut self, name: &str, app: bool) -> Option<u32> {
        let names = if app { &self.apps } else { &self.apis };
        if let Some(id) = names.index.get(name) {
            return Some(*id);
        }
        let timeout = self.module.0.options.check_timeout;
        let live = self.live()?;
        let func = if app {
            live.f.app_handle.clone()
        } else {
            live.f.api_id.clone()
        };
        let result = live
            .write_input(&[name.as_bytes()], timeout)
            .and_then(|()| live.call(&func, name.len() as u32, timeout));
        match result {
            Ok(id) if id >= 0 => {
                let names = if app { &mut self.apps } else { &mut self.apis };
                let host = u32::try_from(names.names.len()).ok()?;
                names.names.push(name.to_owned());
                names.index.insert(name.to_owned(), host);
                names.wasm.push(id as u32);
                Some(host)
            }
            Ok(_) => None,
            Err(e) => {
                self.recover("intern", &e);
                None
            }
        }
    }

    /// The stable id of an API name (interning it). `None` when the guard's
    /// name table is full or the instance is down; check by name then.
    pub fn api_id(&mut self, name: &str) -> Option<ApiId> {
        self.intern(name, false).map(ApiId)
    }

    /// The stable handle of an app id (interning it); as [`WasmGuard::api_id`].
    pub fn app_handle(&mut self, app: &str) -> Option<AppHandle> {
        self.intern(app, true).map(AppHandle)
    }

    /// The hot path: an API check by handle and id, in the wasm. An id not
    /// from this guard is unknown to it.
    #[inline]
    pub fn check_api_id(&mut self, app: AppHandle, api: ApiId, now: u64) -> Verdict {
        let wa = self
            .apps
            .wasm
            .get(app.0 as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let wi = self
            .apis
            .wasm
            .get(api.0 as usize)
            .copied()
            .unwrap_or(u32::MAX);
        let deadline = self.module.0.check_ticks;
        let Some(live) = self.live.as_mut() else {
            return self.down();
        };
        let func = &live.f.check_api;
        live.store.set_epoch_deadline(deadline);
        match func.call(&mut live.store, (wa, wi, now as i64)) {
            Ok(byte) => verdict(byte),
            Err(e) => {
                let e = if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                    CallError::Timeout
                } else {
                    CallError::Trap(format!("{e:#}"))
                };
                self.recover("check_api", &e);
                NO_POLICY
            }
        }
    }

    #[cold]
    fn down(&mut self) -> Verdict {
        // Try to come back for the next call; this one fails closed.
        let _ = self.live();
        NO_POLICY
    }

    /// One check in the wasm, verdict and (when `href`) the href the module
    /// kept; fails closed (deny `no_policy`, no href).
    fn check_with(
        &mut self,
        during: &str,
        app: &str,
        check: &Check<'_>,
        now: u64,
        href: bool,
    ) -> (Verdict, Option<String>) {
        let timeout = self.module.0.options.check_timeout;
        let outcome = match self.live() {
            None => return (NO_POLICY, None),
            Some(live) => check_in(live, app, check, now, href, timeout),
        };
        outcome.unwrap_or_else(|e| {
            self.recover(during, &e);
            (NO_POLICY, None)
        })
    }

    /// A URL check of `kind` by app id, verdict only: one call into the wasm,
    /// no message. For a host that needs the `errMsg` only on denial (and then
    /// asks [`WasmGuard::decide`]). A kind that is no URL kind here answers
    /// `invalid_url`. Fails closed: deny `no_policy`.
    pub fn check_url(&mut self, app: &str, kind: CheckKind, url: &str, now: u64) -> Verdict {
        self.check_with("check_url", app, &Check::Url(kind, url), now, false)
            .0
    }

    /// [`WasmGuard::check_url`], plus the URL's WHATWG serialisation (`href`)
    /// whenever it parsed, whatever the verdict: what an enforcement point
    /// hands on instead of the caller's string (contract §3.7). One more call
    /// into the wasm (`guard_href`).
    pub fn check_url_href(
        &mut self,
        app: &str,
        kind: CheckKind,
        url: &str,
        now: u64,
    ) -> (Verdict, Option<String>) {
        self.check_with("check_url", app, &Check::Url(kind, url), now, true)
    }

    /// Contract v3 (§3.7): a media source (an image, font, audio, video or
    /// poster source), classified first: inline (`data:`), a platform file,
    /// a package path or under a configured local prefix is local; anything
    /// else is a network target the URL rules decide (`control.media_domains`
    /// and `domains.media`). Also returns what the enforcement point hands
    /// on (a local target as classified, a network one as the WHATWG parser
    /// serialised it), whatever the verdict. Fails closed: deny `no_policy`.
    pub fn check_media(&mut self, app: &str, url: &str, now: u64) -> (Verdict, Option<String>) {
        let check = Check::Url(CheckKind::Media, url);
        self.check_with("check_media", app, &check, now, true)
    }

    /// The launch check (contract §3.5): may the base library run this code
    /// package? Only the released `version` with the released
    /// `package_sha256` (64 hex digits, the SHA-256 of the package's bytes)
    /// is allowed. Fails closed: deny `no_policy`.
    pub fn check_launch(
        &mut self,
        app: &str,
        version: &str,
        package_sha256: &str,
        now: u64,
    ) -> Verdict {
        let check = Check::Launch {
            version,
            package_sha256,
        };
        self.check_with("check_launch", app, &check, now, false).0
    }

    /// A raw socket check (contract §3.7) of `kind` ([`CheckKind::Tcp`] or
    /// [`CheckKind::Udp`]; another kind answers `invalid_url`): `host` (an
    /// IPv6 address in brackets) and `port`. Also returns the host as the
    /// WHATWG host parser serialised it (whenever it parsed): what the
    /// enforcement point connects to. Fails closed: deny `no_policy`.
    pub fn check_socket_target(
        &mut self,
        app: &str,
        kind: CheckKind,
        host: &str,
        port: u32,
        now: u64,
    ) -> (Verdict, Option<String>) {
        let check = Check::Socket(kind, host, port);
        self.check_with("check_socket_target", app, &check, now, true)
    }

    /// A redirect hop (contract §3.6) of a `kind` call allowed for
    /// `base_href`: the verdict on the absolute target of `location`, and that
    /// target's href (whenever it resolved), which is what to connect to.
    /// `hop` counts from 1; hop 11 and later is `invalid_url`. Fails closed:
    /// deny `no_policy`.
    pub fn check_redirect(
        &mut self,
        app: &str,
        kind: CheckKind,
        base_href: &str,
        location: &str,
        hop: u32,
        now: u64,
    ) -> (Verdict, Option<String>) {
        let check = Check::Redirect {
            kind,
            base_href,
            location,
            hop,
        };
        self.check_with("check_redirect", app, &check, now, true)
    }

    /// Any check, answered as the contract's decision object, with the message
    /// rendered by the wasm. For [`CheckKind::Api`] `subject` is the API name
    /// (not interned), for `tcp` and `udp` `host:port`, else the URL (a
    /// `launch`, which takes two strings, answers `invalid_url`: use
    /// [`WasmGuard::decide_check`]). Fails closed: deny `no_policy`.
    pub fn decide(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        match Check::from_subject(kind, subject) {
            Some(check) => self.decide_check(app, &check, now),
            None => self.decide_check(app, &Check::Url(kind, subject), now),
        }
    }

    /// Any [`Check`] (launch, sockets and redirects included), answered as the
    /// contract's decision object with the message rendered by the wasm, as
    /// `guard_core::Guard::decide_check` answers it. Fails closed: deny
    /// `no_policy`.
    pub fn decide_check(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        self.decide_with(app, check, now, false).0
    }

    /// [`WasmGuard::decide_check`], plus what a URL, socket or redirect check
    /// hands on (as [`WasmGuard::check_url_href`],
    /// [`WasmGuard::check_socket_target`] and [`WasmGuard::check_redirect`]
    /// answer it, whatever the verdict; `None` for other checks): one check,
    /// so one report when it denies.
    pub fn decide_check_href(
        &mut self,
        app: &str,
        check: &Check<'_>,
        now: u64,
    ) -> (Decision, Option<String>) {
        self.decide_with(app, check, now, true)
    }

    fn decide_with(
        &mut self,
        app: &str,
        check: &Check<'_>,
        now: u64,
        href: bool,
    ) -> (Decision, Option<String>) {
        let timeout = self.module.0.options.check_timeout;
        let label = match *check {
            Check::Api(name) => name,
            _ => check.kind().url_label().unwrap_or("api"),
        };
        let outcome = match self.live() {
            None => return (Decision::new(NO_POLICY, label, None, None), None),
            Some(live) => decide_in(live, app, check, now, href, timeout),
        };
        match outcome {
            Ok((v, message, href)) => (
                Decision {
                    allow: v.allow(),
                    code: v.code(),
                    message,
                    reported: v.reported(),
                    errno: v.code().map(DenyCode::errno),
                },
                href,
            ),
            Err(e) => {
                self.recover("check", &e);
                (Decision::new(NO_POLICY, label, None, None), None)
            }
        }
    }

    /// Re-keys the guard (a key rotation, `PROTOCOLS.md` P6): a new instance
    /// verifying with `keys` (as [`WasmGuard::new`] takes them), with the
    /// anti-rollback floor of this one restored and the last good bundle
    /// re-loaded at the clock it was accepted at, so what the guard enforces
    /// does not change when the bundle's key is still in the new set. The
    /// interned ids stay valid. Reports the old instance recorded are not
    /// carried over: drain them first with [`WasmGuard::take_reports`].
    ///
    /// # Errors
    ///
    /// [`HostError::Secret`] when the module refuses the keys, or
    /// [`HostError::Instance`] when no instance can be made with them; the
    /// guard is then unchanged (old keys, old instance).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use guard_wasm_host::{Options, Rekeyed, WasmGuard, WasmModule};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let module = WasmModule::from_file(guard_wasm_host::default_module_path(), &Options::default())?;
    /// let mut guard = WasmGuard::new(&module, "k3yK3yk3yK3yk3y1")?;
    /// // keys.json changed: the new set still has the bundle's key.
    /// # let new_keys = "";
    /// match guard.set_keys(new_keys)? {
    ///     Rekeyed::Kept | Rekeyed::Empty => {}
    ///     Rekeyed::Dropped(e) => eprintln!("the bundle in force no longer verifies: {e}"),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub fn set_keys(&mut self, keys: &str) -> Result<Rekeyed, HostError> {
        if matches!(self.create, Create::Config(_)) {
            // Contract v3: a guard created with roots takes its signing keys
            // only from key sets its roots signed.
            return Err(HostError::Secret(
                "a guard created from a configuration is re-keyed by key sets (`load_keyset`)"
                    .into(),
            ));
        }
        // The floor as the live instance has it: it may have risen since a
        // restore, with every bundle accepted here.
        let floor = self.floor().or_else(|| self.floor.clone());
        let old_keys = std::mem::replace(&mut self.create, Create::Keys(keys.to_owned()));
        let old_floor = std::mem::replace(&mut self.floor, floor);
        let last_good = self.last_good.take();
        let old_live = self.live.take();
        match self.start() {
            Ok(live) => self.live = Some(live),
            Err(e) => {
                self.create = old_keys;
                self.floor = old_floor;
                self.last_good = last_good;
                self.live = old_live;
                return Err(e);
            }
        }
        let Some((bundle, at)) = last_good else {
            return Ok(Rekeyed::Empty);
        };
        Ok(match self.load(&bundle, at) {
            Ok(()) => Rekeyed::Kept,
            Err(e) => Rekeyed::Dropped(e),
        })
    }

    /// What this guard accepted last (its anti-rollback floor,
    /// `guard_core::Floor`), for a host to persist with the bundle; `None`
    /// when it has accepted nothing or its instance is down.
    pub fn floor(&mut self) -> Option<Floor> {
        let timeout = self.module.0.options.load_timeout;
        let live = self.live()?;
        let f = live.f.floor.clone();
        let text = live
            .call(&f, (), timeout)
            .and_then(|packed| live.packed_text(packed));
        match text {
            Ok(json) if json.is_empty() => None,
            Ok(json) => Floor::from_json(&json).ok(),
            Err(e) => {
                self.recover("floor", &e);
                None
            }
        }
    }

    /// Restores a floor kept from before a restart, before anything is
    /// loaded (`guard_core::Guard::restore_floor`): the guard then refuses a
    /// lower version, or the same version with other bytes, as
    /// `stale_version`. Kept, and restored in every rebuilt instance. A floor
    /// above what this guard accepted leaves it with no policy until a bundle
    /// at or above it loads.
    ///
    /// # Errors
    ///
    /// [`HostError::Floor`] when the wasm guard refuses it (nothing changes),
    /// [`HostError::Instance`] when the instance is down or failed.
    pub fn restore_floor(&mut self, floor: &Floor) -> Result<(), HostError> {
        let timeout = self.module.0.options.load_timeout;
        let before = self.floor();
        let json = floor.to_json();
        let live = self
            .live()
            .ok_or_else(|| HostError::Instance("the guard instance is down".into()))?;
        let f = live.f.restore_floor.clone();
        let outcome = live
            .write_input(&[json.as_bytes()], timeout)
            .and_then(|()| live.call(&f, len32(&json), timeout))
            .and_then(|code| match code {
                0 => Ok(None),
                1 => live.message(timeout).map(Some),
                other => Err(CallError::Abi(other)),
            });
        match outcome {
            Ok(None) => {
                if before.is_none_or(|b| b.version < floor.version) {
                    // Raised: the instance dropped the older policy, so a
                    // rebuild restores this floor and re-loads nothing older.
                    self.floor = Some(floor.clone());
                    self.last_good = None;
                }
                Ok(())
            }
            Ok(Some(message)) => Err(HostError::Floor(message)),
            Err(e) => {
                self.recover("restore_floor", &e);
                Err(HostError::Instance(format!("restoring the floor: {e}")))
            }
        }
    }

    /// Drains the violation reports the wasm guard recorded at its decisions
    /// (`guard_core::report`): denials and report-mode passes of every check,
    /// aggregated, at most 100, none older than 15 minutes at `now`. A host
    /// sends them and, when sending fails, puts them back with
    /// [`WasmGuard::requeue_reports`]. Reports of an instance that failed
    /// (trap, timeout, out of memory) are lost with it; an empty batch then.
    pub fn take_reports(&mut self, now: u64) -> Batch {
        let timeout = self.module.0.options.check_timeout;
        let Some(live) = self.live() else {
            return Batch::default();
        };
        let f = live.f.take_reports.clone();
        let text = live
            .call(&f, now as i64, timeout)
            .and_then(|packed| live.packed_text(packed));
        match text.map(|json| Batch::from_json(json.as_bytes())) {
            Ok(Ok(batch)) => batch,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the guard module's reports do not parse");
                Batch::default()
            }
            Err(e) => {
                self.recover("take_reports", &e);
                Batch::default()
            }
        }
    }

    /// Puts the batch the last [`WasmGuard::take_reports`] answered back into
    /// the log, for a host whose send failed: it merges with what was
    /// recorded since, within the log's bounds (too old: gone; no room:
    /// counted as dropped). A second call, or one after nothing was taken,
    /// does nothing; the module keeps the batch itself, so nothing is parsed.
    pub fn requeue_reports(&mut self, now: u64) {
        let timeout = self.module.0.options.check_timeout;
        let Some(live) = self.live() else { return };
        let f = live.f.requeue_reports.clone();
        if let Err(e) = live.call(&f, now as i64, timeout) {
            self.recover("requeue_reports", &e);
        }
    }
}

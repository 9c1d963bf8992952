//! # guard-conformance
//!
//! The decision-vector format of `docs/policy.md` §4 and one runner for it,
//! generic over an [`Engine`]: guard-core called natively, the same `.wasm` in
//! wasmtime (`guard-wasm-host`), or anything else that can load a bundle and
//! answer a check. The vector files live in `tests/vectors/` (the contract's
//! own set in `tests/vectors/shared/` and `tests/vectors/shared-v2/`, copied
//! from `../shared/vectors` and `../shared/vectors-v2`).
//!
//! Contract v2 fields (§4) are read too: a top-level `keys` (Ed25519 JWKs
//! with their private `d`, which only the runner uses, to sign), a load's
//! `sign_with` (EdDSA with that key), and the cases `launch`, `tcp` and `udp`.
//! And contract v3 fields: a top-level `roots` (Ed25519 JWKs with their
//! private `d`) with `superapp_id` (the engine is then created with the
//! public roots and that id only), `local_prefixes`, a load's `keyset`
//! (signed with the key-set header by the root `sign_with` names) or
//! `keyset_jws` (loaded as given), a load's `now`, and the case `media`.
//!
//! Extensions to the contract's format, used by this project's own vectors:
//! a load may carry `now` (moving the clock before it), `message` on a load
//! checks that the error message contains that text, and a case may carry
//! `message` (the exact `errMsg`), `errno`, `reported` and `note` (why the
//! case exists).
//!
//! Fields the runner does not know are ignored with a warning (carried by the
//! [`Outcome`] of the load or case, or of the file's first one): the corpus is
//! shared across runtimes and teams, and an annotation one of them adds
//! (`"comment"`, `"id"`) must not turn a whole file of passing vectors into one
//! failure. Every field the runner knows is type-checked strictly, and the
//! required ones (`secret`, `now`, `expect`, `app`, one subject) still make a
//! file or case fail when they are missing, so a typo in one of them cannot
//! pass silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use guard_core::{
    bundle, keyset, Check, CheckKind, Decision, Guard, GuardConfig, LoadCode, SecretKey,
};
use serde::Deserialize;
use serde_json::Value;

/// Something that enforces the contract.
///
/// Engines are made from one string (see [`run_paths`]): the file's SecretKey,
/// or, when the file has `keys`, `roots` or `local_prefixes`, a guard
/// configuration JSON `{"secret"?, "keys"?, "roots"?, "superapp_id"?,
/// "local_prefixes"?}` with public JWKs only (its first byte is `{`), as
/// `guard_core::GuardConfig::from_json` reads.
pub trait Engine {
    /// Loads a bundle at `now`; `Ok(())` or the outcome code and message.
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)>;
    /// Contract v3: loads a key set at `now`. By default the engine cannot,
    /// and every key-set load fails, naming what is missing.
    fn load_keyset(&mut self, jws: &str, now: u64) -> Result<(), (LoadCode, String)> {
        let _ = (jws, now);
        Err((
            LoadCode::MalformedBundle,
            "this engine cannot load key sets".into(),
        ))
    }
    /// One check; `subject` is the API name, the URL, or `host:port` for
    /// `tcp` and `udp`.
    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision;
    /// Any check, `launch` included. By default the one-string checks go to
    /// [`Engine::check`] and the others fail, naming what is missing.
    fn check_any(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        match *check {
            Check::Api(name) => self.check(app, CheckKind::Api, name, now),
            Check::Url(kind, url) => self.check(app, kind, url, now),
            Check::Socket(kind, host, port) => {
                self.check(app, kind, &format!("{host}:{port}"), now)
            }
            Check::Launch { .. } | Check::Redirect { .. } => Decision {
                allow: false,
                code: None,
                message: format!("this engine cannot check {}", check.kind()),
                reported: false,
                errno: None,
            },
        }
    }
}

impl<E: Engine + ?Sized> Engine for Box<E> {
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)> {
        (**self).load(bundle, now)
    }

    fn load_keyset(&mut self, jws: &str, now: u64) -> Result<(), (LoadCode, String)> {
        (**self).load_keyset(jws, now)
    }

    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        (**self).check(app, kind, subject, now)
    }

    fn check_any(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        (**self).check_any(app, check, now)
    }
}

/// guard-core called directly.
#[derive(Debug)]
pub struct NativeEngine(pub Guard);

impl NativeEngine {
    /// A native engine for `keys`: a SecretKey, or a guard configuration
    /// JSON (first byte `{`).
    ///
    /// # Errors
    ///
    /// When `keys` is not a valid SecretKey or configuration.
    pub fn new(keys: &str) -> Result<NativeEngine, String> {
        if keys.starts_with('{') {
            return GuardConfig::from_json(keys)
                .map(|c| NativeEngine(Guard::from_config(c)))
                .map_err(|e| e.to_string());
        }
        Guard::new(keys)
            .map(NativeEngine)
            .map_err(|e| e.to_string())
    }
}

impl Engine for NativeEngine {
    fn load(&mut self, bundle: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0
            .load(bundle, now)
            .map(drop)
            .map_err(|e| (e.code, e.message))
    }

    fn load_keyset(&mut self, jws: &str, now: u64) -> Result<(), (LoadCode, String)> {
        self.0
            .load_keys(jws, now)
            .map(drop)
            .map_err(|e| (e.code, e.message))
    }

    fn check(&mut self, app: &str, kind: CheckKind, subject: &str, now: u64) -> Decision {
        self.0.decide(app, kind, subject, now)
    }

    fn check_any(&mut self, app: &str, check: &Check<'_>, now: u64) -> Decision {
        self.0.decide_check(app, check, now)
    }
}

/// Fields a vector file, load or case carries that the runner does not know.
pub type UnknownFields = BTreeMap<String, Value>;

/// A vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct VectorFile {
    /// What the file pins down.
    #[serde(default)]
    pub description: String,
    /// The superapp SecretKey that `policy` loads are signed with (required
    /// unless the file has `roots`).
    #[serde(default)]
    pub secret: Option<String>,
    /// The clock at the start.
    pub now: u64,
    /// v2: Ed25519 JWKs with their private `d`; the engine gets the public
    /// part of each, and `sign_with` loads are signed with the private one.
    #[serde(default)]
    pub keys: Option<Vec<Value>>,
    /// v3: root JWKs with their private `d`; the engine gets the public part
    /// of each and `superapp_id` only, and `keyset` loads are signed with
    /// the private one.
    #[serde(default)]
    pub roots: Option<Vec<Value>>,
    /// v3: the superapp a guard created with `roots` serves.
    #[serde(default)]
    pub superapp_id: Option<String>,
    /// v3: the prefixes the guard is created with as local media (§3.7).
    #[serde(default)]
    pub local_prefixes: Option<Vec<String>>,
    /// Shorthand for one load expected `ok`.
    #[serde(default)]
    pub policy: Option<Value>,
    /// Loads, in order.
    #[serde(default)]
    pub loads: Vec<Load>,
    /// Checks, in order, after the loads.
    #[serde(default)]
    pub cases: Vec<Case>,
    /// Fields the runner does not know (ignored, with a warning).
    #[serde(flatten)]
    pub unknown: UnknownFields,
}

/// One load of a vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct Load {
    /// A policy document, signed by the runner with the file's secret.
    #[serde(default)]
    pub policy: Option<Value>,
    /// A bundle, loaded as given.
    #[serde(default)]
    pub bundle: Option<String>,
    /// v3: a key-set payload, signed by the root `sign_with` names.
    #[serde(default)]
    pub keyset: Option<Value>,
    /// v3: a key set, loaded as given.
    #[serde(default)]
    pub keyset_jws: Option<String>,
    /// v2: sign `policy` with EdDSA by the file's key of this `kid` (v3:
    /// sign `keyset` by the file's root of this `kid`).
    #[serde(default)]
    pub sign_with: Option<String>,
    /// The expected outcome code.
    pub expect: String,
    /// Moves the clock before the load (project extension).
    #[serde(default)]
    pub now: Option<u64>,
    /// Text the error message must contain (project extension).
    #[serde(default)]
    pub message: Option<String>,
    /// A free-text note on why the load exists (project extension, as on cases).
    #[serde(default)]
    pub note: Option<String>,
    /// Fields the runner does not know (ignored, with a warning).
    #[serde(flatten)]
    pub unknown: UnknownFields,
}

/// One check of a vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// The app id.
    pub app: String,
    /// An API check.
    #[serde(default)]
    pub api: Option<String>,
    /// A `wx.request` URL check.
    #[serde(default)]
    pub request: Option<String>,
    /// A `wx.uploadFile` URL check.
    #[serde(default)]
    pub upload: Option<String>,
    /// A `wx.downloadFile` URL check.
    #[serde(default)]
    pub download: Option<String>,
    /// A `wx.connectSocket` URL check.
    #[serde(default)]
    pub socket: Option<String>,
    /// A web-view URL check.
    #[serde(default)]
    pub webview: Option<String>,
    /// v2: a launch check.
    #[serde(default)]
    pub launch: Option<LaunchCase>,
    /// v2: a raw TCP check, `host:port` (an IPv6 host in brackets).
    #[serde(default)]
    pub tcp: Option<String>,
    /// v2: a raw UDP check, `host:port`.
    #[serde(default)]
    pub udp: Option<String>,
    /// v3: a media source check.
    #[serde(default)]
    pub media: Option<String>,
    /// `allow`, `deny` or `report`.
    pub expect: String,
    /// The expected deny code.
    #[serde(default)]
    pub code: Option<String>,
    /// Moves the clock before the check.
    #[serde(default)]
    pub now: Option<u64>,
    /// The exact expected message (project extension).
    #[serde(default)]
    pub message: Option<String>,
    /// The expected `errno` (project extension; absent on an allow).
    #[serde(default)]
    pub errno: Option<u32>,
    /// Whether `report` mode let the call through (project extension).
    #[serde(default)]
    pub reported: Option<bool>,
    /// A free-text note on why the case exists (project extension).
    #[serde(default)]
    pub note: Option<String>,
    /// Fields the runner does not know (ignored, with a warning).
    #[serde(flatten)]
    pub unknown: UnknownFields,
}

/// The subject of a `launch` case.
#[derive(Debug, Clone, Deserialize)]
pub struct LaunchCase {
    /// The package's version.
    pub version: String,
    /// The SHA-256 of the package's bytes.
    pub package_sha256: String,
}

impl Case {
    /// The check this case makes, when it is one of the six one-string v1
    /// checks: its kind and subject.
    ///
    /// # Errors
    ///
    /// When the case has not exactly one of the six v1 check fields, or also
    /// a v2 one (use [`Case::subject`]).
    pub fn check(&self) -> Result<(CheckKind, &str), String> {
        if self.launch.is_some() || self.tcp.is_some() || self.udp.is_some() {
            return Err("a launch, tcp or udp case has no one-string subject".into());
        }
        if let Some(media) = &self.media {
            let others = [
                &self.api,
                &self.request,
                &self.upload,
                &self.download,
                &self.socket,
                &self.webview,
            ];
            if others.iter().any(|o| o.is_some()) {
                return Err("name exactly one check".into());
            }
            return Ok((CheckKind::Media, media));
        }
        single_check([
            self.api.as_deref(),
            self.request.as_deref(),
            self.upload.as_deref(),
            self.download.as_deref(),
            self.socket.as_deref(),
            self.webview.as_deref(),
        ])
    }

    /// The check this case makes, of any kind.
    ///
    /// # Errors
    ///
    /// When the case has not exactly one of the ten check fields.
    pub fn subject(&self) -> Result<Check<'_>, String> {
        let present = [
            self.api.is_some(),
            self.request.is_some(),
            self.upload.is_some(),
            self.download.is_some(),
            self.socket.is_some(),
            self.webview.is_some(),
            self.launch.is_some(),
            self.tcp.is_some(),
            self.udp.is_some(),
            self.media.is_some(),
        ];
        if present.iter().filter(|p| **p).count() != 1 {
            return Err(
                "name exactly one of api, request, upload, download, socket, webview, launch, tcp, udp, media"
                    .into(),
            );
        }
        if let Some(l) = &self.launch {
            return Ok(Check::Launch {
                version: &l.version,
                package_sha256: &l.package_sha256,
            });
        }
        let (kind, subject) = match (&self.tcp, &self.udp) {
            (Some(t), _) => (CheckKind::Tcp, t.as_str()),
            (_, Some(u)) => (CheckKind::Udp, u.as_str()),
            _ => self.check()?,
        };
        Check::from_subject(kind, subject)
            .ok_or_else(|| format!("no {kind} check takes one string"))
    }
}

/// The one check named among the six subjects (in [`CheckKind::ALL`] order:
/// api, request, upload, download, socket, webview), as vector cases and the
/// `guard` command take them.
///
/// # Errors
///
/// When not exactly one subject is given.
pub fn single_check(subjects: [Option<&str>; 6]) -> Result<(CheckKind, &str), String> {
    let mut present = CheckKind::ALL
        .into_iter()
        .zip(subjects)
        .filter_map(|(k, s)| s.map(|s| (k, s)));
    match (present.next(), present.next()) {
        (Some(one), None) => Ok(one),
        _ => Err("name exactly one of api, request, upload, download, socket, webview".into()),
    }
}

/// The result of one load or case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `file: loads[i]` or `file: cases[i]`.
    pub name: String,
    /// `None` when it passed, else what differed.
    pub failure: Option<String>,
    /// Fields of this load or case (or, on a file's first outcome, of the
    /// file) that the runner ignored because it does not know them.
    pub ignored: Vec<String>,
}

impl Outcome {
    /// The warning line for [`Outcome::ignored`], if there is anything to say.
    pub fn warning(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let fields: Vec<String> = self.ignored.iter().map(|k| format!("`{k}`")).collect();
        Some(format!(
            "{}: ignored unknown field{} {}",
            self.name,
            if fields.len() == 1 { "" } else { "s" },
            fields.join(", ")
        ))
    }
}

fn keys(unknown: &UnknownFields) -> Vec<String> {
    unknown.keys().cloned().collect()
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Loads and cases that passed.
    pub passed: usize,
    /// Loads and cases that failed (a file that cannot be read counts as one).
    pub failed: usize,
}

impl fmt::Display for Summary {
    /// The closing line: `N passed, N failed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// The `.json` files under `paths` (files as given, folders recursively),
/// sorted within each folder.
///
/// # Errors
///
/// When a path does not exist or a folder cannot be read.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        collect(path, &mut out)?;
    }
    Ok(out)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("`{}`: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if entry.extension().is_some_and(|x| x == "json") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Signs a policy document the way every runner does: `serde_json` bytes, HS256.
///
/// # Errors
///
/// When `secret` is not a valid SecretKey.
pub fn sign_policy(policy: &Value, secret: &str) -> Result<String, String> {
    let key = SecretKey::new(secret).map_err(|e| e.to_string())?;
    let bytes = serde_json::to_vec(policy).map_err(|e| e.to_string())?;
    Ok(bundle::sign(&bytes, &key))
}

/// Signs a policy document with EdDSA by the Ed25519 JWK `key` (which must
/// carry its private `d`), under the JWK's `kid`.
///
/// # Errors
///
/// When the key has no `kid` or no 32-byte `d`.
pub fn sign_policy_eddsa(policy: &Value, key: &Value) -> Result<String, String> {
    let (kid, seed) = private_key(key)?;
    let bytes = serde_json::to_vec(policy).map_err(|e| e.to_string())?;
    Ok(bundle::sign_ed25519(&bytes, kid, &seed))
}

/// What an engine for `file` is made from: the SecretKey alone, or (when the
/// file has `keys`, `roots` or `local_prefixes`) a guard configuration JSON:
/// with `roots`, the public part of every root (without `d`), the
/// `superapp_id` and nothing else; otherwise the secret and the public part
/// of every key; and the local prefixes.
pub fn engine_keys(file: &VectorFile) -> String {
    let public = |keys: &[Value]| -> Vec<Value> {
        keys.iter()
            .map(|k| {
                let mut k = k.clone();
                if let Some(o) = k.as_object_mut() {
                    o.remove("d");
                }
                k
            })
            .collect()
    };
    if file.keys.is_none() && file.roots.is_none() && file.local_prefixes.is_none() {
        return file.secret.clone().unwrap_or_default();
    }
    let mut config = serde_json::Map::new();
    match &file.roots {
        Some(roots) => {
            config.insert("roots".into(), public(roots).into());
            config.insert("superapp_id".into(), file.superapp_id.clone().into());
        }
        None => {
            if let Some(secret) = &file.secret {
                config.insert("secret".into(), secret.clone().into());
            }
            if let Some(keys) = &file.keys {
                config.insert("keys".into(), public(keys).into());
            }
        }
    }
    if let Some(prefixes) = &file.local_prefixes {
        config.insert("local_prefixes".into(), prefixes.clone().into());
    }
    Value::Object(config).to_string()
}

/// Signs a key-set payload with the header of §2.1 by the root JWK `root`
/// (which must carry its private `d`), under the JWK's `kid`.
///
/// # Errors
///
/// When the root has no `kid` or no 32-byte `d`.
pub fn sign_keyset(payload: &Value, root: &Value) -> Result<String, String> {
    let (kid, seed) = private_key(root)?;
    let bytes = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
    Ok(keyset::sign(&bytes, kid, &seed))
}

fn private_key(key: &Value) -> Result<(&str, [u8; 32]), String> {
    let kid = key["kid"].as_str().ok_or("the key has no `kid`")?;
    let d = key["d"]
        .as_str()
        .ok_or_else(|| format!("key `{kid}` has no `d`"))?;
    let seed = URL_SAFE_NO_PAD
        .decode(d)
        .ok()
        .and_then(|d| <[u8; 32]>::try_from(d.as_slice()).ok())
        .ok_or_else(|| format!("key `{kid}`: `d` is not 32 bytes of base64url"))?;
    Ok((kid, seed))
}

/// Runs one parsed vector file against a fresh engine from `make`, which is
/// given [`engine_keys`].
pub fn run_vector_file<E: Engine>(
    name: &str,
    file: &VectorFile,
    make: &mut dyn FnMut(&str) -> Result<E, String>,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut engine = match make(&engine_keys(file)) {
        Ok(e) => e,
        Err(e) => {
            out.push(Outcome {
                name: name.to_owned(),
                failure: Some(format!("cannot create engine: {e}")),
                ignored: Vec::new(),
            });
            return out;
        }
    };
    let mut now = file.now;
    let shorthand = file.policy.clone().map(|policy| Load {
        policy: Some(policy),
        bundle: None,
        keyset: None,
        keyset_jws: None,
        sign_with: None,
        expect: "ok".into(),
        now: None,
        message: None,
        note: None,
        unknown: UnknownFields::new(),
    });
    for (i, load) in shorthand.iter().chain(&file.loads).enumerate() {
        now = load.now.unwrap_or(now);
        let failure = run_load(&mut engine, load, file, now);
        out.push(Outcome {
            name: format!("{name}: loads[{i}]"),
            failure,
            ignored: keys(&load.unknown),
        });
    }
    for (i, case) in file.cases.iter().enumerate() {
        now = case.now.unwrap_or(now);
        let failure = run_case(&mut engine, case, now);
        out.push(Outcome {
            name: format!("{name}: cases[{i}]"),
            failure,
            ignored: keys(&case.unknown),
        });
    }
    if let Some(first) = out.first_mut() {
        let mut ignored: Vec<String> = file.unknown.keys().map(|k| format!("file.{k}")).collect();
        ignored.append(&mut first.ignored);
        first.ignored = ignored;
    }
    out
}

fn run_load<E: Engine>(engine: &mut E, load: &Load, file: &VectorFile, now: u64) -> Option<String> {
    let find = |keys: &Option<Vec<Value>>, kid: &str, what: &str| {
        keys.iter()
            .flatten()
            .find(|k| k["kid"].as_str() == Some(kid))
            .cloned()
            .ok_or_else(|| format!("no key `{kid}` in the file's `{what}`"))
    };
    let secret = || {
        file.secret.clone().ok_or_else(|| {
            "a `policy` load without `sign_with` needs the file's `secret`".to_owned()
        })
    };
    let (signed, is_keyset) = match (
        &load.policy,
        &load.bundle,
        &load.keyset,
        &load.keyset_jws,
        &load.sign_with,
    ) {
        (Some(p), None, None, None, None) => (secret().and_then(|s| sign_policy(p, &s)), false),
        (Some(p), None, None, None, Some(kid)) => (
            find(&file.keys, kid, "keys").and_then(|key| sign_policy_eddsa(p, &key)),
            false,
        ),
        (None, Some(b), None, None, None) => (Ok(b.clone()), false),
        (None, None, Some(k), None, Some(kid)) => (
            find(&file.roots, kid, "roots").and_then(|root| sign_keyset(k, &root)),
            true,
        ),
        (None, None, None, Some(k), None) => (Ok(k.clone()), true),
        (None, Some(_), None, None, Some(_)) | (None, None, None, Some(_), Some(_)) => {
            return Some(
                "a `bundle` or `keyset_jws` load is loaded as given: no `sign_with`".into(),
            )
        }
        (None, None, Some(_), None, None) => {
            return Some("a `keyset` load names its root in `sign_with`".into())
        }
        _ => return Some("a load needs exactly one of policy, bundle, keyset, keyset_jws".into()),
    };
    let bundle = match signed {
        Ok(b) => b,
        Err(e) => return Some(format!("cannot sign the load: {e}")),
    };
    let Some(expect) = LoadCode::parse(&load.expect) else {
        return Some(format!("unknown expected load outcome `{}`", load.expect));
    };
    let loaded = if is_keyset {
        engine.load_keyset(&bundle, now)
    } else {
        engine.load(&bundle, now)
    };
    let (got, message) = match loaded {
        Ok(()) => (LoadCode::Ok, String::new()),
        Err((code, message)) => (code, message),
    };
    if got != expect {
        return Some(format!("expected load `{expect}`, got `{got}` ({message})"));
    }
    match &load.message {
        Some(m) if !message.contains(m.as_str()) => Some(format!(
            "expected load message containing `{m}`, got `{message}`"
        )),
        _ => None,
    }
}

fn run_case<E: Engine>(engine: &mut E, case: &Case, now: u64) -> Option<String> {
    let check = match case.subject() {
        Ok(c) => c,
        Err(e) => return Some(e),
    };
    let kind = check.kind();
    let subject = match check {
        Check::Launch {
            version,
            package_sha256,
        } => format!("{version} {package_sha256}"),
        Check::Socket(_, host, port) => format!("{host}:{port}"),
        Check::Api(s) | Check::Url(_, s) => s.to_owned(),
        Check::Redirect { location, .. } => location.to_owned(),
    };
    let d = engine.check_any(&case.app, &check, now);
    let got = match (d.allow, d.reported) {
        (true, false) => "allow",
        (true, true) => "report",
        (false, _) => "deny",
    };
    let describe = || {
        format!(
            "{} `{subject}` for `{}`: got {got} {} `{}`",
            kind.as_str(),
            case.app,
            d.code.map_or("-", |c| c.as_str()),
            d.message
        )
    };
    if !matches!(case.expect.as_str(), "allow" | "deny" | "report") {
        return Some(format!("unknown expectation `{}`", case.expect));
    }
    if got != case.expect {
        return Some(format!("expected {}; {}", case.expect, describe()));
    }
    if case.expect == "allow" && d.code.is_some() {
        return Some(format!("an allow must have no code; {}", describe()));
    }
    if let Some(code) = &case.code {
        if d.code.map(|c| c.as_str()) != Some(code.as_str()) {
            return Some(format!("expected code {code}; {}", describe()));
        }
    }
    if let Some(message) = &case.message {
        if &d.message != message {
            return Some(format!("expected message `{message}`; {}", describe()));
        }
    }
    if let Some(errno) = case.errno {
        if d.errno != Some(errno) {
            return Some(format!(
                "expected errno {errno}; {} (errno {})",
                describe(),
                d.errno.map_or("none".into(), |e| e.to_string())
            ));
        }
    }
    if let Some(reported) = case.reported {
        if d.reported != reported {
            return Some(format!("expected reported: {reported}; {}", describe()));
        }
    }
    None
}

/// Reads and runs every vector file under `paths` with engines from `make`,
/// printing each failure to `report` and returning the totals.
///
/// # Errors
///
/// When `paths` cannot be listed (an unreadable or invalid file is a failure,
/// not an error).
pub fn run_paths<E: Engine>(
    paths: &[PathBuf],
    make: &mut dyn FnMut(&str) -> Result<E, String>,
    report: &mut dyn FnMut(&Outcome),
) -> Result<Summary, String> {
    let mut summary = Summary::default();
    for path in collect_files(paths)? {
        let name = path.display().to_string();
        let outcomes = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<VectorFile>(&text).map_err(|e| e.to_string()))
        {
            Ok(file) => run_vector_file(&name, &file, make),
            Err(e) => vec![Outcome {
                name: name.clone(),
                failure: Some(format!("not a vector file: {e}")),
                ignored: Vec::new(),
            }],
        };
        for o in &outcomes {
            if o.failure.is_some() {
                summary.failed += 1;
            } else {
                summary.passed += 1;
            }
            report(o);
        }
    }
    Ok(summary)
}

/// Contract v3's vector folder (`tests/vectors-v3`: the contract's own
/// `shared-v3` and the project's `v3-*` files), beside [`vectors_dir`]:
/// every engine that reads key sets runs both.
pub fn vectors_v3_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors-v3")
}

/// The project's vector folder (`tests/vectors`).
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

//! Ed25519 keys for contract v2 (§2): `guard keygen`, the private JWK
//! `guard sign --key` signs with, and the public keys `--keys` verifies with;
//! and contract v3's root keys (`guard keygen --root`, §2.1), which sign key
//! sets and nothing else.
//!
//! The two never mix: a private JWK (one with `d`) given where public keys
//! belong is refused, and so is a public JWK given to sign.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

/// A private Ed25519 key read from a JWK file: its `kid` and 32-byte seed.
pub struct PrivateKey {
    pub kid: String,
    pub seed: [u8; 32],
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Whether `kid` is safe as a file name and in a JWS header: 1 to 64 of
/// `A-Za-z0-9._-`, not starting with a dot.
fn valid_kid(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && !kid.starts_with('.')
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The Ed25519 public key of `seed`.
pub fn public_of(seed: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// `guard keygen`: a fresh Ed25519 key pair (seed from the OS, `getrandom`)
/// written as `DIR/KID.private.jwk` (mode 0600, never overwritten) and
/// `DIR/KID.public.jwk`. With `root` (contract v3), a root key pair:
/// `DIR/KID.root.private.jwk` and `DIR/KID.root.public.jwk`, the public JWK
/// with exactly `kty`, `crv`, `kid` and `x` (no `alg`/`use`: a root is no
/// bundle-signing key). Returns the two paths and the public JWK.
///
/// # Errors
///
/// A bad `kid`, no randomness, or a file that exists or cannot be written.
pub fn keygen(kid: &str, dir: &Path, root: bool) -> Result<(PathBuf, PathBuf, Value)> {
    if !valid_kid(kid) {
        bail!("--kid `{kid}`: use 1 to 64 of A-Z a-z 0-9 . _ - (not starting with `.`)");
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| anyhow!("no randomness from the OS: {e}"))?;
    let x = public_of(&seed);
    let public = if root {
        json!({ "kty": "OKP", "crv": "Ed25519", "kid": kid, "x": URL_SAFE_NO_PAD.encode(x) })
    } else {
        json!({
            "kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(x),
        })
    };
    let mut private = public.clone();
    private["d"] = Value::String(URL_SAFE_NO_PAD.encode(seed));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let kind = if root { ".root" } else { "" };
    let private_path = dir.join(format!("{kid}{kind}.private.jwk"));
    let public_path = dir.join(format!("{kid}{kind}.public.jwk"));
    for path in [&private_path, &public_path] {
        if path.exists() {
            bail!("`{}` exists; not overwriting a key", path.display());
        }
    }
    write_new(&private_path, &private, true)?;
    write_new(&public_path, &public, false)?;
    Ok((private_path, public_path, public))
}

/// Writes `value` to a new file (refusing an existing one); owner-only when
/// `secret` (mode 0600 from creation, so the key is never readable by others).
fn write_new(path: &Path, value: &Value, secret: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", path.display()))
}

fn b64_32(value: &Value, field: &str, kid: &str) -> Result<[u8; 32]> {
    let text = value[field]
        .as_str()
        .ok_or_else(|| anyhow!("key `{kid}` has no `{field}`"))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| anyhow!("key `{kid}`: `{field}` is not 32 bytes of unpadded base64url"))
}

/// The private Ed25519 JWK at `path` (`guard sign --key`): `kty` `OKP`, `crv`
/// `Ed25519`, a `kid`, and `d`; when it also has `x`, `x` must be `d`'s
/// public key.
///
/// # Errors
///
/// Not a JWK, a public key (no `d`), another key type, or `x` not matching.
pub fn read_private(path: &Path) -> Result<PrivateKey> {
    let jwk = read_json(path)?;
    let shown = path.display();
    if !jwk.is_object() {
        bail!("`{shown}` is not a JWK object");
    }
    let kid = jwk["kid"]
        .as_str()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| anyhow!("`{shown}`: the key has no `kid`"))?
        .to_owned();
    if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" {
        bail!("`{shown}`: key `{kid}` is not an Ed25519 (`OKP`/`Ed25519`) key");
    }
    if jwk.get("d").is_none() {
        bail!(
            "`{shown}` is a public key (no `d`); sign with the private key (`{kid}.private.jwk`)"
        );
    }
    let seed = b64_32(&jwk, "d", &kid)?;
    if jwk.get("x").is_some() {
        let x = b64_32(&jwk, "x", &kid)?;
        if SigningKey::from_bytes(&seed).verifying_key().to_bytes() != x {
            bail!("`{shown}`: key `{kid}`: `x` is not the public key of `d`");
        }
    }
    Ok(PrivateKey { kid, seed })
}

/// The public JWKs in the file at `path` (`--keys`): one JWK, an array of
/// them, or a key set `{"keys": [...]}` (what a server's `keys.json`
/// serves). They are checked when the guard is built (guard-core's
/// `KeySet`); here only a private key is refused, with the file named.
///
/// # Errors
///
/// Not one of the three shapes, or a JWK with its private part `d`.
pub fn read_public(path: &Path) -> Result<Vec<Value>> {
    let json = read_json(path)?;
    let shown = path.display();
    let keys = match json {
        Value::Array(keys) => keys,
        Value::Object(mut o) if o.contains_key("kty") => {
            vec![Value::Object(std::mem::take(&mut o))]
        }
        Value::Object(mut o) => match o.remove("keys") {
            Some(Value::Array(keys)) => keys,
            _ => bail!("`{shown}` is not a JWK, a JWK array or a key set `{{\"keys\": [...]}}`"),
        },
        _ => bail!("`{shown}` is not a JWK, a JWK array or a key set `{{\"keys\": [...]}}`"),
    };
    if keys.is_empty() {
        bail!("`{shown}` holds no key");
    }
    for key in &keys {
        if key.get("d").is_some() {
            let kid = key["kid"].as_str().unwrap_or("");
            bail!(
                "`{shown}`: key `{kid}` is a private key (it has `d`); give only public keys (`{kid}.public.jwk`)"
            );
        }
    }
    Ok(keys)
}

/// The key-set JSON guard-core, the wasm and the conformance engines all take
/// (`{"secret"?, "keys"?}`), from an optional SecretKey and the public JWKs.
pub fn key_set_json(secret: Option<&str>, keys: Vec<Value>) -> String {
    let mut set = serde_json::Map::new();
    if let Some(secret) = secret {
        set.insert("secret".into(), Value::String(secret.to_owned()));
    }
    set.insert("keys".into(), Value::Array(keys));
    Value::Object(set).to_string()
}

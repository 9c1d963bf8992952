//! Contract v3 key sets (§2.1) from the command line: `guard keygen --root`
//! (a root key pair), `guard sign-keys` (a key-set payload signed by a root
//! into a key-set JWS) and `guard verify-keys` (a key set checked against the
//! roots and the superapp a guard would be created with), and the guard
//! configuration (`{"roots", "superapp_id", "local_prefixes"}`) that `check
//! --roots` creates its guard from.
//!
//! A root signs key sets and nothing else: `sign --key` refuses nothing on
//! its own, so the root's files are named `KID.root.private.jwk` and
//! `KID.root.public.jwk`, and `sign-keys` verifies what it signed as a
//! device would before printing it.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use guard_core::{keyset, Guard, GuardConfig, KeysetStatus};
use serde_json::Value;

use crate::keys::{self, PrivateKey};

/// The guard configuration JSON of contract v3: the public root JWKs, the
/// superapp they serve and the local media prefixes; checked here, so a bad
/// root is named with its file.
///
/// # Errors
///
/// A root file that is not public JWKs, or a configuration guard-core
/// refuses (an invalid superapp id or prefix, too many roots).
pub fn config_json(roots: &Path, superapp_id: &str, local_prefixes: &[String]) -> Result<String> {
    let public = keys::read_public(roots)?;
    let json = serde_json::json!({
        "roots": public,
        "superapp_id": superapp_id,
        "local_prefixes": local_prefixes,
    })
    .to_string();
    GuardConfig::from_json(&json).with_context(|| format!("`{}`", roots.display()))?;
    Ok(json)
}

/// A native guard created with the configuration [`config_json`] answered.
///
/// # Errors
///
/// When guard-core refuses the configuration.
pub fn guard(config: &str) -> Result<Guard> {
    Ok(Guard::from_config(GuardConfig::from_json(config)?))
}

/// Verifies `jws` as a device created with `config` would (steps 1 to 9 of
/// §2.1 at `now`): what it puts in force, or the load code and why not.
///
/// # Errors
///
/// The guard-core load error, as `code: message`.
pub fn verify(config: &str, jws: &str, now: u64) -> Result<KeysetStatus> {
    let mut guard = guard(config)?;
    guard
        .load_keys(jws.trim(), now)
        .map_err(|e| anyhow!("{}: {}", e.code, e.message))
}

/// `guard sign-keys`: signs the key-set payload JSON `payload` with `root`
/// (header `typ: guard-keyset+jws`), then verifies the result against the
/// root's public key and the payload's own superapp at its `issued_at`, so a
/// payload no device would accept (a private `d`, a root among the keys,
/// 17 keys, `expires_at` not after `issued_at`...) is refused, never printed.
///
/// # Errors
///
/// A payload that is not a JSON object with a `superapp_id` and an
/// `issued_at`, or a key set that does not verify (the reason named).
pub fn sign(payload: &[u8], root: &PrivateKey) -> Result<String> {
    let value: Value =
        serde_json::from_slice(payload).context("the key-set payload is not JSON")?;
    let superapp = value["superapp_id"]
        .as_str()
        .ok_or_else(|| anyhow!("the key-set payload has no string `superapp_id`"))?;
    let issued_at = value["issued_at"]
        .as_u64()
        .ok_or_else(|| anyhow!("the key-set payload has no integer `issued_at`"))?;
    let jws = keyset::sign(payload, &root.kid, &root.seed);
    let x = keys::public_of(&root.seed);
    let root_jwk = serde_json::json!([{
        "kty": "OKP", "crv": "Ed25519", "kid": root.kid, "x": keyset::encode_x(&x),
    }]);
    let config = serde_json::json!({ "roots": root_jwk, "superapp_id": superapp }).to_string();
    let config = GuardConfig::from_json(&config).map_err(|e| anyhow!("cannot sign: {e}"))?;
    Guard::from_config(config)
        .load_keys(&jws, issued_at)
        .map_err(|e| anyhow!("not a valid key set, not signed: {}: {}", e.code, e.message))?;
    Ok(jws)
}

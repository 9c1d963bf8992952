//! Who signs a superapp's bundles, and how: one variant per algorithm of
//! `policy.md` §2. HS256 is keyed by the superapp's bundle key — a random
//! 32-character key every device holds, never the SecretKey, which
//! authenticates the superapp's backend only. EdDSA (the default) signs with
//! the superapp's active Ed25519 key (`keyring.rs`), kept on the server;
//! devices hold only the public key set. A superapp's `bundle_alg` says which.

use guard_core::{bundle, Guard, KeySet, Policy, SecretKey};
use sqlx::{AnyConnection, Row};

use crate::distribution::keyring::{self, SigningSeed};
use crate::distribution::sealing::{Kek, Secret};
use crate::error::ApiError;
use crate::util::random_alnum;

/// The `bundle_alg` names a superapp may choose.
pub const ALGS: [&str; 2] = [EDDSA, HS256];
/// Ed25519 under the superapp's active signing key (the default).
pub const EDDSA: &str = "EdDSA";
/// HMAC-SHA256 under the superapp's bundle key.
pub const HS256: &str = "HS256";

/// Length of a generated bundle key: at least the hash output (RFC 7518
/// §3.2), and a length `SecretKey` accepts.
pub const BUNDLE_KEY_CHARS: usize = 32;

/// A superapp's bundle signer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signer {
    /// HS256 under the superapp's bundle key.
    Hs256(BundleKey),
    /// EdDSA under the superapp's active signing key, with its `kid`.
    EdDsa(SigningSeed),
}

/// A bundle key: valid as a `SecretKey` (checked when loaded), never printed.
#[derive(Clone)]
pub struct BundleKey(String);

impl std::fmt::Debug for BundleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself: Debug output ends up in logs.
        write!(f, "BundleKey({} chars)", self.0.len())
    }
}

impl BundleKey {
    fn secret(&self) -> Result<SecretKey, ApiError> {
        SecretKey::new(&self.0).map_err(|e| ApiError::Internal(format!("stored bundle key: {e}")))
    }
}

impl Signer {
    /// The signer of superapp `sid`'s bundles.
    ///
    /// # Errors
    ///
    /// [`ApiError::NotFound`] for an unknown superapp; [`ApiError::Internal`]
    /// when its stored key is missing or unusable.
    pub async fn of(
        conn: &mut AnyConnection,
        sid: &str,
        kek: Option<&Kek>,
    ) -> Result<Signer, ApiError> {
        let kek =
            kek.ok_or_else(|| ApiError::Internal("no key-encryption key configured".into()))?;
        if bundle_alg(conn, sid).await? == EDDSA {
            return Ok(Signer::EdDsa(keyring::active(conn, kek, sid).await?));
        }
        let key = BundleKey(bundle_key(conn, kek, sid).await?);
        key.secret()?;
        Ok(Signer::Hs256(key))
    }

    /// The JWS `alg` of the bundles it signs.
    pub fn alg(&self) -> &'static str {
        match self {
            Signer::Hs256(_) => HS256,
            Signer::EdDsa(_) => EDDSA,
        }
    }

    /// Signs a policy into a bundle.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when the policy does not serialise.
    pub fn sign(&self, policy: &Policy) -> Result<String, ApiError> {
        let payload = serde_json::to_vec(policy).map_err(|e| ApiError::Internal(e.to_string()))?;
        match self {
            Signer::Hs256(key) => Ok(bundle::sign(&payload, &key.secret()?)),
            Signer::EdDsa(key) => Ok(bundle::sign_ed25519(&payload, &key.kid, key.seed())),
        }
    }

    /// A guard configured to verify what this signer signs, as a device is.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when the key is refused.
    pub fn guard(&self) -> Result<Guard, ApiError> {
        match self {
            Signer::Hs256(key) => {
                Guard::new(&key.0).map_err(|e| ApiError::Internal(format!("bundle key: {e}")))
            }
            Signer::EdDsa(key) => {
                let set = serde_json::json!({ "keys": [key.jwk()] }).to_string();
                let keys = KeySet::from_json(&set)
                    .map_err(|e| ApiError::Internal(format!("signing key: {e}")))?;
                Ok(Guard::with_keys(keys))
            }
        }
    }
}

/// Superapp `sid`'s bundle key, opened with `kek` (it is kept sealed).
///
/// # Errors
///
/// [`ApiError::NotFound`] / [`ApiError::Internal`] (none, or it does not
/// open).
pub async fn bundle_key(
    conn: &mut AnyConnection,
    kek: &Kek,
    sid: &str,
) -> Result<String, ApiError> {
    let row = sqlx::query("SELECT bundle_key FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    let kept = row
        .try_get::<Option<String>, _>("bundle_key")?
        .ok_or_else(|| ApiError::Internal(format!("superapp `{sid}` has no bundle key")))?;
    kek.open_secret(Secret::BundleKey { superapp: sid }, &kept)
}

/// Superapp `sid`'s `bundle_alg`.
///
/// # Errors
///
/// [`ApiError::NotFound`] / [`ApiError::Internal`].
pub async fn bundle_alg(conn: &mut AnyConnection, sid: &str) -> Result<String, ApiError> {
    let row = sqlx::query("SELECT bundle_alg FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok(row.try_get("bundle_alg")?)
}

/// A new random bundle key.
///
/// # Errors
///
/// [`ApiError::Internal`] when the OS has no randomness.
pub fn new_bundle_key() -> Result<String, ApiError> {
    random_alnum(BUNDLE_KEY_CHARS)
}

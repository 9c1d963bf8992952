//! Who signs a superapp's bundles, and how: one variant per algorithm of
//! `policy.md` §2. HS256 is keyed by the superapp's bundle key — a random
//! 32-character key every device holds, never the SecretKey, which
//! authenticates the superapp's backend only. (EdDSA, with the signing key
//! kept on the server and public keys on devices, is to be another variant.)

use guard_core::{bundle, Guard, Policy, SecretKey};
use sqlx::{AnyConnection, Row};

use crate::http::error::ApiError;
use crate::util::random_alnum;

/// Length of a generated bundle key: at least the hash output (RFC 7518
/// §3.2), and a length `SecretKey` accepts.
pub const BUNDLE_KEY_CHARS: usize = 32;

/// A superapp's bundle signer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signer {
    /// HS256 under the superapp's bundle key.
    Hs256(BundleKey),
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
    pub async fn of(conn: &mut AnyConnection, sid: &str) -> Result<Signer, ApiError> {
        let key = BundleKey(bundle_key(conn, sid).await?);
        key.secret()?;
        Ok(Signer::Hs256(key))
    }

    /// The JWS `alg` of the bundles it signs.
    pub fn alg(&self) -> &'static str {
        match self {
            Signer::Hs256(_) => "HS256",
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
        }
    }
}

/// Superapp `sid`'s bundle key.
///
/// # Errors
///
/// [`ApiError::NotFound`] / [`ApiError::Internal`].
pub async fn bundle_key(conn: &mut AnyConnection, sid: &str) -> Result<String, ApiError> {
    let row = sqlx::query("SELECT bundle_key FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    row.try_get::<Option<String>, _>("bundle_key")?
        .ok_or_else(|| ApiError::Internal(format!("superapp `{sid}` has no bundle key")))
}

/// A new random bundle key.
///
/// # Errors
///
/// [`ApiError::Internal`] when the OS has no randomness.
pub fn new_bundle_key() -> Result<String, ApiError> {
    random_alnum(BUNDLE_KEY_CHARS)
}

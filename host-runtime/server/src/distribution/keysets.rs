//! Root keys and key sets (contract v3, `policy.md` §2.1).
//!
//! Every superapp gets a root key (Ed25519) of the server's, sealed at rest
//! with the KEK exactly as its signing keys are, used for nothing but key
//! sets. The key set lists the superapp's published signing keys (next,
//! active and retired: what `keys.json` lists), and is re-signed by the root
//! with a higher version whenever that list changes, inside the change that
//! changes it: so a rotated key is in a published key set before it can sign
//! a bundle (decision 361). Server-signed key sets expire
//! `AppState::keyset_lifetime` (28 days by default) after they are issued and are re-issued once
//! half of that has passed (decision 362).
//!
//! A superapp that keeps its root offline registers the root's public key
//! (its devices pin it instead of the server's) and uploads key sets signed
//! elsewhere (`guard sign-keys`); the server checks each against those roots
//! with guard-core's own key-set verification and serves it as given, never
//! signing one itself (decision 363).
//!
//! The stored JWS is what is served: one version is always the same bytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use guard_core::keyset;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

use crate::change::Change;
use crate::distribution::sealing::Kek;
use crate::error::ApiError;
use crate::util::random_hex;

/// A key set signed by the server's root.
pub const SERVER: &str = "server";
/// A key set signed elsewhere by an offline root, uploaded.
pub const UPLOAD: &str = "upload";

/// Most keys in a key set (`policy.md` §2.1: 1 to 16).
pub const MAX_KEYS: usize = guard_core::limits::MAX_KEYSET_KEYS;

/// The key set in force of a superapp, as stored and served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// Its version (the key-set floor devices keep).
    pub version: i64,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds: devices refuse it from then on.
    pub expires_at: i64,
    /// The JWS compact text, as served.
    pub jws: String,
    /// [`SERVER`] or [`UPLOAD`].
    pub source: String,
}

impl Current {
    /// The `(kid, x)` of every key it lists.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when the stored JWS is not a key set.
    pub fn keys(&self) -> Result<Vec<(String, String)>, ApiError> {
        let corrupt = || ApiError::Internal("stored key set is not a key set".into());
        let doc = payload(&self.jws).ok_or_else(corrupt)?;
        let mut out = Vec::new();
        for k in doc["keys"].as_array().ok_or_else(corrupt)? {
            match (k["kid"].as_str(), k["x"].as_str()) {
                (Some(kid), Some(x)) => out.push((kid.to_owned(), x.to_owned())),
                _ => return Err(corrupt()),
            }
        }
        Ok(out)
    }

    /// Whether it lists the key `kid` with public key `x`.
    ///
    /// # Errors
    ///
    /// As [`Current::keys`].
    pub fn lists(&self, kid: &str, x: &str) -> Result<bool, ApiError> {
        Ok(self.keys()?.iter().any(|(k, v)| k == kid && v == x))
    }
}

/// The payload of a JWS compact text, if it is JSON.
pub fn payload(jws: &str) -> Option<Value> {
    let segment = jws.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The key set in force of `sid`, if it has one.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn current(conn: &mut AnyConnection, sid: &str) -> Result<Option<Current>, ApiError> {
    let row = sqlx::query(
        "SELECT version, issued_at, expires_at, jws, source FROM keysets WHERE superapp_id = $1",
    )
    .bind(sid)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(Current {
            version: r.try_get("version")?,
            issued_at: r.try_get("issued_at")?,
            expires_at: r.try_get("expires_at")?,
            jws: r.try_get("jws")?,
            source: r.try_get("source")?,
        })
    })
    .transpose()
}

/// A root's public JWK.
pub fn jwk(kid: &str, x: &str) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": x})
}

/// Generates the server's root of `sid`, sealed, and stores it; returns its
/// kid (`<sid>-root-<12 hex>`: never a signing key's kid, which is
/// `<sid>-<12 hex>`, so a sealed root and a sealed signing key never share
/// associated data).
///
/// # Errors
///
/// [`ApiError::Internal`].
pub async fn generate_root(
    conn: &mut AnyConnection,
    kek: &Kek,
    sid: &str,
    now: i64,
) -> Result<String, ApiError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    let kid = format!("{sid}-root-{}", random_hex(6)?);
    let x = keyset::encode_x(SigningKey::from_bytes(&seed).verifying_key().as_bytes());
    sqlx::query(
        "INSERT INTO root_keys (superapp_id, kid, x, sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sid)
    .bind(&kid)
    .bind(x)
    .bind(kek.seal(sid, &kid, &seed)?)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(kid)
}

/// The roots devices of `sid` pin, as public JWKs: its offline roots when
/// it registered any, else the server's root.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn pinned(conn: &mut AnyConnection, sid: &str) -> Result<Vec<Value>, ApiError> {
    let rows = sqlx::query(
        "SELECT kid, x, sealed FROM root_keys WHERE superapp_id = $1 ORDER BY created_at, kid",
    )
    .bind(sid)
    .fetch_all(&mut *conn)
    .await?;
    let mut offline = Vec::new();
    let mut server = Vec::new();
    for r in rows {
        let key = jwk(
            &r.try_get::<String, _>("kid")?,
            &r.try_get::<String, _>("x")?,
        );
        match r.try_get::<Option<String>, _>("sealed")? {
            Some(_) => server.push(key),
            None => offline.push(key),
        }
    }
    Ok(if offline.is_empty() { server } else { offline })
}

/// Whether `sid` keeps its root offline (registered offline roots).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn is_offline(conn: &mut AnyConnection, sid: &str) -> Result<bool, ApiError> {
    Ok(
        sqlx::query("SELECT kid FROM root_keys WHERE superapp_id = $1 AND sealed IS NULL LIMIT 1")
            .bind(sid)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Replaces the offline roots of `sid` (public JWKs, already validated)
/// inside change `c`; an empty list returns the superapp to the server's
/// root.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn set_offline_roots(
    c: &mut Change,
    sid: &str,
    roots: &[(String, String)],
) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM root_keys WHERE superapp_id = $1 AND sealed IS NULL")
        .bind(sid)
        .execute(&mut *c.tx)
        .await?;
    for (kid, x) in roots {
        sqlx::query(
            "INSERT INTO root_keys (superapp_id, kid, x, sealed, created_at) VALUES ($1, $2, $3, NULL, $4)",
        )
        .bind(sid)
        .bind(kid)
        .bind(x)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
    }
    Ok(())
}

/// The server's root of `sid`, opened: `(kid, seed)`.
async fn server_root(
    conn: &mut AnyConnection,
    kek: &Kek,
    sid: &str,
) -> Result<(String, [u8; 32]), ApiError> {
    let row = sqlx::query(
        "SELECT kid, sealed FROM root_keys WHERE superapp_id = $1 AND sealed IS NOT NULL ORDER BY created_at, kid LIMIT 1",
    )
    .bind(sid)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ApiError::Internal(format!("superapp `{sid}` has no root key")))?;
    let kid: String = row.try_get("kid")?;
    let sealed: String = row.try_get("sealed")?;
    let seed: [u8; 32] = kek
        .open(sid, &kid, &sealed)?
        .try_into()
        .map_err(|_| ApiError::Internal(format!("root key `{kid}` is not 32 bytes")))?;
    Ok((kid, seed))
}

/// What [`publish`] is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// Only if the keys differ from those of the key set in force (or there
    /// is none).
    IfChanged,
    /// In any case (a re-issue, or a return to the server's root).
    Always,
}

/// Publishes `keys` (public JWKs, oldest first) as `sid`'s key set inside
/// change `c`, signed by the server's root with the next version, valid
/// `lifetime` seconds from the change. Nothing happens for a superapp that
/// keeps its root offline (its key sets are uploaded), nor with
/// [`Publish::IfChanged`] when the key set in force lists exactly these
/// keys. Beyond [`MAX_KEYS`], the newest keys are listed: the oldest
/// retired ones only verify bundles already loaded, which a newer key set
/// does not unload. Returns the new version, if any.
///
/// # Errors
///
/// [`ApiError::Internal`] when the root does not open or the store fails.
pub async fn publish(
    c: &mut Change,
    kek: &Kek,
    sid: &str,
    keys: &[Value],
    lifetime: i64,
    when: Publish,
) -> Result<Option<i64>, ApiError> {
    if is_offline(&mut c.tx, sid).await? {
        return Ok(None);
    }
    let keys = &keys[keys.len().saturating_sub(MAX_KEYS)..];
    let before = current(&mut c.tx, sid).await?;
    if when == Publish::IfChanged {
        if let Some(cur) = &before {
            let listed = cur.keys()?;
            let same = listed.len() == keys.len()
                && keys.iter().all(|k| {
                    listed
                        .iter()
                        .any(|(kid, x)| k["kid"] == kid.as_str() && k["x"] == x.as_str())
                });
            if same {
                return Ok(None);
            }
        }
    }
    let version = before.as_ref().map_or(1, |b| b.version.saturating_add(1));
    let expires_at = c.at.saturating_add(lifetime.max(2));
    let payload = json!({
        "superapp_id": sid,
        "version": version,
        "issued_at": c.at,
        "expires_at": expires_at,
        "keys": keys,
    });
    let (root_kid, seed) = server_root(&mut c.tx, kek, sid).await?;
    let jws = keyset::sign(payload.to_string().as_bytes(), &root_kid, &seed);
    store(c, sid, version, c.at, expires_at, &jws, SERVER).await?;
    Ok(Some(version))
}

/// Writes the key set in force of `sid` inside change `c`.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn store(
    c: &mut Change,
    sid: &str,
    version: i64,
    issued_at: i64,
    expires_at: i64,
    jws: &str,
    source: &str,
) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM keysets WHERE superapp_id = $1")
        .bind(sid)
        .execute(&mut *c.tx)
        .await?;
    sqlx::query(
        "INSERT INTO keysets (superapp_id, version, issued_at, expires_at, jws, source) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sid)
    .bind(version)
    .bind(issued_at)
    .bind(expires_at)
    .bind(jws)
    .bind(source)
    .execute(&mut *c.tx)
    .await?;
    Ok(())
}

/// Whether the server should re-issue `cur` at `now`: it signed it, and
/// half of its lifetime has passed.
pub fn due(cur: &Current, now: i64) -> bool {
    let half = cur.expires_at.saturating_sub(cur.issued_at) / 2;
    cur.source == SERVER && now >= cur.issued_at.saturating_add(half)
}

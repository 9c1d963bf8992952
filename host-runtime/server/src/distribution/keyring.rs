//! A superapp's Ed25519 signing keys (`policy.md` §2 v2: `EdDSA` with `kid`).
//!
//! Each key is `next` (published in the key set, signs nothing yet),
//! `active` (signs the superapp's EdDSA bundles; exactly one) or `retired`
//! (still published, for bundles signed before, until the grace period
//! passes; then dropped). Seeds are sealed with the KEK ([`Kek`]); the
//! public part `x` is stored in clear. Promotion after the pre-publication
//! period and dropping after the grace period happen on the next read of
//! the superapp's bundle or key set, each as a change by `server`.
//!
//! Contract v3: every change of the published keys re-signs the superapp's
//! key set in the same transaction (`keysets.rs`), and a next key is
//! promoted only once the key set in force lists it, so no key signs a
//! bundle before devices can have it.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

use crate::change::{Change, Record};
use crate::distribution::keysets::{self, Publish};
use crate::distribution::sealing::Kek;
use crate::error::ApiError;
use crate::state::AppState;
use crate::util::random_hex;

/// Key status: signs nothing yet.
pub const NEXT: &str = "next";
/// Key status: signs.
pub const ACTIVE: &str = "active";
/// Key status: verifies bundles signed before, until dropped.
pub const RETIRED: &str = "retired";

const KEK_CHECK: &[u8] = b"guard kek check";

/// A signing key opened with the KEK. Never printed.
#[derive(Clone)]
pub struct SigningSeed {
    /// Its key id.
    pub kid: String,
    seed: [u8; 32],
}

impl std::fmt::Debug for SigningSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSeed({})", self.kid)
    }
}

impl SigningSeed {
    /// The 32-byte Ed25519 seed.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        jwk(&self.kid, &public_x(&self.seed))
    }
}

fn public_x(seed: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(SigningKey::from_bytes(seed).verifying_key().as_bytes())
}

fn jwk(kid: &str, x: &str) -> Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": x})
}

/// The KEK of the state.
///
/// # Errors
///
/// [`ApiError::Internal`] when none is configured.
pub fn kek(st: &AppState) -> Result<&Arc<Kek>, ApiError> {
    st.kek
        .as_ref()
        .ok_or_else(|| ApiError::Internal("no key-encryption key configured".into()))
}

/// Generates a key for `sid` with `status`, sealed, and stores it; returns
/// its kid.
///
/// # Errors
///
/// [`ApiError::Internal`].
pub async fn generate(
    conn: &mut AnyConnection,
    kek: &Kek,
    sid: &str,
    status: &str,
    now: i64,
) -> Result<String, ApiError> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    let kid = format!("{sid}-{}", random_hex(6)?);
    let sealed = kek.seal(sid, &kid, &seed)?;
    sqlx::query(
        "INSERT INTO signing_keys (superapp_id, kid, status, x, sealed, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(sid)
    .bind(&kid)
    .bind(status)
    .bind(public_x(&seed))
    .bind(sealed)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(kid)
}

/// The active key of `sid`, opened.
///
/// # Errors
///
/// [`ApiError::Internal`] when it has none, or the KEK does not open it.
pub async fn active(
    conn: &mut AnyConnection,
    kek: &Kek,
    sid: &str,
) -> Result<SigningSeed, ApiError> {
    let row =
        sqlx::query("SELECT kid, sealed FROM signing_keys WHERE superapp_id = $1 AND status = $2")
            .bind(sid)
            .bind(ACTIVE)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(format!("superapp `{sid}` has no active signing key"))
            })?;
    let kid: String = row.try_get("kid")?;
    let sealed: String = row.try_get("sealed")?;
    let seed: [u8; 32] = kek
        .open(sid, &kid, &sealed)?
        .try_into()
        .map_err(|_| ApiError::Internal(format!("signing key `{kid}` is not 32 bytes")))?;
    Ok(SigningSeed { kid, seed })
}

/// The public key set of `sid`: every published key (next, active, retired),
/// public parts only.
///
/// # Errors
///
/// [`ApiError::Internal`].
pub async fn public_set(conn: &mut AnyConnection, sid: &str) -> Result<Value, ApiError> {
    let mut keys = Vec::new();
    for r in sqlx::query(
        "SELECT kid, x FROM signing_keys WHERE superapp_id = $1 ORDER BY created_at, kid",
    )
    .bind(sid)
    .fetch_all(&mut *conn)
    .await?
    {
        keys.push(jwk(
            &r.try_get::<String, _>("kid")?,
            &r.try_get::<String, _>("x")?,
        ));
    }
    Ok(json!({ "keys": keys }))
}

/// Re-signs `sid`'s key set inside change `c` with the keys published as
/// they stand in it (`keysets::publish`); returns the new key-set version,
/// if one was signed.
///
/// # Errors
///
/// [`ApiError::Internal`].
pub async fn publish(
    c: &mut Change,
    st: &AppState,
    sid: &str,
    when: Publish,
) -> Result<Option<i64>, ApiError> {
    let kek = kek(st)?.clone();
    let set = public_set(&mut c.tx, sid).await?;
    let keys = set["keys"].as_array().cloned().unwrap_or_default();
    keysets::publish(c, &kek, sid, &keys, st.keyset_lifetime, when).await
}

/// Whether the key set in force of `sid` lists its next key `kid` (read
/// on `conn`): only then may it be promoted.
async fn next_listed(conn: &mut AnyConnection, sid: &str, kid: &str) -> Result<bool, ApiError> {
    let x: String = sqlx::query("SELECT x FROM signing_keys WHERE superapp_id = $1 AND kid = $2")
        .bind(sid)
        .bind(kid)
        .fetch_one(&mut *conn)
        .await?
        .try_get("x")?;
    match keysets::current(conn, sid).await? {
        Some(cur) => cur.lists(kid, &x),
        None => Ok(false),
    }
}

/// Promotes `sid`'s next key inside change `c`: it becomes active, the active
/// key retired. Returns `(new kid, retired kid)`.
///
/// # Errors
///
/// [`ApiError::Conflict`] when there is no next key, or the key set in
/// force does not list it (a superapp whose root is offline uploads one that
/// does first).
pub async fn promote(c: &mut Change, sid: &str) -> Result<(String, Option<String>), ApiError> {
    let next: String =
        sqlx::query("SELECT kid FROM signing_keys WHERE superapp_id = $1 AND status = $2")
            .bind(sid)
            .bind(NEXT)
            .fetch_optional(&mut *c.tx)
            .await?
            .ok_or_else(|| {
                ApiError::Conflict(format!(
                    "superapp `{sid}` has no next signing key: rotate first"
                ))
            })?
            .try_get("kid")?;
    if !next_listed(&mut c.tx, sid, &next).await? {
        return Err(ApiError::Conflict(format!(
            "the key set in force of superapp `{sid}` does not list the next signing key `{next}`: upload a key set that lists it first"
        )));
    }
    let old: Option<String> = sqlx::query(
        "UPDATE signing_keys SET status = $3, retired_at = $4 WHERE superapp_id = $1 AND status = $2 RETURNING kid",
    )
    .bind(sid)
    .bind(ACTIVE)
    .bind(RETIRED)
    .bind(c.at)
    .fetch_optional(&mut *c.tx)
    .await?
    .map(|r| r.try_get("kid"))
    .transpose()?;
    sqlx::query("UPDATE signing_keys SET status = $3 WHERE superapp_id = $1 AND kid = $2")
        .bind(sid)
        .bind(&next)
        .bind(ACTIVE)
        .execute(&mut *c.tx)
        .await?;
    Ok((next, old))
}

/// Time-driven key changes of `sid`: a next key older than the
/// pre-publication period is promoted, a retired key older than the grace
/// period dropped, a server-signed key set past half its lifetime re-issued.
/// Each is a change by `server`; a cheap read when there is nothing to do.
///
/// # Errors
///
/// [`ApiError::Internal`].
pub async fn advance(st: &AppState, sid: &str) -> Result<(), ApiError> {
    let now = st.clock.now();
    let due = sqlx::query(
        "SELECT kid, status FROM signing_keys WHERE superapp_id = $1 AND \
         ((status = $2 AND created_at <= $3) OR (status = $4 AND retired_at <= $5))",
    )
    .bind(sid)
    .bind(NEXT)
    .bind(now.saturating_sub(st.key_prepublish))
    .bind(RETIRED)
    .bind(now.saturating_sub(st.key_grace))
    .fetch_all(&st.store.pool)
    .await?;
    for row in due {
        let kid: String = row.try_get("kid")?;
        let status: String = row.try_get("status")?;
        let mut conn = st.store.pool.acquire().await?;
        if status == NEXT && !next_listed(&mut conn, sid, &kid).await? {
            // Waits for an uploaded key set that lists it (offline root).
            continue;
        }
        drop(conn);
        let mut c = Change::begin(&st.store, sid, now).await?;
        // Re-read under the change's lock: another server may have done it.
        let still = sqlx::query(
            "SELECT kid FROM signing_keys WHERE superapp_id = $1 AND kid = $2 AND status = $3",
        )
        .bind(sid)
        .bind(&kid)
        .bind(&status)
        .fetch_optional(&mut *c.tx)
        .await?;
        if still.is_none() {
            continue; // dropped: rolled back
        }
        let record = if status == NEXT {
            let (new, old) = promote(&mut c, sid).await?;
            Record::new(
                "promote_signing_key",
                format!("superapp:{sid}"),
                Some(json!({"active": old})),
                Some(json!({"active": new})),
            )
        } else {
            sqlx::query("DELETE FROM signing_keys WHERE superapp_id = $1 AND kid = $2")
                .bind(sid)
                .bind(&kid)
                .execute(&mut *c.tx)
                .await?;
            publish(&mut c, st, sid, Publish::IfChanged).await?;
            Record::new(
                "drop_signing_key",
                format!("superapp:{sid}"),
                Some(json!({"kid": kid, "status": RETIRED})),
                None,
            )
        };
        c.commit("server", &record).await?;
    }
    reissue_keyset(st, sid, now).await
}

/// Re-issues `sid`'s server-signed key set once half its lifetime has
/// passed (`keysets::due`), as a change by `server` (audit
/// `reissue_keyset`); of several servers, the first does it.
async fn reissue_keyset(st: &AppState, sid: &str, now: i64) -> Result<(), ApiError> {
    let mut conn = st.store.pool.acquire().await?;
    let stale = keysets::current(&mut conn, sid).await?;
    if !stale.as_ref().is_some_and(|k| keysets::due(k, now))
        || keysets::is_offline(&mut conn, sid).await?
    {
        return Ok(());
    }
    drop(conn);
    let mut c = Change::begin(&st.store, sid, now).await?;
    let Some(cur) = keysets::current(&mut c.tx, sid).await? else {
        return Ok(());
    };
    if !keysets::due(&cur, now) {
        return Ok(()); // another server did it: rolled back
    }
    if let Some(version) = publish(&mut c, st, sid, Publish::Always).await? {
        let record = Record::new(
            "reissue_keyset",
            format!("superapp:{sid}"),
            Some(json!({"keyset_version": cur.version, "expires_at": cur.expires_at})),
            Some(json!({"keyset_version": version})),
        );
        c.commit("server", &record).await?;
    }
    Ok(())
}

/// At start: every stored key must open with the configured KEK (a wrong
/// `GUARD_KEK` or kek file stops the start; keys are never regenerated),
/// then superapps without an active key (from before signing keys) get one,
/// each as a change by `server` (audit `create_signing_key`).
///
/// # Errors
///
/// [`ApiError::Internal`] naming the first key that does not open.
pub async fn check_and_fill(st: &AppState) -> Result<(), ApiError> {
    let kek = kek(st)?;
    // A sealed constant, written on the first start, catches a wrong KEK
    // before any superapp has a key.
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES ('kek_check', $1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(kek.seal("_platform", "kek_check", KEK_CHECK)?)
    .execute(&st.store.pool)
    .await?;
    let check: String = sqlx::query("SELECT value FROM settings WHERE name = 'kek_check'")
        .fetch_one(&st.store.pool)
        .await?
        .try_get("value")?;
    if kek.open("_platform", "kek_check", &check).ok().as_deref() != Some(KEK_CHECK) {
        return Err(ApiError::Internal(
            "the key-encryption key does not open signing keys sealed before: wrong GUARD_KEK or kek file? (signing keys are never regenerated)".into(),
        ));
    }
    for r in
        sqlx::query("SELECT superapp_id, kid, sealed FROM signing_keys ORDER BY superapp_id, kid")
            .fetch_all(&st.store.pool)
            .await?
    {
        let sid: String = r.try_get("superapp_id")?;
        let kid: String = r.try_get("kid")?;
        kek.open(&sid, &kid, &r.try_get::<String, _>("sealed")?).map_err(|_| {
            ApiError::Internal(format!(
                "the key-encryption key does not open signing key `{kid}` of superapp `{sid}`: wrong GUARD_KEK or kek file? (signing keys are never regenerated)"
            ))
        })?;
    }
    for r in sqlx::query(
        "SELECT id FROM superapps s WHERE NOT EXISTS (SELECT 1 FROM signing_keys k WHERE k.superapp_id = s.id AND k.status = $1)",
    )
    .bind(ACTIVE)
    .fetch_all(&st.store.pool)
    .await?
    {
        // A change of the superapp: of servers starting together on one
        // database, each waits for the one before (the version bump) and
        // then finds its key; the database also holds one active key at
        // most (migration 8).
        let sid: String = r.try_get("id")?;
        let mut c = Change::begin(&st.store, &sid, st.clock.now()).await?;
        let has = sqlx::query("SELECT kid FROM signing_keys WHERE superapp_id = $1 AND status = $2")
            .bind(&sid)
            .bind(ACTIVE)
            .fetch_optional(&mut *c.tx)
            .await?;
        if has.is_some() {
            continue; // another server did it: rolled back
        }
        let kid = generate(&mut c.tx, kek, &sid, ACTIVE, c.at).await?;
        let record = Record::new(
            "create_signing_key",
            format!("superapp:{sid}"),
            None,
            Some(json!({"active": kid})),
        );
        c.commit("server", &record).await?;
    }
    fill_roots(st, kek).await
}

/// At start, contract v3: every stored root must open with the KEK, then
/// superapps from before root keys get one, and superapps without a key set
/// their first, each as a change by `server` (audit `create_root_key`).
async fn fill_roots(st: &AppState, kek: &Kek) -> Result<(), ApiError> {
    for r in sqlx::query(
        "SELECT superapp_id, kid, sealed FROM root_keys WHERE sealed IS NOT NULL ORDER BY superapp_id, kid",
    )
    .fetch_all(&st.store.pool)
    .await?
    {
        let sid: String = r.try_get("superapp_id")?;
        let kid: String = r.try_get("kid")?;
        kek.open(&sid, &kid, &r.try_get::<String, _>("sealed")?).map_err(|_| {
            ApiError::Internal(format!(
                "the key-encryption key does not open root key `{kid}` of superapp `{sid}`: wrong GUARD_KEK or kek file? (root keys are never regenerated)"
            ))
        })?;
    }
    for r in sqlx::query(
        "SELECT id FROM superapps s WHERE NOT EXISTS (SELECT 1 FROM keysets k WHERE k.superapp_id = s.id) \
         OR NOT EXISTS (SELECT 1 FROM root_keys r WHERE r.superapp_id = s.id AND r.sealed IS NOT NULL) ORDER BY id",
    )
    .fetch_all(&st.store.pool)
    .await?
    {
        let sid: String = r.try_get("id")?;
        let mut c = Change::begin(&st.store, &sid, st.clock.now()).await?;
        let has_root = sqlx::query(
            "SELECT kid FROM root_keys WHERE superapp_id = $1 AND sealed IS NOT NULL",
        )
        .bind(&sid)
        .fetch_optional(&mut *c.tx)
        .await?
        .is_some();
        let root = match has_root {
            true => None,
            false => Some(keysets::generate_root(&mut c.tx, kek, &sid, c.at).await?),
        };
        let version = publish(&mut c, st, &sid, Publish::IfChanged).await?;
        if root.is_none() && version.is_none() {
            continue; // another server did it: rolled back
        }
        let record = Record::new(
            "create_root_key",
            format!("superapp:{sid}"),
            None,
            Some(json!({"root": root, "keyset_version": version})),
        );
        c.commit("server", &record).await?;
    }
    Ok(())
}

//! Secrets at rest: migration 44, which seals (or digests) every secret an
//! older server stored in clear, and the server's openid secret, created
//! sealed on first use.
//!
//! Why the migration is code run at start and not a SQL file: sealing needs
//! the KEK, which is never in the database, and the store is opened before
//! it is loaded. It runs at every start (`guard serve`) and is cheap when
//! there is nothing to do; each value is rewritten by a compare-and-set on
//! its value in clear, so servers starting together on one PostgreSQL, or a
//! start interrupted half-way, seal every value exactly once. A sealed value
//! starts with `sealed:`, a digest with `hmac:`, and no secret ever stored
//! in clear has a `:`, so nothing is sealed twice. When it is done the
//! migration is recorded as version 44 in `schema_migrations`.
//!
//! On SQLite, once something was sealed, the old values are also wiped from
//! the file: `VACUUM` rewrites it without the freed cells and the WAL is
//! checkpointed and truncated. On PostgreSQL `VACUUM` marks the dead rows'
//! space free (their bytes go as it is reused).

use sqlx::Row;

use crate::distribution::keyring;
use crate::distribution::sealing::{Kek, Secret, DIGEST, SEALED};
use crate::distribution::signer::new_bundle_key;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Backend;
use crate::util::random_hex;

/// The number migration 44 is recorded under in `schema_migrations`.
pub const MIGRATION: i64 = 44;

/// The server's openid secret (from which `openid`/`unionid` are derived),
/// created sealed on first use: of servers creating it together, the first
/// insert wins and every one reads that one.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure, or when the secret does not
/// open with the KEK (or is still in clear).
pub async fn openid_secret(st: &AppState) -> Result<String, ApiError> {
    let kek = keyring::kek(st)?;
    let read = || async {
        sqlx::query("SELECT value FROM settings WHERE name = 'openid_secret'")
            .fetch_optional(&st.store.pool)
            .await
    };
    let row = match read().await? {
        Some(row) => row,
        None => {
            let fresh = kek.seal_secret(Secret::OpenidSecret, &random_hex(32)?)?;
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ('openid_secret', $1) ON CONFLICT (name) DO NOTHING",
            )
            .bind(fresh)
            .execute(&st.store.pool)
            .await?;
            read().await?.ok_or_else(|| {
                ApiError::Internal("the openid secret vanished as it was created".into())
            })?
        }
    };
    kek.open_secret(Secret::OpenidSecret, &row.try_get::<String, _>("value")?)
}

/// Migration 44: every secret stored in clear is sealed (the SecretKey
/// digested), superapps without a bundle key get one sealed, and the
/// migration is recorded. Returns how many values it rewrote.
///
/// # Errors
///
/// [`ApiError::Internal`] when there is no KEK or the store fails.
pub async fn seal_stored(st: &AppState) -> Result<u64, ApiError> {
    let kek = keyring::kek(st)?.clone();
    check_kek(st, &kek).await?;
    let mut done = 0;
    done += seal_superapps(st, &kek).await?;
    done += seal_column(
        st,
        "SELECT name AS owner, '' AS part, value AS kept FROM settings WHERE name = 'openid_secret'",
        "UPDATE settings SET value = $3 WHERE name = $1 AND value = $4 AND $2 = ''",
        |_, _| Secret::OpenidSecret,
        &kek,
    )
    .await?;
    done += seal_column(
        st,
        "SELECT app_id AS owner, openid AS part, session_key AS kept FROM sessions",
        "UPDATE sessions SET session_key = $3 WHERE app_id = $1 AND openid = $2 AND session_key = $4",
        |app, openid| Secret::SessionKey { app, openid },
        &kek,
    )
    .await?;
    done += seal_column(
        st,
        "SELECT id_hash AS owner, '' AS part, csrf AS kept FROM console_sessions",
        "UPDATE console_sessions SET csrf = $3 WHERE id_hash = $1 AND csrf = $4 AND $2 = ''",
        |session, _| Secret::Csrf { session },
        &kek,
    )
    .await?;
    if done > 0 {
        wipe_old_values(st).await?;
    }
    sqlx::query(
        "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
    )
    .bind(MIGRATION)
    .bind(st.clock.now())
    .execute(&st.store.pool)
    .await?;
    Ok(done)
}

/// Refuses a KEK that does not open the constant sealed at the first start
/// (`keyring::check_and_fill`), whatever order the start runs things in:
/// sealing an older server's values in clear under a wrong KEK would lose
/// them (a SecretKey is digested, never recoverable).
async fn check_kek(st: &AppState, kek: &Kek) -> Result<(), ApiError> {
    let check = sqlx::query("SELECT value FROM settings WHERE name = 'kek_check'")
        .fetch_optional(&st.store.pool)
        .await?;
    if let Some(row) = check {
        if kek
            .open(
                "_platform",
                "kek_check",
                &row.try_get::<String, _>("value")?,
            )
            .is_err()
        {
            return Err(ApiError::Internal(
                "the key-encryption key does not open what was sealed before: wrong GUARD_KEK or kek file? (nothing was sealed with it)".into(),
            ));
        }
    }
    Ok(())
}

/// The SecretKey digested, the bundle key sealed (or created sealed).
async fn seal_superapps(st: &AppState, kek: &Kek) -> Result<u64, ApiError> {
    let mut done = 0;
    for row in sqlx::query("SELECT id, secret_key, bundle_key FROM superapps ORDER BY id")
        .fetch_all(&st.store.pool)
        .await?
    {
        let sid: String = row.try_get("id")?;
        let secret: String = row.try_get("secret_key")?;
        if !secret.starts_with(DIGEST) {
            let kept = kek.digest(Secret::SecretKey { superapp: &sid }, &secret);
            done += sqlx::query(
                "UPDATE superapps SET secret_key = $2 WHERE id = $1 AND secret_key = $3",
            )
            .bind(&sid)
            .bind(kept)
            .bind(&secret)
            .execute(&st.store.pool)
            .await?
            .rows_affected();
        }
        let bundle: Option<String> = row.try_get("bundle_key")?;
        let what = Secret::BundleKey { superapp: &sid };
        let kept = match bundle.as_deref() {
            // Superapps from before bundle keys get one (their devices must
            // then be given it: their old bundles were signed with the
            // SecretKey).
            None => kek.seal_secret(what, &new_bundle_key()?)?,
            Some(b) if !b.starts_with(SEALED) => kek.seal_secret(what, b)?,
            Some(_) => continue,
        };
        done += sqlx::query(
            "UPDATE superapps SET bundle_key = $2 WHERE id = $1 AND COALESCE(bundle_key, '') = $3",
        )
        .bind(&sid)
        .bind(kept)
        .bind(bundle.unwrap_or_default())
        .execute(&st.store.pool)
        .await?
        .rows_affected();
    }
    Ok(done)
}

/// Seals the values in clear that `select` finds (columns `owner`, `part`,
/// `kept`), each with `update` (`$1` owner, `$2` part — `''` for a row
/// with one key —, `$3` the sealed value, `$4` the value in clear it
/// replaces).
async fn seal_column(
    st: &AppState,
    select: &'static str,
    update: &'static str,
    what: impl for<'a> Fn(&'a str, &'a str) -> Secret<'a>,
    kek: &Kek,
) -> Result<u64, ApiError> {
    let mut done = 0;
    for row in sqlx::query(select).fetch_all(&st.store.pool).await? {
        let (owner, part, clear): (String, String, String) = (
            row.try_get("owner")?,
            row.try_get("part")?,
            row.try_get("kept")?,
        );
        if clear.starts_with(SEALED) {
            continue;
        }
        let kept = kek.seal_secret(what(&owner, &part), &clear)?;
        done += sqlx::query(update)
            .bind(&owner)
            .bind(&part)
            .bind(kept)
            .bind(&clear)
            .execute(&st.store.pool)
            .await?
            .rows_affected();
    }
    Ok(done)
}

/// Removes the replaced values' bytes from the database's files.
async fn wipe_old_values(st: &AppState) -> Result<(), ApiError> {
    let statements: &[&str] = match st.store.backend {
        Backend::Sqlite => &["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"],
        Backend::Postgres => &[
            "VACUUM superapps",
            "VACUUM settings",
            "VACUUM sessions",
            "VACUUM console_sessions",
        ],
    };
    for sql in statements {
        // The simple protocol: neither runs in a transaction block.
        sqlx::raw_sql(*sql).execute(&st.store.pool).await?;
    }
    Ok(())
}

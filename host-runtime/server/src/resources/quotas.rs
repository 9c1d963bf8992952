//! Upload quotas (decision 423): how many versions, and bytes of packages,
//! one app and one team may hold, and how many versions a team may upload
//! in an hour. Versions are never deleted, so without these one developer
//! could fill the server's disk (150 versions in 1.2 s, 42 MB in one go).
//! Checked twice: before the package's bytes are written (a refused upload
//! writes nothing), and inside the change that records it, after taking the
//! team's row lock, so that concurrent uploads of one team count each other.

use sqlx::{AnyConnection, Row};

use crate::error::ApiError;
use crate::state::UploadQuota;

/// One hour, the window of [`UploadQuota::uploads_per_team_per_hour`].
const HOUR: i64 = 3600;

/// What an app or a team holds already.
struct Held {
    versions: u64,
    bytes: u64,
}

async fn held(db: &mut AnyConnection, sql: &'static str, key: &str) -> Result<Held, ApiError> {
    let row = sqlx::query(sql).bind(key).fetch_one(&mut *db).await?;
    let versions: i64 = row.try_get("n")?;
    let bytes: i64 = row.try_get("bytes")?;
    Ok(Held {
        versions: u64::try_from(versions).unwrap_or(0),
        bytes: u64::try_from(bytes).unwrap_or(0),
    })
}

/// Refuses when one more version of `size` bytes would take `what` (`app
/// `mp1``, `team `t1``) over `max_versions` or `max_bytes`.
fn within(
    what: &str,
    held: &Held,
    size: u64,
    max_versions: u64,
    max_bytes: u64,
) -> Result<(), ApiError> {
    if held.versions >= max_versions {
        return Err(ApiError::OverCountQuota(format!(
            "{what} already has {} versions; its quota is {max_versions} versions",
            held.versions
        )));
    }
    let after = held.bytes.saturating_add(size);
    if after > max_bytes {
        return Err(ApiError::OverByteQuota(format!(
            "{what} would hold {after} bytes of packages with this one; its quota is {max_bytes} bytes"
        )));
    }
    Ok(())
}

/// Takes `team`'s row lock in the transaction `db` (a no-op update: on
/// PostgreSQL it serialises one team's uploads; SQLite has one writer
/// anyway), so that [`check`] then counts every upload of the team.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub(crate) async fn lock_team(db: &mut AnyConnection, team: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE teams SET name = name WHERE id = $1")
        .bind(team)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Checks one more version of `size` bytes of `app` (team `team`), uploaded
/// at `at`, against `q`.
///
/// # Errors
///
/// [`ApiError::OverCountQuota`] (429) over a count,
/// [`ApiError::OverByteQuota`] (413) over bytes, [`ApiError::RateLimited`]
/// (429, `Retry-After`) over the hourly uploads, each naming the limit;
/// [`ApiError::Internal`] on a store failure.
pub(crate) async fn check(
    db: &mut AnyConnection,
    q: &UploadQuota,
    (app, team): (&str, &str),
    size: u64,
    at: i64,
) -> Result<(), ApiError> {
    let per_app = held(
        db,
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes \
         FROM app_versions WHERE app_id = $1",
        app,
    )
    .await?;
    within(
        &format!("app `{app}`"),
        &per_app,
        size,
        q.versions_per_app,
        q.bytes_per_app,
    )?;
    let per_team = held(
        db,
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(v.size), 0) AS BIGINT) AS bytes \
         FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.team_id = $1",
        team,
    )
    .await?;
    within(
        &format!("team `{team}`"),
        &per_team,
        size,
        q.versions_per_team,
        q.bytes_per_team,
    )?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(MIN(v.created_at), 0) AS BIGINT) AS oldest \
         FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.team_id = $1 AND v.created_at > $2",
    )
    .bind(team)
    .bind(at - HOUR)
    .fetch_one(&mut *db)
    .await?;
    let recent: i64 = row.try_get("n")?;
    if u64::try_from(recent).unwrap_or(0) >= q.uploads_per_team_per_hour {
        let oldest: i64 = row.try_get("oldest")?;
        return Err(ApiError::RateLimited {
            what: format!(
                "team `{team}` uploaded {recent} versions in the last hour; its quota is {} an hour",
                q.uploads_per_team_per_hour
            ),
            // The oldest upload of the window leaves it then.
            retry_after: u64::try_from(oldest + HOUR - at).unwrap_or(1).max(1),
        });
    }
    Ok(())
}

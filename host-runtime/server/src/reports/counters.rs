//! Violation counters: what devices report, added up per app into rows of
//! (kind, subject, code, mode), whose number is bounded per app so that no
//! flood of made-up hosts or API names grows the database.
//!
//! Per app at most [`MAX_ROWS_PER_APP`] rows name a subject (an API name
//! or a host, `''` when a report has none); a report for a new subject
//! beyond them is added to the app's `other` row of its (kind, code, mode)
//! instead. A named row not seen for [`RETENTION_SECS`] gives its room to
//! a new subject. So an app has at most `MAX_ROWS_PER_APP` + kinds × codes
//! × modes rows, whatever is sent.
//!
//! Every batch first writes its app's row of `violation_apps`: that takes
//! the app's lock (PostgreSQL: the row, SQLite: the database) before the
//! rows are counted, so concurrent batches cannot both take the last room.
//! Apps are written in name order, so two batches never wait on each other
//! in a cycle.
//!
//! Times are the server's clock at receipt; counts saturate at `i64::MAX`.

use std::collections::BTreeMap;

use guard_core::report::Report;
use guard_core::{CheckKind, DenyCode, Mode};
use sqlx::{Any, Row, Transaction};

use crate::error::ApiError;
use crate::store::Store;

/// Most rows naming a subject per app.
pub const MAX_ROWS_PER_APP: i64 = 200;

/// A named row not seen for this long (30 days) makes room for a new one.
pub const RETENTION_SECS: i64 = 30 * 86_400;

/// What a row counts: the report's identity without its app and policy
/// version (the highest version reported is kept with the row).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// The check's kind.
    pub kind: &'static str,
    /// The API name or host; empty for none.
    pub subject: String,
    /// The deny code.
    pub code: &'static str,
    /// `enforce` or `report`.
    pub mode: &'static str,
}

impl Key {
    fn of(r: &Report) -> Key {
        Key {
            kind: r.kind.as_str(),
            subject: r.api.clone().or_else(|| r.host.clone()).unwrap_or_default(),
            code: r.code.as_str(),
            mode: r.mode.as_str(),
        }
    }
}

/// Calls and the highest policy version of one key in one batch.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    calls: i64,
    version: i64,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `col + $n`, saturating at `i64::MAX` (both engines: no `LEAST`/`MIN`
/// spelled alike).
fn saturating_add(col: &str, param: &str) -> String {
    format!(
        "CASE WHEN {col} > {max} - {param} THEN {max} ELSE {col} + {param} END",
        max = i64::MAX
    )
}

/// Adds `reports` (all of apps bound to `superapp`, already checked) and
/// `dropped` to the counters, in one transaction.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure (nothing is added).
pub async fn add(
    store: &Store,
    superapp: &str,
    reports: &[Report],
    dropped: u64,
    now: i64,
) -> Result<(), ApiError> {
    let mut by_app: BTreeMap<&str, (i64, BTreeMap<Key, Sum>)> = BTreeMap::new();
    for r in reports {
        let (n, keys) = by_app.entry(r.app.as_str()).or_default();
        *n += 1;
        let sum = keys.entry(Key::of(r)).or_default();
        sum.calls = sum.calls.saturating_add(to_i64(r.count));
        sum.version = sum.version.max(to_i64(r.policy_version));
    }
    if by_app.is_empty() && dropped == 0 {
        return Ok(());
    }
    let mut tx = store.pool.begin().await?;
    for (app, (n, keys)) in &by_app {
        add_app(&mut tx, app, *n, keys, now).await?;
    }
    if dropped > 0 {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO violation_drops (superapp_id, dropped, last_seen) VALUES ($1, $2, $3) \
             ON CONFLICT (superapp_id) DO UPDATE SET dropped = {}, last_seen = $3",
            saturating_add("violation_drops.dropped", "$2")
        )))
        .bind(superapp)
        .bind(to_i64(dropped))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn add_app(
    tx: &mut Transaction<'static, Any>,
    app: &str,
    reports: i64,
    keys: &BTreeMap<Key, Sum>,
    now: i64,
) -> Result<(), ApiError> {
    // The app's lock first (see the module doc).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO violation_apps (app_id, reports, last_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (app_id) DO UPDATE SET reports = {}, last_seen = $3",
        saturating_add("violation_apps.reports", "$2")
    )))
    .bind(app)
    .bind(reports)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let mut named = named_rows(tx, app).await?;
    let mut pruned = false;
    for (key, sum) in keys {
        if bump(tx, app, key, false, *sum, now).await? {
            continue;
        }
        if named >= MAX_ROWS_PER_APP && !pruned {
            sqlx::query(
                "DELETE FROM violations WHERE app_id = $1 AND other = 0 AND last_seen < $2",
            )
            .bind(app)
            .bind(now.saturating_sub(RETENTION_SECS))
            .execute(&mut **tx)
            .await?;
            named = named_rows(tx, app).await?;
            pruned = true;
        }
        if named < MAX_ROWS_PER_APP {
            insert(tx, app, key, false, *sum, now).await?;
            named += 1;
            continue;
        }
        let other = Key {
            subject: String::new(),
            ..key.clone()
        };
        if !bump(tx, app, &other, true, *sum, now).await? {
            insert(tx, app, &other, true, *sum, now).await?;
        }
    }
    Ok(())
}

async fn named_rows(tx: &mut Transaction<'static, Any>, app: &str) -> Result<i64, ApiError> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM violations WHERE app_id = $1 AND other = 0")
            .bind(app)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?,
    )
}

/// Adds to an existing row; `false` when there is none.
async fn bump(
    tx: &mut Transaction<'static, Any>,
    app: &str,
    key: &Key,
    other: bool,
    sum: Sum,
    now: i64,
) -> Result<bool, ApiError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE violations SET calls = {}, \
         policy_version = CASE WHEN policy_version < $7 THEN $7 ELSE policy_version END, last_seen = $8 \
         WHERE app_id = $1 AND kind = $2 AND subject = $3 AND other = $4 AND code = $5 AND mode = $6",
        saturating_add("calls", "$9")
    )))
    .bind(app)
    .bind(key.kind)
    .bind(&key.subject)
    .bind(i64::from(other))
    .bind(key.code)
    .bind(key.mode)
    .bind(sum.version)
    .bind(now)
    .bind(sum.calls)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

async fn insert(
    tx: &mut Transaction<'static, Any>,
    app: &str,
    key: &Key,
    other: bool,
    sum: Sum,
    now: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO violations (app_id, kind, subject, other, code, mode, calls, policy_version, first_seen, last_seen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(app)
    .bind(key.kind)
    .bind(&key.subject)
    .bind(i64::from(other))
    .bind(key.code)
    .bind(key.mode)
    .bind(sum.calls)
    .bind(sum.version)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The most rows one app can have, whatever is sent: the named rows and
/// one `other` row per (kind, code, mode).
pub fn max_rows_per_app() -> usize {
    usize::try_from(MAX_ROWS_PER_APP).unwrap_or(usize::MAX)
        + CheckKind::ALL.len() * DenyCode::ALL.len() * Mode::ALL.len()
}

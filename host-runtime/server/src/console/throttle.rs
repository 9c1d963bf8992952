//! Sign-in throttling, per account and per client address, in the
//! database, so that every `guard serve` process on one PostgreSQL counts
//! the same attempts (decision 85). Each attempt is counted *before* the
//! password is checked (one atomic upsert per bucket), so concurrent
//! guesses cannot slip past the limit between a read and a write; a
//! success then clears the account's bucket and takes its attempt back off
//! the address's.

use sqlx::Row;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The bucket of an account.
pub fn account_bucket(account: &str) -> String {
    format!("account:{account}")
}

/// The bucket of a client address.
pub fn address_bucket(addr: &str) -> String {
    format!("address:{addr}")
}

/// Counts an attempt in `bucket`; returns `(attempts in the window, when
/// the window ends)`.
async fn count(st: &AppState, bucket: &str) -> Result<(i64, i64), ApiError> {
    let now = st.clock.now();
    let window = st.console.throttle_window;
    // Ended windows count nothing: deleting them here keeps the table at one
    // window's attempts, however many account names a guesser invents.
    sqlx::query("DELETE FROM signin_throttle WHERE window_start <= $1")
        .bind(now.saturating_sub(window))
        .execute(&st.store.pool)
        .await?;
    let row = sqlx::query(
        "INSERT INTO signin_throttle (bucket, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (bucket) DO UPDATE SET \
         failures = CASE WHEN signin_throttle.window_start <= $3 THEN 1 ELSE signin_throttle.failures + 1 END, \
         window_start = CASE WHEN signin_throttle.window_start <= $3 THEN $2 ELSE signin_throttle.window_start END \
         RETURNING failures, window_start",
    )
    .bind(bucket)
    .bind(now)
    .bind(now.saturating_sub(window))
    .fetch_one(&st.store.pool)
    .await?;
    let start: i64 = row.try_get("window_start")?;
    Ok((row.try_get("failures")?, start.saturating_add(window)))
}

/// Counts an attempt of `limited` buckets (bucket, limit); `Some(seconds)`
/// when one is over its limit: refuse without checking anything, and say
/// when to try again.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn attempt(st: &AppState, limited: &[(String, i64)]) -> Result<Option<i64>, ApiError> {
    let mut wait = None;
    for (bucket, limit) in limited {
        let (n, ends) = count(st, bucket).await?;
        if n > *limit {
            let secs = ends.saturating_sub(st.clock.now()).max(1);
            wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
        }
    }
    Ok(wait)
}

/// After a successful sign-in: the account's failures are forgiven, and the
/// attempt is taken off the address's count.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn succeeded(st: &AppState, account: &str, address: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM signin_throttle WHERE bucket = $1")
        .bind(account_bucket(account))
        .execute(&st.store.pool)
        .await?;
    sqlx::query(
        "UPDATE signin_throttle SET failures = failures - 1 WHERE bucket = $1 AND failures > 0",
    )
    .bind(address_bucket(address))
    .execute(&st.store.pool)
    .await?;
    Ok(())
}

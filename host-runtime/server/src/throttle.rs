//! Sign-in throttling that slows a guesser without locking the owner out
//! (decision 447), kept in the database so that every `guard serve`
//! process on one PostgreSQL counts the same attempts (decision 85).
//!
//! Two steps, the address first:
//!
//! 1. **Per client address** (an IPv4 address or an IPv6 /64): at most
//!    `throttle_per_address` attempts in a window of `throttle_window`
//!    seconds; beyond, refused without looking at the account.
//! 2. **Per account**: `throttle_per_account` failures are free, then each
//!    attempt waits a delay that doubles with every further failure (1 s,
//!    2 s, 4 s …) up to `throttle_max_delay` — never a lock. A browser the
//!    account signed in from before carries a device cookie (an HMAC under
//!    the KEK of the account and when it was issued, stored nowhere) and is
//!    counted apart from everyone else, so the owner's own browser is not
//!    slowed by a guesser's failures. Failures are forgotten
//!    `throttle_forget` seconds after the last one, at a success, or when an
//!    administrator unlocks the account ([`unlock`]).
//!
//! Each attempt is counted *before* the password is checked: the address's
//! by one atomic upsert, the account's by a compare-and-set on its count,
//! so concurrent guesses cannot slip past the limit between a read and a
//! write (of two racing attempts on one count, the loser waits).

use sqlx::{AnyConnection, Row};

use crate::distribution::keyring;
use crate::distribution::sealing::Secret;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a device cookie is honoured: 90 days.
pub const DEVICE_LIFETIME: i64 = 90 * 86_400;

/// The bucket of a client address.
pub fn address_bucket(addr: &str) -> String {
    format!("address:{addr}")
}

/// The bucket of an account's attempts from browsers it never signed in
/// from.
pub fn account_bucket(account: &str) -> String {
    format!("account:{account}")
}

/// The seconds attempt number `failures + 1` must wait after the last
/// failure: nothing for the first `free`, then 1 s doubling with each
/// failure, at most `max`.
///
/// # Examples
///
/// ```
/// use guard_server::throttle::delay;
/// let waits: Vec<i64> = (0..9).map(|f| delay(f, 5, 4)).collect();
/// assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 4]);
/// ```
pub fn delay(failures: i64, free: i64, max: i64) -> i64 {
    let over = failures.saturating_sub(free);
    if over < 0 {
        return 0;
    }
    // 2^62 already exceeds any cap; the shift never overflows.
    let doubled = 1i64 << over.min(62);
    doubled.min(max.max(0))
}

/// Deletes the counts nobody needs any more: ended address windows, and
/// account counts quiet for `throttle_forget` seconds. Keeps the table at
/// one window's addresses and one forgetting period's accounts, however
/// many names a guesser invents.
async fn sweep(st: &AppState, now: i64) -> Result<(), ApiError> {
    sqlx::query(
        "DELETE FROM signin_throttle WHERE (bucket LIKE 'address:%' AND window_start <= $1) \
         OR (bucket NOT LIKE 'address:%' AND window_start <= $2)",
    )
    .bind(now.saturating_sub(st.console.throttle_window))
    .bind(now.saturating_sub(st.console.throttle_forget))
    .execute(&st.store.pool)
    .await?;
    Ok(())
}

/// Counts an attempt from `address` (sign-in and invite redemption);
/// `Some(seconds)` when the address is over its limit: refuse without
/// checking anything, and say when to try again.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn at_address(st: &AppState, address: &str) -> Result<Option<i64>, ApiError> {
    let now = st.clock.now();
    let window = st.console.throttle_window;
    sweep(st, now).await?;
    // For an address bucket `window_start` is when its window began.
    let row = sqlx::query(
        "INSERT INTO signin_throttle (bucket, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (bucket) DO UPDATE SET \
         failures = CASE WHEN signin_throttle.window_start <= $3 THEN 1 ELSE signin_throttle.failures + 1 END, \
         window_start = CASE WHEN signin_throttle.window_start <= $3 THEN $2 ELSE signin_throttle.window_start END \
         RETURNING failures, window_start",
    )
    .bind(address_bucket(address))
    .bind(now)
    .bind(now.saturating_sub(window))
    .fetch_one(&st.store.pool)
    .await?;
    let (n, start): (i64, i64) = (row.try_get("failures")?, row.try_get("window_start")?);
    Ok((n > st.console.throttle_per_address)
        .then(|| start.saturating_add(window).saturating_sub(now).max(1)))
}

/// Counts an attempt on the account count `bucket` ([`account_bucket`] or
/// a device's, [`device_bucket`]); `Some(seconds)` while its delay runs:
/// refuse without checking the password, and say when to try again.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn at_account(st: &AppState, bucket: &str) -> Result<Option<i64>, ApiError> {
    let now = st.clock.now();
    let (free, max) = (
        st.console.throttle_per_account,
        st.console.throttle_max_delay,
    );
    // For an account bucket `window_start` is the last attempt counted.
    let row = sqlx::query("SELECT failures, window_start FROM signin_throttle WHERE bucket = $1")
        .bind(bucket)
        .fetch_optional(&st.store.pool)
        .await?;
    let counted = match row {
        None => sqlx::query(
            "INSERT INTO signin_throttle (bucket, failures, window_start) VALUES ($1, 1, $2) ON CONFLICT (bucket) DO NOTHING",
        )
        .bind(bucket)
        .bind(now)
        .execute(&st.store.pool)
        .await?
        .rows_affected(),
        Some(row) => {
            let (n, last): (i64, i64) = (row.try_get("failures")?, row.try_get("window_start")?);
            let wait = last.saturating_add(delay(n, free, max)).saturating_sub(now);
            if wait > 0 {
                return Ok(Some(wait));
            }
            sqlx::query(
                "UPDATE signin_throttle SET failures = failures + 1, window_start = $2 \
                 WHERE bucket = $1 AND failures = $3 AND window_start = $4",
            )
            .bind(bucket)
            .bind(now)
            .bind(n)
            .bind(last)
            .execute(&st.store.pool)
            .await?
            .rows_affected()
        }
    };
    // Another attempt on this count got there first: this one waits.
    Ok((counted == 0).then_some(1))
}

/// After a successful sign-in: the count it was made on (`bucket`) is
/// forgiven, and the attempt is taken off the address's count. A success
/// in a known browser leaves the account's other count alone, so a
/// guesser elsewhere stays slowed.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn succeeded(st: &AppState, bucket: &str, address: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM signin_throttle WHERE bucket = $1")
        .bind(bucket)
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

/// Whether `account` is being slowed now: its failures from unknown
/// browsers are past the free ones (what the console's Unlock button
/// shows for).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn slowed(st: &AppState, account: &str) -> Result<bool, ApiError> {
    let row = sqlx::query("SELECT failures, window_start FROM signin_throttle WHERE bucket = $1")
        .bind(account_bucket(account))
        .fetch_optional(&st.store.pool)
        .await?;
    Ok(match row {
        Some(r) => {
            let (n, last): (i64, i64) = (r.try_get("failures")?, r.try_get("window_start")?);
            n >= st.console.throttle_per_account
                && last > st.clock.now().saturating_sub(st.console.throttle_forget)
        }
        None => false,
    })
}

/// Forgets every failure counted for `account` (its own count and its
/// browsers'), inside the administrator's change that unlocks it; returns
/// how many failures were forgotten.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn unlock(conn: &mut AnyConnection, account: &str) -> Result<i64, ApiError> {
    let buckets = (account_bucket(account), format!("device:{account}:%"));
    let failures: Option<i64> = sqlx::query(
        "SELECT CAST(SUM(failures) AS BIGINT) AS n FROM signin_throttle WHERE bucket = $1 OR bucket LIKE $2",
    )
    .bind(&buckets.0)
    .bind(&buckets.1)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    sqlx::query("DELETE FROM signin_throttle WHERE bucket = $1 OR bucket LIKE $2")
        .bind(&buckets.0)
        .bind(&buckets.1)
        .execute(&mut *conn)
        .await?;
    Ok(failures.unwrap_or(0))
}

/// The device cookie's value for `account`, issued now: `account.issued.mac`
/// (ids are letters, digits, `_` and `-`, so `.` separates).
///
/// # Errors
///
/// [`ApiError::Internal`] without a KEK.
pub fn device_token(st: &AppState, account: &str) -> Result<String, ApiError> {
    let issued = st.clock.now();
    let mac = keyring::kek(st)?.digest(Secret::DeviceCookie { account }, &issued.to_string());
    Ok(format!("{account}.{issued}.{}", mac_part(&mac)))
}

fn mac_part(digest: &str) -> &str {
    digest.split(':').nth(1).unwrap_or_default()
}

/// The count of `account`'s attempts from the browser that sent device
/// cookie `token`, when the cookie is this server's, for this account and
/// not older than [`DEVICE_LIFETIME`]; `None` otherwise (an unknown
/// browser: [`account_bucket`]).
pub fn device_bucket(st: &AppState, token: Option<&str>, account: &str) -> Option<String> {
    let mut parts = token?.splitn(3, '.');
    let (who, issued, mac) = (parts.next()?, parts.next()?, parts.next()?);
    let at: i64 = issued.parse().ok()?;
    let age = st.clock.now().saturating_sub(at);
    let kek = keyring::kek(st).ok()?;
    let kept = format!("{}{mac}", crate::distribution::sealing::DIGEST);
    (who == account
        && (0..DEVICE_LIFETIME).contains(&age)
        && kek.digest_matches(Secret::DeviceCookie { account }, &kept, issued))
    .then(|| format!("device:{account}:{}", &mac[..mac.len().min(16)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_after_the_free_failures_up_to_its_cap() {
        assert_eq!(delay(0, 5, 300), 0);
        assert_eq!(delay(4, 5, 300), 0);
        assert_eq!(delay(5, 5, 300), 1);
        assert_eq!(delay(6, 5, 300), 2);
        assert_eq!(delay(13, 5, 300), 256);
        assert_eq!(delay(14, 5, 300), 300);
        assert_eq!(delay(i64::MAX, 5, 300), 300, "no overflow");
        assert_eq!(delay(5, 0, 0), 0, "a zero cap: never slowed");
    }
}

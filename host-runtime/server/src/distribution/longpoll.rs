//! The long-poll of the bundle routes (`docs/protocols.md` P1): RFC 7240
//! `Prefer: wait=N` with an `If-None-Match` that matches the current ETag
//! holds the request until the scope changes (200 with the new bundle) or
//! `min(N, --max-wait-seconds)` passes (304), and says so with
//! `Preference-Applied: wait=<applied>`.
//!
//! A 304 *without* `Preference-Applied` means the request was not held (no
//! or a zero wait asked, long-poll off, or the waiter limit reached): the
//! client then polls again after its normal interval, not at once.

use std::future::Future;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::notify::watch::Waiter;
use crate::state::AppState;

/// RFC 7240's request header.
pub const PREFER: HeaderName = HeaderName::from_static("prefer");
/// RFC 7240's response header.
pub const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");

/// What clients are told to ask for (`long_poll_seconds` in `config.json`):
/// below the default maximum, and below the 60 s idle timeout of common
/// proxies and load balancers.
pub const CLIENT_WAIT_SECS: u64 = 25;

/// The `wait` preference of the request's `Prefer` headers, in seconds:
/// the first `wait` (RFC 7240 §2: a repeated preference counts once), its
/// value 1*DIGIT, optionally quoted. Anything else (`wait=-1`, `wait=soon`)
/// is no preference: the server ignores what it does not understand.
pub fn requested_wait(headers: &HeaderMap) -> Option<u64> {
    let first = headers
        .get_all(PREFER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|pref| {
            // Parameters of a preference (`; x=y`) do not concern `wait`.
            let token = pref.split(';').next().unwrap_or("");
            let (name, value) = token.split_once('=').unwrap_or((token, ""));
            name.trim()
                .eq_ignore_ascii_case("wait")
                .then(|| value.trim())
        })
        .next()?;
    let digits = first
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(first);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // More digits than a u64 holds is a very long wait: capped below anyway.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// What a bundle route answers right now.
#[derive(Debug)]
pub enum Now {
    /// `If-None-Match` matched: 304 with this ETag.
    NotModified(String),
    /// Anything else (the bundle, or an error already turned into one).
    Answer(Response),
}

/// Answers a bundle request, holding it while `current` says 304 and the
/// client asked to wait: each wake of `scope` asks `current` again (a wake
/// may be for a change this request already saw, or a reconnect's).
///
/// # Errors
///
/// Whatever `current` returns.
pub async fn answer<F>(
    st: &AppState,
    headers: &HeaderMap,
    scope: &str,
    mut current: impl FnMut() -> F,
) -> Result<Response, ApiError>
where
    F: Future<Output = Result<Now, ApiError>>,
{
    let wait = requested_wait(headers)
        .map(|n| n.min(st.limits.max_wait_secs))
        .filter(|n| *n > 0);
    // Subscribed before the first read, so a change committed between the
    // read and the wait still wakes this request.
    let mut waiter: Option<Waiter> = match wait {
        Some(_) if headers.contains_key(header::IF_NONE_MATCH) => {
            st.store.watch.subscribe(scope, st.limits.max_waiters)
        }
        _ => None,
    };
    let applied = match (&waiter, wait) {
        (Some(_), Some(n)) => Some(n),
        _ => None,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(applied.unwrap_or(0));
    loop {
        let now = current().await?;
        let held = match (&mut waiter, now) {
            (_, Now::Answer(res)) => return Ok(with_applied(res, applied)),
            (None, Now::NotModified(tag)) => return Ok(not_modified(tag, None)),
            (Some(w), Now::NotModified(tag)) => (w, tag),
        };
        let (w, tag) = held;
        tracing::debug!(scope, "long-poll waiting");
        if tokio::time::timeout_at(deadline, w.changed())
            .await
            .is_err()
        {
            return Ok(not_modified(tag, applied));
        }
    }
}

fn not_modified(tag: String, applied: Option<u64>) -> Response {
    let res = (axum::http::StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    with_applied(res, applied)
}

fn with_applied(mut res: Response, applied: Option<u64>) -> Response {
    if let Some(n) = applied {
        if let Ok(v) = HeaderValue::from_str(&format!("wait={n}")) {
            res.headers_mut().insert(PREFERENCE_APPLIED, v);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_of(values: &[&str]) -> Option<u64> {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(PREFER, HeaderValue::from_str(v).unwrap());
        }
        requested_wait(&h)
    }

    #[test]
    fn prefer_wait_is_read_as_rfc_7240_says_and_nothing_else_is() {
        assert_eq!(wait_of(&["wait=25"]), Some(25));
        assert_eq!(wait_of(&["WAIT = 25"]), Some(25));
        assert_eq!(wait_of(&["respond-async, wait=10"]), Some(10));
        assert_eq!(wait_of(&["return=minimal", "wait=\"7\""]), Some(7));
        assert_eq!(wait_of(&["wait=3;foo=bar"]), Some(3));
        assert_eq!(wait_of(&["wait=5, wait=9"]), Some(5), "the first counts");
        assert_eq!(wait_of(&["wait=99999999999999999999999"]), Some(u64::MAX));
        for bad in [
            "wait=-1",
            "wait=soon",
            "wait=",
            "wait",
            "wait=1.5",
            "waiting=4",
        ] {
            assert_eq!(wait_of(&[bad]), None, "{bad}");
        }
        assert_eq!(wait_of(&[]), None);
    }
}

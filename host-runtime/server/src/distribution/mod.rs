//! Bundle distribution: the public `GET …/bundle` endpoints, their ETags
//! and `If-None-Match`, bundle lifetime, and the cache of signed bundles.
//!
//! A bundle is valid from `issued_at` (the time of the version's change) for
//! the configured lifetime. Once a version is half its lifetime old, the next
//! fetch re-issues it: a new version with nothing else changed (so the guard's
//! anti-rollback accepts it: the same version with other bytes would be
//! `stale_version`), recorded in the audit log as `reissue_bundle` by
//! `server`. So the cache, keyed by `(version, updated_at)`, accounts for time
//! too: a stale stamp never reaches it.
//!
//! Bundles are public: they are integrity-protected (signed), and the SDK on
//! users' devices fetches them without console credentials.

pub mod cache;
pub mod keyring;
pub mod keysets;
pub mod longpoll;
pub mod sealing;
pub mod secrets;
pub mod signer;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::Row;

use crate::change::{Change, Record};
use crate::distribution::cache::Stamp;
use crate::distribution::longpoll::Now;
use crate::distribution::signer::Signer;
use crate::error::ApiError;
use crate::policy;
use crate::state::AppState;

/// Whether `If-None-Match` names `etag` (or `*`, or its weak form).
pub(crate) fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag))
        })
}

/// A bundle route's answer: at once, or held while the client's ETag is
/// current and it asked to wait (`longpoll`). Every change of a superapp is
/// a new version of its scope, so an app's bundle waits on its superapp.
async fn bundle_response(
    st: &AppState,
    headers: &HeaderMap,
    sid: &str,
    app: Option<&str>,
) -> Result<Response, ApiError> {
    longpoll::answer(st, headers, sid, move || current(st, headers, sid, app)).await
}

async fn current(
    st: &AppState,
    headers: &HeaderMap,
    sid: &str,
    app: Option<&str>,
) -> Result<Now, ApiError> {
    let tag = |version: i64| match app {
        Some(a) => format!("\"{sid}.{a}.{version}\""),
        None => format!("\"{sid}.{version}\""),
    };
    // Cheap path first: one indexed read answers a fresh client's poll, and
    // tells whether the cached bundle is still this version's.
    let ticket = st.bundles.ticket();
    keyring::advance(st, sid).await?;
    let stamp = fresh_stamp(st, sid).await?;
    if etag_matches(headers, &tag(stamp.0)) {
        return Ok(Now::NotModified(tag(stamp.0)));
    }
    let scope = match app {
        Some(a) => format!("{sid}\n{a}"),
        None => sid.to_owned(),
    };
    let (built, signed) = st
        .bundles
        .get_or_build(&scope, stamp, ticket, || async {
            let mut conn = st.store.pool.acquire().await?;
            let mut policy = policy::build(&mut conn, sid, app).await?;
            policy.expires_at = Some(
                policy
                    .issued_at
                    .saturating_add(u64::try_from(st.bundle_lifetime).unwrap_or(0)),
            );
            let signed = Bytes::from(
                Signer::of(&mut conn, sid, st.kek.as_deref())
                    .await?
                    .sign(&policy)?,
            );
            // Keyed by what was built, which may be newer than `stamp`.
            let built = (
                i64::try_from(policy.version).unwrap_or(0),
                i64::try_from(policy.issued_at).unwrap_or(0),
            );
            Ok::<_, ApiError>((built, signed))
        })
        .await?;
    let version = built.0;
    Ok(Now::Answer(
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/jose".to_owned()),
                (header::ETAG, tag(version)),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            signed,
        )
            .into_response(),
    ))
}

async fn stamp(st: &AppState, sid: &str) -> Result<Stamp, ApiError> {
    let row = sqlx::query("SELECT version, updated_at FROM versions WHERE scope = $1")
        .bind(sid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok((row.try_get("version")?, row.try_get("updated_at")?))
}

/// The scope's `(version, updated_at)`, re-issued first when its bundle is
/// past half its lifetime, so what is served always has at least half of it
/// left.
async fn fresh_stamp(st: &AppState, sid: &str) -> Result<Stamp, ApiError> {
    let now = st.clock.now();
    let current = stamp(st, sid).await?;
    let (version, issued_at) = current;
    if now < issued_at.saturating_add(st.bundle_lifetime / 2) {
        return Ok(current);
    }
    let Some(change) = Change::begin_if(&st.store, sid, version, now).await? else {
        // Another server (or a change) came first: its version is fresh.
        return stamp(st, sid).await;
    };
    let expiry = |at: i64| json!({ "expires_at": at.saturating_add(st.bundle_lifetime) });
    let record = Record::new(
        "reissue_bundle",
        format!("superapp:{sid}"),
        Some(expiry(issued_at)),
        Some(expiry(now)),
    );
    let version = change.commit("server", &record).await?;
    Ok((version, now))
}

/// `GET /api/v1/superapps/{sid}/bundle`: every app of the superapp.
pub(crate) async fn superapp_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Result<Response, ApiError> {
    bundle_response(&st, &headers, &sid, None).await
}

/// `GET /api/v1/apps/{app}/bundle`: one app.
pub(crate) async fn app_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Result<Response, ApiError> {
    let sid = superapp_of(&st, &app).await?;
    bundle_response(&st, &headers, &sid, Some(&app)).await
}

/// The superapp app `app` belongs to (its bundle is built from that
/// superapp's scope; bundles are public, so nothing else about the app is
/// asked here).
async fn superapp_of(st: &AppState, app: &str) -> Result<String, ApiError> {
    let row = sqlx::query("SELECT superapp_id FROM apps WHERE id = $1")
        .bind(app)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    Ok(row.try_get("superapp_id")?)
}

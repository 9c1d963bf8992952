//! Bundle distribution: the public `GET …/bundle` endpoints, their ETags
//! and `If-None-Match`, and the cache of signed bundles.
//!
//! Bundles are public: they are integrity-protected (signed), and the SDK on
//! users' devices fetches them without console credentials.

pub mod cache;
pub mod signer;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use sqlx::Row;

use crate::distribution::signer::Signer;
use crate::http::error::ApiError;
use crate::policy;
use crate::resources::apps::app_row;
use crate::resources::Res;
use crate::state::AppState;

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag))
        })
}

async fn bundle_response(st: &AppState, headers: &HeaderMap, sid: &str, app: Option<&str>) -> Res {
    let tag = |version: i64| match app {
        Some(a) => format!("\"{sid}.{a}.{version}\""),
        None => format!("\"{sid}.{version}\""),
    };
    // Cheap path first: one indexed read answers a fresh client's poll, and
    // tells whether the cached bundle is still this version's.
    let row = sqlx::query("SELECT version, updated_at FROM versions WHERE scope = $1")
        .bind(sid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    let stamp: (i64, i64) = (row.try_get("version")?, row.try_get("updated_at")?);
    if etag_matches(headers, &tag(stamp.0)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag(stamp.0))]).into_response());
    }
    let scope = match app {
        Some(a) => format!("{sid}\n{a}"),
        None => sid.to_owned(),
    };
    let (version, signed) = match st.bundles.get(&scope, stamp) {
        Some(signed) => (stamp.0, signed),
        None => {
            let mut conn = st.store.pool.acquire().await?;
            let policy = policy::build(&mut conn, sid, app).await?;
            let signed = Bytes::from(Signer::of(&mut conn, sid).await?.sign(&policy)?);
            // Keyed by what was built, which may be newer than `stamp`.
            let built = (
                i64::try_from(policy.version).unwrap_or(0),
                i64::try_from(policy.issued_at).unwrap_or(0),
            );
            st.bundles.put(&scope, built, signed.clone());
            (built.0, signed)
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jose".to_owned()),
            (header::ETAG, tag(version)),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        signed,
    )
        .into_response())
}

/// `GET /api/v1/superapps/{sid}/bundle`: every app of the superapp.
pub(crate) async fn superapp_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Res {
    bundle_response(&st, &headers, &sid, None).await
}

/// `GET /api/v1/apps/{app}/bundle`: one app.
pub(crate) async fn app_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    bundle_response(&st, &headers, &a.superapp_id, Some(&app)).await
}

//! Versions of a mini program: a developer uploads a code package (raw
//! `application/zip` body, `?app_version=…&description=…`) for one of the
//! team's apps; it is checked, stored by SHA-256 and listed.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::http::error::ApiError;
use crate::resources::apps::app_row;
use crate::resources::packages::{self, check_zip};
use crate::resources::{reply, with_version, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_text, hex, random_hex};

/// Checks a version string with guard-core's rule for `apps[].release.version`
/// (§1): 1 to 64 characters, no whitespace or control characters.
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `app_version`.
pub fn check_version(v: &str) -> Result<(), ApiError> {
    let n = v.chars().count();
    if !(1..=guard_core::limits::MAX_VERSION_CHARS).contains(&n) {
        return Err(ApiError::bad(
            "app_version",
            format!(
                "must be 1 to {} characters, not {n}",
                guard_core::limits::MAX_VERSION_CHARS
            ),
        ));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::bad(
            "app_version",
            format!(
                "`{}` contains whitespace or control characters",
                v.escape_debug()
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct Upload {
    app_version: String,
    #[serde(default)]
    description: String,
}

macro_rules! version_cols {
    () => {
        "id, app_id, version, description, package_sha256, size, uploaded_by, created_at"
    };
}

fn version_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(json!({
        "id": r.try_get::<String, _>("id")?,
        "app_id": r.try_get::<String, _>("app_id")?,
        "app_version": r.try_get::<String, _>("version")?,
        "description": r.try_get::<String, _>("description")?,
        "package_sha256": r.try_get::<String, _>("package_sha256")?,
        "size": r.try_get::<i64, _>("size")?,
        "uploaded_by": r.try_get::<String, _>("uploaded_by")?,
        "created_at": r.try_get::<i64, _>("created_at")?,
    }))
}

/// `POST /api/v1/apps/{app}/versions?app_version=…&description=…` with the zip
/// as body (`Content-Type: application/zip`).
pub(crate) async fn upload(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Upload>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Res {
    caller.require(Action::UploadVersion)?;
    let a = app_row(&st, &app).await?;
    caller.require_team(&a.team_id)?;
    let Query(q) = query.map_err(|e| ApiError::bad("app_version", e.body_text()))?;
    check_version(&q.app_version)?;
    check_text("description", &q.description, MAX_TEXT)?;
    let zip_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/zip"))
        });
    if !zip_type {
        return Err(ApiError::bad("content-type", "must be `application/zip`"));
    }
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::bad("body", e.body_text())
        }
    })?;
    if bytes.len() > st.limits.max_package_bytes {
        return Err(ApiError::TooLarge);
    }
    let entries =
        check_zip(&bytes).map_err(|e| ApiError::bad("body", format!("the package {e}")))?;
    let sha = hex(&Sha256::digest(&bytes));
    let id = format!("ver_{}", random_hex(8)?);
    packages::put(&st, &sha, &bytes).await?;
    let (after, version) = apply(&st, &caller, Action::UploadVersion, &a.superapp_id, async |c| {
        if sqlx::query("SELECT id FROM app_versions WHERE app_id = $1 AND version = $2")
            .bind(&app)
            .bind(&q.app_version)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!("app `{app}` already has version `{}`", q.app_version)));
        }
        packages::record(&st, c, &sha, &bytes).await?;
        sqlx::query(
            "INSERT INTO app_versions (id, app_id, version, description, package_sha256, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&app)
        .bind(&q.app_version)
        .bind(&q.description)
        .bind(&sha)
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let row = sqlx::query(concat!("SELECT ", version_cols!(), " FROM app_versions WHERE id = $1"))
            .bind(&id)
            .fetch_one(&mut *c.tx)
            .await?;
        let mut after = version_json(&row)?;
        after["entries"] = json!(entries);
        let record = Record::new("upload_version", format!("version:{id}"), None, Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::CREATED, with_version(after, version))
}

/// `GET /api/v1/apps/{app}/versions`: the app's versions, newest first.
pub(crate) async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        version_cols!(),
        " FROM app_versions WHERE app_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(&app)
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(version_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "versions": out }))
}

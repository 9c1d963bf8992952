//! Versions of a mini program: a developer uploads a code package (raw
//! `application/zip` body, `?app_version=…&description=…`) for one of the
//! team's apps; it is checked, stored by SHA-256 and listed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::error::ApiError;
use crate::resources::apps::{app_row, require_view_app, AppRow};
use crate::resources::packages::{self, check_zip};
use crate::resources::quotas;
use crate::resources::{to_json, Versioned, MAX_TEXT};
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

/// What a version upload says besides its package.
#[derive(Debug, Clone, Deserialize)]
pub struct Upload {
    /// The version (`1.4.2`).
    pub app_version: String,
    /// What changed.
    #[serde(default)]
    pub description: String,
}

impl Upload {
    /// Checks the version and description.
    ///
    /// # Errors
    ///
    /// 400 naming `app_version` or `description`.
    pub fn check(&self) -> Result<(), ApiError> {
        check_version(&self.app_version)?;
        check_text("description", &self.description, MAX_TEXT)
    }
}

macro_rules! version_cols {
    () => {
        "id, app_id, version, description, package_sha256, size, uploaded_by, created_at"
    };
}

/// A version (an uploaded code package).
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// `ver_…`.
    pub id: String,
    /// The app.
    pub app_id: String,
    /// The version.
    pub app_version: String,
    /// What changed.
    pub description: String,
    /// SHA-256 of the package, hex.
    pub package_sha256: String,
    /// Its size in bytes.
    pub size: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub created_at: i64,
}

fn version_of(r: &sqlx::any::AnyRow) -> Result<Version, ApiError> {
    Ok(Version {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        app_version: r.try_get("version")?,
        description: r.try_get("description")?,
        package_sha256: r.try_get("package_sha256")?,
        size: r.try_get("size")?,
        uploaded_by: r.try_get("uploaded_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// An uploaded version and its number of entries.
#[derive(Debug, Clone, Serialize)]
pub struct Uploaded {
    /// The version.
    #[serde(flatten)]
    pub version: Version,
    /// How many entries the zip has.
    pub entries: usize,
}

/// May `caller` upload a version of `app`? (A developer of its team, once
/// the superapp approved the app's binding: decision 422.)
///
/// # Errors
///
/// 403; 404 unknown app; 409 binding not approved.
pub(crate) async fn may_upload(
    st: &AppState,
    caller: &Caller,
    app: &str,
) -> Result<AppRow, ApiError> {
    caller.require(Action::UploadVersion)?;
    let a = app_row(st, app).await?;
    caller.require_team(&a.team_id)?;
    if !a.bound {
        return Err(ApiError::Conflict(format!(
            "app `{app}` is not bound to superapp `{}`: versions can be uploaded once the superapp approves its binding",
            a.superapp_id
        )));
    }
    Ok(a)
}

/// Uploads `package` as version `meta` of `app`: checked (a zip whose
/// every entry reads back, within the bounds), stored once by SHA-256.
///
/// # Errors
///
/// 403; 404; 400 naming `app_version`, `description` or `body` (the
/// package's entry when one is refused); 413 too large or over a byte
/// quota; 429 over a count or hourly quota; 409 unbound app or version
/// taken.
pub async fn upload(
    st: &AppState,
    caller: &Caller,
    app: &str,
    meta: &Upload,
    package: &axum::body::Bytes,
) -> Result<Versioned<Uploaded>, ApiError> {
    let a = may_upload(st, caller, app).await?;
    meta.check()?;
    if package.len() > st.limits.max_package_bytes {
        return Err(ApiError::TooLarge);
    }
    let entries = check_zip(package)
        .map_err(|e| ApiError::bad("body", format!("the package {e}")))?
        .len();
    let size = u64::try_from(package.len()).unwrap_or(u64::MAX);
    let sha = hex(&Sha256::digest(package));
    let id = format!("ver_{}", random_hex(8)?);
    // Checked before the bytes are written, so that a refused upload stores
    // nothing; again in the change (the quota under the team's lock).
    let quota = &st.limits.upload_quota;
    let mut db = st.store.pool.acquire().await?;
    refuse_taken(&mut db, app, &meta.app_version).await?;
    quotas::check(&mut db, quota, (app, &a.team_id), size, st.clock.now()).await?;
    drop(db);
    packages::put(st, &sha, package).await?;
    let (item, version) = apply(st, caller, Action::UploadVersion, &a.superapp_id, async |c| {
        refuse_taken(&mut c.tx, app, &meta.app_version).await?;
        quotas::lock_team(&mut c.tx, &a.team_id).await?;
        quotas::check(&mut c.tx, quota, (app, &a.team_id), size, c.at).await?;
        packages::record(st, c, &sha, package).await?;
        sqlx::query(
            "INSERT INTO app_versions (id, app_id, version, description, package_sha256, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(app)
        .bind(&meta.app_version)
        .bind(&meta.description)
        .bind(&sha)
        .bind(i64::try_from(package.len()).unwrap_or(i64::MAX))
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let row = sqlx::query(concat!("SELECT ", version_cols!(), " FROM app_versions WHERE id = $1"))
            .bind(&id)
            .fetch_one(&mut *c.tx)
            .await?;
        let after = Uploaded { version: version_of(&row)?, entries };
        let record = Record::new("upload_version", format!("version:{id}"), None, Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// Refuses version `version` of `app` when it is taken. Asked before the
/// package's bytes are written as well as inside the change: a developer
/// re-sending a taken version in a loop must not leave a file per attempt
/// that no quota counts (on SQLite the bytes are a file written before the
/// change).
///
/// # Errors
///
/// 409 naming the app and the version; a store failure.
async fn refuse_taken(
    db: &mut sqlx::AnyConnection,
    app: &str,
    version: &str,
) -> Result<(), ApiError> {
    let taken = sqlx::query("SELECT id FROM app_versions WHERE app_id = $1 AND version = $2")
        .bind(app)
        .bind(version)
        .fetch_optional(&mut *db)
        .await?
        .is_some();
    if taken {
        return Err(ApiError::Conflict(format!(
            "app `{app}` already has version `{version}`"
        )));
    }
    Ok(())
}

/// The versions of `app`, newest first.
///
/// # Errors
///
/// 404; 403 unless the caller may read the app.
pub async fn list(st: &AppState, caller: &Caller, app: &str) -> Result<Vec<Version>, ApiError> {
    let a = app_row(st, app).await?;
    require_view_app(caller, &a)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        version_cols!(),
        " FROM app_versions WHERE app_id = $1 ORDER BY created_at DESC, id"
    ))
    .bind(app)
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(version_of).collect()
}

/// Whether a `Content-Type` value names a zip.
pub fn is_zip_type(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/zip"))
    })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::body::Bytes;
    use axum::extract::rejection::{BytesRejection, QueryRejection};
    use axum::extract::{Path, Query, State};
    use axum::http::{header, HeaderMap, StatusCode};
    use serde_json::json;

    use crate::auth::Caller;
    use crate::error::ApiError;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/apps/{app}/versions?app_version=…&description=…` with
    /// the zip as body (`Content-Type: application/zip`). The checks run in
    /// this order: who, the query, the type, the body.
    pub(crate) async fn upload(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
        headers: HeaderMap,
        query: Result<Query<super::Upload>, QueryRejection>,
        body: Result<Bytes, BytesRejection>,
    ) -> Res {
        super::may_upload(&st, &caller, &app).await?;
        let Query(q) = query.map_err(|e| ApiError::bad("app_version", e.body_text()))?;
        q.check()?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !super::is_zip_type(content_type) {
            return Err(ApiError::bad("content-type", "must be `application/zip`"));
        }
        let bytes = body.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::bad("body", e.body_text())
            }
        })?;
        reply_of(
            StatusCode::CREATED,
            &super::upload(&st, &caller, &app, &q, &bytes).await?,
        )
    }

    /// `GET /api/v1/apps/{app}/versions`: newest first.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
    ) -> Res {
        let out = super::list(&st, &caller, &app).await?;
        reply(StatusCode::OK, json!({ "versions": out }))
    }
}

//! A submitted package as its reviewers open it (decision 424): the
//! superapp's administrators and review staff download the zip of a
//! release request (pending or decided) and read its file list (names and
//! sizes), so that they approve what they have seen, not a digest.
//! Nobody else does: not the platform's people, not the senior developer,
//! not another superapp's reviewers, not the developer (who has the zip).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use crate::auth::{Action, Caller};
use crate::error::ApiError;
use crate::resources::packages;
use crate::resources::releases::{self, Release};
use crate::resources::{reply, Res};
use crate::state::AppState;

/// Release `rid` when `caller` may open its package.
async fn release(st: &AppState, caller: &Caller, rid: &str) -> Result<Release, ApiError> {
    caller.require(Action::DownloadPackage)?;
    let r = releases::get(st, caller, rid).await?;
    caller.require_superapp(Action::DownloadPackage, &r.life.superapp_id)?;
    Ok(r)
}

/// The zip of release `rid` and the release.
///
/// # Errors
///
/// 403 (role, superapp); 404 unknown release; 500 when the stored bytes
/// are missing or damaged.
pub async fn package(
    st: &AppState,
    caller: &Caller,
    rid: &str,
) -> Result<(Release, Vec<u8>), ApiError> {
    let r = release(st, caller, rid).await?;
    let bytes = packages::read(st, &r.package_sha256).await?;
    Ok((r, bytes))
}

/// One file of a package.
#[derive(Debug, Clone, Serialize)]
pub struct File {
    /// Its path in the package (a directory ends in `/`).
    pub name: String,
    /// Its size unpacked, in bytes.
    pub size: u64,
}

/// What a reviewer reads of a package.
#[derive(Debug, Clone, Serialize)]
pub struct Files {
    /// The release request.
    pub release_id: String,
    /// Its package's SHA-256.
    pub package_sha256: String,
    /// The zip's size in bytes.
    pub size: u64,
    /// Its entries, in the archive's order.
    pub files: Vec<File>,
}

/// The file list of release `rid`'s package.
///
/// # Errors
///
/// As [`package`]; 409 when the package (uploaded before the current
/// checks) fails them.
pub async fn files(st: &AppState, caller: &Caller, rid: &str) -> Result<Files, ApiError> {
    let (r, bytes) = package(st, caller, rid).await?;
    let listed = packages::files(&bytes).map_err(|e| {
        ApiError::Conflict(format!(
            "the package of release `{rid}` fails the package checks: it {e}"
        ))
    })?;
    Ok(Files {
        release_id: r.life.id,
        package_sha256: r.package_sha256,
        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
        files: listed
            .into_iter()
            .map(|e| File {
                name: e.name,
                size: e.size,
            })
            .collect(),
    })
}

/// `app-1.0.0.zip` for a download: the app id and version, any character
/// but `[A-Za-z0-9._-]` replaced by `_` (a version may hold quotes).
pub fn file_name(r: &Release) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("{}-{}.zip", safe(&r.life.app_id), safe(&r.app_version))
}

/// The response carrying release `r`'s package: an attachment, never shown
/// inline, not cached.
pub fn attachment(r: &Release, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file_name(r)),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (
                crate::http::cors::X_PACKAGE_SHA256,
                r.package_sha256.clone(),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The JSON handlers.
pub(crate) mod json {
    use super::*;

    /// `GET /api/v1/releases/{rid}/package`: the zip.
    pub(crate) async fn package(
        State(st): State<AppState>,
        caller: Caller,
        Path(rid): Path<String>,
    ) -> Res {
        let (r, bytes) = super::package(&st, &caller, &rid).await?;
        Ok(attachment(&r, bytes))
    }

    /// `GET /api/v1/releases/{rid}/files`: its names and sizes.
    pub(crate) async fn files(
        State(st): State<AppState>,
        caller: Caller,
        Path(rid): Path<String>,
    ) -> Res {
        let out = super::files(&st, &caller, &rid).await?;
        reply(StatusCode::OK, json!(out))
    }
}

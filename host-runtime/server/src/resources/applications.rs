//! Applications (superapps) as application management sees them (seed 001):
//! the owner team, a description, the Android package name and the iOS
//! bundle ID; the details page (with the sensitive APIs) and the
//! configuration file the superapp's SDK boots the guard with.

use guard_core::SensitiveApi;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{Action, Caller};
use crate::change::Change;
use crate::distribution::keysets;
use crate::distribution::longpoll::CLIENT_WAIT_SECS;
use crate::error::ApiError;
use crate::policy;
use crate::resources::superapps::{self, require_view, Superapp};
use crate::resources::MAX_TEXT;
use crate::state::AppState;
use crate::util::check_text;

/// Longest Android package name / iOS bundle ID accepted.
pub const MAX_PLATFORM_ID: usize = 155;

/// The application-management fields of a superapp, as offered by a request
/// (every field optional: absent leaves the stored value alone).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Profile {
    #[serde(default)]
    pub(crate) team_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) android_package: Option<String>,
    #[serde(default)]
    pub(crate) ios_bundle_id: Option<String>,
}

/// Android `applicationId`: at least two segments of `[a-zA-Z][a-zA-Z0-9_]*`
/// separated by dots (decision 60).
pub fn is_android_package(s: &str) -> bool {
    s.len() <= MAX_PLATFORM_ID
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            let mut chars = seg.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// iOS `CFBundleIdentifier`: `[A-Za-z0-9.-]+` in reverse-DNS form, that is
/// at least two non-empty dot-separated segments of `[A-Za-z0-9-]`
/// (decision 60).
pub fn is_ios_bundle_id(s: &str) -> bool {
    s.len() <= MAX_PLATFORM_ID
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl Profile {
    /// Checks every offered field.
    ///
    /// # Errors
    ///
    /// [`ApiError::BadRequest`] naming the field.
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        if let Some(d) = &self.description {
            check_text("description", d, MAX_TEXT)?;
        }
        if let Some(p) = &self.android_package {
            if !is_android_package(p) {
                return Err(ApiError::bad(
                    "android_package",
                    format!("`{p}` is not an android application id (two or more dot-separated segments of a letter then letters, digits or `_`)"),
                ));
            }
        }
        if let Some(b) = &self.ios_bundle_id {
            if !is_ios_bundle_id(b) {
                return Err(ApiError::bad(
                    "ios_bundle_id",
                    format!("`{b}` is not an ios bundle id (reverse-dns: two or more dot-separated segments of letters, digits or `-`)"),
                ));
            }
        }
        Ok(())
    }

    /// Writes the offered fields of superapp `sid` inside change `c`; an
    /// owner team must exist.
    ///
    /// # Errors
    ///
    /// [`ApiError::NotFound`] for an unknown team; [`ApiError::Internal`].
    pub(crate) async fn write(&self, c: &mut Change, sid: &str) -> Result<(), ApiError> {
        if let Some(team) = &self.team_id {
            if sqlx::query("SELECT id FROM teams WHERE id = $1")
                .bind(team)
                .fetch_optional(&mut *c.tx)
                .await?
                .is_none()
            {
                return Err(ApiError::NotFound(format!("team `{team}` not found")));
            }
        }
        sqlx::query(
            "UPDATE superapps SET team_id = COALESCE($2, team_id), description = COALESCE($3, description), \
             android_package = COALESCE($4, android_package), ios_bundle_id = COALESCE($5, ios_bundle_id) WHERE id = $1",
        )
        .bind(sid)
        .bind(self.team_id.as_deref())
        .bind(self.description.as_deref())
        .bind(self.android_package.as_deref())
        .bind(self.ios_bundle_id.as_deref())
        .execute(&mut *c.tx)
        .await?;
        Ok(())
    }

    /// The fields as `app` will show them after the change.
    pub(crate) fn apply_to(&self, app: &mut Superapp) {
        if let Some(t) = &self.team_id {
            app.team_id = Some(t.clone());
        }
        if let Some(d) = &self.description {
            app.description = d.clone();
        }
        if let Some(p) = &self.android_package {
            app.android_package = Some(p.clone());
        }
        if let Some(b) = &self.ios_bundle_id {
            app.ios_bundle_id = Some(b.clone());
        }
    }
}

/// A superapp's details page: the superapp, its sensitive API list and
/// where its configuration file is.
#[derive(Debug, Clone, Serialize)]
pub struct Details {
    /// The superapp.
    #[serde(flatten)]
    pub superapp: Superapp,
    /// Its sensitive API list.
    pub sensitive_apis: Vec<SensitiveApi>,
    /// Where its configuration file is.
    pub config_url: String,
}

/// The details of superapp `sid`.
///
/// # Errors
///
/// 403 unless the caller may read it; 404.
pub async fn details(st: &AppState, caller: &Caller, sid: &str) -> Result<Details, ApiError> {
    require_view(st, caller, sid).await?;
    let superapp = superapps::read(st, sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    Ok(Details {
        superapp,
        sensitive_apis: policy::build(&mut conn, sid, None).await?.sensitive_apis,
        config_url: format!("/api/v1/superapps/{sid}/config.json"),
    })
}

/// The configuration file of superapp `sid`: everything the superapp's SDK
/// needs to boot the guard and fetch bundles, and never a key that signs or
/// authenticates (no SecretKey, no bundle key, no private key): the root
/// public keys it pins (`roots`, contract v3) and where the key set they
/// sign is (`keyset_url`); `keys_url` stays for v2 SDKs.
///
/// # Errors
///
/// 403 unless the caller may download it; 404.
pub async fn config(st: &AppState, caller: &Caller, sid: &str) -> Result<Value, ApiError> {
    caller.require_superapp(Action::DownloadConfig, sid)?;
    let app = superapps::read(st, sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    let roots = keysets::pinned(&mut conn, sid).await?;
    let base = st.public_url.trim_end_matches('/');
    Ok(json!({
        "format": "guard-superapp-config/1",
        "superapp_id": sid,
        "name": app.name,
        "server_url": base,
        "bundle_url": format!("{base}/api/v1/superapps/{sid}/bundle"),
        "app_bundle_url_template": format!("{base}/api/v1/apps/{{app_id}}/bundle"),
        "package_url_template": format!("{base}/api/v1/apps/{{app_id}}/package"),
        "keys_url": format!("{base}/api/v1/superapps/{sid}/keys.json"),
        // Contract v3: devices pin `roots` and take signing keys only from
        // the key set they sign (never from `keys_url`).
        "keyset_url": format!("{base}/api/v1/superapps/{sid}/keyset"),
        "roots": roots,
        "reports_url": format!("{base}/api/v1/superapps/{sid}/reports"),
        // What clients put in `Prefer: wait=` (never more than is held).
        "long_poll_seconds": CLIENT_WAIT_SECS.min(st.limits.max_wait_secs),
        "open_url_template": crate::resources::qr::OPEN_URL_TEMPLATE,
        "android_package": app.android_package,
        "ios_bundle_id": app.ios_bundle_id,
    }))
}

/// The file name a configuration file is downloaded as.
pub fn config_file_name(sid: &str) -> String {
    format!("{sid}-config.json")
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    use axum::Json;

    use crate::auth::Caller;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;

    /// `GET /api/v1/superapps/{sid}/details`.
    pub(crate) async fn details(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::details(&st, &caller, &sid).await?)
    }

    /// `GET /api/v1/superapps/{sid}/config.json` (downloaded as
    /// `<sid>-config.json`).
    pub(crate) async fn config(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        let body = super::config(&st, &caller, &sid).await?;
        Ok((
            StatusCode::OK,
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", super::config_file_name(&sid)),
            )],
            Json(body),
        )
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_ids_follow_the_platforms_rules() {
        for ok in ["com.example.app", "a.b", "Com.Example_1.x9"] {
            assert!(is_android_package(ok), "{ok}");
        }
        for bad in [
            "com",
            "com.",
            ".com",
            "com.1app",
            "com.ex-ample",
            "com..a",
            "com._a",
            "é.a",
        ] {
            assert!(!is_android_package(bad), "{bad}");
        }
        for ok in ["com.example.app", "com.ex-ample.App1", "1com.x"] {
            assert!(is_ios_bundle_id(ok), "{ok}");
        }
        for bad in ["com", "com.", "com..x", "com.ex_ample", "com.a b", "com.é"] {
            assert!(!is_ios_bundle_id(bad), "{bad}");
        }
    }
}

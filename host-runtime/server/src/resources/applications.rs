//! Applications (superapps) as application management sees them (seed 001):
//! the details page (with the sensitive APIs) and the configuration file the
//! superapp's SDK boots the guard with. Their fields (owner team,
//! description, platform ids) are `resources::profile`.

use guard_core::SensitiveApi;
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth::{Action, Caller};
use crate::distribution::keysets;
use crate::distribution::longpoll::CLIENT_WAIT_SECS;
use crate::error::ApiError;
use crate::policy;
use crate::resources::superapps::{self, require_view, Superapp};
use crate::state::AppState;

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

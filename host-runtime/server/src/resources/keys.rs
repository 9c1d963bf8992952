//! A superapp's bundle key: shown to the superapp admin (who configures the
//! SDK on devices with it) and rotatable. It is not a credential: every
//! device holds it, so it authorises nothing but verifying bundles.

use serde::Serialize;
use serde_json::json;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::distribution::keyring;
use crate::distribution::sealing::Secret;
use crate::distribution::signer::{bundle_key, new_bundle_key, HS256};
use crate::error::ApiError;
use crate::resources::Versioned;
use crate::state::AppState;

/// A superapp's bundle key.
#[derive(Debug, Clone, Serialize)]
pub struct BundleKey {
    /// The superapp.
    pub superapp_id: String,
    /// `HS256`.
    pub alg: &'static str,
    /// The key (32 letters and digits).
    pub bundle_key: String,
}

/// The bundle key of `sid`.
///
/// # Errors
///
/// 403 unless the caller may configure `sid`.
pub async fn get(st: &AppState, caller: &Caller, sid: &str) -> Result<BundleKey, ApiError> {
    caller.require_superapp(Action::ConfigureSuperapp, sid)?;
    let mut conn = st.store.pool.acquire().await?;
    let key = bundle_key(&mut conn, keyring::kek(st)?, sid).await?;
    Ok(BundleKey {
        superapp_id: sid.to_owned(),
        alg: HS256,
        bundle_key: key,
    })
}

/// A new bundle key for `sid`: the next bundle is signed with it; devices
/// holding only the old one refuse it.
///
/// # Errors
///
/// 403 unless the caller may configure `sid`.
pub async fn rotate(
    st: &AppState,
    caller: &Caller,
    sid: &str,
) -> Result<Versioned<BundleKey>, ApiError> {
    let key = new_bundle_key()?;
    let sealed = keyring::kek(st)?.seal_secret(Secret::BundleKey { superapp: sid }, &key)?;
    let (alg, version) = apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
        let alg = HS256;
        sqlx::query("UPDATE superapps SET bundle_key = $2 WHERE id = $1")
            .bind(sid)
            .bind(&sealed)
            .execute(&mut *c.tx)
            .await?;
        // The audit record says that the key changed, never what it is.
        let record = Record::new(
            "rotate_bundle_key",
            format!("superapp:{sid}"),
            None,
            Some(json!({"alg": alg})),
        );
        Ok((alg, record))
    })
    .await?;
    Ok(Versioned {
        item: BundleKey {
            superapp_id: sid.to_owned(),
            alg,
            bundle_key: key,
        },
        version,
    })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;

    use crate::auth::Caller;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;

    /// `GET /api/v1/superapps/{sid}/bundle-key`.
    pub(crate) async fn get(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::get(&st, &caller, &sid).await?)
    }

    /// `POST /api/v1/superapps/{sid}/bundle-key/rotate`.
    pub(crate) async fn rotate(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::rotate(&st, &caller, &sid).await?)
    }
}

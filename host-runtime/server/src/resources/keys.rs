//! A superapp's bundle key: shown to the superapp admin (who configures the
//! SDK on devices with it) and rotatable. It is not a credential: every
//! device holds it, so it authorises nothing but verifying bundles.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::distribution::signer::{bundle_key, new_bundle_key, HS256};
use crate::resources::{reply, Res};
use crate::state::AppState;

/// `GET /api/v1/superapps/{sid}/bundle-key`.
pub(crate) async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    caller.require_superapp(Action::ConfigureSuperapp, &sid)?;
    let mut conn = st.store.pool.acquire().await?;
    let key = bundle_key(&mut conn, &sid).await?;
    reply(
        StatusCode::OK,
        json!({"superapp_id": sid, "alg": HS256, "bundle_key": key}),
    )
}

/// `POST /api/v1/superapps/{sid}/bundle-key/rotate`: the next bundle is
/// signed with a new key; devices holding only the old one refuse it.
pub(crate) async fn rotate(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    let key = new_bundle_key()?;
    let (alg, version) = apply(&st, &caller, Action::ConfigureSuperapp, &sid, async |c| {
        let alg = HS256;
        sqlx::query("UPDATE superapps SET bundle_key = $2 WHERE id = $1")
            .bind(&sid)
            .bind(&key)
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
    reply(
        StatusCode::OK,
        json!({"superapp_id": sid, "alg": alg, "bundle_key": key, "version": version}),
    )
}

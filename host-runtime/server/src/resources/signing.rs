//! A superapp's Ed25519 signing keys on the API: the public key set devices
//! verify EdDSA bundles with (`GET …/keys.json`, unauthenticated), and
//! rotation by the superapp admin (`…/signing-keys/rotate`, `…/promote`).
//! The keys themselves live in `distribution/keyring.rs`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::distribution::keyring::{self, NEXT};
use crate::http::error::ApiError;
use crate::resources::{reply, Res};
use crate::state::AppState;
use crate::util::sha256_hex;

/// `GET /api/v1/superapps/{sid}/keys.json`: `{"keys":[JWK…]}`, public parts
/// only; the ETag is a digest of the set.
pub(crate) async fn key_set(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Res {
    keyring::advance(&st, &sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    // 404 for an unknown superapp, not an empty set.
    crate::distribution::signer::bundle_alg(&mut conn, &sid).await?;
    let body = keyring::public_set(&mut conn, &sid).await?.to_string();
    let etag = format!("\"{}\"", &sha256_hex(&body)[..32]);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// `POST /api/v1/superapps/{sid}/signing-keys/rotate`: a `next` key,
/// published at once, signing nothing until promoted.
pub(crate) async fn rotate(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    let kek = keyring::kek(&st)?.clone();
    let (kid, version) = apply(&st, &caller, Action::ConfigureSuperapp, &sid, async |c| {
        let pending =
            sqlx::query("SELECT kid FROM signing_keys WHERE superapp_id = $1 AND status = $2")
                .bind(&sid)
                .bind(NEXT)
                .fetch_optional(&mut *c.tx)
                .await?;
        if pending.is_some() {
            return Err(ApiError::Conflict(format!(
                "superapp `{sid}` already has a next signing key: promote it first"
            )));
        }
        let kid = keyring::generate(&mut c.tx, &kek, &sid, NEXT, c.at).await?;
        let record = Record::new(
            "rotate_signing_key",
            format!("superapp:{sid}"),
            None,
            Some(json!({"next": kid})),
        );
        Ok((kid, record))
    })
    .await?;
    let promotes_at = st.clock.now().saturating_add(st.key_prepublish);
    reply(
        StatusCode::OK,
        json!({"superapp_id": sid, "kid": kid, "status": NEXT, "promotes_at": promotes_at, "version": version}),
    )
}

/// `POST /api/v1/superapps/{sid}/signing-keys/promote`: the next key signs
/// from now on; the active one is retired (published for the grace period).
pub(crate) async fn promote(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    let ((kid, retired), version) =
        apply(&st, &caller, Action::ConfigureSuperapp, &sid, async |c| {
            let (kid, retired) = keyring::promote(c, &sid).await?;
            let record = Record::new(
                "promote_signing_key",
                format!("superapp:{sid}"),
                Some(json!({"active": retired})),
                Some(json!({"active": kid})),
            );
            Ok(((kid, retired), record))
        })
        .await?;
    let dropped_at = st.clock.now().saturating_add(st.key_grace);
    reply(
        StatusCode::OK,
        json!({"superapp_id": sid, "kid": kid, "retired": retired, "retired_until": dropped_at, "version": version}),
    )
}

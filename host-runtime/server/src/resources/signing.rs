//! A superapp's Ed25519 signing keys on the API: the public key set devices
//! verify EdDSA bundles with (`GET …/keys.json`, unauthenticated), and
//! rotation by the superapp admin (`…/signing-keys/rotate`, `…/promote`).
//! The keys themselves live in `distribution/keyring.rs`.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::distribution::keyring::{self, NEXT};
use crate::distribution::keysets::Publish;
use crate::error::ApiError;
use crate::resources::superapps::require_view;
use crate::state::AppState;

/// A rotated (`next`) key.
#[derive(Debug, Clone, Serialize)]
pub struct RotatedKey {
    /// The superapp.
    pub superapp_id: String,
    /// The new key's id.
    pub kid: String,
    /// `next`.
    pub status: &'static str,
    /// Unix seconds: promoted automatically then, unless promoted before
    /// (and, for a superapp whose root is offline, once a key set that
    /// lists it was uploaded).
    pub promotes_at: i64,
    /// The version of the key set that publishes it (`None`: the superapp's
    /// root is offline, so it uploads one).
    pub keyset_version: Option<i64>,
    /// The superapp's new version.
    pub version: i64,
}

/// A promoted key.
#[derive(Debug, Clone, Serialize)]
pub struct PromotedKey {
    /// The superapp.
    pub superapp_id: String,
    /// The key that signs from now on.
    pub kid: String,
    /// The key it replaced.
    pub retired: Option<String>,
    /// Unix seconds: the retired key leaves the key set then.
    pub retired_until: i64,
    /// The superapp's new version.
    pub version: i64,
}

/// A signing key as the console lists it (public facts only).
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// The key id (the JWS header's `kid`).
    pub kid: String,
    /// `next`, `active` or `retired`.
    pub status: String,
    /// When it was generated.
    pub created_at: i64,
    /// When it was retired.
    pub retired_at: Option<i64>,
}

/// The signing keys of `sid`, oldest first (what `keys.json` publishes,
/// with their status).
///
/// # Errors
///
/// 403 unless the caller may read the superapp.
pub async fn list(st: &AppState, caller: &Caller, sid: &str) -> Result<Vec<KeyInfo>, ApiError> {
    require_view(st, caller, sid).await?;
    keyring::advance(st, sid).await?;
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT kid, status, created_at, retired_at FROM signing_keys WHERE superapp_id = $1 ORDER BY created_at, kid",
    )
    .bind(sid)
    .fetch_all(&st.store.pool)
    .await?
    {
        out.push(KeyInfo {
            kid: r.try_get("kid")?,
            status: r.try_get("status")?,
            created_at: r.try_get("created_at")?,
            retired_at: r.try_get("retired_at")?,
        });
    }
    Ok(out)
}

/// A `next` key for `sid`, published at once, signing nothing until promoted.
///
/// # Errors
///
/// 403 unless the caller may configure `sid`; 409 when it already has one.
pub async fn rotate(st: &AppState, caller: &Caller, sid: &str) -> Result<RotatedKey, ApiError> {
    let kek = keyring::kek(st)?.clone();
    let ((kid, keyset_version), version) =
        apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
            let pending =
                sqlx::query("SELECT kid FROM signing_keys WHERE superapp_id = $1 AND status = $2")
                    .bind(sid)
                    .bind(NEXT)
                    .fetch_optional(&mut *c.tx)
                    .await?;
            if pending.is_some() {
                return Err(ApiError::Conflict(format!(
                    "superapp `{sid}` already has a next signing key: promote it first"
                )));
            }
            let kid = keyring::generate(&mut c.tx, &kek, sid, NEXT, c.at).await?;
            // Contract v3: the new key is in a published key set before it
            // can sign (an offline root's superapp uploads one instead).
            let keyset_version = keyring::publish(c, st, sid, Publish::IfChanged).await?;
            let record = Record::new(
                "rotate_signing_key",
                format!("superapp:{sid}"),
                None,
                Some(json!({"next": kid, "keyset_version": keyset_version})),
            );
            Ok(((kid, keyset_version), record))
        })
        .await?;
    Ok(RotatedKey {
        superapp_id: sid.to_owned(),
        kid,
        status: NEXT,
        promotes_at: st.clock.now().saturating_add(st.key_prepublish),
        keyset_version,
        version,
    })
}

/// The next key of `sid` signs from now on; the active one is retired
/// (published for the grace period).
///
/// # Errors
///
/// 403 unless the caller may configure `sid`; 409 without a next key.
pub async fn promote(st: &AppState, caller: &Caller, sid: &str) -> Result<PromotedKey, ApiError> {
    let ((kid, retired), version) = apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
        let (kid, retired) = keyring::promote(c, sid).await?;
        let record = Record::new(
            "promote_signing_key",
            format!("superapp:{sid}"),
            Some(json!({"active": retired})),
            Some(json!({"active": kid})),
        );
        Ok(((kid, retired), record))
    })
    .await?;
    Ok(PromotedKey {
        superapp_id: sid.to_owned(),
        kid,
        retired,
        retired_until: st.clock.now().saturating_add(st.key_grace),
        version,
    })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    use crate::auth::Caller;
    use crate::distribution::keyring;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;
    use crate::util::sha256_hex;

    /// `GET /api/v1/superapps/{sid}/keys.json`: `{"keys":[JWK…]}`, public
    /// parts only; the ETag is a digest of the set.
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

    /// `POST /api/v1/superapps/{sid}/signing-keys/rotate`.
    pub(crate) async fn rotate(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::rotate(&st, &caller, &sid).await?)
    }

    /// `POST /api/v1/superapps/{sid}/signing-keys/promote`.
    pub(crate) async fn promote(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::promote(&st, &caller, &sid).await?)
    }
}

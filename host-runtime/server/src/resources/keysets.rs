//! Key sets on the API (contract v3, `policy.md` §2.1): the key set devices
//! fetch (`GET …/keyset`, unauthenticated, with ETag and the bundle's
//! long-poll), the roots they pin (`GET`/`PUT …/roots`), and the upload of
//! a key set signed elsewhere by an offline root (`PUT …/keyset`). Only the
//! superapp's administrator registers roots or uploads (decision 364). The
//! keys and their signing live in `distribution/keysets.rs`.

use guard_core::{Guard, GuardConfig};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::distribution::keyring::{self, ACTIVE};
use crate::distribution::keysets::{self, Current, Publish, UPLOAD};
use crate::error::ApiError;
use crate::resources::superapps::require_view;
use crate::state::AppState;

/// The key set in force, as the console shows it (public facts only).
#[derive(Debug, Clone, Serialize)]
pub struct KeysetInfo {
    /// Its version (the key-set floor devices keep).
    pub version: i64,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds: devices refuse it from then on.
    pub expires_at: i64,
    /// `server` (signed by the server's root) or `upload` (by an offline root).
    pub source: String,
    /// The kids of the signing keys it lists.
    pub kids: Vec<String>,
}

impl KeysetInfo {
    fn of(cur: &Current) -> Result<KeysetInfo, ApiError> {
        Ok(KeysetInfo {
            version: cur.version,
            issued_at: cur.issued_at,
            expires_at: cur.expires_at,
            source: cur.source.clone(),
            kids: cur.keys()?.into_iter().map(|(kid, _)| kid).collect(),
        })
    }
}

/// A superapp's roots and key set.
#[derive(Debug, Clone, Serialize)]
pub struct Roots {
    /// The superapp.
    pub superapp_id: String,
    /// The roots its devices pin (public JWKs; `roots` in `config.json`).
    pub roots: Vec<Value>,
    /// Whether they are offline roots (key sets are uploaded) rather than
    /// the server's.
    pub offline: bool,
    /// The key set in force.
    pub keyset: Option<KeysetInfo>,
}

/// `PUT …/roots`: the offline roots' public JWKs; `[]` returns to the
/// server's root.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootsBody {
    /// Public JWKs (`kty`, `crv`, `kid`, `x`).
    pub roots: Vec<Value>,
}

async fn roots_of(conn: &mut AnyConnection, sid: &str) -> Result<Roots, ApiError> {
    let keyset = keysets::current(conn, sid).await?;
    Ok(Roots {
        superapp_id: sid.to_owned(),
        roots: keysets::pinned(conn, sid).await?,
        offline: keysets::is_offline(conn, sid).await?,
        keyset: keyset.as_ref().map(KeysetInfo::of).transpose()?,
    })
}

/// The roots and key set of `sid`.
///
/// # Errors
///
/// 403 unless the caller may read the superapp; 404.
pub async fn roots(st: &AppState, caller: &Caller, sid: &str) -> Result<Roots, ApiError> {
    require_view(st, caller, sid).await?;
    keyring::advance(st, sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    roots_of(&mut conn, sid).await
}

/// The `(kid, x)` of each offered root, checked as a guard checks the roots
/// it is created with (public Ed25519 JWKs, distinct kids, not of small
/// order, at most `limits::MAX_ROOTS`).
fn check_roots(sid: &str, roots: &[Value]) -> Result<Vec<(String, String)>, ApiError> {
    let config = json!({ "roots": roots, "superapp_id": sid }).to_string();
    GuardConfig::from_json(&config).map_err(|e| ApiError::bad("roots", e.to_string()))?;
    roots
        .iter()
        .map(|r| match (r["kid"].as_str(), r["x"].as_str()) {
            (Some(kid), Some(x)) => Ok((kid.to_owned(), x.to_owned())),
            _ => Err(ApiError::bad("roots", "every root has a `kid` and an `x`")),
        })
        .collect()
}

/// Registers the offline roots of `sid` (its devices pin them instead of
/// the server's; its key sets are uploaded from then on), or with `[]`
/// returns it to the server's root, which signs a new key set at once.
///
/// # Errors
///
/// 403 unless the caller may configure `sid`; 400 naming `roots` for a key
/// that is not a public Ed25519 JWK, or one that is a signing key.
pub async fn set_roots(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    body: RootsBody,
) -> Result<Roots, ApiError> {
    caller.require_superapp(Action::ConfigureSuperapp, sid)?;
    let roots = match body.roots.is_empty() {
        true => Vec::new(),
        false => check_roots(sid, &body.roots)?,
    };
    let (out, _) = apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
        let before = keysets::pinned(&mut c.tx, sid).await?;
        for r in sqlx::query("SELECT kid, x FROM signing_keys WHERE superapp_id = $1")
            .bind(sid)
            .fetch_all(&mut *c.tx)
            .await?
        {
            let (kid, x): (String, String) = (r.try_get("kid")?, r.try_get("x")?);
            if roots.iter().any(|(k, v)| *k == kid || *v == x) {
                return Err(ApiError::bad(
                    "roots",
                    format!("`{kid}` is a signing key: roots sign key sets and nothing else"),
                ));
            }
        }
        keysets::set_offline_roots(c, sid, &roots).await?;
        if roots.is_empty() {
            keyring::publish(c, st, sid, Publish::Always).await?;
        }
        let out = roots_of(&mut c.tx, sid).await?;
        let record = Record::new(
            "set_roots",
            format!("superapp:{sid}"),
            Some(json!({ "roots": before })),
            Some(json!({ "roots": out.roots, "offline": out.offline })),
        );
        Ok((out, record))
    })
    .await?;
    Ok(out)
}

/// Puts in force a key set signed elsewhere by one of `sid`'s roots, as
/// given: it must load into a guard created with those roots for `sid`
/// (guard-core's own verification, expiry included), come with a higher
/// version than the key set in force, and list the active signing key (or
/// devices would refuse the bundles the server signs).
///
/// # Errors
///
/// 403 unless the caller may configure `sid`; 400 naming `keyset` with the
/// guard's load code when it does not verify; 409 for a version not above
/// the one in force, or without the active key.
pub async fn upload(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    text: &str,
) -> Result<KeysetInfo, ApiError> {
    caller.require_superapp(Action::ConfigureSuperapp, sid)?;
    let jws = text.trim();
    let now = st.clock.now();
    let (info, _) = apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
        let roots = keysets::pinned(&mut c.tx, sid).await?;
        let config = json!({ "roots": roots, "superapp_id": sid }).to_string();
        let config = GuardConfig::from_json(&config)
            .map_err(|e| ApiError::Internal(format!("stored roots of `{sid}`: {e}")))?;
        let loaded = Guard::from_config(config)
            .load_keys(jws, u64::try_from(now).unwrap_or(0))
            .map_err(|e| ApiError::bad("keyset", format!("refused: {e}")))?;
        let version = i64::try_from(loaded.version)
            .map_err(|_| ApiError::bad("keyset", "`version` is out of range"))?;
        let before = keysets::current(&mut c.tx, sid).await?;
        if let Some(cur) = &before {
            if version <= cur.version {
                return Err(ApiError::Conflict(format!(
                    "key set version `{version}` is not above `{}`, the version in force",
                    cur.version
                )));
            }
        }
        let issued_at = keysets::payload(jws)
            .and_then(|p| p["issued_at"].as_i64())
            .unwrap_or(now);
        let uploaded = Current {
            version,
            issued_at,
            expires_at: i64::try_from(loaded.expires_at).unwrap_or(i64::MAX),
            jws: jws.to_owned(),
            source: UPLOAD.to_owned(),
        };
        let active = sqlx::query(
            "SELECT kid, x FROM signing_keys WHERE superapp_id = $1 AND status = $2",
        )
        .bind(sid)
        .bind(ACTIVE)
        .fetch_one(&mut *c.tx)
        .await?;
        let (kid, x): (String, String) = (active.try_get("kid")?, active.try_get("x")?);
        if !uploaded.lists(&kid, &x)? {
            return Err(ApiError::Conflict(format!(
                "the key set does not list `{kid}`, the active signing key: devices would refuse every bundle"
            )));
        }
        keysets::store(
            c,
            sid,
            version,
            uploaded.issued_at,
            uploaded.expires_at,
            jws,
            UPLOAD,
        )
        .await?;
        let info = KeysetInfo::of(&uploaded)?;
        let record = Record::new(
            "upload_keyset",
            format!("superapp:{sid}"),
            before.as_ref().map(|b| json!({ "keyset_version": b.version })),
            Some(json!({ "keyset_version": version, "kids": info.kids })),
        );
        Ok((info, record))
    })
    .await?;
    Ok(info)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::body::Bytes;
    use axum::extract::{Path, State};
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;

    use crate::auth::Caller;
    use crate::distribution::longpoll::{self, Now};
    use crate::distribution::{etag_matches, keyring, keysets};
    use crate::error::ApiError;
    use crate::http::json::JsonBody;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;

    /// `GET /api/v1/superapps/{sid}/keyset`: the key set in force (JWS
    /// compact, `application/jose`), unauthenticated; ETag, `If-None-Match`
    /// and `Prefer: wait` as the bundle routes.
    pub(crate) async fn get(
        State(st): State<AppState>,
        headers: HeaderMap,
        Path(sid): Path<String>,
    ) -> Res {
        longpoll::answer(&st, &headers, &sid, || current(&st, &headers, &sid)).await
    }

    async fn current(st: &AppState, headers: &HeaderMap, sid: &str) -> Result<Now, ApiError> {
        keyring::advance(st, sid).await?;
        let mut conn = st.store.pool.acquire().await?;
        let cur = keysets::current(&mut conn, sid)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` has no key set")))?;
        let tag = format!("\"{sid}.keyset.{}\"", cur.version);
        if etag_matches(headers, &tag) {
            return Ok(Now::NotModified(tag));
        }
        Ok(Now::Answer(
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/jose".to_owned()),
                    (header::ETAG, tag),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                ],
                cur.jws,
            )
                .into_response(),
        ))
    }

    /// `PUT /api/v1/superapps/{sid}/keyset`: a key set signed elsewhere
    /// (JWS compact text as the body).
    pub(crate) async fn upload(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        body: Bytes,
    ) -> Res {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::bad("keyset", "the body is not UTF-8 text"))?;
        reply_of(
            StatusCode::OK,
            &super::upload(&st, &caller, &sid, text).await?,
        )
    }

    /// `GET /api/v1/superapps/{sid}/roots`.
    pub(crate) async fn roots(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::roots(&st, &caller, &sid).await?)
    }

    /// `PUT /api/v1/superapps/{sid}/roots`.
    pub(crate) async fn set_roots(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        JsonBody(b): JsonBody<super::RootsBody>,
    ) -> Res {
        reply_of(
            StatusCode::OK,
            &super::set_roots(&st, &caller, &sid, b).await?,
        )
    }
}

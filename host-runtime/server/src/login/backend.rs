//! The superapp's backend side of login: it signs users in and mints codes,
//! authenticated by the superapp's SecretKey as bearer token.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::distribution::sealing::Secret;
use crate::error::ApiError;
use crate::http::json::JsonBody;
use crate::login::answer::CODE_TTL;
use crate::state::AppState;
use crate::util::{check_id, check_text, random_hex, sha256_hex};

/// The superapp's backend, authenticated by its SecretKey as a bearer token
/// (the seed: the SecretKey authenticates the superapp in mini program login).
#[derive(Debug)]
pub struct SuperappBackend(pub String);

impl FromRequestParts<AppState> for SuperappBackend {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &AppState,
    ) -> Result<SuperappBackend, ApiError> {
        let sid = parts.uri.path().split('/').nth(4).unwrap_or("").to_owned();
        let token = crate::auth::bearer(parts).ok_or(ApiError::Unauthorized)?;
        let kek = crate::distribution::keyring::kek(st)?;
        let mut conn = st.store.pool.acquire().await?;
        let kept = secret_key(&mut conn, &sid)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        if kek.digest_matches(Secret::SecretKey { superapp: &sid }, &kept, token) {
            Ok(SuperappBackend(sid))
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// The digest of the superapp's SecretKey (the key itself is never kept):
/// it authenticates the superapp's backend here, and nothing else (bundles
/// are signed with the bundle key).
async fn secret_key(conn: &mut AnyConnection, sid: &str) -> Result<String, ApiError> {
    let row = sqlx::query("SELECT secret_key FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok(row.try_get("secret_key")?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserBody {
    user_id: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

pub(crate) async fn upsert_user(
    State(st): State<AppState>,
    backend: SuperappBackend,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<UserBody>,
) -> Result<Response, ApiError> {
    if backend.0 != sid {
        return Err(ApiError::Unauthorized);
    }
    check_id("user_id", &b.user_id)?;
    if let Some(p) = &b.phone {
        check_text("phone", p, 32)?;
    }
    if let Some(e) = &b.email {
        check_text("email", e, 254)?;
    }
    sqlx::query(
        "INSERT INTO users (superapp_id, user_id, phone, email) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (superapp_id, user_id) DO UPDATE SET phone = excluded.phone, email = excluded.email",
    )
    .bind(&sid)
    .bind(&b.user_id)
    .bind(b.phone.as_deref())
    .bind(b.email.as_deref())
    .execute(&st.store.pool)
    .await?;
    Ok((StatusCode::OK, Json(json!({"user_id": b.user_id}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeBody {
    kind: CodeKind,
    app_id: String,
    user_id: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum CodeKind {
    Login,
    Phone,
    Email,
}

pub(crate) async fn mint_code(
    State(st): State<AppState>,
    backend: SuperappBackend,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<CodeBody>,
) -> Result<Response, ApiError> {
    if backend.0 != sid {
        return Err(ApiError::Unauthorized);
    }
    let bound = sqlx::query("SELECT id FROM apps WHERE id = $1 AND superapp_id = $2 AND bound = 1")
        .bind(&b.app_id)
        .bind(&sid)
        .fetch_optional(&st.store.pool)
        .await?;
    if bound.is_none() {
        return Err(ApiError::NotFound(format!(
            "app `{}` is not bound to superapp `{sid}`",
            b.app_id
        )));
    }
    let user = sqlx::query("SELECT user_id FROM users WHERE superapp_id = $1 AND user_id = $2")
        .bind(&sid)
        .bind(&b.user_id)
        .fetch_optional(&st.store.pool)
        .await?;
    if user.is_none() {
        return Err(ApiError::NotFound(format!(
            "user `{}` not found",
            b.user_id
        )));
    }
    let kind = match b.kind {
        CodeKind::Login => "login",
        CodeKind::Phone => "phone",
        CodeKind::Email => "email",
    };
    let code = random_hex(16)?;
    sqlx::query("INSERT INTO codes (code_hash, kind, app_id, user_id, expires_at, used) VALUES ($1, $2, $3, $4, $5, 0)")
        .bind(sha256_hex(&code))
        .bind(kind)
        .bind(&b.app_id)
        .bind(&b.user_id)
        .bind(st.clock.now() + CODE_TTL)
        .execute(&st.store.pool)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"code": code, "kind": kind, "expires_in": CODE_TTL})),
    )
        .into_response())
}

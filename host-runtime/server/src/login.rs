//! The openserver login API (the login seed's paths, fields and `errcode`s),
//! and the superapp-side endpoints that mint codes for a signed-in user.
//!
//! Errors are answered WeChat-style: HTTP 200 with `errcode`/`errmsg` and a
//! `requestId` (a malformed POST body is a 400 with `errcode` 47001).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{body::Bytes, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::error::ApiError;
use crate::util::{check_id, check_text, ct_eq, hmac_hex, random_hex, sha256_hex};
use crate::{parse_json, policy, AppState, JsonBody};

/// Lifetime of login, phone and email codes, in seconds.
pub const CODE_TTL: i64 = 300;
/// Lifetime of an access token, in seconds.
pub const ACCESS_TOKEN_TTL: i64 = 7200;

/// The login API's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WxError {
    /// 40001 invalid credential (wrong app secret).
    InvalidCredential,
    /// 40002 invalid grant_type.
    InvalidGrantType,
    /// 40003 invalid openid.
    InvalidOpenid,
    /// 40013 invalid appid.
    InvalidAppid,
    /// 40014 invalid access_token.
    InvalidAccessToken,
    /// 40029 invalid code (unknown, used, expired or another app's).
    InvalidCode,
    /// 41001 access_token missing.
    MissingAccessToken,
    /// 41002 appid missing.
    MissingAppid,
    /// 41004 appsecret missing.
    MissingSecret,
    /// 41008 code missing.
    MissingCode,
    /// 47001 data format error.
    DataFormat,
    /// 48001 api unauthorized: the app's policy does not allow the API.
    ApiUnauthorized,
    /// 87009 invalid signature.
    InvalidSignature,
    /// 40097 invalid args.
    InvalidArgs,
    /// -1 system error.
    System,
}

impl WxError {
    /// The numeric `errcode`.
    pub fn errcode(self) -> i64 {
        match self {
            WxError::InvalidCredential => 40001,
            WxError::InvalidGrantType => 40002,
            WxError::InvalidOpenid => 40003,
            WxError::InvalidAppid => 40013,
            WxError::InvalidAccessToken => 40014,
            WxError::InvalidCode => 40029,
            WxError::MissingAccessToken => 41001,
            WxError::MissingAppid => 41002,
            WxError::MissingSecret => 41004,
            WxError::MissingCode => 41008,
            WxError::DataFormat => 47001,
            WxError::ApiUnauthorized => 48001,
            WxError::InvalidSignature => 87009,
            WxError::InvalidArgs => 40097,
            WxError::System => -1,
        }
    }

    fn errmsg(self) -> &'static str {
        match self {
            WxError::InvalidCredential => "invalid credential",
            WxError::InvalidGrantType => "invalid grant_type",
            WxError::InvalidOpenid => "invalid openid",
            WxError::InvalidAppid => "invalid appid",
            WxError::InvalidAccessToken => "invalid access_token",
            WxError::InvalidCode => "invalid code",
            WxError::MissingAccessToken => "access_token missing",
            WxError::MissingAppid => "appid missing",
            WxError::MissingSecret => "appsecret missing",
            WxError::MissingCode => "code missing",
            WxError::DataFormat => "data format error",
            WxError::ApiUnauthorized => "api unauthorized",
            WxError::InvalidSignature => "invalid signature",
            WxError::InvalidArgs => "invalid args",
            WxError::System => "system error",
        }
    }
}

/// A login API failure, with detail appended to the message.
#[derive(Debug)]
pub struct Wx(WxError, String, Value);

impl Wx {
    fn new(e: WxError) -> Wx {
        Wx(e, String::new(), json!({}))
    }

    fn detail(e: WxError, detail: impl Into<String>) -> Wx {
        Wx(e, detail.into(), json!({}))
    }

    fn with(mut self, fields: Value) -> Wx {
        self.2 = fields;
        self
    }
}

impl From<sqlx::Error> for Wx {
    fn from(e: sqlx::Error) -> Wx {
        tracing::error!(error = %e, "login api store error");
        Wx::new(WxError::System)
    }
}

impl From<ApiError> for Wx {
    fn from(e: ApiError) -> Wx {
        tracing::error!(error = %e, "login api error");
        Wx::new(WxError::System)
    }
}

fn request_id() -> String {
    random_hex(16).unwrap_or_default()
}

fn respond(status: StatusCode, mut body: Value) -> Response {
    body["requestId"] = json!(request_id());
    (status, Json(body)).into_response()
}

impl IntoResponse for Wx {
    fn into_response(self) -> Response {
        let Wx(e, detail, mut fields) = self;
        let msg = if detail.is_empty() {
            e.errmsg().to_owned()
        } else {
            format!("{}: {detail}", e.errmsg())
        };
        fields["errcode"] = json!(e.errcode());
        fields["errmsg"] = json!(msg);
        let status = if e == WxError::DataFormat {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        respond(status, fields)
    }
}

type WxRes = Result<Response, Wx>;

fn success(mut body: Value) -> WxRes {
    body["errcode"] = json!(0);
    body["errmsg"] = json!("ok");
    Ok(respond(StatusCode::OK, body))
}

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openserver/sns/jscode2session", get(jscode2session))
        .route("/openserver/cgi-bin/token", get(token))
        .route("/openserver/wxa/checksession", get(checksession))
        .route("/openserver/wxa/business/getuserphonenumber", post(phone))
        .route("/openserver/wxa/business/getemailaddress", post(email))
        .route("/api/v1/superapps/{sid}/users", post(upsert_user))
        .route("/api/v1/superapps/{sid}/codes", post(mint_code))
}

fn param<'a>(q: &'a HashMap<String, String>, name: &str, missing: WxError) -> Result<&'a str, Wx> {
    q.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Wx::detail(missing, format!("`{name}` is required")))
}

struct AppAuth {
    superapp_id: String,
    team_id: String,
}

async fn app_by_secret(st: &AppState, appid: &str, secret: &str) -> Result<AppAuth, Wx> {
    let row = sqlx::query("SELECT superapp_id, team_id, secret_hash FROM apps WHERE id = $1")
        .bind(appid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| Wx::new(WxError::InvalidAppid))?;
    let hash: String = row.try_get("secret_hash")?;
    if !ct_eq(&hash, &sha256_hex(secret)) {
        return Err(Wx::new(WxError::InvalidCredential));
    }
    Ok(AppAuth {
        superapp_id: row.try_get("superapp_id")?,
        team_id: row.try_get("team_id")?,
    })
}

async fn app_by_token(st: &AppState, token: &str) -> Result<(String, AppAuth), Wx> {
    let row = sqlx::query(
        "SELECT t.app_id, a.superapp_id, a.team_id FROM access_tokens t JOIN apps a ON a.id = t.app_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2",
    )
    .bind(sha256_hex(token))
    .bind(st.clock.now())
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| Wx::new(WxError::InvalidAccessToken))?;
    Ok((
        row.try_get("app_id")?,
        AppAuth {
            superapp_id: row.try_get("superapp_id")?,
            team_id: row.try_get("team_id")?,
        },
    ))
}

/// `openid`: stable per (superapp, app, user); `unionid`: per (superapp,
/// team, user). HMACs under the server's secret, so neither reveals the user
/// id nor can be linked across apps (openid) or teams (unionid).
async fn ids(st: &AppState, a: &AppAuth, app: &str, user: &str) -> Result<(String, String), Wx> {
    let secret = st.store.openid_secret().await?;
    let openid = hmac_hex(
        secret.as_bytes(),
        format!("openid\x1f{}\x1f{app}\x1f{user}", a.superapp_id).as_bytes(),
    );
    let unionid = hmac_hex(
        secret.as_bytes(),
        format!("unionid\x1f{}\x1f{}\x1f{user}", a.superapp_id, a.team_id).as_bytes(),
    );
    Ok((openid, unionid))
}

/// Consumes a code: single use, unexpired, of this kind and app. The
/// conditional UPDATE is atomic, so a code can never be redeemed twice.
async fn consume(st: &AppState, code: &str, kind: &str, app: &str) -> Result<String, Wx> {
    let row = sqlx::query(
        "UPDATE codes SET used = 1 WHERE code_hash = $1 AND kind = $2 AND app_id = $3 AND used = 0 AND expires_at > $4 RETURNING user_id",
    )
    .bind(sha256_hex(code))
    .bind(kind)
    .bind(app)
    .bind(st.clock.now())
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| Wx::new(WxError::InvalidCode))?;
    Ok(row.try_get("user_id")?)
}

async fn jscode2session(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> WxRes {
    let empty = json!({"openid": "", "session_key": "", "unionid": ""});
    let r: WxRes = async {
        let appid = param(&q, "appid", WxError::MissingAppid)?;
        let secret = param(&q, "secret", WxError::MissingSecret)?;
        let code = param(&q, "js_code", WxError::MissingCode)?;
        if q.get("grant_type").map(String::as_str) != Some("authorization_code") {
            return Err(Wx::detail(WxError::InvalidGrantType, "expected `authorization_code`"));
        }
        let a = app_by_secret(&st, appid, secret).await?;
        let user = consume(&st, code, "login", appid).await?;
        let (openid, unionid) = ids(&st, &a, appid, &user).await?;
        let session_key = random_hex(16)?;
        sqlx::query(
            "INSERT INTO sessions (app_id, openid, user_id, session_key, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (app_id, openid) DO UPDATE SET session_key = excluded.session_key, created_at = excluded.created_at",
        )
        .bind(appid)
        .bind(&openid)
        .bind(&user)
        .bind(&session_key)
        .bind(st.clock.now())
        .execute(&st.store.pool)
        .await?;
        success(json!({"openid": openid, "session_key": session_key, "unionid": unionid}))
    }
    .await;
    r.map_err(|e| e.with(empty))
}

async fn token(State(st): State<AppState>, Query(q): Query<HashMap<String, String>>) -> WxRes {
    let appid = param(&q, "appid", WxError::MissingAppid)?;
    let secret = param(&q, "secret", WxError::MissingSecret)?;
    if q.get("grant_type").map(String::as_str) != Some("client_credential") {
        return Err(Wx::detail(
            WxError::InvalidGrantType,
            "expected `client_credential`",
        ));
    }
    app_by_secret(&st, appid, secret).await?;
    let token = format!("AT{}", random_hex(31)?);
    sqlx::query("INSERT INTO access_tokens (token_hash, app_id, expires_at) VALUES ($1, $2, $3)")
        .bind(sha256_hex(&token))
        .bind(appid)
        .bind(st.clock.now() + ACCESS_TOKEN_TTL)
        .execute(&st.store.pool)
        .await?;
    success(json!({"access_token": token, "expires_in": ACCESS_TOKEN_TTL}))
}

async fn checksession(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> WxRes {
    let token = param(&q, "access_token", WxError::MissingAccessToken)?;
    let openid = param(&q, "openid", WxError::InvalidOpenid)?;
    let signature = param(&q, "signature", WxError::InvalidSignature)?;
    let method = param(&q, "sig_method", WxError::InvalidArgs)?;
    if method != "hmac_sha256" {
        return Err(Wx::detail(
            WxError::InvalidArgs,
            format!("`sig_method` `{method}` is not supported (hmac_sha256)"),
        ));
    }
    let (app, _) = app_by_token(&st, token).await?;
    let row = sqlx::query("SELECT session_key FROM sessions WHERE app_id = $1 AND openid = $2")
        .bind(&app)
        .bind(openid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| Wx::new(WxError::InvalidOpenid))?;
    let key: String = row.try_get("session_key")?;
    if !ct_eq(
        &hmac_hex(key.as_bytes(), b""),
        &signature.to_ascii_lowercase(),
    ) {
        return Err(Wx::new(WxError::InvalidSignature));
    }
    success(json!({}))
}

#[derive(Deserialize)]
struct ReleaseBody {
    access_token: String,
    openid: String,
    code: String,
}

async fn release(
    st: &AppState,
    body: &[u8],
    kind: &str,
    api: &str,
) -> Result<(AppAuth, String), Wx> {
    let b: ReleaseBody =
        parse_json(body).map_err(|e| Wx::detail(WxError::DataFormat, e.to_string()))?;
    let (app, a) = app_by_token(st, &b.access_token).await?;
    let user = consume(st, &b.code, kind, &app).await?;
    let (openid, _) = ids(st, &a, &app, &user).await?;
    if !ct_eq(&openid, &b.openid) {
        return Err(Wx::new(WxError::InvalidOpenid));
    }
    // The server enforces the app's policy too: the same guard-core decision
    // the client makes, over the app's own signed bundle.
    let mut conn = st.store.pool.acquire().await?;
    let verdict =
        policy::app_may_call(&mut conn, &a.superapp_id, &app, api, st.clock.now()).await?;
    if !verdict.allow() {
        let code = verdict.code().map_or("denied", |c| c.as_str());
        return Err(Wx::detail(
            WxError::ApiUnauthorized,
            format!("`{api}` is not allowed for app `{app}` ({code})"),
        ));
    }
    Ok((a, user))
}

async fn user_field(st: &AppState, sid: &str, user: &str, col: &str) -> Result<Option<String>, Wx> {
    let sql = if col == "phone" {
        "SELECT phone AS v FROM users WHERE superapp_id = $1 AND user_id = $2"
    } else {
        "SELECT email AS v FROM users WHERE superapp_id = $1 AND user_id = $2"
    };
    let row = sqlx::query(sql)
        .bind(sid)
        .bind(user)
        .fetch_optional(&st.store.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("v")?,
        None => None,
    })
}

async fn phone(State(st): State<AppState>, body: Bytes) -> WxRes {
    let (a, user) = release(&st, &body, "phone", "getPhoneNumber").await?;
    let phone = user_field(&st, &a.superapp_id, &user, "phone")
        .await?
        .ok_or_else(|| Wx::detail(WxError::InvalidArgs, "the user has no phone number"))?;
    success(json!({"phone_info": {"phoneNumber": phone}}))
}

async fn email(State(st): State<AppState>, body: Bytes) -> WxRes {
    let (a, user) = release(&st, &body, "email", "getEmailAddress").await?;
    let email = user_field(&st, &a.superapp_id, &user, "email")
        .await?
        .ok_or_else(|| Wx::detail(WxError::InvalidArgs, "the user has no email address"))?;
    success(json!({"email_address": {"emailAddress": email}}))
}

// ---------------------------------------------------------------- superapp side

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
        let mut conn = st.store.pool.acquire().await?;
        let secret = policy::secret_key(&mut conn, &sid)
            .await
            .map_err(|_| ApiError::Unauthorized)?;
        if ct_eq(&secret, token) {
            Ok(SuperappBackend(sid))
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    user_id: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

async fn upsert_user(
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
struct CodeBody {
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

async fn mint_code(
    State(st): State<AppState>,
    backend: SuperappBackend,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<CodeBody>,
) -> Result<Response, ApiError> {
    if backend.0 != sid {
        return Err(ApiError::Unauthorized);
    }
    let bound = sqlx::query("SELECT id FROM apps WHERE id = $1 AND superapp_id = $2")
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

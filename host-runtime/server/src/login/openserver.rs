//! The openserver endpoints a mini program's backend calls: code exchange,
//! access tokens, session checks, and phone and email release under the
//! app's own policy.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::distribution::keyring;
use crate::distribution::sealing::{Kek, Secret};
use crate::distribution::signer::Signer;
use crate::error::ApiError;
use crate::http::json::parse_json;
use crate::login::answer::{success, Wx, WxError, WxRes, ACCESS_TOKEN_TTL};
use crate::policy;
use crate::state::AppState;
use crate::util::{ct_eq, hmac_hex, random_hex, sha256_hex};

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
    let row = sqlx::query(
        "SELECT superapp_id, team_id, secret_hash FROM apps WHERE id = $1 AND bound = 1",
    )
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
    let secret = crate::distribution::secrets::openid_secret(st).await?;
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

pub(crate) async fn jscode2session(
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
        let kept = keyring::kek(&st)?
            .seal_secret(Secret::SessionKey { app: appid, openid: &openid }, &session_key)?;
        sqlx::query(
            "INSERT INTO sessions (app_id, openid, user_id, session_key, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (app_id, openid) DO UPDATE SET session_key = excluded.session_key, created_at = excluded.created_at",
        )
        .bind(appid)
        .bind(&openid)
        .bind(&user)
        .bind(kept)
        .bind(st.clock.now())
        .execute(&st.store.pool)
        .await?;
        success(json!({"openid": openid, "session_key": session_key, "unionid": unionid}))
    }
    .await;
    r.map_err(|e| e.with(empty))
}

pub(crate) async fn token(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> WxRes {
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

pub(crate) async fn checksession(
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
    let key = keyring::kek(&st)?.open_secret(
        Secret::SessionKey { app: &app, openid },
        &row.try_get::<String, _>("session_key")?,
    )?;
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
    let verdict = app_may_call(
        &mut conn,
        &a.superapp_id,
        &app,
        api,
        st.clock.now(),
        st.kek.as_deref(),
    )
    .await?;
    if !verdict.allow() {
        let code = verdict.code().map_or("denied", |c| c.as_str());
        return Err(Wx::detail(
            WxError::ApiUnauthorized,
            format!("`{api}` is not allowed for app `{app}` ({code})"),
        ));
    }
    Ok((a, user))
}

/// The server-side decision: may `app` call `api` under its own signed
/// policy? Exactly what the SDK does: load the app's bundle into a
/// `guard_core::Guard` and ask it. Here, by the one caller that signs for
/// itself, so the policy builder only builds.
///
/// # Errors
///
/// [`ApiError::Internal`] when the bundle does not load (fail closed).
async fn app_may_call(
    conn: &mut AnyConnection,
    superapp_id: &str,
    app: &str,
    api: &str,
    now: i64,
    kek: Option<&Kek>,
) -> Result<guard_core::Verdict, ApiError> {
    let policy = policy::build(conn, superapp_id, Some(app)).await?;
    let signer = Signer::of(conn, superapp_id, kek).await?;
    let signed = signer.sign(&policy)?;
    let now = u64::try_from(now).unwrap_or(0);
    let mut guard = signer.guard()?;
    guard
        .load(&signed, now)
        .map_err(|e| ApiError::Internal(format!("own bundle refused: {e}")))?;
    Ok(guard.check_api(app, api, now))
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

pub(crate) async fn phone(State(st): State<AppState>, body: Bytes) -> WxRes {
    let (a, user) = release(&st, &body, "phone", "getPhoneNumber").await?;
    let phone = user_field(&st, &a.superapp_id, &user, "phone")
        .await?
        .ok_or_else(|| Wx::detail(WxError::InvalidArgs, "the user has no phone number"))?;
    success(json!({"phone_info": {"phoneNumber": phone}}))
}

pub(crate) async fn email(State(st): State<AppState>, body: Bytes) -> WxRes {
    let (a, user) = release(&st, &body, "email", "getEmailAddress").await?;
    let email = user_field(&st, &a.superapp_id, &user, "email")
        .await?
        .ok_or_else(|| Wx::detail(WxError::InvalidArgs, "the user has no email address"))?;
    success(json!({"email_address": {"emailAddress": email}}))
}

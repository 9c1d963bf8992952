//! Server-side console sessions. The cookie holds a random 256-bit token;
//! the store keeps its SHA-256 (a leaked database opens no session), the
//! account, the CSRF token of its forms (sealed with the KEK), when it began
//! and when it was last used. A session ends after `session_idle` seconds unused or
//! `session_max` seconds after sign-in, at sign-out (the row is deleted:
//! the cookie is then worthless even if kept), and when the account's
//! password is set again.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::Method;
use sqlx::Row;

use crate::auth::{Caller, Role};
use crate::console::cookies;
use crate::console::csrf;
use crate::console::errors::PageError;
use crate::distribution::keyring;
use crate::distribution::sealing::Secret;
use crate::error::ApiError;
use crate::state::AppState;
use crate::util::{random_hex, sha256_hex};

/// How often (seconds) a session's `last_seen` is written: not on every
/// request.
const TOUCH_EVERY: i64 = 60;

/// A signed-in console request.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the cookie's token (the row's key).
    pub id_hash: String,
    /// The account, as the service layer sees it.
    pub caller: Caller,
    /// The person's name.
    pub name: String,
    /// The synchronizer token every form of the session carries.
    pub csrf: String,
    /// A message left by the previous request (shown once).
    pub flash: Option<String>,
}

/// Starts a session of `account`; returns the cookie's token. Expired
/// sessions of every account are swept on the way.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure or without randomness.
pub async fn start(st: &AppState, account: &str, flash: Option<&str>) -> Result<String, ApiError> {
    let now = st.clock.now();
    sqlx::query("DELETE FROM console_sessions WHERE last_seen <= $1 OR created_at <= $2")
        .bind(now.saturating_sub(st.console.session_idle))
        .bind(now.saturating_sub(st.console.session_max))
        .execute(&st.store.pool)
        .await?;
    let token = random_hex(32)?;
    let id_hash = sha256_hex(&token);
    let csrf =
        keyring::kek(st)?.seal_secret(Secret::Csrf { session: &id_hash }, &random_hex(32)?)?;
    sqlx::query(
        "INSERT INTO console_sessions (id_hash, account_id, csrf, created_at, last_seen, flash) VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(&id_hash)
    .bind(account)
    .bind(csrf)
    .bind(now)
    .bind(flash)
    .execute(&st.store.pool)
    .await?;
    Ok(token)
}

/// The live session of `token`, if any; an expired one is deleted. A GET
/// takes the flash message (it is shown by that page).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn load(
    st: &AppState,
    token: &str,
    take_flash: bool,
) -> Result<Option<Session>, ApiError> {
    let id_hash = sha256_hex(token);
    let Some(r) = sqlx::query(
        "SELECT s.csrf, s.created_at, s.last_seen, s.flash, a.id, a.name, a.role, a.superapp_id, a.team_id \
         FROM console_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1 AND a.disabled_at IS NULL",
    )
    .bind(&id_hash)
    .fetch_optional(&st.store.pool)
    .await?
    else {
        return Ok(None);
    };
    let now = st.clock.now();
    let (created, seen): (i64, i64) = (r.try_get("created_at")?, r.try_get("last_seen")?);
    if now >= seen.saturating_add(st.console.session_idle)
        || now >= created.saturating_add(st.console.session_max)
    {
        end(st, &id_hash).await?;
        return Ok(None);
    }
    let flash: Option<String> = r.try_get("flash")?;
    if now.saturating_sub(seen) >= TOUCH_EVERY || (take_flash && flash.is_some()) {
        sqlx::query(
            "UPDATE console_sessions SET last_seen = $2, flash = CASE WHEN $3 = 1 THEN NULL ELSE flash END WHERE id_hash = $1",
        )
        .bind(&id_hash)
        .bind(now)
        .bind(i64::from(take_flash))
        .execute(&st.store.pool)
        .await?;
    }
    let role: String = r.try_get("role")?;
    let csrf = keyring::kek(st)?.open_secret(
        Secret::Csrf { session: &id_hash },
        &r.try_get::<String, _>("csrf")?,
    )?;
    Ok(Some(Session {
        id_hash,
        caller: Caller {
            id: r.try_get("id")?,
            role: Role::parse(&role)
                .ok_or_else(|| ApiError::Internal(format!("stored role `{role}`")))?,
            superapp_id: r.try_get("superapp_id")?,
            team_id: r.try_get("team_id")?,
        },
        name: r.try_get("name")?,
        csrf,
        flash: if take_flash { flash } else { None },
    }))
}

/// Ends the session `id_hash` (sign-out): its row is deleted.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn end(st: &AppState, id_hash: &str) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&st.store.pool)
        .await?;
    Ok(())
}

/// Leaves `message` for the session's next page (Post/Redirect/Get).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn flash(st: &AppState, s: &Session, message: &str) -> Result<(), ApiError> {
    sqlx::query("UPDATE console_sessions SET flash = $2 WHERE id_hash = $1")
        .bind(&s.id_hash)
        .bind(message)
        .execute(&st.store.pool)
        .await?;
    Ok(())
}

/// Whether a request method changes state (then it must pass the CSRF checks).
pub fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Session, PageError> {
        let writes = changes_state(&parts.method);
        if writes {
            csrf::check_origin(st, &parts.headers)?;
        }
        let next = (!writes).then(|| {
            parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned())
        });
        let Some(token) = cookies::token(st, &parts.headers) else {
            return Err(PageError::SignedOut { next });
        };
        match load(st, &token, !writes).await? {
            Some(s) => Ok(s),
            None => Err(PageError::SignedOut { next }),
        }
    }
}

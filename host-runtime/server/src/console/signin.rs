//! Signing in and out, and setting a password through an invite.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::Row;

use crate::auth::Role;
use crate::console::cookies;
use crate::console::errors::PageError;
use crate::console::forms::{Anonymous, Posted};
use crate::console::page::{render, see_other, Chrome, Submitted};
use crate::console::session::{self, Session};
use crate::error::ApiError;
use crate::resources::invites;
use crate::state::AppState;
use crate::throttle;

/// Where the console sends `caller` first.
pub fn home(caller: &crate::auth::Caller) -> String {
    match (caller.role, caller.superapp_id.as_deref()) {
        (Role::Developer, _) => "/console/apps".into(),
        (r, Some(sid)) if r.superapp_scoped() => format!("/console/superapps/{sid}/apis"),
        _ => "/console/applications".into(),
    }
}

/// `GET /console/`: the role's first page (which shows the flash message
/// this request took).
pub async fn index(State(st): State<AppState>, s: Session) -> Result<Response, PageError> {
    if let Some(f) = &s.flash {
        session::flash(&st, &s, f).await?;
    }
    Ok(see_other(&home(&s.caller)))
}

/// A `next` that stays in the console (never another site: `//evil`,
/// `/\evil` and absolute URLs are dropped), and whose path a browser or a
/// proxy cannot resolve out of `/console/` (decision 470): an empty
/// segment (`/console/..//x`), a `.` or `..` segment, or an encoded dot,
/// slash or backslash drops it too.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console/")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && plain_path(n) =>
        {
            n.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

/// Whether the path of `target` (before its query or fragment) has only
/// plain segments: none empty, none `.` or `..`, no encoded `.`, `/` or
/// `\` that a later decoding could turn into one.
fn plain_path(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let lower = path.to_ascii_lowercase();
    let encoded = ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let last = segments.len().saturating_sub(1);
    let odd = segments
        .iter()
        .enumerate()
        // The last segment may be empty: `/console/` itself.
        .any(|(i, s)| (s.is_empty() && i != last) || *s == "." || *s == "..");
    !encoded && !odd
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    account: String,
    error: Option<String>,
    signed_out: bool,
}

/// The query of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    signed_out: Option<String>,
}

/// `GET /console/login`: signed in already, on to `next`.
pub async fn login_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(qy): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let next = safe_next(qy.next.as_deref());
    if let Some(token) = cookies::token(&st, &headers) {
        if session::load(&st, &token, false).await?.is_some() {
            return Ok(see_other(&next));
        }
    }
    let page = LoginPage {
        chrome: Chrome::anonymous("Sign in"),
        next,
        account: String::new(),
        error: None,
        signed_out: qy.signed_out.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// Longest account id the sign-in form takes (ids are at most 64).
const MAX_ACCOUNT: usize = 64;

/// `POST /console/login`: throttled per address, then per account (a
/// browser the account signed in from before counted apart), the password
/// checked with argon2id off the executor; a new session (never one the
/// browser brought: no fixation) and the device cookie renewed.
pub async fn login(State(st): State<AppState>, post: Anonymous) -> Result<Response, PageError> {
    let f = &post.form;
    let account = f.text("account").trim().to_owned();
    let next = safe_next(f.get("next"));
    let refuse = |status: StatusCode, msg: String, account: String| {
        let page = LoginPage {
            chrome: Chrome::anonymous("Sign in"),
            next: next.clone(),
            account,
            error: Some(msg),
            signed_out: false,
        };
        render(status, &page)
    };
    let named = !account.is_empty() && account.len() <= MAX_ACCOUNT;
    let bucket = throttle::device_bucket(&st, post.device.as_deref(), &account)
        .unwrap_or_else(|| throttle::account_bucket(&account));
    let waited = match throttle::at_address(&st, &post.address).await? {
        Some(wait) => Some((wait, "from your network")),
        None if named => throttle::at_account(&st, &bucket)
            .await?
            .map(|wait| (wait, "for this account")),
        None => None,
    };
    if let Some((wait, whose)) = waited {
        let mut res = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins {whose}: try again in {}.",
                throttle_wait(wait)
            ),
            account,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let phc: Option<String> = if account.len() <= MAX_ACCOUNT {
        // A disabled account signs in as one without a password: refused as
        // a wrong password is, after the same hashing work.
        sqlx::query("SELECT password_hash FROM accounts WHERE id = $1 AND disabled_at IS NULL")
            .bind(&account)
            .fetch_optional(&st.store.pool)
            .await
            .map_err(ApiError::from)?
            .map(|r| r.try_get::<Option<String>, _>("password_hash"))
            .transpose()
            .map_err(ApiError::from)?
            .flatten()
    } else {
        None
    };
    if !st.hasher.verify(&f.text("password"), phc).await? {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "Wrong account or password.".into(),
            account,
        ));
    }
    throttle::succeeded(&st, &bucket, &post.address).await?;
    let token = session::start(&st, &account, None).await?;
    let mut res = see_other(&next);
    let (k, v) = cookies::set(&st, &token);
    res.headers_mut().append(k, v);
    let (k, v) = cookies::set_device(&st, &throttle::device_token(&st, &account)?);
    res.headers_mut().append(k, v);
    Ok(res)
}

/// `wait` seconds as a person reads them: seconds under two minutes, else
/// minutes (rounded up).
fn throttle_wait(wait: i64) -> String {
    if wait < 120 {
        format!("{wait} second{}", if wait == 1 { "" } else { "s" })
    } else {
        format!("{} minutes", (wait + 59) / 60)
    }
}

/// `POST /console/logout`: the session's row is deleted (the cookie is
/// worthless from now on) and the cookie cleared.
pub async fn logout(State(st): State<AppState>, post: Posted) -> Result<Response, PageError> {
    session::end(&st, &post.session.id_hash).await?;
    let mut res = see_other("/console/login?signed_out=1");
    let (k, v) = cookies::clear(&st);
    res.headers_mut().insert(k, v);
    Ok(res)
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    chrome: Chrome,
    sub: Submitted,
}

/// `GET /console/invite`: the code comes in the link's fragment (moved into
/// the form by the script) or is pasted.
pub async fn invite_page() -> Response {
    let page = InvitePage {
        chrome: Chrome::anonymous("Set your password"),
        sub: Submitted::none(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /console/invite`: sets the password, ends the account's other
/// sessions, and signs in. Throttled per address like sign-in.
pub async fn invite(State(st): State<AppState>, post: Anonymous) -> Result<Response, PageError> {
    let f = &post.form;
    let refuse = |e: ApiError| {
        // Never echo the passwords back.
        let values = f
            .values()
            .into_iter()
            .filter(|(k, _)| k != "password" && k != "confirm")
            .collect();
        let page = InvitePage {
            chrome: Chrome::anonymous("Set your password"),
            sub: Submitted::refused("invite", values, &e),
        };
        render(e.status(), &page)
    };
    if let Some(wait) = throttle::at_address(&st, &post.address).await? {
        let mut res = refuse(ApiError::Conflict(format!(
            "too many attempts from your network: try again in {}",
            throttle_wait(wait)
        )));
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(res);
    }
    let (password, confirm) = (f.text("password"), f.text("confirm"));
    if password != confirm {
        return Ok(refuse(ApiError::bad(
            "confirm",
            "does not match the new password",
        )));
    }
    let account = match invites::redeem(&st, &f.text("code"), &password).await {
        Ok(a) => a,
        Err(e) => return Ok(refuse(e)),
    };
    throttle::succeeded(&st, &throttle::account_bucket(&account), &post.address).await?;
    let token = session::start(
        &st,
        &account,
        Some("Your password is set and you are signed in."),
    )
    .await?;
    let mut res = see_other("/console/");
    let (k, v) = cookies::set(&st, &token);
    res.headers_mut().append(k, v);
    let (k, v) = cookies::set_device(&st, &throttle::device_token(&st, &account)?);
    res.headers_mut().append(k, v);
    Ok(res.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_console() {
        assert_eq!(safe_next(Some("/console/apps?x=1")), "/console/apps?x=1");
        for bad in [
            "//evil.example/console/",
            "https://evil.example/",
            "/console\\..\\x",
            "/other",
            "/console/\n",
            "/console/..//x",
            "/console/../x",
            "/console/./apps",
            "/console//evil.example",
            "/console/%2e%2e/x",
            "/console/%2E%2E%2Fx",
            "/console/apps%2f..%2f..%2fx",
            "/console/a/../../x?y=1",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/console/");
        // Dots inside a segment and in the query are plain.
        for good in [
            "/console/",
            "/console/apps/mp.v1/versions",
            "/console/audit?q=../x&page=2",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    id: String,
    name: String,
    role: &'static str,
    superapp: Option<String>,
    team: Option<String>,
    idle_minutes: i64,
    max_hours: i64,
}

/// `GET /console/account`: who is signed in.
pub async fn account(State(st): State<AppState>, s: Session) -> Response {
    let page = AccountPage {
        chrome: Chrome::new(&s, "Your account", "/console/account", None),
        id: s.caller.id.clone(),
        name: s.name.clone(),
        role: crate::console::page::role_label(s.caller.role),
        superapp: s.caller.superapp_id.clone(),
        team: s.caller.team_id.clone(),
        idle_minutes: st.console.session_idle / 60,
        max_hours: st.console.session_max / 3600,
    };
    render(StatusCode::OK, &page)
}

//! Platform (seed 003 "Platform management"): teams, accounts and their
//! invites. A new account's bearer token (for automation) and its invite
//! link are shown once, on the page that answers the form, never in a URL.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::{Action, Role};
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{render, role_label, Choice, Chrome, Page, Submitted, When};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::resources::accounts::{self, AccountInfo, NewAccount};
use crate::resources::invites::{self, Invite};
use crate::resources::superapps;
use crate::resources::teams::{self, NewTeam, Team};
use crate::state::AppState;

/// A list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page: Option<usize>,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    chrome: Chrome,
    page: Page<Team>,
    can_create: bool,
    sub: Submitted,
}

async fn teams_page(
    st: &AppState,
    s: &Session,
    number: usize,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    s.caller.require(Action::ViewAccounts)?;
    let all = teams::list(st, &s.caller).await?;
    let p = TeamsPage {
        chrome: Chrome::new(s, "Teams", "/console/platform/teams", None),
        page: Page::of(all, number, |n| format!("/console/platform/teams?page={n}")),
        can_create: s.caller.may_platform(Action::CreateTeam),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/platform/teams`.
pub async fn teams(
    State(st): State<AppState>,
    s: Session,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    teams_page(
        &st,
        &s,
        lq.page.unwrap_or(1),
        Submitted::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /console/platform/teams`: Create team.
pub async fn create_team(State(st): State<AppState>, post: Posted) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let b = NewTeam {
        id: f.text("id").trim().to_owned(),
        name: f.text("name").trim().to_owned(),
    };
    let result = teams::create(&st, &s.caller, b).await;
    Outcome::of(&st, &post, "team")
        .settle(
            result,
            |t| {
                Done::new(
                    "/console/platform/teams",
                    format!(
                        "Created team `{}`. Developer accounts can now join it.",
                        t.id
                    ),
                )
            },
            async |sub, status| teams_page(&st, s, 1, sub, status).await,
        )
        .await
}

struct AccountRow {
    info: AccountInfo,
    role_label: &'static str,
    created: When,
    /// Whether failed sign-ins slow it now (then an Unlock button shows).
    slowed: bool,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    page: Page<AccountRow>,
    roles: Vec<Choice>,
    superapps: Vec<String>,
    teams: Vec<Team>,
    can_create: bool,
    /// The signed-in account (which has no Disable button).
    me_id: String,
    sub: Submitted,
}

async fn accounts_page(
    st: &AppState,
    s: &Session,
    number: usize,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let all = accounts::list(st, &s.caller).await?;
    let mut rows = Vec::with_capacity(all.len());
    for info in all {
        rows.push(AccountRow {
            role_label: role_label(info.account.role),
            created: When::at(info.created_at),
            slowed: crate::throttle::slowed(st, &info.account.id).await?,
            info,
        });
    }
    let can_create = s.caller.may_platform(Action::CreateAccount);
    let role = sub
        .value_or("account", "role", Role::Developer.as_str())
        .to_owned();
    let p = AccountsPage {
        chrome: Chrome::new(
            s,
            "Accounts and invites",
            "/console/platform/accounts",
            None,
        ),
        page: Page::of(rows, number, |n| {
            format!("/console/platform/accounts?page={n}")
        }),
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: role_label(*r),
                checked: r.as_str() == role,
            })
            .collect(),
        superapps: superapps::list(st, &s.caller, None)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
        teams: teams::list(st, &s.caller).await?,
        can_create,
        me_id: s.caller.id.clone(),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/platform/accounts`.
pub async fn accounts(
    State(st): State<AppState>,
    s: Session,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    accounts_page(
        &st,
        &s,
        lq.page.unwrap_or(1),
        Submitted::none(),
        StatusCode::OK,
    )
    .await
}

fn new_account(f: &FormData) -> Result<NewAccount, ApiError> {
    let role = Role::parse(&f.text("role"))
        .ok_or_else(|| ApiError::bad("role", "choose one of the roles"))?;
    Ok(NewAccount {
        id: f.text("id").trim().to_owned(),
        name: f.text("name").trim().to_owned(),
        role,
        // Only the field the role uses is sent (the form shows both).
        superapp_id: f.optional("superapp_id").filter(|_| role.superapp_scoped()),
        team_id: f.optional("team_id").filter(|_| role == Role::Developer),
    })
}

#[derive(Template)]
#[template(path = "account_created.html")]
struct CreatedPage {
    chrome: Chrome,
    id: String,
    token: Option<String>,
    invite: Invite,
    expires: When,
}

fn created_page(s: &Session, id: String, token: Option<String>, invite: Invite) -> Response {
    let p = CreatedPage {
        chrome: Chrome::new(
            s,
            format!("Invite for {id}"),
            "/console/platform/accounts",
            None,
        ),
        expires: When::at(invite.expires_at),
        id,
        token,
        invite,
    };
    render(StatusCode::CREATED, &p)
}

/// `POST /console/platform/accounts`: the account, its bearer token and its
/// first invite, shown once.
pub async fn create_account(
    State(st): State<AppState>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let created = match new_account(f) {
        Ok(b) => accounts::create(&st, &s.caller, b).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(c) => {
            let invite = invites::issue(&st, &s.caller, &c.account.id).await?;
            Ok(created_page(s, c.account.id, Some(c.token), invite))
        }
        Err(e) => {
            Outcome::of(&st, &post, "account")
                .refuse(e, async |sub, status| {
                    accounts_page(&st, s, 1, sub, status).await
                })
                .await
        }
    }
}

async fn set_disabled(
    st: &AppState,
    id: &str,
    post: &Posted,
    disabled: bool,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = accounts::set_disabled(st, &s.caller, id, disabled).await;
    Outcome::of(st, post, "status")
        .settle(
            result,
            |_| {
                Done::new(
                    "/console/platform/accounts",
                    if disabled {
                        format!("Disabled `{id}`: its sessions ended; its token, password and invites do nothing.")
                    } else {
                        format!("Enabled `{id}`: its token and password work again.")
                    },
                )
            },
            async |sub, status| accounts_page(st, s, 1, sub, status).await,
        )
        .await
}

/// `POST /console/platform/accounts/{id}/disable`.
pub async fn disable(
    State(st): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    set_disabled(&st, &id, &post, true).await
}

/// `POST /console/platform/accounts/{id}/enable`.
pub async fn enable(
    State(st): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    set_disabled(&st, &id, &post, false).await
}

/// `POST /console/platform/accounts/{id}/unlock`: the account's failed
/// sign-ins are forgotten.
pub async fn unlock(
    State(st): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = accounts::unlock(&st, &s.caller, &id).await;
    Outcome::of(&st, &post, "status")
        .settle(
            result,
            |(forgotten, _)| {
                Done::new(
                    "/console/platform/accounts",
                    format!(
                        "Unlocked `{id}`: {forgotten} failed sign-in(s) forgotten; the right password signs in at once."
                    ),
                )
            },
            async |sub, status| accounts_page(&st, s, 1, sub, status).await,
        )
        .await
}

/// `POST /console/platform/accounts/{id}/invite`: a new invite link (the
/// account's unused ones stop working), shown once.
pub async fn invite(
    State(st): State<AppState>,
    Path(id): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match invites::issue(&st, &s.caller, &id).await {
        Ok(invite) => Ok(created_page(s, id, None, invite)),
        Err(e) => {
            Outcome::of(&st, &post, "invite")
                .refuse(e, async |sub, status| {
                    accounts_page(&st, s, 1, sub, status).await
                })
                .await
        }
    }
}

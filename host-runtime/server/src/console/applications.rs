//! Application management (seed 001): the application (superapp) list with
//! a team filter, Create and Modify, and the details with the configuration
//! file download and the sensitive APIs.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Action;
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{q, render, Chrome, Page, Submitted};
use crate::console::session::Session;
use crate::resources::applications::{self, Details};
use crate::resources::superapps::{self, NewSuperapp, Superapp, SuperappPatch};
use crate::resources::teams::{self, Team};
use crate::state::AppState;

struct Row {
    s: Superapp,
    can_modify: bool,
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    chrome: Chrome,
    teams: Vec<Team>,
    team: String,
    page: Page<Row>,
    can_create: bool,
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /console/applications[?team=…]`.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let team = lq.team.clone().unwrap_or_default();
    let all = superapps::list(
        &st,
        &s.caller,
        Some(team.as_str()).filter(|t| !t.is_empty()),
    )
    .await?;
    let rows = all
        .into_iter()
        .map(|a| Row {
            can_modify: s.caller.may(Action::ConfigureSuperapp, &a.id),
            s: a,
        })
        .collect();
    let p = ListPage {
        chrome: Chrome::new(&s, "Applications", "/console/applications", None),
        teams: teams::list(&st, &s.caller).await?,
        page: Page::of(rows, lq.page.unwrap_or(1), |n| {
            format!("/console/applications?team={}&page={n}", q(&team))
        }),
        team,
        can_create: s.caller.may_platform(Action::CreateSuperapp),
    };
    Ok(render(StatusCode::OK, &p))
}

#[derive(Template)]
#[template(path = "application_new.html")]
struct NewPage {
    chrome: Chrome,
    teams: Vec<Team>,
    sub: Submitted,
}

async fn new_page(
    st: &AppState,
    s: &Session,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    s.caller.require(Action::CreateSuperapp)?;
    let p = NewPage {
        chrome: Chrome::new(s, "Create application", "/console/applications", None),
        teams: teams::list(st, &s.caller).await?,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/applications/new`.
pub async fn new(State(st): State<AppState>, s: Session) -> Result<Response, PageError> {
    new_page(&st, &s, Submitted::none(), StatusCode::OK).await
}

/// A form's values without the SecretKey (write-only: never shown again,
/// not even on a refused form).
fn without_secret(f: &FormData) -> Vec<(String, String)> {
    f.values()
        .into_iter()
        .filter(|(k, _)| k != "secret_key")
        .collect()
}

/// `POST /console/applications`.
pub async fn create(State(st): State<AppState>, post: Posted) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let b = NewSuperapp {
        id: f.text("id").trim().to_owned(),
        name: f.text("name").trim().to_owned(),
        secret_key: f.text("secret_key"),
        backend_domain: f.text("backend_domain").trim().to_owned(),
        team_id: f.optional("team_id"),
        description: f.optional("description"),
        android_package: f.optional("android_package"),
        ios_bundle_id: f.optional("ios_bundle_id"),
    };
    let result = superapps::create(&st, &s.caller, b).await;
    Outcome::new(&st, s, "create", without_secret(f))
        .settle(
            result,
            |a| {
                Done::new(
                    format!("/console/applications/{}", a.id),
                    format!("Created application `{}`.", a.id),
                )
            },
            async |sub, status| new_page(&st, s, sub, status).await,
        )
        .await
}

#[derive(Template)]
#[template(path = "application.html")]
struct DetailPage {
    chrome: Chrome,
    d: Details,
    can_download: bool,
    can_modify: bool,
}

/// `GET /console/applications/{sid}`.
pub async fn detail(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
) -> Result<Response, PageError> {
    let d = applications::details(&st, &s.caller, &sid).await?;
    let p = DetailPage {
        chrome: Chrome::new(
            &s,
            d.superapp.name.clone(),
            "/console/applications",
            Some(&sid),
        ),
        can_download: s.caller.may(Action::DownloadConfig, &sid),
        can_modify: s.caller.may(Action::ConfigureSuperapp, &sid),
        d,
    };
    Ok(render(StatusCode::OK, &p))
}

/// `GET /console/applications/{sid}/config.json`: the configuration file,
/// downloaded (the same service as the API's).
pub async fn config(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
) -> Result<Response, PageError> {
    let body = applications::config(&st, &s.caller, &sid).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    applications::config_file_name(&sid)
                ),
            ),
        ],
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "application_edit.html")]
struct EditPage {
    chrome: Chrome,
    app: Superapp,
    android: String,
    ios: String,
    sub: Submitted,
}

async fn edit_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    s.caller.require_superapp(Action::ConfigureSuperapp, sid)?;
    let app = superapps::get(st, &s.caller, sid).await?;
    let p = EditPage {
        chrome: Chrome::new(
            s,
            format!("Modify {sid}"),
            "/console/applications",
            Some(sid),
        ),
        android: app.android_package.clone().unwrap_or_default(),
        ios: app.ios_bundle_id.clone().unwrap_or_default(),
        app,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/applications/{sid}/edit`.
pub async fn edit(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
) -> Result<Response, PageError> {
    edit_page(&st, &s, &sid, Submitted::none(), StatusCode::OK).await
}

/// `POST /console/applications/{sid}`: Modify (name, description, package
/// name, bundle ID).
pub async fn modify(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let b = SuperappPatch {
        name: Some(f.text("name").trim().to_owned()),
        description: Some(f.text("description").trim().to_owned()),
        android_package: f.optional("android_package"),
        ios_bundle_id: f.optional("ios_bundle_id"),
        ..SuperappPatch::default()
    };
    let result = superapps::configure(&st, &s.caller, &sid, b).await;
    Outcome::of(&st, &post, "modify")
        .settle(
            result,
            |_| {
                Done::new(
                    format!("/console/applications/{sid}"),
                    format!("Saved `{sid}`."),
                )
            },
            async |sub, status| edit_page(&st, s, &sid, sub, status).await,
        )
        .await
}

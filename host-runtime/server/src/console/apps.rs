//! The developer's screens (seed 000 "Mini program management"): their mini
//! programs, creating one (which files its binding request), and its API
//! permissions with Request permission and its reason.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use guard_core::{ApiStatus, AppKind};
use serde::Deserialize;

use crate::auth::{Action, Role};
use crate::console::apis::{done, Choice};
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::page::{render, Chrome, Page, Submitted};
use crate::console::session::Session;
use crate::http::error::ApiError;
use crate::resources::apps::{self, AppDetail, AppFilter, AppSummary, CreatedApp, NewApp};
use crate::resources::requests::{self, NewRequest};
use crate::resources::review::RequestStatus;
use crate::resources::{apis, superapps, teams};
use crate::state::AppState;

/// How people read an app kind.
pub fn kind_label(k: AppKind) -> &'static str {
    match k {
        AppKind::MiniProgram => "Mini program",
        AppKind::MiniGame => "Mini game",
    }
}

#[derive(Template)]
#[template(path = "my_apps.html")]
struct ListPage {
    chrome: Chrome,
    page: Page<AppSummary>,
    developer: bool,
    can_create: bool,
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /console/apps`: the team's mini programs (a developer), or every app
/// the caller may read.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let filter = AppFilter {
        superapp: None,
        team: s
            .caller
            .team_id
            .clone()
            .filter(|_| s.caller.role == Role::Developer),
    };
    let all = apps::list(&st, &s.caller, &filter).await?;
    let p = ListPage {
        chrome: Chrome::new(&s, "My mini programs", "/console/apps", None),
        page: Page::of(all, lq.page.unwrap_or(1), |n| {
            format!("/console/apps?page={n}")
        }),
        developer: s.caller.role == Role::Developer,
        can_create: s.caller.may_platform(Action::CreateApp),
    };
    Ok(render(StatusCode::OK, &p))
}

#[derive(Template)]
#[template(path = "app_new.html")]
struct NewPage {
    chrome: Chrome,
    superapps: Vec<String>,
    teams: Vec<String>,
    kinds: Vec<Choice>,
    sub: Submitted,
}

async fn new_page(
    st: &AppState,
    s: &Session,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    s.caller.require(Action::CreateApp)?;
    let superapps = superapps::list(st, &s.caller, None)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let teams = teams::list(st, &s.caller)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let kind = sub.value_or("create", "kind", "mini_program").to_owned();
    let p = NewPage {
        chrome: Chrome::new(s, "Create a mini program", "/console/apps/new", None),
        superapps,
        teams,
        kinds: AppKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: kind_label(*k),
                checked: k.as_str() == kind,
            })
            .collect(),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/apps/new`.
pub async fn new(State(st): State<AppState>, s: Session) -> Result<Response, PageError> {
    new_page(&st, &s, Submitted::none(), StatusCode::OK).await
}

fn new_app(f: &FormData) -> Result<(String, NewApp), ApiError> {
    let sid = f.text("superapp_id").trim().to_owned();
    if sid.is_empty() {
        return Err(ApiError::bad("superapp_id", "name the superapp to join"));
    }
    let kind = AppKind::parse(&f.text("kind"))
        .ok_or_else(|| ApiError::bad("kind", "choose mini program or mini game"))?;
    Ok((
        sid,
        NewApp {
            id: f.text("id").trim().to_owned(),
            name: f.text("name").trim().to_owned(),
            kind,
            team_id: f.text("team_id").trim().to_owned(),
        },
    ))
}

#[derive(Template)]
#[template(path = "app_created.html")]
struct CreatedPage {
    chrome: Chrome,
    app: CreatedApp,
}

/// `POST /console/apps`: the app and its binding request; the app secret is
/// shown on this page, once (never in a URL, never stored in clear).
pub async fn create(State(st): State<AppState>, post: Posted) -> Result<Response, PageError> {
    let s = &post.session;
    let result = match new_app(&post.form) {
        Ok((sid, b)) => apps::create(&st, &s.caller, &sid, b).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(app) => {
            let p = CreatedPage {
                chrome: Chrome::new(s, format!("Created {}", app.id), "/console/apps", None),
                app,
            };
            Ok(render(StatusCode::CREATED, &p))
        }
        Err(e) => {
            new_page(
                &st,
                s,
                Submitted::refused("create", post.form.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

struct PermissionRow {
    name: String,
    description: String,
    status: &'static str,
    state: &'static str,
    state_class: &'static str,
    note: String,
    can_request: bool,
}

#[derive(Template)]
#[template(path = "app_permissions.html")]
struct PermissionsPage {
    chrome: Chrome,
    app: AppDetail,
    rows: Vec<PermissionRow>,
    can_request: bool,
    sub: Submitted,
}

async fn permissions_page(
    st: &AppState,
    s: &Session,
    app_id: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let app = apps::get(st, &s.caller, app_id).await?;
    let mut rows = Vec::new();
    if app.bound {
        let list = apis::list(st, &s.caller, &app.superapp_id).await?;
        let reqs = requests::list_for_app(st, &s.caller, app_id).await?;
        for a in list.into_iter().filter(|a| a.scope.covers(app.kind)) {
            let restricted = a.status == ApiStatus::Restricted;
            let granted = app.granted_apis.contains(&a.name);
            let last = reqs.iter().rev().find(|r| r.api == a.name);
            let (state, state_class) = match (restricted, granted, last.map(|r| r.life.status)) {
                (false, _, _) => ("no permission needed", "public"),
                (true, true, _) => ("granted", "approved"),
                (true, false, Some(RequestStatus::Pending)) => ("requested: pending", "pending"),
                (true, false, Some(RequestStatus::Rejected)) => ("rejected", "rejected"),
                (true, false, Some(RequestStatus::Revoked)) => {
                    ("revoked: request again", "revoked")
                }
                (true, false, _) => ("not granted", "restricted"),
            };
            rows.push(PermissionRow {
                can_request: restricted
                    && !granted
                    && last.map(|r| r.life.status) != Some(RequestStatus::Pending),
                note: last.and_then(|r| r.life.note.clone()).unwrap_or_default(),
                status: a.status.as_str(),
                description: a.description.unwrap_or_default(),
                name: a.name,
                state,
                state_class,
            });
        }
    }
    let p = PermissionsPage {
        chrome: Chrome::new(
            s,
            format!("API permissions of {app_id}"),
            "/console/apps",
            None,
        ),
        can_request: s.caller.may_platform(Action::RequestPermission)
            && s.caller.require_team(&app.team_id).is_ok(),
        app,
        rows,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/apps/{app}/permissions`.
pub async fn permissions(
    State(st): State<AppState>,
    s: Session,
    Path(app): Path<String>,
) -> Result<Response, PageError> {
    permissions_page(&st, &s, &app, Submitted::none(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "app_request.html")]
struct RequestPage {
    chrome: Chrome,
    app: String,
    api: String,
    sub: Submitted,
}

fn request_page(s: &Session, app: &str, api: &str, sub: Submitted, status: StatusCode) -> Response {
    let p = RequestPage {
        chrome: Chrome::new(s, format!("Request {api}"), "/console/apps", None),
        app: app.to_owned(),
        api: api.to_owned(),
        sub,
    };
    render(status, &p)
}

/// `GET /console/apps/{app}/permissions/{api}`: the request form.
pub async fn request_form(
    State(st): State<AppState>,
    s: Session,
    Path((app, api)): Path<(String, String)>,
) -> Result<Response, PageError> {
    s.caller.require(Action::RequestPermission)?;
    apps::get(&st, &s.caller, &app).await?;
    Ok(request_page(
        &s,
        &app,
        &api,
        Submitted::none(),
        StatusCode::OK,
    ))
}

/// `POST /console/apps/{app}/requests`: Request permission, with its reason.
pub async fn request(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let api = post.form.text("api");
    let b = NewRequest {
        api: api.clone(),
        reason: post.form.text("reason").trim().to_owned(),
    };
    match requests::create(&st, &s.caller, &app, b).await {
        Ok(r) => {
            let msg = format!(
                "Requested `{}`: the superapp's reviewers decide (request `{}`).",
                r.api, r.life.id
            );
            done(&st, s, &format!("/console/apps/{app}/permissions"), &msg).await
        }
        Err(e) => Ok(request_page(
            s,
            &app,
            &api,
            Submitted::refused("request", post.form.values(), &e),
            e.status(),
        )),
    }
}

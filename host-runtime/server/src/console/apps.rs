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
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{kind_label, render, Choice, Chrome, Page, Submitted};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::resources::apps::{self, AppDetail, AppFilter, AppSummary, CreatedApp, NewApp};
use crate::resources::requests::{self, NewRequest};
use crate::resources::review::RequestStatus;
use crate::resources::{apis, superapps, teams};
use crate::state::AppState;

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
            Outcome::of(&st, &post, "create")
                .refuse(e, async |sub, status| new_page(&st, s, sub, status).await)
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
    let result = requests::create(&st, &s.caller, &app, b).await;
    Outcome::of(&st, &post, "request")
        .settle(
            result,
            |r| {
                Done::new(
                    format!("/console/apps/{app}/permissions"),
                    format!(
                        "Requested `{}`: the superapp's reviewers decide (request `{}`).",
                        r.api, r.life.id
                    ),
                )
            },
            async |sub, status| Ok(request_page(s, &app, &api, sub, status)),
        )
        .await
}

struct VersionRow {
    app_version: String,
    description: String,
    short_sha: String,
    size: i64,
    uploaded_by: String,
    when: crate::console::page::When,
    review: &'static str,
    note: String,
    can_submit: bool,
}

#[derive(Template)]
#[template(path = "app_versions.html")]
struct VersionsPage {
    chrome: Chrome,
    app: AppDetail,
    versions: Page<VersionRow>,
    released: Option<String>,
    removed: bool,
    can_upload: bool,
    max_mib: usize,
    sub: Submitted,
}

async fn versions_page(
    st: &AppState,
    s: &Session,
    app_id: &str,
    number: usize,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    use crate::resources::{releases, versions};
    let app = apps::get(st, &s.caller, app_id).await?;
    let summary = apps::list(
        st,
        &s.caller,
        &AppFilter {
            superapp: Some(app.superapp_id.clone()),
            team: Some(app.team_id.clone()),
        },
    )
    .await?
    .into_iter()
    .find(|a| a.id == app_id);
    let released = summary.as_ref().and_then(|a| a.release_version.clone());
    let removed = summary.is_some_and(|a| a.removed);
    let reviews = releases::list_for_app(st, &s.caller, app_id).await?;
    let rows = versions::list(st, &s.caller, app_id)
        .await?
        .into_iter()
        .map(|v| {
            let last = reviews
                .iter()
                .rev()
                .find(|r| r.app_version == v.app_version);
            let is_released = released.as_deref() == Some(v.app_version.as_str()) && !removed;
            let review = match (is_released, last.map(|r| r.life.status)) {
                (true, _) => "released",
                (false, Some(RequestStatus::Pending)) => "pending",
                (false, Some(RequestStatus::Approved)) => "approved",
                (false, Some(RequestStatus::Rejected)) => "rejected",
                _ => "",
            };
            VersionRow {
                can_submit: app.bound && !is_released && review != "pending",
                note: last.and_then(|r| r.life.note.clone()).unwrap_or_default(),
                short_sha: v.package_sha256.chars().take(12).collect(),
                when: crate::console::page::When::at(v.created_at),
                app_version: v.app_version,
                description: v.description,
                size: v.size,
                uploaded_by: v.uploaded_by,
                review,
            }
        })
        .collect();
    let base = format!("/console/apps/{app_id}/versions");
    let p = VersionsPage {
        chrome: Chrome::new(s, format!("Versions of {app_id}"), "/console/apps", None),
        can_upload: s.caller.may_platform(Action::UploadVersion)
            && s.caller.require_team(&app.team_id).is_ok(),
        versions: Page::of(rows, number, |n| format!("{base}?page={n}")),
        max_mib: st.limits.max_package_bytes / (1024 * 1024),
        released,
        removed,
        app,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/apps/{app}/versions`.
pub async fn versions(
    State(st): State<AppState>,
    s: Session,
    Path(app): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    versions_page(
        &st,
        &s,
        &app,
        lq.page.unwrap_or(1),
        Submitted::none(),
        StatusCode::OK,
    )
    .await
}

/// The fields of a multipart upload form, and its package.
async fn read_upload(
    mut mp: axum::extract::Multipart,
) -> Result<(FormData, axum::body::Bytes), ApiError> {
    let mut fields = Vec::new();
    let mut package = axum::body::Bytes::new();
    let part_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad("package", "is larger than the configured limit")
        } else {
            ApiError::bad(
                "package",
                format!("the upload did not arrive whole: {}", e.body_text()),
            )
        }
    };
    while let Some(field) = mp.next_field().await.map_err(part_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "package" {
            package = field.bytes().await.map_err(part_error)?;
        } else {
            let value = field.text().await.map_err(part_error)?;
            fields.push((name, value));
        }
    }
    Ok((FormData(fields), package))
}

/// `POST /console/apps/{app}/versions` (multipart: the version, what
/// changed, the zip): the same checks as the API's upload.
pub async fn upload(
    State(st): State<AppState>,
    s: Session,
    Path(app): Path<String>,
    mp: axum::extract::Multipart,
) -> Result<Response, PageError> {
    use crate::resources::versions::{self, Upload};
    let (form, package) = match read_upload(mp).await {
        Ok(x) => x,
        Err(e) => {
            return Outcome::new(&st, &s, "upload", Vec::new())
                .refuse(e, async |sub, status| {
                    versions_page(&st, &s, &app, 1, sub, status).await
                })
                .await;
        }
    };
    crate::console::csrf::check_token(&s.csrf, form.get("csrf"))?;
    let meta = Upload {
        app_version: form.text("app_version").trim().to_owned(),
        description: form.text("description").trim().to_owned(),
    };
    let result = if package.is_empty() {
        Err(ApiError::bad("package", "choose the zip to upload"))
    } else {
        versions::upload(&st, &s.caller, &app, &meta, &package).await
    };
    // The API names the zip `body`; the form calls it `package`.
    let result = result.map_err(|e| match e {
        ApiError::BadRequest { field, reason } if field == "body" => {
            ApiError::bad("package", reason)
        }
        ApiError::TooLarge => ApiError::bad("package", "is larger than the configured limit"),
        other => other,
    });
    Outcome::new(&st, &s, "upload", form.values())
        .settle(
            result,
            |v| {
                Done::new(
                    format!("/console/apps/{app}/versions"),
                    format!(
                        "Uploaded version `{}` ({} files). Submit it for review when ready.",
                        v.item.version.app_version, v.item.entries
                    ),
                )
            },
            async |sub, status| versions_page(&st, &s, &app, 1, sub, status).await,
        )
        .await
}

/// `POST /console/apps/{app}/releases`: Submit for review.
pub async fn submit(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    use crate::resources::releases::{self, Submit};
    let s = &post.session;
    let b = Submit {
        app_version: post.form.text("app_version"),
    };
    let result = releases::submit(&st, &s.caller, &app, b).await;
    Outcome::of(&st, &post, "submit")
        .settle(
            result,
            |r| {
                Done::new(
                    format!("/console/apps/{app}/versions"),
                    format!(
                        "Submitted version `{}` for review (`{}`).",
                        r.item.app_version, r.item.life.id
                    ),
                )
            },
            async |sub, status| versions_page(&st, s, &app, 1, sub, status).await,
        )
        .await
}

//! Sensitive API management (seed 000): the status list with Restrict and
//! Allow, Add sensitive API (platform APIs from the catalogue, with search;
//! custom APIs with name, function and scope), and the API details with the
//! authorized mini programs and mini games and Revoke.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use guard_core::{ApiStatus, ApiType, Scope};
use serde::Deserialize;

use crate::auth::Action;
use crate::console::confirm::{self, Confirm};
use crate::console::errors::PageError;
use crate::console::forms::{reason_asked, FormData, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{humane, q, render, Choice, Chrome, Page, Submitted, When};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::resources::apis::{self, ApiEntry, NewApi};
use crate::resources::requests;
use crate::state::AppState;

/// How people read a scope.
pub fn scope_label(s: Scope) -> &'static str {
    match s {
        Scope::All => "mini programs and mini games",
        Scope::MiniProgram => "mini programs",
        Scope::MiniGame => "mini games",
    }
}

/// How people read a status.
pub fn status_label(s: ApiStatus) -> &'static str {
    match s {
        ApiStatus::Public => "Public",
        ApiStatus::Restricted => "Restricted",
    }
}

/// The scope choices, `current` checked.
pub fn scope_choices(current: &str) -> Vec<Choice> {
    Scope::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: scope_label(*s),
            checked: s.as_str() == current,
        })
        .collect()
}

/// One row of the list: an API, or (contract v3) a permission group as one
/// row with its APIs, since restricting, allowing, granting and revoking
/// act on the whole group.
struct ApiRow {
    /// The listed API the row's buttons post (for a group, its first
    /// listed API: the service acts on the group).
    name: String,
    /// What the row is called: the API, or the group (`scope.userLocation`).
    title: String,
    /// A group's APIs (empty for an API in no group).
    group_apis: Vec<String>,
    api_type: ApiType,
    scope_label: &'static str,
    description: String,
    status: &'static str,
    status_label: &'static str,
    restricted: bool,
    custom: bool,
}

/// The list's rows: one per API in no group, one per permission group
/// (restricted when any of its listed APIs is: the stricter reading), in the
/// list's order.
fn rows_of(all: Vec<ApiEntry>) -> Vec<ApiRow> {
    let mut rows: Vec<ApiRow> = Vec::new();
    for a in all {
        let restricted = a.status == ApiStatus::Restricted;
        if !a.group_apis.is_empty() {
            if let Some(r) = rows.iter_mut().find(|r| r.title == a.permission) {
                if restricted && !r.restricted {
                    r.restricted = true;
                    r.status = a.status.as_str();
                    r.status_label = status_label(a.status);
                }
                continue;
            }
        }
        let grouped = !a.group_apis.is_empty();
        rows.push(ApiRow {
            title: if grouped {
                a.permission
            } else {
                a.name.clone()
            },
            group_apis: a.group_apis,
            scope_label: scope_label(a.scope),
            status: a.status.as_str(),
            status_label: status_label(a.status),
            restricted,
            custom: a.api_type == ApiType::Custom,
            description: a.description.unwrap_or_default(),
            api_type: a.api_type,
            name: a.name,
        });
    }
    rows
}

/// Whether a row or catalogue entry matches the search `needle` (lower
/// case): its name, its group's APIs or its function.
fn matches(needle: &str, title: &str, apis: &[String], description: &str) -> bool {
    needle.is_empty()
        || title.to_lowercase().contains(needle)
        || apis.iter().any(|a| a.to_lowercase().contains(needle))
        || description.to_lowercase().contains(needle)
}

#[derive(Template)]
#[template(path = "apis.html")]
struct ApisPage {
    chrome: Chrome,
    sid: String,
    query: String,
    page: Page<ApiRow>,
    can_manage: bool,
    can_approvals: bool,
    sub: Submitted,
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

async fn list_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    lq: &ListQuery,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let all = apis::list(st, &s.caller, sid).await?;
    let query = lq.q.clone().unwrap_or_default();
    let needle = query.trim().to_lowercase();
    let rows: Vec<ApiRow> = rows_of(all)
        .into_iter()
        .filter(|r| matches(&needle, &r.title, &r.group_apis, &r.description))
        .collect();
    let base = format!("/console/superapps/{sid}/apis");
    let page = Page::of(rows, lq.page.unwrap_or(1), |n| {
        format!("{base}?q={}&page={n}", q(&query))
    });
    let p = ApisPage {
        chrome: Chrome::new(s, "Sensitive API management", &base, Some(sid)),
        sid: sid.to_owned(),
        query,
        page,
        can_manage: s.caller.may(Action::ManageApis, sid),
        can_approvals: s.caller.may(Action::ViewApprovals, sid),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/apis`.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&st, &s, &sid, &lq, Submitted::none(), StatusCode::OK).await
}

/// One row of the platform catalogue: an API, or a permission group as one
/// row with its APIs; a utility that cannot be restricted says why and has
/// no Add button.
struct CatalogueRow {
    /// The API the Add button posts (a group's first API: adding one API of
    /// a group restricts the group).
    name: &'static str,
    /// The API, or the group's name.
    title: &'static str,
    /// A group's APIs.
    group_apis: Vec<String>,
    /// Why it cannot be restricted.
    not_restrictable: Option<&'static str>,
}

/// The catalogue rows not in the list yet: a group is left out once any of
/// its APIs is listed (it is restricted or allowed as one from the list).
fn catalogue_rows(listed: &[String], needle: &str) -> Vec<CatalogueRow> {
    let mut rows: Vec<CatalogueRow> = Vec::new();
    for n in guard_core::catalogue::names() {
        if listed.iter().any(|l| l == n) {
            continue;
        }
        let row = match guard_core::groups::group_of(n) {
            Some(g) => {
                let apis = guard_core::groups::group(g).map_or(&[][..], |(_, a)| a);
                if rows.iter().any(|r| r.title == g)
                    || apis.iter().any(|a| listed.iter().any(|l| l == a))
                {
                    continue;
                }
                CatalogueRow {
                    name: n,
                    title: g,
                    group_apis: apis.iter().map(|a| (*a).to_owned()).collect(),
                    not_restrictable: None,
                }
            }
            None => CatalogueRow {
                name: n,
                title: n,
                group_apis: Vec::new(),
                not_restrictable: apis::not_restrictable(n),
            },
        };
        if matches(needle, row.title, &row.group_apis, "") {
            rows.push(row);
        }
    }
    rows
}

#[derive(Template)]
#[template(path = "api_new.html")]
struct NewPage {
    chrome: Chrome,
    sid: String,
    query: String,
    catalogue: Page<CatalogueRow>,
    scopes: Vec<Choice>,
    sub: Submitted,
}

async fn new_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    lq: &ListQuery,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    // The form is for those who may manage APIs; the service refuses anyway.
    s.caller.require_superapp(Action::ManageApis, sid)?;
    let listed: Vec<String> = apis::list(st, &s.caller, sid)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    let query = lq.q.clone().unwrap_or_default();
    let needle = query.trim().to_lowercase();
    let base = format!("/console/superapps/{sid}/apis/new");
    let catalogue = Page::of(
        catalogue_rows(&listed, &needle),
        lq.page.unwrap_or(1),
        |n| format!("{base}?q={}&page={n}", q(&query)),
    );
    let p = NewPage {
        chrome: Chrome::new(
            s,
            "Add sensitive API",
            &format!("/console/superapps/{sid}/apis"),
            Some(sid),
        ),
        sid: sid.to_owned(),
        query,
        catalogue,
        scopes: scope_choices(sub.value_or("custom", "scope", "all")),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/apis/new`.
pub async fn new(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    new_page(&st, &s, &sid, &lq, Submitted::none(), StatusCode::OK).await
}

/// The new API a form describes (the API's own parsing of each field).
fn new_api(f: &FormData) -> Result<NewApi, ApiError> {
    let api_type = ApiType::parse(&f.text("type"))
        .ok_or_else(|| ApiError::bad("type", "must be `system` or `custom`"))?;
    let scope = match f.optional("scope") {
        None => Scope::All,
        Some(s) => Scope::parse(&s)
            .ok_or_else(|| ApiError::bad("scope", format!("`{s}` is not a scope")))?,
    };
    Ok(NewApi {
        name: f.text("name").trim().to_owned(),
        api_type,
        scope,
        description: f.optional("description"),
        status: ApiStatus::Restricted,
    })
}

/// `POST /console/superapps/{sid}/apis`: add a platform or custom API.
pub async fn add(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let form = if post.form.get("type") == Some("custom") {
        "custom"
    } else {
        "system"
    };
    let result = match new_api(&post.form) {
        Ok(b) => apis::add(&st, &s.caller, &sid, b).await,
        Err(e) => Err(e),
    };
    Outcome::of(&st, &post, form)
        // Refused a field (after the permission checks): every field's
        // refusal at once.
        .every(|e| match (e, new_api(&post.form)) {
            (ApiError::BadRequest { .. }, Ok(b)) => apis::new_api_errors(&b),
            _ => Vec::new(),
        })
        .settle(
            result,
            |d| {
                Done::new(
                    format!("/console/superapps/{sid}/apis"),
                    format!(
                        "Added `{}` to the sensitive API list (restricted).",
                        d.item.name
                    ),
                )
            },
            async |sub, status| new_page(&st, s, &sid, &ListQuery::default(), sub, status).await,
        )
        .await
}

/// `POST /console/superapps/{sid}/apis/{name}/status`: Restrict or Allow.
pub async fn set_status(
    State(st): State<AppState>,
    Path((sid, name)): Path<(String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let status = match post.form.get("status") {
        Some("public") => Ok(ApiStatus::Public),
        Some("restricted") => Ok(ApiStatus::Restricted),
        _ => Err(ApiError::bad("status", "must be `public` or `restricted`")),
    };
    let back_detail = post.form.get("back") == Some("detail");
    if matches!(status, Ok(ApiStatus::Public)) && !confirm::confirmed(&post.form) {
        if let Some(page) = allow_confirm(&st, s, &sid, &name, back_detail, &post.form).await? {
            return Ok(page);
        }
    }
    let result = match status {
        Ok(status) => apis::set_status(&st, &s.caller, &sid, &name, status).await,
        Err(e) => Err(e),
    };
    let to = if back_detail {
        format!("/console/superapps/{sid}/apis/{name}")
    } else {
        format!("/console/superapps/{sid}/apis")
    };
    Outcome::of(&st, &post, "status")
        .settle(
            result,
            |d| {
                let label = status_label(d.item.status).to_lowercase();
                Done::new(to, format!("`{name}` is now {label}."))
            },
            async |sub, status| {
                if back_detail {
                    detail_page(&st, s, &sid, &name, sub, status).await
                } else {
                    list_page(&st, s, &sid, &ListQuery::default(), sub, status).await
                }
            },
        )
        .await
}

/// The confirm step of Allow (decision 474): an allowed API is callable by
/// every mini program and mini game of the superapp without approval.
/// `None` when there is nothing to confirm (the API is not listed, or the
/// caller may not manage APIs: the service answers those).
async fn allow_confirm(
    st: &AppState,
    s: &Session,
    sid: &str,
    name: &str,
    back_detail: bool,
    f: &FormData,
) -> Result<Option<Response>, PageError> {
    if !s.caller.may(Action::ManageApis, sid) {
        return Ok(None);
    }
    let Ok(api) = apis::get(st, &s.caller, sid, name).await else {
        return Ok(None);
    };
    let (what, apis_line) = if api.group_apis.is_empty() {
        (format!("`{name}`"), None)
    } else {
        (
            format!("the permission group `{}`", api.permission),
            Some(format!("It covers {}.", api.group_apis.join(", "))),
        )
    };
    let list = format!("/console/superapps/{sid}/apis");
    let back = if back_detail {
        format!("{list}/{name}")
    } else {
        list.clone()
    };
    let mut consequences = vec![
        format!(
            "Every mini program and mini game of {sid} may call it without asking: no approval is needed, and its approvals no longer limit who calls it."
        ),
        "Restricting it again later takes effect with the next bundle each device fetches.".to_owned(),
    ];
    consequences.extend(apis_line);
    let c = Confirm {
        title: format!("Allow {} for every mini program?", humane(&what)),
        question: humane(&format!(
            "Allowing {what} makes it public in {sid}'s sensitive API list."
        )),
        consequences,
        yes: "Allow for every mini program".into(),
        action: format!("{list}/{name}/status"),
        back,
        back_label: "Sensitive API management".into(),
        fields: confirm::repost(f),
    };
    Ok(Some(confirm::page(s, &list, Some(sid), c)))
}

/// `POST /console/superapps/{sid}/apis/{name}/delete`: custom APIs only.
pub async fn delete(
    State(st): State<AppState>,
    Path((sid, name)): Path<(String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = apis::delete(&st, &s.caller, &sid, &name).await;
    Outcome::of(&st, &post, "status")
        .settle(
            result,
            |_| {
                Done::new(
                    format!("/console/superapps/{sid}/apis"),
                    format!("Deleted the custom API `{name}`."),
                )
            },
            async |sub, status| list_page(&st, s, &sid, &ListQuery::default(), sub, status).await,
        )
        .await
}

struct AuthorizedRow {
    app_id: String,
    kind: String,
    team_id: String,
    request_id: String,
    when: When,
}

#[derive(Template)]
#[template(path = "api_detail.html")]
struct DetailPage {
    chrome: Chrome,
    sid: String,
    api: ApiEntry,
    scope_label: &'static str,
    status_label: &'static str,
    restricted: bool,
    authorized: Vec<AuthorizedRow>,
    can_manage: bool,
    can_revoke: bool,
    can_see_authorized: bool,
    sub: Submitted,
}

async fn detail_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    name: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let api = apis::get(st, &s.caller, sid, name).await?;
    let can_see_authorized = s.caller.may(Action::ViewApprovals, sid);
    let authorized = if can_see_authorized {
        apis::authorized(st, &s.caller, sid, name)
            .await?
            .into_iter()
            .map(|a| AuthorizedRow {
                when: When::at(a.granted_at),
                app_id: a.app_id,
                kind: a.kind,
                team_id: a.team_id,
                request_id: a.request_id,
            })
            .collect()
    } else {
        Vec::new()
    };
    let p = DetailPage {
        chrome: Chrome::new(
            s,
            format!("Sensitive API {name}"),
            &format!("/console/superapps/{sid}/apis"),
            Some(sid),
        ),
        sid: sid.to_owned(),
        scope_label: scope_label(api.scope),
        status_label: status_label(api.status),
        restricted: api.status == ApiStatus::Restricted,
        api,
        authorized,
        can_manage: s.caller.may(Action::ManageApis, sid),
        can_revoke: s.caller.may(Action::Revoke, sid),
        can_see_authorized,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/apis/{name}`.
pub async fn detail(
    State(st): State<AppState>,
    s: Session,
    Path((sid, name)): Path<(String, String)>,
) -> Result<Response, PageError> {
    detail_page(&st, &s, &sid, &name, Submitted::none(), StatusCode::OK).await
}

/// `POST /console/apps/{app}/grants/{api}/revoke`: the app must request again.
pub async fn revoke(
    State(st): State<AppState>,
    Path((app, api)): Path<(String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let sid = crate::resources::apps::get(&st, &s.caller, &app)
        .await?
        .superapp_id;
    let reason = post.form.text("reason");
    let acts = s.caller.may(Action::Revoke, &sid);
    let result = match reason_asked(acts, "reason", &reason, "revoke it") {
        Ok(()) => requests::revoke(&st, &s.caller, &app, &api, Some(&reason)).await,
        Err(e) => Err(e),
    };
    Outcome::of(&st, &post, "revoke")
        .settle(
            result,
            |_| {
                Done::new(
                    format!("/console/superapps/{sid}/apis/{api}"),
                    format!("Revoked `{app}`'s authorization for `{api}`: it must request again."),
                )
            },
            async |sub, status| detail_page(&st, s, &sid, &api, sub, status).await,
        )
        .await
}

//! Mini program review (seed 001): the pending and reviewed release
//! requests with team and app filters, the review page (approve or reject
//! with a note, the package's files listed and downloadable), the released
//! list with QR code downloads, and Remove.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Action;
use crate::console::decision::{decision, Tab};
use crate::console::errors::PageError;
use crate::console::forms::{reason_asked, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{q, render, Chrome, Page, Submitted, When};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::resources::apps::{self, AppFilter};
use crate::resources::package_review;
use crate::resources::releases::{self, Filter, Release};
use crate::resources::review::{RequestStatus, Verdict};
use crate::resources::versions;
use crate::state::AppState;

struct Row {
    id: String,
    app_id: String,
    team_id: String,
    app_version: String,
    requested_by: String,
    created: When,
    status: &'static str,
    pending: bool,
}

struct ReleasedRow {
    app_id: String,
    name: String,
    team_id: String,
    app_version: String,
    released_by: String,
    when: Option<When>,
    qrcode_png: String,
    qrcode_svg: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ListPage {
    chrome: Chrome,
    sid: String,
    tab: String,
    team: String,
    app: String,
    teams: Vec<String>,
    apps: Vec<String>,
    tabs: Vec<Tab>,
    page: Page<Row>,
    released: Page<ReleasedRow>,
    can_decide: bool,
    can_remove: bool,
    sub: Submitted,
}

/// The list's query: `tab` is `pending`, `reviewed` or `released`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    app: Option<String>,
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
    let tab = match lq.tab.as_deref() {
        Some("reviewed") => "reviewed",
        Some("released") => "released",
        _ => "pending",
    };
    let team = lq.team.clone().unwrap_or_default();
    let app = lq.app.clone().unwrap_or_default();
    let f = |status: Option<&str>| Filter {
        status: status.map(str::to_owned),
        team: Some(team.clone()).filter(|t| !t.is_empty()),
        app: Some(app.clone()).filter(|a| !a.is_empty()),
    };
    let pending = releases::list(st, &s.caller, sid, &f(Some("pending"))).await?;
    let mut reviewed = releases::list(st, &s.caller, sid, &f(Some("reviewed"))).await?;
    reviewed.reverse();
    let released = releases::released(st, &s.caller, sid, &f(None)).await?;
    let bound = apps::list(
        st,
        &s.caller,
        &AppFilter {
            superapp: Some(sid.to_owned()),
            team: None,
        },
    )
    .await?;
    let mut teams: Vec<String> = bound.iter().map(|a| a.team_id.clone()).collect();
    teams.sort();
    teams.dedup();
    let base = format!("/console/superapps/{sid}/review");
    let link =
        |t: &str, n: usize| format!("{base}?tab={t}&team={}&app={}&page={n}", q(&team), q(&app));
    let tabs = vec![
        Tab {
            label: "Pending",
            href: link("pending", 1),
            current: tab == "pending",
            count: pending.len(),
        },
        Tab {
            label: "Reviewed",
            href: link("reviewed", 1),
            current: tab == "reviewed",
            count: reviewed.len(),
        },
        Tab {
            label: "Released",
            href: link("released", 1),
            current: tab == "released",
            count: released.len(),
        },
    ];
    let rows: Vec<Row> = if tab == "reviewed" { reviewed } else { pending }
        .into_iter()
        .map(|r: Release| Row {
            pending: r.life.status == RequestStatus::Pending,
            status: r.life.status.as_str(),
            created: When::at(r.life.created_at),
            id: r.life.id,
            app_id: r.life.app_id,
            team_id: r.team_id,
            app_version: r.app_version,
            requested_by: r.life.requested_by,
        })
        .collect();
    let released_rows: Vec<ReleasedRow> = released
        .into_iter()
        .map(|r| ReleasedRow {
            when: r.released_at.map(When::at),
            released_by: r.released_by.unwrap_or_default(),
            app_id: r.app_id,
            name: r.name,
            team_id: r.team_id,
            app_version: r.app_version,
            qrcode_png: r.qrcode_png,
            qrcode_svg: r.qrcode_svg,
        })
        .collect();
    let number = lq.page.unwrap_or(1);
    let p = ListPage {
        chrome: Chrome::new(s, "Mini program review", &base, Some(sid)),
        page: Page::of(rows, number, |n| link(tab, n)),
        released: Page::of(released_rows, number, |n| link("released", n)),
        apps: bound.into_iter().map(|a| a.id).collect(),
        teams,
        tabs,
        can_decide: s.caller.may(Action::DecideRelease, sid),
        can_remove: s.caller.may(Action::RemoveRelease, sid),
        sid: sid.to_owned(),
        tab: tab.to_owned(),
        team,
        app,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/review[?tab=…&team=…&app=…]`.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    list_page(&st, &s, &sid, &lq, Submitted::none(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "review_detail.html")]
struct DetailPage {
    chrome: Chrome,
    sid: String,
    r: Release,
    description: String,
    size: i64,
    created: When,
    pending: bool,
    can_decide: bool,
    /// The package's files, for whoever may open it (an old package that
    /// fails today's checks: why).
    files: Option<Result<Vec<package_review::File>, String>>,
    shown: usize,
    sub: Submitted,
}

/// Most files the review page lists (a package may hold 10,000).
const SHOWN_FILES: usize = 500;

async fn detail_page(
    st: &AppState,
    s: &Session,
    rid: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let r = releases::get(st, &s.caller, rid).await?;
    let sid = r.life.superapp_id.clone();
    let version = versions::list(st, &s.caller, &r.life.app_id)
        .await?
        .into_iter()
        .find(|v| v.app_version == r.app_version);
    let files = if s.caller.may(Action::DownloadPackage, &sid) {
        match package_review::files(st, &s.caller, rid).await {
            Ok(f) => Some(Ok(f.files)),
            Err(ApiError::Conflict(why)) => Some(Err(why)),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let p = DetailPage {
        chrome: Chrome::new(
            s,
            "Review",
            &format!("/console/superapps/{sid}/review"),
            Some(&sid),
        ),
        description: version
            .as_ref()
            .map(|v| v.description.clone())
            .unwrap_or_default(),
        size: version.map_or(0, |v| v.size),
        created: When::at(r.life.created_at),
        pending: r.life.status == RequestStatus::Pending,
        can_decide: s.caller.may(Action::DecideRelease, &sid),
        files,
        shown: SHOWN_FILES,
        sid,
        r,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/releases/{rid}/package`: the zip, for its reviewers.
pub async fn package(
    State(st): State<AppState>,
    s: Session,
    Path(rid): Path<String>,
) -> Result<Response, PageError> {
    let (r, bytes) = package_review::package(&st, &s.caller, &rid).await?;
    Ok(package_review::attachment(&r, bytes))
}

/// `GET /console/superapps/{sid}/review/{rid}`.
pub async fn detail(
    State(st): State<AppState>,
    s: Session,
    Path((_sid, rid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    detail_page(&st, &s, &rid, Submitted::none(), StatusCode::OK).await
}

/// `POST /console/releases/{rid}/decision`.
pub async fn decide(
    State(st): State<AppState>,
    Path(rid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = match decision(&post.form) {
        Ok(d) if d.decision == Verdict::Reject => {
            let r = releases::get(&st, &s.caller, &rid).await?;
            let acts = r.life.status == RequestStatus::Pending
                && s.caller.may(Action::DecideRelease, &r.life.superapp_id);
            match reason_asked(acts, "note", &d.note, "reject it") {
                Ok(()) => releases::decide(&st, &s.caller, &rid, d).await,
                Err(e) => Err(e),
            }
        }
        Ok(d) => releases::decide(&st, &s.caller, &rid, d).await,
        Err(e) => Err(e),
    };
    Outcome::of(&st, &post, "decide")
        .settle(
            result,
            |d| {
                let r = &d.item;
                let (verb, tab) = if r.life.status == RequestStatus::Approved {
                    ("Released", "released")
                } else {
                    ("Rejected", "reviewed")
                };
                Done::new(
                    format!("/console/superapps/{}/review?tab={tab}", r.life.superapp_id),
                    format!("{verb} `{}` version `{}`.", r.life.app_id, r.app_version),
                )
            },
            async |sub, status| detail_page(&st, s, &rid, sub, status).await,
        )
        .await
}

/// `POST /console/apps/{app}/release/remove`: off the shelf.
pub async fn remove(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    // Where to go back to is the app's superapp, never a form field.
    let sid = apps::get(&st, &s.caller, &app).await?.superapp_id;
    let reason = post.form.text("reason");
    let acts = s.caller.may(Action::RemoveRelease, &sid);
    let result = match reason_asked(acts, "reason", &reason, "remove it") {
        Ok(()) => releases::remove(&st, &s.caller, &app, Some(&reason)).await,
        Err(e) => Err(e),
    };
    let lq = ListQuery {
        tab: Some("released".into()),
        ..ListQuery::default()
    };
    Outcome::of(&st, &post, "remove")
        .settle(
            result,
            |d| {
                Done::new(
                    format!("/console/superapps/{sid}/review?tab=released"),
                    format!(
                        "Removed `{}` (version `{}`): every check of it now fails with app_removed.",
                        d.item.app_id, d.item.app_version
                    ),
                )
            },
            async |sub, status| list_page(&st, s, &sid, &lq, sub, status).await,
        )
        .await
}

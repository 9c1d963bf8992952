//! The audit log of a superapp or of the platform, newest first, filtered
//! by actor, action and target, paged in the store.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::change::PLATFORM;
use crate::console::errors::PageError;
use crate::console::page::{q, render, see_other, Chrome, Page, When, PAGE_SIZE};
use crate::console::session::Session;
use crate::resources::audit::{self, AuditFilter};
use crate::state::AppState;

/// The page's query: the filter and the page.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

struct Row {
    version: i64,
    actor: String,
    action: String,
    target: String,
    before: String,
    after: String,
    when: When,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    scope: String,
    platform: bool,
    base: String,
    actor: String,
    action: String,
    target: String,
    actors: Vec<String>,
    actions: Vec<String>,
    page: Page<Row>,
}

fn pretty(v: Option<serde_json::Value>) -> String {
    v.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
        .unwrap_or_default()
}

async fn audit_page(
    st: &AppState,
    s: &Session,
    scope: &str,
    aq: AuditQuery,
) -> Result<Response, PageError> {
    let platform = scope == PLATFORM;
    let base = if platform {
        "/console/platform/audit".to_owned()
    } else {
        format!("/console/superapps/{scope}/audit")
    };
    let blank = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let filter = AuditFilter {
        actor: blank(aq.actor),
        action: blank(aq.action),
        target: blank(aq.target),
    };
    let number = aq.page.unwrap_or(1).max(1);
    let size = i64::try_from(PAGE_SIZE).unwrap_or(20);
    let offset = i64::try_from(number - 1).unwrap_or(0).saturating_mul(size);
    let found = audit::search(st, &s.caller, scope, &filter, offset, size).await?;
    let (actor, action, target) = (
        filter.actor.unwrap_or_default(),
        filter.action.unwrap_or_default(),
        filter.target.unwrap_or_default(),
    );
    let rows = found
        .records
        .into_iter()
        .map(|r| Row {
            when: When::at(r.at),
            before: pretty(r.before),
            after: pretty(r.after),
            version: r.version,
            actor: r.actor,
            action: r.action,
            target: r.target,
        })
        .collect();
    let link = |n: usize| {
        format!(
            "{base}?actor={}&action={}&target={}&page={n}",
            q(&actor),
            q(&action),
            q(&target)
        )
    };
    let total = usize::try_from(found.total).unwrap_or(0);
    // Past the last page (an old link, a hand-typed number): the last page.
    let last = total.div_ceil(PAGE_SIZE).max(1);
    if number > last {
        return Ok(see_other(&link(last)));
    }
    let p = AuditPage {
        chrome: Chrome::new(s, "Audit log", &base, (!platform).then_some(scope)),
        page: Page::paged(rows, number, total, link),
        scope: scope.to_owned(),
        platform,
        actors: found.actors,
        actions: found.actions,
        base,
        actor,
        action,
        target,
    };
    Ok(render(StatusCode::OK, &p))
}

/// `GET /console/superapps/{sid}/audit`.
pub async fn superapp(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(aq): Query<AuditQuery>,
) -> Result<Response, PageError> {
    audit_page(&st, &s, &sid, aq).await
}

/// `GET /console/platform/audit`.
pub async fn platform(
    State(st): State<AppState>,
    s: Session,
    Query(aq): Query<AuditQuery>,
) -> Result<Response, PageError> {
    audit_page(&st, &s, PLATFORM, aq).await
}

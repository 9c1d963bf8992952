//! A superapp's mini programs: the binding requests to decide and the bound
//! apps (with their mode and release).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Action;
use crate::console::decision::decision;
use crate::console::errors::PageError;
use crate::console::forms::Posted;
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{render, Chrome, Page, Submitted, When};
use crate::console::session::Session;
use crate::resources::apps::{self, AppFilter, AppSummary};
use crate::resources::bindings;
use crate::resources::review::RequestStatus;
use crate::state::AppState;

struct Pending {
    id: String,
    app_id: String,
    name: String,
    team_id: String,
    requested_by: String,
    created: When,
}

struct Bound {
    id: String,
    name: String,
    kind: guard_core::AppKind,
    team_id: String,
    mode_name: String,
    release_version: Option<String>,
    removed: bool,
}

#[derive(Template)]
#[template(path = "superapp_apps.html")]
struct AppsPage {
    chrome: Chrome,
    sid: String,
    pending: Vec<Pending>,
    page: Page<Bound>,
    can_decide: bool,
    sub: Submitted,
}

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page: Option<usize>,
}

async fn apps_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    number: usize,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let waiting = bindings::list(st, &s.caller, sid, Some(RequestStatus::Pending)).await?;
    let all: Vec<AppSummary> = apps::list(
        st,
        &s.caller,
        &AppFilter {
            superapp: Some(sid.to_owned()),
            team: None,
        },
    )
    .await?;
    let pending = waiting
        .into_iter()
        .map(|b| {
            let app = all.iter().find(|a| a.id == b.life.app_id);
            Pending {
                name: app.map(|a| a.name.clone()).unwrap_or_default(),
                team_id: app.map(|a| a.team_id.clone()).unwrap_or_default(),
                created: When::at(b.life.created_at),
                id: b.life.id,
                app_id: b.life.app_id,
                requested_by: b.life.requested_by,
            }
        })
        .collect();
    let bound = all
        .into_iter()
        .filter(|a| a.bound)
        .map(|a| Bound {
            mode_name: a.mode.clone().unwrap_or_else(|| "enforce".into()),
            id: a.id,
            name: a.name,
            kind: a.kind,
            team_id: a.team_id,
            release_version: a.release_version,
            removed: a.removed,
        })
        .collect();
    let base = format!("/console/superapps/{sid}/apps");
    let p = AppsPage {
        chrome: Chrome::new(s, "Mini programs", &base, Some(sid)),
        page: Page::of(bound, number, |n| format!("{base}?page={n}")),
        pending,
        can_decide: s.caller.may(Action::DecideBinding, sid),
        sid: sid.to_owned(),
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/apps`.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    apps_page(
        &st,
        &s,
        &sid,
        lq.page.unwrap_or(1),
        Submitted::none(),
        StatusCode::OK,
    )
    .await
}

/// `POST /console/bindings/{bid}/decision`.
pub async fn decide(
    State(st): State<AppState>,
    Path(bid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = match decision(&post.form) {
        Ok(d) => bindings::decide(&st, &s.caller, &bid, d).await,
        Err(e) => Err(e),
    };
    let outcome = Outcome::of(&st, &post, "binding");
    match result {
        Ok(d) => {
            let verb = if d.item.life.status == RequestStatus::Approved {
                "Bound"
            } else {
                "Rejected the binding of"
            };
            outcome
                .done(Done::new(
                    format!("/console/superapps/{}/apps", d.item.life.superapp_id),
                    format!("{verb} `{}`.", d.item.life.app_id),
                ))
                .await
        }
        Err(e) => {
            // The page of the binding's own superapp, never one a form names;
            // no such binding: the refusal itself is the page.
            let Ok((sid, _)) = bindings::superapp_and_app(&st, &bid).await else {
                return Err(PageError::Api(e));
            };
            outcome
                .refuse(e, async |sub, status| {
                    apps_page(&st, s, &sid, 1, sub, status).await
                })
                .await
        }
    }
}

//! Sensitive API call approvals (seed 000): the pending, approved, rejected
//! and revoked lists, and the approval window (approve or reject, with a
//! note the developer sees).

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
use crate::console::page::{render, Chrome, Page, Submitted, When};
use crate::console::session::Session;
use crate::resources::requests::{self, Request};
use crate::resources::review::{RequestStatus, Verdict};
use crate::state::AppState;

struct Row {
    id: String,
    app_id: String,
    api: String,
    reason: String,
    requested_by: String,
    created: When,
    decided_by: String,
    note: String,
    pending: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ListPage {
    chrome: Chrome,
    sid: String,
    tabs: Vec<Tab>,
    page: Page<Row>,
    decided: bool,
    can_decide: bool,
    empty: &'static str,
}

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<usize>,
}

/// `GET /console/superapps/{sid}/approvals[?status=…]`.
pub async fn list(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let status = requests::parse_status(lq.status.as_deref().or(Some("pending")))?
        .unwrap_or(RequestStatus::Pending);
    let all = requests::list(&st, &s.caller, &sid, None).await?;
    let base = format!("/console/superapps/{sid}/approvals");
    let tabs = RequestStatus::ALL
        .iter()
        .map(|t| Tab {
            label: match t {
                RequestStatus::Pending => "Pending",
                RequestStatus::Approved => "Approved",
                RequestStatus::Rejected => "Rejected",
                RequestStatus::Revoked => "Revoked",
            },
            href: format!("{base}?status={}", t.as_str()),
            current: *t == status,
            count: all.iter().filter(|r| r.life.status == *t).count(),
        })
        .collect();
    let mut rows: Vec<Row> = all
        .into_iter()
        .filter(|r| r.life.status == status)
        .map(|r| Row {
            pending: r.life.status == RequestStatus::Pending,
            created: When::at(r.life.created_at),
            decided_by: r.life.decided_by.unwrap_or_default(),
            note: r.life.note.unwrap_or_default(),
            id: r.life.id,
            app_id: r.life.app_id,
            api: r.api,
            reason: r.reason,
            requested_by: r.life.requested_by,
        })
        .collect();
    if status != RequestStatus::Pending {
        rows.reverse(); // the newest decisions first
    }
    let st_name = status.as_str();
    let page = Page::of(rows, lq.page.unwrap_or(1), |n| {
        format!("{base}?status={st_name}&page={n}")
    });
    let p = ListPage {
        chrome: Chrome::new(&s, "Sensitive API call approvals", &base, Some(&sid)),
        tabs,
        page,
        decided: status != RequestStatus::Pending,
        can_decide: s.caller.may(Action::Decide, &sid),
        empty: match status {
            RequestStatus::Pending => "No request is waiting. Developers request permissions from their mini program's API permissions page; they appear here.",
            RequestStatus::Approved => "Nothing approved yet. Approved requests are listed here, with who approved them.",
            RequestStatus::Rejected => "Nothing rejected.",
            RequestStatus::Revoked => "No authorization was revoked. Revoke one from the API's details page.",
        },
        sid,
    };
    Ok(render(StatusCode::OK, &p))
}

#[derive(Template)]
#[template(path = "approval.html")]
struct WindowPage {
    chrome: Chrome,
    sid: String,
    r: Request,
    created: When,
    decided: Option<When>,
    pending: bool,
    can_decide: bool,
    sub: Submitted,
}

async fn window_page(
    st: &AppState,
    s: &Session,
    rid: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let r = requests::get(st, &s.caller, rid).await?;
    let sid = r.life.superapp_id.clone();
    let p = WindowPage {
        chrome: Chrome::new(
            s,
            "Approval",
            &format!("/console/superapps/{sid}/approvals"),
            Some(&sid),
        ),
        created: When::at(r.life.created_at),
        decided: r.life.decided_at.map(When::at),
        pending: r.life.status == RequestStatus::Pending,
        can_decide: s.caller.may(Action::Decide, &sid),
        sid,
        r,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/approvals/{rid}`: the approval window.
pub async fn window(
    State(st): State<AppState>,
    s: Session,
    Path((_sid, rid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    window_page(&st, &s, &rid, Submitted::none(), StatusCode::OK).await
}

/// `POST /console/requests/{rid}/decision`.
pub async fn decide(
    State(st): State<AppState>,
    Path(rid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = match decision(&post.form) {
        Ok(d) if d.decision == Verdict::Reject => {
            let r = requests::get(&st, &s.caller, &rid).await?;
            let acts = r.life.status == RequestStatus::Pending
                && s.caller.may(Action::Decide, &r.life.superapp_id);
            match reason_asked(acts, "note", &d.note, "reject it") {
                Ok(()) => requests::decide(&st, &s.caller, &rid, d).await,
                Err(e) => Err(e),
            }
        }
        Ok(d) => requests::decide(&st, &s.caller, &rid, d).await,
        Err(e) => Err(e),
    };
    Outcome::of(&st, &post, "decide")
        .settle(
            result,
            |d| {
                let verb = if d.item.life.status == RequestStatus::Approved {
                    "Approved"
                } else {
                    "Rejected"
                };
                Done::new(
                    format!("/console/superapps/{}/approvals", d.item.life.superapp_id),
                    format!("{verb} `{}` for `{}`.", d.item.api, d.item.life.app_id),
                )
            },
            async |sub, status| window_page(&st, s, &rid, sub, status).await,
        )
        .await
}

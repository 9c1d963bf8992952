//! What the devices reported (issue 15's violation counters): a
//! superapp's bound apps with their totals, and one app's top denied hosts
//! and APIs and, in report mode, what enforcing would break. Both read
//! [`crate::reports::violations`], as the JSON API does.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use guard_core::Mode;

use crate::auth::Action;
use crate::console::errors::PageError;
use crate::console::page::{render, Chrome, When};
use crate::console::session::Session;
use crate::reports::violations::{self, AppTotals, Violation, DEFAULT_LIMIT};
use crate::state::AppState;

/// A counter row with its times rendered.
struct Row {
    v: Violation,
    first: When,
    last: When,
}

impl Row {
    fn of(list: Vec<Violation>) -> Vec<Row> {
        Row::kept(list, |_| true)
    }

    /// The denials only: report-mode rows have their own list ("what
    /// enforcing would break"), so they are not shown twice.
    fn denied(list: Vec<Violation>) -> Vec<Row> {
        Row::kept(list, |v| v.mode != Mode::Report.as_str())
    }

    fn kept(list: Vec<Violation>, keep: impl Fn(&Violation) -> bool) -> Vec<Row> {
        list.into_iter()
            .filter(|v| keep(v))
            .map(|v| Row {
                first: When::at(v.first_seen),
                last: When::at(v.last_seen),
                v,
            })
            .collect()
    }
}

/// An app's totals with its time rendered.
struct Totals {
    t: AppTotals,
    last: Option<When>,
}

#[derive(Template)]
#[template(path = "superapp_violations.html")]
struct SuperappPage {
    chrome: Chrome,
    sid: String,
    dropped: i64,
    apps: Vec<Totals>,
}

#[derive(Template)]
#[template(path = "app_violations.html")]
struct AppPage {
    chrome: Chrome,
    app_id: String,
    superapp_id: String,
    /// Whether the viewer may read the superapp's view (and its
    /// permission control): not a developer.
    superapp_view: bool,
    report_mode: bool,
    reports: i64,
    rows: usize,
    max_rows: i64,
    limit: usize,
    top_hosts: Vec<Row>,
    top_apis: Vec<Row>,
    launches: Vec<Row>,
    other: Vec<Row>,
    would_break: Vec<Row>,
}

/// `GET /console/superapps/{sid}/violations`.
pub async fn superapp(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
) -> Result<Response, PageError> {
    let found = violations::for_superapp(&st, &s.caller, &sid).await?;
    let path = format!("/console/superapps/{sid}/violations");
    let p = SuperappPage {
        chrome: Chrome::new(&s, "Violations", &path, Some(&sid)),
        dropped: found.dropped,
        apps: found
            .apps
            .into_iter()
            .map(|t| Totals {
                last: t.last_seen.map(When::at),
                t,
            })
            .collect(),
        sid,
    };
    Ok(render(StatusCode::OK, &p))
}

/// `GET /console/apps/{app}/violations`.
pub async fn app(
    State(st): State<AppState>,
    s: Session,
    Path(app): Path<String>,
) -> Result<Response, PageError> {
    let found = violations::for_app(&st, &s.caller, &app, DEFAULT_LIMIT).await?;
    let sid = found.superapp_id.clone();
    let superapp_view = s.caller.may(Action::ViewApprovals, &sid);
    let path = if superapp_view {
        format!("/console/superapps/{sid}/violations")
    } else {
        "/console/apps".to_owned()
    };
    let p = AppPage {
        chrome: Chrome::new(&s, format!("Violations of {app}"), &path, Some(&sid)),
        superapp_view,
        report_mode: found.mode == Mode::Report.as_str(),
        reports: found.reports,
        rows: found.rows,
        max_rows: found.max_rows,
        limit: DEFAULT_LIMIT,
        top_hosts: Row::denied(found.top_hosts),
        top_apis: Row::denied(found.top_apis),
        launches: Row::denied(found.launches),
        other: Row::of(found.other),
        would_break: Row::of(found.would_break),
        app_id: found.app_id,
        superapp_id: sid,
    };
    Ok(render(StatusCode::OK, &p))
}

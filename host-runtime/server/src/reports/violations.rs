//! The console's view of the violation counters: per app, the top denied
//! hosts and APIs and, for an app in report mode, what enforcing would
//! break (its `mode: report` rows); per superapp, each bound app's totals.
//!
//! Who may read them: an app's, whoever may read the app (its team's
//! developers included: they are the ones to fix what is denied); a
//! superapp's, whoever may read its approvals and audit log (not
//! developers: it spans every team's apps).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guard_core::{CheckKind, Mode};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::error::ApiError;
use crate::reports::counters::MAX_ROWS_PER_APP;
use crate::resources::apps::app_row;
use crate::resources::{reply_of, Res};
use crate::state::AppState;

/// Rows per list by default.
pub const DEFAULT_LIMIT: usize = 20;

/// One counter row, as the console API and the console's pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// The check kind (`api`, `request`, …, `launch`).
    pub kind: String,
    /// Kind `api`: the API name (`None` on an `other` row).
    pub api: Option<String>,
    /// The network kinds: the host as the guard parsed it (`None` on an
    /// `other` row, or when the target did not parse).
    pub host: Option<String>,
    /// The sum of the subjects beyond the app's row bound.
    pub other: bool,
    /// The deny code.
    pub code: String,
    /// `enforce` (denied) or `report` (would have been denied).
    pub mode: String,
    /// Calls counted.
    pub count: i64,
    /// The highest policy version reported.
    pub policy_version: i64,
    /// Server clock, unix seconds.
    pub first_seen: i64,
    /// Server clock, unix seconds.
    pub last_seen: i64,
}

impl Violation {
    /// What the row is about: the API or host (empty on an `other` row or
    /// a target that did not parse).
    pub fn subject(&self) -> &str {
        self.api.as_deref().or(self.host.as_deref()).unwrap_or("")
    }
}

/// One app's violations (`GET /api/v1/apps/{app}/violations`).
#[derive(Debug, Clone, Serialize)]
pub struct AppViolations {
    /// The app.
    pub app_id: String,
    /// Its superapp.
    pub superapp_id: String,
    /// The app's mode now.
    pub mode: String,
    /// Reports received.
    pub reports: i64,
    /// Rows stored (beyond the `other` rows).
    pub rows: usize,
    /// The bound on rows per app.
    pub max_rows: i64,
    /// Denied hosts of the network kinds, most calls first.
    pub top_hosts: Vec<Violation>,
    /// Denied APIs, most calls first.
    pub top_apis: Vec<Violation>,
    /// Denied launches.
    pub launches: Vec<Violation>,
    /// The sums beyond the row bound.
    pub other: Vec<Violation>,
    /// The `mode: report` rows: what enforcing would deny.
    pub would_break: Vec<Violation>,
}

/// One bound app's totals in a superapp's view.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppTotals {
    /// The app.
    pub app_id: String,
    /// Its mode now.
    pub mode: String,
    /// Denied calls counted.
    pub denied: i64,
    /// Would-be denials counted in report mode.
    pub would_break: i64,
    /// Rows stored (beyond the `other` rows).
    pub rows: i64,
    /// The latest row's `last_seen` (server clock).
    pub last_seen: Option<i64>,
}

/// A superapp's violations (`GET /api/v1/superapps/{sid}/violations`).
#[derive(Debug, Clone, Serialize)]
pub struct SuperappViolations {
    /// The superapp.
    pub superapp_id: String,
    /// Denials its devices counted but could not keep.
    pub dropped: i64,
    /// Every bound app, most denied calls first.
    pub apps: Vec<AppTotals>,
}

/// One counter row as stored.
#[derive(Debug, Clone)]
struct Counter {
    kind: String,
    subject: String,
    other: bool,
    code: String,
    mode: String,
    calls: i64,
    policy_version: i64,
    first_seen: i64,
    last_seen: i64,
}

impl Counter {
    fn violation(&self) -> Violation {
        let subject = (!self.other && !self.subject.is_empty()).then(|| self.subject.clone());
        let (api, host) = if self.kind == CheckKind::Api.as_str() {
            (subject, None)
        } else {
            (None, subject)
        };
        Violation {
            kind: self.kind.clone(),
            api,
            host,
            other: self.other,
            code: self.code.clone(),
            mode: self.mode.clone(),
            count: self.calls,
            policy_version: self.policy_version,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
        }
    }
}

/// The query of the app view.
#[derive(Debug, Deserialize)]
pub(crate) struct Limit {
    #[serde(default)]
    limit: Option<String>,
}

/// The `limit` of a query: [`DEFAULT_LIMIT`] when absent, else an integer
/// from 1 to the row bound.
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `limit`.
pub(crate) fn parse_limit(q: &Limit) -> Result<usize, ApiError> {
    let max = usize::try_from(MAX_ROWS_PER_APP).unwrap_or(usize::MAX);
    match q.limit.as_deref() {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad("limit", format!("`{v}` is not an integer from 1 to {max}"))
            }),
    }
}

/// App `app`'s violations: each list at most `limit` rows, most calls first.
///
/// # Errors
///
/// [`ApiError::NotFound`], [`ApiError::Forbidden`], [`ApiError::Internal`].
pub async fn for_app(
    st: &AppState,
    caller: &Caller,
    app: &str,
    limit: usize,
) -> Result<AppViolations, ApiError> {
    let a = app_row(st, app).await?;
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)?;
    let mode: Option<String> = sqlx::query("SELECT mode FROM apps WHERE id = $1")
        .bind(app)
        .fetch_one(&st.store.pool)
        .await?
        .try_get("mode")?;
    let reports: i64 = sqlx::query("SELECT reports FROM violation_apps WHERE app_id = $1")
        .bind(app)
        .fetch_optional(&st.store.pool)
        .await?
        .map(|r| r.try_get("reports"))
        .transpose()?
        .unwrap_or(0);
    let rows = rows_of(st, app).await?;
    let list = |keep: &dyn Fn(&Counter) -> bool| -> Vec<Violation> {
        rows.iter()
            .filter(|r| keep(r))
            .take(limit)
            .map(Counter::violation)
            .collect()
    };
    let (api, launch) = (CheckKind::Api.as_str(), CheckKind::Launch.as_str());
    Ok(AppViolations {
        app_id: app.to_owned(),
        superapp_id: a.superapp_id,
        mode: mode.unwrap_or_else(|| Mode::Enforce.as_str().to_owned()),
        reports,
        rows: rows.iter().filter(|r| !r.other).count(),
        max_rows: MAX_ROWS_PER_APP,
        top_hosts: list(&|r| !r.other && r.kind != api && r.kind != launch),
        top_apis: list(&|r| !r.other && r.kind == api),
        launches: list(&|r| !r.other && r.kind == launch),
        other: list(&|r| r.other),
        would_break: list(&|r| r.mode == Mode::Report.as_str()),
    })
}

/// Every row of `app`, most calls first (at most the bound of
/// `counters.rs`, so reading them all is bounded too).
async fn rows_of(st: &AppState, app: &str) -> Result<Vec<Counter>, ApiError> {
    sqlx::query(
        "SELECT kind, subject, other, code, mode, calls, policy_version, first_seen, last_seen \
         FROM violations WHERE app_id = $1 ORDER BY calls DESC, last_seen DESC, kind, subject, code, mode",
    )
    .bind(app)
    .fetch_all(&st.store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Counter {
            kind: r.try_get("kind")?,
            subject: r.try_get("subject")?,
            other: r.try_get::<i64, _>("other")? != 0,
            code: r.try_get("code")?,
            mode: r.try_get("mode")?,
            calls: r.try_get("calls")?,
            policy_version: r.try_get("policy_version")?,
            first_seen: r.try_get("first_seen")?,
            last_seen: r.try_get("last_seen")?,
        })
    })
    .collect::<Result<_, sqlx::Error>>()
    .map_err(ApiError::from)
}

/// Superapp `sid`'s apps with their totals, most denied calls first, and
/// the denials its devices could not keep.
///
/// # Errors
///
/// [`ApiError::Forbidden`], [`ApiError::NotFound`], [`ApiError::Internal`].
pub async fn for_superapp(
    st: &AppState,
    caller: &Caller,
    sid: &str,
) -> Result<SuperappViolations, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
    if sqlx::query("SELECT id FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&st.store.pool)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!("superapp `{sid}` not found")));
    }
    let dropped: i64 = sqlx::query("SELECT dropped FROM violation_drops WHERE superapp_id = $1")
        .bind(sid)
        .fetch_optional(&st.store.pool)
        .await?
        .map(|r| r.try_get("dropped"))
        .transpose()?
        .unwrap_or(0);
    let mut apps: BTreeMap<String, AppTotals> = BTreeMap::new();
    for r in sqlx::query("SELECT id, mode FROM apps WHERE superapp_id = $1 AND bound = 1")
        .bind(sid)
        .fetch_all(&st.store.pool)
        .await?
    {
        let mode: Option<String> = r.try_get("mode")?;
        let id: String = r.try_get("id")?;
        let totals = AppTotals {
            app_id: id.clone(),
            mode: mode.unwrap_or_else(|| Mode::Enforce.as_str().to_owned()),
            ..AppTotals::default()
        };
        apps.insert(id, totals);
    }
    for r in sqlx::query(
        "SELECT v.app_id, v.mode, v.other, v.calls, v.last_seen FROM violations v \
         JOIN apps a ON a.id = v.app_id WHERE a.superapp_id = $1 AND a.bound = 1",
    )
    .bind(sid)
    .fetch_all(&st.store.pool)
    .await?
    {
        let id: String = r.try_get("app_id")?;
        let Some(t) = apps.get_mut(&id) else { continue };
        let calls: i64 = r.try_get("calls")?;
        if r.try_get::<String, _>("mode")? == Mode::Report.as_str() {
            t.would_break = t.would_break.saturating_add(calls);
        } else {
            t.denied = t.denied.saturating_add(calls);
        }
        t.rows += i64::from(r.try_get::<i64, _>("other")? == 0);
        let seen: i64 = r.try_get("last_seen")?;
        t.last_seen = Some(t.last_seen.map_or(seen, |s| s.max(seen)));
    }
    let mut out: Vec<AppTotals> = apps.into_values().collect();
    // Stable: equal totals stay in app order.
    out.sort_by_key(|t| std::cmp::Reverse(t.denied));
    Ok(SuperappViolations {
        superapp_id: sid.to_owned(),
        dropped,
        apps: out,
    })
}

/// `GET /api/v1/apps/{app}/violations[?limit=N]`.
pub(crate) async fn app(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    Query(q): Query<Limit>,
) -> Res {
    let limit = parse_limit(&q)?;
    reply_of(StatusCode::OK, &for_app(&st, &caller, &app, limit).await?)
}

/// `GET /api/v1/superapps/{sid}/violations`.
pub(crate) async fn superapp(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    reply_of(StatusCode::OK, &for_superapp(&st, &caller, &sid).await?)
}

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
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::http::error::ApiError;
use crate::reports::counters::MAX_ROWS_PER_APP;
use crate::resources::apps::app_row;
use crate::resources::{reply, Res};
use crate::state::AppState;

/// Rows per list by default.
pub const DEFAULT_LIMIT: usize = 20;

/// One counter row as the console shows it.
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
    fn json(&self) -> Value {
        let subject = (!self.other && !self.subject.is_empty()).then_some(self.subject.as_str());
        let (api, host) = if self.kind == CheckKind::Api.as_str() {
            (subject, None)
        } else {
            (None, subject)
        };
        json!({
            "kind": self.kind,
            "api": api,
            "host": host,
            "other": self.other,
            "code": self.code,
            "mode": self.mode,
            "count": self.calls,
            "policy_version": self.policy_version,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        })
    }
}

/// One app's totals in the superapp view.
#[derive(Debug, Default)]
struct Totals {
    mode: String,
    denied: i64,
    would_break: i64,
    rows: i64,
    last_seen: Option<i64>,
}

/// The query of the app view.
#[derive(Debug, Deserialize)]
pub(crate) struct Limit {
    #[serde(default)]
    limit: Option<String>,
}

fn parse_limit(q: &Limit) -> Result<usize, ApiError> {
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
) -> Result<Value, ApiError> {
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
    let list = |keep: &dyn Fn(&Counter) -> bool| -> Vec<Value> {
        rows.iter()
            .filter(|r| keep(r))
            .take(limit)
            .map(Counter::json)
            .collect()
    };
    let (api, launch) = (CheckKind::Api.as_str(), CheckKind::Launch.as_str());
    Ok(json!({
        "app_id": app,
        "superapp_id": a.superapp_id,
        "mode": mode.unwrap_or_else(|| Mode::Enforce.as_str().to_owned()),
        "reports": reports,
        "rows": rows.iter().filter(|r| !r.other).count(),
        "max_rows": MAX_ROWS_PER_APP,
        "top_hosts": list(&|r| !r.other && r.kind != api && r.kind != launch),
        "top_apis": list(&|r| !r.other && r.kind == api),
        "launches": list(&|r| !r.other && r.kind == launch),
        "other": list(&|r| r.other),
        "would_break": list(&|r| r.mode == Mode::Report.as_str()),
    }))
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
pub async fn for_superapp(st: &AppState, caller: &Caller, sid: &str) -> Result<Value, ApiError> {
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
    let mut apps: BTreeMap<String, Totals> = BTreeMap::new();
    for r in sqlx::query("SELECT id, mode FROM apps WHERE superapp_id = $1 AND bound = 1")
        .bind(sid)
        .fetch_all(&st.store.pool)
        .await?
    {
        let mode: Option<String> = r.try_get("mode")?;
        let totals = Totals {
            mode: mode.unwrap_or_else(|| Mode::Enforce.as_str().to_owned()),
            ..Totals::default()
        };
        apps.insert(r.try_get("id")?, totals);
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
    let mut out: Vec<Value> = apps
        .into_iter()
        .map(|(id, t)| {
            json!({
                "app_id": id,
                "mode": t.mode,
                "denied": t.denied,
                "would_break": t.would_break,
                "rows": t.rows,
                "last_seen": t.last_seen,
            })
        })
        .collect();
    out.sort_by(|a, b| b["denied"].as_i64().cmp(&a["denied"].as_i64()));
    Ok(json!({ "superapp_id": sid, "dropped": dropped, "apps": out }))
}

/// `GET /api/v1/apps/{app}/violations[?limit=N]`.
pub(crate) async fn app(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    Query(q): Query<Limit>,
) -> Res {
    let limit = parse_limit(&q)?;
    reply(StatusCode::OK, for_app(&st, &caller, &app, limit).await?)
}

/// `GET /api/v1/superapps/{sid}/violations`.
pub(crate) async fn superapp(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    reply(StatusCode::OK, for_superapp(&st, &caller, &sid).await?)
}

//! Binding requests: a mini program joins a superapp only when the superapp
//! approves. Creating an app files its binding request; until the superapp
//! admin or its review staff approves it, the app is in no bundle, and its
//! team can neither read the superapp's API list nor file permission
//! requests there.
//!
//! App ids are global (an openserver `appid` names one app). An id is held
//! while its binding is pending or approved; a rejection frees it
//! (decision 448): the rejected app stays, note and all, for its team to
//! read, until anyone creates an app of that id, which then removes it
//! ([`free_rejected`]). So a squatter's rejected ids go back to everyone.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::error::ApiError;
use crate::resources::review::{settle, Decision, Lifecycle, RequestStatus, Reviewed};
use crate::resources::{to_json, Versioned};
use crate::state::AppState;
use crate::util::random_hex;

macro_rules! binding_cols {
    () => {
        "id, superapp_id, app_id, status, requested_by, decided_by, note, created_at, decided_at"
    };
}

/// A binding request (its lifecycle is all it has).
#[derive(Debug, Clone, Serialize)]
pub struct Binding {
    /// Who filed it, where it is, who decided.
    #[serde(flatten)]
    pub life: Lifecycle,
}

fn binding_of(r: &sqlx::any::AnyRow) -> Result<Binding, ApiError> {
    Ok(Binding {
        life: Lifecycle::read(r)?,
    })
}

async fn read_binding(c: &mut Change, id: &str) -> Result<Binding, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        binding_cols!(),
        " FROM bindings WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    binding_of(&row)
}

/// Files the binding request of `app` to the change's superapp, inside the
/// change that creates the app.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub(crate) async fn file(
    c: &mut Change,
    app: &str,
    requested_by: &str,
) -> Result<Binding, ApiError> {
    let id = format!("bind_{}", random_hex(8)?);
    sqlx::query(
        "INSERT INTO bindings (id, superapp_id, app_id, status, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&c.scope)
    .bind(app)
    .bind(RequestStatus::Pending.as_str())
    .bind(requested_by)
    .bind(c.at)
    .execute(&mut *c.tx)
    .await?;
    read_binding(c, &id).await
}

/// The tables holding rows of one app (an `app_id` column), children
/// first: what removing a rejected app removes. (`packages` rows are shared
/// by content and stay.) A new table with an `app_id` belongs here; a test
/// reads the schema and fails until it is.
pub const APP_ROWS: [&str; 11] = [
    "grants",
    "requests",
    "whitelist",
    "app_versions",
    "releases",
    "violations",
    "violation_apps",
    "codes",
    "sessions",
    "access_tokens",
    "bindings",
];

/// Frees id `app` for a new app inside the change creating it: no such app
/// → `None`; an app never bound whose every binding was rejected → it is
/// removed with all its rows, and what it was is returned for the audit
/// record; any other app keeps its id.
///
/// # Errors
///
/// [`ApiError::Conflict`] when the id is held (bound, or a binding pending).
pub(crate) async fn free_rejected(
    c: &mut Change,
    app: &str,
) -> Result<Option<serde_json::Value>, ApiError> {
    // The app's row locked before it is read: app ids are unique across
    // superapps, whose changes do not wait for each other, so without it two
    // creates could both read one rejected app and the later one delete the
    // app the earlier just made (PostgreSQL; SQLite has one writer). Locked,
    // the later one reads what the earlier committed: held, a 409.
    sqlx::query("UPDATE apps SET name = name WHERE id = $1")
        .bind(app)
        .execute(&mut *c.tx)
        .await?;
    let Some(row) = sqlx::query("SELECT superapp_id, team_id, bound FROM apps WHERE id = $1")
        .bind(app)
        .fetch_optional(&mut *c.tx)
        .await?
    else {
        return Ok(None);
    };
    let held = crate::store::flag(&row, "bound")?
        || sqlx::query("SELECT id FROM bindings WHERE app_id = $1 AND status <> $2 LIMIT 1")
            .bind(app)
            .bind(RequestStatus::Rejected.as_str())
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some();
    if held {
        return Err(ApiError::Conflict(format!("app `{app}` already exists")));
    }
    let was = json!({
        "superapp_id": row.try_get::<String, _>("superapp_id")?,
        "team_id": row.try_get::<String, _>("team_id")?,
        "binding": RequestStatus::Rejected.as_str(),
    });
    for table in APP_ROWS {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE app_id = $1"
        )))
        .bind(app)
        .execute(&mut *c.tx)
        .await?;
    }
    sqlx::query("DELETE FROM apps WHERE id = $1")
        .bind(app)
        .execute(&mut *c.tx)
        .await?;
    Ok(Some(was))
}

/// Parses a `status` filter of the binding list (no `revoked`).
///
/// # Errors
///
/// 400 naming `status`.
pub fn parse_status(status: Option<&str>) -> Result<Option<RequestStatus>, ApiError> {
    match status {
        None | Some("") => Ok(None),
        Some(s) => RequestStatus::parse(s)
            .filter(|s| *s != RequestStatus::Revoked)
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad(
                    "status",
                    format!("`{s}` is not one of pending, approved, rejected"),
                )
            }),
    }
}

/// The binding requests of `sid` (in `status`, when given), oldest first.
///
/// # Errors
///
/// 403 unless the caller may read approvals of `sid`.
pub async fn list(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    status: Option<RequestStatus>,
) -> Result<Vec<Binding>, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        binding_cols!(),
        " FROM bindings WHERE superapp_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id"
    ))
    .bind(sid)
    .bind(status.map_or("", RequestStatus::as_str))
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(binding_of).collect()
}

/// The superapp and app of binding `bid` (no permission is checked: the
/// caller decides what it may show).
///
/// # Errors
///
/// [`ApiError::NotFound`], [`ApiError::Internal`].
pub async fn superapp_and_app(st: &AppState, bid: &str) -> Result<(String, String), ApiError> {
    let row = sqlx::query("SELECT superapp_id, app_id FROM bindings WHERE id = $1")
        .bind(bid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("binding `{bid}` not found")))?;
    Ok((row.try_get("superapp_id")?, row.try_get("app_id")?))
}

/// Approves (the app joins the superapp's bundle) or rejects binding `bid`.
///
/// # Errors
///
/// 403 (role, superapp); 400 naming `note`; 404; 409 already decided.
pub async fn decide(
    st: &AppState,
    caller: &Caller,
    bid: &str,
    b: Decision,
) -> Result<Versioned<Binding>, ApiError> {
    caller.require(Action::DecideBinding)?;
    b.check()?;
    let (sid, app) = superapp_and_app(st, bid).await?;
    let (status, action) = Reviewed::Binding.outcome(b.decision);
    let (item, version) = apply(st, caller, Action::DecideBinding, &sid, async |c| {
        settle(c, Reviewed::Binding, bid, status, &caller.id, &b.note).await?;
        if status == RequestStatus::Approved {
            sqlx::query("UPDATE apps SET bound = 1 WHERE id = $1")
                .bind(&app)
                .execute(&mut *c.tx)
                .await?;
            c.validate("decision").await?;
        }
        let after = read_binding(c, bid).await?;
        let before = json!({"id": bid, "status": RequestStatus::Pending.as_str()});
        let record = Record::new(
            action,
            format!("binding:{bid}"),
            Some(before),
            Some(to_json(&after)?),
        );
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::{Action, Caller};
    use crate::http::json::JsonBody;
    use crate::resources::review::Decision;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    #[derive(Deserialize)]
    pub(crate) struct StatusFilter {
        #[serde(default)]
        status: Option<String>,
    }

    /// `GET /api/v1/superapps/{sid}/bindings[?status=…]`.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        Query(q): Query<StatusFilter>,
    ) -> Res {
        caller.require_superapp(Action::ViewApprovals, &sid)?;
        let status = super::parse_status(q.status.as_deref())?;
        let out = super::list(&st, &caller, &sid, status).await?;
        reply(StatusCode::OK, json!({ "bindings": out }))
    }

    /// `POST /api/v1/bindings/{bid}/decision`.
    pub(crate) async fn decide(
        State(st): State<AppState>,
        caller: Caller,
        Path(bid): Path<String>,
        JsonBody(b): JsonBody<Decision>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::decide(&st, &caller, &bid, b).await?)
    }
}

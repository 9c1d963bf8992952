//! Binding requests: a mini program joins a superapp only when the superapp
//! approves. Creating an app files its binding request; until the superapp
//! admin or its review staff approves it, the app is in no bundle, and its
//! team can neither read the superapp's API list nor file permission
//! requests there.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::http::error::ApiError;
use crate::resources::review::{Decision, Lifecycle, RequestStatus, Verdict};
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
    let (status, action) = match b.decision {
        Verdict::Approve => (RequestStatus::Approved, "approve_binding"),
        Verdict::Reject => (RequestStatus::Rejected, "reject_binding"),
    };
    let (item, version) = apply(st, caller, Action::DecideBinding, &sid, async |c| {
        // A compare-and-set on `pending`, as for permission requests.
        let updated = sqlx::query(
            "UPDATE bindings SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
        )
        .bind(bid)
        .bind(status.as_str())
        .bind(&caller.id)
        .bind(&b.note)
        .bind(c.at)
        .bind(RequestStatus::Pending.as_str())
        .execute(&mut *c.tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(ApiError::Conflict(format!("binding `{bid}` is already decided")));
        }
        if status == RequestStatus::Approved {
            sqlx::query("UPDATE apps SET bound = 1 WHERE id = $1")
                .bind(&app)
                .execute(&mut *c.tx)
                .await?;
            c.validate("decision").await?;
        }
        let after = read_binding(c, bid).await?;
        let before = json!({"id": bid, "status": RequestStatus::Pending.as_str()});
        let record = Record::new(action, format!("binding:{bid}"), Some(before), Some(to_json(&after)?));
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

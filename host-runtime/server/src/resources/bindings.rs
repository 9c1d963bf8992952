//! Binding requests: a mini program joins a superapp only when the superapp
//! approves. Creating an app files its binding request; until the superapp
//! admin or its review staff approves it, the app is in no bundle, and its
//! team can neither read the superapp's API list nor file permission
//! requests there.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::resources::review::{lifecycle_json, Decision, RequestStatus, Verdict};
use crate::resources::{reply, with_version, Res};
use crate::state::AppState;
use crate::util::random_hex;

macro_rules! binding_cols {
    () => {
        "id, superapp_id, app_id, status, requested_by, decided_by, note, created_at, decided_at"
    };
}

fn binding_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(Value::Object(lifecycle_json(r)?))
}

async fn read_binding(c: &mut Change, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        binding_cols!(),
        " FROM bindings WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    binding_json(&row)
}

/// Files the binding request of `app` to the change's superapp, inside the
/// change that creates the app.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub(crate) async fn file(c: &mut Change, app: &str, requested_by: &str) -> Result<Value, ApiError> {
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
    let status = match q.status.as_deref() {
        None | Some("") => "",
        Some(s) => RequestStatus::parse(s)
            .filter(|s| *s != RequestStatus::Revoked)
            .ok_or_else(|| {
                ApiError::bad(
                    "status",
                    format!("`{s}` is not one of pending, approved, rejected"),
                )
            })?
            .as_str(),
    };
    let rows = sqlx::query(concat!(
        "SELECT ",
        binding_cols!(),
        " FROM bindings WHERE superapp_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id"
    ))
    .bind(&sid)
    .bind(status)
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(binding_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "bindings": out }))
}

/// `POST /api/v1/bindings/{bid}/decision`: approval puts the app in the
/// superapp's bundle.
pub(crate) async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(bid): Path<String>,
    JsonBody(b): JsonBody<Decision>,
) -> Res {
    caller.require(Action::DecideBinding)?;
    b.check()?;
    let row = sqlx::query("SELECT superapp_id, app_id FROM bindings WHERE id = $1")
        .bind(&bid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("binding `{bid}` not found")))?;
    let (sid, app): (String, String) = (row.try_get("superapp_id")?, row.try_get("app_id")?);
    let (status, action) = match b.decision {
        Verdict::Approve => (RequestStatus::Approved, "approve_binding"),
        Verdict::Reject => (RequestStatus::Rejected, "reject_binding"),
    };
    let (after, version) = apply(&st, &caller, Action::DecideBinding, &sid, async |c| {
        // A compare-and-set on `pending`, as for permission requests.
        let updated = sqlx::query(
            "UPDATE bindings SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
        )
        .bind(&bid)
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
        let after = read_binding(c, &bid).await?;
        let before = json!({"id": bid, "status": RequestStatus::Pending.as_str()});
        let record = Record::new(action, format!("binding:{bid}"), Some(before), Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::OK, with_version(after, version))
}

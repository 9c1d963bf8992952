//! Permission requests for restricted sensitive APIs: a developer files one
//! for its team's app, review staff or the superapp admin approves or rejects
//! it (a compare-and-set on `pending`), and an approval is a grant in the
//! app's bundle until it is revoked.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guard_core::{ApiStatus, Scope};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply, Change, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::resources::apis::api_json;
use crate::resources::apps::app_row;
use crate::resources::review::{lifecycle_json, Decision, RequestStatus, Verdict};
use crate::resources::{reply, with_version, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_text, random_hex};

/// The request columns, as a macro so that queries stay `&'static str`
/// literals (sqlx refuses dynamic SQL).
macro_rules! request_cols {
    () => {
        "id, superapp_id, app_id, api, reason, status, requested_by, decided_by, note, created_at, decided_at"
    };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRequest {
    api: String,
    reason: String,
}

fn request_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    let mut m = lifecycle_json(r)?;
    m.insert("api".into(), json!(r.try_get::<String, _>("api")?));
    m.insert("reason".into(), json!(r.try_get::<String, _>("reason")?));
    Ok(Value::Object(m))
}

async fn read_request(c: &mut Change, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    request_json(&row)
}

async fn found(c: &mut Change, sql: &'static str, app: &str, api: &str) -> Result<bool, ApiError> {
    Ok(sqlx::query(sql)
        .bind(app)
        .bind(api)
        .fetch_optional(&mut *c.tx)
        .await?
        .is_some())
}

/// `POST /api/v1/apps/{app}/requests`.
pub(crate) async fn create(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    JsonBody(b): JsonBody<NewRequest>,
) -> Res {
    caller.require(Action::RequestPermission)?;
    let a = app_row(&st, &app).await?;
    caller.require_team(&a.team_id)?;
    if b.reason.trim().is_empty() {
        return Err(ApiError::bad("reason", "must not be empty"));
    }
    check_text("reason", &b.reason, MAX_TEXT)?;
    let id = format!("req_{}", random_hex(8)?);
    if !a.bound {
        return Err(ApiError::Conflict(format!(
            "app `{app}` is not bound to superapp `{}` until the superapp approves its binding",
            a.superapp_id
        )));
    }
    let (after, _) = apply(&st, &caller, Action::RequestPermission, &a.superapp_id, async |c| {
        let api = api_json(c, &b.api).await?.ok_or_else(|| {
            ApiError::bad(
                "api",
                format!("`{}` is not in the sensitive API list of superapp `{}`", b.api, a.superapp_id),
            )
        })?;
        if api["status"] != ApiStatus::Restricted.as_str() {
            return Err(ApiError::Conflict(format!("`{}` is public; no permission is needed", b.api)));
        }
        let scope: Scope = api["scope"].as_str().and_then(Scope::parse).unwrap_or(Scope::All);
        if !scope.covers(a.kind) {
            return Err(ApiError::Conflict(format!(
                "`{}` is not restricted for a {}",
                b.api,
                a.kind.as_str()
            )));
        }
        if found(c, "SELECT api FROM grants WHERE app_id = $1 AND api = $2", &app, &b.api).await? {
            return Err(ApiError::Conflict(format!("app `{app}` already has `{}`", b.api)));
        }
        let pending = sqlx::query(
            "SELECT id FROM requests WHERE app_id = $1 AND api = $2 AND status = $3",
        )
        .bind(&app)
        .bind(&b.api)
        .bind(RequestStatus::Pending.as_str())
        .fetch_optional(&mut *c.tx)
        .await?;
        if pending.is_some() {
            return Err(ApiError::Conflict(format!(
                "app `{app}` already has a pending request for `{}`",
                b.api
            )));
        }
        sqlx::query(
            "INSERT INTO requests (id, superapp_id, app_id, api, reason, status, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&a.superapp_id)
        .bind(&app)
        .bind(&b.api)
        .bind(&b.reason)
        .bind(RequestStatus::Pending.as_str())
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let after = read_request(c, &id).await?;
        let record = Record::new("request_permission", format!("request:{id}"), None, Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::CREATED, after)
}

#[derive(Deserialize)]
pub(crate) struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

/// `GET /api/v1/superapps/{sid}/requests[?status=…]`.
pub(crate) async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    Query(q): Query<StatusFilter>,
) -> Res {
    caller.require_superapp(Action::ViewApprovals, &sid)?;
    if let Some(s) = &q.status {
        if RequestStatus::parse(s).is_none() {
            let all: Vec<_> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::bad(
                "status",
                format!("`{s}` is not one of {}", all.join(", ")),
            ));
        }
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE superapp_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id"
    ))
    .bind(&sid)
    .bind(q.status.as_deref().unwrap_or(""))
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(request_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "requests": out }))
}

/// `GET /api/v1/apps/{app}/requests`.
pub(crate) async fn list_for_app(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    if caller.role == Role::Developer {
        caller.require_team(&a.team_id)?;
    } else {
        caller.require_superapp(Action::ViewApprovals, &a.superapp_id)?;
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE app_id = $1 ORDER BY created_at, id"
    ))
    .bind(&app)
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(request_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "requests": out }))
}

/// `POST /api/v1/requests/{rid}/decision`.
pub(crate) async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(rid): Path<String>,
    JsonBody(b): JsonBody<Decision>,
) -> Res {
    caller.require(Action::Decide)?;
    b.check()?;
    let row = sqlx::query("SELECT superapp_id, app_id, api FROM requests WHERE id = $1")
        .bind(&rid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("request `{rid}` not found")))?;
    let sid: String = row.try_get("superapp_id")?;
    let (app, api): (String, String) = (row.try_get("app_id")?, row.try_get("api")?);
    let (status, action) = match b.decision {
        Verdict::Approve => (RequestStatus::Approved, "approve_request"),
        Verdict::Reject => (RequestStatus::Rejected, "reject_request"),
    };
    let (after, version) = apply(&st, &caller, Action::Decide, &sid, async |c| {
        // The `status = pending` guard makes the decision a compare-and-set:
        // of two reviewers deciding at once, the second finds nothing to update.
        let updated = sqlx::query(
            "UPDATE requests SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
        )
        .bind(&rid)
        .bind(status.as_str())
        .bind(&caller.id)
        .bind(&b.note)
        .bind(c.at)
        .bind(RequestStatus::Pending.as_str())
        .execute(&mut *c.tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(ApiError::Conflict(format!("request `{rid}` is already decided")));
        }
        if status == RequestStatus::Approved {
            sqlx::query("INSERT INTO grants (app_id, api, request_id, granted_at) VALUES ($1, $2, $3, $4)")
                .bind(&app)
                .bind(&api)
                .bind(&rid)
                .bind(c.at)
                .execute(&mut *c.tx)
                .await?;
            c.validate("decision").await?;
        }
        let after = read_request(c, &rid).await?;
        let before = json!({"id": rid, "status": RequestStatus::Pending.as_str()});
        let record = Record::new(action, format!("request:{rid}"), Some(before), Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::OK, with_version(after, version))
}

/// `DELETE /api/v1/apps/{app}/grants/{api}`: the request becomes `revoked`
/// and the app must request again.
pub(crate) async fn revoke(
    State(st): State<AppState>,
    caller: Caller,
    Path((app, api)): Path<(String, String)>,
) -> Res {
    let a = app_row(&st, &app).await?;
    let (_, version) = apply(&st, &caller, Action::Revoke, &a.superapp_id, async |c| {
        let grant = sqlx::query("SELECT request_id FROM grants WHERE app_id = $1 AND api = $2")
            .bind(&app)
            .bind(&api)
            .fetch_optional(&mut *c.tx)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("app `{app}` has no authorization for `{api}`"))
            })?;
        let request_id: String = grant.try_get("request_id")?;
        sqlx::query("DELETE FROM grants WHERE app_id = $1 AND api = $2")
            .bind(&app)
            .bind(&api)
            .execute(&mut *c.tx)
            .await?;
        sqlx::query("UPDATE requests SET status = $2 WHERE id = $1")
            .bind(&request_id)
            .bind(RequestStatus::Revoked.as_str())
            .execute(&mut *c.tx)
            .await?;
        let before = json!({"app_id": app, "api": api, "request_id": request_id});
        Ok((
            (),
            Record::new("revoke", format!("grant:{app}:{api}"), Some(before), None),
        ))
    })
    .await?;
    reply(
        StatusCode::OK,
        json!({"revoked": {"app_id": app, "api": api}, "version": version}),
    )
}

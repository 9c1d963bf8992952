//! Permission requests for restricted sensitive APIs: a developer files one
//! for its team's app, review staff or the superapp admin approves or rejects
//! it (a compare-and-set on `pending`), and an approval is a grant in the
//! app's bundle until it is revoked.

use guard_core::ApiStatus;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply, Change, Record};
use crate::error::ApiError;
use crate::resources::apis::{entry_in, group_members, permission_of};
use crate::resources::apps::app_row;
use crate::resources::review::{settle, Decision, Lifecycle, RequestStatus, Reviewed};
use crate::resources::{to_json, Versioned, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_text, random_hex};

/// The request columns, as a macro so that queries stay `&'static str`
/// literals (sqlx refuses dynamic SQL).
macro_rules! request_cols {
    () => {
        "id, superapp_id, app_id, api, reason, status, requested_by, decided_by, note, created_at, decided_at"
    };
}

/// A permission request a developer files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// The restricted sensitive API.
    pub api: String,
    /// Why the app needs it (the reviewers read it).
    pub reason: String,
}

/// A permission request.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// Who filed it, where it is, who decided.
    #[serde(flatten)]
    pub life: Lifecycle,
    /// The API asked for.
    pub api: String,
    /// The developer's reason.
    pub reason: String,
}

fn request_of(r: &sqlx::any::AnyRow) -> Result<Request, ApiError> {
    Ok(Request {
        life: Lifecycle::read(r)?,
        api: r.try_get("api")?,
        reason: r.try_get("reason")?,
    })
}

async fn read_request(c: &mut Change, id: &str) -> Result<Request, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    request_of(&row)
}

async fn found(c: &mut Change, sql: &'static str, app: &str, api: &str) -> Result<bool, ApiError> {
    Ok(sqlx::query(sql)
        .bind(app)
        .bind(api)
        .fetch_optional(&mut *c.tx)
        .await?
        .is_some())
}

/// Files a request for `b.api` on `app` (a developer of the app's team).
///
/// # Errors
///
/// 403 (role, team); 404 unknown app; 400 naming `reason` or `api`; 409
/// unbound app, public API, API out of scope, already granted or pending.
pub async fn create(
    st: &AppState,
    caller: &Caller,
    app: &str,
    b: NewRequest,
) -> Result<Request, ApiError> {
    caller.require(Action::RequestPermission)?;
    let a = app_row(st, app).await?;
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
    let (after, _) = apply(st, caller, Action::RequestPermission, &a.superapp_id, async |c| {
        let api = entry_in(c, &b.api).await?.ok_or_else(|| {
            ApiError::bad(
                "api",
                format!("`{}` is not in the sensitive API list of superapp `{}`", b.api, a.superapp_id),
            )
        })?;
        if api.status != ApiStatus::Restricted {
            return Err(ApiError::Conflict(format!("`{}` is public; no permission is needed", b.api)));
        }
        if !api.scope.covers(a.kind) {
            return Err(ApiError::Conflict(format!(
                "`{}` is not restricted for a {}",
                b.api,
                a.kind.as_str()
            )));
        }
        if found(c, "SELECT api FROM grants WHERE app_id = $1 AND api = $2", app, &b.api).await? {
            return Err(ApiError::Conflict(format!("app `{app}` already has `{}`", b.api)));
        }
        let pending = sqlx::query(
            "SELECT id FROM requests WHERE app_id = $1 AND api = $2 AND status = $3",
        )
        .bind(app)
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
        .bind(app)
        .bind(&b.api)
        .bind(&b.reason)
        .bind(RequestStatus::Pending.as_str())
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let after = read_request(c, &id).await?;
        let record = Record::new("request_permission", format!("request:{id}"), None, Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(after)
}

/// Parses a `status` filter of the request lists.
///
/// # Errors
///
/// 400 naming `status`.
pub fn parse_status(status: Option<&str>) -> Result<Option<RequestStatus>, ApiError> {
    match status {
        None => Ok(None),
        Some(s) => RequestStatus::parse(s).map(Some).ok_or_else(|| {
            let all: Vec<_> = RequestStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad("status", format!("`{s}` is not one of {}", all.join(", ")))
        }),
    }
}

/// The requests of superapp `sid` (in `status`, when given), oldest first.
///
/// # Errors
///
/// 403 unless the caller may read approvals of `sid`.
pub async fn list(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    status: Option<RequestStatus>,
) -> Result<Vec<Request>, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE superapp_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at, id"
    ))
    .bind(sid)
    .bind(status.map_or("", RequestStatus::as_str))
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(request_of).collect()
}

/// The requests of `app`: for its team, or for whoever reads the superapp's
/// approvals.
///
/// # Errors
///
/// 403; 404 unknown app.
pub async fn list_for_app(
    st: &AppState,
    caller: &Caller,
    app: &str,
) -> Result<Vec<Request>, ApiError> {
    let a = app_row(st, app).await?;
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
    .bind(app)
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(request_of).collect()
}

/// Request `rid`, for whoever reads the approvals of its superapp.
///
/// # Errors
///
/// 404 unknown request; 403.
pub async fn get(st: &AppState, caller: &Caller, rid: &str) -> Result<Request, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE id = $1"
    ))
    .bind(rid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("request `{rid}` not found")))?;
    let request = request_of(&row)?;
    caller.require_superapp(Action::ViewApprovals, &request.life.superapp_id)?;
    Ok(request)
}

/// Approves (a grant) or rejects request `rid`.
///
/// # Errors
///
/// 403 (role, superapp); 400 naming `note`; 404 unknown request; 409
/// already decided.
pub async fn decide(
    st: &AppState,
    caller: &Caller,
    rid: &str,
    b: Decision,
) -> Result<Versioned<Request>, ApiError> {
    caller.require(Action::Decide)?;
    b.check()?;
    let row = sqlx::query("SELECT superapp_id, app_id, api FROM requests WHERE id = $1")
        .bind(rid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("request `{rid}` not found")))?;
    let sid: String = row.try_get("superapp_id")?;
    let (app, api): (String, String) = (row.try_get("app_id")?, row.try_get("api")?);
    let (status, action) = Reviewed::Request.outcome(b.decision);
    let (item, version) = apply(st, caller, Action::Decide, &sid, async |c| {
        settle(c, Reviewed::Request, rid, status, &caller.id, &b.note).await?;
        if status == RequestStatus::Approved {
            sqlx::query(
                "INSERT INTO grants (app_id, api, request_id, granted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&app)
            .bind(&api)
            .bind(rid)
            .bind(c.at)
            .execute(&mut *c.tx)
            .await?;
            c.validate("decision").await?;
        }
        let after = read_request(c, rid).await?;
        let before = json!({"id": rid, "status": RequestStatus::Pending.as_str()});
        let record = Record::new(
            action,
            format!("request:{rid}"),
            Some(before),
            Some(to_json(&after)?),
        );
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// Revokes `app`'s grant of `api`: the request becomes `revoked` and the app
/// must request again. Its note becomes `reason` (the developer reads why;
/// the approval's note no longer shows, decision 466). Returns the version.
///
/// # Errors
///
/// 403 (role, superapp); 404 unknown app or no such grant; 400 naming
/// `reason` when too long or not text.
pub async fn revoke(
    st: &AppState,
    caller: &Caller,
    app: &str,
    api: &str,
    reason: Option<&str>,
) -> Result<i64, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        crate::util::check_text("reason", r, crate::resources::MAX_TEXT)?;
    }
    let a = app_row(st, app).await?;
    let (_, version) = apply(st, caller, Action::Revoke, &a.superapp_id, async |c| {
        // v3: a grant of any API of a permission group is the group's, so
        // revoking one revokes every grant of the group (decision 367).
        let mut revoked = Vec::new();
        for member in group_members(api) {
            let grant = sqlx::query("SELECT request_id FROM grants WHERE app_id = $1 AND api = $2")
                .bind(app)
                .bind(&member)
                .fetch_optional(&mut *c.tx)
                .await?;
            let Some(grant) = grant else { continue };
            let request_id: String = grant.try_get("request_id")?;
            sqlx::query("DELETE FROM grants WHERE app_id = $1 AND api = $2")
                .bind(app)
                .bind(&member)
                .execute(&mut *c.tx)
                .await?;
            sqlx::query("UPDATE requests SET status = $2, note = $3 WHERE id = $1")
                .bind(&request_id)
                .bind(RequestStatus::Revoked.as_str())
                .bind(reason)
                .execute(&mut *c.tx)
                .await?;
            revoked.push(json!({"api": member, "request_id": request_id}));
        }
        if revoked.is_empty() {
            return Err(ApiError::NotFound(format!(
                "app `{app}` has no authorization for `{api}`"
            )));
        }
        let (permission, _) = permission_of(api);
        let before = json!({"app_id": app, "api": api, "permission": permission, "grants": revoked, "reason": reason});
        Ok((
            (),
            Record::new("revoke", format!("grant:{app}:{api}"), Some(before), None),
        ))
    })
    .await?;
    Ok(version)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::review::Decision;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/apps/{app}/requests`.
    pub(crate) async fn create(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
        JsonBody(b): JsonBody<super::NewRequest>,
    ) -> Res {
        reply_of(
            StatusCode::CREATED,
            &super::create(&st, &caller, &app, b).await?,
        )
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
        caller.require_superapp(crate::auth::Action::ViewApprovals, &sid)?;
        let status = super::parse_status(q.status.as_deref())?;
        let out = super::list(&st, &caller, &sid, status).await?;
        reply(StatusCode::OK, json!({ "requests": out }))
    }

    /// `GET /api/v1/apps/{app}/requests`.
    pub(crate) async fn list_for_app(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
    ) -> Res {
        let out = super::list_for_app(&st, &caller, &app).await?;
        reply(StatusCode::OK, json!({ "requests": out }))
    }

    /// `POST /api/v1/requests/{rid}/decision`.
    pub(crate) async fn decide(
        State(st): State<AppState>,
        caller: Caller,
        Path(rid): Path<String>,
        JsonBody(b): JsonBody<Decision>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::decide(&st, &caller, &rid, b).await?)
    }

    /// `DELETE /api/v1/apps/{app}/grants/{api}`.
    pub(crate) async fn revoke(
        State(st): State<AppState>,
        caller: Caller,
        Path((app, api)): Path<(String, String)>,
    ) -> Res {
        let version = super::revoke(&st, &caller, &app, &api, None).await?;
        reply(
            StatusCode::OK,
            json!({"revoked": {"app_id": app, "api": api}, "version": version}),
        )
    }
}

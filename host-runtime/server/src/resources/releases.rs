//! Release review (seed 001, "Mini Program Review"): a developer submits a
//! version of the team's app for release in the superapp it is bound to;
//! the superapp admin or its review staff approves (the version becomes the
//! app's release, replacing the previous one, and the bundle carries it as
//! `apps[].release`) or rejects with a note; the released list; removal
//! (`apps[].removed: true`), undone by the next approved release.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::resources::apps::app_row;
use crate::resources::review::{lifecycle_json, Decision, RequestStatus, Verdict};
use crate::resources::versions::check_version;
use crate::resources::{reply, with_version, Res};
use crate::state::AppState;
use crate::util::random_hex;

macro_rules! release_cols {
    () => {
        "r.id, r.superapp_id, r.app_id, a.team_id, r.version, r.package_sha256, r.status, r.requested_by, r.decided_by, r.note, r.created_at, r.decided_at"
    };
}

fn release_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    let mut m = lifecycle_json(r)?;
    m.insert("team_id".into(), json!(r.try_get::<String, _>("team_id")?));
    m.insert(
        "app_version".into(),
        json!(r.try_get::<String, _>("version")?),
    );
    m.insert(
        "package_sha256".into(),
        json!(r.try_get::<String, _>("package_sha256")?),
    );
    Ok(Value::Object(m))
}

async fn read_release(c: &mut Change, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    release_json(&row)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Submit {
    app_version: String,
}

/// `POST /api/v1/apps/{app}/releases {"app_version"}`: files a release request.
pub(crate) async fn submit(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    JsonBody(b): JsonBody<Submit>,
) -> Res {
    caller.require(Action::SubmitRelease)?;
    let a = app_row(&st, &app).await?;
    caller.require_team(&a.team_id)?;
    check_version(&b.app_version)?;
    if !a.bound {
        return Err(ApiError::Conflict(format!(
            "app `{app}` is not bound to superapp `{}` yet",
            a.superapp_id
        )));
    }
    let id = format!("rel_{}", random_hex(8)?);
    let (after, version) = apply(&st, &caller, Action::SubmitRelease, &a.superapp_id, async |c| {
        let sha: String = sqlx::query("SELECT package_sha256 FROM app_versions WHERE app_id = $1 AND version = $2")
            .bind(&app)
            .bind(&b.app_version)
            .fetch_optional(&mut *c.tx)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("app `{app}` has no version `{}`", b.app_version)))?
            .try_get("package_sha256")?;
        if sqlx::query("SELECT id FROM releases WHERE app_id = $1 AND version = $2 AND status = $3")
            .bind(&app)
            .bind(&b.app_version)
            .bind(RequestStatus::Pending.as_str())
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!("version `{}` of app `{app}` is already pending review", b.app_version)));
        }
        if sqlx::query("SELECT id FROM apps WHERE id = $1 AND release_version = $2 AND removed = 0")
            .bind(&app)
            .bind(&b.app_version)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!("version `{}` of app `{app}` is already released", b.app_version)));
        }
        sqlx::query(
            "INSERT INTO releases (id, superapp_id, app_id, version, package_sha256, status, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&c.scope)
        .bind(&app)
        .bind(&b.app_version)
        .bind(&sha)
        .bind(RequestStatus::Pending.as_str())
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let after = read_release(c, &id).await?;
        Ok((after.clone(), Record::new("submit_release", format!("release:{id}"), None, Some(after))))
    })
    .await?;
    reply(StatusCode::CREATED, with_version(after, version))
}

/// `GET /api/v1/apps/{app}/releases`: the app's release requests and their
/// outcome (notes included), for its team as for the superapp.
pub(crate) async fn list_for_app(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.app_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(&app)
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(release_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "releases": out }))
}

#[derive(Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    team: Option<String>,
    #[serde(default)]
    app: Option<String>,
}

/// `GET /api/v1/superapps/{sid}/releases[?status=pending|reviewed&team=…&app=…]`:
/// the review list.
pub(crate) async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    Query(q): Query<Filter>,
) -> Res {
    caller.require_superapp(Action::ViewApprovals, &sid)?;
    let status = q.status.as_deref().unwrap_or("");
    if !matches!(status, "" | "pending" | "reviewed") {
        return Err(ApiError::bad(
            "status",
            format!("`{status}` is not one of pending, reviewed"),
        ));
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.superapp_id = $1 \
         AND ($2 = '' OR a.team_id = $2) AND ($3 = '' OR r.app_id = $3) \
         AND ($4 = '' OR ($4 = 'pending' AND r.status = 'pending') OR ($4 = 'reviewed' AND r.status <> 'pending')) \
         ORDER BY r.created_at, r.id"
    ))
    .bind(&sid)
    .bind(q.team.as_deref().unwrap_or(""))
    .bind(q.app.as_deref().unwrap_or(""))
    .bind(status)
    .fetch_all(&st.store.pool)
    .await?;
    let out = rows
        .iter()
        .map(release_json)
        .collect::<Result<Vec<_>, _>>()?;
    reply(StatusCode::OK, json!({ "releases": out }))
}

/// `POST /api/v1/releases/{rid}/decision`: approval releases the version
/// (replacing the previous release, clearing `removed`); a compare-and-set
/// on `pending`, so of two reviewers exactly one decides.
pub(crate) async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(rid): Path<String>,
    JsonBody(b): JsonBody<Decision>,
) -> Res {
    caller.require(Action::DecideRelease)?;
    b.check()?;
    let row = sqlx::query(
        "SELECT superapp_id, app_id, version, package_sha256 FROM releases WHERE id = $1",
    )
    .bind(&rid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("release `{rid}` not found")))?;
    let sid: String = row.try_get("superapp_id")?;
    let app: String = row.try_get("app_id")?;
    let (ver, sha): (String, String) = (row.try_get("version")?, row.try_get("package_sha256")?);
    let (status, action) = match b.decision {
        Verdict::Approve => (RequestStatus::Approved, "approve_release"),
        Verdict::Reject => (RequestStatus::Rejected, "reject_release"),
    };
    let (after, version) = apply(&st, &caller, Action::DecideRelease, &sid, async |c| {
        let updated = sqlx::query(
            "UPDATE releases SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
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
            return Err(ApiError::Conflict(format!("release `{rid}` is already decided")));
        }
        let mut before = json!({"id": rid, "status": RequestStatus::Pending.as_str()});
        if status == RequestStatus::Approved {
            let prev = sqlx::query("SELECT release_version, release_sha256, removed FROM apps WHERE id = $1")
                .bind(&app)
                .fetch_one(&mut *c.tx)
                .await?;
            before["app_release"] = json!({
                "app_version": prev.try_get::<Option<String>, _>("release_version")?,
                "package_sha256": prev.try_get::<Option<String>, _>("release_sha256")?,
                "removed": prev.try_get::<i64, _>("removed")? != 0,
            });
            sqlx::query(
                "UPDATE apps SET release_version = $2, release_sha256 = $3, release_id = $4, removed = 0 WHERE id = $1",
            )
            .bind(&app)
            .bind(&ver)
            .bind(&sha)
            .bind(&rid)
            .execute(&mut *c.tx)
            .await?;
            c.validate("decision").await?;
        }
        let after = read_release(c, &rid).await?;
        let record = Record::new(action, format!("release:{rid}"), Some(before), Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::OK, with_version(after, version))
}

/// `GET /api/v1/superapps/{sid}/released[?team=…&app=…]`: the released
/// (listed, not removed) mini programs, with their QR codes.
pub(crate) async fn released(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    Query(q): Query<Filter>,
) -> Res {
    caller.require_superapp(Action::ViewApprovals, &sid)?;
    let rows = sqlx::query(
        "SELECT a.id, a.team_id, a.name, a.kind, a.release_version, a.release_sha256, a.release_id, r.decided_by, r.decided_at \
         FROM apps a JOIN releases r ON r.id = a.release_id WHERE a.superapp_id = $1 AND a.removed = 0 \
         AND ($2 = '' OR a.team_id = $2) AND ($3 = '' OR a.id = $3) ORDER BY a.id",
    )
    .bind(&sid)
    .bind(q.team.as_deref().unwrap_or(""))
    .bind(q.app.as_deref().unwrap_or(""))
    .fetch_all(&st.store.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        out.push(json!({
            "app_id": id,
            "team_id": r.try_get::<String, _>("team_id")?,
            "name": r.try_get::<String, _>("name")?,
            "kind": r.try_get::<String, _>("kind")?,
            "app_version": r.try_get::<String, _>("release_version")?,
            "package_sha256": r.try_get::<String, _>("release_sha256")?,
            "release_id": r.try_get::<String, _>("release_id")?,
            "released_by": r.try_get::<Option<String>, _>("decided_by")?,
            "released_at": r.try_get::<Option<i64>, _>("decided_at")?,
            "qrcode_png": format!("/api/v1/apps/{id}/qrcode.png"),
            "qrcode_svg": format!("/api/v1/apps/{id}/qrcode.svg"),
        }));
    }
    reply(StatusCode::OK, json!({ "released": out }))
}

/// `DELETE /api/v1/apps/{app}/release`: removes (delists) the released
/// mini program; the bundle then says `removed: true`.
pub(crate) async fn remove(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
) -> Res {
    caller.require(Action::RemoveRelease)?;
    let a = app_row(&st, &app).await?;
    let (after, version) = apply(&st, &caller, Action::RemoveRelease, &a.superapp_id, async |c| {
        let row = sqlx::query(
            "UPDATE apps SET removed = 1 WHERE id = $1 AND release_version IS NOT NULL AND removed = 0 RETURNING release_version",
        )
        .bind(&app)
        .fetch_optional(&mut *c.tx)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("app `{app}` is not released")))?;
        let ver: String = row.try_get("release_version")?;
        c.validate("app").await?;
        let after = json!({"app_id": app, "app_version": ver, "removed": true});
        let before = json!({"app_id": app, "app_version": ver, "removed": false});
        Ok((after.clone(), Record::new("remove_release", format!("app:{app}"), Some(before), Some(after))))
    })
    .await?;
    reply(
        StatusCode::OK,
        with_version(json!({ "removed": after }), version),
    )
}

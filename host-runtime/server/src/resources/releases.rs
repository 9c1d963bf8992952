//! Release review (seed 001, "Mini Program Review"): a developer submits a
//! version of the team's app for release in the superapp it is bound to;
//! the superapp admin or its review staff approves (the version becomes the
//! app's release, replacing the previous one, and the bundle carries it as
//! `apps[].release`) or rejects with a note; the released list; removal
//! (`apps[].removed: true`), undone by the next approved release.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::error::ApiError;
use crate::resources::apps::{app_row, require_view_app};
use crate::resources::review::{settle, Decision, Lifecycle, RequestStatus, Reviewed};
use crate::resources::versions::check_version;
use crate::resources::{to_json, Versioned, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_text, random_hex};

macro_rules! release_cols {
    () => {
        "r.id, r.superapp_id, r.app_id, a.team_id, r.version, r.package_sha256, r.status, r.requested_by, r.decided_by, r.note, r.created_at, r.decided_at"
    };
}

/// A release request.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// Who filed it, where it is, who decided.
    #[serde(flatten)]
    pub life: Lifecycle,
    /// The app's team.
    pub team_id: String,
    /// The version submitted.
    pub app_version: String,
    /// Its package's SHA-256.
    pub package_sha256: String,
}

fn release_of(r: &sqlx::any::AnyRow) -> Result<Release, ApiError> {
    Ok(Release {
        life: Lifecycle::read(r)?,
        team_id: r.try_get("team_id")?,
        app_version: r.try_get("version")?,
        package_sha256: r.try_get("package_sha256")?,
    })
}

async fn read_release(c: &mut Change, id: &str) -> Result<Release, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *c.tx)
    .await?;
    release_of(&row)
}

/// A version submitted for release.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    /// An uploaded version of the app.
    pub app_version: String,
}

/// Files a release request for version `b.app_version` of `app`.
///
/// # Errors
///
/// 403 (role, team); 404 unknown app or version; 400 naming
/// `app_version`; 409 unbound, already pending or released.
pub async fn submit(
    st: &AppState,
    caller: &Caller,
    app: &str,
    b: Submit,
) -> Result<Versioned<Release>, ApiError> {
    caller.require(Action::SubmitRelease)?;
    let a = app_row(st, app).await?;
    caller.require_team(&a.team_id)?;
    check_version(&b.app_version)?;
    if !a.bound {
        return Err(ApiError::Conflict(format!(
            "app `{app}` is not bound to superapp `{}` yet",
            a.superapp_id
        )));
    }
    let id = format!("rel_{}", random_hex(8)?);
    let (item, version) = apply(st, caller, Action::SubmitRelease, &a.superapp_id, async |c| {
        let sha: String = sqlx::query("SELECT package_sha256 FROM app_versions WHERE app_id = $1 AND version = $2")
            .bind(app)
            .bind(&b.app_version)
            .fetch_optional(&mut *c.tx)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("app `{app}` has no version `{}`", b.app_version)))?
            .try_get("package_sha256")?;
        if sqlx::query("SELECT id FROM releases WHERE app_id = $1 AND version = $2 AND status = $3")
            .bind(app)
            .bind(&b.app_version)
            .bind(RequestStatus::Pending.as_str())
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!("version `{}` of app `{app}` is already pending review", b.app_version)));
        }
        if sqlx::query("SELECT id FROM apps WHERE id = $1 AND release_version = $2 AND removed = 0")
            .bind(app)
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
        .bind(app)
        .bind(&b.app_version)
        .bind(&sha)
        .bind(RequestStatus::Pending.as_str())
        .bind(&caller.id)
        .bind(c.at)
        .execute(&mut *c.tx)
        .await?;
        let after = read_release(c, &id).await?;
        let record = Record::new("submit_release", format!("release:{id}"), None, Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// The release requests of `app` and their outcome (notes included), for
/// its team as for the superapp.
///
/// # Errors
///
/// 404; 403 unless the caller may read the app.
pub async fn list_for_app(
    st: &AppState,
    caller: &Caller,
    app: &str,
) -> Result<Vec<Release>, ApiError> {
    let a = app_row(st, app).await?;
    require_view_app(caller, &a)?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.app_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(app)
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(release_of).collect()
}

/// Which releases the review lists show (each filter optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    /// `pending` or `reviewed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Apps of this team.
    #[serde(default)]
    pub team: Option<String>,
    /// This app.
    #[serde(default)]
    pub app: Option<String>,
}

/// The review list of `sid`, oldest first.
///
/// # Errors
///
/// 403 unless the caller may read approvals of `sid`; 400 naming `status`.
pub async fn list(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    q: &Filter,
) -> Result<Vec<Release>, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
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
    .bind(sid)
    .bind(q.team.as_deref().unwrap_or(""))
    .bind(q.app.as_deref().unwrap_or(""))
    .bind(status)
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(release_of).collect()
}

/// Release request `rid`, for whoever reads the approvals of its superapp.
///
/// # Errors
///
/// 404; 403.
pub async fn get(st: &AppState, caller: &Caller, rid: &str) -> Result<Release, ApiError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        release_cols!(),
        " FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.id = $1"
    ))
    .bind(rid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("release `{rid}` not found")))?;
    let release = release_of(&row)?;
    caller.require_superapp(Action::ViewApprovals, &release.life.superapp_id)?;
    Ok(release)
}

/// Approves release `rid` (the version is released, replacing the previous
/// release, clearing `removed`) or rejects it; a compare-and-set on
/// `pending`, so of two reviewers exactly one decides.
///
/// # Errors
///
/// 403 (role, superapp); 400 naming `note`; 404; 409 already decided.
pub async fn decide(
    st: &AppState,
    caller: &Caller,
    rid: &str,
    b: Decision,
) -> Result<Versioned<Release>, ApiError> {
    caller.require(Action::DecideRelease)?;
    b.check()?;
    let row = sqlx::query(
        "SELECT superapp_id, app_id, version, package_sha256 FROM releases WHERE id = $1",
    )
    .bind(rid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("release `{rid}` not found")))?;
    let sid: String = row.try_get("superapp_id")?;
    let app: String = row.try_get("app_id")?;
    let (ver, sha): (String, String) = (row.try_get("version")?, row.try_get("package_sha256")?);
    let (status, action) = Reviewed::Release.outcome(b.decision);
    let (item, version) = apply(st, caller, Action::DecideRelease, &sid, async |c| {
        settle(c, Reviewed::Release, rid, status, &caller.id, &b.note).await?;
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
            .bind(rid)
            .execute(&mut *c.tx)
            .await?;
            c.validate("decision").await?;
        }
        let after = read_release(c, rid).await?;
        let record = Record::new(action, format!("release:{rid}"), Some(before), Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// A released (listed, not removed) mini program.
#[derive(Debug, Clone, Serialize)]
pub struct Released {
    /// The app.
    pub app_id: String,
    /// Its team.
    pub team_id: String,
    /// Its name.
    pub name: String,
    /// Mini program or mini game.
    pub kind: String,
    /// The released version.
    pub app_version: String,
    /// Its package's SHA-256.
    pub package_sha256: String,
    /// The approved release request.
    pub release_id: String,
    /// Who approved it.
    pub released_by: Option<String>,
    /// When.
    pub released_at: Option<i64>,
    /// Its QR code (PNG).
    pub qrcode_png: String,
    /// Its QR code (SVG).
    pub qrcode_svg: String,
}

/// The released (listed, not removed) mini programs of `sid`, with their
/// QR codes.
///
/// # Errors
///
/// 403 unless the caller may read approvals of `sid`.
pub async fn released(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    q: &Filter,
) -> Result<Vec<Released>, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
    let rows = sqlx::query(
        "SELECT a.id, a.team_id, a.name, a.kind, a.release_version, a.release_sha256, a.release_id, r.decided_by, r.decided_at \
         FROM apps a JOIN releases r ON r.id = a.release_id WHERE a.superapp_id = $1 AND a.removed = 0 \
         AND ($2 = '' OR a.team_id = $2) AND ($3 = '' OR a.id = $3) ORDER BY a.id",
    )
    .bind(sid)
    .bind(q.team.as_deref().unwrap_or(""))
    .bind(q.app.as_deref().unwrap_or(""))
    .fetch_all(&st.store.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        out.push(Released {
            qrcode_png: format!("/api/v1/apps/{id}/qrcode.png"),
            qrcode_svg: format!("/api/v1/apps/{id}/qrcode.svg"),
            app_id: id,
            team_id: r.try_get("team_id")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            app_version: r.try_get("release_version")?,
            package_sha256: r.try_get("release_sha256")?,
            release_id: r.try_get("release_id")?,
            released_by: r.try_get("decided_by")?,
            released_at: r.try_get("decided_at")?,
        });
    }
    Ok(out)
}

/// A removed app.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    /// The app.
    pub app_id: String,
    /// The version that was released.
    pub app_version: String,
    /// `true`.
    pub removed: bool,
}

/// Removes (delists) the released mini program `app`; the bundle then says
/// `removed: true`. With a `reason`, the released version's note becomes
/// `Removed: reason`, which its developer reads (decision 466).
///
/// # Errors
///
/// 403 (role, superapp); 404; 409 not released; 400 naming `reason` when
/// too long or not text.
pub async fn remove(
    st: &AppState,
    caller: &Caller,
    app: &str,
    reason: Option<&str>,
) -> Result<Versioned<Removed>, ApiError> {
    caller.require(Action::RemoveRelease)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = reason {
        check_text("reason", r, MAX_TEXT)?;
    }
    let a = app_row(st, app).await?;
    let (item, version) = apply(st, caller, Action::RemoveRelease, &a.superapp_id, async |c| {
        let row = sqlx::query(
            "UPDATE apps SET removed = 1 WHERE id = $1 AND release_version IS NOT NULL AND removed = 0 RETURNING release_version",
        )
        .bind(app)
        .fetch_optional(&mut *c.tx)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("app `{app}` is not released")))?;
        let ver: String = row.try_get("release_version")?;
        // The released version's note becomes why it was removed: the
        // developer reads it on their versions page (decision 466).
        if let Some(r) = reason {
            sqlx::query("UPDATE releases SET note = $3 WHERE app_id = $1 AND version = $2 AND status = $4")
                .bind(app)
                .bind(&ver)
                .bind(format!("Removed: {r}"))
                .bind(RequestStatus::Approved.as_str())
                .execute(&mut *c.tx)
                .await?;
        }
        c.validate("app").await?;
        let after = Removed { app_id: app.to_owned(), app_version: ver.clone(), removed: true };
        let before = json!({"app_id": app, "app_version": ver, "removed": false});
        let record = Record::new("remove_release", format!("app:{app}"), Some(before), Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::review::Decision;
    use crate::resources::{reply, reply_of, to_json, Res};
    use crate::state::AppState;

    /// `POST /api/v1/apps/{app}/releases {"app_version"}`.
    pub(crate) async fn submit(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
        JsonBody(b): JsonBody<super::Submit>,
    ) -> Res {
        reply_of(
            StatusCode::CREATED,
            &super::submit(&st, &caller, &app, b).await?,
        )
    }

    /// `GET /api/v1/apps/{app}/releases`.
    pub(crate) async fn list_for_app(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
    ) -> Res {
        let out = super::list_for_app(&st, &caller, &app).await?;
        reply(StatusCode::OK, json!({ "releases": out }))
    }

    /// `GET /api/v1/superapps/{sid}/releases[?status=pending|reviewed&team=…&app=…]`.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        Query(q): Query<super::Filter>,
    ) -> Res {
        let out = super::list(&st, &caller, &sid, &q).await?;
        reply(StatusCode::OK, json!({ "releases": out }))
    }

    /// `POST /api/v1/releases/{rid}/decision`.
    pub(crate) async fn decide(
        State(st): State<AppState>,
        caller: Caller,
        Path(rid): Path<String>,
        JsonBody(b): JsonBody<Decision>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::decide(&st, &caller, &rid, b).await?)
    }

    /// `GET /api/v1/superapps/{sid}/released[?team=…&app=…]`.
    pub(crate) async fn released(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        Query(q): Query<super::Filter>,
    ) -> Res {
        let out = super::released(&st, &caller, &sid, &q).await?;
        reply(StatusCode::OK, json!({ "released": out }))
    }

    /// `DELETE /api/v1/apps/{app}/release`.
    pub(crate) async fn remove(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
    ) -> Res {
        let done = super::remove(&st, &caller, &app, None).await?;
        let mut body = json!({ "removed": to_json(&done.item)? });
        body["version"] = json!(done.version);
        reply(StatusCode::OK, body)
    }
}

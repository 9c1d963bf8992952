//! Mini programs and mini games: creation (bound to a superapp, owned by a
//! team, with an app secret shown once) and reading.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use guard_core::AppKind;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::policy::Whitelist;
use crate::resources::bindings;
use crate::resources::{reply, with_version, Res, MAX_TEXT};
use crate::state::AppState;
use crate::store::flag;
use crate::util::{check_id, check_text, random_hex, sha256_hex};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApp {
    id: String,
    name: String,
    kind: AppKind,
    team_id: String,
}

/// What the handlers need to know of an app to authorise a call on it.
#[derive(Debug, Clone)]
pub(crate) struct AppRow {
    pub(crate) superapp_id: String,
    pub(crate) team_id: String,
    pub(crate) kind: AppKind,
    /// Whether the superapp approved the app's binding.
    pub(crate) bound: bool,
}

/// Looks an app up.
///
/// # Errors
///
/// [`ApiError::NotFound`].
pub(crate) async fn app_row(st: &AppState, app: &str) -> Result<AppRow, ApiError> {
    let row = sqlx::query("SELECT superapp_id, team_id, kind, bound FROM apps WHERE id = $1")
        .bind(app)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    let kind: String = row.try_get("kind")?;
    Ok(AppRow {
        superapp_id: row.try_get("superapp_id")?,
        team_id: row.try_get("team_id")?,
        kind: AppKind::parse(&kind)
            .ok_or_else(|| ApiError::Internal(format!("stored kind `{kind}`")))?,
        bound: flag(&row, "bound")?,
    })
}

/// `POST /api/v1/superapps/{sid}/apps`: the app and its binding request;
/// the app joins the superapp's bundle when the superapp approves.
pub(crate) async fn create(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<NewApp>,
) -> Res {
    caller.require(Action::CreateApp)?;
    caller.require_team(&b.team_id)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let secret = random_hex(16)?;
    let after = json!({"id": b.id, "name": b.name, "kind": b.kind, "team_id": b.team_id, "superapp_id": sid});
    let (binding, version) = apply(&st, &caller, Action::CreateApp, &sid, async |c| {
        if sqlx::query("SELECT id FROM apps WHERE id = $1")
            .bind(&b.id)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!("app `{}` already exists", b.id)));
        }
        if sqlx::query("SELECT id FROM teams WHERE id = $1")
            .bind(&b.team_id)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!("team `{}` not found", b.team_id)));
        }
        sqlx::query(
            "INSERT INTO apps (id, superapp_id, team_id, kind, name, secret_hash, ctl_server_domains, ctl_apis, ctl_webview_domains, bound) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0)",
        )
        .bind(&b.id)
        .bind(&sid)
        .bind(&b.team_id)
        .bind(b.kind.as_str())
        .bind(&b.name)
        .bind(sha256_hex(&secret))
        .execute(&mut *c.tx)
        .await?;
        let binding = bindings::file(c, &b.id, &caller.id).await?;
        let mut recorded = after.clone();
        recorded["binding"] = binding.clone();
        Ok((binding, Record::new("create_app", format!("app:{}", b.id), None, Some(recorded))))
    })
    .await?;
    let mut body = with_version(after, version);
    body["app_secret"] = json!(secret);
    body["binding"] = json!({"id": binding["id"], "status": binding["status"]});
    reply(StatusCode::CREATED, body)
}

/// The app as the API shows it: whether its binding is approved, switches,
/// whitelists, granted APIs.
pub(crate) async fn app_json(st: &AppState, app: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT id, superapp_id, team_id, kind, name, bound, mode, ctl_server_domains, ctl_apis, ctl_webview_domains FROM apps WHERE id = $1",
    )
    .bind(app)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    let mut lists = json!({});
    for wl in Whitelist::ALL {
        lists[wl.as_str()] = json!([]);
    }
    for r in sqlx::query("SELECT id, list, value, remark FROM whitelist WHERE app_id = $1 ORDER BY list, position, id")
        .bind(app)
        .fetch_all(&st.store.pool)
        .await?
    {
        let list: String = r.try_get("list")?;
        if let Some(arr) = lists.get_mut(&list).and_then(Value::as_array_mut) {
            arr.push(json!({"id": r.try_get::<String, _>("id")?, "value": r.try_get::<String, _>("value")?, "remark": r.try_get::<String, _>("remark")?}));
        }
    }
    let mut grants = Vec::new();
    for r in sqlx::query("SELECT api FROM grants WHERE app_id = $1 ORDER BY api")
        .bind(app)
        .fetch_all(&st.store.pool)
        .await?
    {
        grants.push(r.try_get::<String, _>("api")?);
    }
    Ok(json!({
        "id": row.try_get::<String, _>("id")?,
        "superapp_id": row.try_get::<String, _>("superapp_id")?,
        "team_id": row.try_get::<String, _>("team_id")?,
        "kind": row.try_get::<String, _>("kind")?,
        "name": row.try_get::<String, _>("name")?,
        "bound": flag(&row, "bound")?,
        "mode": row.try_get::<Option<String>, _>("mode")?,
        "control": {
            "server_domains": flag(&row, "ctl_server_domains")?,
            "apis": flag(&row, "ctl_apis")?,
            "webview_domains": flag(&row, "ctl_webview_domains")?,
        },
        "whitelists": lists,
        "granted_apis": grants,
    }))
}

/// `GET /api/v1/apps/{app}`.
pub(crate) async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)?;
    reply(StatusCode::OK, app_json(&st, &app).await?)
}

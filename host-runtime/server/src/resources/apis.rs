//! The sensitive API list of a superapp: read it, add system or custom APIs,
//! restrict or allow them, delete custom ones, and list the apps authorised
//! for one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use guard_core::{ApiStatus, ApiType, Scope};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::policy;
use crate::resources::superapps::require_view;
use crate::resources::{reply, with_version, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::check_text;

/// One entry of the list as the API shows it, read inside a change.
pub(crate) async fn api_json(c: &mut Change, name: &str) -> Result<Option<Value>, ApiError> {
    let row = sqlx::query("SELECT name, status, scope, api_type, description FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
        .bind(&c.scope)
        .bind(name)
        .fetch_optional(&mut *c.tx)
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(json!({
        "name": r.try_get::<String, _>("name")?,
        "status": r.try_get::<String, _>("status")?,
        "scope": r.try_get::<String, _>("scope")?,
        "type": r.try_get::<String, _>("api_type")?,
        "description": r.try_get::<Option<String>, _>("description")?,
    })))
}

fn not_listed(name: &str) -> ApiError {
    ApiError::NotFound(format!("`{name}` is not in the sensitive API list"))
}

/// `GET /api/v1/superapps/{sid}/apis`.
pub(crate) async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    require_view(&st, &caller, &sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    let apis = policy::build(&mut conn, &sid, None).await?.sensitive_apis;
    reply(StatusCode::OK, json!({ "apis": apis }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApi {
    name: String,
    #[serde(rename = "type")]
    api_type: ApiType,
    #[serde(default = "all_scope")]
    scope: Scope,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "restricted")]
    status: ApiStatus,
}

fn all_scope() -> Scope {
    Scope::All
}

fn restricted() -> ApiStatus {
    ApiStatus::Restricted
}

/// Checks an API name: letters, digits and `_`, starting with a letter.
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `name`.
pub(crate) fn check_api_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            "name",
            format!(
                "`{name}` is not an API name (letters, digits and `_`, starting with a letter)"
            ),
        ))
    }
}

/// A system API must be a platform API, a custom one must not be and must
/// say what it does.
fn check_new_api(b: &NewApi) -> Result<(), ApiError> {
    check_api_name(&b.name)?;
    let in_catalogue = guard_core::catalogue::names().any(|n| n == b.name);
    match b.api_type {
        ApiType::System if !in_catalogue => Err(ApiError::bad(
            "name",
            format!("`{}` is not a platform API; add it as `custom`", b.name),
        )),
        ApiType::Custom if in_catalogue => Err(ApiError::bad(
            "name",
            format!("`{}` is a platform API; add it as `system`", b.name),
        )),
        ApiType::Custom if b.description.as_deref().is_none_or(|d| d.trim().is_empty()) => {
            Err(ApiError::bad(
                "description",
                "a custom API needs a description of what it does",
            ))
        }
        _ => match &b.description {
            Some(d) => check_text("description", d, MAX_TEXT),
            None => Ok(()),
        },
    }
}

/// `POST /api/v1/superapps/{sid}/apis`.
pub(crate) async fn add(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<NewApi>,
) -> Res {
    caller.require_superapp(Action::ManageApis, &sid)?;
    check_new_api(&b)?;
    let (after, version) = apply(&st, &caller, Action::ManageApis, &sid, async |c| {
        if api_json(c, &b.name).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "`{}` is already in the sensitive API list",
                b.name
            )));
        }
        sqlx::query("INSERT INTO sensitive_apis (superapp_id, name, status, scope, api_type, description) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&sid)
            .bind(&b.name)
            .bind(b.status.as_str())
            .bind(b.scope.as_str())
            .bind(b.api_type.as_str())
            .bind(b.description.as_deref())
            .execute(&mut *c.tx)
            .await?;
        c.validate("name").await?;
        let after = api_json(c, &b.name).await?.unwrap_or(Value::Null);
        let record = Record::new("add_api", format!("api:{}", b.name), None, Some(after.clone()));
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::CREATED, with_version(after, version))
}

async fn set_status(
    st: AppState,
    caller: Caller,
    sid: String,
    name: String,
    status: ApiStatus,
) -> Res {
    let action = match status {
        ApiStatus::Public => "allow_api",
        ApiStatus::Restricted => "restrict_api",
    };
    let (after, version) = apply(&st, &caller, Action::ManageApis, &sid, async |c| {
        let before = api_json(c, &name).await?.ok_or_else(|| not_listed(&name))?;
        sqlx::query("UPDATE sensitive_apis SET status = $3 WHERE superapp_id = $1 AND name = $2")
            .bind(&sid)
            .bind(&name)
            .bind(status.as_str())
            .execute(&mut *c.tx)
            .await?;
        let after = api_json(c, &name).await?.unwrap_or(Value::Null);
        let record = Record::new(
            action,
            format!("api:{name}"),
            Some(before),
            Some(after.clone()),
        );
        Ok((after, record))
    })
    .await?;
    reply(StatusCode::OK, with_version(after, version))
}

/// `POST /api/v1/superapps/{sid}/apis/{name}/restrict`.
pub(crate) async fn restrict(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    set_status(st, caller, sid, name, ApiStatus::Restricted).await
}

/// `POST /api/v1/superapps/{sid}/apis/{name}/allow`.
pub(crate) async fn allow(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    set_status(st, caller, sid, name, ApiStatus::Public).await
}

/// `DELETE /api/v1/superapps/{sid}/apis/{name}`: custom APIs only, with
/// their grants.
pub(crate) async fn delete(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    let (_, version) = apply(&st, &caller, Action::ManageApis, &sid, async |c| {
        let before = api_json(c, &name).await?.ok_or_else(|| not_listed(&name))?;
        if before["type"] != ApiType::Custom.as_str() {
            return Err(ApiError::Conflict(format!(
                "`{name}` is a system API; only custom APIs can be deleted (allow it instead)"
            )));
        }
        sqlx::query("DELETE FROM grants WHERE api = $1 AND app_id IN (SELECT id FROM apps WHERE superapp_id = $2)")
            .bind(&name)
            .bind(&sid)
            .execute(&mut *c.tx)
            .await?;
        sqlx::query("DELETE FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
            .bind(&sid)
            .bind(&name)
            .execute(&mut *c.tx)
            .await?;
        Ok(((), Record::new("delete_api", format!("api:{name}"), Some(before), None)))
    })
    .await?;
    reply(StatusCode::OK, json!({"deleted": name, "version": version}))
}

/// `GET /api/v1/superapps/{sid}/apis/{name}/authorized`.
pub(crate) async fn authorized(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    caller.require_superapp(Action::ViewApprovals, &sid)?;
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT g.app_id, a.kind, a.team_id, g.request_id, g.granted_at FROM grants g JOIN apps a ON a.id = g.app_id \
         WHERE a.superapp_id = $1 AND g.api = $2 ORDER BY g.app_id",
    )
    .bind(&sid)
    .bind(&name)
    .fetch_all(&st.store.pool)
    .await?
    {
        out.push(json!({
            "app_id": r.try_get::<String, _>("app_id")?,
            "kind": r.try_get::<String, _>("kind")?,
            "team_id": r.try_get::<String, _>("team_id")?,
            "request_id": r.try_get::<String, _>("request_id")?,
            "granted_at": r.try_get::<i64, _>("granted_at")?,
        }));
    }
    reply(StatusCode::OK, json!({"api": name, "apps": out}))
}

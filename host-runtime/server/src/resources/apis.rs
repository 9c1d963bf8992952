//! The sensitive API list of a superapp: read it, add system or custom APIs,
//! restrict or allow them, delete custom ones, and list the apps authorised
//! for one. Contract v3 permission groups (`policy.md` §1): every entry
//! names its permission (its group, such as `scope.userLocation` for
//! `getLocation`, or itself), and restricting or allowing one API of a group
//! acts on every listed API of the group (decision 367).

use guard_core::{ApiStatus, ApiType, Scope, SensitiveApi};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::error::ApiError;
use crate::policy;
use crate::resources::superapps::require_view;
use crate::resources::{to_json, Versioned, MAX_TEXT};
use crate::state::AppState;
use crate::util::check_text;

/// One entry of the list as a change answers it (`description` always
/// present, `null` when none).
#[derive(Debug, Clone, Serialize)]
pub struct ApiEntry {
    /// The API name.
    pub name: String,
    /// Public or restricted.
    pub status: ApiStatus,
    /// Which kind of app the restriction applies to.
    pub scope: Scope,
    /// System (a platform API) or custom.
    #[serde(rename = "type")]
    pub api_type: ApiType,
    /// What a custom API does.
    pub description: Option<String>,
    /// v3: the permission it is restricted and granted as: its group
    /// (`scope.userLocation`), or its own name.
    pub permission: String,
    /// v3: the APIs of its group (empty for an API in no group).
    pub group_apis: Vec<String>,
}

/// Why platform API `name` cannot be restricted, when it cannot (decision
/// 460): utilities that hand a mini program no data and no capability of the
/// device, whose restriction would only break mini programs. `canIUse` is
/// feature detection (a mini program asks it before calling what it
/// checks); the base64 conversions and `nextTick` compute inside the mini
/// program; `off…` and `stop…` only end what the mini program started (the
/// contract's permission groups leave them out for the same reason), and
/// restricting them would keep a listener or a sensor running.
///
/// # Examples
///
/// ```
/// use guard_server::resources::apis::not_restrictable;
/// assert!(not_restrictable("canIUse").is_some());
/// assert!(not_restrictable("offLocationChange").is_some());
/// assert!(not_restrictable("getLocation").is_none());
/// assert!(not_restrictable("office").is_none());
/// ```
pub fn not_restrictable(name: &str) -> Option<&'static str> {
    let prefixed = |p: &str| {
        name.strip_prefix(p)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c.is_ascii_uppercase())
    };
    match name {
        "canIUse" => Some(
            "feature detection: it tells a mini program whether an API exists and hands it no data; restricted, it would break mini programs that check before they call",
        ),
        "arrayBufferToBase64" | "base64ToArrayBuffer" | "nextTick" => Some(
            "a utility computed inside the mini program: it reaches no data and no capability of the device",
        ),
        _ if prefixed("off") || prefixed("stop") => Some(
            "it only ends what the mini program started and hands it no data; restricted, it would keep a listener or a sensor running",
        ),
        _ => None,
    }
}

/// The permission of `name` and the APIs of its group (v3).
pub fn permission_of(name: &str) -> (String, Vec<String>) {
    let permission = guard_core::groups::permission(name);
    let apis = guard_core::groups::group(permission)
        .map(|(_, apis)| apis.iter().map(|a| (*a).to_owned()).collect())
        .unwrap_or_default();
    (permission.to_owned(), apis)
}

/// `name` and the other APIs of its group: what a restriction, an allow or
/// a revocation of `name` acts on.
pub fn group_members(name: &str) -> Vec<String> {
    let (_, apis) = permission_of(name);
    if apis.is_empty() {
        vec![name.to_owned()]
    } else {
        apis
    }
}

/// One entry of the list, read inside a change.
pub(crate) async fn entry_in(c: &mut Change, name: &str) -> Result<Option<ApiEntry>, ApiError> {
    let row = sqlx::query("SELECT name, status, scope, api_type, description FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
        .bind(&c.scope)
        .bind(name)
        .fetch_optional(&mut *c.tx)
        .await?;
    row.as_ref().map(entry_of).transpose()
}

fn entry_of(r: &sqlx::any::AnyRow) -> Result<ApiEntry, ApiError> {
    let corrupt = |what: &str, v: &str| ApiError::Internal(format!("stored {what} `{v}`"));
    let (status, scope, api_type): (String, String, String) = (
        r.try_get("status")?,
        r.try_get("scope")?,
        r.try_get("api_type")?,
    );
    let name: String = r.try_get("name")?;
    let (permission, group_apis) = permission_of(&name);
    Ok(ApiEntry {
        permission,
        group_apis,
        name,
        status: ApiStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        scope: Scope::parse(&scope).ok_or_else(|| corrupt("scope", &scope))?,
        api_type: ApiType::parse(&api_type).ok_or_else(|| corrupt("type", &api_type))?,
        description: r.try_get("description")?,
    })
}

fn not_listed(name: &str) -> ApiError {
    ApiError::NotFound(format!("`{name}` is not in the sensitive API list"))
}

/// The sensitive API list of `sid`, as the bundle carries it.
///
/// # Errors
///
/// 403 unless the caller may read the superapp; 404 for an unknown one.
pub async fn list(st: &AppState, caller: &Caller, sid: &str) -> Result<Vec<ApiEntry>, ApiError> {
    require_view(st, caller, sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    Ok(policy::build(&mut conn, sid, None)
        .await?
        .sensitive_apis
        .into_iter()
        .map(|a: SensitiveApi| {
            let (permission, group_apis) = permission_of(&a.name);
            ApiEntry {
                name: a.name,
                status: a.status,
                scope: a.scope,
                api_type: a.api_type,
                description: a.description,
                permission,
                group_apis,
            }
        })
        .collect())
}

/// One entry of the list of `sid`.
///
/// # Errors
///
/// 403 unless the caller may read the superapp; 404 when not listed.
pub async fn get(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    name: &str,
) -> Result<ApiEntry, ApiError> {
    require_view(st, caller, sid).await?;
    let row = sqlx::query("SELECT name, status, scope, api_type, description FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
        .bind(sid)
        .bind(name)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| not_listed(name))?;
    entry_of(&row)
}

/// A new entry of the list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApi {
    /// The API name.
    pub name: String,
    /// System or custom.
    #[serde(rename = "type")]
    pub api_type: ApiType,
    /// Which kind of app it applies to (default: all).
    #[serde(default = "all_scope")]
    pub scope: Scope,
    /// What a custom API does (required for custom APIs).
    #[serde(default)]
    pub description: Option<String>,
    /// Restricted by default.
    #[serde(default = "restricted")]
    pub status: ApiStatus,
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

/// Every refusal of new API `b`, in the form's order (its name, then its
/// description), so a form can show them all at once: a system API must be
/// a platform API that can be restricted, a custom one must not be one and
/// must say what it does.
pub fn new_api_errors(b: &NewApi) -> Vec<ApiError> {
    [check_new_name(b), check_description(b)]
        .into_iter()
        .filter_map(Result::err)
        .collect()
}

fn check_new_api(b: &NewApi) -> Result<(), ApiError> {
    new_api_errors(b).into_iter().next().map_or(Ok(()), Err)
}

fn check_new_name(b: &NewApi) -> Result<(), ApiError> {
    check_api_name(&b.name)?;
    let in_catalogue = guard_core::catalogue::names().any(|n| n == b.name);
    if let (true, Some(why)) = (in_catalogue, not_restrictable(&b.name)) {
        return Err(ApiError::bad(
            "name",
            format!("`{}` cannot be restricted: {why}", b.name),
        ));
    }
    match b.api_type {
        ApiType::System if !in_catalogue => Err(ApiError::bad(
            "name",
            format!("`{}` is not a platform API; add it as `custom`", b.name),
        )),
        ApiType::Custom if in_catalogue => Err(ApiError::bad(
            "name",
            format!("`{}` is a platform API; add it as `system`", b.name),
        )),
        _ => Ok(()),
    }
}

fn check_description(b: &NewApi) -> Result<(), ApiError> {
    let blank = b.description.as_deref().is_none_or(|d| d.trim().is_empty());
    match (&b.description, b.api_type) {
        (_, ApiType::Custom) if blank => Err(ApiError::bad(
            "description",
            "a custom API needs a description of what it does",
        )),
        (Some(d), _) => check_text("description", d, MAX_TEXT),
        (None, _) => Ok(()),
    }
}

/// Adds `b` to the list of `sid`.
///
/// # Errors
///
/// 403 unless the caller may manage APIs of `sid`; 400 naming the field;
/// 409 when already listed.
pub async fn add(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    b: NewApi,
) -> Result<Versioned<ApiEntry>, ApiError> {
    caller.require_superapp(Action::ManageApis, sid)?;
    check_new_api(&b)?;
    let (item, version) = apply(st, caller, Action::ManageApis, sid, async |c| {
        if entry_in(c, &b.name).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "`{}` is already in the sensitive API list",
                b.name
            )));
        }
        sqlx::query("INSERT INTO sensitive_apis (superapp_id, name, status, scope, api_type, description) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(sid)
            .bind(&b.name)
            .bind(b.status.as_str())
            .bind(b.scope.as_str())
            .bind(b.api_type.as_str())
            .bind(b.description.as_deref())
            .execute(&mut *c.tx)
            .await?;
        c.validate("name").await?;
        let after = entry_in(c, &b.name).await?.ok_or_else(|| not_listed(&b.name))?;
        let record = Record::new("add_api", format!("api:{}", b.name), None, Some(to_json(&after)?));
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// Restricts (`Restricted`) or allows (`Public`) API `name` of `sid`, and
/// with it every listed API of its permission group (v3: one permission).
///
/// # Errors
///
/// 403 unless the caller may manage APIs of `sid`; 404 when not listed;
/// 400 naming `status` when restricting a platform utility
/// ([`not_restrictable`]).
pub async fn set_status(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    name: &str,
    status: ApiStatus,
) -> Result<Versioned<ApiEntry>, ApiError> {
    let action = match status {
        ApiStatus::Public => "allow_api",
        ApiStatus::Restricted => "restrict_api",
    };
    let (item, version) = apply(st, caller, Action::ManageApis, sid, async |c| {
        let before = entry_in(c, name).await?.ok_or_else(|| not_listed(name))?;
        // A list from before decision 460 may hold one: it can be allowed
        // and deleted, never restricted again.
        let utility = (before.api_type == ApiType::System)
            .then(|| not_restrictable(name))
            .flatten();
        if let (ApiStatus::Restricted, Some(why)) = (status, utility) {
            return Err(ApiError::bad(
                "status",
                format!("`{name}` cannot be restricted: {why}"),
            ));
        }
        for member in group_members(name) {
            sqlx::query(
                "UPDATE sensitive_apis SET status = $3 WHERE superapp_id = $1 AND name = $2",
            )
            .bind(sid)
            .bind(&member)
            .bind(status.as_str())
            .execute(&mut *c.tx)
            .await?;
        }
        let after = entry_in(c, name).await?.ok_or_else(|| not_listed(name))?;
        let record = Record::new(
            action,
            format!("api:{name}"),
            Some(to_json(&before)?),
            Some(to_json(&after)?),
        );
        Ok((after, record))
    })
    .await?;
    Ok(Versioned { item, version })
}

/// Deletes custom API `name` of `sid`, with its grants; returns the version.
///
/// # Errors
///
/// 403 unless the caller may manage APIs of `sid`; 404 when not listed;
/// 409 for a system API.
pub async fn delete(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    name: &str,
) -> Result<i64, ApiError> {
    let (_, version) = apply(st, caller, Action::ManageApis, sid, async |c| {
        let before = entry_in(c, name).await?.ok_or_else(|| not_listed(name))?;
        if before.api_type != ApiType::Custom {
            return Err(ApiError::Conflict(format!(
                "`{name}` is a system API; only custom APIs can be deleted (allow it instead)"
            )));
        }
        sqlx::query("DELETE FROM grants WHERE api = $1 AND app_id IN (SELECT id FROM apps WHERE superapp_id = $2)")
            .bind(name)
            .bind(sid)
            .execute(&mut *c.tx)
            .await?;
        sqlx::query("DELETE FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
            .bind(sid)
            .bind(name)
            .execute(&mut *c.tx)
            .await?;
        Ok(((), Record::new("delete_api", format!("api:{name}"), Some(to_json(&before)?), None)))
    })
    .await?;
    Ok(version)
}

/// An app authorised for a sensitive API.
#[derive(Debug, Clone, Serialize)]
pub struct Authorized {
    /// The app.
    pub app_id: String,
    /// Mini program or mini game.
    pub kind: String,
    /// Its team.
    pub team_id: String,
    /// The approved request behind the grant.
    pub request_id: String,
    /// When it was granted.
    pub granted_at: i64,
}

/// The apps of `sid` authorised for `name`.
///
/// # Errors
///
/// 403 unless the caller may read approvals of `sid`.
pub async fn authorized(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    name: &str,
) -> Result<Vec<Authorized>, ApiError> {
    caller.require_superapp(Action::ViewApprovals, sid)?;
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT g.app_id, a.kind, a.team_id, g.request_id, g.granted_at FROM grants g JOIN apps a ON a.id = g.app_id \
         WHERE a.superapp_id = $1 AND g.api = $2 ORDER BY g.app_id",
    )
    .bind(sid)
    .bind(name)
    .fetch_all(&st.store.pool)
    .await?
    {
        out.push(Authorized {
            app_id: r.try_get("app_id")?,
            kind: r.try_get("kind")?,
            team_id: r.try_get("team_id")?,
            request_id: r.try_get("request_id")?,
            granted_at: r.try_get("granted_at")?,
        });
    }
    Ok(out)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use guard_core::ApiStatus;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `GET /api/v1/superapps/{sid}/apis`.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        let apis = super::list(&st, &caller, &sid).await?;
        reply(StatusCode::OK, json!({ "apis": apis }))
    }

    /// `POST /api/v1/superapps/{sid}/apis`.
    pub(crate) async fn add(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        JsonBody(b): JsonBody<super::NewApi>,
    ) -> Res {
        reply_of(
            StatusCode::CREATED,
            &super::add(&st, &caller, &sid, b).await?,
        )
    }

    /// `POST /api/v1/superapps/{sid}/apis/{name}/restrict`.
    pub(crate) async fn restrict(
        State(st): State<AppState>,
        caller: Caller,
        Path((sid, name)): Path<(String, String)>,
    ) -> Res {
        let done = super::set_status(&st, &caller, &sid, &name, ApiStatus::Restricted).await?;
        reply_of(StatusCode::OK, &done)
    }

    /// `POST /api/v1/superapps/{sid}/apis/{name}/allow`.
    pub(crate) async fn allow(
        State(st): State<AppState>,
        caller: Caller,
        Path((sid, name)): Path<(String, String)>,
    ) -> Res {
        let done = super::set_status(&st, &caller, &sid, &name, ApiStatus::Public).await?;
        reply_of(StatusCode::OK, &done)
    }

    /// `DELETE /api/v1/superapps/{sid}/apis/{name}`: custom APIs only, with
    /// their grants.
    pub(crate) async fn delete(
        State(st): State<AppState>,
        caller: Caller,
        Path((sid, name)): Path<(String, String)>,
    ) -> Res {
        let version = super::delete(&st, &caller, &sid, &name).await?;
        reply(StatusCode::OK, json!({"deleted": name, "version": version}))
    }

    /// `GET /api/v1/superapps/{sid}/apis/{name}/authorized`.
    pub(crate) async fn authorized(
        State(st): State<AppState>,
        caller: Caller,
        Path((sid, name)): Path<(String, String)>,
    ) -> Res {
        let apps = super::authorized(&st, &caller, &sid, &name).await?;
        reply(StatusCode::OK, json!({"api": name, "apps": apps}))
    }
}

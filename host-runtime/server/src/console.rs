//! The console API (`/api/v1/...`): superapps, teams, accounts, apps, the
//! sensitive API list, permission requests and approvals, the switches and
//! whitelists, the audit log and the signed bundles.
//!
//! Every change runs in one [`Change`]: it bumps the scope's version first,
//! validates the resulting policy with `guard_core::Policy::validate`, writes
//! the audit record and commits, or changes nothing.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use guard_core::{AppKind, DomainEntry, Scope, SecretKey};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{self, Action, Caller, Role};
use crate::error::ApiError;
use crate::policy::{self, DEFAULT_SENSITIVE_APIS};
use crate::store::{flag, Change};
use crate::util::{check_id, check_text, random_hex, sha256_hex};
use crate::{AppState, JsonBody};

/// Longest remark on a whitelist entry (the seeds' 200 characters).
pub const MAX_REMARK_CHARS: usize = 200;
/// Longest name, reason, note or description.
const MAX_TEXT: usize = 2000;

/// The request columns, as a macro so that queries stay `&'static str`
/// literals (sqlx refuses dynamic SQL).
macro_rules! request_cols {
    () => {
        "id, superapp_id, app_id, api, reason, status, requested_by, decided_by, note, created_at, decided_at"
    };
}

type Res = Result<Response, ApiError>;

/// The console routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/superapps",
            post(create_superapp).get(list_superapps),
        )
        .route(
            "/api/v1/superapps/{sid}",
            get(get_superapp).patch(configure_superapp),
        )
        .route("/api/v1/teams", post(create_team).get(list_teams))
        .route("/api/v1/accounts", post(create_account))
        .route("/api/v1/superapps/{sid}/apps", post(create_app))
        .route("/api/v1/apps/{app}", get(get_app))
        .route("/api/v1/superapps/{sid}/apis", get(list_apis).post(add_api))
        .route("/api/v1/superapps/{sid}/apis/{name}", delete(delete_api))
        .route(
            "/api/v1/superapps/{sid}/apis/{name}/restrict",
            post(restrict_api),
        )
        .route("/api/v1/superapps/{sid}/apis/{name}/allow", post(allow_api))
        .route(
            "/api/v1/superapps/{sid}/apis/{name}/authorized",
            get(authorized_apps),
        )
        .route(
            "/api/v1/apps/{app}/requests",
            post(create_request).get(app_requests),
        )
        .route("/api/v1/superapps/{sid}/requests", get(list_requests))
        .route("/api/v1/requests/{rid}/decision", post(decide))
        .route("/api/v1/apps/{app}/grants/{api}", delete(revoke))
        .route("/api/v1/apps/{app}/control", put(set_control))
        .route("/api/v1/apps/{app}/whitelists/{list}", post(add_entry))
        .route(
            "/api/v1/apps/{app}/whitelists/{list}/{entry}",
            put(edit_entry).delete(delete_entry),
        )
        .route("/api/v1/superapps/{sid}/audit", get(audit))
        .route("/api/v1/superapps/{sid}/bundle", get(superapp_bundle))
        .route("/api/v1/apps/{app}/bundle", get(app_bundle))
}

fn ok(status: StatusCode, body: Value) -> Res {
    Ok((status, Json(body)).into_response())
}

/// Validates the superapp's policy as it stands inside the change, with
/// guard-core's own load-time rules (entries, lengths, duplicates), so the
/// server can never publish a bundle the guard would refuse.
async fn validate(change: &mut Change, sid: &str, field: &str) -> Result<(), ApiError> {
    let policy = policy::build(&mut change.tx, sid, None).await?;
    policy.validate().map_err(|e| {
        ApiError::bad(
            field,
            format!("refused by the policy rules: {}: {}", e.field, e.reason),
        )
    })
}

// ---------------------------------------------------------------- superapps

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSuperapp {
    id: String,
    name: String,
    secret_key: String,
    backend_domain: String,
}

fn check_secret(secret: &str) -> Result<(), ApiError> {
    // Never echo the offered key back: it is a secret even when invalid.
    SecretKey::new(secret)
        .map(drop)
        .map_err(|e| ApiError::bad("secret_key", e.to_string().replace(secret, "<redacted>")))
}

fn check_backend_domain(domain: &str) -> Result<(), ApiError> {
    // guard-core's entry rule for https origins (web-view lists take https only).
    DomainEntry::webview(domain).map(drop).map_err(|e| {
        ApiError::bad(
            "backend_domain",
            format!("`{domain}` is not an https origin: it {e}"),
        )
    })
}

async fn create_superapp(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewSuperapp>,
) -> Res {
    caller.require(Action::CreateSuperapp)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    check_secret(&b.secret_key)?;
    check_backend_domain(&b.backend_domain)?;
    let now = st.clock.now();
    // The superapp's own version row is created by the platform change, then
    // the superapp's first change (version 1) records its creation.
    let mut platform = Change::begin(&st.store, "_platform", now).await?;
    let exists = sqlx::query("SELECT id FROM superapps WHERE id = $1")
        .bind(&b.id)
        .fetch_optional(&mut *platform.tx)
        .await?;
    if exists.is_some() {
        return Err(ApiError::Conflict(format!(
            "superapp `{}` already exists",
            b.id
        )));
    }
    sqlx::query("INSERT INTO superapps (id, name, secret_key, backend_domain, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&b.id)
        .bind(&b.name)
        .bind(&b.secret_key)
        .bind(&b.backend_domain)
        .bind(now)
        .execute(&mut *platform.tx)
        .await?;
    sqlx::query("INSERT INTO versions (scope, version, updated_at) VALUES ($1, 1, $2)")
        .bind(&b.id)
        .bind(now)
        .execute(&mut *platform.tx)
        .await?;
    for name in DEFAULT_SENSITIVE_APIS {
        sqlx::query(
            "INSERT INTO sensitive_apis (superapp_id, name, status, scope, api_type, description) \
             VALUES ($1, $2, 'restricted', 'all', 'system', NULL)",
        )
        .bind(&b.id)
        .bind(*name)
        .execute(&mut *platform.tx)
        .await?;
    }
    let after = json!({"id": b.id, "name": b.name, "backend_domain": b.backend_domain});
    sqlx::query(
        "INSERT INTO audit (scope, version, actor, action, target, before_json, after_json, at) \
         VALUES ($1, 1, $2, 'create_superapp', $3, NULL, $4, $5)",
    )
    .bind(&b.id)
    .bind(&caller.id)
    .bind(format!("superapp:{}", b.id))
    .bind(after.to_string())
    .bind(now)
    .execute(&mut *platform.tx)
    .await?;
    let target = format!("superapp:{}", b.id);
    platform
        .commit(&caller.id, "create_superapp", &target, None, Some(&after))
        .await?;
    ok(
        StatusCode::CREATED,
        json!({"id": b.id, "name": b.name, "backend_domain": b.backend_domain, "version": 1}),
    )
}

async fn superapp_json(st: &AppState, sid: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.backend_domain, v.version FROM superapps s JOIN versions v ON v.scope = s.id WHERE s.id = $1",
    )
    .bind(sid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok(json!({
        "id": row.try_get::<String, _>("id")?,
        "name": row.try_get::<String, _>("name")?,
        "backend_domain": row.try_get::<String, _>("backend_domain")?,
        "version": row.try_get::<i64, _>("version")?,
    }))
}

/// Developers see a superapp only when their team has an app bound to it.
async fn require_view(st: &AppState, caller: &Caller, sid: &str) -> Result<(), ApiError> {
    caller.require_superapp(Action::View, sid)?;
    if caller.role == Role::Developer {
        let bound =
            sqlx::query("SELECT id FROM apps WHERE superapp_id = $1 AND team_id = $2 LIMIT 1")
                .bind(sid)
                .bind(caller.team_id.as_deref().unwrap_or(""))
                .fetch_optional(&st.store.pool)
                .await?;
        if bound.is_none() {
            return Err(ApiError::Forbidden(format!(
                "account `{}` has no app bound to superapp `{sid}`",
                caller.id
            )));
        }
    }
    Ok(())
}

async fn list_superapps(State(st): State<AppState>, caller: Caller) -> Res {
    caller.require(Action::View)?;
    let mut out = Vec::new();
    for row in sqlx::query("SELECT id FROM superapps ORDER BY id")
        .fetch_all(&st.store.pool)
        .await?
    {
        let id: String = row.try_get("id")?;
        if require_view(&st, &caller, &id).await.is_ok() {
            out.push(superapp_json(&st, &id).await?);
        }
    }
    ok(StatusCode::OK, json!({ "superapps": out }))
}

async fn get_superapp(State(st): State<AppState>, caller: Caller, Path(sid): Path<String>) -> Res {
    require_view(&st, &caller, &sid).await?;
    ok(StatusCode::OK, superapp_json(&st, &sid).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuperappPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    secret_key: Option<String>,
    #[serde(default)]
    backend_domain: Option<String>,
}

async fn configure_superapp(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<SuperappPatch>,
) -> Res {
    caller.require_superapp(Action::ConfigureSuperapp, &sid)?;
    if let Some(name) = &b.name {
        check_text("name", name, MAX_TEXT)?;
    }
    if let Some(secret) = &b.secret_key {
        check_secret(secret)?;
    }
    if let Some(domain) = &b.backend_domain {
        check_backend_domain(domain)?;
    }
    let before = superapp_json(&st, &sid).await?;
    let mut change = Change::begin(&st.store, &sid, st.clock.now()).await?;
    sqlx::query(
        "UPDATE superapps SET name = COALESCE($2, name), secret_key = COALESCE($3, secret_key), \
         backend_domain = COALESCE($4, backend_domain) WHERE id = $1",
    )
    .bind(&sid)
    .bind(b.name.as_deref())
    .bind(b.secret_key.as_deref())
    .bind(b.backend_domain.as_deref())
    .execute(&mut *change.tx)
    .await?;
    let mut after = before.clone();
    if let Some(n) = &b.name {
        after["name"] = json!(n);
    }
    if let Some(d) = &b.backend_domain {
        after["backend_domain"] = json!(d);
    }
    // The audit record says that the key changed, never what it is.
    after["secret_key_changed"] = json!(b.secret_key.is_some());
    let version = change
        .commit(
            &caller.id,
            "configure_superapp",
            &format!("superapp:{sid}"),
            Some(&before),
            Some(&after),
        )
        .await?;
    after["version"] = json!(version);
    if let Some(o) = after.as_object_mut() {
        o.remove("secret_key_changed");
    }
    ok(StatusCode::OK, after)
}

// ---------------------------------------------------------------- teams, accounts

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    id: String,
    name: String,
}

async fn create_team(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewTeam>,
) -> Res {
    caller.require(Action::CreateTeam)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let now = st.clock.now();
    let mut change = Change::begin(&st.store, "_platform", now).await?;
    let exists = sqlx::query("SELECT id FROM teams WHERE id = $1")
        .bind(&b.id)
        .fetch_optional(&mut *change.tx)
        .await?;
    if exists.is_some() {
        return Err(ApiError::Conflict(format!(
            "team `{}` already exists",
            b.id
        )));
    }
    sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&b.id)
        .bind(&b.name)
        .bind(now)
        .execute(&mut *change.tx)
        .await?;
    let after = json!({"id": b.id, "name": b.name});
    change
        .commit(
            &caller.id,
            "create_team",
            &format!("team:{}", b.id),
            None,
            Some(&after),
        )
        .await?;
    ok(StatusCode::CREATED, after)
}

async fn list_teams(State(st): State<AppState>, caller: Caller) -> Res {
    caller.require(Action::View)?;
    let mut out = Vec::new();
    for row in sqlx::query("SELECT id, name FROM teams ORDER BY id")
        .fetch_all(&st.store.pool)
        .await?
    {
        let id: String = row.try_get("id")?;
        if caller.role == Role::Developer && caller.team_id.as_deref() != Some(id.as_str()) {
            continue;
        }
        out.push(json!({"id": id, "name": row.try_get::<String, _>("name")?}));
    }
    ok(StatusCode::OK, json!({ "teams": out }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    id: String,
    name: String,
    role: Role,
    #[serde(default)]
    superapp_id: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
}

async fn create_account(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewAccount>,
) -> Res {
    caller.require(Action::CreateAccount)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    match (b.role.superapp_scoped(), b.role == Role::Developer) {
        (true, _) if b.superapp_id.is_none() => {
            return Err(ApiError::bad(
                "superapp_id",
                format!("is required for role `{}`", b.role.as_str()),
            ))
        }
        (_, true) if b.team_id.is_none() => {
            return Err(ApiError::bad("team_id", "is required for role `developer`"))
        }
        (false, false) if b.superapp_id.is_some() || b.team_id.is_some() => {
            return Err(ApiError::bad(
                "role",
                format!(
                    "role `{}` is platform-wide: no superapp_id or team_id",
                    b.role.as_str()
                ),
            ))
        }
        _ => {}
    }
    let now = st.clock.now();
    let mut change = Change::begin(&st.store, "_platform", now).await?;
    let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1")
        .bind(&b.id)
        .fetch_optional(&mut *change.tx)
        .await?;
    if exists.is_some() {
        return Err(ApiError::Conflict(format!(
            "account `{}` already exists",
            b.id
        )));
    }
    if let Some(sid) = &b.superapp_id {
        if sqlx::query("SELECT id FROM superapps WHERE id = $1")
            .bind(sid)
            .fetch_optional(&mut *change.tx)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!("superapp `{sid}` not found")));
        }
    }
    if let Some(team) = &b.team_id {
        if sqlx::query("SELECT id FROM teams WHERE id = $1")
            .bind(team)
            .fetch_optional(&mut *change.tx)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!("team `{team}` not found")));
        }
    }
    let sid = if b.role.superapp_scoped() {
        b.superapp_id.as_deref()
    } else {
        None
    };
    let team = if b.role == Role::Developer {
        b.team_id.as_deref()
    } else {
        None
    };
    let token =
        auth::insert_account(&mut change.tx, &b.id, &b.name, b.role, sid, team, now).await?;
    let after =
        json!({"id": b.id, "name": b.name, "role": b.role, "superapp_id": sid, "team_id": team});
    change
        .commit(
            &caller.id,
            "create_account",
            &format!("account:{}", b.id),
            None,
            Some(&after),
        )
        .await?;
    let mut body = after;
    body["token"] = json!(token);
    ok(StatusCode::CREATED, body)
}

// ---------------------------------------------------------------- apps

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApp {
    id: String,
    name: String,
    kind: AppKind,
    team_id: String,
}

struct AppRow {
    superapp_id: String,
    team_id: String,
    kind: AppKind,
}

async fn app_row(st: &AppState, app: &str) -> Result<AppRow, ApiError> {
    let row = sqlx::query("SELECT superapp_id, team_id, kind FROM apps WHERE id = $1")
        .bind(app)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    let kind: String = row.try_get("kind")?;
    Ok(AppRow {
        superapp_id: row.try_get("superapp_id")?,
        team_id: row.try_get("team_id")?,
        kind: policy::parse_kind(&kind)
            .ok_or_else(|| ApiError::Internal(format!("stored kind `{kind}`")))?,
    })
}

async fn create_app(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<NewApp>,
) -> Res {
    caller.require(Action::CreateApp)?;
    caller.require_team(&b.team_id)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let now = st.clock.now();
    let mut change = Change::begin(&st.store, &sid, now).await?;
    if sqlx::query("SELECT id FROM apps WHERE id = $1")
        .bind(&b.id)
        .fetch_optional(&mut *change.tx)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!("app `{}` already exists", b.id)));
    }
    if sqlx::query("SELECT id FROM teams WHERE id = $1")
        .bind(&b.team_id)
        .fetch_optional(&mut *change.tx)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "team `{}` not found",
            b.team_id
        )));
    }
    let secret = random_hex(16)?;
    sqlx::query(
        "INSERT INTO apps (id, superapp_id, team_id, kind, name, secret_hash, ctl_server_domains, ctl_apis, ctl_webview_domains) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0)",
    )
    .bind(&b.id)
    .bind(&sid)
    .bind(&b.team_id)
    .bind(b.kind.as_str())
    .bind(&b.name)
    .bind(sha256_hex(&secret))
    .execute(&mut *change.tx)
    .await?;
    validate(&mut change, &sid, "id").await?;
    let after = json!({"id": b.id, "name": b.name, "kind": b.kind, "team_id": b.team_id, "superapp_id": sid});
    let version = change
        .commit(
            &caller.id,
            "create_app",
            &format!("app:{}", b.id),
            None,
            Some(&after),
        )
        .await?;
    let mut body = after;
    body["app_secret"] = json!(secret);
    body["version"] = json!(version);
    ok(StatusCode::CREATED, body)
}

async fn app_json(st: &AppState, app: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT id, superapp_id, team_id, kind, name, ctl_server_domains, ctl_apis, ctl_webview_domains FROM apps WHERE id = $1",
    )
    .bind(app)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    let mut lists = json!({"server_domains": [], "webview_domains": [], "api_whitelist": []});
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
        "control": {
            "server_domains": flag(&row, "ctl_server_domains")?,
            "apis": flag(&row, "ctl_apis")?,
            "webview_domains": flag(&row, "ctl_webview_domains")?,
        },
        "whitelists": lists,
        "granted_apis": grants,
    }))
}

async fn get_app(State(st): State<AppState>, caller: Caller, Path(app): Path<String>) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)?;
    ok(StatusCode::OK, app_json(&st, &app).await?)
}

// ---------------------------------------------------------------- sensitive APIs

async fn api_json(
    conn: &mut sqlx::AnyConnection,
    sid: &str,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let row = sqlx::query("SELECT name, status, scope, api_type, description FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
        .bind(sid)
        .bind(name)
        .fetch_optional(&mut *conn)
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

async fn list_apis(State(st): State<AppState>, caller: Caller, Path(sid): Path<String>) -> Res {
    require_view(&st, &caller, &sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    let apis = policy::build(&mut conn, &sid, None).await?.sensitive_apis;
    ok(StatusCode::OK, json!({ "apis": apis }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApi {
    name: String,
    #[serde(rename = "type")]
    api_type: guard_core::ApiType,
    #[serde(default = "all_scope")]
    scope: Scope,
    #[serde(default)]
    description: Option<String>,
    #[serde(default = "restricted")]
    status: guard_core::ApiStatus,
}

fn all_scope() -> Scope {
    Scope::All
}

fn restricted() -> guard_core::ApiStatus {
    guard_core::ApiStatus::Restricted
}

fn check_api_name(name: &str) -> Result<(), ApiError> {
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

async fn add_api(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    JsonBody(b): JsonBody<NewApi>,
) -> Res {
    caller.require_superapp(Action::ManageApis, &sid)?;
    check_api_name(&b.name)?;
    let in_catalogue = guard_core::catalogue::names().any(|n| n == b.name);
    match b.api_type {
        guard_core::ApiType::System if !in_catalogue => {
            return Err(ApiError::bad(
                "name",
                format!("`{}` is not a platform API; add it as `custom`", b.name),
            ))
        }
        guard_core::ApiType::Custom if in_catalogue => {
            return Err(ApiError::bad(
                "name",
                format!("`{}` is a platform API; add it as `system`", b.name),
            ))
        }
        guard_core::ApiType::Custom
            if b.description.as_deref().is_none_or(|d| d.trim().is_empty()) =>
        {
            return Err(ApiError::bad(
                "description",
                "a custom API needs a description of what it does",
            ))
        }
        _ => {}
    }
    if let Some(d) = &b.description {
        check_text("description", d, MAX_TEXT)?;
    }
    let mut change = Change::begin(&st.store, &sid, st.clock.now()).await?;
    if api_json(&mut change.tx, &sid, &b.name).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "`{}` is already in the sensitive API list",
            b.name
        )));
    }
    let status = match b.status {
        guard_core::ApiStatus::Public => "public",
        guard_core::ApiStatus::Restricted => "restricted",
    };
    let api_type = match b.api_type {
        guard_core::ApiType::System => "system",
        guard_core::ApiType::Custom => "custom",
    };
    sqlx::query("INSERT INTO sensitive_apis (superapp_id, name, status, scope, api_type, description) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&sid)
        .bind(&b.name)
        .bind(status)
        .bind(policy::scope_str(b.scope))
        .bind(api_type)
        .bind(b.description.as_deref())
        .execute(&mut *change.tx)
        .await?;
    validate(&mut change, &sid, "name").await?;
    let after = api_json(&mut change.tx, &sid, &b.name).await?;
    let version = change
        .commit(
            &caller.id,
            "add_api",
            &format!("api:{}", b.name),
            None,
            after.as_ref(),
        )
        .await?;
    let mut body = after.unwrap_or(Value::Null);
    body["version"] = json!(version);
    ok(StatusCode::CREATED, body)
}

async fn set_status(st: AppState, caller: Caller, sid: String, name: String, status: &str) -> Res {
    caller.require_superapp(Action::ManageApis, &sid)?;
    let mut change = Change::begin(&st.store, &sid, st.clock.now()).await?;
    let before = api_json(&mut change.tx, &sid, &name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("`{name}` is not in the sensitive API list")))?;
    sqlx::query("UPDATE sensitive_apis SET status = $3 WHERE superapp_id = $1 AND name = $2")
        .bind(&sid)
        .bind(&name)
        .bind(status)
        .execute(&mut *change.tx)
        .await?;
    let after = api_json(&mut change.tx, &sid, &name).await?;
    let action = if status == "public" {
        "allow_api"
    } else {
        "restrict_api"
    };
    let version = change
        .commit(
            &caller.id,
            action,
            &format!("api:{name}"),
            Some(&before),
            after.as_ref(),
        )
        .await?;
    let mut body = after.unwrap_or(Value::Null);
    body["version"] = json!(version);
    ok(StatusCode::OK, body)
}

async fn restrict_api(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    set_status(st, caller, sid, name, "restricted").await
}

async fn allow_api(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    set_status(st, caller, sid, name, "public").await
}

async fn delete_api(
    State(st): State<AppState>,
    caller: Caller,
    Path((sid, name)): Path<(String, String)>,
) -> Res {
    caller.require_superapp(Action::ManageApis, &sid)?;
    let mut change = Change::begin(&st.store, &sid, st.clock.now()).await?;
    let before = api_json(&mut change.tx, &sid, &name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("`{name}` is not in the sensitive API list")))?;
    if before["type"] != "custom" {
        return Err(ApiError::Conflict(format!(
            "`{name}` is a system API; only custom APIs can be deleted (allow it instead)"
        )));
    }
    sqlx::query("DELETE FROM grants WHERE api = $1 AND app_id IN (SELECT id FROM apps WHERE superapp_id = $2)")
        .bind(&name)
        .bind(&sid)
        .execute(&mut *change.tx)
        .await?;
    sqlx::query("DELETE FROM sensitive_apis WHERE superapp_id = $1 AND name = $2")
        .bind(&sid)
        .bind(&name)
        .execute(&mut *change.tx)
        .await?;
    let version = change
        .commit(
            &caller.id,
            "delete_api",
            &format!("api:{name}"),
            Some(&before),
            None,
        )
        .await?;
    ok(StatusCode::OK, json!({"deleted": name, "version": version}))
}

async fn authorized_apps(
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
    ok(StatusCode::OK, json!({"api": name, "apps": out}))
}

// ---------------------------------------------------------------- requests

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRequest {
    api: String,
    reason: String,
}

fn request_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(json!({
        "id": r.try_get::<String, _>("id")?,
        "superapp_id": r.try_get::<String, _>("superapp_id")?,
        "app_id": r.try_get::<String, _>("app_id")?,
        "api": r.try_get::<String, _>("api")?,
        "reason": r.try_get::<String, _>("reason")?,
        "status": r.try_get::<String, _>("status")?,
        "requested_by": r.try_get::<String, _>("requested_by")?,
        "decided_by": r.try_get::<Option<String>, _>("decided_by")?,
        "note": r.try_get::<Option<String>, _>("note")?,
        "created_at": r.try_get::<i64, _>("created_at")?,
        "decided_at": r.try_get::<Option<i64>, _>("decided_at")?,
    }))
}

async fn create_request(
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
    let now = st.clock.now();
    let mut change = Change::begin(&st.store, &a.superapp_id, now).await?;
    let api = api_json(&mut change.tx, &a.superapp_id, &b.api)
        .await?
        .ok_or_else(|| {
            ApiError::bad(
                "api",
                format!(
                    "`{}` is not in the sensitive API list of superapp `{}`",
                    b.api, a.superapp_id
                ),
            )
        })?;
    if api["status"] != "restricted" {
        return Err(ApiError::Conflict(format!(
            "`{}` is public; no permission is needed",
            b.api
        )));
    }
    let scope = api["scope"].as_str().unwrap_or("all");
    let covered = match scope {
        "mini_program" => a.kind == AppKind::MiniProgram,
        "mini_game" => a.kind == AppKind::MiniGame,
        _ => true,
    };
    if !covered {
        return Err(ApiError::Conflict(format!(
            "`{}` is not restricted for a {}",
            b.api,
            a.kind.as_str()
        )));
    }
    if sqlx::query("SELECT api FROM grants WHERE app_id = $1 AND api = $2")
        .bind(&app)
        .bind(&b.api)
        .fetch_optional(&mut *change.tx)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "app `{app}` already has `{}`",
            b.api
        )));
    }
    if sqlx::query("SELECT id FROM requests WHERE app_id = $1 AND api = $2 AND status = 'pending'")
        .bind(&app)
        .bind(&b.api)
        .fetch_optional(&mut *change.tx)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "app `{app}` already has a pending request for `{}`",
            b.api
        )));
    }
    let id = format!("req_{}", random_hex(8)?);
    sqlx::query(
        "INSERT INTO requests (id, superapp_id, app_id, api, reason, status, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
    )
    .bind(&id)
    .bind(&a.superapp_id)
    .bind(&app)
    .bind(&b.api)
    .bind(&b.reason)
    .bind(&caller.id)
    .bind(now)
    .execute(&mut *change.tx)
    .await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE id = $1"
    ))
    .bind(&id)
    .fetch_one(&mut *change.tx)
    .await?;
    let after = request_json(&row)?;
    change
        .commit(
            &caller.id,
            "request_permission",
            &format!("request:{id}"),
            None,
            Some(&after),
        )
        .await?;
    ok(StatusCode::CREATED, after)
}

#[derive(Deserialize)]
struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

async fn list_requests(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    Query(q): Query<StatusFilter>,
) -> Res {
    caller.require_superapp(Action::ViewApprovals, &sid)?;
    if let Some(s) = &q.status {
        if !["pending", "approved", "rejected", "revoked"].contains(&s.as_str()) {
            return Err(ApiError::bad(
                "status",
                format!("`{s}` is not one of pending, approved, rejected, revoked"),
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
    ok(StatusCode::OK, json!({ "requests": out }))
}

async fn app_requests(State(st): State<AppState>, caller: Caller, Path(app): Path<String>) -> Res {
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
    ok(StatusCode::OK, json!({ "requests": out }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    decision: Verdict,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    Approve,
    Reject,
}

async fn decide(
    State(st): State<AppState>,
    caller: Caller,
    Path(rid): Path<String>,
    JsonBody(b): JsonBody<Decision>,
) -> Res {
    caller.require(Action::Decide)?;
    check_text("note", &b.note, MAX_TEXT)?;
    let row = sqlx::query("SELECT superapp_id, app_id, api FROM requests WHERE id = $1")
        .bind(&rid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("request `{rid}` not found")))?;
    let sid: String = row.try_get("superapp_id")?;
    let app: String = row.try_get("app_id")?;
    let api: String = row.try_get("api")?;
    caller.require_superapp(Action::Decide, &sid)?;
    let now = st.clock.now();
    let mut change = Change::begin(&st.store, &sid, now).await?;
    let status = if b.decision == Verdict::Approve {
        "approved"
    } else {
        "rejected"
    };
    // The `status = 'pending'` guard makes the decision a compare-and-set: of
    // two reviewers deciding at once, the second finds nothing to update.
    let updated = sqlx::query(
        "UPDATE requests SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = 'pending'",
    )
    .bind(&rid)
    .bind(status)
    .bind(&caller.id)
    .bind(&b.note)
    .bind(now)
    .execute(&mut *change.tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(ApiError::Conflict(format!(
            "request `{rid}` is already decided"
        )));
    }
    if b.decision == Verdict::Approve {
        sqlx::query(
            "INSERT INTO grants (app_id, api, request_id, granted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&app)
        .bind(&api)
        .bind(&rid)
        .bind(now)
        .execute(&mut *change.tx)
        .await?;
        validate(&mut change, &sid, "decision").await?;
    }
    let row = sqlx::query(concat!(
        "SELECT ",
        request_cols!(),
        " FROM requests WHERE id = $1"
    ))
    .bind(&rid)
    .fetch_one(&mut *change.tx)
    .await?;
    let after = request_json(&row)?;
    let before = json!({"id": rid, "status": "pending"});
    let action = if b.decision == Verdict::Approve {
        "approve_request"
    } else {
        "reject_request"
    };
    let version = change
        .commit(
            &caller.id,
            action,
            &format!("request:{rid}"),
            Some(&before),
            Some(&after),
        )
        .await?;
    let mut body = after;
    body["version"] = json!(version);
    ok(StatusCode::OK, body)
}

async fn revoke(
    State(st): State<AppState>,
    caller: Caller,
    Path((app, api)): Path<(String, String)>,
) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::Revoke, &a.superapp_id)?;
    let mut change = Change::begin(&st.store, &a.superapp_id, st.clock.now()).await?;
    let grant =
        sqlx::query("SELECT request_id, granted_at FROM grants WHERE app_id = $1 AND api = $2")
            .bind(&app)
            .bind(&api)
            .fetch_optional(&mut *change.tx)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("app `{app}` has no authorization for `{api}`"))
            })?;
    let request_id: String = grant.try_get("request_id")?;
    sqlx::query("DELETE FROM grants WHERE app_id = $1 AND api = $2")
        .bind(&app)
        .bind(&api)
        .execute(&mut *change.tx)
        .await?;
    sqlx::query("UPDATE requests SET status = 'revoked' WHERE id = $1")
        .bind(&request_id)
        .execute(&mut *change.tx)
        .await?;
    let before = json!({"app_id": app, "api": api, "request_id": request_id});
    let version = change
        .commit(
            &caller.id,
            "revoke",
            &format!("grant:{app}:{api}"),
            Some(&before),
            None,
        )
        .await?;
    ok(
        StatusCode::OK,
        json!({"revoked": {"app_id": app, "api": api}, "version": version}),
    )
}

// ---------------------------------------------------------------- switches and whitelists

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlBody {
    server_domains: bool,
    apis: bool,
    webview_domains: bool,
}

async fn set_control(
    State(st): State<AppState>,
    caller: Caller,
    Path(app): Path<String>,
    JsonBody(b): JsonBody<ControlBody>,
) -> Res {
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    let before = app_json(&st, &app).await?["control"].clone();
    let mut change = Change::begin(&st.store, &a.superapp_id, st.clock.now()).await?;
    sqlx::query("UPDATE apps SET ctl_server_domains = $2, ctl_apis = $3, ctl_webview_domains = $4 WHERE id = $1")
        .bind(&app)
        .bind(i64::from(b.server_domains))
        .bind(i64::from(b.apis))
        .bind(i64::from(b.webview_domains))
        .execute(&mut *change.tx)
        .await?;
    let after = json!({"server_domains": b.server_domains, "apis": b.apis, "webview_domains": b.webview_domains});
    let version = change
        .commit(
            &caller.id,
            "set_control",
            &format!("app:{app}"),
            Some(&before),
            Some(&after),
        )
        .await?;
    ok(
        StatusCode::OK,
        json!({"control": after, "version": version}),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryBody {
    value: String,
    #[serde(default)]
    remark: String,
}

fn list_limit(st: &AppState, list: &str) -> Result<usize, ApiError> {
    match list {
        "server_domains" => Ok(st.limits.max_server_domains),
        "webview_domains" => Ok(st.limits.max_webview_domains),
        "api_whitelist" => Ok(st.limits.max_api_whitelist),
        other => Err(ApiError::NotFound(format!(
            "whitelist `{other}` does not exist (server_domains, api_whitelist, webview_domains)"
        ))),
    }
}

fn check_entry(list: &str, b: &EntryBody) -> Result<(), ApiError> {
    check_text("remark", &b.remark, MAX_REMARK_CHARS)?;
    if list == "api_whitelist" {
        check_api_name(&b.value)
            .map_err(|_| ApiError::bad("value", format!("`{}` is not an API name", b.value)))?;
    } else if b.value.is_empty() {
        return Err(ApiError::bad("value", "must not be empty"));
    }
    Ok(())
}

/// The form two entries of `list` are compared in to find duplicates: domain
/// entries as the guard normalises them (`https://API.shop.example.` and
/// `https://api.shop.example:443` are one entry), API names as written. An
/// invalid value keeps its raw form; validation refuses it afterwards.
fn entry_key(list: &str, value: &str) -> String {
    let parsed = match list {
        "server_domains" => DomainEntry::server(value),
        "webview_domains" => DomainEntry::webview(value),
        _ => return value.to_owned(),
    };
    parsed.map_or_else(|_| value.to_owned(), |e| e.to_string())
}

fn duplicate(value: &str, existing: &str, list: &str, app: &str) -> ApiError {
    if value == existing {
        ApiError::Conflict(format!("`{value}` is already in `{list}` of app `{app}`"))
    } else {
        ApiError::Conflict(format!(
            "`{value}` is the same entry as `{existing}`, already in `{list}` of app `{app}`"
        ))
    }
}

/// The entry of `list` that `value` duplicates, other than entry `except`.
async fn duplicate_of(
    change: &mut Change,
    app: &str,
    list: &str,
    value: &str,
    except: &str,
) -> Result<Option<String>, ApiError> {
    let key = entry_key(list, value);
    let rows =
        sqlx::query("SELECT value FROM whitelist WHERE app_id = $1 AND list = $2 AND id <> $3")
            .bind(app)
            .bind(list)
            .bind(except)
            .fetch_all(&mut *change.tx)
            .await?;
    for r in rows {
        let existing: String = r.try_get("value")?;
        if entry_key(list, &existing) == key {
            return Ok(Some(existing));
        }
    }
    Ok(None)
}

async fn add_entry(
    State(st): State<AppState>,
    caller: Caller,
    Path((app, list)): Path<(String, String)>,
    JsonBody(b): JsonBody<EntryBody>,
) -> Res {
    let limit = list_limit(&st, &list)?;
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    check_entry(&list, &b)?;
    let mut change = Change::begin(&st.store, &a.superapp_id, st.clock.now()).await?;
    let count: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM whitelist WHERE app_id = $1 AND list = $2")
            .bind(&app)
            .bind(&list)
            .fetch_one(&mut *change.tx)
            .await?
            .try_get("n")?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
        return Err(ApiError::Conflict(format!(
            "`{list}` of app `{app}` already has the maximum of {limit} entries"
        )));
    }
    if let Some(existing) = duplicate_of(&mut change, &app, &list, &b.value, "").await? {
        return Err(duplicate(&b.value, &existing, &list, &app));
    }
    let id = format!("wl_{}", random_hex(8)?);
    sqlx::query("INSERT INTO whitelist (id, app_id, list, value, remark, position) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(&app)
        .bind(&list)
        .bind(&b.value)
        .bind(&b.remark)
        .bind(change.version)
        .execute(&mut *change.tx)
        .await?;
    validate(&mut change, &a.superapp_id, "value").await?;
    let after = json!({"id": id, "list": list, "value": b.value, "remark": b.remark});
    let version = change
        .commit(
            &caller.id,
            "add_whitelist_entry",
            &format!("app:{app}:{list}"),
            None,
            Some(&after),
        )
        .await?;
    let mut body = after;
    body["version"] = json!(version);
    ok(StatusCode::CREATED, body)
}

async fn entry_before(
    change: &mut Change,
    app: &str,
    list: &str,
    entry: &str,
) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT value, remark FROM whitelist WHERE id = $1 AND app_id = $2 AND list = $3",
    )
    .bind(entry)
    .bind(app)
    .bind(list)
    .fetch_optional(&mut *change.tx)
    .await?
    .ok_or_else(|| {
        ApiError::NotFound(format!(
            "entry `{entry}` not found in `{list}` of app `{app}`"
        ))
    })?;
    Ok(
        json!({"id": entry, "list": list, "value": row.try_get::<String, _>("value")?, "remark": row.try_get::<String, _>("remark")?}),
    )
}

async fn edit_entry(
    State(st): State<AppState>,
    caller: Caller,
    Path((app, list, entry)): Path<(String, String, String)>,
    JsonBody(b): JsonBody<EntryBody>,
) -> Res {
    list_limit(&st, &list)?;
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    check_entry(&list, &b)?;
    let mut change = Change::begin(&st.store, &a.superapp_id, st.clock.now()).await?;
    let before = entry_before(&mut change, &app, &list, &entry).await?;
    if let Some(existing) = duplicate_of(&mut change, &app, &list, &b.value, &entry).await? {
        return Err(duplicate(&b.value, &existing, &list, &app));
    }
    sqlx::query("UPDATE whitelist SET value = $2, remark = $3 WHERE id = $1")
        .bind(&entry)
        .bind(&b.value)
        .bind(&b.remark)
        .execute(&mut *change.tx)
        .await?;
    validate(&mut change, &a.superapp_id, "value").await?;
    let after = json!({"id": entry, "list": list, "value": b.value, "remark": b.remark});
    let version = change
        .commit(
            &caller.id,
            "edit_whitelist_entry",
            &format!("app:{app}:{list}"),
            Some(&before),
            Some(&after),
        )
        .await?;
    let mut body = after;
    body["version"] = json!(version);
    ok(StatusCode::OK, body)
}

async fn delete_entry(
    State(st): State<AppState>,
    caller: Caller,
    Path((app, list, entry)): Path<(String, String, String)>,
) -> Res {
    list_limit(&st, &list)?;
    let a = app_row(&st, &app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    let mut change = Change::begin(&st.store, &a.superapp_id, st.clock.now()).await?;
    let before = entry_before(&mut change, &app, &list, &entry).await?;
    sqlx::query("DELETE FROM whitelist WHERE id = $1")
        .bind(&entry)
        .execute(&mut *change.tx)
        .await?;
    let version = change
        .commit(
            &caller.id,
            "delete_whitelist_entry",
            &format!("app:{app}:{list}"),
            Some(&before),
            None,
        )
        .await?;
    ok(
        StatusCode::OK,
        json!({"deleted": entry, "version": version}),
    )
}

// ---------------------------------------------------------------- audit

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    after: Option<String>,
}

async fn audit(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Res {
    // Parsed here, not by serde, so a bad value is a JSON 400 naming `after`.
    let after: i64 = match q.after.as_deref() {
        None | Some("") => 0,
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::bad("after", format!("`{v}` is not an integer")))?,
    };
    if sid == "_platform" {
        caller.require(Action::ViewApprovals)?;
        if caller.role.superapp_scoped() {
            return Err(ApiError::Forbidden(format!(
                "role `{}` may not read the platform audit log",
                caller.role.as_str()
            )));
        }
    } else {
        caller.require_superapp(Action::ViewApprovals, &sid)?;
    }
    let rows = sqlx::query(
        "SELECT version, actor, action, target, before_json, after_json, at FROM audit WHERE scope = $1 AND version > $2 ORDER BY version LIMIT 1000",
    )
    .bind(&sid)
    .bind(after)
    .fetch_all(&st.store.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
        out.push(json!({
            "version": r.try_get::<i64, _>("version")?,
            "actor": r.try_get::<String, _>("actor")?,
            "action": r.try_get::<String, _>("action")?,
            "target": r.try_get::<String, _>("target")?,
            "before": parse(r.try_get("before_json")?),
            "after": parse(r.try_get("after_json")?),
            "at": r.try_get::<i64, _>("at")?,
        }));
    }
    ok(StatusCode::OK, json!({ "scope": sid, "records": out }))
}

// ---------------------------------------------------------------- bundles

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(etag))
        })
}

async fn bundle_response(st: &AppState, headers: &HeaderMap, sid: &str, app: Option<&str>) -> Res {
    let tag = |version: i64| match app {
        Some(a) => format!("\"{sid}.{a}.{version}\""),
        None => format!("\"{sid}.{version}\""),
    };
    // Cheap path first: one indexed read answers a fresh client's poll, and
    // tells whether the cached bundle is still this version's.
    let row = sqlx::query("SELECT version, updated_at FROM versions WHERE scope = $1")
        .bind(sid)
        .fetch_optional(&st.store.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    let stamp: (i64, i64) = (row.try_get("version")?, row.try_get("updated_at")?);
    if etag_matches(headers, &tag(stamp.0)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag(stamp.0))]).into_response());
    }
    let scope = match app {
        Some(a) => format!("{sid}\n{a}"),
        None => sid.to_owned(),
    };
    let (version, signed) = match st.bundles.get(&scope, stamp) {
        Some(signed) => (stamp.0, signed),
        None => {
            let mut conn = st.store.pool.acquire().await?;
            let policy = policy::build(&mut conn, sid, app).await?;
            let secret = policy::secret_key(&mut conn, sid).await?;
            let signed = Bytes::from(policy::sign(&policy, &secret)?);
            // Keyed by what was built, which may be newer than `stamp`.
            let built = (
                i64::try_from(policy.version).unwrap_or(0),
                i64::try_from(policy.issued_at).unwrap_or(0),
            );
            st.bundles.put(&scope, built, signed.clone());
            (built.0, signed)
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/jose".to_owned()),
            (header::ETAG, tag(version)),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        signed,
    )
        .into_response())
}

/// The superapp's bundle is public: it is integrity-protected (signed), and the
/// SDK on users' devices fetches it without console credentials.
async fn superapp_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(sid): Path<String>,
) -> Res {
    bundle_response(&st, &headers, &sid, None).await
}

async fn app_bundle(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    bundle_response(&st, &headers, &a.superapp_id, Some(&app)).await
}

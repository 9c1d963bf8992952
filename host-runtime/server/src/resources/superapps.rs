//! Superapps: creation (with the default sensitive API list), reading and
//! configuration (name, SecretKey, backend domain).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use guard_core::{ApiStatus, ApiType, DomainEntry, Scope, SecretKey};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply, apply_platform, Record};
use crate::distribution::keyring::{self, ACTIVE};
use crate::distribution::signer::{new_bundle_key, ALGS, EDDSA};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::policy::DEFAULT_SENSITIVE_APIS;
use crate::resources::applications::{self, Profile};
use crate::resources::{reply, with_version, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_id, check_text};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSuperapp {
    id: String,
    name: String,
    secret_key: String,
    backend_domain: String,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    android_package: Option<String>,
    #[serde(default)]
    ios_bundle_id: Option<String>,
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

/// `POST /api/v1/superapps`: a platform change that also opens the
/// superapp's own version counter and records its creation as version 1.
pub(crate) async fn create(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewSuperapp>,
) -> Res {
    caller.require(Action::CreateSuperapp)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    check_secret(&b.secret_key)?;
    check_backend_domain(&b.backend_domain)?;
    let profile = Profile {
        team_id: b.team_id.clone(),
        description: b.description.clone(),
        android_package: b.android_package.clone(),
        ios_bundle_id: b.ios_bundle_id.clone(),
    };
    profile.check()?;
    if let Some(team) = &profile.team_id {
        check_id("team_id", team)?;
    }
    let mut after = json!({"id": b.id, "name": b.name, "backend_domain": b.backend_domain,
        "bundle_alg": EDDSA, "team_id": null, "description": "", "android_package": null,
        "ios_bundle_id": null});
    profile.apply_to(&mut after);
    let kek = keyring::kek(&st)?.clone();
    let target = format!("superapp:{}", b.id);
    apply_platform(&st, &caller, Action::CreateSuperapp, async |c| {
        let exists = sqlx::query("SELECT id FROM superapps WHERE id = $1")
            .bind(&b.id)
            .fetch_optional(&mut *c.tx)
            .await?;
        if exists.is_some() {
            return Err(ApiError::Conflict(format!("superapp `{}` already exists", b.id)));
        }
        sqlx::query("INSERT INTO superapps (id, name, secret_key, backend_domain, created_at, bundle_key, openserver_host, bundle_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&b.id)
            .bind(&b.name)
            .bind(&b.secret_key)
            .bind(&b.backend_domain)
            .bind(c.at)
            .bind(new_bundle_key()?)
            .bind(st.openserver_host.as_deref())
            .bind(EDDSA)
            .execute(&mut *c.tx)
            .await?;
        profile.write(c, &b.id).await?;
        keyring::generate(&mut c.tx, &kek, &b.id, ACTIVE, c.at).await?;
        sqlx::query("INSERT INTO versions (scope, version, updated_at) VALUES ($1, 1, $2)")
            .bind(&b.id)
            .bind(c.at)
            .execute(&mut *c.tx)
            .await?;
        for name in DEFAULT_SENSITIVE_APIS {
            sqlx::query(
                "INSERT INTO sensitive_apis (superapp_id, name, status, scope, api_type, description) \
                 VALUES ($1, $2, $3, $4, $5, NULL)",
            )
            .bind(&b.id)
            .bind(*name)
            .bind(ApiStatus::Restricted.as_str())
            .bind(Scope::All.as_str())
            .bind(ApiType::System.as_str())
            .execute(&mut *c.tx)
            .await?;
        }
        let record = Record::new("create_superapp", target.clone(), None, Some(after.clone()));
        c.record_at(&b.id, 1, &caller.id, &record).await?;
        Ok(((), record))
    })
    .await?;
    reply(StatusCode::CREATED, with_version(after, 1))
}

/// The superapp as the API shows it (never its SecretKey).
pub(crate) async fn superapp_json(st: &AppState, sid: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.backend_domain, s.bundle_alg, v.version FROM superapps s JOIN versions v ON v.scope = s.id WHERE s.id = $1",
    )
    .bind(sid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    let mut body = json!({
        "id": row.try_get::<String, _>("id")?,
        "name": row.try_get::<String, _>("name")?,
        "backend_domain": row.try_get::<String, _>("backend_domain")?,
        "bundle_alg": row.try_get::<String, _>("bundle_alg")?,
        "version": row.try_get::<i64, _>("version")?,
    });
    applications::add_profile(st, sid, &mut body).await?;
    Ok(body)
}

/// May `caller` read superapp `sid`? Developers see a superapp only when
/// their team has an app bound to it (the binding approved).
///
/// # Errors
///
/// [`ApiError::Forbidden`].
pub(crate) async fn require_view(
    st: &AppState,
    caller: &Caller,
    sid: &str,
) -> Result<(), ApiError> {
    caller.require_superapp(Action::View, sid)?;
    if caller.role == Role::Developer {
        let bound = sqlx::query(
            "SELECT id FROM apps WHERE superapp_id = $1 AND team_id = $2 AND bound = 1 LIMIT 1",
        )
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

#[derive(Deserialize)]
pub(crate) struct TeamFilter {
    #[serde(default)]
    team: Option<String>,
}

/// `GET /api/v1/superapps[?team=…]`: those the caller may see (owned by
/// `team`).
pub(crate) async fn list(
    State(st): State<AppState>,
    caller: Caller,
    Query(q): Query<TeamFilter>,
) -> Res {
    caller.require(Action::View)?;
    let mut out = Vec::new();
    for row in sqlx::query("SELECT id FROM superapps WHERE ($1 = '' OR team_id = $1) ORDER BY id")
        .bind(q.team.as_deref().unwrap_or(""))
        .fetch_all(&st.store.pool)
        .await?
    {
        let id: String = row.try_get("id")?;
        if require_view(&st, &caller, &id).await.is_ok() {
            out.push(superapp_json(&st, &id).await?);
        }
    }
    reply(StatusCode::OK, json!({ "superapps": out }))
}

/// `GET /api/v1/superapps/{sid}`.
pub(crate) async fn get(
    State(st): State<AppState>,
    caller: Caller,
    Path(sid): Path<String>,
) -> Res {
    require_view(&st, &caller, &sid).await?;
    reply(StatusCode::OK, superapp_json(&st, &sid).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuperappPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    secret_key: Option<String>,
    #[serde(default)]
    backend_domain: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    android_package: Option<String>,
    #[serde(default)]
    ios_bundle_id: Option<String>,
    /// `EdDSA` or `HS256`.
    #[serde(default)]
    bundle_alg: Option<String>,
}

/// `PATCH /api/v1/superapps/{sid}`: the superapp admin's configuration.
pub(crate) async fn configure(
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
    let profile = Profile {
        team_id: None,
        description: b.description.clone(),
        android_package: b.android_package.clone(),
        ios_bundle_id: b.ios_bundle_id.clone(),
    };
    profile.check()?;
    if let Some(alg) = &b.bundle_alg {
        if !ALGS.contains(&alg.as_str()) {
            return Err(ApiError::bad(
                "bundle_alg",
                format!("`{alg}` is not one of {}", ALGS.join(", ")),
            ));
        }
    }
    let before = superapp_json(&st, &sid).await?;
    let mut after = before.clone();
    if let Some(n) = &b.name {
        after["name"] = json!(n);
    }
    if let Some(d) = &b.backend_domain {
        after["backend_domain"] = json!(d);
    }
    profile.apply_to(&mut after);
    if let Some(a) = &b.bundle_alg {
        after["bundle_alg"] = json!(a);
    }
    let (_, version) = apply(&st, &caller, Action::ConfigureSuperapp, &sid, async |c| {
        sqlx::query(
            "UPDATE superapps SET name = COALESCE($2, name), secret_key = COALESCE($3, secret_key), \
             backend_domain = COALESCE($4, backend_domain), bundle_alg = COALESCE($5, bundle_alg) WHERE id = $1",
        )
        .bind(&sid)
        .bind(b.name.as_deref())
        .bind(b.secret_key.as_deref())
        .bind(b.backend_domain.as_deref())
        .bind(b.bundle_alg.as_deref())
        .execute(&mut *c.tx)
        .await?;
        profile.write(c, &sid).await?;
        // The audit record says that the key changed, never what it is.
        let mut recorded = after.clone();
        recorded["secret_key_changed"] = json!(b.secret_key.is_some());
        let record = Record::new("configure_superapp", format!("superapp:{sid}"), Some(before.clone()), Some(recorded));
        Ok(((), record))
    })
    .await?;
    reply(StatusCode::OK, with_version(after, version))
}

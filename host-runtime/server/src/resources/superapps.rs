//! Superapps: creation (with the default sensitive API list), reading and
//! configuration (name, SecretKey, backend domain).

use guard_core::{ApiStatus, ApiType, DomainEntry, Scope, SecretKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply, apply_platform, Record};
use crate::distribution::keyring::{self, ACTIVE};
use crate::distribution::keysets::{self, Publish};
use crate::distribution::sealing::Secret;
use crate::distribution::signer::{new_bundle_key, ALGS, EDDSA};
use crate::error::ApiError;
use crate::policy::DEFAULT_SENSITIVE_APIS;
use crate::resources::profile::Profile;
use crate::resources::{to_json, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_id, check_text};

/// A new superapp (an application, in seed 001's words).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSuperapp {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The SecretKey its backend authenticates with (16, 24 or 32 letters and digits).
    pub secret_key: String,
    /// The backend service domain (an https origin).
    pub backend_domain: String,
    /// The owner team.
    #[serde(default)]
    pub team_id: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The Android package name.
    #[serde(default)]
    pub android_package: Option<String>,
    /// The iOS bundle ID.
    #[serde(default)]
    pub ios_bundle_id: Option<String>,
}

/// A superapp as the API shows it (never its SecretKey).
#[derive(Debug, Clone, Serialize)]
pub struct Superapp {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The backend service domain.
    pub backend_domain: String,
    /// `EdDSA` or `HS256`.
    pub bundle_alg: String,
    /// The owner team.
    pub team_id: Option<String>,
    /// A description.
    pub description: String,
    /// The Android package name.
    pub android_package: Option<String>,
    /// The iOS bundle ID.
    pub ios_bundle_id: Option<String>,
    /// Its policy version.
    pub version: i64,
}

impl Superapp {
    /// The superapp as it shows after the change writes `profile`'s offered
    /// fields.
    fn take_profile(&mut self, profile: &Profile) {
        if let Some(t) = &profile.team_id {
            self.team_id = Some(t.clone());
        }
        if let Some(d) = &profile.description {
            self.description = d.clone();
        }
        if let Some(p) = &profile.android_package {
            self.android_package = Some(p.clone());
        }
        if let Some(b) = &profile.ios_bundle_id {
            self.ios_bundle_id = Some(b.clone());
        }
    }
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

/// Creates superapp `b`: a platform change that also opens the superapp's
/// own version counter and records its creation as version 1.
///
/// # Errors
///
/// 403 (role); 400 naming the field; 404 unknown team; 409 id taken.
pub async fn create(st: &AppState, caller: &Caller, b: NewSuperapp) -> Result<Superapp, ApiError> {
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
    let mut created = Superapp {
        id: b.id.clone(),
        name: b.name.clone(),
        backend_domain: b.backend_domain.clone(),
        bundle_alg: EDDSA.to_owned(),
        team_id: None,
        description: String::new(),
        android_package: None,
        ios_bundle_id: None,
        version: 1,
    };
    created.take_profile(&profile);
    let mut after = to_json(&created)?;
    if let Some(o) = after.as_object_mut() {
        o.remove("version");
    }
    let kek = keyring::kek(st)?.clone();
    let target = format!("superapp:{}", b.id);
    apply_platform(st, caller, Action::CreateSuperapp, async |c| {
        let exists = sqlx::query("SELECT id FROM superapps WHERE id = $1")
            .bind(&b.id)
            .fetch_optional(&mut *c.tx)
            .await?;
        if exists.is_some() {
            return Err(ApiError::Conflict(format!("superapp `{}` already exists", b.id)));
        }
        // The SecretKey is only ever compared: its digest is kept. The
        // bundle key is shown to the admin again: sealed.
        sqlx::query("INSERT INTO superapps (id, name, secret_key, backend_domain, created_at, bundle_key, openserver_host, bundle_alg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&b.id)
            .bind(&b.name)
            .bind(kek.digest(Secret::SecretKey { superapp: &b.id }, &b.secret_key))
            .bind(&b.backend_domain)
            .bind(c.at)
            .bind(kek.seal_secret(Secret::BundleKey { superapp: &b.id }, &new_bundle_key()?)?)
            .bind(st.openserver_host.as_deref())
            .bind(EDDSA)
            .execute(&mut *c.tx)
            .await?;
        profile.write(c, &b.id).await?;
        keyring::generate(&mut c.tx, &kek, &b.id, ACTIVE, c.at).await?;
        keysets::generate_root(&mut c.tx, &kek, &b.id, c.at).await?;
        keyring::publish(c, st, &b.id, Publish::Always).await?;
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
    Ok(created)
}

/// Superapp `sid` as the API shows it, without the permission check.
pub(crate) async fn read(st: &AppState, sid: &str) -> Result<Superapp, ApiError> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.backend_domain, s.bundle_alg, s.team_id, s.description, s.android_package, s.ios_bundle_id, v.version \
         FROM superapps s JOIN versions v ON v.scope = s.id WHERE s.id = $1",
    )
    .bind(sid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok(Superapp {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        backend_domain: row.try_get("backend_domain")?,
        bundle_alg: row.try_get("bundle_alg")?,
        team_id: row.try_get("team_id")?,
        description: row.try_get("description")?,
        android_package: row.try_get("android_package")?,
        ios_bundle_id: row.try_get("ios_bundle_id")?,
        version: row.try_get("version")?,
    })
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

/// The superapps `caller` may read (owned by `team`, when given).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn list(
    st: &AppState,
    caller: &Caller,
    team: Option<&str>,
) -> Result<Vec<Superapp>, ApiError> {
    caller.require(Action::View)?;
    let mut out = Vec::new();
    for row in sqlx::query("SELECT id FROM superapps WHERE ($1 = '' OR team_id = $1) ORDER BY id")
        .bind(team.unwrap_or(""))
        .fetch_all(&st.store.pool)
        .await?
    {
        let id: String = row.try_get("id")?;
        if require_view(st, caller, &id).await.is_ok() {
            out.push(read(st, &id).await?);
        }
    }
    Ok(out)
}

/// Superapp `sid`.
///
/// # Errors
///
/// 403 unless the caller may read it; 404.
pub async fn get(st: &AppState, caller: &Caller, sid: &str) -> Result<Superapp, ApiError> {
    require_view(st, caller, sid).await?;
    read(st, sid).await
}

/// A superapp's configuration change (every field optional: absent leaves
/// the stored value alone).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuperappPatch {
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new SecretKey (write-only: never shown again).
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The backend service domain.
    #[serde(default)]
    pub backend_domain: Option<String>,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The Android package name.
    #[serde(default)]
    pub android_package: Option<String>,
    /// The iOS bundle ID.
    #[serde(default)]
    pub ios_bundle_id: Option<String>,
    /// `EdDSA` or `HS256`.
    #[serde(default)]
    pub bundle_alg: Option<String>,
}

/// The superapp admin's configuration of `sid`; returns it as it is now.
///
/// # Errors
///
/// 403 unless the caller may configure `sid`; 400 naming the field.
pub async fn configure(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    b: SuperappPatch,
) -> Result<Superapp, ApiError> {
    caller.require_superapp(Action::ConfigureSuperapp, sid)?;
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
    let before = read(st, sid).await?;
    let mut after = before.clone();
    if let Some(n) = &b.name {
        after.name = n.clone();
    }
    if let Some(d) = &b.backend_domain {
        after.backend_domain = d.clone();
    }
    after.take_profile(&profile);
    if let Some(a) = &b.bundle_alg {
        after.bundle_alg = a.clone();
    }
    let (before_json, after_json) = (to_json(&before)?, to_json(&after)?);
    let secret_digest = match &b.secret_key {
        Some(secret) => Some(keyring::kek(st)?.digest(Secret::SecretKey { superapp: sid }, secret)),
        None => None,
    };
    let (_, version) = apply(st, caller, Action::ConfigureSuperapp, sid, async |c| {
        sqlx::query(
            "UPDATE superapps SET name = COALESCE($2, name), secret_key = COALESCE($3, secret_key), \
             backend_domain = COALESCE($4, backend_domain), bundle_alg = COALESCE($5, bundle_alg) WHERE id = $1",
        )
        .bind(sid)
        .bind(b.name.as_deref())
        .bind(secret_digest.as_deref())
        .bind(b.backend_domain.as_deref())
        .bind(b.bundle_alg.as_deref())
        .execute(&mut *c.tx)
        .await?;
        profile.write(c, sid).await?;
        // The audit record says that the key changed, never what it is.
        let mut recorded = after_json.clone();
        recorded["secret_key_changed"] = json!(b.secret_key.is_some());
        let record = Record::new("configure_superapp", format!("superapp:{sid}"), Some(before_json.clone()), Some(recorded));
        Ok(((), record))
    })
    .await?;
    after.version = version;
    Ok(after)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/superapps`.
    pub(crate) async fn create(
        State(st): State<AppState>,
        caller: Caller,
        JsonBody(b): JsonBody<super::NewSuperapp>,
    ) -> Res {
        reply_of(StatusCode::CREATED, &super::create(&st, &caller, b).await?)
    }

    #[derive(Deserialize)]
    pub(crate) struct TeamFilter {
        #[serde(default)]
        team: Option<String>,
    }

    /// `GET /api/v1/superapps[?team=…]`.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Query(q): Query<TeamFilter>,
    ) -> Res {
        let out = super::list(&st, &caller, q.team.as_deref()).await?;
        reply(StatusCode::OK, json!({ "superapps": out }))
    }

    /// `GET /api/v1/superapps/{sid}`.
    pub(crate) async fn get(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::get(&st, &caller, &sid).await?)
    }

    /// `PATCH /api/v1/superapps/{sid}`: the superapp admin's configuration.
    pub(crate) async fn configure(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        JsonBody(b): JsonBody<super::SuperappPatch>,
    ) -> Res {
        reply_of(
            StatusCode::OK,
            &super::configure(&st, &caller, &sid, b).await?,
        )
    }
}

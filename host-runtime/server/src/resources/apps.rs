//! Mini programs and mini games: creation (bound to a superapp, owned by a
//! team, with an app secret shown once), reading and listing.

use guard_core::{AppKind, Control};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::error::ApiError;
use crate::policy::Whitelist;
use crate::resources::bindings;
use crate::resources::review::RequestStatus;
use crate::resources::{to_json, MAX_TEXT};
use crate::state::AppState;
use crate::store::flag;
use crate::util::{check_id, check_text, random_hex, sha256_hex};

/// A new mini program or mini game.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// Its id (`[A-Za-z0-9_-]`, 1–64).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Mini program or mini game.
    pub kind: AppKind,
    /// The owner team (a developer's own).
    pub team_id: String,
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

/// May `caller` read app `a`: its superapp's people, the platform, and its
/// own team.
///
/// # Errors
///
/// [`ApiError::Forbidden`].
pub(crate) fn require_view_app(caller: &Caller, a: &AppRow) -> Result<(), ApiError> {
    caller.require_superapp(Action::View, &a.superapp_id)?;
    caller.require_team(&a.team_id)
}

/// The binding an app was created with.
#[derive(Debug, Clone, Serialize)]
pub struct BindingRef {
    /// `bind_…`.
    pub id: String,
    /// `pending`.
    pub status: RequestStatus,
}

/// A created app: its app secret is shown here once.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedApp {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Mini program or mini game.
    pub kind: AppKind,
    /// The owner team.
    pub team_id: String,
    /// The superapp it asked to join.
    pub superapp_id: String,
    /// The app secret (openserver login API), shown once, stored hashed.
    pub app_secret: String,
    /// The binding request the superapp decides.
    pub binding: BindingRef,
    /// The superapp's new version.
    pub version: i64,
}

/// Creates app `b` and files its binding request to superapp `sid`; the app
/// joins the superapp's bundle when the superapp approves.
///
/// # Errors
///
/// 403 (role, team); 400 naming the field; 404 unknown superapp or team;
/// 409 id taken (an app whose binding is pending or approved; a rejected
/// one frees its id: `bindings::free_rejected`).
pub async fn create(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    b: NewApp,
) -> Result<CreatedApp, ApiError> {
    caller.require(Action::CreateApp)?;
    caller.require_team(&b.team_id)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let secret = random_hex(16)?;
    let after = json!({"id": b.id, "name": b.name, "kind": b.kind, "team_id": b.team_id, "superapp_id": sid});
    let (binding, version) = apply(st, caller, Action::CreateApp, sid, async |c| {
        if sqlx::query("SELECT id FROM teams WHERE id = $1")
            .bind(&b.team_id)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!("team `{}` not found", b.team_id)));
        }
        let replaced = bindings::free_rejected(c, &b.id).await?;
        sqlx::query(
            "INSERT INTO apps (id, superapp_id, team_id, kind, name, secret_hash, ctl_server_domains, ctl_apis, ctl_webview_domains, bound) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0)",
        )
        .bind(&b.id)
        .bind(sid)
        .bind(&b.team_id)
        .bind(b.kind.as_str())
        .bind(&b.name)
        .bind(sha256_hex(&secret))
        .execute(&mut *c.tx)
        .await
        .map_err(|e| ApiError::taken_or(e, || format!("app `{}` already exists", b.id)))?;
        let binding = bindings::file(c, &b.id, &caller.id).await?;
        let mut recorded = after.clone();
        recorded["binding"] = to_json(&binding)?;
        if let Some(was) = replaced {
            recorded["replaces_rejected"] = was;
        }
        Ok((binding, Record::new("create_app", format!("app:{}", b.id), None, Some(recorded))))
    })
    .await?;
    Ok(CreatedApp {
        id: b.id,
        name: b.name,
        kind: b.kind,
        team_id: b.team_id,
        superapp_id: sid.to_owned(),
        app_secret: secret,
        binding: BindingRef {
            id: binding.life.id,
            status: binding.life.status,
        },
        version,
    })
}

/// A whitelist entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// `wl_…`.
    pub id: String,
    /// The domain or API name.
    pub value: String,
    /// The remark (at most 200 characters).
    pub remark: String,
}

/// An app's whitelists, by stored name (`server_domains`, …, and the v3
/// kinds' `request_domains` … `tcp_domains`), every one present.
#[derive(Debug, Clone, Serialize)]
pub struct Whitelists(std::collections::BTreeMap<&'static str, Vec<Entry>>);

impl Default for Whitelists {
    fn default() -> Whitelists {
        Whitelists(
            Whitelist::ALL
                .iter()
                .map(|w| (w.as_str(), Vec::new()))
                .collect(),
        )
    }
}

impl Whitelists {
    /// The entries of `list`.
    pub fn of(&self, list: Whitelist) -> &[Entry] {
        self.0.get(list.as_str()).map_or(&[], Vec::as_slice)
    }

    fn push(&mut self, list: Whitelist, entry: Entry) {
        self.0.entry(list.as_str()).or_default().push(entry);
    }
}

/// An app as the API shows it: whether its binding is approved, switches,
/// whitelists, granted APIs.
#[derive(Debug, Clone, Serialize)]
pub struct AppDetail {
    /// Its id.
    pub id: String,
    /// Its superapp.
    pub superapp_id: String,
    /// Its team.
    pub team_id: String,
    /// Mini program or mini game.
    pub kind: AppKind,
    /// Its name.
    pub name: String,
    /// The superapp approved the binding (the app is in its bundle).
    pub bound: bool,
    /// Its own mode (`None`: the policy's, enforce).
    pub mode: Option<String>,
    /// The permission-control switches.
    pub control: Control,
    /// The three whitelists.
    pub whitelists: Whitelists,
    /// The APIs granted to it.
    pub granted_apis: Vec<String>,
}

/// App `app` as [`get`] answers it, without the permission check.
pub(crate) async fn detail(st: &AppState, app: &str) -> Result<AppDetail, ApiError> {
    let row = sqlx::query(
        "SELECT id, superapp_id, team_id, kind, name, bound, mode, ctl_server_domains, ctl_apis, ctl_webview_domains, ctl_media_domains FROM apps WHERE id = $1",
    )
    .bind(app)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?;
    let mut lists = Whitelists::default();
    for r in sqlx::query("SELECT id, list, value, remark FROM whitelist WHERE app_id = $1 ORDER BY list, position, id")
        .bind(app)
        .fetch_all(&st.store.pool)
        .await?
    {
        let list: String = r.try_get("list")?;
        let entry = Entry {
            id: r.try_get("id")?,
            value: r.try_get("value")?,
            remark: r.try_get("remark")?,
        };
        if let Some(w) = Whitelist::parse(&list) {
            lists.push(w, entry);
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
    let kind: String = row.try_get("kind")?;
    Ok(AppDetail {
        id: row.try_get("id")?,
        superapp_id: row.try_get("superapp_id")?,
        team_id: row.try_get("team_id")?,
        kind: AppKind::parse(&kind)
            .ok_or_else(|| ApiError::Internal(format!("stored kind `{kind}`")))?,
        name: row.try_get("name")?,
        bound: flag(&row, "bound")?,
        mode: row.try_get("mode")?,
        control: Control {
            server_domains: flag(&row, "ctl_server_domains")?,
            apis: flag(&row, "ctl_apis")?,
            webview_domains: flag(&row, "ctl_webview_domains")?,
            media_domains: row
                .try_get::<Option<i64>, _>("ctl_media_domains")?
                .map(|v| v != 0),
        },
        whitelists: lists,
        granted_apis: grants,
    })
}

/// App `app`.
///
/// # Errors
///
/// 404 unknown app; 403 unless the caller may read it.
pub async fn get(st: &AppState, caller: &Caller, app: &str) -> Result<AppDetail, ApiError> {
    let a = app_row(st, app).await?;
    require_view_app(caller, &a)?;
    detail(st, app).await
}

/// An app in a list.
#[derive(Debug, Clone, Serialize)]
pub struct AppSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Mini program or mini game.
    pub kind: AppKind,
    /// Its superapp.
    pub superapp_id: String,
    /// Its team.
    pub team_id: String,
    /// The superapp approved its binding.
    pub bound: bool,
    /// Its own mode (`None`: the policy's, enforce).
    pub mode: Option<String>,
    /// Its released version, if any.
    pub release_version: Option<String>,
    /// The superapp removed it.
    pub removed: bool,
}

/// Which apps a list shows (each filter optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AppFilter {
    /// Apps of this superapp.
    #[serde(default)]
    pub superapp: Option<String>,
    /// Apps of this team.
    #[serde(default)]
    pub team: Option<String>,
}

/// The apps `caller` may read (as [`get`] decides it), filtered.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn list(
    st: &AppState,
    caller: &Caller,
    f: &AppFilter,
) -> Result<Vec<AppSummary>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, name, kind, superapp_id, team_id, bound, mode, release_version, removed FROM apps \
         WHERE ($1 = '' OR superapp_id = $1) AND ($2 = '' OR team_id = $2) ORDER BY id",
    )
    .bind(f.superapp.as_deref().unwrap_or(""))
    .bind(f.team.as_deref().unwrap_or(""))
    .fetch_all(&st.store.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let kind: String = r.try_get("kind")?;
        let a = AppRow {
            superapp_id: r.try_get("superapp_id")?,
            team_id: r.try_get("team_id")?,
            kind: AppKind::parse(&kind)
                .ok_or_else(|| ApiError::Internal(format!("stored kind `{kind}`")))?,
            bound: flag(r, "bound")?,
        };
        if require_view_app(caller, &a).is_err() {
            continue;
        }
        out.push(AppSummary {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            kind: a.kind,
            superapp_id: a.superapp_id,
            team_id: a.team_id,
            bound: a.bound,
            mode: r.try_get("mode")?,
            release_version: r.try_get("release_version")?,
            removed: flag(r, "removed")?,
        });
    }
    Ok(out)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/superapps/{sid}/apps`.
    pub(crate) async fn create(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        JsonBody(b): JsonBody<super::NewApp>,
    ) -> Res {
        reply_of(
            StatusCode::CREATED,
            &super::create(&st, &caller, &sid, b).await?,
        )
    }

    /// `GET /api/v1/apps/{app}`.
    pub(crate) async fn get(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::get(&st, &caller, &app).await?)
    }

    /// `GET /api/v1/apps[?superapp=…&team=…]`: the apps the caller may read.
    pub(crate) async fn list(
        State(st): State<AppState>,
        caller: Caller,
        Query(f): Query<super::AppFilter>,
    ) -> Res {
        let apps = super::list(&st, &caller, &f).await?;
        reply(StatusCode::OK, json!({ "apps": apps }))
    }
}

//! The policy document built from the store, and its signed bundle: what the
//! SDK's `guard_core::Guard` loads, and what the server itself checks before
//! releasing a phone number or an email.

use std::collections::BTreeMap;

use guard_core::{
    ApiStatus, ApiType, App, AppKind, Control, Mode, Policy, Release, Scope, SensitiveApi,
};
use sqlx::{AnyConnection, Row};

use crate::distribution::sealing::Kek;
use crate::distribution::signer::Signer;
use crate::http::error::ApiError;
use crate::resources::blocked;
use crate::store::flag;

/// An app's whitelists, named as the policy document's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whitelist {
    /// `server_domains`: request, upload, download and socket targets.
    ServerDomains,
    /// `api_whitelist`: custom APIs callable when `control.apis` is on.
    ApiWhitelist,
    /// `webview_domains`: web-view targets.
    WebviewDomains,
}

impl Whitelist {
    /// Every whitelist.
    pub const ALL: [Whitelist; 3] = [
        Whitelist::ServerDomains,
        Whitelist::ApiWhitelist,
        Whitelist::WebviewDomains,
    ];

    /// The field name (also the stored name and the URL segment).
    pub fn as_str(self) -> &'static str {
        match self {
            Whitelist::ServerDomains => "server_domains",
            Whitelist::ApiWhitelist => "api_whitelist",
            Whitelist::WebviewDomains => "webview_domains",
        }
    }

    /// Parses a field name.
    pub fn parse(s: &str) -> Option<Whitelist> {
        Whitelist::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

fn corrupt(what: &str, value: &str) -> ApiError {
    ApiError::Internal(format!("stored {what} `{value}` is invalid"))
}

/// The superapp's current policy, optionally with one app only.
///
/// `issued_at` is the time of the change that produced this version, so one
/// version always yields the same bytes (and the same `ETag`).
///
/// # Errors
///
/// [`ApiError::NotFound`] for an unknown superapp or app; [`ApiError::Internal`]
/// on a store failure.
pub async fn build(
    conn: &mut AnyConnection,
    superapp_id: &str,
    only_app: Option<&str>,
) -> Result<Policy, ApiError> {
    let row = sqlx::query("SELECT version, updated_at FROM versions WHERE scope = $1")
        .bind(superapp_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{superapp_id}` not found")))?;
    let version: i64 = row.try_get("version")?;
    let updated_at: i64 = row.try_get("updated_at")?;

    let mut sensitive_apis = Vec::new();
    for r in sqlx::query(
        "SELECT name, status, scope, api_type, description FROM sensitive_apis WHERE superapp_id = $1 ORDER BY name",
    )
    .bind(superapp_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let status: String = r.try_get("status")?;
        let scope: String = r.try_get("scope")?;
        let api_type: String = r.try_get("api_type")?;
        sensitive_apis.push(SensitiveApi {
            name: r.try_get("name")?,
            status: ApiStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            scope: Scope::parse(&scope).ok_or_else(|| corrupt("scope", &scope))?,
            api_type: ApiType::parse(&api_type).ok_or_else(|| corrupt("type", &api_type))?,
            description: r.try_get("description")?,
        });
    }

    let app_rows = sqlx::query(
        "SELECT id, kind, mode, ctl_server_domains, ctl_apis, ctl_webview_domains, release_version, release_sha256, removed FROM apps \
         WHERE superapp_id = $1 AND bound = 1 AND ($2 = '' OR id = $2) ORDER BY id",
    )
    .bind(superapp_id)
    .bind(only_app.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    if let Some(app) = only_app {
        if app_rows.is_empty() {
            return Err(ApiError::NotFound(format!("app `{app}` not found")));
        }
    }
    let mut apps = BTreeMap::new();
    for r in &app_rows {
        let id: String = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let release = match (
            r.try_get::<Option<String>, _>("release_version")?,
            r.try_get::<Option<String>, _>("release_sha256")?,
        ) {
            (Some(version), Some(package_sha256)) => Some(Release {
                version,
                package_sha256,
            }),
            _ => None,
        };
        let removed = flag(r, "removed")?.then_some(true);
        let mode = match r.try_get::<Option<String>, _>("mode")? {
            Some(m) => Some(Mode::parse(&m).ok_or_else(|| corrupt("mode", &m))?),
            None => None,
        };
        apps.insert(
            id.clone(),
            App {
                app_id: id,
                kind: AppKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                control: Control {
                    server_domains: flag(r, "ctl_server_domains")?,
                    apis: flag(r, "ctl_apis")?,
                    webview_domains: flag(r, "ctl_webview_domains")?,
                    media_domains: None,
                },
                server_domains: Vec::new(),
                webview_domains: Vec::new(),
                api_whitelist: Vec::new(),
                granted_apis: Vec::new(),
                mode,
                release,
                removed,
                domains: None,
            },
        );
    }
    for r in sqlx::query(
        "SELECT w.app_id, w.list, w.value FROM whitelist w JOIN apps a ON a.id = w.app_id \
         WHERE a.superapp_id = $1 ORDER BY w.app_id, w.list, w.position, w.id",
    )
    .bind(superapp_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let app_id: String = r.try_get("app_id")?;
        let list: String = r.try_get("list")?;
        let value: String = r.try_get("value")?;
        if let Some(app) = apps.get_mut(&app_id) {
            match Whitelist::parse(&list) {
                Some(Whitelist::ServerDomains) => app.server_domains.push(value),
                Some(Whitelist::WebviewDomains) => app.webview_domains.push(value),
                Some(Whitelist::ApiWhitelist) => app.api_whitelist.push(value),
                None => return Err(corrupt("list", &list)),
            }
        }
    }
    for r in sqlx::query(
        "SELECT g.app_id, g.api FROM grants g JOIN apps a ON a.id = g.app_id WHERE a.superapp_id = $1 ORDER BY g.app_id, g.api",
    )
    .bind(superapp_id)
    .fetch_all(&mut *conn)
    .await?
    {
        let app_id: String = r.try_get("app_id")?;
        if let Some(app) = apps.get_mut(&app_id) {
            app.granted_apis.push(r.try_get("api")?);
        }
    }
    let blocked_hosts = blocked::all(conn, superapp_id).await?;
    let apps: Vec<App> = apps.into_values().collect();
    // Schema 2 exactly when a v2 field is present, so a policy without one
    // stays a document every v1 guard loads.
    let v2 = !blocked_hosts.is_empty()
        || apps
            .iter()
            .any(|a| a.mode.is_some() || a.release.is_some() || a.removed.is_some());
    Ok(Policy {
        schema: if v2 { 2 } else { 1 },
        superapp_id: superapp_id.to_owned(),
        version: u64::try_from(version).unwrap_or(0),
        issued_at: u64::try_from(updated_at).unwrap_or(0),
        expires_at: None,
        mode: Mode::Enforce,
        builtin_apis: None,
        blocked_hosts: (!blocked_hosts.is_empty()).then_some(blocked_hosts),
        sensitive_apis,
        apps,
        iat: None,
        nbf: None,
        exp: None,
        iss: None,
        sub: None,
        aud: None,
        jti: None,
    })
}

/// The server-side decision: may `app` call `api` under its own signed
/// policy? Exactly what the SDK does: load the app's bundle into a
/// `guard_core::Guard` and ask it.
///
/// # Errors
///
/// [`ApiError::Internal`] when the bundle does not load (fail closed).
pub async fn app_may_call(
    conn: &mut AnyConnection,
    superapp_id: &str,
    app: &str,
    api: &str,
    now: i64,
    kek: Option<&Kek>,
) -> Result<guard_core::Verdict, ApiError> {
    let policy = build(conn, superapp_id, Some(app)).await?;
    let signer = Signer::of(conn, superapp_id, kek).await?;
    let signed = signer.sign(&policy)?;
    let now = u64::try_from(now).unwrap_or(0);
    let mut guard = signer.guard()?;
    guard
        .load(&signed, now)
        .map_err(|e| ApiError::Internal(format!("own bundle refused: {e}")))?;
    Ok(guard.check_api(app, api, now))
}

/// The sensitive API list a new superapp starts with: platform APIs that
/// reach personal data, all restricted.
pub const DEFAULT_SENSITIVE_APIS: &[&str] = &[
    "getLocation",
    "chooseLocation",
    "startLocationUpdate",
    "getPhoneNumber",
    "getEmailAddress",
    "chooseAddress",
    "chooseInvoiceTitle",
    "getWeRunData",
    "startRecord",
    "chooseImage",
    "chooseMedia",
    "saveImageToPhotosAlbum",
    "startBluetoothDevicesDiscovery",
    "getClipboardData",
    "startSoterAuthentication",
];

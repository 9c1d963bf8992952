//! The policy document built from the store's rows: what the SDK's
//! `guard_core::Guard` loads once `distribution` signed it, and what the
//! server itself checks before releasing a phone number or an email
//! (`login::openserver`). It only reads and builds: signing, serving and
//! changing are the floors above (`docs/server.md`, "Floors").

use std::collections::BTreeMap;

use guard_core::{
    ApiStatus, ApiType, App, AppKind, Control, Domains, HostPattern, Mode, Policy, Release, Scope,
    SensitiveApi,
};
use sqlx::{AnyConnection, Row};

use crate::error::ApiError;
use crate::store::flag;

/// An app's whitelists: the policy document's fields, and (contract v3)
/// one list per kind of target, `apps[].domains.<kind>` in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whitelist {
    /// `server_domains`: request, upload, download and socket targets of
    /// the kinds without a list of their own.
    ServerDomains,
    /// `api_whitelist`: custom APIs callable when `control.apis` is on.
    ApiWhitelist,
    /// `webview_domains`: web-view targets.
    WebviewDomains,
    /// v3 `domains.request`: `https` origins for `request`.
    Request,
    /// v3 `domains.upload`: `https` origins for `uploadFile`.
    Upload,
    /// v3 `domains.download`: `https` origins for `downloadFile`.
    Download,
    /// v3 `domains.socket`: `wss` origins for `connectSocket`.
    Socket,
    /// v3 `domains.media`: `https` origins of images, fonts, audio and video
    /// (checked when `control.media_domains` is on).
    Media,
    /// v3 `domains.udp`: `host` or `host:port` for UDP sockets.
    Udp,
    /// v3 `domains.tcp`: `host` or `host:port` for TCP sockets.
    Tcp,
}

/// What the entries of a list are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryForm {
    /// `https://host[:port]` (and `wss://` in `server_domains`).
    Https,
    /// `wss://host[:port]`.
    Wss,
    /// `https` or `wss` origins (`server_domains`).
    Server,
    /// `host` or `host:port`, a host pattern as `blocked_hosts` has them.
    Socket,
    /// An API name.
    Api,
}

impl Whitelist {
    /// Every whitelist, in the console's order.
    pub const ALL: [Whitelist; 10] = [
        Whitelist::ServerDomains,
        Whitelist::ApiWhitelist,
        Whitelist::WebviewDomains,
        Whitelist::Request,
        Whitelist::Upload,
        Whitelist::Download,
        Whitelist::Socket,
        Whitelist::Media,
        Whitelist::Udp,
        Whitelist::Tcp,
    ];

    /// The stored name (also the URL segment and the API's field name).
    pub fn as_str(self) -> &'static str {
        match self {
            Whitelist::ServerDomains => "server_domains",
            Whitelist::ApiWhitelist => "api_whitelist",
            Whitelist::WebviewDomains => "webview_domains",
            Whitelist::Request => "request_domains",
            Whitelist::Upload => "upload_domains",
            Whitelist::Download => "download_domains",
            Whitelist::Socket => "socket_domains",
            Whitelist::Media => "media_domains",
            Whitelist::Udp => "udp_domains",
            Whitelist::Tcp => "tcp_domains",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Whitelist> {
        Whitelist::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The kind of a v3 list, as `apps[].domains` names it; `None` for the
    /// three lists of every schema.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            Whitelist::ServerDomains | Whitelist::ApiWhitelist | Whitelist::WebviewDomains => None,
            Whitelist::Request => Some("request"),
            Whitelist::Upload => Some("upload"),
            Whitelist::Download => Some("download"),
            Whitelist::Socket => Some("socket"),
            Whitelist::Media => Some("media"),
            Whitelist::Udp => Some("udp"),
            Whitelist::Tcp => Some("tcp"),
        }
    }

    /// What its entries are.
    pub fn form(self) -> EntryForm {
        match self {
            Whitelist::ServerDomains => EntryForm::Server,
            Whitelist::ApiWhitelist => EntryForm::Api,
            Whitelist::Socket => EntryForm::Wss,
            Whitelist::Udp | Whitelist::Tcp => EntryForm::Socket,
            Whitelist::WebviewDomains
            | Whitelist::Request
            | Whitelist::Upload
            | Whitelist::Download
            | Whitelist::Media => EntryForm::Https,
        }
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

    let sensitive_apis = sensitive_apis(conn, superapp_id).await?;
    let mut apps = apps(conn, superapp_id, only_app).await?;
    add_lists(conn, superapp_id, &mut apps).await?;
    add_grants(conn, superapp_id, &mut apps).await?;
    let blocked_hosts = blocked_hosts(conn, superapp_id).await?;
    let mut apps: Vec<App> = apps.into_values().collect();
    // Schema 3 exactly when a v3 field is in use, schema 2 when a v2 field
    // is, so a policy without one stays a document every older guard loads.
    let v3 = apps
        .iter()
        .any(|a| a.domains.is_some() || a.control.media_domains.is_some());
    let v2 = !blocked_hosts.is_empty()
        || apps
            .iter()
            .any(|a| a.mode.is_some() || a.release.is_some() || a.removed.is_some());
    if v3 {
        apps.iter_mut().for_each(to_schema_3);
    }
    Ok(Policy {
        schema: match (v3, v2) {
            (true, _) => 3,
            (false, true) => 2,
            (false, false) => 1,
        },
        superapp_id: superapp_id.to_owned(),
        version: u64::try_from(version).unwrap_or(0),
        issued_at: u64::try_from(updated_at).unwrap_or(0),
        expires_at: None,
        mode: Mode::Enforce,
        builtin_apis: None,
        blocked_hosts: (!blocked_hosts.is_empty()).then_some(blocked_hosts),
        sensitive_apis,
        apps,
        // No JWT claims: the bundle's own header and members say it all.
        ..Policy::default()
    })
}

/// The superapp's `sensitive_apis`, by name.
async fn sensitive_apis(
    conn: &mut AnyConnection,
    superapp_id: &str,
) -> Result<Vec<SensitiveApi>, ApiError> {
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
    Ok(sensitive_apis)
}

/// The superapp's bound apps (or `only_app`), by id, their lists empty.
///
/// # Errors
///
/// [`ApiError::NotFound`] when `only_app` is not one of them.
async fn apps(
    conn: &mut AnyConnection,
    superapp_id: &str,
    only_app: Option<&str>,
) -> Result<BTreeMap<String, App>, ApiError> {
    let app_rows = sqlx::query(
        "SELECT id, kind, mode, ctl_server_domains, ctl_apis, ctl_webview_domains, ctl_media_domains, release_version, release_sha256, removed FROM apps \
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
                    // Decided or not (`NULL`); what a v3 document says is
                    // settled in `to_schema_3`.
                    media_domains: r
                        .try_get::<Option<i64>, _>("ctl_media_domains")?
                        .map(|v| v != 0),
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
    Ok(apps)
}

/// Adds each app's whitelist entries, in their stored order, to `apps`.
async fn add_lists(
    conn: &mut AnyConnection,
    superapp_id: &str,
    apps: &mut BTreeMap<String, App>,
) -> Result<(), ApiError> {
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
            let w = Whitelist::parse(&list).ok_or_else(|| corrupt("list", &list))?;
            match w {
                Whitelist::ServerDomains => app.server_domains.push(value),
                Whitelist::WebviewDomains => app.webview_domains.push(value),
                Whitelist::ApiWhitelist => app.api_whitelist.push(value),
                _ => kind_list(app.domains.get_or_insert_with(Domains::default), w)
                    .get_or_insert_with(Vec::new)
                    .push(value),
            }
        }
    }
    Ok(())
}

/// Adds each app's grants, by API name, to `apps`.
async fn add_grants(
    conn: &mut AnyConnection,
    superapp_id: &str,
    apps: &mut BTreeMap<String, App>,
) -> Result<(), ApiError> {
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
    Ok(())
}

/// The slot of a v3 list in `apps[].domains`.
fn kind_list(d: &mut Domains, w: Whitelist) -> &mut Option<Vec<String>> {
    match w {
        Whitelist::Request => &mut d.request,
        Whitelist::Upload => &mut d.upload,
        Whitelist::Download => &mut d.download,
        Whitelist::Socket => &mut d.socket,
        Whitelist::Media => &mut d.media,
        Whitelist::Udp => &mut d.udp,
        // The three lists of every schema have no slot here; `build` never
        // asks for them.
        Whitelist::Tcp
        | Whitelist::ServerDomains
        | Whitelist::ApiWhitelist
        | Whitelist::WebviewDomains => &mut d.tcp,
    }
}

/// An app in a `schema: 3` document (decision 366). A kind's list is in the
/// document when it has entries (so an empty list never silently replaces
/// `server_domains`). The media switch nobody has set yet keeps media
/// checked as v2 did (`policy.md` §3.7): on when the app checks its server
/// domains, with its download entries (its own download list, else the
/// `https` entries of `server_domains`) as its media list when it has none.
fn to_schema_3(app: &mut App) {
    if app.control.media_domains.is_none() {
        let on = app.control.server_domains;
        app.control.media_domains = Some(on);
        let d = app.domains.get_or_insert_with(Domains::default);
        if on && d.media.is_none() {
            let download = d.download.clone().unwrap_or_else(|| {
                app.server_domains
                    .iter()
                    .filter(|e| {
                        e.get(..8)
                            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
                    })
                    .cloned()
                    .collect()
            });
            d.media = Some(download);
        }
    }
    if app
        .domains
        .as_ref()
        .is_some_and(|d| *d == Domains::default())
    {
        app.domains = None;
    }
}

/// The host of an `https` origin, as a blocked-host pattern (`None` when it
/// is none, e.g. an IP address).
pub fn origin_host(origin: &str) -> Option<String> {
    let rest = origin.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    HostPattern::parse(host).ok().map(|p| p.to_string())
}

/// The console's own blocked-host patterns of superapp `sid`, sorted
/// (`resources::blocked` edits them).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn own_blocked_hosts(
    conn: &mut AnyConnection,
    sid: &str,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for r in
        sqlx::query("SELECT pattern FROM blocked_hosts WHERE superapp_id = $1 ORDER BY pattern")
            .bind(sid)
            .fetch_all(&mut *conn)
            .await?
    {
        out.push(r.try_get("pattern")?);
    }
    Ok(out)
}

/// The hosts every bundle of `sid` blocks besides the console's patterns:
/// the backend host and the openserver host recorded for it.
///
/// # Errors
///
/// [`ApiError::NotFound`] for an unknown superapp; [`ApiError::Internal`].
pub async fn default_blocked_hosts(
    conn: &mut AnyConnection,
    sid: &str,
) -> Result<Vec<String>, ApiError> {
    let row = sqlx::query("SELECT backend_domain, openserver_host FROM superapps WHERE id = $1")
        .bind(sid)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    let backend: String = row.try_get("backend_domain")?;
    let openserver: Option<String> = row.try_get("openserver_host")?;
    let mut out: Vec<String> = origin_host(&backend)
        .into_iter()
        .chain(openserver)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every host the bundles of `sid` block: the defaults and the console's
/// patterns, sorted, without duplicates.
///
/// # Errors
///
/// [`ApiError::NotFound`] / [`ApiError::Internal`].
async fn blocked_hosts(conn: &mut AnyConnection, sid: &str) -> Result<Vec<String>, ApiError> {
    let mut out = default_blocked_hosts(conn, sid).await?;
    out.extend(own_blocked_hosts(conn, sid).await?);
    out.sort();
    out.dedup();
    Ok(out)
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

//! An app's permission-control switches and its whitelists
//! (`server_domains`, `api_whitelist`, `webview_domains` and, contract v3,
//! a domain list per kind of target: request, upload, download, socket,
//! media, UDP and TCP, with the media switch).

use guard_core::{Control, DomainEntry, SocketEntry};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Change, Record};
use crate::error::ApiError;
use crate::policy::{EntryForm, Whitelist};
use crate::resources::apis::check_api_name;
use crate::resources::apps::{app_row, detail};
use crate::resources::{to_json, Versioned};
use crate::state::AppState;
use crate::util::{check_text, random_hex};

/// Longest remark on a whitelist entry (the seeds' 200 characters).
pub const MAX_REMARK_CHARS: usize = 200;

/// Sets `app`'s switches; returns them and the version. The media switch
/// (contract v3) is left as it is when `control.media_domains` is `None`.
///
/// # Errors
///
/// 404 unknown app; 403 unless the caller may manage its whitelists.
pub async fn set_control(
    st: &AppState,
    caller: &Caller,
    app: &str,
    control: Control,
) -> Result<(Control, i64), ApiError> {
    let a = app_row(st, app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    let before = to_json(&detail(st, app).await?.control)?;
    let after = to_json(&control)?;
    let (_, version) = apply(st, caller, Action::ManageWhitelists, &a.superapp_id, async |c| {
        sqlx::query("UPDATE apps SET ctl_server_domains = $2, ctl_apis = $3, ctl_webview_domains = $4, \
             ctl_media_domains = COALESCE($5, ctl_media_domains) WHERE id = $1")
            .bind(app)
            .bind(i64::from(control.server_domains))
            .bind(i64::from(control.apis))
            .bind(i64::from(control.webview_domains))
            .bind(control.media_domains.map(i64::from))
            .execute(&mut *c.tx)
            .await?;
        Ok(((), Record::new("set_control", format!("app:{app}"), Some(before), Some(after.clone()))))
    })
    .await?;
    Ok((control, version))
}

/// A whitelist entry as offered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The domain (`https://api.example`) or API name.
    pub value: String,
    /// At most 200 characters.
    #[serde(default)]
    pub remark: String,
}

/// A whitelist entry as a change answers it.
#[derive(Debug, Clone, Serialize)]
pub struct ListEntry {
    /// `wl_…`.
    pub id: String,
    /// Which list.
    pub list: String,
    /// The domain or API name.
    pub value: String,
    /// The remark.
    pub remark: String,
}

/// The whitelist a URL names, and how many entries it may hold.
///
/// # Errors
///
/// 404 for a list that does not exist.
pub fn whitelist(st: &AppState, list: &str) -> Result<(Whitelist, usize), ApiError> {
    let wl = Whitelist::parse(list).ok_or_else(|| {
        let all: Vec<_> = Whitelist::ALL.iter().map(|w| w.as_str()).collect();
        ApiError::NotFound(format!(
            "whitelist `{list}` does not exist ({})",
            all.join(", ")
        ))
    })?;
    let limit = match wl {
        Whitelist::WebviewDomains => st.limits.max_webview_domains,
        Whitelist::ApiWhitelist => st.limits.max_api_whitelist,
        // Each kind's list has the seeds' limit of server domains.
        _ => st.limits.max_server_domains,
    };
    Ok((wl, limit))
}

/// Every refusal of entry `b` of `list`, in the form's order (the value,
/// then the remark), so a form can show them all at once.
pub fn entry_errors(list: Whitelist, b: &EntryBody) -> Vec<ApiError> {
    [
        check_value(list, b),
        check_text("remark", &b.remark, MAX_REMARK_CHARS),
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect()
}

fn check_entry(list: Whitelist, b: &EntryBody) -> Result<(), ApiError> {
    entry_errors(list, b).into_iter().next().map_or(Ok(()), Err)
}

fn check_value(list: Whitelist, b: &EntryBody) -> Result<(), ApiError> {
    let value = b.value.as_str();
    if value.is_empty() {
        return Err(ApiError::bad("value", "must not be empty"));
    }
    // guard-core's own entry rules, with its words: each list's form.
    let refused = |e: guard_core::EntryError| {
        ApiError::bad("value", format!("`{}` entry `{value}` {e}", list.as_str()))
    };
    match list.form() {
        EntryForm::Api => check_api_name(value)
            .map_err(|_| ApiError::bad("value", format!("`{value}` is not an API name")))?,
        EntryForm::Server => {
            DomainEntry::server(value).map_err(refused)?;
        }
        EntryForm::Https => {
            DomainEntry::webview(value).map_err(refused)?;
        }
        EntryForm::Wss => {
            DomainEntry::server(value).map_err(refused)?;
            if !value
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("wss://"))
            {
                return Err(ApiError::bad(
                    "value",
                    format!(
                        "`{}` entry `{value}` is not a `wss://` origin, the only scheme a socket list takes",
                        list.as_str()
                    ),
                ));
            }
        }
        EntryForm::Socket => {
            SocketEntry::parse(value).map_err(refused)?;
        }
    }
    refuse_public_suffix_wildcard(list, value)
}

/// A wildcard over a public suffix (`https://*.co.uk`, `https://*.github.io`)
/// lets the app reach every site registered under it. The guard only refuses
/// a wildcard over one label; the console checks the Public Suffix List
/// (compiled into the `psl` crate, ICANN and private sections alike). Entries
/// the guard would refuse anyway are left to its validation.
fn refuse_public_suffix_wildcard(list: Whitelist, value: &str) -> Result<(), ApiError> {
    let normalised = entry_key(list, value);
    let host = match normalised.split_once("://") {
        Some((_, authority)) => authority,
        None if list.form() == EntryForm::Socket => normalised.as_str(),
        None => return Ok(()),
    };
    let host = host.split(':').next().unwrap_or(host);
    let Some(base) = host.strip_prefix("*.") else {
        return Ok(());
    };
    let base = base.trim_end_matches('.');
    let is_suffix = psl::suffix(base.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == base.as_bytes());
    if is_suffix {
        return Err(ApiError::bad(
            "value",
            format!("`{value}` is a wildcard over the public suffix `{base}`: name a registrable domain under it"),
        ));
    }
    Ok(())
}

/// The form two entries of `list` are compared in to find duplicates: domain
/// entries as the guard normalises them (`https://API.shop.example.` and
/// `https://api.shop.example:443` are one entry), API names as written. An
/// invalid value keeps its raw form; validation refuses it afterwards.
fn entry_key(list: Whitelist, value: &str) -> String {
    let parsed = match list.form() {
        EntryForm::Server | EntryForm::Wss => DomainEntry::server(value),
        EntryForm::Https => DomainEntry::webview(value),
        EntryForm::Socket => {
            return SocketEntry::parse(value).map_or_else(|_| value.to_owned(), |e| e.to_string())
        }
        EntryForm::Api => return value.to_owned(),
    };
    parsed.map_or_else(|_| value.to_owned(), |e| e.to_string())
}

/// Refuses `value` when it duplicates an entry of `list` other than `except`.
async fn refuse_duplicate(
    c: &mut Change,
    app: &str,
    wl: Whitelist,
    value: &str,
    except: &str,
) -> Result<(), ApiError> {
    let (key, list) = (entry_key(wl, value), wl.as_str());
    let rows =
        sqlx::query("SELECT value FROM whitelist WHERE app_id = $1 AND list = $2 AND id <> $3")
            .bind(app)
            .bind(list)
            .bind(except)
            .fetch_all(&mut *c.tx)
            .await?;
    for r in rows {
        let existing: String = r.try_get("value")?;
        if entry_key(wl, &existing) != key {
            continue;
        }
        return Err(if value == existing {
            ApiError::Conflict(format!("`{value}` is already in `{list}` of app `{app}`"))
        } else {
            ApiError::Conflict(format!(
                "`{value}` is the same entry as `{existing}`, already in `{list}` of app `{app}`"
            ))
        });
    }
    Ok(())
}

/// Adds `b` to `list` of `app`.
///
/// # Errors
///
/// 404 unknown list or app; 403; 400 naming `value` or `remark`; 409
/// duplicate or list full.
pub async fn add(
    st: &AppState,
    caller: &Caller,
    app: &str,
    list: &str,
    b: EntryBody,
) -> Result<Versioned<ListEntry>, ApiError> {
    let (wl, limit) = whitelist(st, list)?;
    let a = app_row(st, app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    check_entry(wl, &b)?;
    let id = format!("wl_{}", random_hex(8)?);
    let item = ListEntry {
        id: id.clone(),
        list: list.to_owned(),
        value: b.value.clone(),
        remark: b.remark.clone(),
    };
    let after = to_json(&item)?;
    let (_, version) = apply(st, caller, Action::ManageWhitelists, &a.superapp_id, async |c| {
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM whitelist WHERE app_id = $1 AND list = $2")
                .bind(app)
                .bind(list)
                .fetch_one(&mut *c.tx)
                .await?
                .try_get("n")?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
            return Err(ApiError::Conflict(format!(
                "`{list}` of app `{app}` already has the maximum of {limit} entries"
            )));
        }
        refuse_duplicate(c, app, wl, &b.value, "").await?;
        sqlx::query("INSERT INTO whitelist (id, app_id, list, value, remark, position) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(app)
            .bind(list)
            .bind(&b.value)
            .bind(&b.remark)
            .bind(c.version)
            .execute(&mut *c.tx)
            .await?;
        c.validate("value").await?;
        Ok(((), Record::new("add_whitelist_entry", format!("app:{app}:{list}"), None, Some(after.clone()))))
    })
    .await?;
    Ok(Versioned { item, version })
}

async fn entry_before(
    c: &mut Change,
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
    .fetch_optional(&mut *c.tx)
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

/// Changes entry `entry` of `list` of `app` to `b`.
///
/// # Errors
///
/// 404 unknown list, app or entry; 403; 400 naming `value` or `remark`;
/// 409 duplicate.
pub async fn edit(
    st: &AppState,
    caller: &Caller,
    app: &str,
    list: &str,
    entry: &str,
    b: EntryBody,
) -> Result<Versioned<ListEntry>, ApiError> {
    let (wl, _) = whitelist(st, list)?;
    let a = app_row(st, app).await?;
    caller.require_superapp(Action::ManageWhitelists, &a.superapp_id)?;
    check_entry(wl, &b)?;
    let item = ListEntry {
        id: entry.to_owned(),
        list: list.to_owned(),
        value: b.value.clone(),
        remark: b.remark.clone(),
    };
    let after = to_json(&item)?;
    let (_, version) = apply(
        st,
        caller,
        Action::ManageWhitelists,
        &a.superapp_id,
        async |c| {
            let before = entry_before(c, app, list, entry).await?;
            refuse_duplicate(c, app, wl, &b.value, entry).await?;
            sqlx::query("UPDATE whitelist SET value = $2, remark = $3 WHERE id = $1")
                .bind(entry)
                .bind(&b.value)
                .bind(&b.remark)
                .execute(&mut *c.tx)
                .await?;
            c.validate("value").await?;
            Ok((
                (),
                Record::new(
                    "edit_whitelist_entry",
                    format!("app:{app}:{list}"),
                    Some(before),
                    Some(after.clone()),
                ),
            ))
        },
    )
    .await?;
    Ok(Versioned { item, version })
}

/// Deletes entry `entry` of `list` of `app`; returns the version.
///
/// # Errors
///
/// 404 unknown list, app or entry; 403.
pub async fn delete(
    st: &AppState,
    caller: &Caller,
    app: &str,
    list: &str,
    entry: &str,
) -> Result<i64, ApiError> {
    whitelist(st, list)?;
    let a = app_row(st, app).await?;
    let (_, version) = apply(
        st,
        caller,
        Action::ManageWhitelists,
        &a.superapp_id,
        async |c| {
            let before = entry_before(c, app, list, entry).await?;
            sqlx::query("DELETE FROM whitelist WHERE id = $1")
                .bind(entry)
                .execute(&mut *c.tx)
                .await?;
            Ok((
                (),
                Record::new(
                    "delete_whitelist_entry",
                    format!("app:{app}:{list}"),
                    Some(before),
                    None,
                ),
            ))
        },
    )
    .await?;
    Ok(version)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use guard_core::Control;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// The switches as a request sets them: the three of every schema,
    /// and (contract v3) the media switch, left as it is when absent.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ControlBody {
        server_domains: bool,
        apis: bool,
        webview_domains: bool,
        #[serde(default)]
        media_domains: Option<bool>,
    }

    /// `PUT /api/v1/apps/{app}/control`.
    pub(crate) async fn set_control(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
        JsonBody(b): JsonBody<ControlBody>,
    ) -> Res {
        let control = Control {
            server_domains: b.server_domains,
            apis: b.apis,
            webview_domains: b.webview_domains,
            media_domains: b.media_domains,
        };
        let (_, version) = super::set_control(&st, &caller, &app, control).await?;
        // As stored now (the media switch may have been left as it was).
        let control = crate::resources::apps::detail(&st, &app).await?.control;
        reply(
            StatusCode::OK,
            json!({"control": control, "version": version}),
        )
    }

    /// `POST /api/v1/apps/{app}/whitelists/{list}`.
    pub(crate) async fn add(
        State(st): State<AppState>,
        caller: Caller,
        Path((app, list)): Path<(String, String)>,
        JsonBody(b): JsonBody<super::EntryBody>,
    ) -> Res {
        reply_of(
            StatusCode::CREATED,
            &super::add(&st, &caller, &app, &list, b).await?,
        )
    }

    /// `PUT /api/v1/apps/{app}/whitelists/{list}/{entry}`.
    pub(crate) async fn edit(
        State(st): State<AppState>,
        caller: Caller,
        Path((app, list, entry)): Path<(String, String, String)>,
        JsonBody(b): JsonBody<super::EntryBody>,
    ) -> Res {
        reply_of(
            StatusCode::OK,
            &super::edit(&st, &caller, &app, &list, &entry, b).await?,
        )
    }

    /// `DELETE /api/v1/apps/{app}/whitelists/{list}/{entry}`.
    pub(crate) async fn delete(
        State(st): State<AppState>,
        caller: Caller,
        Path((app, list, entry)): Path<(String, String, String)>,
    ) -> Res {
        let version = super::delete(&st, &caller, &app, &list, &entry).await?;
        reply(
            StatusCode::OK,
            json!({"deleted": entry, "version": version}),
        )
    }
}

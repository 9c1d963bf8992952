//! Permission control (seed 002): pick a mini program; its three switches;
//! its mode; the server domain, API and web-view domain whitelists with
//! remarks (add, edit, delete), each refused entry named at its field, and
//! the 30-entry limit.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use guard_core::{Control, Mode};
use serde::Deserialize;

use crate::auth::Action;
use crate::console::apis::{done, Choice};
use crate::console::apps::kind_label;
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::page::{q, render, Chrome, Submitted};
use crate::console::session::Session;
use crate::http::error::ApiError;
use crate::policy::Whitelist;
use crate::resources::apps::{self, AppDetail, AppFilter, AppSummary};
use crate::resources::mode;
use crate::resources::whitelists::{self, EntryBody};
use crate::state::AppState;

struct EntryRow {
    id: String,
    value: String,
    remark: String,
    editing: bool,
}

struct ListView {
    name: &'static str,
    title: &'static str,
    label: &'static str,
    what: &'static str,
    help: &'static str,
    placeholder: &'static str,
    form: String,
    edit_form: String,
    limit: usize,
    switch_off: bool,
    entries: Vec<EntryRow>,
}

/// The words of each whitelist, as seed 002 names them.
fn words(
    w: Whitelist,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    match w {
        Whitelist::ServerDomains => (
            "Server domain name whitelist",
            "Domain name",
            "a server domain",
            "The targets of request, uploadFile, downloadFile and connectSocket: https (or wss) origins.",
            "https://api.example.com",
        ),
        Whitelist::ApiWhitelist => (
            "API whitelist",
            "API",
            "an API",
            "Custom APIs the mini program may call (platform APIs need no entry).",
            "getWallet",
        ),
        Whitelist::WebviewDomains => (
            "Built-in WebView domain name whitelist",
            "Domain name",
            "a web-view domain",
            "The pages the web-view component may open: https origins.",
            "https://h5.example.com",
        ),
    }
}

#[derive(Template)]
#[template(path = "control.html")]
struct ControlPage {
    chrome: Chrome,
    sid: String,
    apps: Vec<AppSummary>,
    app: AppDetail,
    kind: &'static str,
    switches: Vec<Choice>,
    report: bool,
    lists: Vec<ListView>,
    can_manage: bool,
    sub: Submitted,
}

#[derive(Template)]
#[template(path = "control_empty.html")]
struct EmptyPage {
    chrome: Chrome,
    sid: String,
}

/// The page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ControlQuery {
    #[serde(default)]
    app: Option<String>,
    #[serde(default)]
    edit: Option<String>,
}

async fn control_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    cq: &ControlQuery,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let base = format!("/console/superapps/{sid}/control");
    let bound: Vec<AppSummary> = apps::list(
        st,
        &s.caller,
        &AppFilter {
            superapp: Some(sid.to_owned()),
            team: None,
        },
    )
    .await?
    .into_iter()
    .filter(|a| a.bound)
    .collect();
    let Some(first) = bound.first() else {
        // Still checks that the caller may read the superapp.
        crate::resources::superapps::get(st, &s.caller, sid).await?;
        let p = EmptyPage {
            chrome: Chrome::new(s, "Permission control", &base, Some(sid)),
            sid: sid.to_owned(),
        };
        return Ok(render(status, &p));
    };
    let app_id = cq.app.clone().unwrap_or_else(|| first.id.clone());
    let app = apps::get(st, &s.caller, &app_id).await?;
    if app.superapp_id != sid {
        return Err(
            ApiError::NotFound(format!("app `{app_id}` is not in superapp `{sid}`")).into(),
        );
    }
    let on = |w: Whitelist| match w {
        Whitelist::ServerDomains => app.control.server_domains,
        Whitelist::ApiWhitelist => app.control.apis,
        Whitelist::WebviewDomains => app.control.webview_domains,
    };
    let submitted_switches = sub.is("control");
    let switches = Whitelist::ALL
        .iter()
        .map(|w| Choice {
            value: switch_field(*w),
            label: words(*w).0,
            checked: if submitted_switches {
                sub.checked("control", switch_field(*w), false)
            } else {
                on(*w)
            },
        })
        .collect();
    let mut lists = Vec::new();
    for w in Whitelist::ALL {
        let (title, label, what, help, placeholder) = words(w);
        let (_, limit) = whitelists::whitelist(st, w.as_str())?;
        lists.push(ListView {
            name: w.as_str(),
            title,
            label,
            what,
            help,
            placeholder,
            form: format!("add-{}", w.as_str()),
            edit_form: format!("edit-{}", w.as_str()),
            limit,
            switch_off: !on(w),
            entries: app
                .whitelists
                .of(w)
                .iter()
                .map(|e| EntryRow {
                    editing: cq.edit.as_deref() == Some(e.id.as_str()),
                    id: e.id.clone(),
                    value: e.value.clone(),
                    remark: e.remark.clone(),
                })
                .collect(),
        });
    }
    let p = ControlPage {
        chrome: Chrome::new(s, "Permission control", &base, Some(sid)),
        kind: kind_label(app.kind),
        report: app.mode.as_deref() == Some(Mode::Report.as_str()),
        can_manage: s.caller.may(Action::ManageWhitelists, sid),
        sid: sid.to_owned(),
        apps: bound,
        switches,
        lists,
        app,
        sub,
    };
    Ok(render(status, &p))
}

/// The form field of a list's switch (the API's `control` field names).
fn switch_field(w: Whitelist) -> &'static str {
    match w {
        Whitelist::ServerDomains => "server_domains",
        Whitelist::ApiWhitelist => "apis",
        Whitelist::WebviewDomains => "webview_domains",
    }
}

/// `GET /console/superapps/{sid}/control[?app=…&edit=…]`.
pub async fn page(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
    Query(cq): Query<ControlQuery>,
) -> Result<Response, PageError> {
    control_page(&st, &s, &sid, &cq, Submitted::none(), StatusCode::OK).await
}

/// The superapp of `app` (the forms post to the app's routes; where to go
/// back to is never taken from the form).
async fn sid_of(st: &AppState, s: &Session, app: &str) -> Result<String, PageError> {
    Ok(apps::get(st, &s.caller, app).await?.superapp_id)
}

/// After a change: back to `app`'s page at `anchor`, with `message`.
async fn saved(
    st: &AppState,
    s: &Session,
    app: &str,
    anchor: &str,
    message: &str,
) -> Result<Response, PageError> {
    let sid = sid_of(st, s, app).await?;
    let to = format!("/console/superapps/{sid}/control?app={}#{anchor}", q(app));
    done(st, s, &to, message).await
}

/// A refused form of `app`'s page: the page again, the input kept, the
/// error at its field; `edit` keeps an entry's edit form open.
async fn refused(
    st: &AppState,
    post: &Posted,
    app: &str,
    form: &str,
    e: &ApiError,
    edit: Option<String>,
) -> Result<Response, PageError> {
    let s = &post.session;
    let sid = sid_of(st, s, app).await?;
    let cq = ControlQuery {
        app: Some(app.to_owned()),
        edit,
    };
    let sub = Submitted::refused(form, post.form.values(), e);
    control_page(st, s, &sid, &cq, sub, e.status()).await
}

/// `POST /console/apps/{app}/control`: the three switches.
pub async fn set_control(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let control = Control {
        server_domains: f.checked(switch_field(Whitelist::ServerDomains)),
        apis: f.checked(switch_field(Whitelist::ApiWhitelist)),
        webview_domains: f.checked(switch_field(Whitelist::WebviewDomains)),
        media_domains: None,
    };
    match whitelists::set_control(&st, &s.caller, &app, control).await {
        Ok(_) => {
            let msg = format!("Saved the permission control switches of `{app}`.");
            saved(&st, s, &app, "switches", &msg).await
        }
        Err(e) => refused(&st, &post, &app, "control", &e, None).await,
    }
}

/// `POST /console/apps/{app}/mode`.
pub async fn set_mode(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let mode = Mode::parse(&f.text("mode"));
    let result = match mode {
        Some(m) => mode::set(&st, &s.caller, &app, m).await,
        None => Err(ApiError::bad("mode", "choose enforce or report")),
    };
    match (result, mode) {
        (Ok(_), Some(m)) => {
            let msg = format!("`{app}` is now in {} mode.", m.as_str());
            saved(&st, s, &app, "mode", &msg).await
        }
        (Err(e), _) => refused(&st, &post, &app, "mode", &e, None).await,
        (Ok(_), None) => Err(ApiError::Internal("a mode set without a mode".into()).into()),
    }
}

fn entry(f: &FormData) -> EntryBody {
    EntryBody {
        value: f.text("value").trim().to_owned(),
        remark: f.text("remark").trim().to_owned(),
    }
}

/// The title of list `list` (for messages), or the name as given.
fn title_of(list: &str) -> &str {
    Whitelist::parse(list).map_or(list, |w| words(w).0)
}

/// `POST /console/apps/{app}/whitelists/{list}`: Add.
pub async fn add(
    State(st): State<AppState>,
    Path((app, list)): Path<(String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match whitelists::add(&st, &s.caller, &app, &list, entry(&post.form)).await {
        Ok(d) => {
            let msg = format!("Added `{}` to the {}.", d.item.value, title_of(&list));
            saved(&st, s, &app, &list, &msg).await
        }
        Err(e) => refused(&st, &post, &app, &format!("add-{list}"), &e, None).await,
    }
}

/// `POST /console/apps/{app}/whitelists/{list}/{entry}`: Edit.
pub async fn edit(
    State(st): State<AppState>,
    Path((app, list, id)): Path<(String, String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match whitelists::edit(&st, &s.caller, &app, &list, &id, entry(&post.form)).await {
        Ok(d) => {
            let msg = format!("Saved `{}` in the {}.", d.item.value, title_of(&list));
            saved(&st, s, &app, &list, &msg).await
        }
        Err(e) => refused(&st, &post, &app, &format!("edit-{list}"), &e, Some(id)).await,
    }
}

/// `POST /console/apps/{app}/whitelists/{list}/{entry}/delete`.
pub async fn delete(
    State(st): State<AppState>,
    Path((app, list, id)): Path<(String, String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match whitelists::delete(&st, &s.caller, &app, &list, &id).await {
        Ok(_) => {
            let msg = format!("Deleted the entry from the {}.", title_of(&list));
            saved(&st, s, &app, &list, &msg).await
        }
        Err(e) => refused(&st, &post, &app, &format!("add-{list}"), &e, None).await,
    }
}

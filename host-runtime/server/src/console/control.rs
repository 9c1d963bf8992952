//! Permission control (seed 002): pick a mini program; its switches; its
//! mode; the server domain, API and web-view domain whitelists and
//! (contract v3) a domain list per kind of target with the media switch,
//! each with remarks (add, edit, delete), each refused entry named at its
//! field, and the 30-entry limit per list.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use guard_core::{Control, Mode};
use serde::Deserialize;

use crate::auth::Action;
use crate::console::confirm::{self, Confirm};
use crate::console::errors::PageError;
use crate::console::forms::{FormData, Posted};
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{kind_label, q, render, Choice, Chrome, Submitted};
use crate::console::session::Session;
use crate::error::ApiError;
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

impl ListView {
    /// What the list says when it has no entry.
    fn empty_sentence(&self) -> String {
        empty_sentence(self.title)
    }
}

/// What an empty list titled `title` says, keeping the title's own
/// capitals (`API`, `WebView`, `uploadFile`) where the old `lower` filter
/// wrote "api" and "downloadfile".
fn empty_sentence(title: &str) -> String {
    // A leading capital only starts the sentence-case title: lowered
    // mid-sentence unless the word is an acronym (`API`).
    let mut c = title.chars();
    let words = match (c.next(), c.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            format!("{}{second}{}", first.to_lowercase(), c.as_str())
        }
        _ => title.to_owned(),
    };
    match title.ends_with("names") {
        true => format!("No {words} yet."),
        false => format!("The {words} is empty."),
    }
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
        Whitelist::Request => kind_words("request", "request"),
        Whitelist::Upload => kind_words("uploadFile", "upload"),
        Whitelist::Download => kind_words("downloadFile", "download"),
        Whitelist::Socket => (
            "socket legal domain names",
            "Domain name",
            "a socket domain",
            "The targets of connectSocket: wss origins. With entries, this list replaces the server domain whitelist for sockets.",
            "wss://ws.example.com",
        ),
        Whitelist::Media => (
            "Media source domain names",
            "Domain name",
            "a media domain",
            "Image, font, audio and video sources on the network, checked when the media switch is on: https origins. Package files, wxfile:// and data: sources need no entry.",
            "https://cdn.example.com",
        ),
        Whitelist::Udp => (
            "udp legal domain names",
            "Host",
            "a UDP host",
            "The targets of UDP sockets, checked with the server domain switch: a host or host:port (no scheme).",
            "udp.example.com:9000",
        ),
        Whitelist::Tcp => (
            "tcp legal domain names",
            "Host",
            "a TCP host",
            "The targets of TCP sockets, checked with the server domain switch: a host or host:port (no scheme).",
            "tcp.example.com:9000",
        ),
    }
}

/// The words of the list of `api` (a per-kind https list, contract v3).
fn kind_words(
    api: &'static str,
    kind: &'static str,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    let title = match kind {
        "request" => "request legal domain names",
        "upload" => "uploadFile legal domain names",
        _ => "downloadFile legal domain names",
    };
    let help = match api {
        "request" => "The targets of request: https origins. With entries, this list replaces the server domain whitelist for request.",
        "uploadFile" => "The targets of uploadFile: https origins. With entries, this list replaces the server domain whitelist for uploadFile.",
        _ => "The targets of downloadFile: https origins. With entries, this list replaces the server domain whitelist for downloadFile.",
    };
    (
        title,
        "Domain name",
        "a domain",
        help,
        "https://api.example.com",
    )
}

/// The switches the page shows, in order: the three of every schema and
/// the media switch (contract v3).
const SWITCHES: [(&str, &str); 4] = [
    ("server_domains", "Server domain name whitelist (and the request, upload, download, socket, UDP and TCP lists)"),
    ("apis", "API whitelist"),
    ("webview_domains", "Built-in WebView domain name whitelist"),
    ("media_domains", "Media source domain names"),
];

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
    // The media switch nobody set follows the server domain switch, as a
    // v3 document has it (decision 366).
    let media = app
        .control
        .media_domains
        .unwrap_or(app.control.server_domains);
    let on = |w: Whitelist| match w {
        Whitelist::ApiWhitelist => app.control.apis,
        Whitelist::WebviewDomains => app.control.webview_domains,
        Whitelist::Media => media,
        _ => app.control.server_domains,
    };
    let submitted_switches = sub.is("control");
    let switches = SWITCHES
        .iter()
        .map(|&(field, label)| Choice {
            value: field,
            label,
            checked: if submitted_switches {
                sub.checked("control", field, false)
            } else {
                match field {
                    "apis" => app.control.apis,
                    "webview_domains" => app.control.webview_domains,
                    "media_domains" => media,
                    _ => app.control.server_domains,
                }
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

/// After a change: `app`'s section `anchor` of its superapp's page.
fn back_to(sid: &str, app: &str, anchor: &str) -> String {
    format!("/console/superapps/{sid}/control?app={}#{anchor}", q(app))
}

/// A refused form of `app`'s page: the page again, the input kept, the
/// error at its field; `edit` keeps an entry's edit form open.
async fn again(
    st: &AppState,
    s: &Session,
    sid: &str,
    app: &str,
    edit: Option<String>,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let cq = ControlQuery {
        app: Some(app.to_owned()),
        edit,
    };
    control_page(st, s, sid, &cq, sub, status).await
}

/// Every error of a refused entry: when the service refused a field (after
/// its permission checks), each field's refusal, so the form shows them all
/// at once; none (the service's one refusal is shown) otherwise.
fn entry_refusals(list: &str, f: &FormData, e: &ApiError) -> Vec<ApiError> {
    if !matches!(e, ApiError::BadRequest { .. }) {
        return Vec::new();
    }
    Whitelist::parse(list)
        .map(|w| whitelists::entry_errors(w, &entry(f)))
        .unwrap_or_default()
}

/// `POST /console/apps/{app}/control`: the three switches.
pub async fn set_control(
    State(st): State<AppState>,
    Path(app): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let control = Control {
        server_domains: f.checked("server_domains"),
        apis: f.checked("apis"),
        webview_domains: f.checked("webview_domains"),
        media_domains: media_choice(&st, s, &app, f).await,
    };
    if !confirm::confirmed(f) {
        if let Some(page) = empty_switch_confirm(&st, s, &app, &control, f).await? {
            return Ok(page);
        }
    }
    let result = whitelists::set_control(&st, &s.caller, &app, control).await;
    // Either ending goes to the app's superapp, looked up once the service
    // answered (never taken from the form).
    let sid = sid_of(&st, s, &app).await?;
    Outcome::of(&st, &post, "control")
        .settle(
            result,
            |_| {
                Done::new(
                    back_to(&sid, &app, "switches"),
                    format!("Saved the permission control switches of `{app}`."),
                )
            },
            async |sub, status| again(&st, s, &sid, &app, None, sub, status).await,
        )
        .await
}

/// The confirm step of a switch turned on over empty lists (decision 474):
/// the mini program then reaches nothing the switch governs. `None` when no
/// switch goes from off to on over empty lists, or the caller may not
/// change them (the service answers that).
async fn empty_switch_confirm(
    st: &AppState,
    s: &Session,
    app: &str,
    control: &Control,
    f: &FormData,
) -> Result<Option<Response>, PageError> {
    let Ok(a) = apps::get(st, &s.caller, app).await else {
        return Ok(None);
    };
    if !s.caller.may(Action::ManageWhitelists, &a.superapp_id) {
        return Ok(None);
    }
    let before_media = a.control.media_domains.unwrap_or(a.control.server_domains);
    // Only a media switch set on: an unset one follows the server domain
    // switch with the download entries as its list (decision 366), and the
    // server line below speaks for it.
    let after_media = control.media_domains == Some(true);
    let empty = |lists: &[Whitelist]| lists.iter().all(|w| a.whitelists.of(*w).is_empty());
    let mut turned = Vec::new();
    let server_lists = [
        Whitelist::ServerDomains,
        Whitelist::Request,
        Whitelist::Upload,
        Whitelist::Download,
        Whitelist::Socket,
        Whitelist::Udp,
        Whitelist::Tcp,
    ];
    if control.server_domains && !a.control.server_domains && empty(&server_lists) {
        turned.push("The server domain name whitelist is on with every domain list empty: each request, upload, download and socket of the mini program is denied.".to_owned());
    }
    if control.apis && !a.control.apis && empty(&[Whitelist::ApiWhitelist]) {
        turned.push("The API whitelist is on and empty: every custom API call of the mini program is denied (platform APIs need no entry).".to_owned());
    }
    if control.webview_domains && !a.control.webview_domains && empty(&[Whitelist::WebviewDomains])
    {
        turned.push("The built-in WebView domain name whitelist is on and empty: the web-view component opens no page on the network.".to_owned());
    }
    if after_media && !before_media && empty(&[Whitelist::Media]) {
        turned.push("The media switch is on with no media domain: every image, font, audio and video source on the network is denied.".to_owned());
    }
    if turned.is_empty() {
        return Ok(None);
    }
    let sid = a.superapp_id.clone();
    let back = format!("/console/superapps/{sid}/control?app={}#switches", q(app));
    let c = Confirm {
        title: "Turn a switch on over an empty whitelist?".into(),
        question: format!(
            "{} ({app}) would then reach nothing of what the switch governs, from its next bundle on.",
            a.name
        ),
        consequences: turned,
        yes: "Turn it on anyway".into(),
        action: format!("/console/apps/{app}/control"),
        back,
        back_label: "Permission control".into(),
        fields: confirm::repost(f),
    };
    let path = format!("/console/superapps/{sid}/control");
    Ok(Some(confirm::page(s, &path, Some(&sid), c)))
}

/// The media switch as the form sets it: left unset while nobody set it and
/// the box shows what an unset switch means (it follows the server domain
/// switch), so saving the other switches never moves a superapp to a
/// `schema: 3` document by itself (decision 366).
async fn media_choice(st: &AppState, s: &Session, app: &str, f: &FormData) -> Option<bool> {
    let checked = f.checked("media_domains");
    match apps::get(st, &s.caller, app).await {
        Ok(a) if a.control.media_domains.is_none() && checked == a.control.server_domains => None,
        _ => Some(checked),
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
        Some(m) => mode::set(&st, &s.caller, &app, m).await.map(|_| m),
        None => Err(ApiError::bad("mode", "choose enforce or report")),
    };
    let sid = sid_of(&st, s, &app).await?;
    Outcome::of(&st, &post, "mode")
        .settle(
            result,
            |m| {
                Done::new(
                    back_to(&sid, &app, "mode"),
                    format!("`{app}` is now in {} mode.", m.as_str()),
                )
            },
            async |sub, status| again(&st, s, &sid, &app, None, sub, status).await,
        )
        .await
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
    let result = whitelists::add(&st, &s.caller, &app, &list, entry(&post.form)).await;
    let sid = sid_of(&st, s, &app).await?;
    Outcome::of(&st, &post, format!("add-{list}"))
        .every(|e| entry_refusals(&list, &post.form, e))
        .settle(
            result,
            |d| {
                Done::new(
                    back_to(&sid, &app, &list),
                    format!("Added `{}` to the {}.", d.item.value, title_of(&list)),
                )
            },
            async |sub, status| again(&st, s, &sid, &app, None, sub, status).await,
        )
        .await
}

/// `POST /console/apps/{app}/whitelists/{list}/{entry}`: Edit.
pub async fn edit(
    State(st): State<AppState>,
    Path((app, list, id)): Path<(String, String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = whitelists::edit(&st, &s.caller, &app, &list, &id, entry(&post.form)).await;
    let sid = sid_of(&st, s, &app).await?;
    Outcome::of(&st, &post, format!("edit-{list}"))
        .every(|e| entry_refusals(&list, &post.form, e))
        .settle(
            result,
            |d| {
                Done::new(
                    back_to(&sid, &app, &list),
                    format!("Saved `{}` in the {}.", d.item.value, title_of(&list)),
                )
            },
            async |sub, status| again(&st, s, &sid, &app, Some(id), sub, status).await,
        )
        .await
}

/// `POST /console/apps/{app}/whitelists/{list}/{entry}/delete`.
pub async fn delete(
    State(st): State<AppState>,
    Path((app, list, id)): Path<(String, String, String)>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    let result = whitelists::delete(&st, &s.caller, &app, &list, &id).await;
    let sid = sid_of(&st, s, &app).await?;
    Outcome::of(&st, &post, format!("add-{list}"))
        .settle(
            result,
            |_| {
                Done::new(
                    back_to(&sid, &app, &list),
                    format!("Deleted the entry from the {}.", title_of(&list)),
                )
            },
            async |sub, status| again(&st, s, &sid, &app, None, sub, status).await,
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::{empty_sentence, words};
    use crate::policy::Whitelist;

    #[test]
    fn an_empty_list_keeps_its_titles_capitals() {
        let said: Vec<String> = Whitelist::ALL
            .into_iter()
            .map(|w| empty_sentence(words(w).0))
            .collect();
        assert_eq!(said[0], "The server domain name whitelist is empty.");
        assert!(said.contains(&"The API whitelist is empty.".to_owned()));
        assert!(said.contains(&"The built-in WebView domain name whitelist is empty.".to_owned()));
        assert!(said.contains(&"No uploadFile legal domain names yet.".to_owned()));
        assert!(said.contains(&"No media source domain names yet.".to_owned()));
        assert!(said
            .iter()
            .all(|s| !s.contains("downloadfile") && !s.contains("api whitelist")));
    }
}

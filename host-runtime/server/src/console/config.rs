//! Configuration management (seeds 001, 003): the SecretKey (write-only)
//! and backend domain, bundle signing (algorithm, signing keys, rotation
//! and promotion, the HS256 bundle key), and blocked hosts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Action;
use crate::console::confirm::{self, Confirm};
use crate::console::errors::PageError;
use crate::console::forms::Posted;
use crate::console::outcome::{Done, Outcome};
use crate::console::page::{render, Choice, Chrome, Submitted, When};
use crate::console::session::Session;
use crate::distribution::keyring::NEXT;
use crate::distribution::keysets::UPLOAD;
use crate::distribution::signer::{ALGS, HS256};
use crate::error::ApiError;
use crate::resources::superapps::{self, Superapp, SuperappPatch};
use crate::resources::{blocked, keys, keysets, signing};
use crate::state::AppState;

/// A root public key devices pin (contract v3 key sets).
struct RootRow {
    kid: String,
    x: String,
}

/// The key set in force, as people read it.
struct KeysetView {
    version: i64,
    issued: When,
    expires: When,
    uploaded: bool,
    kids: Vec<String>,
}

struct KeyRow {
    kid: String,
    status: String,
    created: When,
    retired: Option<When>,
}

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigPage {
    chrome: Chrome,
    sid: String,
    superapp: Superapp,
    algs: Vec<Choice>,
    keys: Vec<KeyRow>,
    has_next: bool,
    bundle_key: Option<String>,
    defaults: Vec<String>,
    blocked: String,
    roots: Vec<RootRow>,
    offline: bool,
    keyset: Option<KeysetView>,
    can_configure: bool,
    can_block: bool,
    sub: Submitted,
}

async fn config_page(
    st: &AppState,
    s: &Session,
    sid: &str,
    sub: Submitted,
    status: StatusCode,
) -> Result<Response, PageError> {
    let superapp = superapps::get(st, &s.caller, sid).await?;
    let key_list = signing::list(st, &s.caller, sid).await?;
    let hosts = blocked::get(st, &s.caller, sid).await?;
    let pinned = keysets::roots(st, &s.caller, sid).await?;
    let can_configure = s.caller.may(Action::ConfigureSuperapp, sid);
    let bundle_key = if can_configure && superapp.bundle_alg == HS256 {
        Some(keys::get(st, &s.caller, sid).await?.bundle_key)
    } else {
        None
    };
    let p = ConfigPage {
        chrome: Chrome::new(
            s,
            "Configuration management",
            &format!("/console/superapps/{sid}/config"),
            Some(sid),
        ),
        algs: ALGS
            .iter()
            .map(|a| Choice {
                value: a,
                label: if *a == HS256 {
                    "HS256 (a bundle key every device holds)"
                } else {
                    "EdDSA (Ed25519: devices hold public keys only)"
                },
                checked: *a == superapp.bundle_alg,
            })
            .collect(),
        has_next: key_list.iter().any(|k| k.status == NEXT),
        keys: key_list
            .into_iter()
            .map(|k| KeyRow {
                created: When::at(k.created_at),
                retired: k.retired_at.map(When::at),
                kid: k.kid,
                status: k.status,
            })
            .collect(),
        bundle_key,
        blocked: hosts.blocked_hosts.join("\n"),
        roots: pinned
            .roots
            .iter()
            .map(|r| RootRow {
                kid: r["kid"].as_str().unwrap_or("").to_owned(),
                x: r["x"].as_str().unwrap_or("").to_owned(),
            })
            .collect(),
        offline: pinned.offline,
        keyset: pinned.keyset.map(|k| KeysetView {
            version: k.version,
            issued: When::at(k.issued_at),
            expires: When::at(k.expires_at),
            uploaded: k.source == UPLOAD,
            kids: k.kids,
        }),
        defaults: hosts.defaults,
        can_configure,
        can_block: s.caller.may(Action::ManageWhitelists, sid),
        sid: sid.to_owned(),
        superapp,
        sub,
    };
    Ok(render(status, &p))
}

/// `GET /console/superapps/{sid}/config`.
pub async fn page(
    State(st): State<AppState>,
    s: Session,
    Path(sid): Path<String>,
) -> Result<Response, PageError> {
    config_page(&st, &s, &sid, Submitted::none(), StatusCode::OK).await
}

/// Where a form of the page goes: on success back to its section (the
/// form's name as the fragment, the top for `login`) with `message` flashed; refused, the page again with the form's input (less
/// what `keep` drops) and the error at its field.
async fn answer<T>(
    st: &AppState,
    post: &Posted,
    sid: &str,
    form: &str,
    keep: impl Fn(&str) -> bool,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    let s = &post.session;
    let section = if form == "login" { "" } else { form };
    let hash = if section.is_empty() { "" } else { "#" };
    let to = format!("/console/superapps/{sid}/config{hash}{section}");
    let values = post
        .form
        .values()
        .into_iter()
        .filter(|(k, _)| keep(k))
        .collect();
    Outcome::new(st, s, form, values)
        .settle(
            outcome,
            |v| Done::new(to, message(v)),
            async |sub, status| config_page(st, s, sid, sub, status).await,
        )
        .await
}

/// The page's path.
fn config_path(sid: &str) -> String {
    format!("/console/superapps/{sid}/config")
}

/// The parts of a confirm step of this page that every one shares: it
/// posts to `route` below the superapp, Cancel goes back to the signing
/// section.
fn confirm_of(sid: &str, route: &str, post: &Posted) -> Confirm {
    Confirm {
        title: String::new(),
        question: String::new(),
        consequences: Vec::new(),
        yes: String::new(),
        action: format!("/console/superapps/{sid}{route}"),
        back: format!("{}#signing", config_path(sid)),
        back_label: "Configuration management".into(),
        fields: confirm::repost(&post.form),
    }
}

/// Every field of a refused form is shown again.
fn all(_: &str) -> bool {
    true
}

/// `POST /console/superapps/{sid}/config`: SecretKey (when given) and
/// backend domain. The SecretKey is never shown again, not even on a
/// refused form.
pub async fn login(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let b = SuperappPatch {
        secret_key: f
            .get("secret_key")
            .filter(|k| !k.is_empty())
            .map(str::to_owned),
        backend_domain: Some(f.text("backend_domain").trim().to_owned()),
        ..SuperappPatch::default()
    };
    let changed_key = b.secret_key.is_some();
    let outcome = superapps::configure(&st, &s.caller, &sid, b).await;
    let not_the_key = |k: &str| k != "secret_key";
    answer(&st, &post, &sid, "login", not_the_key, outcome, |_| {
        if changed_key {
            "Saved: the new SecretKey is in force.".into()
        } else {
            "Saved the backend service domain.".into()
        }
    })
    .await
}

/// `POST /console/superapps/{sid}/config/alg`.
pub async fn alg(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let chosen = post.form.text("bundle_alg");
    if !confirm::confirmed(&post.form) && post.session.caller.may(Action::ConfigureSuperapp, &sid) {
        let current = superapps::get(&st, &post.session.caller, &sid)
            .await?
            .bundle_alg;
        if ALGS.contains(&chosen.as_str()) && chosen != current {
            let c = Confirm {
                title: format!("Sign bundles with {chosen} instead of {current}?"),
                question: format!(
                    "The next bundle of every mini program of {sid} is signed with {chosen}."
                ),
                consequences: vec![
                    format!(
                        "A device that cannot verify {chosen} refuses the new bundles and keeps enforcing its last one until it can{}.",
                        if chosen == HS256 { " (HS256: it needs the bundle key, which devices are given out of band)" } else { " (EdDSA: it needs the superapp's public keys from keys.json)" }
                    ),
                    "Switching back later is another such change.".into(),
                ],
                yes: format!("Switch to {chosen}"),
                ..confirm_of(&sid, "/config/alg", &post)
            };
            return Ok(confirm::page(
                &post.session,
                &config_path(&sid),
                Some(&sid),
                c,
            ));
        }
    }
    let b = SuperappPatch {
        bundle_alg: Some(chosen),
        ..SuperappPatch::default()
    };
    let outcome = superapps::configure(&st, &post.session.caller, &sid, b).await;
    answer(&st, &post, &sid, "signing", all, outcome, |a| {
        format!("Bundles are signed with {} from now on.", a.bundle_alg)
    })
    .await
}

/// `POST /console/superapps/{sid}/signing-keys/rotate`.
pub async fn rotate(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let outcome = signing::rotate(&st, &post.session.caller, &sid).await;
    answer(&st, &post, &sid, "signing", all, outcome, |k| {
        format!(
            "Published the next key `{}`; it signs once promoted (automatically on {}).",
            k.kid,
            When::at(k.promotes_at).text
        )
    })
    .await
}

/// `POST /console/superapps/{sid}/signing-keys/promote`.
pub async fn promote(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    if !confirm::confirmed(&post.form) && post.session.caller.may(Action::ConfigureSuperapp, &sid) {
        let next = signing::list(&st, &post.session.caller, &sid)
            .await?
            .into_iter()
            .find(|k| k.status == NEXT);
        if let Some(k) = next {
            let published = When::at(k.created_at).text;
            let c = Confirm {
                title: format!("Promote {} before its time?", k.kid),
                question: format!(
                    "{} was published on {published}; from now on it signs every bundle of {sid}.",
                    k.kid
                ),
                consequences: vec![
                    "A device that has not fetched the key set since then does not have it yet: it refuses the new bundles and keeps enforcing its last one until it fetches keys.json again.".into(),
                    "Waiting lets the key promote itself once devices have had time to fetch it.".into(),
                ],
                yes: "Promote now".into(),
                ..confirm_of(&sid, "/signing-keys/promote", &post)
            };
            return Ok(confirm::page(
                &post.session,
                &config_path(&sid),
                Some(&sid),
                c,
            ));
        }
    }
    let outcome = signing::promote(&st, &post.session.caller, &sid).await;
    answer(&st, &post, &sid, "signing", all, outcome, |k| {
        format!("`{}` signs from now on.", k.kid)
    })
    .await
}

/// `POST /console/superapps/{sid}/bundle-key/rotate`.
pub async fn rotate_bundle_key(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let outcome = keys::rotate(&st, &post.session.caller, &sid).await;
    answer(&st, &post, &sid, "signing", all, outcome, |_| {
        "A new bundle key signs the next bundle: give it to your devices.".into()
    })
    .await
}

/// `POST /console/superapps/{sid}/keyset`: a key set signed elsewhere by one
/// of the superapp's offline roots, pasted as its compact JWS.
pub async fn upload_keyset(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let text = post.form.text("keyset");
    let outcome = if text.trim().is_empty() {
        Err(ApiError::bad(
            "keyset",
            "paste the key set: the compact JWS your offline root signed",
        ))
    } else {
        keysets::upload(&st, &post.session.caller, &sid, &text).await
    };
    answer(&st, &post, &sid, "roots", all, outcome, |k| {
        format!(
            "Key set version {} is in force: it lists {}.",
            k.version,
            k.kids.join(", ")
        )
    })
    .await
}

/// `POST /console/superapps/{sid}/blocked-hosts`: one pattern a line.
pub async fn set_blocked(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    // Blank lines are skipped; each pattern keeps the index of its line in
    // the box, so that a refusal names the line the person typed it on.
    let text = post.form.text("blocked_hosts");
    let (lines, patterns): (Vec<usize>, Vec<String>) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i, l.to_owned()))
        .unzip();
    let outcome = blocked::put(&st, &post.session.caller, &sid, &patterns)
        .await
        .map_err(|e| match e {
            ApiError::BadRequest { field, reason } => {
                let line = field
                    .strip_prefix("blocked_hosts[")
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|i| i.parse::<usize>().ok())
                    .and_then(|i| lines.get(i));
                let field = line.map_or(field, |l| format!("blocked_hosts[{l}]"));
                ApiError::BadRequest { field, reason }
            }
            other => other,
        });
    answer(&st, &post, &sid, "blocked", all, outcome, |b| {
        format!(
            "Saved {} blocked host pattern(s).",
            b.item.blocked_hosts.len()
        )
    })
    .await
}

//! Configuration management (seeds 001, 003): the SecretKey (write-only)
//! and backend domain, bundle signing (algorithm, signing keys, rotation
//! and promotion, the HS256 bundle key), and blocked hosts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Action;
use crate::console::apis::{done, Choice};
use crate::console::errors::PageError;
use crate::console::forms::Posted;
use crate::console::page::{render, Chrome, Submitted, When};
use crate::console::session::Session;
use crate::distribution::keyring::NEXT;
use crate::distribution::signer::{ALGS, HS256};
use crate::resources::superapps::{self, Superapp, SuperappPatch};
use crate::resources::{blocked, keys, signing};
use crate::state::AppState;

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
    match superapps::configure(&st, &s.caller, &sid, b).await {
        Ok(_) => {
            let msg = if changed_key {
                "Saved: the new SecretKey is in force."
            } else {
                "Saved the backend service domain."
            };
            done(&st, s, &format!("/console/superapps/{sid}/config"), msg).await
        }
        Err(e) => {
            let values = f
                .values()
                .into_iter()
                .filter(|(k, _)| k != "secret_key")
                .collect();
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("login", values, &e),
                e.status(),
            )
            .await
        }
    }
}

/// `POST /console/superapps/{sid}/config/alg`.
pub async fn alg(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let b = SuperappPatch {
        bundle_alg: Some(f.text("bundle_alg")),
        ..SuperappPatch::default()
    };
    match superapps::configure(&st, &s.caller, &sid, b).await {
        Ok(a) => {
            done(
                &st,
                s,
                &format!("/console/superapps/{sid}/config#signing"),
                &format!("Bundles are signed with {} from now on.", a.bundle_alg),
            )
            .await
        }
        Err(e) => {
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("signing", f.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

/// `POST /console/superapps/{sid}/signing-keys/rotate`.
pub async fn rotate(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match signing::rotate(&st, &s.caller, &sid).await {
        Ok(k) => {
            let msg = format!(
                "Published the next key `{}`; it signs once promoted (automatically on {}).",
                k.kid,
                When::at(k.promotes_at).text
            );
            done(
                &st,
                s,
                &format!("/console/superapps/{sid}/config#signing"),
                &msg,
            )
            .await
        }
        Err(e) => {
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("signing", post.form.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

/// `POST /console/superapps/{sid}/signing-keys/promote`.
pub async fn promote(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match signing::promote(&st, &s.caller, &sid).await {
        Ok(k) => {
            done(
                &st,
                s,
                &format!("/console/superapps/{sid}/config#signing"),
                &format!("`{}` signs from now on.", k.kid),
            )
            .await
        }
        Err(e) => {
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("signing", post.form.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

/// `POST /console/superapps/{sid}/bundle-key/rotate`.
pub async fn rotate_bundle_key(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let s = &post.session;
    match keys::rotate(&st, &s.caller, &sid).await {
        Ok(_) => {
            done(
                &st,
                s,
                &format!("/console/superapps/{sid}/config#signing"),
                "A new bundle key signs the next bundle: give it to your devices.",
            )
            .await
        }
        Err(e) => {
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("signing", post.form.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

/// `POST /console/superapps/{sid}/blocked-hosts`: one pattern a line.
pub async fn set_blocked(
    State(st): State<AppState>,
    Path(sid): Path<String>,
    post: Posted,
) -> Result<Response, PageError> {
    let (s, f) = (&post.session, &post.form);
    let patterns: Vec<String> = f
        .text("blocked_hosts")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    match blocked::put(&st, &s.caller, &sid, &patterns).await {
        Ok(b) => {
            done(
                &st,
                s,
                &format!("/console/superapps/{sid}/config#blocked"),
                &format!(
                    "Saved {} blocked host pattern(s).",
                    b.item.blocked_hosts.len()
                ),
            )
            .await
        }
        Err(e) => {
            config_page(
                &st,
                s,
                &sid,
                Submitted::refused("blocked", f.values(), &e),
                e.status(),
            )
            .await
        }
    }
}

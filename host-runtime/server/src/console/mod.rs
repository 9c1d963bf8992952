//! The web console (issue 14): server-rendered pages (askama templates,
//! checked at compile time) over the same service layer as the JSON API
//! (`crate::resources`), so no rule, permission or validation exists twice;
//! a button is shown when [`crate::auth::Caller::may`] says so, and the
//! service refuses anyway. People sign in with a password set through a
//! one-time invite; sessions are server-side; every state-changing form
//! passes an origin check and a synchronizer token. See `docs/console.md`.

pub mod apis;
pub mod applications;
pub mod approvals;
pub mod apps;
pub mod assets;
pub mod audit;
pub mod bindings;
pub mod config;
pub mod confirm;
pub mod control;
pub mod cookies;
pub mod csrf;
pub mod decision;
pub mod error_page;
pub mod errors;
pub mod forms;
pub mod outcome;
pub mod page;
pub mod platform;
pub mod review;
pub mod session;
pub mod signin;
pub mod violations;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;

use crate::console::errors::PageError;
use crate::error::ApiError;
use crate::state::AppState;

/// The Content-Security-Policy of every console response: scripts and
/// styles from the console itself only (no inline script or style at all),
/// no framing, forms to the console only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes (`/console/...`): each part of the product's
/// rooms, then the catch-all and the layers every response passes.
pub fn router(package_limit: usize) -> Router<AppState> {
    Router::new()
        .merge(signin_routes())
        .merge(api_routes())
        .merge(release_routes())
        .merge(control_routes())
        .merge(developer_routes(package_limit))
        .merge(platform_routes())
        .route("/console/{*rest}", any(not_found))
        .layer(map_response(error_page::plain_as_page))
        .layer(map_response(security_headers))
}

/// Signing in and out, invites, the account page and the static files.
fn signin_routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { page::see_other("/console/") }))
        .route("/console/", get(signin::index))
        .route("/console/static/{file}", get(assets::get))
        .route(
            "/console/login",
            get(signin::login_page).post(signin::login),
        )
        .route("/console/logout", post(signin::logout))
        .route(
            "/console/invite",
            get(signin::invite_page).post(signin::invite),
        )
        .route("/console/account", get(signin::account))
}

/// Sensitive API management (seed 000): the catalogue, grants, approvals,
/// and a superapp's mini programs and their bindings.
fn api_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/superapps/{sid}/apis",
            get(apis::list).post(apis::add),
        )
        .route("/console/superapps/{sid}/apis/new", get(apis::new))
        .route("/console/superapps/{sid}/apis/{name}", get(apis::detail))
        .route(
            "/console/superapps/{sid}/apis/{name}/status",
            post(apis::set_status),
        )
        .route(
            "/console/superapps/{sid}/apis/{name}/delete",
            post(apis::delete),
        )
        .route(
            "/console/apps/{app}/grants/{api}/revoke",
            post(apis::revoke),
        )
        .route("/console/superapps/{sid}/approvals", get(approvals::list))
        .route(
            "/console/superapps/{sid}/approvals/{rid}",
            get(approvals::window),
        )
        .route("/console/requests/{rid}/decision", post(approvals::decide))
        .route("/console/superapps/{sid}/apps", get(bindings::list))
        .route("/console/bindings/{bid}/decision", post(bindings::decide))
}

/// Application management and mini program review (seed 001).
fn release_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/applications",
            get(applications::list).post(applications::create),
        )
        .route("/console/applications/new", get(applications::new))
        .route(
            "/console/applications/{sid}",
            get(applications::detail).post(applications::modify),
        )
        .route("/console/applications/{sid}/edit", get(applications::edit))
        .route(
            "/console/applications/{sid}/config.json",
            get(applications::config),
        )
        .route("/console/superapps/{sid}/review", get(review::list))
        .route("/console/superapps/{sid}/review/{rid}", get(review::detail))
        .route("/console/releases/{rid}/decision", post(review::decide))
        .route("/console/releases/{rid}/package", get(review::package))
        .route("/console/apps/{app}/release/remove", post(review::remove))
}

/// Permission control (seed 002) and the superapp's configuration: keys,
/// key sets and blocked hosts.
fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/console/superapps/{sid}/control", get(control::page))
        .route("/console/apps/{app}/control", post(control::set_control))
        .route("/console/apps/{app}/mode", post(control::set_mode))
        .route("/console/apps/{app}/whitelists/{list}", post(control::add))
        .route(
            "/console/apps/{app}/whitelists/{list}/{entry}",
            post(control::edit),
        )
        .route(
            "/console/apps/{app}/whitelists/{list}/{entry}/delete",
            post(control::delete),
        )
        .route(
            "/console/superapps/{sid}/config",
            get(config::page).post(config::login),
        )
        .route("/console/superapps/{sid}/config/alg", post(config::alg))
        .route(
            "/console/superapps/{sid}/signing-keys/rotate",
            post(config::rotate),
        )
        .route(
            "/console/superapps/{sid}/signing-keys/promote",
            post(config::promote),
        )
        .route(
            "/console/superapps/{sid}/bundle-key/rotate",
            post(config::rotate_bundle_key),
        )
        .route(
            "/console/superapps/{sid}/keyset",
            post(config::upload_keyset),
        )
        .route(
            "/console/superapps/{sid}/blocked-hosts",
            post(config::set_blocked),
        )
}

/// The developer's mini programs: permissions asked for, code packages
/// (at most `package_limit` bytes) and releases submitted.
fn developer_routes(package_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/console/apps", get(apps::list).post(apps::create))
        .route("/console/apps/new", get(apps::new))
        .route("/console/apps/{app}/permissions", get(apps::permissions))
        .route(
            "/console/apps/{app}/permissions/{api}",
            get(apps::request_form),
        )
        .route("/console/apps/{app}/requests", post(apps::request))
        .route(
            "/console/apps/{app}/versions",
            get(apps::versions)
                .post(apps::upload)
                .layer(DefaultBodyLimit::max(package_limit)),
        )
        .route("/console/apps/{app}/releases", post(apps::submit))
}

/// Platform: teams, accounts and invites; the audit logs; what devices
/// reported (issue 15).
fn platform_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/platform/teams",
            get(platform::teams).post(platform::create_team),
        )
        .route(
            "/console/platform/accounts",
            get(platform::accounts).post(platform::create_account),
        )
        .route(
            "/console/platform/accounts/{id}/invite",
            post(platform::invite),
        )
        .route(
            "/console/platform/accounts/{id}/disable",
            post(platform::disable),
        )
        .route(
            "/console/platform/accounts/{id}/enable",
            post(platform::enable),
        )
        .route(
            "/console/platform/accounts/{id}/unlock",
            post(platform::unlock),
        )
        .route("/console/platform/audit", get(audit::platform))
        .route("/console/superapps/{sid}/audit", get(audit::superapp))
        .route(
            "/console/superapps/{sid}/violations",
            get(violations::superapp),
        )
        .route("/console/apps/{app}/violations", get(violations::app))
}

/// Signed out, every console path goes to sign-in (which pages exist is
/// nobody else's business); signed in, an unknown one is a 404 page.
async fn not_found(_: session::Session) -> PageError {
    PageError::Api(ApiError::NotFound(
        "there is no such page in the console".into(),
    ))
}

/// The security headers of every console response (decision 86).
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: with `no-referrer` a browser sends
    // `Origin: null` on the console's own form posts.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show secrets once and per-person data: never stored.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

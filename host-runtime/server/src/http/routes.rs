//! The route table: every path of the API and the handler that answers it,
//! in the order of the OpenAPI document, and the layers around them (body
//! limit, logging).

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{from_fn, map_response, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::change::PLATFORM;
use crate::console;
use crate::distribution;
use crate::error::ApiError;
use crate::http::cors;
use crate::login::{backend, openserver};
use crate::reports::{ingest, violations};
use crate::resources::{
    accounts, apis, applications, apps, audit, bindings, blocked, invites, keys, keysets, mode,
    package_review, packages, qr, releases, requests, signing, superapps, teams, versions,
    whitelists,
};
use crate::state::AppState;

/// The OpenAPI document (source: `tools/gen_openapi.py`).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let limit = state.limits.max_body_bytes;
    let package_limit = state.limits.max_package_bytes;
    Router::new()
        .merge(console())
        .merge(application_management(package_limit))
        .merge(login())
        .merge(accounts_and_invites())
        .merge(violations())
        .merge(device())
        .route_layer(from_fn(reserved_scope))
        .merge(console::router(package_limit))
        .route("/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(limit))
        // The package upload route raises its own `DefaultBodyLimit`; every
        // other route keeps `limit` through the one above.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            limit.max(package_limit),
        ))
        // Outside the limit layer, whose own 413 (a body announced too large
        // by its Content-Length) is plain text.
        .layer(map_response(json_too_large))
        .layer(from_fn(uri_too_long))
        .layer(map_response(nosniff))
        .layer(
            // Only method, path and status are logged: query strings carry
            // `secret`, `js_code` and `access_token` on the login API.
            tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

/// The console routes (`/api/v1/...`).
fn console() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/superapps",
            post(superapps::json::create).get(superapps::json::list),
        )
        .route(
            "/api/v1/superapps/{sid}",
            get(superapps::json::get).patch(superapps::json::configure),
        )
        .route("/api/v1/superapps/{sid}/bundle-key", get(keys::json::get))
        .route(
            "/api/v1/superapps/{sid}/bundle-key/rotate",
            post(keys::json::rotate),
        )
        .route(
            "/api/v1/superapps/{sid}/signing-keys/rotate",
            post(signing::json::rotate),
        )
        .route(
            "/api/v1/superapps/{sid}/signing-keys/promote",
            post(signing::json::promote),
        )
        .route(
            "/api/v1/superapps/{sid}/roots",
            get(keysets::json::roots).put(keysets::json::set_roots),
        )
        .route(
            "/api/v1/superapps/{sid}/blocked-hosts",
            get(blocked::json::get).put(blocked::json::put),
        )
        .route(
            "/api/v1/teams",
            post(teams::json::create).get(teams::json::list),
        )
        .route(
            "/api/v1/accounts",
            post(accounts::json::create).get(accounts::json::list),
        )
        .route("/api/v1/superapps/{sid}/apps", post(apps::json::create))
        .route(
            "/api/v1/superapps/{sid}/bindings",
            get(bindings::json::list),
        )
        .route(
            "/api/v1/bindings/{bid}/decision",
            post(bindings::json::decide),
        )
        .route("/api/v1/apps", get(apps::json::list))
        .route("/api/v1/apps/{app}", get(apps::json::get))
        .route(
            "/api/v1/superapps/{sid}/apis",
            get(apis::json::list).post(apis::json::add),
        )
        .route(
            "/api/v1/superapps/{sid}/apis/{name}",
            delete(apis::json::delete),
        )
        .route(
            "/api/v1/superapps/{sid}/apis/{name}/restrict",
            post(apis::json::restrict),
        )
        .route(
            "/api/v1/superapps/{sid}/apis/{name}/allow",
            post(apis::json::allow),
        )
        .route(
            "/api/v1/superapps/{sid}/apis/{name}/authorized",
            get(apis::json::authorized),
        )
        .route(
            "/api/v1/apps/{app}/requests",
            post(requests::json::create).get(requests::json::list_for_app),
        )
        .route(
            "/api/v1/superapps/{sid}/requests",
            get(requests::json::list),
        )
        .route(
            "/api/v1/requests/{rid}/decision",
            post(requests::json::decide),
        )
        .route(
            "/api/v1/apps/{app}/grants/{api}",
            delete(requests::json::revoke),
        )
        .route(
            "/api/v1/apps/{app}/control",
            put(whitelists::json::set_control),
        )
        .route("/api/v1/apps/{app}/mode", put(mode::json::set))
        .route(
            "/api/v1/apps/{app}/whitelists/{list}",
            post(whitelists::json::add),
        )
        .route(
            "/api/v1/apps/{app}/whitelists/{list}/{entry}",
            put(whitelists::json::edit).delete(whitelists::json::delete),
        )
        .route("/api/v1/superapps/{sid}/audit", get(audit::json::read))
}

/// Application management (seed 001): superapp details and configuration
/// file, versions (code packages), release review, packages and QR codes.
fn application_management(package_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/superapps/{sid}/details",
            get(applications::json::details),
        )
        .route(
            "/api/v1/apps/{app}/versions",
            post(versions::json::upload)
                .layer(DefaultBodyLimit::max(package_limit))
                .get(versions::json::list),
        )
        .route(
            "/api/v1/apps/{app}/releases",
            post(releases::json::submit).get(releases::json::list_for_app),
        )
        .route(
            "/api/v1/superapps/{sid}/releases",
            get(releases::json::list),
        )
        .route(
            "/api/v1/releases/{rid}/decision",
            post(releases::json::decide),
        )
        .route(
            "/api/v1/releases/{rid}/package",
            get(package_review::json::package),
        )
        .route(
            "/api/v1/releases/{rid}/files",
            get(package_review::json::files),
        )
        .route(
            "/api/v1/superapps/{sid}/released",
            get(releases::json::released),
        )
        .route("/api/v1/apps/{app}/release", delete(releases::json::remove))
}

/// The console's view of violation reports (`docs/protocols.md` P2).
fn violations() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps/{app}/violations", get(violations::app))
        .route(
            "/api/v1/superapps/{sid}/violations",
            get(violations::superapp),
        )
}

/// What devices fetch and send, cross-origin from a web view: bundles, key
/// sets, the configuration file, packages, QR codes, and violation reports
/// (at most 32 KiB). CORS for any origin (`http/cors.rs`), these routes
/// only; their own 405 fallback comes first, so that the layer answers
/// preflights (`OPTIONS`) for them.
fn device() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/superapps/{sid}/bundle",
            get(distribution::superapp_bundle),
        )
        .route("/api/v1/apps/{app}/bundle", get(distribution::app_bundle))
        .route(
            "/api/v1/superapps/{sid}/keys.json",
            get(signing::json::key_set),
        )
        // The upload (`PUT`, bearer) shares the path; the CORS layer allows
        // neither `PUT` nor `Authorization`, so no page of another origin
        // can send it.
        .route(
            "/api/v1/superapps/{sid}/keyset",
            get(keysets::json::get).put(keysets::json::upload),
        )
        .route(
            "/api/v1/superapps/{sid}/config.json",
            get(applications::json::config),
        )
        .route("/api/v1/apps/{app}/package", get(packages::get))
        .route("/api/v1/apps/{app}/qrcode.png", get(qr::get_png))
        .route("/api/v1/apps/{app}/qrcode.svg", get(qr::get_svg))
        .route(
            "/api/v1/superapps/{sid}/reports",
            post(ingest::post).layer(DefaultBodyLimit::max(ingest::MAX_BODY_BYTES)),
        )
        .method_not_allowed_fallback(no_method)
        .layer(cors::device())
}

/// Console sign-in's JSON side: one-time invites for automation (the
/// bootstrap admin's replacement invite, scripted onboarding), and cutting
/// an account off (disable) or letting it back in (enable).
fn accounts_and_invites() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accounts/{id}/invites", post(invites::json::issue))
        .route(
            "/api/v1/accounts/{id}/disable",
            post(accounts::json::disable),
        )
        .route("/api/v1/accounts/{id}/enable", post(accounts::json::enable))
        .route("/api/v1/accounts/{id}/unlock", post(accounts::json::unlock))
}

/// `_platform` names the platform's version counter and audit log, never a
/// superapp: every superapp route but the audit log answers 404 for it
/// before any handler reads the store (a bundle, an API list, a 304 would
/// otherwise reveal or touch the platform's scope).
async fn reserved_scope(req: Request, next: Next) -> Response {
    let rest = req
        .uri()
        .path()
        .strip_prefix("/api/v1/superapps/")
        .and_then(|rest| rest.strip_prefix(PLATFORM));
    let platform_route = rest.is_some_and(|r| r.is_empty() || r.starts_with('/'));
    if platform_route && rest != Some("/audit") {
        return ApiError::NotFound(format!("superapp `{PLATFORM}` not found")).into_response();
    }
    next.run(req).await
}

/// The login API (openserver) and the superapp backend's side of it.
fn login() -> Router<AppState> {
    Router::new()
        .route(
            "/openserver/sns/jscode2session",
            get(openserver::jscode2session),
        )
        .route("/openserver/cgi-bin/token", get(openserver::token))
        .route(
            "/openserver/wxa/checksession",
            get(openserver::checksession),
        )
        .route(
            "/openserver/wxa/business/getuserphonenumber",
            post(openserver::phone),
        )
        .route(
            "/openserver/wxa/business/getemailaddress",
            post(openserver::email),
        )
        .route("/api/v1/superapps/{sid}/users", post(backend::upsert_user))
        .route("/api/v1/superapps/{sid}/codes", post(backend::mint_code))
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for `{method} {}`", uri.path()))
}

async fn no_method(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("`{}` does not answer `{method}`", uri.path()))
}

/// Every 413 is the API's JSON error, whichever layer refused the body.
async fn json_too_large(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        ApiError::TooLarge.into_response()
    } else {
        res
    }
}

/// Every response says its content type is the one to use (decision 472):
/// an API answer holding user text is never sniffed into a page. The
/// console sets the header too, with its other security headers.
async fn nosniff(mut res: Response) -> Response {
    res.headers_mut()
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    res
}

/// The longest request target the server reads: well below hyper's own
/// limit (64 KiB), whose 414 has no body, so a client hears why.
pub const MAX_URI_BYTES: usize = 8192;

/// A request target over [`MAX_URI_BYTES`] is refused with a 414 that says
/// so (decision 472): as JSON, or as a page under `/console/`.
async fn uri_too_long(req: Request, next: Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if len <= MAX_URI_BYTES {
        return next.run(req).await;
    }
    let message = format!(
        "the request's address is {len} bytes long; the server reads at most {MAX_URI_BYTES}"
    );
    let status = StatusCode::URI_TOO_LONG;
    if req.uri().path().starts_with("/console") {
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>URI Too Long</title></head><body><main><h1>URI Too Long</h1><p>The address is too long: {len} bytes; the console reads at most {MAX_URI_BYTES}.</p><p><a href=\"/console/\">Back to the console</a></p></main></body></html>"
        );
        return (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response();
    }
    let body = serde_json::json!({"error": {"code": "uri_too_long", "message": message}});
    (status, axum::Json(body)).into_response()
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

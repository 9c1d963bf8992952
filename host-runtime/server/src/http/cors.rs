//! CORS for the device endpoints (`docs/protocols.md` P1): a base library in a
//! web view fetches bundles, key sets, configuration, packages and QR codes
//! and posts reports cross-origin, so those answer any origin, without
//! credentials (no cookies: nothing there authenticates by them). The
//! console routes answer no CORS at all: a page of another origin cannot
//! read them or send them anything but a simple request.

use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use tower_http::cors::{Any, CorsLayer};

use crate::distribution::longpoll::{PREFER, PREFERENCE_APPLIED};

/// The header of a package's digest (`GET …/package`).
pub const X_PACKAGE_SHA256: HeaderName = HeaderName::from_static("x-package-sha256");

/// The CORS layer of the device routes: any origin; GET, HEAD and POST;
/// the request headers the long-poll and the reports use; the response
/// headers a client reads; preflights cached for a day.
pub fn device() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH, PREFER])
        .expose_headers([
            header::ETAG,
            PREFERENCE_APPLIED,
            header::RETRY_AFTER,
            X_PACKAGE_SHA256,
        ])
        .max_age(Duration::from_secs(86_400))
}

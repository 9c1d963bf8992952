//! The session cookie: `HttpOnly` (no script reads it), `SameSite=Strict`
//! (no other site's page, link or form ever sends it: decision 83),
//! `Path=/`, no `Max-Age` (it ends with the browser; the server ends it
//! sooner), and when the console is served over TLS `Secure` with the
//! `__Host-` prefix (no `Domain`: only this host, never a sibling, may set
//! or read it).
//!
//! The device cookie: the same attributes, kept [`DEVICE_LIFETIME`]; it
//! says which account last signed in from this browser, so that its
//! sign-ins are counted apart from a guesser's (`throttle.rs`).

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use crate::state::AppState;
use crate::throttle::DEVICE_LIFETIME;

/// The cookie's name over TLS.
pub const SECURE_NAME: &str = "__Host-guard_session";
/// The cookie's name over plain HTTP (local use; `__Host-` needs `Secure`).
pub const PLAIN_NAME: &str = "guard_session";

/// The device cookie's name over TLS.
pub const DEVICE_SECURE_NAME: &str = "__Host-guard_device";
/// The device cookie's name over plain HTTP.
pub const DEVICE_PLAIN_NAME: &str = "guard_device";

/// The session cookie's name on this server.
pub fn name(st: &AppState) -> &'static str {
    if st.tls() {
        SECURE_NAME
    } else {
        PLAIN_NAME
    }
}

fn device_name(st: &AppState) -> &'static str {
    if st.tls() {
        DEVICE_SECURE_NAME
    } else {
        DEVICE_PLAIN_NAME
    }
}

fn build(st: &AppState, value: String) -> Cookie<'static> {
    build_named(st, name(st), value)
}

fn build_named(st: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(st.tls());
    c
}

fn header(c: &Cookie<'_>) -> (axum::http::HeaderName, HeaderValue) {
    // The value is hex and the attributes are fixed: always a valid header.
    let value = HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""));
    (SET_COOKIE, value)
}

/// The `Set-Cookie` of a new session with `token`.
pub fn set(st: &AppState, token: &str) -> (axum::http::HeaderName, HeaderValue) {
    header(&build(st, token.to_owned()))
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear(st: &AppState) -> (axum::http::HeaderName, HeaderValue) {
    let mut c = build(st, String::new());
    c.make_removal();
    header(&c)
}

/// The `Set-Cookie` of a device cookie with `value`.
pub fn set_device(st: &AppState, value: &str) -> (axum::http::HeaderName, HeaderValue) {
    let mut c = build_named(st, device_name(st), value.to_owned());
    c.set_max_age(cookie::time::Duration::seconds(DEVICE_LIFETIME));
    header(&c)
}

/// The device cookie the request carries, if any.
pub fn device(st: &AppState, headers: &HeaderMap) -> Option<String> {
    named(headers, device_name(st))
}

/// The session token the request carries, if any (the cookie of this
/// server's name only; any other is ignored).
pub fn token(st: &AppState, headers: &HeaderMap) -> Option<String> {
    named(headers, name(st))
}

fn named(headers: &HeaderMap, want: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == want)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

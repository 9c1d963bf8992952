//! Cross-site request forgery: every state-changing console request must
//! come from the console's own origin (the `Origin` header, or the
//! `Referer`'s origin when a browser sends no `Origin`; neither: refused)
//! and, once signed in, carry the session's synchronizer token in its form
//! (`csrf`), compared in constant time. The session cookie being
//! `SameSite=Strict` is a third, independent layer (decision 84).

use axum::http::{header, HeaderMap};

use crate::console::errors::PageError;
use crate::state::AppState;
use crate::util::ct_eq;

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// The origins a console form may come from: the public URL's; without an
/// explicit `--public-url`, also the request's own `Host` (so that
/// `localhost` and `127.0.0.1` both work). A forged `Host` gains nothing:
/// the browser sends the session cookie to the host it belongs to only.
fn allowed(st: &AppState, headers: &HeaderMap) -> Vec<String> {
    let mut out: Vec<String> = origin_of(&st.public_url).into_iter().collect();
    if !st.console.public_url_explicit {
        if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            let scheme = if st.tls() { "https" } else { "http" };
            out.push(format!("{scheme}://{}", host.to_ascii_lowercase()));
        }
    }
    out
}

/// Refuses a state-changing request from another origin.
///
/// # Errors
///
/// [`PageError::CrossOrigin`].
pub fn check_origin(st: &AppState, headers: &HeaderMap) -> Result<(), PageError> {
    let from = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    match from {
        Some(o)
            if allowed(st, headers)
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&o)) =>
        {
            Ok(())
        }
        _ => Err(PageError::CrossOrigin),
    }
}

/// Refuses a form without the session's token (`expected`: the session
/// is a floor above this one, so its token is passed, not the session).
///
/// # Errors
///
/// [`PageError::BadCsrf`].
pub fn check_token(expected: &str, presented: Option<&str>) -> Result<(), PageError> {
    match presented {
        Some(t) if ct_eq(t, expected) => Ok(()),
        _ => Err(PageError::BadCsrf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin_of("https://Guard.Example:8443/console/x?y").as_deref(),
            Some("https://guard.example:8443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("https:///x"), None);
    }
}

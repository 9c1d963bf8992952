//! The console's error page: how a [`PageError`] is answered (an HTML
//! page, or, signed out on a GET, a redirect to sign-in; never JSON), and
//! the same page for a plain-text refusal the handlers never saw.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::console::errors::PageError;
use crate::console::page::{humane, login_href, render, Chrome};
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
    sign_in: bool,
}

fn page(status: StatusCode, message: impl Into<String>, sign_in: bool) -> Response {
    let p = ErrorPage {
        chrome: Chrome::anonymous(status.canonical_reason().unwrap_or("Error")),
        status: status.as_u16(),
        message: message.into(),
        sign_in,
    };
    render(status, &p)
}

/// The longest plain-text refusal [`plain_as_page`] quotes.
const QUOTED: usize = 2048;

/// A refusal the console's handlers never saw, such as axum's own for a
/// query or a path it cannot parse (`?page=abc`): plain text, which the
/// console answers as its error page with the same status and the reason
/// (decision 471). Every other response passes unchanged.
pub async fn plain_as_page(res: Response) -> Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let status = res.status();
    if html || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let text = match axum::body::to_bytes(res.into_body(), QUOTED).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = match (status, text.is_empty()) {
        (StatusCode::BAD_REQUEST, false) => {
            format!("This address holds a value the page does not take: {text}")
        }
        (_, false) => text,
        (_, true) => status
            .canonical_reason()
            .unwrap_or("The request was refused")
            .to_owned(),
    };
    page(status, message, false)
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignedOut { next: Some(next) } => (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, login_href(&next))],
            )
                .into_response(),
            PageError::SignedOut { next: None } => page(
                StatusCode::FORBIDDEN,
                "Your session has ended, so nothing was changed. Sign in again and repeat the change.",
                true,
            ),
            PageError::CrossOrigin => page(
                StatusCode::FORBIDDEN,
                "This form was sent from another site, so nothing was changed.",
                false,
            ),
            PageError::BadCsrf => page(
                StatusCode::FORBIDDEN,
                "This form is out of date or was not sent by the console, so nothing was changed. Reload the page and try again.",
                false,
            ),
            PageError::Api(e) => {
                if let ApiError::Internal(detail) = &e {
                    tracing::error!(%detail, "internal error");
                }
                page(
                    e.status(),
                    humane(&e.to_string()),
                    e.status() == StatusCode::UNAUTHORIZED,
                )
            }
        }
    }
}

//! The confirm step of the console's risky one-click actions (Allow for
//! every mini program, switching the signing algorithm, a whitelist switch
//! turned on over an empty list, promoting a key before devices may have
//! it): a page of its own that says what will happen and posts the same
//! form again with `confirmed=yes`, so it works without the script under
//! the strict CSP (decision 474). The service layer does not ask: the JSON
//! API's callers decide for themselves.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use crate::console::forms::FormData;
use crate::console::page::{render, Chrome};
use crate::console::session::Session;

/// What a confirm step says and where it posts.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// The page's heading: the question in short.
    pub title: String,
    /// The question in full.
    pub question: String,
    /// What will happen, one point a line.
    pub consequences: Vec<String>,
    /// The button's words.
    pub yes: String,
    /// Where the form posts (the action's own route).
    pub action: String,
    /// Where Cancel goes.
    pub back: String,
    /// What Cancel's page is called (the crumbs).
    pub back_label: String,
    /// The fields to post again (without the CSRF token and `confirmed`).
    pub fields: Vec<(String, String)>,
}

/// Whether the person confirmed (the confirm page's form was sent).
pub fn confirmed(f: &FormData) -> bool {
    f.get("confirmed") == Some("yes")
}

/// The fields of `f` to post again from the confirm page.
pub fn repost(f: &FormData) -> Vec<(String, String)> {
    f.values()
        .into_iter()
        .filter(|(k, _)| k != "confirmed")
        .collect()
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    c: Confirm,
}

/// The confirm page of `c` (200: nothing was changed yet), in the
/// navigation of `path` and superapp `sid`.
pub fn page(s: &Session, path: &str, sid: Option<&str>, c: Confirm) -> Response {
    let p = ConfirmPage {
        chrome: Chrome::new(s, c.title.clone(), path, sid),
        c,
    };
    render(StatusCode::OK, &p)
}

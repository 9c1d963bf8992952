//! Why a console request was not answered with its page: signed out, a
//! cross-origin or token-less form, or a refusal of the service layer.
//! The console's bottom floor: every other console module may name it;
//! how each is answered (an HTML page, or signed out on a GET a redirect to
//! sign-in; never JSON) is `error_page.rs`.

use crate::error::ApiError;

/// A console request that gets no page of its own.
#[derive(Debug)]
pub enum PageError {
    /// No live session: a GET goes to sign-in (and comes back to `next`),
    /// a form post is refused.
    SignedOut {
        /// The page asked for (GET only).
        next: Option<String>,
    },
    /// A state-changing request from another origin.
    CrossOrigin,
    /// A form without the session's CSRF token.
    BadCsrf,
    /// The service layer refused.
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError::Api(e)
    }
}

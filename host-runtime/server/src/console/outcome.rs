//! How a console form post ends (Post/Redirect/Get): the service's answer
//! either succeeded (a flash message is left for the next page, which the
//! browser is sent to) or was refused (the form is shown again).

use axum::response::Response;

use crate::console::errors::PageError;
use crate::console::page::see_other;
use crate::console::session::{self, Session};
use crate::state::AppState;

/// Leaves `message` for the next page and goes there.
///
/// # Errors
///
/// [`PageError::Api`] on a store failure.
pub async fn done(
    st: &AppState,
    s: &Session,
    to: &str,
    message: &str,
) -> Result<Response, PageError> {
    session::flash(st, s, message).await?;
    Ok(see_other(to))
}

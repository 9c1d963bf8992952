//! How a console form post ends (Post/Redirect/Get), said once for every
//! screen: the service's answer either succeeded (a flash message is left
//! for the next page and the browser is sent there with a 303) or was
//! refused (the page is shown again with the refusal's status, the form's
//! input kept, every error beside its field and the first one focused).
//! A handler says only what is its own: which service call, which page and
//! message on success, which form and page when refused.

use axum::http::StatusCode;
use axum::response::Response;

use crate::console::errors::PageError;
use crate::console::forms::Posted;
use crate::console::page::{see_other, Submitted};
use crate::console::session::{self, Session};
use crate::error::ApiError;
use crate::state::AppState;

/// Where a post that succeeded sends the browser, and what it says there.
#[derive(Debug, Clone)]
pub struct Done {
    /// The page (a console path, with its fragment when it has one).
    pub to: String,
    /// The flash message that page shows once.
    pub message: String,
}

impl Done {
    /// Go to `to` and say `message` there.
    pub fn new(to: impl Into<String>, message: impl Into<String>) -> Done {
        Done {
            to: to.into(),
            message: message.into(),
        }
    }
}

/// Finds every refusal the form shows in the service's one (a refused
/// field's siblings checked too); none found: the service's one is shown.
type Every<'a> = Box<dyn FnOnce(&ApiError) -> Vec<ApiError> + Send + 'a>;

/// The ending of one form post: the session it came in, which form of the
/// page it was and the input that form shows again when refused.
pub struct Outcome<'a> {
    st: &'a AppState,
    session: &'a Session,
    form: String,
    values: Vec<(String, String)>,
    every: Option<Every<'a>>,
}

impl std::fmt::Debug for Outcome<'_> {
    // The form's name only: its values may be anything a person typed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl<'a> Outcome<'a> {
    /// The post of form `form`, its fields (less the CSRF token) shown
    /// again when refused.
    pub fn of(st: &'a AppState, post: &'a Posted, form: impl Into<String>) -> Outcome<'a> {
        Outcome::new(st, &post.session, form, post.form.values())
    }

    /// A post of form `form` whose refusal shows `values` again (a field
    /// that is never shown again, such as a secret, left out).
    pub fn new(
        st: &'a AppState,
        session: &'a Session,
        form: impl Into<String>,
        values: Vec<(String, String)>,
    ) -> Outcome<'a> {
        Outcome {
            st,
            session,
            form: form.into(),
            values,
            every: None,
        }
    }

    /// A refusal is shown as every error `every` finds in it (so a form
    /// shows all its refused fields at once; none found: the refusal
    /// itself); the page's status is still the service's refusal's.
    #[must_use]
    pub fn every(mut self, every: impl FnOnce(&ApiError) -> Vec<ApiError> + Send + 'a) -> Self {
        self.every = Some(Box::new(every));
        self
    }

    /// The whole flow: `result` succeeded → [`Outcome::done`] with what
    /// `done` says; refused → [`Outcome::refuse`] with `again`.
    ///
    /// # Errors
    ///
    /// [`PageError::Api`] on a store failure, or what `again` answers.
    pub async fn settle<T>(
        self,
        result: Result<T, ApiError>,
        done: impl FnOnce(T) -> Done,
        again: impl AsyncFnOnce(Submitted, StatusCode) -> Result<Response, PageError>,
    ) -> Result<Response, PageError> {
        match result {
            Ok(v) => self.done(done(v)).await,
            Err(e) => self.refuse(e, again).await,
        }
    }

    /// Success: `done`'s message is left for the session's next page and
    /// the browser goes there (303).
    ///
    /// # Errors
    ///
    /// [`PageError::Api`] on a store failure.
    pub async fn done(self, done: Done) -> Result<Response, PageError> {
        session::flash(self.st, self.session, &done.message).await?;
        Ok(see_other(&done.to))
    }

    /// Refused with `e`: `again` renders the page with the form as
    /// submitted and its errors, under `e`'s status.
    ///
    /// # Errors
    ///
    /// What `again` answers.
    pub async fn refuse(
        self,
        e: ApiError,
        again: impl AsyncFnOnce(Submitted, StatusCode) -> Result<Response, PageError>,
    ) -> Result<Response, PageError> {
        let status = e.status();
        let all = self.every.map(|every| every(&e)).unwrap_or_default();
        let errors = if all.is_empty() { vec![e] } else { all };
        again(
            Submitted::refused_all(&self.form, self.values, &errors),
            status,
        )
        .await
    }
}

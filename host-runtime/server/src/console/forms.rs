//! Form bodies of the console (`application/x-www-form-urlencoded`) and the
//! extractors of state-changing requests: [`Posted`] (signed in: session,
//! origin and CSRF token checked before the handler runs) and [`Anonymous`]
//! (sign-in and invite forms: origin checked).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;

use crate::console::csrf;
use crate::console::errors::PageError;
use crate::console::session::Session;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A submitted form's fields, in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// Parses an urlencoded body.
    ///
    /// # Errors
    ///
    /// 400 naming `body` when it is not one.
    pub fn parse(bytes: &[u8]) -> Result<FormData, ApiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(FormData)
            .map_err(|e| ApiError::bad("body", format!("is not a form: {e}")))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    /// The value of `name`, `None` when absent or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Whether checkbox `name` is checked.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The fields without the CSRF token (what a refused form shows again).
    pub fn values(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "csrf")
            .cloned()
            .collect()
    }
}

async fn body(req: Request, st: &AppState) -> Result<FormData, PageError> {
    let bytes = Bytes::from_request(req, st)
        .await
        .map_err(|e| PageError::Api(ApiError::bad("body", e.body_text())))?;
    Ok(FormData::parse(&bytes)?)
}

/// A signed-in form post whose origin and CSRF token were checked.
#[derive(Debug)]
pub struct Posted {
    /// The session.
    pub session: Session,
    /// The fields.
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &AppState) -> Result<Posted, PageError> {
        let (mut parts, b) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, st).await?;
        let form = body(Request::from_parts(parts, b), st).await?;
        csrf::check_token(&session, form.get("csrf"))?;
        Ok(Posted { session, form })
    }
}

/// A form post outside a session (sign-in, invite): origin checked.
#[derive(Debug)]
pub struct Anonymous {
    /// The fields.
    pub form: FormData,
    /// The client's address (sign-in throttling).
    pub address: String,
}

/// The client's address as the listener saw it (`unknown` when the router
/// runs without one, as in tests).
pub fn address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

impl FromRequest<AppState> for Anonymous {
    type Rejection = PageError;

    async fn from_request(req: Request, st: &AppState) -> Result<Anonymous, PageError> {
        let (parts, b) = req.into_parts();
        csrf::check_origin(st, &parts.headers)?;
        let address = address(&parts);
        let form = body(Request::from_parts(parts, b), st).await?;
        Ok(Anonymous { form, address })
    }
}

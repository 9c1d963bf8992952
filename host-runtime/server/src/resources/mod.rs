//! The console's resources, one module each. Each module has two faces:
//! **service functions** (`&AppState`, `&Caller`, typed input → the domain
//! answer or [`ApiError`]) that hold every rule, permission check and
//! validation, and a thin `json` submodule of HTTP handlers that extract
//! the request, call the service and write the JSON answer. The web console
//! (`crate::console`) calls the same service functions, so no rule exists
//! twice. Every change goes through [`crate::change::apply`].

pub mod accounts;
pub mod apis;
pub mod applications;
pub mod apps;
pub mod archive;
pub mod audit;
pub mod bindings;
pub mod blocked;
pub mod invites;
pub mod keys;
pub mod keysets;
pub mod mode;
pub mod package_review;
pub mod packages;
pub mod profile;
pub mod qr;
pub mod quotas;
pub mod releases;
pub mod requests;
pub mod review;
pub mod signing;
pub mod superapps;
pub mod teams;
pub mod versions;
pub mod whitelists;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

/// A handler's answer.
pub type Res = Result<Response, ApiError>;

/// Longest name, reason, note or description.
pub const MAX_TEXT: usize = 2000;

/// A JSON answer.
pub fn reply(status: StatusCode, body: Value) -> Res {
    Ok((status, Json(body)).into_response())
}

/// A domain value as JSON (maps sorted, as `json!` writes them).
///
/// # Errors
///
/// [`ApiError::Internal`] when the value does not serialise (a bug).
pub fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(format!("json: {e}")))
}

/// A JSON answer of a domain value.
pub fn reply_of<T: Serialize>(status: StatusCode, value: &T) -> Res {
    reply(status, to_json(value)?)
}

/// What a change produced, and the version it claimed.
#[derive(Debug, Clone, Serialize)]
pub struct Versioned<T> {
    /// The changed thing as it is now.
    #[serde(flatten)]
    pub item: T,
    /// The scope's new version.
    pub version: i64,
}

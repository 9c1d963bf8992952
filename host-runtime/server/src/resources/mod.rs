//! The console's resources, one module each. Every change goes through
//! [`crate::change::apply`]; a handler here says only what is particular to
//! it.

pub mod accounts;
pub mod apis;
pub mod applications;
pub mod apps;
pub mod audit;
pub mod bindings;
pub mod blocked;
pub mod keys;
pub mod mode;
pub mod packages;
pub mod qr;
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
use serde_json::Value;

use crate::http::error::ApiError;

/// A handler's answer.
pub type Res = Result<Response, ApiError>;

/// Longest name, reason, note or description.
pub const MAX_TEXT: usize = 2000;

/// A JSON answer.
pub fn reply(status: StatusCode, body: Value) -> Res {
    Ok((status, Json(body)).into_response())
}

/// `body` with the version the change produced.
pub fn with_version(mut body: Value, version: i64) -> Value {
    body["version"] = Value::from(version);
    body
}

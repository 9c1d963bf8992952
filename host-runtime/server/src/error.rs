//! The error of every service operation: each has a stable `code`, an HTTP
//! status and a lower-case message with user input in backticks.
//!
//! It is the bottom floor of the server: the store, the services, the
//! distribution and both front doors (the JSON API and the console) return
//! it, and only the front doors turn it into a response (`http::error` for the
//! API's JSON body, the console's own pages).

use axum::http::StatusCode;
use thiserror::Error;

/// Why a console request failed.
#[derive(Debug, Error)]
pub enum ApiError {
    /// No or unknown bearer token (401 `unauthorized`).
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// The caller's role or scope does not allow the action (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// The named thing does not exist (404 `not_found`).
    #[error("{0}")]
    NotFound(String),
    /// Malformed input (400 `invalid_field`), naming the field.
    #[error("`{field}`: {reason}")]
    BadRequest {
        /// The JSON path or parameter name.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The path exists, the method does not (405 `method_not_allowed`).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The state does not allow the change (409 `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the configured limit (413 `too_large`).
    #[error("request body is larger than the configured limit")]
    TooLarge,
    /// Over a quota of stored bytes (413 `quota_exceeded`); the message
    /// names the limit.
    #[error("{0}")]
    OverByteQuota(String),
    /// Over a quota of a count, which time does not free (429
    /// `quota_exceeded`, no `Retry-After`); the message names the limit.
    #[error("{0}")]
    OverCountQuota(String),
    /// A store or other internal failure (500 `internal`); details go to the
    /// log only, never to the client.
    #[error("internal error")]
    Internal(String),
    /// Too many requests from one client, or for one app (429
    /// `rate_limited`, with `Retry-After`).
    #[error("{what}: retry after {retry_after} s")]
    RateLimited {
        /// What was limited.
        what: String,
        /// Whole seconds until a retry may succeed (at least 1).
        retry_after: u64,
    },
}

impl ApiError {
    /// A 400 naming `field`.
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest { .. } => "invalid_field",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge => "too_large",
            ApiError::OverByteQuota(_) | ApiError::OverCountQuota(_) => "quota_exceeded",
            ApiError::Internal(_) => "internal",
            ApiError::RateLimited { .. } => "rate_limited",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge | ApiError::OverByteQuota(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::OverCountQuota(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::Internal(format!("store: {e}"))
    }
}

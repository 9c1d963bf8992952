//! JSON request bodies whose every failure is the API's JSON error naming the
//! offending field (axum's own `Json` answers 422 with plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body whose errors are 400s naming the offending field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let BodyBytes(bytes) = BodyBytes::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A body as bytes, for a handler that parses it itself, with the same
/// errors as [`JsonBody`] (413 beyond the route's limit).
#[derive(Debug)]
pub struct BodyBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for BodyBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::bad("body", e.body_text())
            }
        })?;
        Ok(BodyBytes(bytes))
    }
}

/// Parses JSON, naming the offending field on error.
///
/// # Errors
///
/// [`ApiError::BadRequest`] with the JSON path of the problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derive also reads a struct from a JSON array (fields by
    // position), so `["id","name"]` would pass for `{"id","name"}`: every body
    // of this API is an object, and only an object is read as one.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ApiError::bad("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        let inner = e.into_inner().to_string();
        // serde names a missing field in its message, not in the path.
        let field = match inner.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or(&field).to_owned(),
            None => field,
        };
        ApiError::bad(field, inner)
    })?;
    de.end().map_err(|e| ApiError::bad("body", e.to_string()))?;
    Ok(value)
}

//! The JSON API's error body: an [`ApiError`] as `{"error": {"code",
//! "message", "field"?}}` with its status (and `Retry-After` when rate
//! limited).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut body = json!({"code": self.code(), "message": self.to_string()});
        if let ApiError::BadRequest { field, .. } = &self {
            body["field"] = json!(field);
        }
        let mut res = (self.status(), Json(json!({ "error": body }))).into_response();
        if let ApiError::RateLimited { retry_after, .. } = &self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        res
    }
}

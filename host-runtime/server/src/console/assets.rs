//! The console's static files, compiled into the binary (no build step, no
//! files at run time): one style sheet and one script.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The style sheet.
pub const CSS: &str = include_str!("../../assets/console.css");
/// The script (progressive enhancement only).
pub const JS: &str = include_str!("../../assets/console.js");
/// The icon.
pub const ICON: &str = include_str!("../../assets/favicon.svg");

/// `GET /console/static/{file}`.
pub async fn get(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind),
            // Revalidated on every load (an upgrade shows at once); small.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

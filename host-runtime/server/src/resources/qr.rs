//! QR codes of a released mini program (seed 001, "Mini Program QR Code"):
//! PNG and SVG of the link a superapp opens the released version with
//! (decision 63): `guardmp://open?superapp=<sid>&app=<app>&version=<v>`,
//! each value percent-encoded. The Android SDK registers the `guardmp`
//! scheme (an intent filter); the iOS SDK reads the scanned content and
//! opens the same link.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use qrcode::{Color, QrCode};
use sqlx::Row;

use crate::error::ApiError;
use crate::resources::apps::app_row;
use crate::resources::Res;
use crate::state::AppState;
use crate::store::flag;

/// What a QR code encodes, as the configuration file names it.
pub const OPEN_URL_TEMPLATE: &str =
    "guardmp://open?superapp={superapp_id}&app={app_id}&version={version}";

/// Pixels per module of the PNG.
const SCALE: usize = 8;
/// Quiet zone around the code, in modules (ISO/IEC 18004: at least 4).
const QUIET: usize = 4;

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The link that opens `version` of `app` in superapp `sid`.
pub fn open_url(sid: &str, app: &str, version: &str) -> String {
    format!(
        "guardmp://open?superapp={}&app={}&version={}",
        encode(sid),
        encode(app),
        encode(version)
    )
}

/// The QR code of `app`'s released version (404 when none or removed).
async fn released_code(st: &AppState, app: &str) -> Result<QrCode, ApiError> {
    let a = app_row(st, app).await?;
    let row = sqlx::query("SELECT release_version, removed FROM apps WHERE id = $1")
        .bind(app)
        .fetch_one(&st.store.pool)
        .await?;
    let version: Option<String> = row.try_get("release_version")?;
    let Some(version) = version.filter(|_| a.bound) else {
        return Err(ApiError::NotFound(format!(
            "app `{app}` has no released version"
        )));
    };
    if flag(&row, "removed")? {
        return Err(ApiError::NotFound(format!("app `{app}` is removed")));
    }
    QrCode::new(open_url(&a.superapp_id, app, &version).as_bytes())
        .map_err(|e| ApiError::Internal(format!("qr code: {e}")))
}

/// Renders `code` as an 8-bit greyscale PNG.
///
/// # Errors
///
/// [`ApiError::Internal`] when the encoder fails.
pub fn png(code: &QrCode) -> Result<Vec<u8>, ApiError> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(|e| ApiError::Internal(format!("qr size: {e}")))?;
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, side, side);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc
        .write_header()
        .map_err(|e| ApiError::Internal(format!("png: {e}")))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| ApiError::Internal(format!("png: {e}")))?;
    writer
        .finish()
        .map_err(|e| ApiError::Internal(format!("png: {e}")))?;
    Ok(out)
}

/// `GET /api/v1/apps/{app}/qrcode.png` (public, like the package).
pub(crate) async fn get_png(State(st): State<AppState>, Path(app): Path<String>) -> Res {
    let code = released_code(&st, &app).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "image/png")],
        png(&code)?,
    )
        .into_response())
}

/// `GET /api/v1/apps/{app}/qrcode.svg` (public).
pub(crate) async fn get_svg(State(st): State<AppState>, Path(app): Path<String>) -> Res {
    let code = released_code(&st, &app).await?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "image/svg+xml")],
        svg,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_urls_are_percent_encoded() {
        assert_eq!(
            open_url("sa1", "mp1", "1.0.0+b/1&x"),
            "guardmp://open?superapp=sa1&app=mp1&version=1.0.0%2Bb%2F1%26x"
        );
    }
}

//! Code packages: the zip a developer uploads as a version, checked (a real
//! zip, no bomb), stored content-addressed by SHA-256 (decision 62: the file
//! `packages/<sha256>` of the SQLite data directory, written atomically
//! before the change that names it; in the database on PostgreSQL, in that
//! change), and served to the base library once released
//! (`GET /api/v1/apps/{app}/package`).

use std::io::{Read, Write};

use sha2::Digest;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use sqlx::Row;

use crate::change::Change;
use crate::error::ApiError;
use crate::resources::apps::app_row;
use crate::resources::archive::{self, Entry, LayoutError};
use crate::resources::Res;
use crate::state::AppState;
use crate::store::flag;
use crate::util::{hex, random_hex};

/// Most entries in a package.
pub const MAX_ENTRIES: usize = 10_000;

/// Most bytes a package may unpack to (all entries together, as actually
/// decompressed, not as the archive claims).
pub const MAX_UNPACKED_BYTES: u64 = 128 * 1024 * 1024;

/// Why an upload is not a code package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// Its layout is refused (see [`archive`]).
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The zip crate cannot open it.
    #[error("is not a zip archive: {0}")]
    NotZip(String),
    /// No entries.
    #[error("is an empty zip archive")]
    Empty,
    /// Unpacks to too much.
    #[error("unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
    TooLarge,
    /// An entry does not read back (bad data, bad CRC, unsupported method,
    /// a size other than the archive states).
    #[error("entry `{0}` is unreadable: {1}")]
    BadEntry(String, String),
}

/// The entries of package `bytes` (names and sizes), from its layout
/// alone: what a reviewer sees of a package already checked on upload.
///
/// # Errors
///
/// [`PackageError::Layout`].
pub fn files(bytes: &[u8]) -> Result<Vec<Entry>, PackageError> {
    Ok(archive::entries(bytes, MAX_ENTRIES)?)
}

/// Checks that `bytes` is a zip of a sound layout ([`archive::entries`]:
/// no symlink, escaping or duplicate name, prepended or appended data,
/// encryption) whose every entry reads back at the size it states, with at
/// most [`MAX_ENTRIES`] entries unpacking to at most [`MAX_UNPACKED_BYTES`];
/// returns the entries.
///
/// # Errors
///
/// [`PackageError`].
pub fn check_zip(bytes: &[u8]) -> Result<Vec<Entry>, PackageError> {
    let listed = files(bytes)?;
    if listed.is_empty() {
        return Err(PackageError::Empty);
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| PackageError::NotZip(e.to_string()))?;
    // The layout has no duplicate, so the crate (which keeps one entry per
    // name) sees the same entries in the same order.
    if zip.len() != listed.len() {
        return Err(PackageError::NotZip("its entries are ambiguous".into()));
    }
    let mut total: u64 = 0;
    for (i, e) in listed.iter().enumerate() {
        let name = archive::quoted(&e.name);
        let entry = zip
            .by_index(i)
            .map_err(|err| PackageError::BadEntry(name.clone(), err.to_string()))?;
        if entry.header_start() != e.offset() {
            return Err(PackageError::NotZip("its entries are ambiguous".into()));
        }
        // Read at most one byte past the budget: the sizes in the archive
        // may lie, the decompressed bytes do not.
        let budget = MAX_UNPACKED_BYTES - total;
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|err| PackageError::BadEntry(name.clone(), err.to_string()))?;
        total += read;
        if total > MAX_UNPACKED_BYTES {
            return Err(PackageError::TooLarge);
        }
        if read != e.size {
            return Err(PackageError::BadEntry(
                name,
                format!("it unpacks to {read} bytes, not the {} it states", e.size),
            ));
        }
    }
    Ok(listed)
}

/// Writes `bytes` as `<dir>/packages/<sha>` atomically: a temporary file,
/// fsynced, renamed, then the directory fsynced. A file already there is
/// kept (same digest, same bytes). Runs before the change that records it:
/// a change that then fails leaves an unreferenced file, harmless (content
/// addressed, reused by the next identical upload).
fn write_file(
    dir: &std::path::Path,
    sha: &str,
    bytes: &[u8],
    tmp_tag: &str,
) -> std::io::Result<()> {
    let dir = dir.join("packages");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(sha);
    if path.exists() {
        return Ok(());
    }
    let tmp = dir.join(format!(".tmp-{sha}-{tmp_tag}"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(&dir)?.sync_all()
}

/// Puts a package's bytes where they live before the change that records
/// it: a file in the SQLite data directory; nothing to do on PostgreSQL
/// (the row holds them, see [`record`]).
///
/// # Errors
///
/// [`ApiError::Internal`] when the file cannot be written.
pub(crate) async fn put(
    st: &AppState,
    sha: &str,
    bytes: &axum::body::Bytes,
) -> Result<(), ApiError> {
    let Some(dir) = st.store.data_dir.clone() else {
        return Ok(());
    };
    let (sha, bytes, tag) = (sha.to_owned(), bytes.clone(), random_hex(8)?);
    tokio::task::spawn_blocking(move || write_file(&dir, &sha, &bytes, &tag))
        .await
        .map_err(|e| ApiError::Internal(format!("package writer: {e}")))?
        .map_err(|e| ApiError::Internal(format!("package file: {e}")))
}

/// Records the package `sha` inside change `c` (its bytes too on
/// PostgreSQL); a package already recorded is kept.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub(crate) async fn record(
    st: &AppState,
    c: &mut Change,
    sha: &str,
    bytes: &[u8],
) -> Result<(), ApiError> {
    let data = st.store.data_dir.is_none().then(|| bytes.to_vec());
    sqlx::query(
        "INSERT INTO packages (sha256, size, data, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha)
    .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
    .bind(data)
    .bind(c.at)
    .execute(&mut *c.tx)
    .await?;
    Ok(())
}

/// The bytes of package `sha`, checked against the digest (a damaged file
/// or row is a 500, never served).
pub(crate) async fn read(st: &AppState, sha: &str) -> Result<Vec<u8>, ApiError> {
    let data: Option<Vec<u8>> = sqlx::query("SELECT data FROM packages WHERE sha256 = $1")
        .bind(sha)
        .fetch_one(&st.store.pool)
        .await?
        .try_get("data")?;
    let bytes = match (data, &st.store.data_dir) {
        (Some(data), _) => data,
        (None, Some(dir)) => {
            let path = dir.join("packages").join(sha);
            tokio::fs::read(&path).await.map_err(|e| {
                ApiError::Internal(format!("package file `{}`: {e}", path.display()))
            })?
        }
        (None, None) => return Err(ApiError::Internal(format!("package `{sha}` has no bytes"))),
    };
    if hex(&sha2::Sha256::digest(&bytes)) != sha {
        return Err(ApiError::Internal(format!("package `{sha}` is damaged")));
    }
    Ok(bytes)
}

/// `GET /api/v1/apps/{app}/package` (public, for the base library): the
/// released package's bytes, its SHA-256 in `X-Package-Sha256` and as the
/// `ETag`; 404 while nothing is released or once the app is removed.
pub(crate) async fn get(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(app): Path<String>,
) -> Res {
    let a = app_row(&st, &app).await?;
    let row =
        sqlx::query("SELECT release_version, release_sha256, removed FROM apps WHERE id = $1")
            .bind(&app)
            .fetch_one(&st.store.pool)
            .await?;
    let version: Option<String> = row.try_get("release_version")?;
    let sha: Option<String> = row.try_get("release_sha256")?;
    let (Some(_), Some(sha)) = (version, sha) else {
        return Err(ApiError::NotFound(format!(
            "app `{app}` has no released version"
        )));
    };
    if flag(&row, "removed")? || !a.bound {
        return Err(ApiError::NotFound(format!("app `{app}` is removed")));
    }
    let etag = format!("\"{sha}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let data = read(&st, &sha).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::ETAG, etag),
            (crate::http::cors::X_PACKAGE_SHA256, sha),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        data,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn packages_are_real_bounded_zips() {
        let listed = check_zip(&zip_of(&[("a.js", b"x"), ("b/c.json", b"{}")])).unwrap();
        let names: Vec<(&str, u64)> = listed.iter().map(|e| (e.name.as_str(), e.size)).collect();
        assert_eq!(names, [("a.js", 1), ("b/c.json", 2)]);
        assert!(matches!(
            check_zip(b"not a zip"),
            Err(PackageError::Layout(LayoutError::NotZip(_)))
        ));
        assert!(matches!(check_zip(&zip_of(&[])), Err(PackageError::Empty)));
        assert!(matches!(
            check_zip(&zip_of(&[("../evil.js", b"x")])),
            Err(PackageError::Layout(LayoutError::Name { .. }))
        ));
        // A damaged entry (its compressed bytes flipped) does not read back.
        let mut z = zip_of(&[("a.js", &[7u8; 4096][..])]);
        z[40] ^= 0xff;
        assert!(check_zip(&z).is_err());
    }
}

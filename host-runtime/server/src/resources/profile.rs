//! The application-management fields of a superapp (seed 001): the owner
//! team, a description, the Android package name and the iOS bundle ID, as a
//! request offers them; checked and written here, below both the superapps
//! that create and configure them and the application pages that show them.

use serde::Deserialize;

use crate::change::Change;
use crate::error::ApiError;
use crate::resources::MAX_TEXT;
use crate::util::check_text;

/// Longest Android package name / iOS bundle ID accepted.
pub const MAX_PLATFORM_ID: usize = 155;

/// The application-management fields of a superapp, as offered by a request
/// (every field optional: absent leaves the stored value alone).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Profile {
    #[serde(default)]
    pub(crate) team_id: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) android_package: Option<String>,
    #[serde(default)]
    pub(crate) ios_bundle_id: Option<String>,
}

/// Android `applicationId`: at least two segments of `[a-zA-Z][a-zA-Z0-9_]*`
/// separated by dots (decision 60).
pub fn is_android_package(s: &str) -> bool {
    s.len() <= MAX_PLATFORM_ID
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            let mut chars = seg.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// iOS `CFBundleIdentifier`: `[A-Za-z0-9.-]+` in reverse-DNS form, that is
/// at least two non-empty dot-separated segments of `[A-Za-z0-9-]`
/// (decision 60).
pub fn is_ios_bundle_id(s: &str) -> bool {
    s.len() <= MAX_PLATFORM_ID
        && s.split('.').count() >= 2
        && s.split('.').all(|seg| {
            !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl Profile {
    /// Checks every offered field.
    ///
    /// # Errors
    ///
    /// [`ApiError::BadRequest`] naming the field.
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        if let Some(d) = &self.description {
            check_text("description", d, MAX_TEXT)?;
        }
        if let Some(p) = &self.android_package {
            if !is_android_package(p) {
                return Err(ApiError::bad(
                    "android_package",
                    format!("`{p}` is not an android application id (two or more dot-separated segments of a letter then letters, digits or `_`)"),
                ));
            }
        }
        if let Some(b) = &self.ios_bundle_id {
            if !is_ios_bundle_id(b) {
                return Err(ApiError::bad(
                    "ios_bundle_id",
                    format!("`{b}` is not an ios bundle id (reverse-dns: two or more dot-separated segments of letters, digits or `-`)"),
                ));
            }
        }
        Ok(())
    }

    /// Writes the offered fields of superapp `sid` inside change `c`; an
    /// owner team must exist.
    ///
    /// # Errors
    ///
    /// [`ApiError::NotFound`] for an unknown team; [`ApiError::Internal`].
    pub(crate) async fn write(&self, c: &mut Change, sid: &str) -> Result<(), ApiError> {
        if let Some(team) = &self.team_id {
            if sqlx::query("SELECT id FROM teams WHERE id = $1")
                .bind(team)
                .fetch_optional(&mut *c.tx)
                .await?
                .is_none()
            {
                return Err(ApiError::NotFound(format!("team `{team}` not found")));
            }
        }
        sqlx::query(
            "UPDATE superapps SET team_id = COALESCE($2, team_id), description = COALESCE($3, description), \
             android_package = COALESCE($4, android_package), ios_bundle_id = COALESCE($5, ios_bundle_id) WHERE id = $1",
        )
        .bind(sid)
        .bind(self.team_id.as_deref())
        .bind(self.description.as_deref())
        .bind(self.android_package.as_deref())
        .bind(self.ios_bundle_id.as_deref())
        .execute(&mut *c.tx)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_ids_follow_the_platforms_rules() {
        for ok in ["com.example.app", "a.b", "Com.Example_1.x9"] {
            assert!(is_android_package(ok), "{ok}");
        }
        for bad in [
            "com",
            "com.",
            ".com",
            "com.1app",
            "com.ex-ample",
            "com..a",
            "com._a",
            "é.a",
        ] {
            assert!(!is_android_package(bad), "{bad}");
        }
        for ok in ["com.example.app", "com.ex-ample.App1", "1com.x"] {
            assert!(is_ios_bundle_id(ok), "{ok}");
        }
        for bad in ["com", "com.", "com..x", "com.ex_ample", "com.a b", "com.é"] {
            assert!(!is_ios_bundle_id(bad), "{bad}");
        }
    }
}

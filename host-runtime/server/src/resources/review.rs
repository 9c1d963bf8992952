//! The review vocabulary shared by permission requests, app bindings and
//! release requests: where a request is in its life, a reviewer's verdict,
//! and the decision body a reviewer posts.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use sqlx::Row;

use crate::http::error::ApiError;
use crate::resources::MAX_TEXT;
use crate::util::check_text;

/// Where a request is in its life (the console's own names, not the contract's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Filed, waiting for a decision.
    Pending,
    /// Approved: the app has the grant.
    Approved,
    /// Rejected.
    Rejected,
    /// Approved, then revoked: the app must request again.
    Revoked,
}

impl RequestStatus {
    /// Every status.
    pub const ALL: [RequestStatus; 4] = [
        RequestStatus::Pending,
        RequestStatus::Approved,
        RequestStatus::Rejected,
        RequestStatus::Revoked,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Revoked => "revoked",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A reviewer's decision on a request or a binding.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

/// The body of every `…/decision` route: the verdict and an optional note
/// the requester sees.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Approve or reject.
    pub decision: Verdict,
    /// Why (shown to the requester).
    #[serde(default)]
    pub note: String,
}

impl Decision {
    /// Checks the note's length and characters.
    ///
    /// # Errors
    ///
    /// 400 naming `note`.
    pub fn check(&self) -> Result<(), ApiError> {
        check_text("note", &self.note, MAX_TEXT)
    }
}

/// The columns every reviewed request (permission request, binding, release)
/// has, in the row as the JSON answer names them; each resource adds its own
/// (`api` and `reason`, the package, …) to this object.
///
/// # Errors
///
/// A column missing or of another type (a store bug): internal error.
pub fn lifecycle_json(r: &sqlx::any::AnyRow) -> Result<Map<String, Value>, ApiError> {
    let mut m = Map::new();
    for key in ["id", "superapp_id", "app_id", "status", "requested_by"] {
        m.insert(key.into(), json!(r.try_get::<String, _>(key)?));
    }
    for key in ["decided_by", "note"] {
        m.insert(key.into(), json!(r.try_get::<Option<String>, _>(key)?));
    }
    m.insert(
        "created_at".into(),
        json!(r.try_get::<i64, _>("created_at")?),
    );
    m.insert(
        "decided_at".into(),
        json!(r.try_get::<Option<i64>, _>("decided_at")?),
    );
    Ok(m)
}

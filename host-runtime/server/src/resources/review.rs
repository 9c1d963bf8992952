//! The review vocabulary shared by permission requests, app bindings and
//! release requests: where a request is in its life, a reviewer's verdict,
//! and the decision body a reviewer posts.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::http::error::ApiError;
use crate::resources::MAX_TEXT;
use crate::util::check_text;

/// Where a request is in its life (the console's own names, not the contract's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
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
#[derive(Debug, Deserialize, Serialize, Clone, Copy, PartialEq, Eq)]
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
/// has; each resource adds its own (`api` and `reason`, the package, …)
/// beside these (`#[serde(flatten)]`).
#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {
    /// `req_…`, `bind_…` or `rel_…`.
    pub id: String,
    /// The superapp deciding it.
    pub superapp_id: String,
    /// The app it is about.
    pub app_id: String,
    /// Where it is in its life.
    pub status: RequestStatus,
    /// The account that filed it.
    pub requested_by: String,
    /// The account that decided it.
    pub decided_by: Option<String>,
    /// The decider's note.
    pub note: Option<String>,
    /// When it was filed (unix seconds).
    pub created_at: i64,
    /// When it was decided.
    pub decided_at: Option<i64>,
}

impl Lifecycle {
    /// Reads the lifecycle columns of a row.
    ///
    /// # Errors
    ///
    /// A column missing, of another type or an unknown status (a store
    /// bug): internal error.
    pub fn read(r: &sqlx::any::AnyRow) -> Result<Lifecycle, ApiError> {
        let status: String = r.try_get("status")?;
        Ok(Lifecycle {
            id: r.try_get("id")?,
            superapp_id: r.try_get("superapp_id")?,
            app_id: r.try_get("app_id")?,
            status: RequestStatus::parse(&status)
                .ok_or_else(|| ApiError::Internal(format!("stored status `{status}`")))?,
            requested_by: r.try_get("requested_by")?,
            decided_by: r.try_get("decided_by")?,
            note: r.try_get("note")?,
            created_at: r.try_get("created_at")?,
            decided_at: r.try_get("decided_at")?,
        })
    }
}

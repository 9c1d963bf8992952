//! The review vocabulary shared by permission requests and app bindings:
//! where a request is in its life, and a reviewer's verdict.

use serde::Deserialize;

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

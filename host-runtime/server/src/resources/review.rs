//! The review vocabulary shared by permission requests, app bindings and
//! release requests: where a request is in its life, a reviewer's verdict,
//! the decision body a reviewer posts, and the one way a decision is written
//! ([`settle`]: a compare-and-set on `pending`).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::change::Change;
use crate::error::ApiError;
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

/// The three kinds of reviewed request. A closed set: the table a decision
/// writes is named here, never taken from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reviewed {
    /// A permission request (`req_…`).
    Request,
    /// An app binding (`bind_…`).
    Binding,
    /// A release request (`rel_…`).
    Release,
}

impl Reviewed {
    /// The noun of its messages (`request `x` is already decided`).
    fn noun(self) -> &'static str {
        match self {
            Reviewed::Request => "request",
            Reviewed::Binding => "binding",
            Reviewed::Release => "release",
        }
    }

    /// The compare-and-set of its table.
    fn settle_sql(self) -> &'static str {
        match self {
            Reviewed::Request => "UPDATE requests SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
            Reviewed::Binding => "UPDATE bindings SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
            Reviewed::Release => "UPDATE releases SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = $6",
        }
    }

    /// The status a verdict leaves and the audit action that records it.
    pub fn outcome(self, verdict: Verdict) -> (RequestStatus, &'static str) {
        let status = match verdict {
            Verdict::Approve => RequestStatus::Approved,
            Verdict::Reject => RequestStatus::Rejected,
        };
        let action = match (self, verdict) {
            (Reviewed::Request, Verdict::Approve) => "approve_request",
            (Reviewed::Request, Verdict::Reject) => "reject_request",
            (Reviewed::Binding, Verdict::Approve) => "approve_binding",
            (Reviewed::Binding, Verdict::Reject) => "reject_binding",
            (Reviewed::Release, Verdict::Approve) => "approve_release",
            (Reviewed::Release, Verdict::Reject) => "reject_release",
        };
        (status, action)
    }
}

/// Writes a decision on the pending request `id` of kind `kind` inside
/// change `c`: its status, the decider, the note and the time. The
/// `status = pending` guard makes it a compare-and-set, so of two reviewers
/// deciding at once the second finds nothing to update and is told so.
///
/// # Errors
///
/// 409 when the request is no longer pending (decided, revoked, or gone);
/// a store error.
pub async fn settle(
    c: &mut Change,
    kind: Reviewed,
    id: &str,
    status: RequestStatus,
    decided_by: &str,
    note: &str,
) -> Result<(), ApiError> {
    let updated = sqlx::query(kind.settle_sql())
        .bind(id)
        .bind(status.as_str())
        .bind(decided_by)
        .bind(note)
        .bind(c.at)
        .bind(RequestStatus::Pending.as_str())
        .execute(&mut *c.tx)
        .await?;
    if updated.rows_affected() != 1 {
        return Err(ApiError::Conflict(format!(
            "{} `{id}` is already decided",
            kind.noun()
        )));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind writes its own table, and records the audit action of its
    /// own verdict: one table or action written for another would decide
    /// the wrong request or hide the decision in the log.
    #[test]
    fn each_kind_settles_its_own_table_under_its_own_actions() {
        for kind in [Reviewed::Request, Reviewed::Binding, Reviewed::Release] {
            let table = format!("UPDATE {}s SET ", kind.noun());
            assert!(kind.settle_sql().starts_with(&table), "{kind:?}");
            assert!(
                kind.settle_sql().ends_with("WHERE id = $1 AND status = $6"),
                "{kind:?}"
            );
            let (status, action) = kind.outcome(Verdict::Approve);
            assert_eq!(
                (status, action),
                (
                    RequestStatus::Approved,
                    &*format!("approve_{}", kind.noun())
                )
            );
            let (status, action) = kind.outcome(Verdict::Reject);
            assert_eq!(
                (status, action),
                (RequestStatus::Rejected, &*format!("reject_{}", kind.noun()))
            );
        }
    }
}

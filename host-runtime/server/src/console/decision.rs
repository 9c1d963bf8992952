//! What the decision screens share (approvals, bindings, review): the
//! Approve-or-Reject form they post, and the status tabs of their lists.

use crate::console::forms::FormData;
use crate::error::ApiError;
use crate::resources::review::{Decision, Verdict};

/// A tab of a list.
#[derive(Debug, Clone)]
pub struct Tab {
    /// Its text.
    pub label: &'static str,
    /// Where it goes.
    pub href: String,
    /// Whether it is shown.
    pub current: bool,
    /// How many it holds.
    pub count: usize,
}

/// A decision as a form posts it.
pub fn decision(f: &FormData) -> Result<Decision, ApiError> {
    let decision = match f.get("decision") {
        Some("approve") => Verdict::Approve,
        Some("reject") => Verdict::Reject,
        _ => return Err(ApiError::bad("decision", "choose Approve or Reject")),
    };
    Ok(Decision {
        decision,
        note: f.text("note").trim().to_owned(),
    })
}

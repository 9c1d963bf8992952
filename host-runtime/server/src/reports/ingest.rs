//! `POST /api/v1/superapps/{sid}/reports` (`docs/protocols.md` P2): what
//! devices send, public (no credentials), every client assumed hostile.
//!
//! In this order, cheapest refusal first: the client address's rate (429),
//! the body's size (413, at most [`MAX_BODY_BYTES`]), its shape and every
//! field through guard-core's own parser (400 naming the field), the
//! superapp (404); then each report is refused (counted, not stored) when
//! its app is not bound to the superapp or it claims a policy version the
//! superapp never had; the rate of each app reported for (429, nothing
//! stored); and the counters (`counters.rs`).

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use guard_core::report::{Batch, Report, MAX_COUNT};
use serde_json::json;
use sqlx::Row;

use crate::error::ApiError;
use crate::http::client::ClientAddr;
use crate::http::json::BodyBytes;
use crate::reports::counters;
use crate::resources::{reply, Res};
use crate::state::AppState;

/// Largest body of a batch (`docs/protocols.md` P2: 32 KiB; a full batch of 100
/// reports fits).
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// Reports added to the counters.
    pub accepted: usize,
    /// Reports not stored: their app is not bound to the superapp, or their
    /// policy version is newer than the superapp's.
    pub refused: usize,
}

/// Takes one batch from `client` for superapp `sid`.
///
/// # Errors
///
/// [`ApiError::RateLimited`] (per address, then per app),
/// [`ApiError::BadRequest`] naming the field, [`ApiError::NotFound`] for an
/// unknown superapp, [`ApiError::Internal`] on a store failure.
pub async fn ingest(
    st: &AppState,
    sid: &str,
    client: std::net::IpAddr,
    body: &[u8],
) -> Result<Accepted, ApiError> {
    st.reports.check_address(client)?;
    let batch = Batch::from_json(body).map_err(|e| ApiError::bad(e.field, e.reason))?;
    for (i, r) in batch.reports.iter().enumerate() {
        if let Some(host) = &r.host {
            check_host(host)
                .map_err(|reason| ApiError::bad(format!("reports[{i}].host"), reason))?;
        }
    }
    let current = superapp_version(st, sid).await?;
    let bound = bound_apps(st, sid, &batch.reports).await?;
    let (keep, refused): (Vec<Report>, Vec<Report>) = batch
        .reports
        .into_iter()
        .partition(|r| bound.contains(r.app.as_str()) && to_i64(r.policy_version) <= current);
    for app in keep.iter().map(|r| r.app.as_str()).collect::<BTreeSet<_>>() {
        st.reports.check_app(app)?;
    }
    // What a device says it dropped is bounded like a count.
    let dropped = batch.dropped.min(MAX_COUNT);
    counters::add(&st.store, sid, &keep, dropped, st.clock.now()).await?;
    Ok(Accepted {
        accepted: keep.len(),
        refused: refused.len(),
    })
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A host exactly as the guard reports one: the `url` crate's serialisation
/// of a host (a lower-case domain, an IPv4 address, or an IPv6 address in
/// brackets), so no port (`a.example:8080`), path, query, user info or
/// other spelling of a host gets in. guard-core's parser admits `:` for the
/// IPv6 case, anywhere; this is where a port is refused.
fn check_host(host: &str) -> Result<(), String> {
    match url::Host::parse(host) {
        Ok(parsed) if parsed.to_string() == host => Ok(()),
        _ => Err(format!(
            "`{}` is not a host as the guard reports one (no port, path, query or other spelling)",
            host.escape_debug()
        )),
    }
}

async fn superapp_version(st: &AppState, sid: &str) -> Result<i64, ApiError> {
    let row = sqlx::query(
        "SELECT v.version FROM superapps s JOIN versions v ON v.scope = s.id WHERE s.id = $1",
    )
    .bind(sid)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("superapp `{sid}` not found")))?;
    Ok(row.try_get("version")?)
}

/// Which of the apps named in `reports` are bound to `sid` (one query, at
/// most 100 names: a batch has at most 100 reports).
async fn bound_apps(
    st: &AppState,
    sid: &str,
    reports: &[Report],
) -> Result<BTreeSet<String>, ApiError> {
    let names: BTreeSet<&str> = reports.iter().map(|r| r.app.as_str()).collect();
    if names.is_empty() {
        return Ok(BTreeSet::new());
    }
    let placeholders: Vec<String> = (0..names.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT id FROM apps WHERE superapp_id = $1 AND bound = 1 AND id IN ({})",
        placeholders.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(sid);
    for n in &names {
        q = q.bind(*n);
    }
    q.fetch_all(&st.store.pool)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("id").map_err(ApiError::from))
        .collect()
}

/// `POST /api/v1/superapps/{sid}/reports`: `202 {"accepted","refused"}`.
pub(crate) async fn post(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(sid): Path<String>,
    BodyBytes(body): BodyBytes,
) -> Res {
    let done = ingest(&st, &sid, client, &body).await?;
    reply(
        StatusCode::ACCEPTED,
        json!({"accepted": done.accepted, "refused": done.refused}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_taken_only_as_the_guard_reports_them() {
        for ok in [
            "evil.example",
            "a_b.example",
            "xn--bcher-kva.example",
            "192.0.2.1",
            "[2001:db8::1]",
        ] {
            assert_eq!(check_host(ok), Ok(()), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "evil.example/path",
            "evil.example?q=1",
            "user@evil.example",
            "EVIL.example",
            "2001:db8::1",
            "[2001:0db8::1]",
            "0x7f.1",
            "evil%2eexample",
            "b\u{fc}cher.example",
            "",
        ] {
            assert!(check_host(bad).is_err(), "{bad}");
        }
    }
}

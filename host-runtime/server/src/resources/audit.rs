//! The append-only audit log of a superapp, or of the platform.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::PLATFORM;
use crate::error::ApiError;
use crate::state::AppState;

/// One record of the log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// The scope's version the change produced.
    pub version: i64,
    /// Who (an account id, `server` or `bootstrap`).
    pub actor: String,
    /// What (`approve_request`, …).
    pub action: String,
    /// On what (`request:req_…`, `app:mp1`, …).
    pub target: String,
    /// The state before (`null`: created).
    pub before: Option<Value>,
    /// The state after (`null`: deleted).
    pub after: Option<Value>,
    /// When (unix seconds).
    pub at: i64,
}

/// May `caller` read the log of `scope` (a superapp or [`PLATFORM`])?
///
/// # Errors
///
/// [`ApiError::Forbidden`].
pub fn require_read(caller: &Caller, scope: &str) -> Result<(), ApiError> {
    if scope == PLATFORM {
        caller.require(Action::ViewApprovals)?;
        if caller.role.superapp_scoped() {
            return Err(ApiError::Forbidden(format!(
                "role `{}` may not read the platform audit log",
                caller.role.as_str()
            )));
        }
        Ok(())
    } else {
        caller.require_superapp(Action::ViewApprovals, scope)
    }
}

fn record_of(r: &sqlx::any::AnyRow) -> Result<AuditRecord, ApiError> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
    Ok(AuditRecord {
        version: r.try_get("version")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        before: parse(r.try_get("before_json")?),
        after: parse(r.try_get("after_json")?),
        at: r.try_get("at")?,
    })
}

/// At most 1,000 records of `scope` after version `after`, oldest first.
///
/// # Errors
///
/// 403 unless the caller may read the log.
pub async fn read(
    st: &AppState,
    caller: &Caller,
    scope: &str,
    after: i64,
) -> Result<Vec<AuditRecord>, ApiError> {
    require_read(caller, scope)?;
    let rows = sqlx::query(
        "SELECT version, actor, action, target, before_json, after_json, at FROM audit WHERE scope = $1 AND version > $2 ORDER BY version LIMIT 1000",
    )
    .bind(scope)
    .bind(after)
    .fetch_all(&st.store.pool)
    .await?;
    rows.iter().map(record_of).collect()
}

/// What the console's audit screen filters by (each optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditFilter {
    /// Exactly this actor.
    #[serde(default)]
    pub actor: Option<String>,
    /// Exactly this action.
    #[serde(default)]
    pub action: Option<String>,
    /// Targets starting with this (`app:mp1` finds the app's changes).
    #[serde(default)]
    pub target: Option<String>,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPage {
    /// The records of the page.
    pub records: Vec<AuditRecord>,
    /// How many records match in all.
    pub total: i64,
    /// The actions recorded in the scope (for the filter).
    pub actions: Vec<String>,
    /// The actors recorded in the scope (for the filter).
    pub actors: Vec<String>,
}

/// The records of `scope` matching `f`, newest first, `limit` from `offset`.
///
/// # Errors
///
/// 403 unless the caller may read the log.
pub async fn search(
    st: &AppState,
    caller: &Caller,
    scope: &str,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<AuditPage, ApiError> {
    require_read(caller, scope)?;
    let (actor, action, target) = (
        f.actor.as_deref().unwrap_or(""),
        f.action.as_deref().unwrap_or(""),
        f.target.as_deref().unwrap_or(""),
    );
    // `substr(…) = $4` rather than LIKE: the same (case-sensitive, no
    // wildcard) meaning on both engines.
    let rows = sqlx::query(
        "SELECT version, actor, action, target, before_json, after_json, at FROM audit WHERE scope = $1 \
         AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3) AND ($4 = '' OR substr(target, 1, length($4)) = $4) \
         ORDER BY version DESC LIMIT $5 OFFSET $6",
    )
    .bind(scope)
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(limit)
    .bind(offset)
    .fetch_all(&st.store.pool)
    .await?;
    let total: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM audit WHERE scope = $1 \
         AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3) AND ($4 = '' OR substr(target, 1, length($4)) = $4)",
    )
    .bind(scope)
    .bind(actor)
    .bind(action)
    .bind(target)
    .fetch_one(&st.store.pool)
    .await?
    .try_get("n")?;
    let mut actions = Vec::new();
    for r in sqlx::query("SELECT DISTINCT action FROM audit WHERE scope = $1 ORDER BY action")
        .bind(scope)
        .fetch_all(&st.store.pool)
        .await?
    {
        actions.push(r.try_get("action")?);
    }
    let mut actors = Vec::new();
    for r in sqlx::query("SELECT DISTINCT actor FROM audit WHERE scope = $1 ORDER BY actor")
        .bind(scope)
        .fetch_all(&st.store.pool)
        .await?
    {
        actors.push(r.try_get("actor")?);
    }
    Ok(AuditPage {
        records: rows.iter().map(record_of).collect::<Result<_, _>>()?,
        total,
        actions,
        actors,
    })
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::error::ApiError;
    use crate::resources::{reply, Res};
    use crate::state::AppState;

    #[derive(Deserialize)]
    pub(crate) struct AuditQuery {
        #[serde(default)]
        after: Option<String>,
    }

    /// `GET /api/v1/superapps/{sid}/audit[?after=N]`: at most 1,000 records
    /// after version N.
    pub(crate) async fn read(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        Query(q): Query<AuditQuery>,
    ) -> Res {
        // Parsed here, not by serde, so a bad value is a JSON 400 naming `after`.
        let after: i64 = match q.after.as_deref() {
            None | Some("") => 0,
            Some(v) => v
                .parse()
                .map_err(|_| ApiError::bad("after", format!("`{v}` is not an integer")))?,
        };
        let out = super::read(&st, &caller, &sid, after).await?;
        reply(StatusCode::OK, json!({ "scope": sid, "records": out }))
    }
}

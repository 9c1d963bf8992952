//! The append-only audit log of a superapp, or of the platform.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::PLATFORM;
use crate::http::error::ApiError;
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
    if sid == PLATFORM {
        caller.require(Action::ViewApprovals)?;
        if caller.role.superapp_scoped() {
            return Err(ApiError::Forbidden(format!(
                "role `{}` may not read the platform audit log",
                caller.role.as_str()
            )));
        }
    } else {
        caller.require_superapp(Action::ViewApprovals, &sid)?;
    }
    let rows = sqlx::query(
        "SELECT version, actor, action, target, before_json, after_json, at FROM audit WHERE scope = $1 AND version > $2 ORDER BY version LIMIT 1000",
    )
    .bind(&sid)
    .bind(after)
    .fetch_all(&st.store.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
        out.push(json!({
            "version": r.try_get::<i64, _>("version")?,
            "actor": r.try_get::<String, _>("actor")?,
            "action": r.try_get::<String, _>("action")?,
            "target": r.try_get::<String, _>("target")?,
            "before": parse(r.try_get("before_json")?),
            "after": parse(r.try_get("after_json")?),
            "at": r.try_get::<i64, _>("at")?,
        }));
    }
    reply(StatusCode::OK, json!({ "scope": sid, "records": out }))
}

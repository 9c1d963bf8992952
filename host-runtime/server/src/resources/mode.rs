//! Report mode per app (`policy.md` §1 v2 `apps[].mode`): a superapp turns a
//! new list on for one app in `report` mode first, reads the reports, then
//! enforces. Same roles as the switches.

use guard_core::Mode;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply, Record};
use crate::error::ApiError;
use crate::resources::apps::app_row;
use crate::state::AppState;

/// Sets `app`'s mode; returns the version.
///
/// # Errors
///
/// 404 unknown app; 403 unless the caller may manage its whitelists.
pub async fn set(st: &AppState, caller: &Caller, app: &str, mode: Mode) -> Result<i64, ApiError> {
    let a = app_row(st, app).await?;
    let (_, version) = apply(
        st,
        caller,
        Action::ManageWhitelists,
        &a.superapp_id,
        async |c| {
            let before: Option<String> = sqlx::query("SELECT mode FROM apps WHERE id = $1")
                .bind(app)
                .fetch_optional(&mut *c.tx)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("app `{app}` not found")))?
                .try_get("mode")?;
            sqlx::query("UPDATE apps SET mode = $2 WHERE id = $1")
                .bind(app)
                .bind(mode.as_str())
                .execute(&mut *c.tx)
                .await?;
            let record = Record::new(
                "set_mode",
                format!("app:{app}"),
                Some(json!({ "mode": before })),
                Some(json!({ "mode": mode.as_str() })),
            );
            Ok(((), record))
        },
    )
    .await?;
    Ok(version)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use guard_core::Mode;
    use serde::Deserialize;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, Res};
    use crate::state::AppState;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct ModeBody {
        mode: Mode,
    }

    /// `PUT /api/v1/apps/{app}/mode`: `{"mode":"report"|"enforce"}`.
    pub(crate) async fn set(
        State(st): State<AppState>,
        caller: Caller,
        Path(app): Path<String>,
        JsonBody(b): JsonBody<ModeBody>,
    ) -> Res {
        let version = super::set(&st, &caller, &app, b.mode).await?;
        reply(
            StatusCode::OK,
            json!({"app_id": app, "mode": b.mode.as_str(), "version": version}),
        )
    }
}

//! Teams: the developers' organisations that own apps.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply_platform, Record};
use crate::error::ApiError;
use crate::resources::MAX_TEXT;
use crate::state::AppState;
use crate::util::{check_id, check_text};

/// A new team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A team.
#[derive(Debug, Clone, Serialize)]
pub struct Team {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Creates team `b`.
///
/// # Errors
///
/// 403 (role); 400 naming the field; 409 id taken.
pub async fn create(st: &AppState, caller: &Caller, b: NewTeam) -> Result<Team, ApiError> {
    caller.require(Action::CreateTeam)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let after = json!({"id": b.id, "name": b.name});
    apply_platform(st, caller, Action::CreateTeam, async |c| {
        let exists = sqlx::query("SELECT id FROM teams WHERE id = $1")
            .bind(&b.id)
            .fetch_optional(&mut *c.tx)
            .await?;
        if exists.is_some() {
            return Err(ApiError::Conflict(format!(
                "team `{}` already exists",
                b.id
            )));
        }
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&b.id)
            .bind(&b.name)
            .bind(c.at)
            .execute(&mut *c.tx)
            .await?;
        let record = Record::new(
            "create_team",
            format!("team:{}", b.id),
            None,
            Some(after.clone()),
        );
        Ok(((), record))
    })
    .await?;
    Ok(Team {
        id: b.id,
        name: b.name,
    })
}

/// The teams `caller` may see: a developer sees its own team only.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn list(st: &AppState, caller: &Caller) -> Result<Vec<Team>, ApiError> {
    caller.require(Action::View)?;
    let mut out = Vec::new();
    for row in sqlx::query("SELECT id, name FROM teams ORDER BY id")
        .fetch_all(&st.store.pool)
        .await?
    {
        let id: String = row.try_get("id")?;
        if caller.role == Role::Developer && caller.team_id.as_deref() != Some(id.as_str()) {
            continue;
        }
        out.push(Team {
            id,
            name: row.try_get("name")?,
        });
    }
    Ok(out)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::State;
    use axum::http::StatusCode;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/teams`.
    pub(crate) async fn create(
        State(st): State<AppState>,
        caller: Caller,
        JsonBody(b): JsonBody<super::NewTeam>,
    ) -> Res {
        reply_of(StatusCode::CREATED, &super::create(&st, &caller, b).await?)
    }

    /// `GET /api/v1/teams`.
    pub(crate) async fn list(State(st): State<AppState>, caller: Caller) -> Res {
        let teams = super::list(&st, &caller).await?;
        reply(StatusCode::OK, json!({ "teams": teams }))
    }
}

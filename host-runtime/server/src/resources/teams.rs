//! Teams: the developers' organisations that own apps.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller, Role};
use crate::change::{apply_platform, Record};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::resources::{reply, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_id, check_text};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTeam {
    id: String,
    name: String,
}

/// `POST /api/v1/teams`.
pub(crate) async fn create(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewTeam>,
) -> Res {
    caller.require(Action::CreateTeam)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    let after = json!({"id": b.id, "name": b.name});
    apply_platform(&st, &caller, Action::CreateTeam, async |c| {
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
    reply(StatusCode::CREATED, after)
}

/// `GET /api/v1/teams`: a developer sees its own team only.
pub(crate) async fn list(State(st): State<AppState>, caller: Caller) -> Res {
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
        out.push(json!({"id": id, "name": row.try_get::<String, _>("name")?}));
    }
    reply(StatusCode::OK, json!({ "teams": out }))
}

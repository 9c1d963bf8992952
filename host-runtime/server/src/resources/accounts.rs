//! Accounts: created by the super admin with one role each, plus the
//! bootstrap super admin of a fresh store.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, Action, Caller, Role};
use crate::change::apply_platform;
use crate::change::{Change, Record, PLATFORM};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::resources::{reply, Res, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_id, check_text};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    id: String,
    name: String,
    role: Role,
    #[serde(default)]
    superapp_id: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
}

/// Superapp roles need a superapp, developers a team, platform roles neither.
fn check_binding(b: &NewAccount) -> Result<(), ApiError> {
    match (b.role.superapp_scoped(), b.role == Role::Developer) {
        (true, _) if b.superapp_id.is_none() => Err(ApiError::bad(
            "superapp_id",
            format!("is required for role `{}`", b.role.as_str()),
        )),
        (_, true) if b.team_id.is_none() => {
            Err(ApiError::bad("team_id", "is required for role `developer`"))
        }
        (false, false) if b.superapp_id.is_some() || b.team_id.is_some() => Err(ApiError::bad(
            "role",
            format!(
                "role `{}` is platform-wide: no superapp_id or team_id",
                b.role.as_str()
            ),
        )),
        _ => Ok(()),
    }
}

async fn exists(c: &mut Change, sql: &'static str, id: &str) -> Result<bool, ApiError> {
    Ok(sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut *c.tx)
        .await?
        .is_some())
}

/// `POST /api/v1/accounts`: the token is in the answer, once.
pub(crate) async fn create(
    State(st): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NewAccount>,
) -> Res {
    caller.require(Action::CreateAccount)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    check_binding(&b)?;
    let sid = b
        .superapp_id
        .as_deref()
        .filter(|_| b.role.superapp_scoped());
    let team = b.team_id.as_deref().filter(|_| b.role == Role::Developer);
    let after =
        json!({"id": b.id, "name": b.name, "role": b.role, "superapp_id": sid, "team_id": team});
    let (token, _) = apply_platform(&st, &caller, Action::CreateAccount, async |c| {
        if exists(c, "SELECT id FROM accounts WHERE id = $1", &b.id).await? {
            return Err(ApiError::Conflict(format!(
                "account `{}` already exists",
                b.id
            )));
        }
        if let Some(sid) = &b.superapp_id {
            if !exists(c, "SELECT id FROM superapps WHERE id = $1", sid).await? {
                return Err(ApiError::NotFound(format!("superapp `{sid}` not found")));
            }
        }
        if let Some(team) = &b.team_id {
            if !exists(c, "SELECT id FROM teams WHERE id = $1", team).await? {
                return Err(ApiError::NotFound(format!("team `{team}` not found")));
            }
        }
        let token =
            auth::insert_account(&mut c.tx, &b.id, &b.name, b.role, sid, team, c.at).await?;
        let record = Record::new(
            "create_account",
            format!("account:{}", b.id),
            None,
            Some(after.clone()),
        );
        Ok((token, record))
    })
    .await?;
    let mut body = after;
    body["token"] = json!(token);
    reply(StatusCode::CREATED, body)
}

/// On first start (no account yet), creates the `admin` super admin and returns
/// its token, to be shown to the operator once; `None` afterwards.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn bootstrap(state: &AppState) -> Result<Option<String>, ApiError> {
    let mut change = Change::begin(&state.store, PLATFORM, state.clock.now()).await?;
    let existing = sqlx::query("SELECT id FROM accounts LIMIT 1")
        .fetch_optional(&mut *change.tx)
        .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let token = auth::insert_account(
        &mut change.tx,
        "admin",
        "admin",
        Role::SuperAdmin,
        None,
        None,
        change.at,
    )
    .await?;
    let after = json!({"id": "admin", "role": Role::SuperAdmin.as_str()});
    let record = Record::new("create_account", "account:admin", None, Some(after));
    change.commit("bootstrap", &record).await?;
    Ok(Some(token))
}

//! Accounts: created by the super admin with one role each, plus the
//! bootstrap super admin of a fresh store.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::auth::{self, Action, Caller, Role};
use crate::change::apply_platform;
use crate::change::{Change, Record, PLATFORM};
use crate::error::ApiError;
use crate::resources::{to_json, MAX_TEXT};
use crate::state::AppState;
use crate::util::{check_id, check_text};

/// A new account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Its id (the sign-in name).
    pub id: String,
    /// The person's name.
    pub name: String,
    /// Its one role.
    pub role: Role,
    /// The superapp of a superapp role.
    #[serde(default)]
    pub superapp_id: Option<String>,
    /// The team of a developer.
    #[serde(default)]
    pub team_id: Option<String>,
}

/// An account as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Its id.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The superapp of a superapp role.
    pub superapp_id: Option<String>,
    /// The team of a developer.
    pub team_id: Option<String>,
}

/// A created account, with its bearer token (shown once, stored hashed).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedAccount {
    /// The account.
    #[serde(flatten)]
    pub account: Account,
    /// The bearer token for automation.
    pub token: String,
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

/// Creates account `b`; the answer holds its bearer token, once.
///
/// # Errors
///
/// 403 (role); 400 naming the field; 404 unknown superapp or team; 409 id
/// taken.
pub async fn create(
    st: &AppState,
    caller: &Caller,
    b: NewAccount,
) -> Result<CreatedAccount, ApiError> {
    caller.require(Action::CreateAccount)?;
    check_id("id", &b.id)?;
    check_text("name", &b.name, MAX_TEXT)?;
    check_binding(&b)?;
    let sid = b
        .superapp_id
        .as_deref()
        .filter(|_| b.role.superapp_scoped());
    let team = b.team_id.as_deref().filter(|_| b.role == Role::Developer);
    let account = Account {
        id: b.id.clone(),
        name: b.name.clone(),
        role: b.role,
        superapp_id: sid.map(str::to_owned),
        team_id: team.map(str::to_owned),
    };
    let after = to_json(&account)?;
    let (token, _) = apply_platform(st, caller, Action::CreateAccount, async |c| {
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
    Ok(CreatedAccount { account, token })
}

/// An account as the platform's list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    /// The account.
    #[serde(flatten)]
    pub account: Account,
    /// When it was created.
    pub created_at: i64,
    /// Whether a console password is set.
    pub has_password: bool,
    /// Whether the account is disabled (nothing it holds works).
    pub disabled: bool,
}

/// Every account (the super admin and platform admins).
///
/// # Errors
///
/// 403 (role).
pub async fn list(st: &AppState, caller: &Caller) -> Result<Vec<AccountInfo>, ApiError> {
    caller.require(Action::ViewAccounts)?;
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT id, name, role, superapp_id, team_id, created_at, password_hash, disabled_at FROM accounts ORDER BY id",
    )
    .fetch_all(&st.store.pool)
    .await?
    {
        let role: String = r.try_get("role")?;
        out.push(AccountInfo {
            account: Account {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: Role::parse(&role)
                    .ok_or_else(|| ApiError::Internal(format!("stored role `{role}`")))?,
                superapp_id: r.try_get("superapp_id")?,
                team_id: r.try_get("team_id")?,
            },
            created_at: r.try_get("created_at")?,
            has_password: r.try_get::<Option<String>, _>("password_hash")?.is_some(),
            disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
        });
    }
    Ok(out)
}

/// Whether account `id` is disabled, read inside change `c`.
///
/// # Errors
///
/// [`ApiError::NotFound`] for an unknown account; [`ApiError::Internal`].
pub(crate) async fn is_disabled(c: &mut Change, id: &str) -> Result<bool, ApiError> {
    let Some(row) = sqlx::query("SELECT disabled_at FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c.tx)
        .await?
    else {
        return Err(ApiError::NotFound(format!("account `{id}` not found")));
    };
    Ok(row.try_get::<Option<i64>, _>("disabled_at")?.is_some())
}

/// Disables account `id` (`disabled`) or enables it again: while disabled,
/// its bearer token is refused, its console sessions are gone, its password
/// signs nobody in and no invite can be issued to it (its unused ones are
/// deleted). Nobody disables their own account: the platform would be left
/// without the super admin doing it.
///
/// # Errors
///
/// 403 (role); 404 unknown account; 409 their own account, or already in
/// that state.
pub async fn set_disabled(
    st: &AppState,
    caller: &Caller,
    id: &str,
    disabled: bool,
) -> Result<i64, ApiError> {
    let (_, version) = apply_platform(st, caller, Action::DisableAccount, async |c| {
        let was = is_disabled(c, id).await?;
        if disabled && id == caller.id {
            return Err(ApiError::Conflict(format!(
                "account `{id}` is your own: another super admin must disable it"
            )));
        }
        if was == disabled {
            let state = if disabled { "disabled" } else { "active" };
            return Err(ApiError::Conflict(format!(
                "account `{id}` is already {state}"
            )));
        }
        sqlx::query("UPDATE accounts SET disabled_at = $2 WHERE id = $1")
            .bind(id)
            .bind(disabled.then_some(c.at))
            .execute(&mut *c.tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
                .bind(id)
                .execute(&mut *c.tx)
                .await?;
            sqlx::query("DELETE FROM invites WHERE account_id = $1 AND used_at IS NULL")
                .bind(id)
                .execute(&mut *c.tx)
                .await?;
        }
        let action = if disabled {
            "disable_account"
        } else {
            "enable_account"
        };
        let record = Record::new(
            action,
            format!("account:{id}"),
            Some(json!({ "disabled": was })),
            Some(json!({ "disabled": disabled })),
        );
        Ok(((), record))
    })
    .await?;
    Ok(version)
}

/// Unlocks `id`'s sign-in: every failure counted for it is forgotten (its
/// own count and its browsers', `throttle.rs`), so its owner signs in at
/// once with the right password; the audit log records how many failures
/// were forgotten (`unlock_account`). The super admin's, like disabling.
/// Returns `(failures forgotten, platform version)`.
///
/// # Errors
///
/// 403 (role); 404 unknown account.
pub async fn unlock(st: &AppState, caller: &Caller, id: &str) -> Result<(i64, i64), ApiError> {
    let (forgotten, version) = apply_platform(st, caller, Action::DisableAccount, async |c| {
        is_disabled(c, id).await?;
        let forgotten = crate::throttle::unlock(&mut c.tx, id).await?;
        let record = Record::new(
            "unlock_account",
            format!("account:{id}"),
            Some(json!({ "failures": forgotten })),
            Some(json!({ "failures": 0 })),
        );
        Ok((forgotten, record))
    })
    .await?;
    Ok((forgotten, version))
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

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use serde_json::json;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply, reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/accounts`: the token is in the answer, once.
    pub(crate) async fn create(
        State(st): State<AppState>,
        caller: Caller,
        JsonBody(b): JsonBody<super::NewAccount>,
    ) -> Res {
        reply_of(StatusCode::CREATED, &super::create(&st, &caller, b).await?)
    }

    /// `GET /api/v1/accounts`.
    pub(crate) async fn list(State(st): State<AppState>, caller: Caller) -> Res {
        let accounts = super::list(&st, &caller).await?;
        reply(StatusCode::OK, json!({ "accounts": accounts }))
    }

    async fn set(st: AppState, caller: Caller, id: String, disabled: bool) -> Res {
        let version = super::set_disabled(&st, &caller, &id, disabled).await?;
        let body = json!({ "id": id, "disabled": disabled, "version": version });
        reply(StatusCode::OK, body)
    }

    /// `POST /api/v1/accounts/{id}/disable`.
    pub(crate) async fn disable(
        State(st): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
    ) -> Res {
        set(st, caller, id, true).await
    }

    /// `POST /api/v1/accounts/{id}/enable`.
    pub(crate) async fn enable(
        State(st): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
    ) -> Res {
        set(st, caller, id, false).await
    }

    /// `POST /api/v1/accounts/{id}/unlock`.
    pub(crate) async fn unlock(
        State(st): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
    ) -> Res {
        let (forgotten, version) = super::unlock(&st, &caller, &id).await?;
        let body = json!({ "id": id, "failures_forgotten": forgotten, "version": version });
        reply(StatusCode::OK, body)
    }
}

//! One-time invites: how an account gets (or resets) its console password.
//! The super admin issues one for any account (the bootstrap admin's is
//! printed by `guard serve`); it expires, works once, and only the SHA-256
//! of its code is stored. The link carries the code in the URL fragment
//! (`…/console/invite#gi_…`), which never reaches the server, its logs or a
//! `Referer` (decision 82).

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::{apply_platform, Change, Record, PLATFORM};
use crate::error::ApiError;
use crate::password;
use crate::resources::accounts;
use crate::state::AppState;
use crate::util::{random_hex, sha256_hex};

/// Every invite code starts with this.
pub const PREFIX: &str = "gi_";

/// An issued invite: its code is shown here once.
#[derive(Debug, Clone, Serialize)]
pub struct Invite {
    /// The account it sets the password of.
    pub account_id: String,
    /// The code (`gi_…`), shown once, stored hashed.
    pub code: String,
    /// The link to open (the code in its fragment).
    pub url: String,
    /// Unix seconds: unusable after.
    pub expires_at: i64,
}

/// The link of invite `code`.
pub fn link(st: &AppState, code: &str) -> String {
    format!(
        "{}/console/invite#{code}",
        st.public_url.trim_end_matches('/')
    )
}

/// Writes a new invite of `account_id` inside `c`, revoking its unused
/// ones (one live invite per account).
async fn write(
    st: &AppState,
    c: &mut Change,
    account_id: &str,
    by: &str,
) -> Result<Invite, ApiError> {
    let code = format!("{PREFIX}{}", random_hex(20)?);
    let expires_at = c.at.saturating_add(st.console.invite_lifetime);
    sqlx::query("DELETE FROM invites WHERE account_id = $1 AND used_at IS NULL")
        .bind(account_id)
        .execute(&mut *c.tx)
        .await?;
    sqlx::query(
        "INSERT INTO invites (code_hash, account_id, created_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(sha256_hex(&code))
    .bind(account_id)
    .bind(by)
    .bind(c.at)
    .bind(expires_at)
    .execute(&mut *c.tx)
    .await?;
    Ok(Invite {
        account_id: account_id.to_owned(),
        url: link(st, &code),
        code,
        expires_at,
    })
}

fn record(account_id: &str, expires_at: i64) -> Record {
    // Never the code: the audit log is read by more people than the invitee.
    Record::new(
        "create_invite",
        format!("account:{account_id}"),
        None,
        Some(json!({"account_id": account_id, "expires_at": expires_at})),
    )
}

/// Issues an invite to `account_id` (the super admin), revoking its unused
/// ones.
///
/// # Errors
///
/// 403 (role); 404 unknown account.
pub async fn issue(st: &AppState, caller: &Caller, account_id: &str) -> Result<Invite, ApiError> {
    let (invite, _) = apply_platform(st, caller, Action::CreateAccount, async |c| {
        if accounts::is_disabled(c, account_id).await? {
            return Err(ApiError::Conflict(format!(
                "account `{account_id}` is disabled: enable it before inviting"
            )));
        }
        let invite = write(st, c, account_id, &caller.id).await?;
        let record = record(account_id, invite.expires_at);
        Ok((invite, record))
    })
    .await?;
    Ok(invite)
}

/// While no account has a console password (a fresh install, or one run by
/// automation only), an invite for the bootstrap super admin `admin`, so
/// that `guard serve` can print it; `None` once anyone has a password.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn bootstrap(st: &AppState) -> Result<Option<Invite>, ApiError> {
    let mut c = Change::begin(&st.store, PLATFORM, st.clock.now()).await?;
    let someone = sqlx::query("SELECT id FROM accounts WHERE password_hash IS NOT NULL LIMIT 1")
        .fetch_optional(&mut *c.tx)
        .await?;
    let admin = sqlx::query("SELECT id FROM accounts WHERE id = 'admin' AND disabled_at IS NULL")
        .fetch_optional(&mut *c.tx)
        .await?;
    if someone.is_some() || admin.is_none() {
        return Ok(None); // dropped: rolled back, no version used
    }
    let invite = write(st, &mut c, "admin", "bootstrap").await?;
    c.commit("bootstrap", &record("admin", invite.expires_at))
        .await?;
    Ok(Some(invite))
}

/// The message for every invite that cannot be used, whatever the reason
/// (unknown, used, expired): a guesser learns nothing.
pub const UNUSABLE: &str = "this invite is unknown, already used or expired: ask for a new one";

/// Redeems invite `code`: sets the account's password (checked first, so a
/// refused password leaves the invite usable), ends its sessions, and marks
/// the invite used (a compare-and-set: of two racing uses one wins).
/// Returns the account id.
///
/// # Errors
///
/// 400 naming `code` ([`UNUSABLE`]) or `password`.
pub async fn redeem(st: &AppState, code: &str, new_password: &str) -> Result<String, ApiError> {
    let code = code.trim();
    let now = st.clock.now();
    let hash = sha256_hex(code);
    let row = sqlx::query(
        "SELECT i.account_id, a.name FROM invites i JOIN accounts a ON a.id = i.account_id \
         WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(&st.store.pool)
    .await?
    .ok_or_else(|| ApiError::bad("code", UNUSABLE))?;
    let account: String = row.try_get("account_id")?;
    password::check_new(new_password, &account, &row.try_get::<String, _>("name")?)?;
    let phc = st.hasher.hash(new_password).await?;
    let mut c = Change::begin(&st.store, PLATFORM, st.clock.now()).await?;
    let used = sqlx::query(
        "UPDATE invites SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING account_id",
    )
    .bind(&hash)
    .bind(c.at)
    .fetch_optional(&mut *c.tx)
    .await?;
    if used.is_none() {
        return Err(ApiError::bad("code", UNUSABLE));
    }
    // A disabled account's invites were deleted with its disabling; one
    // racing it is refused like any unusable invite (and stays unused).
    let set =
        sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1 AND disabled_at IS NULL")
            .bind(&account)
            .bind(&phc)
            .execute(&mut *c.tx)
            .await?;
    if set.rows_affected() == 0 {
        return Err(ApiError::bad("code", UNUSABLE));
    }
    sqlx::query("DELETE FROM console_sessions WHERE account_id = $1")
        .bind(&account)
        .execute(&mut *c.tx)
        .await?;
    let record = Record::new(
        "set_password",
        format!("account:{account}"),
        None,
        Some(json!({"account_id": account, "by": "invite"})),
    );
    c.commit(&account, &record).await?;
    Ok(account)
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;

    use crate::auth::Caller;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;

    /// `POST /api/v1/accounts/{id}/invites`: a new one-time invite (the
    /// code and link shown once).
    pub(crate) async fn issue(
        State(st): State<AppState>,
        caller: Caller,
        Path(id): Path<String>,
    ) -> Res {
        reply_of(StatusCode::CREATED, &super::issue(&st, &caller, &id).await?)
    }
}

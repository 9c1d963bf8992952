//! Accounts, roles and the one table that says which role may do what
//! (the sensitive API management seed's "Roles and permissions").

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::error::ApiError;
use crate::state::AppState;
use crate::util;

/// A console role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Platform owner: manages the platform (superapps, teams, accounts);
    /// read-only in sensitive API management.
    SuperAdmin,
    /// Platform operator: creates superapps and teams; read-only in
    /// sensitive API management.
    PlatformAdmin,
    /// Superapp administrator: manage APIs, approve, revoke (one superapp).
    SuperappAdmin,
    /// Superapp senior developer: manage APIs and revoke, never approve.
    SuperappSeniorDeveloper,
    /// Review staff: approve or reject, never manage or revoke.
    ReviewStaff,
    /// A mini program/game developer of one team: requests permissions for
    /// the team's own apps.
    Developer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 6] = [
        Role::SuperAdmin,
        Role::PlatformAdmin,
        Role::SuperappAdmin,
        Role::SuperappSeniorDeveloper,
        Role::ReviewStaff,
        Role::Developer,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::PlatformAdmin => "platform_admin",
            Role::SuperappAdmin => "superapp_admin",
            Role::SuperappSeniorDeveloper => "superapp_senior_developer",
            Role::ReviewStaff => "review_staff",
            Role::Developer => "developer",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role is bound to one superapp.
    pub fn superapp_scoped(self) -> bool {
        matches!(
            self,
            Role::SuperappAdmin | Role::SuperappSeniorDeveloper | Role::ReviewStaff
        )
    }
}

/// Something a caller may try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a superapp.
    CreateSuperapp,
    /// Change a superapp's SecretKey or backend domain.
    ConfigureSuperapp,
    /// Create a team.
    CreateTeam,
    /// Create an account, or issue an invite to one.
    CreateAccount,
    /// List the accounts.
    ViewAccounts,
    /// Disable an account (its token, sessions, password and invites stop
    /// working) or enable it again, or unlock its sign-in.
    DisableAccount,
    /// Create a mini program or game.
    CreateApp,
    /// Read a superapp, its sensitive API list, an app.
    View,
    /// Add, restrict, allow or delete sensitive APIs.
    ManageApis,
    /// Read permission requests, the approved list, the authorized apps and the audit log.
    ViewApprovals,
    /// Approve or reject a request.
    Decide,
    /// Approve or reject an app's binding to the superapp.
    DecideBinding,
    /// Revoke an authorization.
    Revoke,
    /// Request a permission for an app.
    RequestPermission,
    /// Switches and whitelists.
    ManageWhitelists,
    /// Download a superapp's configuration file (`config.json`).
    DownloadConfig,
    /// Upload a code package (a version) of an app.
    UploadVersion,
    /// Submit a version of an app for release.
    SubmitRelease,
    /// Approve or reject a release request.
    DecideRelease,
    /// Remove (delist) a released mini program.
    RemoveRelease,
    /// Download a submitted package and read its file list (review).
    DownloadPackage,
}

impl Action {
    /// The name used in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CreateSuperapp => "create_superapp",
            Action::ConfigureSuperapp => "configure_superapp",
            Action::CreateTeam => "create_team",
            Action::CreateAccount => "create_account",
            Action::ViewAccounts => "view_accounts",
            Action::DisableAccount => "disable_account",
            Action::CreateApp => "create_app",
            Action::View => "view",
            Action::ManageApis => "manage_apis",
            Action::ViewApprovals => "view_approvals",
            Action::Decide => "decide_request",
            Action::DecideBinding => "decide_binding",
            Action::Revoke => "revoke",
            Action::RequestPermission => "request_permission",
            Action::ManageWhitelists => "manage_whitelists",
            Action::DownloadConfig => "download_config",
            Action::UploadVersion => "upload_version",
            Action::SubmitRelease => "submit_release",
            Action::DecideRelease => "decide_release",
            Action::RemoveRelease => "remove_release",
            Action::DownloadPackage => "download_package",
        }
    }
}

/// The permission table. Scope (which superapp, which team) is checked
/// separately by [`Caller::require_superapp`] / [`Caller::require_team`].
pub fn allowed(role: Role, action: Action) -> bool {
    use Action as A;
    use Role as R;
    match action {
        A::CreateSuperapp | A::CreateTeam => matches!(role, R::SuperAdmin | R::PlatformAdmin),
        A::CreateAccount | A::DisableAccount => role == R::SuperAdmin,
        A::ViewAccounts => matches!(role, R::SuperAdmin | R::PlatformAdmin),
        A::ConfigureSuperapp => role == R::SuperappAdmin,
        A::CreateApp => matches!(role, R::SuperAdmin | R::PlatformAdmin | R::Developer),
        A::View => true,
        A::ManageApis | A::ManageWhitelists | A::Revoke => {
            matches!(role, R::SuperappAdmin | R::SuperappSeniorDeveloper)
        }
        A::ViewApprovals => role != R::Developer,
        A::Decide | A::DecideBinding => matches!(role, R::SuperappAdmin | R::ReviewStaff),
        A::RequestPermission => role == R::Developer,
        // Application management (seed 001).
        A::DownloadConfig => matches!(
            role,
            R::SuperAdmin | R::PlatformAdmin | R::SuperappAdmin | R::SuperappSeniorDeveloper
        ),
        A::UploadVersion | A::SubmitRelease => role == R::Developer,
        // Who reviews a package may open it (decision 424).
        A::DecideRelease | A::RemoveRelease | A::DownloadPackage => {
            matches!(role, R::SuperappAdmin | R::ReviewStaff)
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// The superapp of a superapp-scoped role.
    pub superapp_id: Option<String>,
    /// The team of a developer.
    pub team_id: Option<String>,
}

impl Caller {
    /// Refuses unless the role may do `action`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Forbidden`] naming the role and the action.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if allowed(self.role, action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "role `{}` may not `{}`",
                self.role.as_str(),
                action.as_str()
            )))
        }
    }

    /// [`Caller::require`], then the superapp scope: a superapp-scoped role
    /// acts on its own superapp only. Developers are scoped by team instead
    /// (checked by the caller of this with [`Caller::require_team`]).
    ///
    /// # Errors
    ///
    /// [`ApiError::Forbidden`].
    pub fn require_superapp(&self, action: Action, superapp_id: &str) -> Result<(), ApiError> {
        self.require(action)?;
        if self.role.superapp_scoped() && self.superapp_id.as_deref() != Some(superapp_id) {
            return Err(ApiError::Forbidden(format!(
                "account `{}` does not belong to superapp `{superapp_id}`",
                self.id
            )));
        }
        Ok(())
    }

    /// Whether the caller may do `action` on superapp `sid`: what the
    /// console asks to show a button, exactly as [`Caller::require_superapp`]
    /// decides (the service layer asks that one and refuses anyway).
    pub fn may(&self, action: Action, sid: &str) -> bool {
        self.require_superapp(action, sid).is_ok()
    }

    /// Whether the role may do `action` at all ([`Caller::require`]).
    pub fn may_platform(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }

    /// For developers: the team must be theirs.
    ///
    /// # Errors
    ///
    /// [`ApiError::Forbidden`].
    pub fn require_team(&self, team_id: &str) -> Result<(), ApiError> {
        if self.role == Role::Developer && self.team_id.as_deref() != Some(team_id) {
            return Err(ApiError::Forbidden(format!(
                "account `{}` is not a developer of team `{team_id}`",
                self.id
            )));
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let row = sqlx::query(
            "SELECT id, role, superapp_id, team_id FROM accounts WHERE token_hash = $1 AND disabled_at IS NULL",
        )
        .bind(util::sha256_hex(token))
        .fetch_optional(&state.store.pool)
        .await?
        .ok_or(ApiError::Unauthorized)?;
        let role: String = row.try_get("role")?;
        Ok(Caller {
            id: row.try_get("id")?,
            role: Role::parse(&role)
                .ok_or_else(|| ApiError::Internal(format!("stored role `{role}`")))?,
            superapp_id: row.try_get("superapp_id")?,
            team_id: row.try_get("team_id")?,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is
/// case-insensitive and followed by one or more spaces (RFC 9110 §11.1,
/// §11.4).
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// Creates an account and returns its token (shown once, stored hashed).
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn insert_account(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
    name: &str,
    role: Role,
    superapp_id: Option<&str>,
    team_id: Option<&str>,
    now: i64,
) -> Result<String, ApiError> {
    let token = format!("gt_{}", util::random_hex(24)?);
    sqlx::query(
        "INSERT INTO accounts (id, name, role, superapp_id, team_id, token_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(name)
    .bind(role.as_str())
    .bind(superapp_id)
    .bind(team_id)
    .bind(util::sha256_hex(&token))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

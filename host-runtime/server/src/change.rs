//! The one sequence every console change runs: authorise → begin (the
//! version bump) → load/check and change (the handler's part) → audit record
//! → commit. A handler says only what is particular to it: what it checks,
//! what it changes, and what the audit record says.
//!
//! Why the version bump comes first in the transaction: it takes the write
//! lock at once (SQLite) or the scope row's lock (PostgreSQL), so concurrent
//! changes of one scope serialise and each reads what the previous committed.

use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use crate::auth::{Action, Caller};
use crate::error::ApiError;
use crate::notify::watch::Watch;
use crate::notify::CHANNEL;
use crate::policy;
use crate::state::AppState;
use crate::store::{Backend, Store};

/// The scope of platform-wide changes (teams, accounts, superapps). Never a
/// superapp id: ids start with a letter or digit.
pub const PLATFORM: &str = "_platform";

/// One change in flight: its transaction and the version it claimed.
#[derive(Debug)]
pub struct Change {
    /// The transaction; dropped without commit = rolled back.
    pub tx: Transaction<'static, Any>,
    /// The scope (superapp id or [`PLATFORM`]).
    pub scope: String,
    /// The new version of the scope.
    pub version: i64,
    /// When.
    pub at: i64,
    /// Whose waiters the commit wakes, and how other processes learn of it.
    announce: (Watch, Backend),
}

/// What the audit log says about a change.
#[derive(Debug, Clone)]
pub struct Record {
    /// The audit action (`create_app`, `approve_request`, …).
    pub action: &'static str,
    /// What was changed (`app:mp1`, `request:req_…`).
    pub target: String,
    /// The state before (`None`: created).
    pub before: Option<Value>,
    /// The state after (`None`: deleted).
    pub after: Option<Value>,
}

impl Record {
    /// A record of `action` on `target`.
    pub fn new(
        action: &'static str,
        target: impl Into<String>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Record {
        Record {
            action,
            target: target.into(),
            before,
            after,
        }
    }
}

/// Runs one change of superapp `sid` by `caller`: `action` must be allowed
/// on it (superapp roles: their own superapp only), then `work` checks and
/// changes inside the transaction and says what to record. An error anywhere
/// rolls everything back. Returns `work`'s value and the new version.
///
/// # Errors
///
/// [`ApiError::Forbidden`] before anything is read; [`ApiError::NotFound`]
/// for an unknown superapp (and for [`PLATFORM`], which is none); whatever
/// `work` returns; [`ApiError::Internal`] on a store failure.
pub async fn apply<T>(
    st: &AppState,
    caller: &Caller,
    action: Action,
    sid: &str,
    work: impl AsyncFnOnce(&mut Change) -> Result<(T, Record), ApiError>,
) -> Result<(T, i64), ApiError> {
    if sid == PLATFORM {
        return Err(ApiError::NotFound(format!("superapp `{sid}` not found")));
    }
    caller.require_superapp(action, sid)?;
    run(st, caller, sid, work).await
}

/// [`apply`] for a platform change (teams, accounts, superapps).
///
/// # Errors
///
/// As [`apply`].
pub async fn apply_platform<T>(
    st: &AppState,
    caller: &Caller,
    action: Action,
    work: impl AsyncFnOnce(&mut Change) -> Result<(T, Record), ApiError>,
) -> Result<(T, i64), ApiError> {
    caller.require(action)?;
    run(st, caller, PLATFORM, work).await
}

async fn run<T>(
    st: &AppState,
    caller: &Caller,
    scope: &str,
    work: impl AsyncFnOnce(&mut Change) -> Result<(T, Record), ApiError>,
) -> Result<(T, i64), ApiError> {
    let mut change = Change::begin(&st.store, scope, st.clock.now()).await?;
    let (value, record) = work(&mut change).await?;
    let version = change.commit(&caller.id, &record).await?;
    Ok((value, version))
}

impl Change {
    /// Starts a change of `scope` by bumping its version (see the module doc).
    ///
    /// # Errors
    ///
    /// [`ApiError::NotFound`] for an unknown scope; [`ApiError::Internal`] on a
    /// store failure.
    pub async fn begin(store: &Store, scope: &str, at: i64) -> Result<Change, ApiError> {
        let mut tx = store.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE versions SET version = version + 1, updated_at = $2 WHERE scope = $1 RETURNING version",
        )
        .bind(scope)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(ApiError::NotFound(format!("superapp `{scope}` not found")));
        };
        let version: i64 = row.try_get("version")?;
        Ok(Change {
            tx,
            scope: scope.to_owned(),
            version,
            at,
            announce: (store.watch.clone(), store.backend),
        })
    }

    /// Starts a change of `scope` only if its version is still `expected`
    /// (a compare-and-set: of several servers re-issuing one stale bundle,
    /// one does); `None` when another change came first.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] on a store failure.
    pub async fn begin_if(
        store: &Store,
        scope: &str,
        expected: i64,
        at: i64,
    ) -> Result<Option<Change>, ApiError> {
        let mut tx = store.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE versions SET version = version + 1, updated_at = $3 WHERE scope = $1 AND version = $2 RETURNING version",
        )
        .bind(scope)
        .bind(expected)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Change {
            tx,
            scope: scope.to_owned(),
            version: row.try_get("version")?,
            at,
            announce: (store.watch.clone(), store.backend),
        }))
    }

    /// Validates the superapp's policy as it stands inside the change, with
    /// guard-core's own load-time rules (entries, lengths, duplicates), so the
    /// server can never publish a bundle the guard would refuse. A refusal
    /// blames `field` of the request.
    ///
    /// # Errors
    ///
    /// [`ApiError::BadRequest`] naming `field`.
    pub async fn validate(&mut self, field: &str) -> Result<(), ApiError> {
        let policy = policy::build(&mut self.tx, &self.scope, None).await?;
        policy.validate().map_err(|e| {
            ApiError::bad(
                field,
                format!("refused by the policy rules: {}: {}", e.field, e.reason),
            )
        })
    }

    /// Writes an audit record of `scope` at `version` (the change's own, or
    /// the first one of a superapp the change creates).
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] on a store failure.
    pub async fn record_at(
        &mut self,
        scope: &str,
        version: i64,
        actor: &str,
        record: &Record,
    ) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO audit (scope, version, actor, action, target, before_json, after_json, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(scope)
        .bind(version)
        .bind(actor)
        .bind(record.action)
        .bind(&record.target)
        .bind(record.before.as_ref().map(ToString::to_string))
        .bind(record.after.as_ref().map(ToString::to_string))
        .bind(self.at)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Writes the audit record and commits; returns the new version. Then
    /// the scope's waiters wake: this process's at once, every other
    /// process's on PostgreSQL through a `NOTIFY` sent inside the
    /// transaction, so it is delivered exactly when the change is visible.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] on a store failure (nothing is committed).
    pub async fn commit(mut self, actor: &str, record: &Record) -> Result<i64, ApiError> {
        let (scope, version) = (self.scope.clone(), self.version);
        self.record_at(&scope, version, actor, record).await?;
        let (watch, backend) = self.announce;
        if backend == Backend::Postgres {
            // `pg_notify` returns `void`, which the `Any` driver cannot
            // decode: selected from, not returned.
            sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS n")
                .bind(CHANNEL)
                .bind(&scope)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        watch.wake(&scope);
        Ok(version)
    }
}

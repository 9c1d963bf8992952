//! A superapp's blocked hosts (`policy.md` §1 v2 `blocked_hosts`, §3.3 rule
//! 4a): host patterns no app of the superapp may reach, whatever its lists
//! and switches say. The console keeps the superapp's own patterns; every
//! bundle also blocks the superapp's backend host and this server's
//! openserver host (mini programs reach either only through the superapp
//! and the login API, never by themselves).

use guard_core::HostPattern;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::auth::{Action, Caller};
use crate::change::apply;
use crate::change::{Change, Record};
use crate::error::ApiError;
use crate::policy;
use crate::resources::superapps::require_view;
use crate::resources::Versioned;
use crate::state::AppState;

/// Most patterns the console keeps per superapp.
pub const MAX_BLOCKED_HOSTS: usize = 200;

/// The host part of a `host:port` listen address, when it is a host name a
/// bundle can block (not an IP address, not `localhost`).
pub fn listen_host(listen: &str) -> Option<String> {
    let host = listen.rsplit_once(':').map_or(listen, |(h, _)| h);
    HostPattern::parse(host).ok().map(|p| p.to_string())
}

/// A superapp's blocked hosts.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedHosts {
    /// The superapp.
    pub superapp_id: String,
    /// The console's own patterns, normalised, sorted.
    pub blocked_hosts: Vec<String>,
    /// Blocked in every bundle besides them: the backend domain's host and
    /// the server's openserver host.
    pub defaults: Vec<String>,
}

/// The blocked hosts of `sid`, read as the superapp is.
///
/// # Errors
///
/// 403 unless the caller may read the superapp; 404.
pub async fn get(st: &AppState, caller: &Caller, sid: &str) -> Result<BlockedHosts, ApiError> {
    require_view(st, caller, sid).await?;
    let mut conn = st.store.pool.acquire().await?;
    Ok(BlockedHosts {
        superapp_id: sid.to_owned(),
        blocked_hosts: policy::own_blocked_hosts(&mut conn, sid).await?,
        defaults: policy::default_blocked_hosts(&mut conn, sid).await?,
    })
}

/// Replaces the console's patterns of `sid` (the defaults stay).
///
/// # Errors
///
/// 400 naming `blocked_hosts` or `blocked_hosts[i]`; 403 unless the caller
/// may manage whitelists of `sid`.
pub async fn put(
    st: &AppState,
    caller: &Caller,
    sid: &str,
    blocked_hosts: &[String],
) -> Result<Versioned<BlockedHosts>, ApiError> {
    if blocked_hosts.len() > MAX_BLOCKED_HOSTS {
        return Err(ApiError::bad(
            "blocked_hosts",
            format!(
                "has {} patterns; at most {MAX_BLOCKED_HOSTS} allowed",
                blocked_hosts.len()
            ),
        ));
    }
    let mut patterns = Vec::with_capacity(blocked_hosts.len());
    for (i, raw) in blocked_hosts.iter().enumerate() {
        let p = HostPattern::parse(raw).map_err(|e| {
            ApiError::bad(
                format!("blocked_hosts[{i}]"),
                format!("`{raw}` is not a host pattern: it {e}"),
            )
        })?;
        patterns.push(p.to_string());
    }
    patterns.sort();
    patterns.dedup();
    let (defaults, version) = apply(st, caller, Action::ManageWhitelists, sid, async |c| {
        let before = policy::own_blocked_hosts(&mut c.tx, sid).await?;
        sqlx::query("DELETE FROM blocked_hosts WHERE superapp_id = $1")
            .bind(sid)
            .execute(&mut *c.tx)
            .await?;
        for p in &patterns {
            sqlx::query("INSERT INTO blocked_hosts (superapp_id, pattern) VALUES ($1, $2)")
                .bind(sid)
                .bind(p)
                .execute(&mut *c.tx)
                .await?;
        }
        c.validate("blocked_hosts").await?;
        let defaults = policy::default_blocked_hosts(&mut c.tx, sid).await?;
        let record = Record::new(
            "set_blocked_hosts",
            format!("superapp:{sid}"),
            Some(json!({"blocked_hosts": before})),
            Some(json!({"blocked_hosts": patterns})),
        );
        Ok((defaults, record))
    })
    .await?;
    Ok(Versioned {
        item: BlockedHosts {
            superapp_id: sid.to_owned(),
            blocked_hosts: patterns,
            defaults,
        },
        version,
    })
}

/// At start: records `host` as the openserver host of every superapp whose
/// bundles block another (or none), one change each, by `server`, so a new
/// `--openserver-host` reaches devices as a new version.
///
/// # Errors
///
/// [`ApiError::Internal`] on a store failure.
pub async fn reconcile_openserver_host(st: &AppState) -> Result<(), ApiError> {
    let host = st.openserver_host.as_deref();
    for row in sqlx::query("SELECT id, openserver_host FROM superapps ORDER BY id")
        .fetch_all(&st.store.pool)
        .await?
    {
        let sid: String = row.try_get("id")?;
        let recorded: Option<String> = row.try_get("openserver_host")?;
        if recorded.as_deref() == host {
            continue;
        }
        let mut c = Change::begin(&st.store, &sid, st.clock.now()).await?;
        sqlx::query("UPDATE superapps SET openserver_host = $2 WHERE id = $1")
            .bind(&sid)
            .bind(host)
            .execute(&mut *c.tx)
            .await?;
        let record = Record::new(
            "set_openserver_host",
            format!("superapp:{sid}"),
            Some(json!({"openserver_host": recorded})),
            Some(json!({"openserver_host": host})),
        );
        c.commit("server", &record).await?;
    }
    Ok(())
}

/// The JSON handlers.
pub(crate) mod json {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use serde::Deserialize;

    use crate::auth::Caller;
    use crate::http::json::JsonBody;
    use crate::resources::{reply_of, Res};
    use crate::state::AppState;

    /// `GET /api/v1/superapps/{sid}/blocked-hosts`.
    pub(crate) async fn get(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
    ) -> Res {
        reply_of(StatusCode::OK, &super::get(&st, &caller, &sid).await?)
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct BlockedBody {
        blocked_hosts: Vec<String>,
    }

    /// `PUT /api/v1/superapps/{sid}/blocked-hosts`.
    pub(crate) async fn put(
        State(st): State<AppState>,
        caller: Caller,
        Path(sid): Path<String>,
        JsonBody(b): JsonBody<BlockedBody>,
    ) -> Res {
        reply_of(
            StatusCode::OK,
            &super::put(&st, &caller, &sid, &b.blocked_hosts).await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::origin_host;

    #[test]
    fn hosts_of_origins_and_listen_addresses() {
        assert_eq!(
            origin_host("https://API.Example.com:8443").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            origin_host("https://api.example.com").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(origin_host("https://10.0.0.1"), None);
        assert_eq!(
            listen_host("guard.example.com:8080").as_deref(),
            Some("guard.example.com")
        );
        assert_eq!(listen_host("127.0.0.1:8080"), None);
        assert_eq!(listen_host("localhost:8080"), None);
        assert_eq!(listen_host("[::1]:8080"), None);
    }
}

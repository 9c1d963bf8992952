//! On PostgreSQL, the changes that other `guard serve` processes sharing
//! the database commit: one `LISTEN guard_change` connection per process
//! wakes the waiters of each announced scope ([`Watch::wake`]); every change
//! sends its `NOTIFY` inside its own transaction
//! ([`crate::change::Change::commit`]), so it arrives exactly when the
//! change is visible.
//!
//! Notifications sent while the connection is down are lost, so after every
//! (re)connection, once `LISTEN` is in force again, every waiter of this
//! process is woken and reads its scope again: nothing committed in the gap
//! is missed, at the price of one read per waiter. A connection that dies
//! without a word (a half-open TCP connection) is caught by the heartbeat:
//! each process announces an empty scope every [`HEARTBEAT`], and a listener
//! that hears nothing at all for two of them reconnects.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::AnyPool;

use crate::notify::watch::{Watch, WeakWatch};
use crate::notify::CHANNEL;

/// How often each process announces the empty scope (which wakes nobody).
pub const HEARTBEAT: Duration = Duration::from_secs(20);

/// The `application_name` of this process's listening connection
/// (`pg_stat_activity` shows which connection listens for which process).
pub fn application_name() -> String {
    format!("guard-listen-{}", std::process::id())
}

/// Starts listening for the changes of other processes, and the heartbeat.
/// Both tasks end once the store (its [`Watch`]) is gone.
pub fn spawn(options: PgConnectOptions, pool: AnyPool, watch: &Watch) {
    let options = options.application_name(&application_name());
    tokio::spawn(listen(options, watch.downgrade()));
    tokio::spawn(heartbeat(pool, watch.downgrade()));
}

async fn listen(options: PgConnectOptions, watch: WeakWatch) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match connect(&options).await {
            Ok(listener) => listener,
            Err(e) => {
                if watch.upgrade().is_none() {
                    return;
                }
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot listen for changes of other servers");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        // LISTEN is in force: whatever was committed before it, waiters
        // read again.
        match watch.upgrade() {
            Some(w) => w.wake_all(),
            None => return,
        }
        tracing::debug!("listening for changes of other servers");
        loop {
            match tokio::time::timeout(HEARTBEAT * 2, listener.try_recv()).await {
                Ok(Ok(Some(notification))) => match watch.upgrade() {
                    Some(w) => w.wake(notification.payload()),
                    None => return,
                },
                Ok(Ok(None)) => {
                    tracing::warn!("lost the connection listening for changes; reconnecting");
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "listening for changes failed; reconnecting");
                    break;
                }
                Err(_) => {
                    tracing::warn!(
                        "no heartbeat on the connection listening for changes; reconnecting"
                    );
                    break;
                }
            }
            if watch.upgrade().is_none() {
                return;
            }
        }
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    // A pool of one, only to hold the connection: a fresh one on each
    // reconnection, so nothing of a dead connection is reused.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn heartbeat(pool: AnyPool, watch: WeakWatch) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        if watch.upgrade().is_none() {
            return;
        }
        let sent = sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, '')) AS n")
            .bind(CHANNEL)
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "heartbeat of the change feed failed");
        }
    }
}

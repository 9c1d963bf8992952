//! The change notifier: who waits for a scope to change and waking them
//! ([`watch`]), and on PostgreSQL hearing the changes other processes commit
//! ([`listen`]). It sits below the store (which owns a [`watch::Watch`] and
//! starts the listener) and below everything that commits or waits, so
//! neither the store nor a change needs the distribution layer.

pub mod listen;
pub mod watch;

/// The PostgreSQL channel every change is announced on, with its scope as
/// payload (`docs/protocols.md` P1).
pub const CHANNEL: &str = "guard_change";

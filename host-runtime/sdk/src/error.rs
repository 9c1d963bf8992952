//! Why the SDK could not start, or a sync or a send failed.

use std::path::PathBuf;
use std::time::Duration;

use guard_core::LoadError;
use guard_wasm_host::HostError;
use thiserror::Error;

/// Why the SDK could not start, or why one sync round or report send failed.
/// A failed round changes nothing enforced: the last good bundle stays in
/// force until it expires.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SdkError {
    /// The configuration file is not one this SDK can boot from.
    #[error("invalid configuration: `{field}`: {reason}")]
    Config {
        /// The field (`config` for the file as a whole).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration file could not be read.
    #[error("cannot read the configuration `{path}`: {source}")]
    ConfigRead {
        /// The path tried.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The state directory could not be created, locked, read or written.
    #[error("state directory `{path}`: {source}")]
    State {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another SDK (in this or another process) holds the state directory.
    #[error("the state directory `{0}` is in use by another SDK")]
    Locked(PathBuf),
    /// The guard module or its instance refused what it was given.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A request failed: no connection, a timeout, or an answer that is not
    /// the one expected (`status` when the server answered).
    #[error("`{url}`: {reason}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
        /// What the server's `Retry-After` asked for.
        retry_after: Option<Duration>,
    },
    /// The server's key set was refused (not a key set, or the guard could
    /// not be re-keyed with it); the guard keeps its keys.
    #[error("key set from `{url}` refused: {reason}")]
    Keys {
        /// Where it came from.
        url: String,
        /// Why.
        reason: String,
    },
    /// A bundle was refused by the guard; the one in force stays.
    #[error("bundle refused: {0}")]
    Load(LoadError),
    /// This SDK has fixed keys and no configuration: it does not sync or
    /// send reports.
    #[error("this SDK was started with fixed keys and no configuration: it does not sync")]
    NotSynced,
    /// [`crate::Sdk::shutdown`] was called.
    #[error("the SDK is shut down")]
    Shutdown,
}

impl SdkError {
    /// What the server asked for in `Retry-After`, if this is its answer.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            SdkError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

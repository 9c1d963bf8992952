//! Why the host could not start.

use std::path::PathBuf;

use thiserror::Error;

use guard_abi::ABI_VERSION;

/// Why the host could not start, or refused what it was given.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HostError {
    /// The module file could not be read.
    #[error("cannot read the guard module `{path}`: {source}")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// wasmtime refused the configuration or the module.
    #[error("cannot compile the guard module: {0}")]
    Compile(String),
    /// The module lacks an export of the raw ABI (not a guard module?).
    #[error("the guard module has no raw ABI export `{0}`")]
    MissingExport(String),
    /// The module speaks another raw ABI version.
    #[error("the guard module speaks raw ABI version `{0}`, this host speaks {ABI_VERSION}")]
    AbiVersion(i32),
    /// The keys (a SecretKey or a key-set JSON) were refused by the guard.
    #[error("invalid keys: {0}")]
    Secret(String),
    /// The module's tables (kind numbers, code names, errnos, the report bit)
    /// differ from this host's guard-core: it was built from another one.
    #[error("the guard module was built from another guard-core: {0}")]
    Tables(String),
    /// The instance could not be created or set up.
    #[error("cannot start a guard instance: {0}")]
    Instance(String),
    /// The pin of a precompiled artifact is not a SHA-256 (64 hex digits).
    #[error("the pinned sha256 of the precompiled guard module is not 64 hex digits: `{0}`")]
    ArtifactPin(String),
    /// A precompiled artifact is not the one pinned (modified, truncated, or
    /// another build); refused before it was deserialised.
    #[error("the precompiled guard module's sha256 is `{actual}`, not the pinned `{pinned}`: refused unread")]
    ArtifactDigest {
        /// The SHA-256 of the bytes given.
        actual: String,
        /// The pin.
        pinned: String,
    },
    /// The guard refused an anti-rollback floor (malformed, another
    /// superapp's, or contradicting what it accepted); nothing changed.
    #[error("floor refused: {0}")]
    Floor(String),
}

//! The store: one sqlx `Any` pool over SQLite (embedded, WAL) or PostgreSQL.
//!
//! Why `Any` and not a trait with two implementations: every query is written
//! once in the SQL both engines accept (`$n` placeholders, `TEXT`/`BIGINT`,
//! `ON CONFLICT`, `RETURNING`), so the two backends cannot drift apart; the
//! tests run the same API suite over both.

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::notify::listen;
use crate::notify::watch::Watch;

/// The migrations, in order; each runs once, in a transaction. Migration
/// 44 is code, not SQL: it seals the secrets older servers stored in clear,
/// and needs the KEK, so `guard serve` runs it once the KEK is loaded
/// (`distribution/secrets.rs`). (Numbers follow the work that added them,
/// so that parallel work never takes one number twice.)
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_bindings.sql")),
    (3, include_str!("../migrations/0003_bundle_keys.sql")),
    (
        4,
        include_str!("../migrations/0004_blocked_hosts_and_modes.sql"),
    ),
    (5, include_str!("../migrations/0005_signing_keys.sql")),
    (6, include_str!("../migrations/0006_applications.sql")),
    (7, include_str!("../migrations/0007_console_sign_in.sql")),
    (8, include_str!("../migrations/0008_device_loop.sql")),
    (9, include_str!("../migrations/0009_disabled_accounts.sql")),
    (30, include_str!("../migrations/0030_keysets.sql")),
    (31, include_str!("../migrations/0031_v3_lists.sql")),
];

/// The PostgreSQL advisory lock held while migrating (any constant unique
/// to this program: `guard_mg` in ASCII).
const MIGRATION_LOCK: i64 = 0x6775_6172_645f_6d67;

/// Which engine the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in a data directory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The server's store.
#[derive(Debug, Clone)]
pub struct Store {
    /// The connection pool.
    pub pool: AnyPool,
    /// The engine.
    pub backend: Backend,
    /// The data directory of an SQLite store (code packages are files in
    /// it); `None` for PostgreSQL, whose packages live in the database.
    pub data_dir: Option<std::path::PathBuf>,
    /// Who waits for which scope to change; every committed change wakes
    /// its scope's waiters.
    pub watch: Watch,
}

/// A store error at startup.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create data directory `{0}`: {1}")]
    DataDir(String, std::io::Error),
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database url scheme in `{0}` (use postgres:// or a data directory)")]
    Scheme(String),
    /// The database refused.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration {0}: {1}")]
    Migration(i64, sqlx::Error),
    /// The database file's permissions could not be set.
    #[error("cannot make `{0}` private to the server (mode 0600): {1}")]
    Mode(String, std::io::Error),
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `dir`, in WAL mode
    /// with `synchronous=FULL`, so an acknowledged change survives SIGKILL.
    ///
    /// The directory is made mode 0700 and the database file 0600 — at every
    /// open, so a data directory from before is made private too. SQLite
    /// gives its `-wal` and `-shm` files the database file's mode; those
    /// already there are set as well.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the directory or database cannot be opened,
    /// made private, or migrated.
    pub async fn open_sqlite(dir: &Path) -> Result<Store, StoreError> {
        let shown = || dir.display().to_string();
        std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDir(shown(), e))?;
        let abs = std::fs::canonicalize(dir).map_err(|e| StoreError::DataDir(shown(), e))?;
        private(&abs, 0o700).map_err(|e| StoreError::DataDir(shown(), e))?;
        let db = abs.join("guard.db");
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&db)
            .map_err(|e| StoreError::Mode(db.display().to_string(), e))?;
        for name in ["guard.db", "guard.db-wal", "guard.db-shm"] {
            let file = abs.join(name);
            match private(&file, 0o600) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::Mode(file.display().to_string(), e));
                }
                _ => {}
            }
        }
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let mut store = Store::open_url(&url).await?;
        store.data_dir = Some(abs);
        Ok(store)
    }

    /// Opens a `postgres://` or `sqlite://` URL and migrates it. On
    /// PostgreSQL it also starts listening for the changes of other
    /// processes sharing the database (`notify::listen`).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the URL is unsupported or the database refuses.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            // Never echo the URL: it may hold a password.
            return Err(StoreError::Scheme(
                url.split(':').next().unwrap_or("").to_owned(),
            ));
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        options = match backend {
            Backend::Sqlite => options.max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL: readers never block the writer; FULL: the WAL is
                    // fsynced at each commit; busy_timeout: writers queue.
                    for pragma in [
                        "PRAGMA journal_mode=WAL",
                        "PRAGMA synchronous=FULL",
                        "PRAGMA busy_timeout=15000",
                        "PRAGMA foreign_keys=ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let pool = options.connect(url).await?;
        let store = Store {
            pool,
            backend,
            data_dir: None,
            watch: Watch::new(),
        };
        store.migrate().await?;
        if backend == Backend::Postgres {
            let options = url.parse::<sqlx::postgres::PgConnectOptions>()?;
            listen::spawn(options, store.pool.clone(), &store.watch);
        }
        Ok(store)
    }

    /// Migrates on one connection of its own. On PostgreSQL it holds an
    /// advisory lock meanwhile, so servers started together on one database
    /// migrate one after the other (each then sees the other's work done)
    /// instead of failing on each other's `CREATE TABLE`; closing the
    /// connection releases the lock whatever happened.
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?.detach();
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT 1 AS locked FROM (SELECT pg_advisory_lock($1)) AS l")
                .bind(MIGRATION_LOCK)
                .execute(&mut conn)
                .await?;
        }
        let done = self.migrate_on(&mut conn).await;
        let closed = conn.close().await;
        done?;
        Ok(closed?)
    }

    async fn migrate_on(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        for (version, sql) in MIGRATIONS {
            let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *conn)
                .await?;
            if done.is_some() {
                continue;
            }
            let mut tx = conn.begin().await?;
            // Comments stay in (both engines accept them); a chunk of comments
            // only is skipped. The migrations have no `;` in comments or strings.
            for stmt in sql.split(';').filter(|chunk| {
                chunk
                    .lines()
                    .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))
            }) {
                sqlx::query(stmt)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Migration(*version, e))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(0i64)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration(*version, e))?;
            tx.commit().await?;
        }
        sqlx::query(
            "INSERT INTO versions (scope, version, updated_at) VALUES ('_platform', 0, 0) ON CONFLICT (scope) DO NOTHING",
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// Sets `path`'s permission bits to `mode` (Unix; elsewhere nothing).
fn private(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Reads an `i64` column as a bool (both engines store flags as 0/1).
///
/// # Errors
///
/// [`sqlx::Error`] when the column is missing or not an integer.
pub fn flag(row: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

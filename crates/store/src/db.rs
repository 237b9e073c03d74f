use crate::{migrate, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// The database behind a [`Store`].
#[derive(Clone)]
pub(crate) enum Db {
    /// SQLite allows one writer at a time: writes go through a single connection so they queue
    /// in our process instead of failing with SQLITE_BUSY; reads use a pool (WAL lets them run
    /// beside the writer).
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        /// The database file, beside which the device lock file lives.
        path: std::path::PathBuf,
    },
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_connections: 10 }
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
    /// Database round trips made through this store (all clones), for tests and benchmarks
    /// that check a query count does not grow with the data.
    pub(crate) round_trips: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Signalled when a transaction committed new webhook deliveries, so the worker need not
    /// poll to notice them.
    pub(crate) deliveries_waiting: std::sync::Arc<tokio::sync::Notify>,
    /// Wakes the integrations worker (see `integrations::forwards`).
    pub(crate) forwards_waiting: std::sync::Arc<tokio::sync::Notify>,
}

/// Runs `$body` with `$pool` bound to the right pool of either backend. `read` picks SQLite's
/// reader pool, `write` its single writer; PostgreSQL uses one pool for both.
#[macro_export]
#[doc(hidden)]
macro_rules! on_db {
    ($store:expr, read, $pool:ident => $body:expr) => {
        match {
            $store.round_trips.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            &$store.db
        } {
            $crate::db::Db::Sqlite { read, .. } => {
                let $pool = read;
                $body
            }
            $crate::db::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
    ($store:expr, write, $pool:ident => $body:expr) => {
        match {
            $store.round_trips.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            &$store.db
        } {
            $crate::db::Db::Sqlite { write, .. } => {
                let $pool = write;
                $body
            }
            $crate::db::Db::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

impl Store {
    /// Opens (creating a SQLite file if missing) and migrates the database at `url`:
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Store> {
        let store = Self::connect(url, options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without running migrations (for `kewhats migrate` to report separately).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Db::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let path = opts.get_filename().to_path_buf();
            let write = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.clamp(1, 8))
                .connect_with(opts.read_only(true))
                .await?;
            Db::Sqlite { read, write, path }
        } else {
            return Err(crate::StoreError::Config(format!(
                "unsupported database URL '{}': use sqlite://FILE or postgres://…",
                redact(url)
            )));
        };
        Ok(Store {
            db,
            round_trips: Default::default(),
            deliveries_waiting: Default::default(),
            forwards_waiting: Default::default(),
        })
    }

    /// How many store calls have gone to the database so far.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// ` FOR UPDATE` on PostgreSQL, to lock the rows a read-then-write transaction reads (two
    /// concurrent changes would both read the old row); SQLite's one writer already serialises.
    pub(crate) fn row_lock(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations that have not run yet; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        match &self.db {
            Db::Sqlite { write, .. } => migrate::sqlite(write).await,
            Db::Postgres(pg) => migrate::postgres(pg).await,
        }
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, read, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pg) => pg.close().await,
        }
    }
}

/// A URL fit for logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}

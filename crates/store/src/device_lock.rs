//! One process at a time runs the WhatsApp device sessions of a database: two would open two
//! sockets per number, which WhatsApp answers by closing one ("440 conflict") in a loop.
//!
//! PostgreSQL: a session-level advisory lock on a connection kept out of the pool for the
//! process's life. SQLite: an exclusive lock on a file beside the database. Either is let go
//! when the holder is dropped or the process dies, so a standby process can take over later.

use crate::db::Db;
use crate::{Result, Store, StoreError};
use sqlx::Connection;

/// An arbitrary constant shared by every kewhats process (the migrations use another).
const DEVICES_LOCK_KEY: i64 = 7_240_002;

/// Held while this process runs the device sessions.
pub struct DeviceLock {
    held: Held,
}

enum Held {
    Postgres(sqlx::PgConnection),
    Sqlite(std::fs::File),
}

impl DeviceLock {
    /// Lets go at once, so a process started right after this one stops can take over (a
    /// dropped PostgreSQL connection frees its lock only when the server notices).
    pub async fn release(self) {
        match self.held {
            Held::Postgres(mut conn) => {
                let unlocked =
                    sqlx::query("SELECT pg_advisory_unlock($1)").bind(DEVICES_LOCK_KEY).execute(&mut conn).await;
                if let Err(e) = unlocked {
                    tracing::warn!(error = %e, "releasing the device lock; it ends with the connection");
                }
                let _ = conn.close().await;
            }
            Held::Sqlite(file) => drop(file),
        }
    }
}

impl Store {
    /// Takes the device lock if no other process holds it; `None` when another does.
    pub async fn try_lock_devices(&self) -> Result<Option<DeviceLock>> {
        match &self.db {
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?.detach();
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(DEVICES_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?;
                if got {
                    Ok(Some(DeviceLock { held: Held::Postgres(conn) }))
                } else {
                    let _ = conn.close().await;
                    Ok(None)
                }
            }
            Db::Sqlite { path, .. } => {
                let mut name = path.as_os_str().to_owned();
                name.push(".devices.lock");
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&name)
                    .map_err(|e| StoreError::Config(format!("opening the device lock file: {e}")))?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(DeviceLock { held: Held::Sqlite(file) })),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => {
                        Err(StoreError::Config(format!("locking the device lock file: {e}")))
                    }
                }
            }
        }
    }
}

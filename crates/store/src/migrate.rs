//! Embedded, forward-only migrations, one list per dialect, recorded in `schema_migrations`.

use crate::{Result, StoreError};
use sqlx::{PgPool, SqlitePool};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// `migration!("sqlite", 1, "0001_foundation")` embeds `migrations/sqlite/0001_foundation.sql`.
macro_rules! migration {
    ($dir:literal, $version:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../migrations/", $dir, "/", $file, ".sql")),
        }
    };
}

const SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001_foundation"),
    migration!("sqlite", 2, "0002_devices"),
    migration!("sqlite", 3, "0003_wa_keys"),
    migration!("sqlite", 4, "0004_api_keys"),
    migration!("sqlite", 5, "0005_messages"),
    migration!("sqlite", 6, "0006_webhooks"),
    migration!("sqlite", 7, "0007_webhook_deliveries"),
    migration!("sqlite", 8, "0008_message_media"),
];
const POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_foundation"),
    migration!("postgres", 2, "0002_devices"),
    migration!("postgres", 3, "0003_wa_keys"),
    migration!("postgres", 4, "0004_api_keys"),
    migration!("postgres", 5, "0005_messages"),
    migration!("postgres", 6, "0006_webhooks"),
    migration!("postgres", 7, "0007_webhook_deliveries"),
    migration!("postgres", 8, "0008_message_media"),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

fn now_ms() -> i64 {
    domain::Clock::now(&domain::SystemClock).millis()
}

/// The same steps for either pool type: each pending migration in its own transaction,
/// recorded in the same transaction so a failed one leaves nothing half-applied.
macro_rules! run {
    ($pool:expr, $list:expr, $lock:expr) => {{
        sqlx::query(CREATE_TABLE).execute($pool).await?;
        let mut ran = 0;
        for m in $list {
            let mut tx = $pool.begin().await?;
            if let Some(lock) = $lock {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            })?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            ran += 1;
        }
        Ok(ran)
    }};
}

pub(crate) async fn sqlite(pool: &SqlitePool) -> Result<usize> {
    run!(pool, SQLITE, None::<&str>)
}

pub(crate) async fn postgres(pool: &PgPool) -> Result<usize> {
    // Two nodes starting together must not both apply the same migration.
    run!(pool, POSTGRES, Some("SELECT pg_advisory_xact_lock(7240001)"))
}

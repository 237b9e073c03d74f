//! Embedded, forward-only migrations, one list per dialect, recorded in `schema_migrations`
//! with the SHA-256 of their text. An applied migration whose text changed is refused (as
//! `sqlx::migrate!` does), so a shipped migration cannot be edited behind a database's back;
//! a test checks that both dialects list the same migrations, the ones in their directories.
//!
//! Databases made before checksums were recorded get the column and their checksums on the
//! next start (their migrations were applied from the texts this build still carries).

use crate::{Result, StoreError};
use sqlx::{PgPool, SqlitePool};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.as_bytes()))
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

pub(crate) const SQLITE: &[Migration] = &[
    migration!("sqlite", 1, "0001_foundation"),
    migration!("sqlite", 2, "0002_devices"),
    migration!("sqlite", 3, "0003_wa_keys"),
    migration!("sqlite", 4, "0004_api_keys"),
    migration!("sqlite", 5, "0005_messages"),
    migration!("sqlite", 6, "0006_webhooks"),
    migration!("sqlite", 7, "0007_webhook_deliveries"),
    migration!("sqlite", 8, "0008_message_media"),
    migration!("sqlite", 9, "0009_pending_outbox"),
    migration!("sqlite", 10, "0010_user_preferences"),
    migration!("sqlite", 11, "0011_contacts"),
    migration!("sqlite", 12, "0012_contact_tags"),
    migration!("sqlite", 13, "0013_templates"),
    migration!("sqlite", 14, "0014_blasts"),
    migration!("sqlite", 15, "0015_template_media"),
    migration!("sqlite", 16, "0016_blast_media"),
    migration!("sqlite", 17, "0017_auto_replies"),
    migration!("sqlite", 18, "0018_chatbots"),
    migration!("sqlite", 19, "0019_group_opt_in"),
    migration!("sqlite", 20, "0020_integrations"),
    migration!("sqlite", 21, "0021_forward_media_and_replies"),
    migration!("sqlite", 22, "0022_plans"),
    migration!("sqlite", 23, "0023_invoices"),
];
pub(crate) const POSTGRES: &[Migration] = &[
    migration!("postgres", 1, "0001_foundation"),
    migration!("postgres", 2, "0002_devices"),
    migration!("postgres", 3, "0003_wa_keys"),
    migration!("postgres", 4, "0004_api_keys"),
    migration!("postgres", 5, "0005_messages"),
    migration!("postgres", 6, "0006_webhooks"),
    migration!("postgres", 7, "0007_webhook_deliveries"),
    migration!("postgres", 8, "0008_message_media"),
    migration!("postgres", 9, "0009_pending_outbox"),
    migration!("postgres", 10, "0010_user_preferences"),
    migration!("postgres", 11, "0011_contacts"),
    migration!("postgres", 12, "0012_contact_tags"),
    migration!("postgres", 13, "0013_templates"),
    migration!("postgres", 14, "0014_blasts"),
    migration!("postgres", 15, "0015_template_media"),
    migration!("postgres", 16, "0016_blast_media"),
    migration!("postgres", 17, "0017_auto_replies"),
    migration!("postgres", 18, "0018_chatbots"),
    migration!("postgres", 19, "0019_group_opt_in"),
    migration!("postgres", 20, "0020_integrations"),
    migration!("postgres", 21, "0021_forward_media_and_replies"),
    migration!("postgres", 22, "0022_plans"),
    migration!("postgres", 23, "0023_invoices"),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL, checksum TEXT NOT NULL DEFAULT '')";
/// The checksum column for tables made before it existed (PostgreSQL; SQLite checks first).
const ADD_CHECKSUM_PG: &str =
    "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum TEXT NOT NULL DEFAULT ''";
const HAS_CHECKSUM_SQLITE: &str = "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'";
const ADD_CHECKSUM_SQLITE: &str = "ALTER TABLE schema_migrations ADD COLUMN checksum TEXT NOT NULL DEFAULT ''";

fn now_ms() -> i64 {
    domain::Clock::now(&domain::SystemClock).millis()
}

/// The same steps for either pool type: each pending migration in its own transaction,
/// recorded in the same transaction so a failed one leaves nothing half-applied.
macro_rules! run {
    ($pool:expr, $list:expr, $lock:expr) => {{
        let mut ran = 0;
        for m in $list {
            let mut tx = $pool.begin().await?;
            if let Some(lock) = $lock {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            let sum = checksum(m.sql);
            let done: Option<String> = sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            match done.as_deref() {
                None => {}
                Some("") => {
                    sqlx::query("UPDATE schema_migrations SET checksum = $2 WHERE version = $1")
                        .bind(m.version)
                        .bind(&sum)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    continue;
                }
                Some(stored) if stored == sum => continue,
                Some(_) => return Err(StoreError::MigrationChanged { version: m.version, name: m.name }),
            }
            sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|source| StoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            })?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.name)
                .bind(now_ms())
                .bind(&sum)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            ran += 1;
        }
        Ok(ran)
    }};
}

pub(crate) async fn sqlite(pool: &SqlitePool) -> Result<usize> {
    sqlx::query(CREATE_TABLE).execute(pool).await?;
    let has_checksum: i64 = sqlx::query_scalar(HAS_CHECKSUM_SQLITE).fetch_one(pool).await?;
    if has_checksum == 0 {
        sqlx::query(ADD_CHECKSUM_SQLITE).execute(pool).await?;
    }
    run!(pool, SQLITE, None::<&str>)
}

pub(crate) async fn postgres(pool: &PgPool) -> Result<usize> {
    {
        // Two nodes starting together must not both change the table.
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(7240001)").execute(&mut *tx).await?;
        sqlx::query(CREATE_TABLE).execute(&mut *tx).await?;
        sqlx::query(ADD_CHECKSUM_PG).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    // Two nodes starting together must not both apply the same migration.
    run!(pool, POSTGRES, Some("SELECT pg_advisory_xact_lock(7240001)"))
}

#[cfg(test)]
mod tests {
    use super::{Migration, POSTGRES, SQLITE};

    fn files(dialect: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dialect);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn listed(list: &[Migration]) -> Vec<String> {
        list.iter().map(|m| format!("{}.sql", m.name)).collect()
    }

    /// Each dialect has the same migrations, each embedded, numbered in order from 1.
    #[test]
    fn both_dialects_list_the_same_migrations_as_their_directories() {
        assert_eq!(files("sqlite"), files("postgres"), "the migration directories differ");
        assert_eq!(listed(SQLITE), files("sqlite"), "migrate.rs does not embed every SQLite migration");
        assert_eq!(listed(POSTGRES), files("postgres"), "migrate.rs does not embed every PostgreSQL migration");
        for (i, (a, b)) in SQLITE.iter().zip(POSTGRES).enumerate() {
            let n = i64::try_from(i).expect("few") + 1;
            assert_eq!((a.version, b.version), (n, n), "{} / {}", a.name, b.name);
            assert!(a.name.starts_with(&format!("{n:04}_")), "{} is numbered {n}", a.name);
        }
    }
}

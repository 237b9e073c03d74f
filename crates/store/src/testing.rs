//! Fresh databases for tests: a SQLite file in a temporary folder, or a new PostgreSQL
//! database on the server named by `KEWHATS_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`).
//!
//! When PostgreSQL is unreachable the PostgreSQL half of a test is skipped with a message,
//! except under `CI=true`, where it fails: CI always has PostgreSQL.

use rand::Rng;
use sqlx::Connection;
use std::path::PathBuf;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

fn unique_name(prefix: &str) -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{prefix}_{}_{n:016x}", std::process::id())
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique_name("kewhats_test"));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create test folder {}: {e}", dir.display());
        }
        TestDb { url: format!("sqlite://{}", dir.join("kewhats.db").display()), cleanup: Cleanup::Dir(dir) }
    }

    /// A new, empty PostgreSQL database, or `None` (after saying why) when the server cannot
    /// be reached outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("KEWHATS_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string());
        let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL at {admin_url} is required in CI: {e}")
            }
            Err(e) => {
                eprintln!("SKIPPED: PostgreSQL at {admin_url} unreachable ({e}); set KEWHATS_TEST_PG_URL");
                return None;
            }
        };
        let name = unique_name("kwt");
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await {
            panic!("cannot create test database {name}: {e}");
        }
        let _ = conn.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
        Some(TestDb { url: format!("{base}/{name}"), cleanup: Cleanup::PgDatabase { admin_url, name } })
    }

    /// Removes the database; call after the store using it is closed.
    pub async fn cleanup(self) {
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            }
        }
    }
}

/// Declares `#[tokio::test]`s that run the same async body once per backend, as
/// `<name>::sqlite` and `<name>::postgres`. The body receives the fresh [`TestDb`].
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($db:ident) $body:block)+) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: &$crate::testing::TestDb) $body

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::testing::TestDb::sqlite();
                run(&db).await;
                db.cleanup().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                run(&db).await;
                db.cleanup().await;
            }
        }
    )+};
}

//! Seeding and scratch databases shared by the benchmarks (each bench uses what it needs).
#![allow(dead_code)]

use domain::{EngineKind, Label, PhoneNumber, Plan, Role, SystemClock};
use store::{NewDevice, NewOutlet, NewUser, Store};

/// One user (`email`, with `password_hash`) owning `n` outlets, each with a device on `engine`;
/// sim devices are recorded as paired so they connect at start.
pub async fn seed(store: &Store, email: &str, password_hash: &str, n: usize, engine: EngineKind) {
    let now = domain::Clock::now(&SystemClock);
    let email = domain::Email::parse(email).expect("email");
    let new = NewUser { email: &email, name: "", password_hash, role: Role::User, plan: Plan::Unlimited };
    let owner = store.create_user(new, now).await.expect("user").id;
    let city = Label::parse("Jakarta", 50).expect("city");
    for i in 0..n {
        let name = Label::parse(&format!("Outlet {i:05}"), 50).expect("name");
        let number = PhoneNumber::parse(&format!("0812{i:08}")).expect("number");
        let outlet = NewOutlet { owner, name: &name, city: &city, wa_number: &number };
        let outlet = store.create_outlet(outlet, now).await.expect("outlet");
        let paired = (engine == EngineKind::Sim).then(|| number.digits().to_string());
        let device = NewDevice { outlet_id: outlet.id, engine, paired_account: paired };
        store.create_device(device, now).await.expect("device");
    }
}

/// The PostgreSQL server a benchmark creates its scratch databases on.
pub fn pg_url() -> String {
    std::env::var("BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database for one scenario: its URL, and how to drop it.
pub struct Db {
    pub url: String,
    drop: Option<(String, String)>,
}

/// A new scratch database named `name` (plus the process id) on `backend` ("SQLite" or not).
pub async fn fresh(backend: &str, name: &str) -> Db {
    use sqlx::Connection;
    let name = format!("{name}_{}", std::process::id());
    if backend == "SQLite" {
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("dir");
        return Db { url: format!("sqlite://{}", dir.join("b.db").display()), drop: None };
    }
    let admin = pg_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("pg");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Db { url: format!("{base}/{name}"), drop: Some((admin.clone(), name)) }
}

impl Db {
    pub async fn remove(self) {
        use sqlx::Connection;
        match self.drop {
            Some((admin, name)) => {
                let mut conn = sqlx::PgConnection::connect(&admin).await.expect("pg");
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
            }
            None => {
                if let Some(path) = self.url.strip_prefix("sqlite://") {
                    if let Some(dir) = std::path::Path::new(path).parent() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
            }
        }
    }
}

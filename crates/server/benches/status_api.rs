//! `GET /api/outlets/status` against a raw SELECT of the same rows, on the same database.
//!
//! `cargo bench -p kewhats --bench status_api` seeds N outlets with paired sim devices (all
//! connected, so every row takes the live check), then times, in one process:
//! - raw SQL: the same outlets ⟕ devices rows fetched with sqlx, nothing else;
//! - report: `outlet_status::check` (the query, live checks, summary, sort, page);
//! - HTTP: the whole endpoint over loopback with a session cookie, JSON included.
//!
//! Set BENCH_DATABASE_URL=postgres://… to run on PostgreSQL instead of a temporary SQLite file.

use domain::{Actor, DeviceStatus, EngineKind, Role, UserId};
mod common;

use app::services::outlet_status::{self, StatusQuery};
use app::{AppState, Deps};
use kewhats::{launch, Config};
use sqlx::Connection;
use std::time::{Duration, Instant};

const RAW: &str = "SELECT o.id, o.name, o.city, o.wa_number, o.owner_id, u.email, d.id, d.engine, d.status,
    d.status_reason, d.unlinked_reason, d.retries, d.last_connected_at, d.status_changed_at
    FROM outlets o JOIN users u ON u.id = o.owner_id LEFT JOIN devices d ON d.outlet_id = o.id";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm-up
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        samples.push(t.elapsed());
    }
    median(samples)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    println!("\n| outlets | raw SELECT | status report | HTTP endpoint | report / raw | HTTP / raw |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [1_000usize, 10_000] {
        bench(n).await;
    }
}

async fn bench(n: usize) {
    let dir = std::env::temp_dir().join(format!("kewhats_status_bench_{}_{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url =
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", dir.join("b.db").display()));
    let mut config = Config::for_tests(&url);
    config.reconcile_interval_secs = 3600;
    config.database_max_connections = 8;
    let state = AppState::open(config, Deps::real(&Config::for_tests(&url))).await.expect("open");
    let store = state.store.clone();
    let hash = app::crypto::passwords::hash_blocking("bench password 1").expect("hash");
    common::seed(&store, "chain@shop.id", &hash, n, EngineKind::Sim).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let running = launch(listener, state.clone()).await.expect("launch");
    let deadline = Instant::now() + Duration::from_secs(300);
    while store.all_devices().await.expect("devices").iter().filter(|d| d.status == DeviceStatus::Connected).count() < n
    {
        assert!(Instant::now() < deadline, "devices did not connect");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let runs = if n > 5_000 { 15 } else { 40 };
    // The bare query on its own connection: the baseline the endpoint is measured against.
    macro_rules! time_raw {
        ($conn:expr) => {{
            let mut conn = $conn;
            let mut samples = Vec::new();
            for _ in 0..=runs {
                let t = Instant::now();
                sqlx::query(RAW).fetch_all(&mut conn).await.expect("raw");
                samples.push(t.elapsed());
            }
            median(samples[1..].to_vec())
        }};
    }
    let raw = if url.starts_with("postgres") {
        time_raw!(sqlx::PgConnection::connect(&url).await.expect("pg"))
    } else {
        let opts = url.parse::<sqlx::sqlite::SqliteConnectOptions>().expect("opts").read_only(true);
        time_raw!(sqlx::SqliteConnection::connect_with(&opts).await.expect("sqlite"))
    };
    let query = StatusQuery { page: store::Page::new(Some(1), Some(50)), ..Default::default() };
    let report = time(runs, || {
        let (state, q) = (state.clone(), query.clone());
        let admin = Actor { user_id: UserId(0), role: Role::Admin };
        async move {
            let r = outlet_status::check(&state, admin, &q).await.expect("check");
            assert_eq!(r.summary.healthy, n);
        }
    })
    .await;
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let base = format!("http://{}", running.addr);
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"email": "chain@shop.id", "password": "bench password 1"}))
        .send()
        .await
        .expect("login");
    assert!(login.status().is_success());
    let http = time(runs, || {
        let req = client.get(format!("{base}/api/outlets/status?per_page=50"));
        async move {
            let body = req.send().await.expect("get").bytes().await.expect("body");
            assert!(body.len() > 100);
        }
    })
    .await;
    println!(
        "| {n} | {} | {} | {} | {:.1}× | {:.1}× |",
        ms(raw),
        ms(report),
        ms(http),
        report.as_secs_f64() / raw.as_secs_f64(),
        http.as_secs_f64() / raw.as_secs_f64()
    );
    running.shutdown().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

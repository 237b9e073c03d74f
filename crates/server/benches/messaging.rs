//! Messaging throughput against same-process baselines: the send API, inbound ingest and
//! webhook deliveries.
//!
//! `cargo bench -p kewhats --bench messaging` runs, in one process, each on a fresh database:
//! - send API: `POST /api/messages` with an API key, 32 requests in flight, against a bare axum
//!   handler that parses the same JSON and answers 202, hit by the same client the same way;
//! - inbound ingest: messages arriving on a connected sim device until every row is stored,
//!   without and with a webhook (a delivery row per message in the same transaction), against
//!   a raw multi-row INSERT of the same rows in one transaction;
//! - webhook deliveries: queued deliveries posted by the real worker to a local receiver until
//!   the database shows them delivered, against plain POSTs of the same bodies to the same
//!   receiver with the same concurrency.
//!
//! Set BENCH_DATABASE_URL=postgres://…/db to run on PostgreSQL: fresh databases `db_<scenario>`
//! are created next to the named one (which must exist) and dropped afterwards.

use app::crypto::tokens::{random_token, sha256_hex};
use app::{AppState, Deps};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine as _;
use domain::{Clock, DeliveryStatus, DeviceStatus, Direction, EngineKind, MessageStatus, SystemClock, UserId};
use kewhats::{launch, Config};
use rand::RngCore;
use serde::Deserialize;
use sqlx::Connection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{MessageFilter, NewOutlet, NewUser, Page, Store, WebhookEvent};

mod common;

const SEND_REQUESTS: usize = 5_000;
const SEND_CONCURRENCY: usize = 32;
const INBOUND: usize = 5_000;
const RAW_BATCH: usize = 500;
const DELIVERIES: usize = 3_000;
const WARM_UP: usize = 200;
/// Each figure is the median of this many runs: the baselines are short, so they get more.
const BASELINE_RUNS: usize = 5;
const RUNS: usize = 3;

// ---------------------------------------------------------------------------------------------
// Databases

/// A fresh database for one scenario: a SQLite file in a temporary directory, or a PostgreSQL
/// database created beside the one BENCH_DATABASE_URL names.
struct FreshDb {
    url: String,
    postgres: Option<(String, String)>,
    dir: Option<PathBuf>,
}

impl FreshDb {
    async fn create(tag: &str) -> FreshDb {
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(base) if !base.trim().is_empty() => {
                let (head, query) = match base.split_once('?') {
                    Some((h, q)) => (h.to_string(), format!("?{q}")),
                    None => (base.clone(), String::new()),
                };
                let after_scheme = head.find("://").map_or(0, |i| i + 3);
                let slash =
                    head.rfind('/').filter(|&i| i >= after_scheme).expect("BENCH_DATABASE_URL names a database");
                let name = format!("{}_{tag}", &head[slash + 1..]);
                let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect to BENCH_DATABASE_URL");
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&mut admin).await.expect("drop");
                sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("create db");
                let _ = admin.close().await;
                FreshDb { url: format!("{}/{name}{query}", &head[..slash]), postgres: Some((base, name)), dir: None }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("kewhats_messaging_bench_{}_{tag}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).expect("dir");
                FreshDb { url: format!("sqlite://{}", dir.join("b.db").display()), postgres: None, dir: Some(dir) }
            }
        }
    }

    fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Call after every store on it is closed.
    async fn remove(self) {
        if let Some((base, name)) = &self.postgres {
            if let Ok(mut admin) = sqlx::PgConnection::connect(base).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&mut admin).await;
                let _ = admin.close().await;
            }
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn config(url: &str) -> Config {
    let mut config = Config::for_tests(url);
    config.reconcile_interval_secs = 3600;
    config.database_max_connections = 10; // the default of `kewhats serve`
    config.webhooks_allow_private = true;
    config
}

async fn open(config: Config) -> AppState {
    let deps = Deps::real(&config);
    AppState::open(config, deps).await.expect("open")
}

/// A user with one outlet and no device.
async fn owner_with_outlet(store: &Store, email: &str) -> (UserId, domain::OutletId) {
    let now = SystemClock.now();
    let email = domain::Email::parse(email).expect("email");
    let new = NewUser {
        email: &email,
        name: "",
        password_hash: "-",
        role: domain::Role::User,
        plan: domain::Plan::Unlimited,
    };
    let owner = store.create_user(new, now).await.expect("user").id;
    let name = domain::Label::parse("Outlet", 50).expect("name");
    let city = domain::Label::parse("Jakarta", 50).expect("city");
    let number = domain::PhoneNumber::parse("081200000001").expect("number");
    let outlet = NewOutlet { owner, name: &name, city: &city, wa_number: &number };
    (owner, store.create_outlet(outlet, now).await.expect("outlet").id)
}

/// A webhook for `owner`, signing with a fresh secret, as `POST /api/webhooks` creates it.
async fn webhook(state: &AppState, owner: UserId, url: &str) -> i64 {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let binding = app::services::webhooks::secret_binding(owner);
    let sealed = state.secrets.seal(secret.as_bytes(), &binding).expect("seal");
    let events = ["message.received".to_string()];
    state.store.create_webhook(owner, url, &events, &sealed, SystemClock.now()).await.expect("webhook").id
}

async fn count_messages(store: &Store, direction: Direction, status: Option<MessageStatus>) -> usize {
    let filter = MessageFilter { direction: Some(direction), status, ..Default::default() };
    let total = store
        .list_messages(domain::policy::system_scope(), &filter, Page::new(Some(1), Some(1)))
        .await
        .expect("count")
        .total;
    usize::try_from(total).unwrap_or(0)
}

async fn count_deliveries(store: &Store, owner: UserId, hook: i64, status: Option<DeliveryStatus>) -> usize {
    let total = store.list_deliveries(owner, hook, status, Page::new(Some(1), Some(1))).await.expect("count").total;
    usize::try_from(total).unwrap_or(0)
}

/// Polls `count` every 5 ms until it reaches `target` (or a minute passes).
async fn wait_for<F, Fut>(what: &str, target: usize, mut count: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = count().await;
        if n >= target {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {n} of {target} after a minute");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Load and report

/// One POST repeated: the same URL, body and headers every time.
struct Load {
    url: String,
    body: String,
    bearer: Option<String>,
    expect: u16,
}

/// Sends `n` copies of `load` from `concurrency` tasks sharing one client; the time until the
/// last answer.
async fn hammer(client: &reqwest::Client, load: &Arc<Load>, n: usize, concurrency: usize) -> Duration {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, load, next) = (client.clone(), load.clone(), next.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let mut req = client.post(&load.url).header("content-type", "application/json").body(load.body.clone());
                if let Some(key) = &load.bearer {
                    req = req.bearer_auth(key);
                }
                let res = req.send().await.expect("request");
                let status = res.status().as_u16();
                let body = res.bytes().await.expect("body");
                assert_eq!(status, load.expect, "{}", String::from_utf8_lossy(&body));
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("client task");
    }
    started.elapsed()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// The median run of the real path, with its store calls per item.
fn median_run(mut runs: Vec<(Duration, f64)>) -> (Duration, f64) {
    runs.sort_by_key(|r| r.0);
    runs[runs.len() / 2]
}

/// How long `f` took and the store calls (`Store::round_trips`) it made per item; then its output.
async fn measured<T>(store: &Store, items: usize, f: impl std::future::Future<Output = T>) -> ((Duration, f64), T) {
    let calls = store.round_trips();
    let started = Instant::now();
    let out = f.await;
    let elapsed = started.elapsed();
    ((elapsed, (store.round_trips() - calls) as f64 / items as f64), out)
}

/// A second handle on the database for polling, so the app's store counts only its own calls.
async fn poller(url: &str) -> Store {
    Store::connect(url, &store::StoreOptions { max_connections: 2 }).await.expect("poll store")
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn table(title: &str, unit: &str) {
    println!("\n{title}\n");
    println!("| scenario | {unit} | in flight | median time | {unit}/s | store calls each | baseline / this |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
}

fn row(name: &str, n: usize, in_flight: &str, (d, calls): (Duration, Option<f64>), baseline: Option<Duration>) {
    let rate = per_sec(n, d);
    let ratio = baseline.map_or(1.0, |b| per_sec(n, b) / rate);
    let calls = match calls {
        None => "–".to_string(),
        Some(c) if c < 0.1 => format!("{c:.3}"),
        Some(c) => format!("{c:.2}"),
    };
    println!("| {name} | {n} | {in_flight} | {:.2} s | {rate:.0} | {calls} | {ratio:.1}× |", d.as_secs_f64());
}

// ---------------------------------------------------------------------------------------------
// 1. Send API

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // parsed like the real handler does, not read
struct SendBody {
    outlet_id: i64,
    to: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    text: Option<String>,
    media_url: Option<String>,
    caption: Option<String>,
    file_name: Option<String>,
}

async fn bare_send(Json(body): Json<SendBody>) -> (StatusCode, Json<serde_json::Value>) {
    static ID: AtomicUsize = AtomicUsize::new(0);
    let id = ID.fetch_add(1, Ordering::Relaxed);
    (StatusCode::ACCEPTED, Json(serde_json::json!({ "id": id, "outlet_id": body.outlet_id, "status": "pending" })))
}

async fn send_api() {
    let client = reqwest::Client::new();
    let body = |outlet: i64| {
        serde_json::json!({ "outlet_id": outlet, "to": "081311112222", "text": "Pesanan Anda sudah siap diambil." })
            .to_string()
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    #[allow(clippy::disallowed_methods)] // the bare baseline handler, not our API
    let app = axum::Router::new().route("/api/messages", axum::routing::post(bare_send));
    let bare = tokio::spawn(async move { axum::serve(listener, app).await });
    let load = Arc::new(Load { url: format!("http://{addr}/api/messages"), body: body(1), bearer: None, expect: 202 });
    hammer(&client, &load, WARM_UP, SEND_CONCURRENCY).await;
    let mut runs = Vec::new();
    for _ in 0..BASELINE_RUNS {
        runs.push(hammer(&client, &load, SEND_REQUESTS, SEND_CONCURRENCY).await);
    }
    let baseline = median(runs);
    bare.abort();

    let db = FreshDb::create("send").await;
    let state = open(config(&db.url)).await;
    let store = state.store.clone();
    let (owner, outlet) = owner_with_outlet(&store, "sender@shop.id").await;
    // As `POST /api/keys` makes them: `kwk_` and 64 hex characters; only the hash is stored.
    let secret = format!("kwk_{}", random_token());
    let prefix = &secret[..12];
    store.create_api_key(owner, "bench", prefix, &sha256_hex(&secret), SystemClock.now()).await.expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let running = launch(listener, state.clone()).await.expect("launch");
    let load = Arc::new(Load {
        url: format!("http://{}/api/messages", running.addr),
        body: body(outlet.0),
        bearer: Some(secret),
        expect: 202,
    });
    hammer(&client, &load, WARM_UP, SEND_CONCURRENCY).await;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let (run, _) = measured(&store, SEND_REQUESTS, hammer(&client, &load, SEND_REQUESTS, SEND_CONCURRENCY)).await;
        runs.push(run);
    }
    let real = median_run(runs);
    let pending = count_messages(&store, Direction::Out, Some(MessageStatus::Pending)).await;
    assert_eq!(pending, WARM_UP + RUNS * SEND_REQUESTS, "every accepted message is stored, pending");

    table("Send API (requests answered 202)", "requests");
    let c = SEND_CONCURRENCY.to_string();
    row("bare axum handler, same JSON (baseline)", SEND_REQUESTS, &c, (baseline, None), None);
    let real = (real.0, Some(real.1));
    row("POST /api/messages, API key, stored pending", SEND_REQUESTS, &c, real, Some(baseline));
    running.shutdown().await;
    store.close().await;
    db.remove().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Inbound ingest

fn peer(i: usize) -> String {
    format!("62813{:08}", i % 97)
}

fn inbound_text(i: usize) -> String {
    format!("Halo kak, pesanan nomor {i} sudah bisa diambil hari ini?")
}

/// Messages `from..from + count` arrive on the sim device, one after another as its session
/// takes them; returns when all are stored.
async fn arrive(sim: &engine::sim::SimEngine, device: domain::DeviceId, poll: &Store, from: usize, count: usize) {
    for i in from..from + count {
        sim.inbound(device, &peer(i), &inbound_text(i), None).await.expect("inbound");
    }
    wait_for("inbound messages stored", from + count, || count_messages(poll, Direction::In, None)).await;
}

/// Messages through a connected sim device until all are stored; with `hook`, the owner has
/// one webhook for `message.received`, so each message also writes a delivery row (the worker
/// is not running: nothing is posted).
async fn inbound_real(hook: bool) -> (Duration, f64) {
    let db = FreshDb::create(if hook { "in_hook" } else { "in" }).await;
    let state = open(config(&db.url)).await;
    let store = state.store.clone();
    common::seed(&store, "inbound@shop.id", "-", 1, EngineKind::Sim).await;
    let device = store.all_devices().await.expect("devices").remove(0);
    let hook_id = if hook { Some(webhook(&state, device.owner_id, "http://127.0.0.1:9/unused").await) } else { None };
    state.sessions.start_all().await.expect("start");
    let deadline = Instant::now() + Duration::from_secs(60);
    while store.all_devices().await.expect("devices")[0].status != DeviceStatus::Connected {
        assert!(Instant::now() < deadline, "the sim device did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let poll = poller(&db.url).await;
    let sim = state.sessions.engines().sim.clone().expect("the sandbox is on in benchmarks");
    arrive(&sim, device.id, &poll, 0, WARM_UP).await;
    let (run, ()) = measured(&store, INBOUND, arrive(&sim, device.id, &poll, WARM_UP, INBOUND)).await;
    if let Some(hook) = hook_id {
        let queued = count_deliveries(&store, device.owner_id, hook, None).await;
        assert_eq!(queued, WARM_UP + INBOUND, "one delivery per message");
    }
    state.sessions.shutdown().await;
    store.close().await;
    poll.close().await;
    db.remove().await;
    run
}

/// The same rows with sqlx: multi-row INSERTs of `RAW_BATCH`, all in one transaction.
macro_rules! raw_insert {
    ($conn:expr, $owner:expr, $outlet:expr) => {{
        let mut conn = $conn;
        let now = SystemClock.now().millis();
        let started = Instant::now();
        let mut tx = conn.begin().await.expect("begin");
        for start in (0..INBOUND).step_by(RAW_BATCH) {
            let rows = RAW_BATCH.min(INBOUND - start);
            let values: Vec<String> = (0..rows)
                .map(|r| {
                    let b = r * 7;
                    format!(
                        "(${}, ${}, 'in', ${}, ${}, 'received', ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO messages (owner_id, outlet_id, direction, peer, body, status, wa_message_id, created_at,
                     updated_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for i in start..start + rows {
                q = q
                    .bind($owner)
                    .bind($outlet)
                    .bind(format!("+{}", peer(i)))
                    .bind(inbound_text(i))
                    .bind(format!("SIM{i:016X}"))
                    .bind(now)
                    .bind(now);
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
        let elapsed = started.elapsed();
        let _ = conn.close().await;
        elapsed
    }};
}

async fn inbound_raw() -> Duration {
    let db = FreshDb::create("in_raw").await;
    let store = Store::open(&db.url, &store::StoreOptions::default()).await.expect("open");
    let (owner, outlet) = owner_with_outlet(&store, "raw@shop.id").await;
    store.close().await;
    let elapsed = if db.is_postgres() {
        raw_insert!(sqlx::PgConnection::connect(&db.url).await.expect("pg"), owner.0, outlet.0)
    } else {
        // The store's own SQLite settings.
        let opts = db
            .url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("opts")
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true);
        raw_insert!(sqlx::SqliteConnection::connect_with(&opts).await.expect("sqlite"), owner.0, outlet.0)
    };
    let store = Store::open(&db.url, &store::StoreOptions::default()).await.expect("open");
    assert_eq!(count_messages(&store, Direction::In, None).await, INBOUND);
    store.close().await;
    db.remove().await;
    elapsed
}

async fn inbound() {
    let mut raw = Vec::new();
    for _ in 0..BASELINE_RUNS {
        raw.push(inbound_raw().await);
    }
    let (mut plain, mut hooked) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(inbound_real(false).await);
        hooked.push(inbound_real(true).await);
    }
    let (baseline, plain, hooked) = (median(raw), median_run(plain), median_run(hooked));
    table("Inbound ingest (messages stored)", "messages");
    let raw_calls = Some(INBOUND.div_ceil(RAW_BATCH) as f64 / INBOUND as f64);
    row("raw multi-row INSERT, 500 a statement, one transaction (baseline)", INBOUND, "1", (baseline, raw_calls), None);
    let (plain, hooked) = ((plain.0, Some(plain.1)), (hooked.0, Some(hooked.1)));
    row("sim device → session → record_inbound, no webhook", INBOUND, "1", plain, Some(baseline));
    row("sim device → session → record_inbound, 1 webhook (delivery row)", INBOUND, "1", hooked, Some(baseline));
}

// ---------------------------------------------------------------------------------------------
// 3. Webhook deliveries

struct Receiver {
    addr: std::net::SocketAddr,
    hits: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn count_hit(axum::extract::State(hits): axum::extract::State<Arc<AtomicUsize>>, _body: String) -> StatusCode {
    hits.fetch_add(1, Ordering::Relaxed);
    StatusCode::OK
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().fallback(count_hit).with_state(hits.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, hits, server }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

/// What a `message.received` event carries: the message as the API shows it.
fn event_data(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": i, "owner_id": 1, "outlet_id": 1, "direction": "in", "peer": format!("+{}", peer(i)),
        "kind": "text", "body": inbound_text(i), "status": "received", "error": "",
        "wa_message_id": format!("SIM{i:016X}"), "api_key_id": null, "idempotency_key": null, "attempts": 0,
        "created_at": "2026-11-21T10:00:00.000Z", "updated_at": "2026-11-21T10:00:00.000Z", "sent_at": null,
        "delivered_at": null, "read_at": null, "expires_at": null
    })
}

/// Queues `DELIVERIES` for a webhook on a fresh database, then starts the app (and with it the
/// worker) on the clock; stops it when the database shows every delivery delivered.
async fn deliveries_real(receiver: &Receiver, url: &str) -> (Duration, f64) {
    let db = FreshDb::create("hooks").await;
    let state = open(config(&db.url)).await;
    let store = state.store.clone();
    let (owner, _) = owner_with_outlet(&store, "hooks@shop.id").await;
    let hook = webhook(&state, owner, url).await;
    for i in 0..DELIVERIES {
        let now = SystemClock.now();
        let event = WebhookEvent::new(owner, domain::EventKind::MessageReceived, &event_data(i), now);
        assert_eq!(store.enqueue_event(&event, now).await.expect("enqueue"), 1);
    }
    let poll = poller(&db.url).await;
    let before = receiver.hits();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (run, running) = measured(&store, DELIVERIES, async {
        let running = launch(listener, state.clone()).await.expect("launch");
        let delivered = || count_deliveries(&poll, owner, hook, Some(DeliveryStatus::Delivered));
        wait_for("deliveries recorded delivered", DELIVERIES, delivered).await;
        running
    })
    .await;
    assert_eq!(receiver.hits() - before, DELIVERIES, "each delivery posted once");
    running.shutdown().await;
    store.close().await;
    poll.close().await;
    db.remove().await;
    run
}

async fn deliveries() {
    let receiver = Receiver::start().await;
    let concurrency = config("sqlite::memory:").webhook_concurrency as usize;
    let url = format!("http://{}/hooks/kewhats", receiver.addr);

    // Baseline: the same body posted straight to the receiver, as many at once as the worker.
    let client = reqwest::Client::new();
    let sample = WebhookEvent::new(UserId(1), domain::EventKind::MessageReceived, &event_data(0), SystemClock.now());
    let load = Arc::new(Load { url: url.clone(), body: sample.payload, bearer: None, expect: 200 });
    hammer(&client, &load, WARM_UP, concurrency).await;
    let mut runs = Vec::new();
    for _ in 0..BASELINE_RUNS {
        let before = receiver.hits();
        runs.push(hammer(&client, &load, DELIVERIES, concurrency).await);
        assert_eq!(receiver.hits() - before, DELIVERIES);
    }
    let baseline = median(runs);

    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(deliveries_real(&receiver, &url).await);
    }
    let real = median_run(runs);

    table("Webhook deliveries to a local receiver (answered 200)", "deliveries");
    let c = concurrency.to_string();
    row("plain reqwest POSTs of the same body (baseline)", DELIVERIES, &c, (baseline, None), None);
    row("worker: claim, sign, POST, record delivered", DELIVERIES, &c, (real.0, Some(real.1)), Some(baseline));
    receiver.server.abort();
}

#[tokio::main]
async fn main() {
    let backend =
        if std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.trim().is_empty()) { "PostgreSQL" } else { "SQLite" };
    println!("\nDatabase: {backend}");
    send_api().await;
    inbound().await;
    deliveries().await;
}

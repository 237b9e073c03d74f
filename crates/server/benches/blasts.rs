//! Blasts against same-process baselines.
//!
//! `cargo bench -p kewhats --bench blasts` runs, on a temporary SQLite file and, when it can be
//! reached, on PostgreSQL (`BENCH_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`;
//! a fresh database per scenario, dropped after):
//! - planning: a 100,000-recipient blast to a tag through `services::blasts::create` (the
//!   recipients read by tag, exclusions, assignment over 3 outlets, the recipient rows, counters
//!   and shares in one transaction); baseline: the same 100,000 recipient rows written by a raw
//!   batched INSERT (500 rows a statement, one transaction);
//! - dispatch: 10,000 recipients over 10 connected sim outlets with zero gaps, from start until
//!   the blast is completed (every message sent by its device); baseline: the same 10,000
//!   messages written straight to the outbox and sent by the same devices. The difference per
//!   message is the dispatcher's overhead.

use app::services::blasts::{self, Action, BlastRequest, RecipientChoice, StartMode};
use app::{AppState, Deps};
use domain::{Actor, BlastStatus, DeviceStatus, EngineKind, MessageStatus, Role, SystemClock, UserId};
use kewhats::Config;
use sqlx::Connection;
use std::time::{Duration, Instant};
use store::{MessageFilter, NewOutgoing, Page, Store};

mod common;

const PLAN: usize = 100_000;
const DISPATCH: usize = 10_000;
const OUTLETS: usize = 10;

async fn open(url: &str) -> AppState {
    let mut config = Config::for_tests(url);
    config.database_max_connections = 10;
    config.reconcile_interval_secs = 3600;
    let deps = Deps::real(&config);
    AppState::open(config, deps).await.expect("open")
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Runs `sql` on a connection of its own (PostgreSQL or SQLite).
macro_rules! on_conn {
    ($url:expr, $conn:ident => $body:expr) => {{
        if $url.starts_with("postgres") {
            let mut $conn = sqlx::PgConnection::connect($url).await.expect("pg");
            $body
        } else {
            let mut $conn = sqlx::SqliteConnection::connect($url).await.expect("sqlite");
            $body
        }
    }};
}

/// `n` contacts of `owner`, all carrying tag `tag`, by raw batched INSERTs.
macro_rules! seed_contacts {
    ($conn:expr, $owner:expr, $tag:expr, $n:expr) => {{
        let mut tx = $conn.begin().await.expect("begin");
        for start in (0..$n).step_by(500) {
            let end = ($n).min(start + 500);
            let values: Vec<String> =
                (start..end).map(|i| format!("({}, 'Pelanggan {i}', '+62813{i:08}', 1, 1)", $owner)).collect();
            sqlx::query(&format!(
                "INSERT INTO contacts (owner_id, name, wa_number, created_at, updated_at) VALUES {}",
                values.join(", ")
            ))
            .execute(&mut *tx)
            .await
            .expect("contacts");
        }
        sqlx::query(&format!("INSERT INTO contact_tags (contact_id, tag_id) SELECT id, {} FROM contacts", $tag))
            .execute(&mut *tx)
            .await
            .expect("tags");
        tx.commit().await.expect("commit");
    }};
}

/// The baseline of planning: the same recipient rows, already decided, in one transaction.
macro_rules! raw_recipients {
    ($conn:expr, $owner:expr, $outlets:expr, $n:expr) => {{
        let mut tx = $conn.begin().await.expect("begin");
        let blast: i64 = sqlx::query_scalar(
            "INSERT INTO blasts (owner_id, name, status, body, gap_min_secs, gap_max_secs, daily_cap, window_start_min,
                 window_end_min, time_zone, outlet_choice, recipient_choice, created_at, updated_at)
             VALUES ($1, 'raw', 'draft', 'Halo', 3, 8, 1000, 480, 1260, 'Asia/Jakarta', '{}', '{}', 1, 1) RETURNING id",
        )
        .bind($owner)
        .fetch_one(&mut *tx)
        .await
        .expect("blast");
        for start in (0..$n).step_by(500) {
            let end = ($n).min(start + 500);
            let mut sql = String::from(
                "INSERT INTO blast_recipients (blast_id, owner_id, updated_at, contact_id, wa_number, outlet_id, status, reason) VALUES ",
            );
            for (k, _) in (start..end).enumerate() {
                let b = 4 + k * 5;
                if k > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, $2, $3, ${}, ${}, ${}, ${}, ${})", b, b + 1, b + 2, b + 3, b + 4));
            }
            let mut q = sqlx::query(&sql).bind(blast).bind($owner).bind(1_i64);
            for i in start..end {
                let outlet: i64 = $outlets[i % $outlets.len()];
                q = q.bind(i as i64 + 1).bind(format!("+62813{i:08}")).bind(outlet).bind("pending").bind("");
            }
            q.execute(&mut *tx).await.expect("recipients");
        }
        tx.commit().await.expect("commit");
    }};
}

async fn owner_and_outlets(store: &Store, email: &str, n: usize) -> (UserId, Vec<i64>) {
    common::seed(store, email, "-", n, EngineKind::Sim).await;
    let devices = store.all_devices().await.expect("devices");
    (devices[0].owner_id, devices.iter().map(|d| d.outlet_id.0).collect())
}

async fn planning(backend: &str) {
    let db = common::fresh(backend, "bench_blasts_plan").await;
    let state = open(&db.url).await;
    let (owner, outlets) = owner_and_outlets(&state.store, "plan@shop.id", 3).await;
    let tag: i64 = on_conn!(&db.url, conn => {
        let tag: i64 = sqlx::query_scalar("INSERT INTO tags (owner_id, name, color, created_at) VALUES ($1, 'semua', 'blue', 1) RETURNING id")
            .bind(owner.0).fetch_one(&mut conn).await.expect("tag");
        seed_contacts!(conn, owner.0, tag, PLAN);
        tag
    });
    let request = BlastRequest {
        name: "Promo".into(),
        body: Some("{Halo|Hai} {{name}}, promo di {{outlet}}".into()),
        outlet_ids: outlets.clone(),
        recipients: RecipientChoice { tag_ids: vec![tag], ..Default::default() },
        start: StartMode::Draft,
        ..Default::default()
    };
    let actor = Actor { user_id: owner, role: Role::User };
    let t = Instant::now();
    let created = blasts::create(&state, actor, request.clone()).await.expect("plan");
    let plan = t.elapsed();
    let blast = created.blast.expect("blast").blast;
    assert_eq!(blast.counters.total as usize, PLAN);
    // The same contacts chosen one by one: decided in the service, rows written from there.
    let ids: Vec<i64> = on_conn!(&db.url, conn => sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(&mut conn).await.expect("ids"));
    let by_id = BlastRequest { recipients: RecipientChoice { contact_ids: ids, ..Default::default() }, ..request };
    let t = Instant::now();
    let created = blasts::create(&state, actor, by_id).await.expect("plan by ids");
    let in_service = t.elapsed();
    assert_eq!(created.blast.expect("blast").blast.counters.total as usize, PLAN);
    state.store.close().await;
    db.remove().await;

    let db = common::fresh(backend, "bench_blasts_plan_raw").await;
    let state = open(&db.url).await;
    let (owner, outlets) = owner_and_outlets(&state.store, "raw@shop.id", 3).await;
    state.store.close().await;
    let t = Instant::now();
    on_conn!(&db.url, conn => raw_recipients!(conn, owner.0, outlets, PLAN));
    let raw = t.elapsed();
    db.remove().await;
    println!(
        "| {backend} | {PLAN} | {} | {} | {:.1}× | {} |",
        secs(raw),
        secs(plan),
        plan.as_secs_f64() / raw.as_secs_f64(),
        secs(in_service),
    );
}

/// Ten outlets with connected sim devices.
async fn connected(state: &AppState, email: &str) -> (UserId, Vec<i64>) {
    let (owner, outlets) = owner_and_outlets(&state.store, email, OUTLETS).await;
    state.sessions.start_all().await.expect("start");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !state.store.all_devices().await.expect("devices").iter().all(|d| d.status == DeviceStatus::Connected) {
        assert!(Instant::now() < deadline, "the sim devices did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (owner, outlets)
}

async fn sent(store: &Store) -> i64 {
    let filter = MessageFilter { status: Some(MessageStatus::Sent), ..Default::default() };
    let page = Page::new(Some(1), Some(1));
    let sent = store.list_messages(domain::policy::system_scope(), &filter, page).await.expect("count").total;
    let filter = MessageFilter { status: Some(MessageStatus::Delivered), ..Default::default() };
    let delivered = store.list_messages(domain::policy::system_scope(), &filter, page).await.expect("count").total;
    let filter = MessageFilter { status: Some(MessageStatus::Read), ..Default::default() };
    sent + delivered + store.list_messages(domain::policy::system_scope(), &filter, page).await.expect("count").total
}

async fn dispatch(backend: &str) {
    let numbers: Vec<String> = (0..DISPATCH).map(|i| format!("0813{i:08}")).collect();
    // Through a blast, paced by the dispatcher with zero gaps.
    let db = common::fresh(backend, "bench_blasts_dispatch").await;
    let state = open(&db.url).await;
    let (owner, outlets) = connected(&state, "blast@shop.id").await;
    let worker = app::workers::blasts::spawn(&state);
    let request = BlastRequest {
        name: "Cepat".into(),
        body: Some("Halo {{phone}}".into()),
        outlet_ids: outlets.clone(),
        recipients: RecipientChoice { numbers: numbers.clone(), ..Default::default() },
        start: StartMode::Draft,
        ..Default::default()
    };
    let actor = Actor { user_id: owner, role: Role::User };
    let blast = blasts::create(&state, actor, request).await.expect("blast").blast.expect("blast").blast;
    on_conn!(&db.url, conn => sqlx::query(
        "UPDATE blasts SET gap_min_secs = 0, gap_max_secs = 0, daily_cap = 1000000, window_start_min = 0, window_end_min = 0 WHERE id = $1")
        .bind(blast.id).execute(&mut conn).await.map(|_| ()).expect("zero gaps"));
    let t = Instant::now();
    blasts::act(&state, actor, blast.id, Action::Start).await.expect("start");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let b = state.store.blast(domain::policy::system_scope(), blast.id).await.expect("blast").expect("blast");
        if b.status == BlastStatus::Completed {
            break;
        }
        assert!(Instant::now() < deadline, "the blast did not complete: {:?}", b.counters);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let through_blast = t.elapsed();
    let _ = state.stop.send(true);
    let _ = worker.await;
    state.sessions.shutdown().await;
    state.store.close().await;
    db.remove().await;

    // Baseline: the same messages straight into the outbox, sent by the same devices.
    let db = common::fresh(backend, "bench_blasts_outbox").await;
    let state = open(&db.url).await;
    let (owner, outlets) = connected(&state, "outbox@shop.id").await;
    let now = domain::Clock::now(&SystemClock);
    let t = Instant::now();
    for (i, n) in numbers.iter().enumerate() {
        let to = domain::PhoneNumber::parse(n).expect("number");
        let text = format!("Halo {}", to.as_str());
        let new = NewOutgoing {
            owner,
            outlet: domain::OutletId(outlets[i % outlets.len()]),
            to: to.as_str(),
            body: &text,
            media: None,
            api_key_id: None,
            idempotency_key: None,
            expires_at: None,
        };
        state.store.create_outgoing(new, now).await.expect("outbox");
        if i % 100 == 0 {
            state.sessions.wake_senders_with_pending().await;
        }
    }
    state.sessions.wake_senders_with_pending().await;
    let deadline = Instant::now() + Duration::from_secs(600);
    while (sent(&state.store).await as usize) < DISPATCH {
        assert!(Instant::now() < deadline, "the outbox did not drain");
        state.sessions.wake_senders_with_pending().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let outbox = t.elapsed();
    state.sessions.shutdown().await;
    state.store.close().await;
    db.remove().await;
    let per = (through_blast.as_secs_f64() - outbox.as_secs_f64()) / DISPATCH as f64 * 1e6;
    println!(
        "| {backend} | {DISPATCH} × {OUTLETS} outlets | {} | {} | {:.1}× | {per:.0} µs |",
        secs(outbox),
        secs(through_blast),
        through_blast.as_secs_f64() / outbox.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let mut backends = vec!["SQLite"];
    if sqlx::PgConnection::connect(&common::pg_url()).await.is_ok() {
        backends.push("PostgreSQL");
    } else {
        println!("(PostgreSQL not reachable at BENCH_PG_URL: SQLite only)");
    }
    // BLASTS_BENCH=plan or =dispatch runs one of the two.
    let only = std::env::var("BLASTS_BENCH").unwrap_or_default();
    if only != "dispatch" {
        plan_table(&backends).await;
    }
    if only != "plan" {
        dispatch_table(&backends).await;
    }
}

async fn plan_table(backends: &[&str]) {
    println!("\nPlanning a blast (recipients, exclusions, assignment, rows, counters; one transaction)\n");
    println!("| backend | recipients | raw batched INSERT | create, by tag (in the database) | ratio | create, by contact ids (in the service) |");
    println!("|---|---|---|---|---|---|");
    for b in backends {
        planning(b).await;
    }
}

async fn dispatch_table(backends: &[&str]) {
    println!("\nDispatch with zero gaps, from start until every message is sent\n");
    println!("| backend | recipients | outbox only | through the blast dispatcher | ratio | overhead per message |");
    println!("|---|---|---|---|---|---|");
    for b in backends {
        dispatch(b).await;
    }
}

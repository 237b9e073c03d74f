//! Contact import and export against raw SQL doing the same writes and reads, in one process
//! (export memory: one child process per measurement, since a peak is per process).
//!
//! `cargo bench -p kewhats --bench contact_import` runs, on a temporary SQLite file and, when
//! it can be reached, on PostgreSQL (`BENCH_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database per scenario, dropped after):
//! - import: a 100,000-row CSV shaped like `testdata/contacts-sample.csv` (names, numbers
//!   in the forms people type, e-mails, two tags, a home outlet, two custom fields), checked,
//!   then checked and applied, through `services::contact_import` (file reading, every row's
//!   check, the merge against the database, the one transaction); baseline: the same rows,
//!   already parsed, written by a raw batched INSERT (500 rows a statement, one transaction,
//!   contacts only: no tags, no counters);
//! - export: 1,000,000 contacts streamed as CSV through `services::contact_import::export`;
//!   baseline: a raw `SELECT` of the same columns streamed row by row into a CSV writer. Time,
//!   and the growth of peak resident memory (VmHWM) over the resident memory before the run.

mod common;

use app::services::contact_import::{self, ExportQuery, Mode, Status};
use app::{AppState, Deps};
use domain::{Actor, Email, Label, PhoneNumber, Plan, Role, SystemClock, UserId};
use futures_util::StreamExt;
use kewhats::Config;
use sqlx::Connection;
use std::time::{Duration, Instant};
use store::{NewOutlet, NewUser, Store};

const IMPORT_ROWS: usize = 100_000;
const EXPORT_ROWS: usize = 1_000_000;
const OUTLETS: [&str; 3] = ["Kopi Nusantara Bandung", "Kopi Nusantara Jakarta", "Kopi Nusantara Surabaya"];
const FIRST: [&str; 8] = ["Dewi", "Lestari", "Wulan", "Gilang", "Budi", "Sari", "Agus", "Rina"];
const LAST: [&str; 6] = ["Halim", "Saputra", "Susanto", "Putra", "Wijaya", "Hidayat"];
const TAGS: [&str; 6] = ["vip", "baru", "surabaya", "promo-ramadan", "pelanggan-setia", "reseller"];

fn row(i: usize) -> [String; 7] {
    let name = format!("{} {} {i}", FIRST[i % 8], LAST[i % 6]);
    let number = match i % 4 {
        0 => format!("0812{i:08}"),
        1 => format!("62813{i:08}"),
        2 => format!("+62 815-{:04}-{:04}", i / 10_000, i % 10_000),
        _ => format!("+62-817{i:08}"),
    };
    let email = if i % 10 < 7 { format!("pelanggan{i}@contoh.id") } else { String::new() };
    let tags = format!("{};{}", TAGS[i % 6], TAGS[(i / 6) % 6]);
    let outlet = if i.is_multiple_of(3) { String::new() } else { OUTLETS[i % 3].to_string() };
    let size = ["S", "M", "L", "XL"][i % 4].to_string();
    let since = if i.is_multiple_of(2) { format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1) } else { String::new() };
    [name, number, email, tags, outlet, size, since]
}

fn csv_file(n: usize) -> Vec<u8> {
    let mut out = String::from("nama,no_wa,email,tags,outlet,ukuran_kaos,member_sejak\n");
    for i in 0..n {
        out.push_str(&row(i).join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn open(url: &str) -> AppState {
    let mut config = Config::for_tests(url);
    config.database_max_connections = 8;
    AppState::open(config, Deps::real(&Config::for_tests(url))).await.expect("open")
}

/// An owner with the sample's three outlets.
async fn owner(store: &Store, email: &str) -> UserId {
    let now = domain::Clock::now(&SystemClock);
    let email = Email::parse(email).expect("email");
    let new = NewUser { email: &email, name: "", password_hash: "x", role: Role::User, plan: Plan::Unlimited };
    let owner = store.create_user(new, now).await.expect("user").id;
    let city = Label::parse("Kota", 50).expect("city");
    for (i, name) in OUTLETS.iter().enumerate() {
        let name = Label::parse(name, 50).expect("name");
        let number = PhoneNumber::parse(&format!("08120000000{i}")).expect("number");
        store
            .create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now)
            .await
            .expect("outlet");
    }
    owner
}

async fn run_import(state: &AppState, actor: Actor, file: Vec<u8>, mode: Mode) -> (Duration, contact_import::Counts) {
    let t = Instant::now();
    let job = contact_import::start(state, actor, file, mode).await.expect("start");
    loop {
        let view = contact_import::job(state, actor, &job.id).expect("job");
        match view.status {
            Status::Running => tokio::time::sleep(Duration::from_millis(5)).await,
            Status::Done => return (t.elapsed(), view.report.expect("report").counts),
            Status::Failed => panic!("import failed: {:?}", view.error.map(|e| e.to_string())),
        }
    }
}

/// The same rows, parsed beforehand, written by multi-row INSERTs in one transaction.
macro_rules! raw_insert {
    ($conn:expr, $owner:expr, $rows:expr) => {{
        let mut tx = $conn.begin().await.expect("begin");
        for chunk in $rows.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO contacts (owner_id, created_at, updated_at, name, wa_number, email, notes, fields) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = 3 + i * 5;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("($1,$2,$2,${},${},${},${},${})", b, b + 1, b + 2, b + 3, b + 4));
            }
            let mut q = sqlx::query(&sql).bind($owner.0).bind(1_i64);
            for (name, number, email, fields) in chunk {
                q = q.bind(name).bind(number).bind(email).bind("").bind(fields);
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
    }};
}

async fn import_bench(backend: &str) {
    let file = csv_file(IMPORT_ROWS);
    // Service: check on an empty database, then check + apply, then a re-import check.
    let db = common::fresh(backend, "bench_contacts_import").await;
    let state = open(&db.url).await;
    let id = owner(&state.store, "import@shop.id").await;
    let actor = Actor { user_id: id, role: Role::User };
    let (check, counts) = run_import(&state, actor, file.clone(), Mode::Check).await;
    assert_eq!(counts.new as usize, IMPORT_ROWS);
    let (apply, counts) = run_import(&state, actor, file.clone(), Mode::Apply).await;
    assert_eq!(counts.new as usize, IMPORT_ROWS);
    assert_eq!(state.store.contact_counts(id).await.expect("counts").total as usize, IMPORT_ROWS);
    let (again, counts) = run_import(&state, actor, file.clone(), Mode::Check).await;
    assert_eq!(counts.unchanged as usize, IMPORT_ROWS);
    let (reapply, _) = run_import(&state, actor, file, Mode::Apply).await;
    state.store.close().await;
    db.remove().await;

    // Baseline: the rows already normalised, straight into the table.
    let db = common::fresh(backend, "bench_contacts_raw").await;
    let state = open(&db.url).await;
    let id = owner(&state.store, "raw@shop.id").await;
    state.store.close().await;
    let rows: Vec<(String, String, Option<String>, String)> = (0..IMPORT_ROWS)
        .map(|i| {
            let r = row(i);
            let number = PhoneNumber::parse(&r[1]).expect("number").as_str().to_string();
            let email = (!r[2].is_empty()).then(|| r[2].clone());
            (r[0].clone(), number, email, format!("{{\"ukuran_kaos\":\"{}\"}}", r[5]))
        })
        .collect();
    let t = Instant::now();
    if db.url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("pg");
        raw_insert!(conn, id, rows);
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.expect("sqlite");
        raw_insert!(conn, id, rows);
    }
    let raw = t.elapsed();
    db.remove().await;
    let x = |d: Duration| format!("{:.1}×", d.as_secs_f64() / raw.as_secs_f64());
    println!(
        "| {backend} | {} | {} ({}) | {} ({}) | {} ({}) | {} ({}) |",
        secs(raw),
        secs(check),
        x(check),
        secs(apply),
        x(apply),
        secs(again),
        x(again),
        secs(reapply),
        x(reapply)
    );
}

/// Seeds `EXPORT_ROWS` contacts (a tenth of them tagged) by raw batched INSERTs.
async fn seed_export(url: &str) -> UserId {
    let state = open(url).await;
    let id = owner(&state.store, "export@shop.id").await;
    let fields = [("member_sejak", "2024-03-15"), ("ukuran_kaos", "L")].into_iter().map(|(k, v)| (k.into(), v.into()));
    let fields: std::collections::BTreeMap<String, String> = fields.collect();
    let mut rows = Vec::with_capacity(10_000);
    let now = domain::Clock::now(&SystemClock);
    for start in (0..EXPORT_ROWS).step_by(10_000) {
        rows.clear();
        for i in start..start + 10_000 {
            let r = row(i);
            rows.push(store::ImportContact {
                wa_number: format!("+62812{i:08}"),
                name: r[0].clone(),
                email: (!r[2].is_empty()).then(|| r[2].clone()),
                notes: String::new(),
                home_outlet: None,
                fields: fields.clone(),
                tags: if i.is_multiple_of(10) { vec![TAGS[i % 6].to_string()] } else { Vec::new() },
            });
        }
        state.store.apply_contact_import(id, &rows, now, &|_| {}).await.expect("seed");
    }
    state.store.close().await;
    id
}

/// `VmRSS` / `VmHWM` of this process, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Where the baseline writes its CSV: counted, then dropped (as a socket would take it).
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// In a child process: one export, printed as `secs rows peak_growth_kib`.
async fn export_child(url: &str, owner: i64, how: &str) {
    let state = open(url).await;
    let before = status_kib("VmRSS:");
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut lines = 0usize;
    if how == "service" {
        let actor = Actor { user_id: UserId(owner), role: Role::User };
        let mut export = contact_import::export(&state, actor, ExportQuery::default()).await.expect("export");
        while let Some(chunk) = export.body.next().await {
            let chunk = chunk.expect("chunk");
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        lines -= 1; // the header
    } else {
        let sql = "SELECT name, wa_number, email, notes, fields FROM contacts WHERE owner_id = $1 ORDER BY id";
        macro_rules! raw {
            ($conn:expr) => {{
                let mut conn = $conn;
                let mut rows = sqlx::query_as::<_, (String, String, Option<String>, String, String)>(sql)
                    .bind(owner)
                    .fetch(&mut conn);
                let mut out = csv::Writer::from_writer(Counted(0));
                while let Some(r) = rows.next().await {
                    let (name, number, email, notes, fields) = r.expect("row");
                    out.write_record([name, number, email.unwrap_or_default(), notes, fields]).expect("csv");
                    lines += 1;
                }
                bytes += out.into_inner().map_err(|_| "flush").expect("csv").0;
            }};
        }
        if url.starts_with("postgres") {
            raw!(sqlx::PgConnection::connect(url).await.expect("pg"));
        } else {
            raw!(sqlx::SqliteConnection::connect(url).await.expect("sqlite"));
        }
    }
    let elapsed = t.elapsed();
    assert_eq!(lines, EXPORT_ROWS);
    let peak = status_kib("VmHWM:").saturating_sub(before);
    println!("{} {bytes} {peak}", elapsed.as_secs_f64());
}

fn child(url: &str, owner: UserId, how: &str) -> (f64, usize, u64) {
    let exe = std::env::current_exe().expect("exe");
    let out = std::process::Command::new(exe)
        .args(["--export-child", url, &owner.0.to_string(), how])
        .output()
        .expect("child");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default().to_string();
    let mut parts = last.split(' ');
    let mut next = || parts.next().unwrap_or("0").to_string();
    (next().parse().unwrap_or(0.0), next().parse().unwrap_or(0), next().parse().unwrap_or(0))
}

async fn export_bench(backend: &str) {
    let db = common::fresh(backend, "bench_contacts_export").await;
    let t = Instant::now();
    let owner = seed_export(&db.url).await;
    let seeded = t.elapsed();
    let (raw_s, raw_bytes, raw_kib) = child(&db.url, owner, "raw");
    let (svc_s, svc_bytes, svc_kib) = child(&db.url, owner, "service");
    println!(
        "| {backend} | {:.2} s, +{:.1} MiB | {:.2} s, +{:.1} MiB | {:.1}× | {:.0} MB | (seeded in {}) |",
        raw_s,
        raw_kib as f64 / 1024.0,
        svc_s,
        svc_kib as f64 / 1024.0,
        svc_s / raw_s,
        svc_bytes as f64 / 1e6,
        secs(seeded),
    );
    let _ = raw_bytes;
    db.remove().await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--export-child") {
        let owner = args[i + 2].parse().expect("owner");
        export_child(&args[i + 1], owner, &args[i + 3]).await;
        return;
    }
    let mut backends = vec!["SQLite"];
    match sqlx::PgConnection::connect(&common::pg_url()).await {
        Ok(_) => backends.push("PostgreSQL"),
        Err(e) => eprintln!("PostgreSQL skipped ({e}); set BENCH_PG_URL"),
    }
    println!("\nImport of {IMPORT_ROWS} rows (× = against the raw INSERT):\n");
    println!("| backend | raw batched INSERT | check | check + apply | re-import check | re-import apply |");
    println!("|---|---:|---:|---:|---:|---:|");
    for b in &backends {
        import_bench(b).await;
    }
    println!("\nExport of {EXPORT_ROWS} contacts (time, peak RSS growth):\n");
    println!("| backend | raw SELECT streamed | export service | export / raw | CSV size | |");
    println!("|---|---:|---:|---:|---:|---|");
    for b in &backends {
        export_bench(b).await;
    }
}

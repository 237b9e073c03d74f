//! The `kewhats` binary itself: `user add`, `migrate`, `serve` without an admin, SIGTERM.

use domain::{Email, Role, Timestamp};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use store::testing::TestDb;
use store::{both_backends, Store};

fn kewhats(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kewhats"));
    cmd.env("DATABASE_URL", &db.url).env("KEWHATS_DATA_DIR", dir).env("RUST_LOG", "warn").env_remove("KEWHATS_CONFIG");
    cmd
}

fn user_add(db: &TestDb, dir: &std::path::Path, email: &str, role: &str, password: &str) -> (i32, String) {
    let mut child = kewhats(db, dir)
        .args(["user", "add", "--email", email, "--role", role, "--plan", "pro"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The child's standard error, line by line, read on a thread so the test can time out.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kewhats_cli_{}_{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

both_backends! {
    async fn user_add_reads_the_password_from_stdin_and_refuses_weak_ones(db) {
        let dir = temp_dir();
        let (code, text) = user_add(db, &dir, "root@shop.id", "superadmin", "");
        assert_eq!(code, 2, "{text}");
        assert!(text.contains("password is empty"), "{text}");
        let (code, text) = user_add(db, &dir, "root@shop.id", "superadmin", "admin123");
        assert_eq!(code, 2);
        assert!(text.contains("at least 10") || text.contains("too common"), "{text}");
        let (code, text) = user_add(db, &dir, "root@shop.id", "superadmin", "kopi susu gula aren");
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("created root@shop.id") && text.contains("superadmin"), "{text}");
        let (code, text) = user_add(db, &dir, "ROOT@shop.id", "user", "another fine phrase");
        assert_eq!(code, 2);
        assert!(text.contains("already exists"), "{text}");
        let store = Store::open(&db.url, &Default::default()).await.unwrap();
        let email = Email::parse("root@shop.id").unwrap();
        let user = store.user_credentials(&email).await.unwrap().expect("created").user;
        assert_eq!(user.role, Role::Superadmin);
        assert_eq!(store.list_users(None, Default::default()).await.unwrap().total, 1, "refused attempts wrote nothing");
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn migrate_then_serve_without_admin_says_how_to_make_one_and_stops_on_sigterm(db) {
        let dir = temp_dir();
        let out = kewhats(db, &dir).arg("migrate").output().expect("migrate");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let first = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(first.contains("migrations applied:") && !first.contains("applied: 0"), "{first}");
        let again = kewhats(db, &dir).arg("migrate").output().expect("migrate again");
        assert!(String::from_utf8_lossy(&again.stdout).contains("migrations applied: 0"), "a second run applies nothing");
        let mut child = kewhats(db, &dir)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let rx = stderr_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = String::new();
        while Instant::now() < deadline && !seen.contains("kewhats user add") {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                seen.push_str(&line);
                seen.push('\n');
            }
        }
        assert!(seen.contains("no admin account exists") && seen.contains("--role superadmin"), "{seen}");
        let pid = child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "graceful exit, got {status}");
        let _ = std::fs::remove_dir_all(dir);
    }

    async fn demo_seeding_twice_adds_nothing_the_second_time(db) {
        let store = Store::open(&db.url, &Default::default()).await.unwrap();
        let now = Timestamp(1_700_000_000_000);
        let (users, outlets) = app::demo::seed(&store, now).await.unwrap();
        assert_eq!((users, outlets), (4, 7));
        assert_eq!(app::demo::seed(&store, now).await.unwrap(), (0, 0));
        assert_eq!(store.list_users(None, Default::default()).await.unwrap().total, 4);
        let admin = store.user_credentials(&Email::parse("admin@kewhats.app").unwrap()).await.unwrap().unwrap();
        assert_eq!(admin.user.role, Role::Admin);
        assert!(app::crypto::passwords::verify("admin123".into(), Some(admin.password_hash)).await);
        let monitoring = store.user_credentials(&Email::parse("monitoring@kewhats.app").unwrap()).await.unwrap().unwrap();
        assert_eq!(monitoring.user.role, Role::Monitoring);
        store.close().await;
    }
}

mod web_engine_logs {
    use super::*;
    use domain::{Clock, DeviceStatus, EngineKind, Label, PhoneNumber, Plan};
    use store::{DeviceChange, NewDevice, NewOutlet, NewUser};

    both_backends! {
        async fn an_unreachable_whatsapp_logs_one_line_per_status_change_and_nothing_from_the_engine(db) {
            let store = Store::open(&db.url, &Default::default()).await.unwrap();
            let now = domain::SystemClock.now();
            let email = Email::parse("owner@shop.id").unwrap();
            let owner = store.create_user(NewUser { email: &email, name: "", password_hash: "x", role: Role::User, plan: Plan::Free }, now).await.unwrap().id;
            let name = Label::parse("Jakarta", 50).unwrap();
            let city = Label::parse_optional("", 50).unwrap();
            let number = PhoneNumber::parse("081200000009").unwrap();
            let o = store.create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, now).await.unwrap();
            let d = store.create_device(NewDevice { outlet_id: o.id, engine: EngineKind::Web, paired_account: Some("6281200000009".into()) }, now).await.unwrap();
            let step = DeviceChange { reason: "paired earlier".into(), ..Default::default() };
            store.record_device_change(d.id, DeviceStatus::Disconnected, DeviceStatus::Connecting, &step, now).await.unwrap();
            store.record_device_change(d.id, DeviceStatus::Connecting, DeviceStatus::Connected, &step, now).await.unwrap();
            store.close().await;

            let dir = temp_dir();
            let mut child = kewhats(db, &dir)
                .args(["serve", "--bind", "127.0.0.1:0"])
                .env_remove("RUST_LOG")
                .env("NO_COLOR", "1")
                .env("KEWHATS_WEB_URL", "ws://127.0.0.1:1/ws/chat")
                .env("KEWHATS_SECRET_KEY", "ab".repeat(32))
                .env("KEWHATS_BACKOFF_BASE_SECS", "1")
                .env("KEWHATS_BACKOFF_CAP_SECS", "2")
                .stderr(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn");
            let rx = stderr_lines(&mut child);
            let mut lines = Vec::new();
            let until = Instant::now() + Duration::from_secs(6);
            while Instant::now() < until {
                if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                    lines.push(line);
                }
            }
            assert!(child.try_wait().expect("try_wait").is_none(), "the server is still running (no panic)");
            let pid = child.id().to_string();
            assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
            let status = child.wait().expect("wait");
            assert!(status.success(), "clean exit: {status}\n{}", lines.join("\n"));
            let failures = lines.iter().filter(|l| l.contains("to=disconnected") && l.contains("could not reach WhatsApp")).count();
            let connecting = lines.iter().filter(|l| l.contains("to=connecting")).count();
            assert!(failures >= 3, "at least three failed attempts in 6 s with a 1-2 s backoff:\n{}", lines.join("\n"));
            assert!(connecting <= failures + 1, "one connecting line per attempt");
            let other = lines.iter().filter(|l| !l.contains("device status") && !l.contains("reconciled")).count();
            assert!(other <= 4, "besides status lines only start-up lines:\n{}", lines.join("\n"));
            assert!(!lines.iter().any(|l| l.contains("Will retry") || l.contains("whatsapp_rust") || l.contains("panicked")), "{}", lines.join("\n"));
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The demo announces its API reference and its metrics, with a token made for the run.
#[tokio::test]
async fn the_demo_shows_its_api_reference_and_metrics() {
    let dir = temp_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kewhats"))
        .args(["demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .env_remove("KEWHATS_CONFIG")
        .env_remove("KEWHATS_METRICS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut docs, mut metrics) = (None, None);
    let until = Instant::now() + Duration::from_secs(60);
    while metrics.is_none() && Instant::now() < until {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            docs = docs.or_else(|| line.strip_prefix("API reference: ").map(str::to_string));
            metrics = line.strip_prefix("Metrics:").map(|l| l.trim().to_string());
        }
    }
    let (docs, metrics) = (docs.expect("the docs line"), metrics.expect("the metrics line"));
    // "curl -H 'Authorization: Bearer TOKEN' URL/metrics"
    let token = metrics.split("Bearer ").nth(1).and_then(|t| t.split('\'').next()).expect("a token").to_string();
    let url = metrics.rsplit(' ').next().expect("a url").to_string();
    assert!(token.len() >= 16, "{metrics}");
    let c = reqwest::Client::new();
    assert_eq!(c.get(&docs).send().await.unwrap().status(), reqwest::StatusCode::OK);
    let scraped = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(scraped.status(), reqwest::StatusCode::OK);
    assert!(scraped.text().await.unwrap().contains("kewhats_devices{"), "the demo's devices are counted");
    assert_eq!(c.get(&url).send().await.unwrap().status(), reqwest::StatusCode::UNAUTHORIZED);
    // The first owner's customers come from the sample file (its six bad rows left out), with
    // templates that use their custom fields.
    let base = url.trim_end_matches("/metrics");
    let owner = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "owner1@kewhats.app", "password": "owner123"});
    assert!(owner.post(format!("{base}/api/auth/login")).json(&login).send().await.unwrap().status().is_success());
    let contacts: serde_json::Value =
        owner.get(format!("{base}/api/contacts")).send().await.unwrap().json().await.unwrap();
    assert_eq!(contacts["total"], 994);
    let templates: serde_json::Value =
        owner.get(format!("{base}/api/templates")).send().await.unwrap().json().await.unwrap();
    assert_eq!(templates["total"], 3);
    // And automations to look at: two keyword rules and a sign-up chatbot, switched on.
    let rules: serde_json::Value =
        owner.get(format!("{base}/api/auto-replies")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rules["total"], 2, "{rules}");
    let bots: serde_json::Value = owner.get(format!("{base}/api/chatbots")).send().await.unwrap().json().await.unwrap();
    assert_eq!((bots["total"].as_i64(), bots["items"][0]["active"].as_bool()), (Some(1), Some(true)), "{bots}");
    // And an example Telegram integration, paused.
    let hooks: serde_json::Value =
        owner.get(format!("{base}/api/integrations")).send().await.unwrap().json().await.unwrap();
    let hook = &hooks["items"][0];
    assert_eq!(
        (hooks["total"].as_i64(), hook["type"].as_str(), hook["active"].as_bool()),
        (Some(1), Some("telegram"), Some(false)),
        "{hooks}"
    );
    // And a broadcast planned to every customer, left as a draft.
    let blasts: serde_json::Value = owner.get(format!("{base}/api/blasts")).send().await.unwrap().json().await.unwrap();
    let draft = &blasts["items"][0];
    assert_eq!((blasts["total"].as_i64(), draft["status"].as_str()), (Some(1), Some("draft")), "{blasts}");
    assert_eq!(draft["counters"]["total"], 994, "{draft}");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

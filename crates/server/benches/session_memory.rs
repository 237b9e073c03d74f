//! Resident memory per idle session, printed as a table.
//!
//! `cargo bench -p kewhats --bench session_memory` runs each scenario in its own child process
//! (so one scenario's freed memory cannot hide the next one's) and reports resident memory
//! (RSS from /proc/self/statm) added per session after the sessions settle, against a baseline
//! measured the same way: bare tokio tasks each waiting on a channel, the least any per-device
//! loop must hold.

use domain::{DeviceStatus, EngineKind, SystemClock};
mod common;

use app::sessions::{Engines, SessionSettings, Sessions, TokioTimer};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--scenario") {
        let name = args.get(pos + 1).cloned().unwrap_or_default();
        let n: usize = args.get(pos + 2).and_then(|s| s.parse().ok()).unwrap_or(1000);
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let per = rt.block_on(run(&name, n));
        println!("RESULT {per}");
        return;
    }
    let exe = std::env::current_exe().expect("exe");
    let scenario = |name: &str, n: usize| -> f64 {
        let out = Command::new(&exe).args(["--scenario", name, &n.to_string()]).output().expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("scenario {name} failed: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let rows = [
        ("bare task + channel (baseline)", "baseline", 1000),
        ("sim session, connected", "sim", 1000),
        ("web session, unpaired, after a failed connect", "web", 500),
    ];
    let baseline = scenario("baseline", 1000);
    println!("\n| scenario | sessions | RSS per session | vs baseline |");
    println!("|---|---:|---:|---:|");
    for (label, name, n) in rows {
        let per = if name == "baseline" { baseline } else { scenario(name, n) };
        println!("| {label} | {n} | {:.1} KiB | {:.1}× |", per / 1024.0, per / baseline);
    }
}

/// Bytes of RSS added per session once `n` sessions are idle.
async fn run(name: &str, n: usize) -> f64 {
    match name {
        "baseline" => {
            let before = rss_bytes();
            let mut keep = Vec::with_capacity(n);
            for _ in 0..n {
                let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(16);
                tokio::spawn(async move { while rx.recv().await.is_some() {} });
                keep.push(tx);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            (rss_bytes() - before) as f64 / n as f64
        }
        "sim" => sessions(n, EngineKind::Sim).await,
        "web" => sessions(n, EngineKind::Web).await,
        other => panic!("unknown scenario {other}"),
    }
}

async fn sessions(n: usize, engine: EngineKind) -> f64 {
    let dir = std::env::temp_dir().join(format!("kewhats_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let store =
        Store::open(&format!("sqlite://{}", dir.join("bench.db").display()), &Default::default()).await.expect("store");
    common::seed(&store, "bench@shop.id", "x", n, engine).await;
    let secrets = app::crypto::SecretBox::from_hex(&"7c".repeat(32)).expect("key");
    let keys = Arc::new(app::crypto::EncryptedKeyStore::new(store.clone(), secrets));
    // WhatsApp is unreachable here: each web session dials a closed local port once and idles.
    let web =
        engine_web::WebConfig { url: Some("ws://127.0.0.1:1/ws/chat".into()), version: engine_web::DEFAULT_VERSION };
    let engines = Engines {
        sim: Some(engine::sim::SimEngine::new(Default::default())),
        web: Some(Arc::new(engine_web::WebEngine::new(web, keys))),
    };
    let (clock, timer, settings) = (Arc::new(SystemClock), Arc::new(TokioTimer), SessionSettings::default());
    let sessions = Sessions::new(store.clone(), engines, clock, timer, settings, Default::default());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_bytes();
    sessions.start_all().await.expect("start");
    if engine == EngineKind::Web {
        for d in store.all_devices().await.expect("devices") {
            sessions.connect(d).await.expect("connect");
        }
    }
    let settled = |d: &store::Device| match engine {
        EngineKind::Sim => d.status == DeviceStatus::Connected,
        EngineKind::Web => d.status == DeviceStatus::Disconnected && !d.status_reason.is_empty(),
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let settled = store.all_devices().await.expect("devices").iter().filter(|d| settled(d)).count();
        if settled == n || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per = (rss_bytes() - before) as f64 / n as f64;
    let _ = std::fs::remove_dir_all(&dir);
    per
}

//! Settings. Each comes from, highest first: a command-line flag (where one exists), the
//! environment (`KEWHATS_<NAME>`), the TOML file (`<name> = …`), then the default below.
//! The table in the README lists the same keys; keep the two in step.

use anyhow::{bail, Context};
use domain::EngineKind;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub database_max_connections: u32,
    /// Adds `Secure` to the session cookie; turn on behind HTTPS.
    pub secure_cookies: bool,
    pub session_ttl_secs: i64,
    pub registration_open: bool,
    /// Failed logins allowed per e-mail, then per client IP, within `login_window_secs`.
    pub login_max_failures_per_email: u32,
    pub login_max_failures_per_ip: u32,
    pub login_window_secs: i64,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy you control).
    pub trust_proxy: bool,
    pub max_body_bytes: usize,
    /// Demo mode: demo accounts exist and the UI says so.
    pub demo: bool,
    /// The engine a new device uses when the request names none.
    pub default_engine: EngineKind,
    pub reconcile_interval_secs: u64,
    pub backoff_base_secs: u64,
    pub backoff_cap_secs: u64,
    /// Sim devices scan their own QR after this many seconds (0: never; the demo uses 5).
    pub sim_auto_scan_secs: u64,
    /// 64 hex characters encrypting device keys at rest; else the key file below is used.
    pub secret_key: Option<String>,
    /// Where the generated secret key lives when `secret_key` is not set.
    pub secret_key_file: PathBuf,
    /// The least time between two messages one device sends.
    pub send_min_gap_ms: u64,
    /// Pending messages fail after this long without a connected device (0: never).
    pub message_expiry_secs: u64,
    /// How often an open event stream checks that its caller may still see it.
    pub events_recheck_secs: u64,
    /// Let webhooks target private and loopback addresses (only for a trusted local setup).
    pub webhooks_allow_private: bool,
    /// Attempts per webhook delivery before it is marked failed.
    pub webhook_max_attempts: u32,
    /// How long a receiver has to answer one attempt.
    pub webhook_timeout_secs: u64,
    /// Retry delays grow from this base, doubling, with jitter, up to the cap.
    pub webhook_retry_base_ms: u64,
    pub webhook_retry_cap_secs: u64,
    /// Deliveries posted at once.
    pub webhook_concurrency: u32,
    /// Finished deliveries stay in the log this long (0: forever).
    pub webhook_log_days: u32,
    /// The largest image or document accepted for sending (upload or `media_url`).
    pub media_max_bytes: usize,
    /// The WhatsApp Web socket the `web` engine dials.
    pub web_url: String,
    /// The WhatsApp Web client version the `web` engine announces, pinned so that start-up
    /// makes no network fetch: `major.minor.patch`.
    pub web_version: (u32, u32, u32),
}

/// Which command is asking; demo mode has its own defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    Demo,
}

/// Values given on the command line; `None` falls through to env, file and default.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
}

pub const DEFAULT_WEB_URL: &str = "wss://web.whatsapp.com/ws/chat";
/// The version whatsapp-rust 0.7.0 ships with.
pub const DEFAULT_WEB_VERSION: &str = "2.3000.1042742319";

fn parse_version(text: &str) -> anyhow::Result<(u32, u32, u32)> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    let num =
        |s: &str| s.parse::<u32>().with_context(|| format!("web_version '{text}' must look like 2.3000.1042742319"));
    match parts.as_slice() {
        [a, b, c] => Ok((num(a)?, num(b)?, num(c)?)),
        _ => bail!("web_version '{text}' must look like 2.3000.1042742319"),
    }
}

struct Sources {
    file: toml::Table,
    file_name: Option<PathBuf>,
}

impl Sources {
    fn load(explicit: Option<&Path>) -> anyhow::Result<Sources> {
        let from_env = std::env::var_os("KEWHATS_CONFIG").map(PathBuf::from);
        let (path, required) = match explicit.map(Path::to_path_buf).or(from_env) {
            Some(p) => (p, true),
            None => (PathBuf::from("kewhats.toml"), false),
        };
        if !path.exists() {
            if required {
                bail!("config file {} does not exist", path.display());
            }
            return Ok(Sources { file: toml::Table::new(), file_name: None });
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let file = text.parse::<toml::Table>().with_context(|| format!("parsing {}", path.display()))?;
        Ok(Sources { file, file_name: Some(path) })
    }

    /// The raw text of a setting from the environment or the file.
    fn raw(&self, key: &str) -> Option<(String, String)> {
        let env = format!("KEWHATS_{}", key.to_ascii_uppercase());
        if let Ok(v) = std::env::var(&env) {
            return Some((env, v));
        }
        let value = self.file.get(key)?;
        let text = match value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let origin = format!("{} in {}", key, self.file_name.as_deref().unwrap_or(Path::new("?")).display());
        Some((origin, text))
    }

    fn get<T: FromStr>(&self, key: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.raw(key) {
            None => Ok(default),
            Some((origin, text)) => text.trim().parse().map_err(|e| anyhow::anyhow!("{origin} = '{text}': {e}")),
        }
    }

    fn check_known_keys(&self) -> anyhow::Result<()> {
        for key in self.file.keys() {
            if !KEYS.contains(&key.as_str()) {
                bail!("unknown setting '{key}' in the config file; known: {}", KEYS.join(", "));
            }
        }
        Ok(())
    }
}

const KEYS: &[&str] = &[
    "bind",
    "data_dir",
    "database_url",
    "database_max_connections",
    "secure_cookies",
    "session_ttl_hours",
    "registration",
    "login_max_failures_per_email",
    "login_max_failures_per_ip",
    "login_window_secs",
    "trust_proxy",
    "max_body_kib",
    "default_engine",
    "reconcile_interval_secs",
    "backoff_base_secs",
    "backoff_cap_secs",
    "sim_auto_scan_secs",
    "secret_key",
    "secret_key_file",
    "send_min_gap_ms",
    "webhooks_allow_private",
    "events_recheck_secs",
    "message_expiry_secs",
    "webhook_max_attempts",
    "webhook_timeout_secs",
    "webhook_retry_base_ms",
    "webhook_retry_cap_secs",
    "webhook_concurrency",
    "webhook_log_days",
    "media_max_kib",
    "web_url",
    "web_version",
];

impl Config {
    pub fn load(mode: Mode, overrides: &Overrides) -> anyhow::Result<Config> {
        let src = Sources::load(overrides.config_file.as_deref())?;
        src.check_known_keys()?;
        let demo = mode == Mode::Demo;

        let bind_text = match &overrides.bind {
            Some(b) => b.clone(),
            None => src.get("bind", "127.0.0.1:8080".to_string())?,
        };
        let bind =
            bind_text.parse().with_context(|| format!("bind address '{bind_text}' must look like 127.0.0.1:8080"))?;
        let default_dir = if demo { "kewhats-demo-data" } else { "data" };
        let data_dir = match &overrides.data_dir {
            Some(d) => d.clone(),
            None => src.get("data_dir", PathBuf::from(default_dir))?,
        };
        let default_url = format!("sqlite://{}", data_dir.join("kewhats.db").display());
        // The demo is SQLite in its data dir by definition; DATABASE_URL is for `serve`.
        let database_url = if demo {
            default_url
        } else {
            match std::env::var("DATABASE_URL") {
                Ok(url) if !url.trim().is_empty() => url,
                _ => src.get("database_url", default_url)?,
            }
        };
        let registration: String = src.get("registration", if demo { "open" } else { "closed" }.to_string())?;
        let registration_open = match registration.as_str() {
            "open" => true,
            "closed" => false,
            other => bail!("registration = '{other}': expected open or closed"),
        };
        let ttl_hours: i64 = src.get("session_ttl_hours", 24 * 7)?;
        if ttl_hours < 1 {
            bail!("session_ttl_hours must be at least 1");
        }
        let max_body_kib: usize = src.get("max_body_kib", 256)?;
        let backoff_base_secs: u64 = src.get("backoff_base_secs", 2)?;
        let backoff_cap_secs: u64 = src.get("backoff_cap_secs", 300)?;
        if backoff_base_secs == 0 || backoff_cap_secs < backoff_base_secs {
            bail!("backoff_base_secs must be at least 1 and backoff_cap_secs at least backoff_base_secs");
        }
        let reconcile_interval_secs: u64 = src.get("reconcile_interval_secs", 30)?;
        if reconcile_interval_secs == 0 {
            bail!("reconcile_interval_secs must be at least 1");
        }
        let webhook_max_attempts: u32 = src.get("webhook_max_attempts", 12)?;
        let webhook_timeout_secs: u64 = src.get("webhook_timeout_secs", 10)?;
        let webhook_retry_base_ms: u64 = src.get("webhook_retry_base_ms", 30_000)?;
        if webhook_max_attempts == 0 || webhook_timeout_secs == 0 || webhook_retry_base_ms == 0 {
            bail!("webhook_max_attempts, webhook_timeout_secs and webhook_retry_base_ms must be at least 1");
        }
        let media_max_kib: usize = src.get("media_max_kib", 16 * 1024)?;
        Ok(Config {
            bind,
            database_url,
            database_max_connections: src.get("database_max_connections", 10)?,
            secure_cookies: src.get("secure_cookies", false)?,
            session_ttl_secs: ttl_hours * 3600,
            registration_open,
            login_max_failures_per_email: src.get("login_max_failures_per_email", 5)?,
            login_max_failures_per_ip: src.get("login_max_failures_per_ip", 20)?,
            login_window_secs: src.get("login_window_secs", 15 * 60)?,
            trust_proxy: src.get("trust_proxy", false)?,
            max_body_bytes: max_body_kib.max(1) * 1024,
            demo,
            default_engine: src.get("default_engine", if demo { EngineKind::Sim } else { EngineKind::Web })?,
            reconcile_interval_secs,
            backoff_base_secs,
            backoff_cap_secs,
            sim_auto_scan_secs: src.get("sim_auto_scan_secs", if demo { 5 } else { 0 })?,
            secret_key: src.raw("secret_key").map(|(_, v)| v),
            send_min_gap_ms: src.get("send_min_gap_ms", 1000)?,
            webhooks_allow_private: src.get("webhooks_allow_private", false)?,
            events_recheck_secs: src.get::<u64>("events_recheck_secs", 15)?.max(1),
            message_expiry_secs: src.get("message_expiry_secs", 24 * 3600)?,
            secret_key_file: src.get("secret_key_file", data_dir.join("secret.key"))?,
            webhook_max_attempts,
            webhook_timeout_secs,
            webhook_retry_base_ms,
            webhook_retry_cap_secs: src.get("webhook_retry_cap_secs", 6 * 3600)?,
            webhook_concurrency: src.get::<u32>("webhook_concurrency", 16)?.clamp(1, 256),
            webhook_log_days: src.get("webhook_log_days", 30)?,
            media_max_bytes: media_max_kib.max(1) * 1024,
            web_url: src.get("web_url", DEFAULT_WEB_URL.to_string())?,
            web_version: parse_version(&src.get("web_version", DEFAULT_WEB_VERSION.to_string())?)?,
            data_dir,
        })
    }

    pub fn session_settings(&self) -> crate::sessions::SessionSettings {
        crate::sessions::SessionSettings {
            backoff: domain::Backoff {
                base: Duration::from_secs(self.backoff_base_secs),
                cap: Duration::from_secs(self.backoff_cap_secs),
            },
            reconcile_interval: Duration::from_secs(self.reconcile_interval_secs),
            send_gap: Duration::from_millis(self.send_min_gap_ms),
        }
    }

    /// The schedule of webhook retries.
    pub fn webhook_backoff(&self) -> domain::Backoff {
        let base = Duration::from_millis(self.webhook_retry_base_ms);
        domain::Backoff { base, cap: Duration::from_secs(self.webhook_retry_cap_secs).max(base) }
    }

    pub fn sim_config(&self) -> engine::sim::SimConfig {
        engine::sim::SimConfig {
            auto_scan_after: (self.sim_auto_scan_secs > 0).then(|| Duration::from_secs(self.sim_auto_scan_secs)),
            ..Default::default()
        }
    }

    /// Settings for tests: everything default, the given database.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: std::env::temp_dir(),
            database_url: database_url.to_string(),
            database_max_connections: 5,
            secure_cookies: false,
            session_ttl_secs: 3600,
            registration_open: true,
            login_max_failures_per_email: 5,
            login_max_failures_per_ip: 20,
            login_window_secs: 900,
            trust_proxy: false,
            max_body_bytes: 64 * 1024,
            demo: false,
            default_engine: EngineKind::Sim,
            reconcile_interval_secs: 30,
            backoff_base_secs: 1,
            backoff_cap_secs: 60,
            sim_auto_scan_secs: 0,
            secret_key: Some("42".repeat(32)),
            send_min_gap_ms: 0,
            webhooks_allow_private: false,
            events_recheck_secs: 1,
            message_expiry_secs: 24 * 3600,
            secret_key_file: std::env::temp_dir().join("kewhats-test-secret.key"),
            webhook_max_attempts: 8,
            webhook_timeout_secs: 5,
            webhook_retry_base_ms: 10_000,
            webhook_retry_cap_secs: 6 * 3600,
            webhook_concurrency: 16,
            webhook_log_days: 30,
            media_max_bytes: 1024 * 1024,
            web_url: "ws://127.0.0.1:1/ws/chat".into(),
            web_version: parse_version(DEFAULT_WEB_VERSION).unwrap_or((2, 3000, 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("kewhats_cfg_{}_{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kewhats.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_beat_environment_beat_file_beat_defaults() {
        let path =
            file("bind = \"0.0.0.0:9000\"\nregistration = \"open\"\nlogin_window_secs = 60\ntrust_proxy = true\n");
        let mut o = Overrides { config_file: Some(path.clone()), ..Default::default() };
        let c = Config::load(Mode::Serve, &o).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:9000");
        assert!(c.registration_open && c.trust_proxy);
        assert_eq!(c.login_window_secs, 60);
        assert_eq!(c.session_ttl_secs, 7 * 24 * 3600, "default");
        // Only this test sets this variable.
        std::env::set_var("KEWHATS_LOGIN_WINDOW_SECS", "120");
        assert_eq!(Config::load(Mode::Serve, &o).unwrap().login_window_secs, 120);
        std::env::remove_var("KEWHATS_LOGIN_WINDOW_SECS");
        o.bind = Some("127.0.0.1:7000".into());
        assert_eq!(Config::load(Mode::Serve, &o).unwrap().bind.to_string(), "127.0.0.1:7000");
    }

    #[test]
    fn demo_defaults_differ_and_bad_settings_say_where() {
        let path = file("max_body_kib = 8\n");
        let o = Overrides { config_file: Some(path), ..Default::default() };
        let demo = Config::load(Mode::Demo, &o).unwrap();
        assert!(demo.demo && demo.registration_open);
        assert!(demo.database_url.starts_with("sqlite://kewhats-demo-data/"));
        assert_eq!(demo.max_body_bytes, 8 * 1024);
        let unknown = Overrides { config_file: Some(file("colour = \"green\"\n")), ..Default::default() };
        let err = Config::load(Mode::Serve, &unknown).unwrap_err().to_string();
        assert!(err.contains("unknown setting 'colour'"), "{err}");
        let bad = Overrides { config_file: Some(file("session_ttl_hours = \"soon\"\n")), ..Default::default() };
        let err = Config::load(Mode::Serve, &bad).unwrap_err().to_string();
        assert!(err.contains("session_ttl_hours") && err.contains("soon"), "{err}");
        let missing = Overrides { config_file: Some(PathBuf::from("/nonexistent/kewhats.toml")), ..Default::default() };
        assert!(Config::load(Mode::Serve, &missing).unwrap_err().to_string().contains("does not exist"));
    }
}

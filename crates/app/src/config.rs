//! Settings: one declaration per key (below, in `settings!`) is the single source of its name,
//! type, defaults (serve and demo), environment variable and documentation. The README's table
//! is generated from it ([`markdown_table`]) and a test fails when the two differ.
//!
//! Each setting comes from, highest first: a command-line flag (where one exists), the
//! environment, the TOML file (`<key> = …`), then the default.
//!
//! figment was considered; a small declaration macro was preferred because the README table
//! (with the demo defaults) must come from the same place, and because figment's prefixed
//! environment provider would read unrelated `KEWHATS_*` variables (`KEWHATS_CONFIG`, test
//! settings) as keys.

mod values;

use anyhow::{bail, Context};
use domain::{EngineKind, Language};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
pub use values::{Registration, Secret, SettingValue, WebVersion};

/// One key, as documented.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    /// Overrides `KEWHATS_<KEY>`.
    env_override: Option<&'static str>,
    pub default: &'static str,
    pub demo_default: Option<&'static str>,
    /// What the README shows as the default when it is computed (`<data_dir>/…`).
    shown_default: Option<&'static str>,
    pub doc: &'static str,
}

impl Setting {
    pub fn env(&self) -> String {
        self.env_override.map_or_else(|| format!("KEWHATS_{}", self.key.to_ascii_uppercase()), str::to_string)
    }

    fn default_for(&self, demo: bool) -> &'static str {
        if demo {
            self.demo_default.unwrap_or(self.default)
        } else {
            self.default
        }
    }

    /// The README row: key, environment variable, default, meaning.
    pub fn markdown_row(&self) -> String {
        let code = |s: &str| if s.is_empty() { "—".to_string() } else { format!("`{s}`") };
        let mut default = self.shown_default.map_or_else(|| code(self.default), str::to_string);
        if let Some(demo) = self.demo_default {
            default = format!("{default} ({} in demo)", code(demo));
        }
        format!("| `{}` | `{}` | {} | {} |", self.key, self.env(), default, self.doc)
    }
}

macro_rules! settings {
    ($(
        #[doc = $doc:literal]
        $key:ident : $ty:ty = $default:literal
            $(, demo = $demo:literal)?
            $(, env = $env:literal)?
            $(, shown = $shown:literal)? ;
    )*) => {
        /// Every setting; see the README's configuration table (generated from this).
        #[derive(Debug, Clone)]
        pub struct Config {
            $( #[doc = $doc] pub $key: $ty, )*
            /// Demo mode: demo accounts exist and the UI says so. Not a setting: `kewhats demo`.
            pub demo: bool,
        }

        pub const SETTINGS: &[Setting] = &[$(
            Setting {
                key: stringify!($key),
                env_override: settings!(@opt $($env)?),
                default: $default,
                demo_default: settings!(@opt $($demo)?),
                shown_default: settings!(@opt $($shown)?),
                doc: $doc.trim_ascii(),
            },
        )*];

        impl Config {
            fn read(src: &Sources, demo: bool) -> anyhow::Result<Config> {
                let mut settings = SETTINGS.iter();
                Ok(Config {
                    $( $key: src.get::<$ty>(settings.next().context("settings list")?, demo)?, )*
                    demo,
                })
            }
        }
    };
    (@opt) => { None };
    (@opt $v:literal) => { Some($v) };
}

settings! {
    /// listen address
    bind: SocketAddr = "127.0.0.1:8080";
    /// SQLite file and other state
    data_dir: PathBuf = "data", demo = "kewhats-demo-data";
    /// `sqlite://FILE` or `postgres://…`; ignored by `demo`
    database_url: Option<String> = "", env = "DATABASE_URL", shown = "`sqlite://<data_dir>/kewhats.db`";
    /// pool size (SQLite readers are capped at 8; it has one writer)
    database_max_connections: u32 = "10";
    /// add `Secure` to the session cookie; set `true` behind HTTPS
    secure_cookies: bool = "false";
    /// how long a login lasts
    session_ttl_hours: i64 = "168";
    /// self-registration: `open` or `closed`
    registration: Registration = "closed", demo = "open";
    /// failed logins per e-mail per window before 429
    login_max_failures_per_email: u32 = "5";
    /// failed logins per client IP per window before 429
    login_max_failures_per_ip: u32 = "20";
    /// the rate-limit window
    login_window_secs: i64 = "900";
    /// take the client IP from the last `X-Forwarded-For` entry, the one your proxy appended (only behind your own proxy)
    trust_proxy: bool = "false";
    /// largest accepted request body; larger ones get 413
    max_body_kib: usize = "256";
    /// the simulated WhatsApp network and the `/api/sandbox` routes; off, `sim` devices neither start nor can be created
    sandbox: bool = "false", demo = "true";
    /// language of the pages for a visitor whose profile says `auto` and whose browser asks for no language we have: `en` or `id`
    default_language: Language = "en", demo = "id";
    /// engine of a new device when the request names none
    default_engine: EngineKind = "web", demo = "sim";
    /// how often stored device status is checked against the live sockets
    reconcile_interval_secs: u64 = "30";
    /// first reconnect delay (doubles per attempt, with jitter)
    backoff_base_secs: u64 = "2";
    /// longest reconnect delay
    backoff_cap_secs: u64 = "300";
    /// sim devices scan their own QR after this long; 0 = wait for the sandbox scan
    sim_auto_scan_secs: u64 = "0", demo = "5";
    /// 64 hex characters; encrypts WhatsApp device keys and webhook secrets at rest. Without it a key file is used
    secret_key: Option<Secret> = "";
    /// created (mode 0600) on first start when `secret_key` is unset; back it up
    secret_key_file: Option<PathBuf> = "", shown = "`<data_dir>/secret.key`";
    /// comma-separated replies that opt the sender out of blasts (the whole message, any case)
    stop_words: String = "STOP,BERHENTI,UNSUBSCRIBE";
    /// most automatic replies one number gets from one owner in a minute (stops two bots answering each other)
    auto_reply_max_per_minute: u32 = "5";
    /// least time between two messages one device sends
    send_min_gap_ms: u64 = "1000";
    /// pending messages fail after this long without a connected device; 0 = never
    message_expiry_secs: u64 = "86400";
    /// an open `/api/events` stream re-checks its session or key this often, and ends after a logout, revocation, disabling or role change
    events_recheck_secs: u64 = "15";
    /// let webhooks and `media_url`s reach private and loopback addresses (trusted local setups only)
    webhooks_allow_private: bool = "false";
    /// Telegram's Bot API, which Telegram integrations post to
    telegram_api_url: String = "https://api.telegram.org";
    /// Midtrans Snap's address; empty: `https://app.midtrans.com` with production keys, `https://app.sandbox.midtrans.com` otherwise
    midtrans_url: Option<String> = "";
    /// this server's address as the internet reaches it (`https://wa.example.com`); Telegram sends replies there (it takes HTTPS on port 443, 80, 88 or 8443)
    public_url: Option<String> = "";
    /// attempts per webhook delivery before it is `failed`; with the defaults the retries span roughly 7–14 hours
    webhook_max_attempts: u32 = "12";
    /// how long a receiver has to answer one attempt
    webhook_timeout_secs: u64 = "10";
    /// first retry delay; doubles per attempt, with jitter (half to all of it)
    webhook_retry_base_ms: u64 = "30000";
    /// longest retry delay
    webhook_retry_cap_secs: u64 = "21600";
    /// deliveries posted at once (1–256); one webhook gets about a quarter of them, so a slow receiver cannot hold up the others
    webhook_concurrency: u32 = "16";
    /// delivered and failed deliveries are removed from the log after this many days; 0 = keep
    webhook_log_days: u32 = "30";
    /// largest image or document accepted for sending (upload or `media_url`); larger get 413
    media_max_kib: usize = "16384";
    /// bearer token that `GET /metrics` requires (`Authorization: Bearer …`); unset, `/metrics` answers 404
    metrics_token: Option<Secret> = "";
    /// the socket the `web` engine dials
    web_url: String = "wss://web.whatsapp.com/ws/chat";
    /// WhatsApp Web version announced, pinned so start-up fetches nothing
    web_version: WebVersion = "2.3000.1042742319";
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

struct Sources {
    file: toml::Table,
    file_name: Option<PathBuf>,
    overrides: Overrides,
    /// Read the environment (not for [`Config::for_tests`], which must not depend on the shell).
    environment: bool,
}

impl Sources {
    fn load(overrides: &Overrides) -> anyhow::Result<Sources> {
        let from_env = std::env::var_os("KEWHATS_CONFIG").map(PathBuf::from);
        let (path, required) = match overrides.config_file.clone().or(from_env) {
            Some(p) => (p, true),
            None => (PathBuf::from("kewhats.toml"), false),
        };
        let overrides = overrides.clone();
        if !path.exists() {
            if required {
                bail!("config file {} does not exist", path.display());
            }
            return Ok(Sources { file: toml::Table::new(), file_name: None, overrides, environment: true });
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let file = text.parse::<toml::Table>().with_context(|| format!("parsing {}", path.display()))?;
        for key in file.keys() {
            if !SETTINGS.iter().any(|s| s.key == key) {
                let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                bail!("unknown setting '{key}' in the config file; known: {}", known.join(", "));
            }
        }
        Ok(Sources { file, file_name: Some(path), overrides, environment: true })
    }

    /// The raw text of a setting and where it came from: flag, environment, file or default.
    fn raw(&self, setting: &Setting, demo: bool) -> (String, String) {
        let flag = match setting.key {
            "bind" => self.overrides.bind.clone(),
            "data_dir" => self.overrides.data_dir.as_ref().map(|d| d.display().to_string()),
            _ => None,
        };
        if let Some(v) = flag {
            return (format!("--{}", setting.key.replace('_', "-")), v);
        }
        let env = setting.env();
        // An empty variable (`DATABASE_URL=` in a unit file) counts as unset.
        match std::env::var(&env) {
            Ok(v) if self.environment && !v.trim().is_empty() => return (env, v),
            _ => {}
        }
        if let Some(value) = self.file.get(setting.key) {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let file = self.file_name.as_deref().unwrap_or(Path::new("?")).display().to_string();
            return (format!("{} in {file}", setting.key), text);
        }
        ("the default".into(), setting.default_for(demo).to_string())
    }

    fn get<T: SettingValue>(&self, setting: &Setting, demo: bool) -> anyhow::Result<T> {
        let (origin, text) = self.raw(setting, demo);
        // Secrets are never echoed back in an error.
        let shown = if setting.key.contains("secret_key") && !setting.key.ends_with("file") { "…" } else { &text };
        T::parse_setting(text.trim()).map_err(|e| anyhow::anyhow!("{} = '{shown}' ({origin}): {e}", setting.key))
    }
}

impl Config {
    pub fn load(mode: Mode, overrides: &Overrides) -> anyhow::Result<Config> {
        let src = Sources::load(overrides)?;
        let mut config = Config::read(&src, mode == Mode::Demo)?;
        if config.demo {
            // The demo is SQLite in its data dir by definition; DATABASE_URL is for `serve`.
            config.database_url = None;
        }
        config.check()?;
        Ok(config)
    }

    /// Rules between settings, and the bounds the README states.
    fn check(&mut self) -> anyhow::Result<()> {
        if self.session_ttl_hours < 1 {
            bail!("session_ttl_hours must be at least 1");
        }
        if self.backoff_base_secs == 0 || self.backoff_cap_secs < self.backoff_base_secs {
            bail!("backoff_base_secs must be at least 1 and backoff_cap_secs at least backoff_base_secs");
        }
        if self.reconcile_interval_secs == 0 {
            bail!("reconcile_interval_secs must be at least 1");
        }
        if self.webhook_max_attempts == 0 || self.webhook_timeout_secs == 0 || self.webhook_retry_base_ms == 0 {
            bail!("webhook_max_attempts, webhook_timeout_secs and webhook_retry_base_ms must be at least 1");
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.expose().trim().len() < 16) {
            bail!("metrics_token must be at least 16 characters (it guards platform-wide numbers)");
        }
        if let Some(url) = &self.public_url {
            let url = url.trim().trim_end_matches('/');
            if !(url.starts_with("https://") || url.starts_with("http://")) || reqwest::Url::parse(url).is_err() {
                bail!("public_url must be an http(s) address such as https://wa.example.com");
            }
            self.public_url = Some(url.to_string());
        }
        if self.default_engine == EngineKind::Sim && !self.sandbox {
            bail!("default_engine = sim needs sandbox = true (the simulated network is off)");
        }
        self.webhook_concurrency = self.webhook_concurrency.clamp(1, 256);
        self.events_recheck_secs = self.events_recheck_secs.max(1);
        self.max_body_kib = self.max_body_kib.max(1);
        self.media_max_kib = self.media_max_kib.max(1);
        Ok(())
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite://{}", self.data_dir.join("kewhats.db").display()),
        }
    }

    pub fn secret_key_file(&self) -> PathBuf {
        self.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    pub fn registration_open(&self) -> bool {
        self.registration == Registration::Open
    }

    pub fn session_ttl_secs(&self) -> i64 {
        self.session_ttl_hours.saturating_mul(3600)
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_kib.saturating_mul(1024)
    }

    pub fn media_max_bytes(&self) -> usize {
        self.media_max_kib.saturating_mul(1024)
    }

    pub fn session_settings(&self) -> crate::sessions::SessionSettings {
        crate::sessions::SessionSettings {
            backoff: domain::Backoff {
                base: Duration::from_secs(self.backoff_base_secs),
                cap: Duration::from_secs(self.backoff_cap_secs),
            },
            reconcile_interval: Duration::from_secs(self.reconcile_interval_secs),
            send_gap: Duration::from_millis(self.send_min_gap_ms),
            stop_words: self
                .stop_words
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
            media_max_bytes: self.media_max_bytes(),
            ..Default::default()
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

    /// Settings for tests: the serve defaults with the sandbox on, the given database, and
    /// quicker limits where the defaults would make tests slow.
    pub fn for_tests(database_url: &str) -> Config {
        let src =
            Sources { file: toml::Table::new(), file_name: None, overrides: Overrides::default(), environment: false };
        let mut c = Config::read(&src, false).unwrap_or_else(|e| panic!("default settings: {e:#}"));
        c.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        c.data_dir = std::env::temp_dir();
        c.database_url = Some(database_url.to_string());
        c.database_max_connections = 5;
        c.session_ttl_hours = 1;
        c.registration = Registration::Open;
        c.max_body_kib = 64;
        c.sandbox = true;
        c.default_engine = EngineKind::Sim;
        c.backoff_base_secs = 1;
        c.backoff_cap_secs = 60;
        c.secret_key = Some(Secret::new("42".repeat(32)));
        c.send_min_gap_ms = 0;
        c.events_recheck_secs = 1;
        c.webhook_max_attempts = 8;
        c.webhook_timeout_secs = 5;
        c.webhook_retry_base_ms = 10_000;
        c.media_max_kib = 1024;
        c.web_url = "ws://127.0.0.1:1/ws/chat".into();
        c
    }
}

/// The README's configuration table, generated from [`SETTINGS`].
pub fn markdown_table() -> String {
    let mut out = String::from("| key | environment | default | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        out.push_str(&s.markdown_row());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;

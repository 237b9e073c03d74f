//! What every service and worker reaches: the store, the settings, the clock, the sessions.

use crate::clients::Outbound;
use crate::config::Config;
use crate::crypto::{EncryptedKeyStore, SecretBox};
use crate::metrics::Metrics;
use crate::services::login_limiter::LoginLimiter;
use crate::sessions::{Engines, Sessions, Timer, TokioTimer};
use anyhow::Context;
use domain::Clock;
use engine::sim::{SimConfig, SimEngine};
use engine_web::{WebConfig, WebEngine};
use std::sync::Arc;
use std::time::Duration;
use store::{Store, StoreOptions};
use tokio::sync::watch;

/// How long a `media_url` may take to download.
const MEDIA_FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Share links (cloud drives, CDNs) usually redirect to the file itself.
const MEDIA_REDIRECTS: usize = 5;

/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<LoginLimiter>,
    pub sessions: Sessions,
    /// Flips to `true` when the server shuts down; workers and long responses (SSE) end on it.
    pub stop: Arc<watch::Sender<bool>>,
    /// Encrypts secrets kept in the database (device keys, webhook signing secrets).
    pub secrets: SecretBox,
    /// Fetches `media_url`s, refusing private addresses unless allowed.
    pub outbound: Outbound,
    pub metrics: Arc<Metrics>,
    /// Contact import jobs, in memory (see `services::contact_import`).
    pub imports: Arc<crate::services::contact_import::ImportJobs>,
    /// Wakes the blast dispatcher (a blast started, resumed or was planned).
    pub blasts_wake: Arc<tokio::sync::Notify>,
    /// `blast.progress` events for the event stream (`/api/events`).
    pub blast_progress: tokio::sync::broadcast::Sender<crate::services::blasts::BlastProgress>,
    /// `chatbot.handed_over` events for the event stream (`/api/events`).
    pub chatbot_events: tokio::sync::broadcast::Sender<crate::services::chatbots::run::HandOverEvent>,
}

/// What the app takes from its surroundings; tests swap in a manual clock, a recording timer
/// or faster simulated QR codes.
pub struct Deps {
    pub clock: Arc<dyn Clock>,
    pub timer: Arc<dyn Timer>,
    pub sim: SimConfig,
}

impl Deps {
    pub fn real(config: &Config) -> Deps {
        Deps { clock: Arc::new(domain::SystemClock), timer: Arc::new(TokioTimer), sim: config.sim_config() }
    }
}

impl AppState {
    /// Opens and migrates the database named by the config, and loads the secret key.
    pub async fn open(config: Config, deps: Deps) -> anyhow::Result<AppState> {
        let secret = config.secret_key.as_ref().map(|s| s.expose());
        let secrets = SecretBox::load(secret, &config.secret_key_file())?;
        let options = StoreOptions { max_connections: config.database_max_connections };
        let url = config.database_url();
        let store = Store::open(&url, &options)
            .await
            .with_context(|| format!("opening database {}", store::redact_url(&url)))?;
        Self::with_store(config, store, secrets, deps)
    }

    pub fn with_store(config: Config, store: Store, secrets: SecretBox, deps: Deps) -> anyhow::Result<AppState> {
        let limiter = LoginLimiter::new(
            deps.clock.clone(),
            config.login_max_failures_per_email,
            config.login_max_failures_per_ip,
            config.login_window_secs,
        );
        let keys = Arc::new(EncryptedKeyStore::new(store.clone(), secrets.clone()));
        let v = config.web_version;
        let web = WebConfig { url: Some(config.web_url.clone()), version: (v.0, v.1, v.2) };
        // Without the sandbox there is no simulated network at all: nothing can fake traffic.
        let sim = config.sandbox.then(|| SimEngine::new(deps.sim));
        let engines = Engines { sim, web: Some(Arc::new(WebEngine::new(web, keys))) };
        let metrics = Arc::new(Metrics::new());
        let settings = config.session_settings();
        let sessions = Sessions::new(store.clone(), engines, deps.clock.clone(), deps.timer, settings, metrics.clone());
        let (stop, _) = watch::channel(false);
        let outbound = Outbound::new(MEDIA_FETCH_TIMEOUT, config.webhooks_allow_private, MEDIA_REDIRECTS)?;
        Ok(AppState {
            store,
            config: Arc::new(config),
            clock: deps.clock,
            limiter: Arc::new(limiter),
            sessions,
            stop: Arc::new(stop),
            secrets,
            outbound,
            metrics,
            imports: Arc::default(),
            blasts_wake: Arc::default(),
            blast_progress: tokio::sync::broadcast::channel(256).0,
            chatbot_events: tokio::sync::broadcast::channel(64).0,
        })
    }
}

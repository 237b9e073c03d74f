//! Building the application and running it on a listener (port 0 in tests).

use crate::auth::rate_limit::LoginLimiter;
use crate::config::Config;
use crate::outbound::Outbound;
use crate::secrets::SecretBox;
use crate::sessions::{Engines, Sessions, Timer, TokioTimer};
use crate::web_keys::EncryptedKeyStore;
use anyhow::Context;
use domain::Clock;
use engine::sim::{SimConfig, SimEngine};
use engine_web::{WebConfig, WebEngine};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{Store, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a `media_url` may take to download.
const MEDIA_FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Share links (cloud drives, CDNs) usually redirect to the file itself.
const MEDIA_REDIRECTS: usize = 5;

/// Everything a request handler may reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<LoginLimiter>,
    pub sessions: Sessions,
    /// Flips to `true` when the server shuts down; long-lived responses (SSE) end on it.
    pub stop: Arc<watch::Sender<bool>>,
    /// Encrypts secrets kept in the database (device keys, webhook signing secrets).
    pub secrets: SecretBox,
    /// Fetches `media_url`s, refusing private addresses unless allowed.
    pub outbound: Outbound,
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
        let secrets = SecretBox::load(config.secret_key.as_deref(), &config.secret_key_file)?;
        let options = StoreOptions { max_connections: config.database_max_connections };
        let store = Store::open(&config.database_url, &options)
            .await
            .with_context(|| format!("opening database {}", store::redact_url(&config.database_url)))?;
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
        let web = WebConfig { url: Some(config.web_url.clone()), version: config.web_version };
        let engines = Engines { sim: SimEngine::new(deps.sim), web: Some(Arc::new(WebEngine::new(web, keys))) };
        let sessions = Sessions::new(store.clone(), engines, deps.clock.clone(), deps.timer, config.session_settings());
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
        })
    }
}

/// A server running in the background.
pub struct Running {
    pub addr: SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    server: JoinHandle<std::io::Result<()>>,
    janitor: JoinHandle<()>,
    reconciler: JoinHandle<()>,
    webhooks: JoinHandle<()>,
    sessions: Sessions,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.wait().await;
    }

    /// Runs until [`Running::shutdown`] is called or the server fails.
    pub async fn wait(self) {
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "server stopped with an error"),
            Err(e) => tracing::error!(error = %e, "server task failed"),
        }
        self.janitor.abort();
        self.reconciler.abort();
        // The stop signal also ends the webhook worker; posts under way finish first.
        let _ = self.stop.send(true);
        if let Err(e) = self.webhooks.await {
            tracing::error!(error = %e, "webhook worker failed");
        }
        self.sessions.shutdown().await;
    }

    pub fn stopper(&self) -> Arc<watch::Sender<bool>> {
        self.stop.clone()
    }
}

/// Starts every device's session, then serves the app on `listener` until shut down.
pub async fn launch(listener: TcpListener, state: AppState) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let stop = state.stop.clone();
    let mut stopped = stop.subscribe();
    let devices = state.sessions.start_all().await?;
    if devices > 0 {
        tracing::info!(devices, "started device sessions");
    }
    let sessions = state.sessions.clone();
    let reconciler = sessions.spawn_reconciler();
    let janitor = tokio::spawn(purge_sessions(state.clone()));
    let webhooks = crate::webhook_worker::spawn(&state)?;
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(Running { addr, stop, server, janitor, reconciler, webhooks, sessions })
}

/// Housekeeping: every minute, fails pending messages whose time ran out (their device may
/// never connect to notice); every hour, deletes ended web sessions and old delivery logs.
async fn purge_sessions(state: AppState) {
    let mut minutes = tokio::time::interval(Duration::from_secs(60));
    let mut hours = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = minutes.tick() => match state.store.expire_pending_messages(state.clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(messages = n, "pending messages expired"),
                Err(e) => tracing::error!(error = %e, "expiring pending messages"),
            },
            _ = hours.tick() => {
                match state.store.purge_web_sessions(state.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "purged ended web sessions"),
                    Err(e) => tracing::error!(error = %e, "purging web sessions"),
                }
                let days = i64::from(state.config.webhook_log_days);
                if days > 0 {
                    match state.store.purge_deliveries(state.clock.now().plus_secs(-days * 86_400)).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(deliveries = n, "purged old webhook deliveries"),
                        Err(e) => tracing::error!(error = %e, "purging webhook deliveries"),
                    }
                }
            }
        }
    }
}

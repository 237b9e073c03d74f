//! [`WebEngine`]: starts one whatsapp-rust client per connection.

use crate::connection::{Shared, WebConnection};
use crate::driver::{Attempt, Driver, Inbox, WatchedTransport};
use crate::kv::KeyValueStore;
use crate::store::KvBackend;
use async_trait::async_trait;
use domain::{DeviceId, EngineKind};
use engine::{ConnectOptions, Connection, Engine, EngineError, EventSender};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{mpsc, oneshot};
use whatsapp_rust::bot::Bot;

/// WhatsApp Web's chat socket.
pub const DEFAULT_URL: &str = "wss://web.whatsapp.com/ws/chat";

/// The WhatsApp Web build whatsapp-rust 0.7 was made for (its own default).
pub const DEFAULT_VERSION: (u32, u32, u32) = (2, 3000, 1_042_742_319);

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The chat socket; `None` = [`DEFAULT_URL`]. Tests point it at a dead local port.
    pub url: Option<String>,
    /// The WhatsApp Web version we announce. Pinned so that connecting never fetches the
    /// current one from web.whatsapp.com first (a failed fetch would fail the connect).
    /// WhatsApp refuses versions that are too old: bump it when connects end with
    /// "rejected client version … as outdated".
    pub version: (u32, u32, u32),
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { url: None, version: DEFAULT_VERSION }
    }
}

impl WebConfig {
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or(DEFAULT_URL)
    }
}

/// The real WhatsApp engine. Keys live in the host's [`KeyValueStore`].
pub struct WebEngine {
    config: WebConfig,
    kv: Arc<dyn KeyValueStore>,
    /// The newest connection of each device, to stop it before another one starts (two
    /// clients on the same keys would replace each other) or before its keys are wiped.
    connections: Mutex<HashMap<DeviceId, Weak<Shared>>>,
}

impl WebEngine {
    pub fn new(config: WebConfig, kv: Arc<dyn KeyValueStore>) -> WebEngine {
        WebEngine { config, kv, connections: Mutex::default() }
    }

    pub fn config(&self) -> &WebConfig {
        &self.config
    }

    /// The device's current connection, if one is still running; removed from the table.
    fn take_connection(&self, device: DeviceId) -> Option<Arc<Shared>> {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        connections.retain(|_, c| c.strong_count() > 0);
        connections.remove(&device).and_then(|c| c.upgrade())
    }

    async fn build_bot(
        &self,
        backend: Arc<KvBackend>,
        notes: mpsc::UnboundedSender<crate::driver::Note>,
    ) -> Result<Bot, EngineError> {
        Bot::builder()
            .with_backend_arc(backend)
            .with_transport_factory(WatchedTransport::new(self.config.url(), notes.clone()))
            .with_version(self.config.version)
            // A gateway answers new messages; old chats would only cost bandwidth and storage.
            .skip_history_sync()
            .with_event_handler(Inbox(notes))
            .build()
            .await
            .map_err(|e| EngineError::Unavailable(format!("could not start the WhatsApp client: {e}")))
    }
}

#[async_trait]
impl Engine for WebEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Web
    }

    async fn connect(
        &self,
        device: DeviceId,
        _options: ConnectOptions,
        events: EventSender,
    ) -> Result<Arc<dyn Connection>, EngineError> {
        if let Some(previous) = self.take_connection(device) {
            previous.shut_down().await;
        }
        let backend = Arc::new(KvBackend::new(self.kv.clone(), device));
        let (notes_tx, notes) = mpsc::unbounded_channel();
        let bot = self.build_bot(backend.clone(), notes_tx.clone()).await?;
        let client = bot.client();
        // The session manager owns reconnecting (with its backoff and status history).
        client.enable_auto_reconnect.store(false, Ordering::SeqCst);

        let shared = Arc::new(Shared::new(device, client, backend));
        self.connections.lock().unwrap_or_else(|e| e.into_inner()).insert(device, Arc::downgrade(&shared));
        let (dropped_tx, dropped) = oneshot::channel();
        let driver = Driver {
            shared: shared.clone(),
            notes,
            notes_tx,
            events,
            dropped,
            version: self.config.version,
            attempt: Attempt::default(),
        };
        tokio::spawn(driver.run(bot));
        Ok(Arc::new(WebConnection::new(shared, dropped_tx)))
    }

    /// Stops a running client of the device first (it would write its keys back), closes
    /// its store for good, then wipes the device's keys.
    async fn forget(&self, device: DeviceId) -> Result<(), EngineError> {
        if let Some(running) = self.take_connection(device) {
            running.shut_down().await;
            running.backend.revoke().await;
        }
        self.kv.wipe(device).await.map_err(|e| EngineError::Unavailable(e.to_string()))
    }
}

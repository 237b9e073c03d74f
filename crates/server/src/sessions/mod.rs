//! The session manager: "the WhatsApp service" of the spec.
//!
//! One task per device owns its connection and is the only writer of the device's status
//! (see `device_task`). This module keeps the registry of those tasks — so "is device X live?"
//! is a memory look-up — starts them at boot, forwards commands to them, and reconciles stored
//! status with the live truth on demand and every `reconcile_interval`.

mod device_task;
mod timer;

pub use timer::{RecordingTimer, Timer, TokioTimer};

use domain::{Backoff, Clock, DeviceId, DeviceStatus, EngineKind, OutletId, Timestamp, UserId};
use engine::sim::SimEngine;
use engine::{Connection, Engine, EngineError};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{Device, Store};
use tokio::sync::{broadcast, mpsc, oneshot};

/// The engines this process can run devices on.
#[derive(Clone)]
pub struct Engines {
    pub sim: SimEngine,
    pub web: Option<Arc<dyn Engine>>,
}

impl Engines {
    pub fn get(&self, kind: EngineKind) -> Result<Arc<dyn Engine>, EngineError> {
        match kind {
            EngineKind::Sim => Ok(Arc::new(self.sim.clone())),
            EngineKind::Web => {
                self.web.clone().ok_or_else(|| EngineError::Unavailable("the web engine is not enabled".into()))
            }
        }
    }
}

/// What the UI hears about devices (`/api/events`).
#[derive(Debug, Clone, Serialize)]
pub struct DeviceEvent {
    /// `device.status` or `device.qr` (a new QR or pairing code to show).
    pub event: &'static str,
    pub device_id: DeviceId,
    pub outlet_id: OutletId,
    #[serde(skip)]
    pub owner_id: UserId,
    pub status: DeviceStatus,
    pub from: Option<DeviceStatus>,
    pub reason: String,
    pub live: bool,
    pub at: Timestamp,
}

/// A stored status corrected to the live truth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub device_id: DeviceId,
    pub from: DeviceStatus,
    pub to: DeviceStatus,
}

/// The QR code a device shows now.
#[derive(Debug, Clone, Serialize)]
pub struct QrSnapshot {
    pub code: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub backoff: Backoff,
    pub reconcile_interval: Duration,
    /// The least time between two messages sent by one device.
    pub send_gap: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            backoff: Backoff::default(),
            reconcile_interval: Duration::from_secs(30),
            send_gap: Duration::from_secs(1),
        }
    }
}

pub(crate) enum Command {
    Connect,
    Logout(oneshot::Sender<Result<(), EngineError>>),
    PairingCode(String, oneshot::Sender<Result<String, EngineError>>),
    Reconcile(Option<oneshot::Sender<Option<Fix>>>),
    Stop(oneshot::Sender<()>),
}

/// What request handlers may read without asking the device's task.
#[derive(Default)]
pub(crate) struct Shared {
    conn: RwLock<Option<Arc<dyn Connection>>>,
    /// Woken when a message for this device joins the outbox.
    outbox: tokio::sync::Notify,
    qr: RwLock<Option<QrSnapshot>>,
    pairing_code: RwLock<Option<String>>,
}

impl Shared {
    fn live(&self) -> bool {
        self.conn.read().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|c| c.is_live())
    }
}

struct Handle {
    commands: mpsc::Sender<Command>,
    shared: Arc<Shared>,
}

pub(crate) struct Inner {
    store: Store,
    engines: Engines,
    clock: Arc<dyn Clock>,
    timer: Arc<dyn Timer>,
    settings: SessionSettings,
    bus: broadcast::Sender<DeviceEvent>,
    registry: Mutex<HashMap<DeviceId, Handle>>,
    loops: AtomicUsize,
}

#[derive(Clone)]
pub struct Sessions(Arc<Inner>);

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the device has no running session")]
    NotRunning,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl Sessions {
    pub fn new(
        store: Store,
        engines: Engines,
        clock: Arc<dyn Clock>,
        timer: Arc<dyn Timer>,
        settings: SessionSettings,
    ) -> Sessions {
        let (bus, _) = broadcast::channel(1024);
        Sessions(Arc::new(Inner {
            store,
            engines,
            clock,
            timer,
            settings,
            bus,
            registry: Mutex::default(),
            loops: AtomicUsize::new(0),
        }))
    }

    pub fn engines(&self) -> &Engines {
        &self.0.engines
    }

    /// Starts a task for every stored device; paired ones reconnect at once.
    pub async fn start_all(&self) -> Result<usize, store::StoreError> {
        let devices = self.0.store.all_devices().await?;
        let n = devices.len();
        for device in devices {
            self.ensure(device);
        }
        Ok(n)
    }

    /// Runs reconciliation every `reconcile_interval` until the process ends.
    pub fn spawn_reconciler(&self) -> tokio::task::JoinHandle<()> {
        let sessions = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(sessions.0.settings.reconcile_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let fixes = sessions.reconcile_all().await;
                if !fixes.is_empty() {
                    tracing::info!(fixed = fixes.len(), "reconciled stored device status with live sockets");
                }
            }
        })
    }

    /// Starts the device's task unless one runs already: never two loops for one device.
    fn ensure(&self, device: Device) -> mpsc::Sender<Command> {
        let mut registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = registry.get(&device.id) {
            if !h.commands.is_closed() {
                return h.commands.clone();
            }
        }
        let (tx, rx) = mpsc::channel(16);
        let shared = Arc::new(Shared::default());
        registry.insert(device.id, Handle { commands: tx.clone(), shared: shared.clone() });
        self.0.loops.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(device_task::run(self.0.clone(), device, shared, rx));
        tx
    }

    fn commands(&self, id: DeviceId) -> Option<mpsc::Sender<Command>> {
        let registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry.get(&id).map(|h| h.commands.clone())
    }

    fn shared(&self, id: DeviceId) -> Option<Arc<Shared>> {
        let registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry.get(&id).map(|h| h.shared.clone())
    }

    /// Connects (or reconnects now, skipping any backoff wait).
    pub async fn connect(&self, device: Device) {
        let tx = self.ensure(device);
        let _ = tx.send(Command::Connect).await;
    }

    pub async fn logout(&self, id: DeviceId) -> Result<(), SessionError> {
        let tx = self.commands(id).ok_or(SessionError::NotRunning)?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::Logout(reply)).await.map_err(|_| SessionError::NotRunning)?;
        Ok(answer.await.map_err(|_| SessionError::NotRunning)??)
    }

    pub async fn request_pairing_code(&self, id: DeviceId, phone_digits: &str) -> Result<String, SessionError> {
        let tx = self.commands(id).ok_or(SessionError::NotRunning)?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::PairingCode(phone_digits.to_string(), reply)).await.map_err(|_| SessionError::NotRunning)?;
        Ok(answer.await.map_err(|_| SessionError::NotRunning)??)
    }

    /// Stops the device's task, closing its socket, and forgets its keys.
    pub async fn remove(&self, id: DeviceId, engine: EngineKind) {
        let handle = self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        if let Some(h) = handle {
            let (reply, done) = oneshot::channel();
            if h.commands.send(Command::Stop(reply)).await.is_ok() {
                let _ = done.await;
            }
        }
        if let Ok(e) = self.0.engines.get(engine) {
            if let Err(err) = e.forget(id).await {
                tracing::error!(device = %id, error = %err, "forgetting device keys");
            }
        }
    }

    /// Socket open and logged in, from memory.
    pub fn is_live(&self, id: DeviceId) -> bool {
        self.shared(id).is_some_and(|s| s.live())
    }

    /// Tells the device's session that its outbox has a new message.
    pub fn wake_sender(&self, id: DeviceId) {
        if let Some(shared) = self.shared(id) {
            shared.outbox.notify_one();
        }
    }

    pub fn qr(&self, id: DeviceId) -> Option<QrSnapshot> {
        self.shared(id).and_then(|s| s.qr.read().unwrap_or_else(|e| e.into_inner()).clone())
    }

    pub fn pairing_code(&self, id: DeviceId) -> Option<String> {
        self.shared(id).and_then(|s| s.pairing_code.read().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Compares the stored status with the live socket and writes the truth if they differ.
    pub async fn reconcile(&self, id: DeviceId) -> Option<Fix> {
        let tx = self.commands(id)?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::Reconcile(Some(reply))).await.ok()?;
        answer.await.ok().flatten()
    }

    pub async fn reconcile_all(&self) -> Vec<Fix> {
        let ids: Vec<DeviceId> = self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).keys().copied().collect();
        let mut fixes = Vec::new();
        for id in ids {
            if let Some(fix) = self.reconcile(id).await {
                fixes.push(fix);
            }
        }
        fixes
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DeviceEvent> {
        self.0.bus.subscribe()
    }

    /// Device tasks running now.
    pub fn loops(&self) -> usize {
        self.0.loops.load(Ordering::SeqCst)
    }

    /// Stops every task (closing sockets, keeping pairings), for shutdown.
    pub async fn shutdown(&self) {
        let handles: Vec<Handle> =
            self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).drain().map(|(_, h)| h).collect();
        for h in handles {
            let (reply, done) = oneshot::channel();
            if h.commands.send(Command::Stop(reply)).await.is_ok() {
                let _ = done.await;
            }
        }
    }
}

//! The session manager: "the WhatsApp service" of the spec.
//!
//! One task per device owns its connection and is the only writer of the device's status
//! (see `device_task`). This module keeps the registry of those tasks — so "is device X live?"
//! is a memory look-up — starts them at boot, forwards commands to them, and reconciles stored
//! status with the live truth on demand and every `reconcile_interval`.

mod device_task;
mod timer;

pub use timer::{RecordingTimer, Timer, TokioTimer};

use crate::metrics::Metrics;
use domain::{Backoff, Clock, DeviceId, DeviceStatus, EngineKind, OutletId, Timestamp, UserId};
use engine::sim::SimEngine;
use engine::{Connection, Engine, EngineError};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use store::{Device, Store};
use tokio::sync::{broadcast, mpsc, oneshot};

/// The engines this process can run devices on.
#[derive(Clone)]
pub struct Engines {
    /// Only with the `sandbox` setting on.
    pub sim: Option<SimEngine>,
    pub web: Option<Arc<dyn Engine>>,
}

impl Engines {
    pub fn get(&self, kind: EngineKind) -> Result<Arc<dyn Engine>, EngineError> {
        match kind {
            EngineKind::Sim => match &self.sim {
                Some(sim) => Ok(Arc::new(sim.clone())),
                None => Err(EngineError::Unavailable(
                    "the simulated engine is off on this server (setting sandbox = false)".into(),
                )),
            },
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub live: usize,
    pub queued_commands: usize,
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
    /// How long a reconciliation waits for a device's task (which may be busy, e.g. uploading
    /// media) before the caller goes on with the stored status.
    pub reconcile_timeout: Duration,
    /// An inbound message that is one of these opts its sender out of blasts.
    pub stop_words: Vec<String>,
    /// An inbound image or document larger than this is described, not kept.
    pub media_max_bytes: usize,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            backoff: Backoff::default(),
            reconcile_interval: Duration::from_secs(30),
            send_gap: Duration::from_secs(1),
            reconcile_timeout: Duration::from_secs(2),
            stop_words: domain::opt_out::DEFAULT_STOP_WORDS.iter().map(|w| w.to_string()).collect(),
            media_max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Devices reconciled at once by [`Sessions::reconcile_all`] and the status report.
pub const RECONCILE_CONCURRENCY: usize = 32;

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
    /// Ends the task when it does not stop by itself in time.
    task: tokio::task::AbortHandle,
    outlet: OutletId,
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
    /// Another process on the database runs the devices: this one starts none.
    standby: AtomicBool,
    metrics: Arc<Metrics>,
    /// Inbound messages just stored, for the automations worker (`workers::automations`).
    inbound: mpsc::Sender<store::Message>,
    inbound_rx: Mutex<Option<mpsc::Receiver<store::Message>>>,
    /// Chatbot conversations handed over because a person answered from the phone, for the
    /// automations worker to announce on the event stream.
    hand_overs: broadcast::Sender<store::ChatbotSession>,
}

/// Stored inbound messages waiting for the automations worker; beyond this they are not
/// answered (logged) rather than slowing the device's task down.
const INBOUND_QUEUE: usize = 4096;

#[derive(Clone)]
pub struct Sessions(Arc<Inner>);

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the device has no running session")]
    NotRunning,
    #[error("another process runs the device sessions")]
    Standby,
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
        metrics: Arc<Metrics>,
    ) -> Sessions {
        let (bus, _) = broadcast::channel(1024);
        let (inbound, inbound_rx) = mpsc::channel(INBOUND_QUEUE);
        Sessions(Arc::new(Inner {
            inbound,
            inbound_rx: Mutex::new(Some(inbound_rx)),
            hand_overs: broadcast::channel(64).0,
            store,
            engines,
            clock,
            timer,
            settings,
            bus,
            registry: Mutex::default(),
            loops: AtomicUsize::new(0),
            standby: AtomicBool::new(false),
            metrics,
        }))
    }

    /// Live sessions and commands waiting in the sessions' queues, for `/metrics`.
    pub fn counts(&self) -> SessionCounts {
        let registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        let mut counts = SessionCounts::default();
        for h in registry.values() {
            counts.live += usize::from(h.shared.live());
            counts.queued_commands += h.commands.max_capacity() - h.commands.capacity();
        }
        counts
    }

    /// The stream of inbound messages as they are stored (once per WhatsApp message id), for
    /// the one automations worker; `None` after it was taken.
    pub fn take_inbound(&self) -> Option<mpsc::Receiver<store::Message>> {
        self.0.inbound_rx.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Conversations handed over by a reply from the phone (see `device_task::record_inbound`).
    pub fn subscribe_hand_overs(&self) -> broadcast::Receiver<store::ChatbotSession> {
        self.0.hand_overs.subscribe()
    }

    pub fn engines(&self) -> &Engines {
        &self.0.engines
    }

    pub fn settings(&self) -> &SessionSettings {
        &self.0.settings
    }

    /// Starts a task for every stored device whose engine this process has; paired ones
    /// reconnect at once.
    pub async fn start_all(&self) -> Result<usize, store::StoreError> {
        let devices = self.0.store.all_devices().await?;
        let (mut started, mut skipped) = (0, 0);
        for device in devices {
            if self.0.engines.get(device.engine).is_err() {
                skipped += 1;
                continue;
            }
            if self.ensure(device).is_ok() {
                started += 1;
            }
        }
        if skipped > 0 {
            tracing::warn!(
                devices = skipped,
                "devices on an engine that is off here were not started (sandbox = false)"
            );
        }
        Ok(started)
    }

    /// From now on this process starts no device: another one on the database runs them.
    pub fn enter_standby(&self) {
        self.0.standby.store(true, Ordering::SeqCst);
    }

    pub fn on_standby(&self) -> bool {
        self.0.standby.load(Ordering::SeqCst)
    }

    /// Starts the device's task unless one runs already: never two loops for one device.
    fn ensure(&self, device: Device) -> Result<mpsc::Sender<Command>, SessionError> {
        if self.on_standby() {
            return Err(SessionError::Standby);
        }
        let mut registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = registry.get(&device.id) {
            if !h.commands.is_closed() {
                return Ok(h.commands.clone());
            }
        }
        let (tx, rx) = mpsc::channel(16);
        let shared = Arc::new(Shared::default());
        self.0.loops.fetch_add(1, Ordering::SeqCst);
        let (id, outlet) = (device.id, device.outlet_id);
        let task = tokio::spawn(device_task::run(self.0.clone(), device, shared.clone(), rx)).abort_handle();
        registry.insert(id, Handle { commands: tx.clone(), shared, task, outlet });
        Ok(tx)
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
    pub async fn connect(&self, device: Device) -> Result<(), SessionError> {
        let tx = self.ensure(device)?;
        tx.send(Command::Connect).await.map_err(|_| SessionError::NotRunning)
    }

    pub async fn logout(&self, id: DeviceId) -> Result<(), SessionError> {
        let tx = self.commands(id).ok_or_else(|| self.not_here())?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::Logout(reply)).await.map_err(|_| SessionError::NotRunning)?;
        Ok(answer.await.map_err(|_| SessionError::NotRunning)??)
    }

    pub async fn request_pairing_code(&self, id: DeviceId, phone_digits: &str) -> Result<String, SessionError> {
        let tx = self.commands(id).ok_or_else(|| self.not_here())?;
        let (reply, answer) = oneshot::channel();
        tx.send(Command::PairingCode(phone_digits.to_string(), reply)).await.map_err(|_| SessionError::NotRunning)?;
        Ok(answer.await.map_err(|_| SessionError::NotRunning)??)
    }

    /// Why a device has no task here: another process runs it, or it was never started.
    fn not_here(&self) -> SessionError {
        if self.on_standby() {
            SessionError::Standby
        } else {
            SessionError::NotRunning
        }
    }

    /// Stops the device's task, closing its socket, and forgets its keys. Refused on standby:
    /// the socket and the keys belong to the process that runs the device.
    pub async fn remove(&self, id: DeviceId, engine: EngineKind) -> Result<(), SessionError> {
        if self.on_standby() {
            return Err(SessionError::Standby);
        }
        let handle = self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        if let Some(h) = handle {
            stop_task(id, h).await;
        }
        if let Ok(e) = self.0.engines.get(engine) {
            if let Err(err) = e.forget(id).await {
                tracing::error!(device = %id, error = %err, "forgetting device keys");
            }
        }
        Ok(())
    }

    /// Has the devices of outlets with waiting messages look at their outbox: messages written
    /// by another process (or whose wake-up was missed) go out within a reconcile interval. One
    /// indexed query, not one claim per device.
    pub async fn wake_senders_with_pending(&self) {
        let outlets = match self.0.store.outlets_with_pending_messages().await {
            Ok(o) if o.is_empty() => return,
            Ok(o) => o.into_iter().collect::<std::collections::HashSet<OutletId>>(),
            Err(e) => {
                tracing::error!(error = %e, "looking for waiting messages");
                return;
            }
        };
        let registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        for h in registry.values().filter(|h| outlets.contains(&h.outlet)) {
            h.shared.outbox.notify_one();
        }
    }

    /// Socket open and logged in, from memory.
    pub fn is_live(&self, id: DeviceId) -> bool {
        self.shared(id).is_some_and(|s| s.live())
    }

    /// The outlet's device running here and whether it is live now, from memory (the blast
    /// dispatcher asks this for every share it looks at).
    pub fn outlet_device(&self, outlet: OutletId) -> Option<(DeviceId, bool)> {
        let registry = self.0.registry.lock().unwrap_or_else(|e| e.into_inner());
        registry.iter().find(|(_, h)| h.outlet == outlet).map(|(id, h)| (*id, h.shared.live()))
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
    /// A task that does not answer within `reconcile_timeout` (busy sending, say) is left to
    /// the next round: `None`, as if nothing needed fixing.
    pub async fn reconcile(&self, id: DeviceId) -> Option<Fix> {
        let tx = self.commands(id)?;
        let (reply, answer) = oneshot::channel();
        // A full queue means the task is busy: asking again would only pile up requests.
        tx.try_send(Command::Reconcile(Some(reply))).ok()?;
        let ask = async move { answer.await.ok().flatten() };
        match tokio::time::timeout(self.0.settings.reconcile_timeout, ask).await {
            Ok(fix) => fix,
            Err(_) => {
                tracing::warn!(device = %id, "reconcile: the device's session is busy; checked again next round");
                None
            }
        }
    }

    /// Reconciles every running device, several at once.
    pub async fn reconcile_all(&self) -> Vec<Fix> {
        let ids: Vec<DeviceId> = self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).keys().copied().collect();
        futures_util::stream::iter(ids)
            .map(|id| self.reconcile(id))
            .buffer_unordered(RECONCILE_CONCURRENCY)
            .filter_map(|fix| async move { fix })
            .collect()
            .await
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
        let handles: Vec<(DeviceId, Handle)> =
            self.0.registry.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
        futures_util::future::join_all(handles.into_iter().map(|(id, h)| stop_task(id, h))).await;
    }
}

/// A task hears `Stop` between two steps; one stuck in a step (a send that hangs) is given up
/// on after this long rather than holding up a shutdown or a deletion.
const STOP_WAIT: Duration = Duration::from_secs(5);

async fn stop_task(id: DeviceId, h: Handle) {
    let (reply, done) = oneshot::channel();
    let stopped = async {
        if h.commands.send(Command::Stop(reply)).await.is_ok() {
            let _ = done.await;
        }
    };
    if tokio::time::timeout(STOP_WAIT, stopped).await.is_err() {
        tracing::warn!(device = %id, "the device's session did not stop in time; ended");
        h.task.abort();
        let conn = h.shared.conn.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(conn) = conn {
            conn.close().await;
        }
    }
}

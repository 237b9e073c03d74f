//! An in-process simulated WhatsApp network: good enough to demo and test the whole product
//! without a phone.
//!
//! - Pairing shows rotating QR codes (first valid 60 s, then 20 s each, then exhausted, like the
//!   real service) and completes when someone "scans" through [`SimEngine::scan`] (the sandbox
//!   API), or by itself after `auto_scan_after` (demo mode).
//! - Messages between sim devices are delivered to each other. Messages to any other number
//!   reach simulated customers, who send delivered and read receipts and answer questions.
//! - [`Fault`]s break things on purpose: drops, logout from the phone, flapping, failing sends
//!   and connects, temporary bans, and a socket that dies silently.

mod connection;
mod network;

pub use network::Fault;

use crate::{ConnectOptions, Connection, Engine, EngineError, EngineEvent, EventSender};
use async_trait::async_trait;
use domain::{DeviceId, EngineKind};
use network::Network;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The group every sandbox group message is written in.
pub const SIM_GROUP: &str = "120363000000000001@g.us";

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub first_qr: Duration,
    pub next_qr: Duration,
    /// How many QR codes one pairing attempt shows before giving up.
    pub qr_codes: u32,
    /// Scan the QR by itself after this long, as the outlet's own number (demo mode).
    pub auto_scan_after: Option<Duration>,
    pub delivered_after: Duration,
    pub read_after: Duration,
    /// How long a flapping connection stays up before dropping again.
    pub flap_up_for: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            first_qr: Duration::from_secs(60),
            next_qr: Duration::from_secs(20),
            qr_codes: 6,
            auto_scan_after: None,
            delivered_after: Duration::from_millis(500),
            read_after: Duration::from_secs(2),
            flap_up_for: Duration::from_millis(200),
        }
    }
}

/// The simulated engine; clones share one network.
#[derive(Clone)]
pub struct SimEngine {
    pub(crate) net: Arc<Mutex<Network>>,
    pub(crate) config: Arc<SimConfig>,
}

/// A message a simulated contact writes ([`SimEngine::write`]).
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The contact's number as digits.
    pub from: String,
    pub text: String,
    /// The id of an earlier message, to deliver it again; a new one when `None`.
    pub id: Option<String>,
    pub chat: crate::ChatKind,
    /// Written by the linked phone itself: what the gateway must never answer.
    pub from_me: bool,
    pub media: Option<crate::IncomingMedia>,
}

impl SimEngine {
    pub fn new(config: SimConfig) -> SimEngine {
        SimEngine { net: Arc::default(), config: Arc::new(config) }
    }

    /// A phone with number `account` (digits) scans the device's current QR code or enters
    /// its pairing code.
    pub async fn scan(&self, device: DeviceId, account: &str) -> Result<(), EngineError> {
        let (events, gen) = {
            let mut net = self.lock();
            net.pair(device, account)?
        };
        connection::emit(&events, EngineEvent::Paired { account: account.to_string() }).await;
        self.come_online(device, gen, events).await;
        Ok(())
    }

    /// A customer with number `from` (digits) writes to the device. Passing the `id` of an
    /// earlier message delivers it again, as WhatsApp does after a reconnect.
    pub async fn inbound(
        &self,
        device: DeviceId,
        from: &str,
        text: &str,
        id: Option<&str>,
    ) -> Result<String, EngineError> {
        let written = Written {
            from: from.to_string(),
            text: text.to_string(),
            id: id.map(str::to_string),
            ..Written::default()
        };
        self.write(device, written).await
    }

    /// What a contact writes to the device, in any kind of chat, with media: returns the
    /// message's WhatsApp id.
    pub async fn write(&self, device: DeviceId, written: Written) -> Result<String, EngineError> {
        let (events, _) = self.lock().live_events(device)?;
        let Written { from, text, id, chat, from_me, media } = written;
        let id = id.unwrap_or_else(network::message_id);
        // Every group message of the sandbox is written in the one group.
        let group = (chat == crate::ChatKind::Group).then(|| SIM_GROUP.to_string());
        let msg = crate::IncomingMessage { chat, group, from_me, media, ..network::incoming(&id, &from, &text) };
        connection::emit(&events, EngineEvent::Message(msg)).await;
        Ok(id)
    }

    /// Breaks something on purpose.
    pub async fn inject(&self, device: DeviceId, fault: Fault) -> Result<(), EngineError> {
        let emitted = self.lock().apply_fault(device, fault)?;
        if let Some((events, event)) = emitted {
            connection::emit(&events, event).await;
        }
        Ok(())
    }

    /// The number a sim device is paired with, if any.
    pub fn account(&self, device: DeviceId) -> Option<String> {
        self.lock().account(device)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Network> {
        self.net.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the connection live and says so, unless a newer connection replaced it.
    async fn come_online(&self, device: DeviceId, gen: u64, events: EventSender) {
        let flap = self.lock().go_live(device, gen);
        connection::emit(&events, EngineEvent::Connected).await;
        if flap {
            let engine = self.clone();
            let up_for = self.config.flap_up_for;
            tokio::spawn(async move {
                tokio::time::sleep(up_for).await;
                let dropped = engine.lock().drop_if_current(device, gen, "connection flapped (simulated)");
                if let Some((events, event)) = dropped {
                    connection::emit(&events, event).await;
                }
            });
        }
    }
}

#[async_trait]
impl Engine for SimEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Sim
    }

    async fn connect(
        &self,
        device: DeviceId,
        options: ConnectOptions,
        events: EventSender,
    ) -> Result<Arc<dyn Connection>, EngineError> {
        let attempt = self.lock().connect(device, events.clone(), options.paired_account.as_deref())?;
        let conn = Arc::new(connection::SimConnection::new(self.clone(), device, attempt.gen, attempt.live.clone()));
        match attempt.start {
            network::Start::Banned(event) => connection::emit(&events, event).await,
            network::Start::Online => self.come_online(device, attempt.gen, events).await,
            network::Start::NeedsPairing => {
                connection::spawn_qr_rotation(self.clone(), device, attempt.gen, events, options.phone);
            }
        }
        Ok(conn)
    }

    async fn forget(&self, device: DeviceId) -> Result<(), EngineError> {
        self.lock().forget(device);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

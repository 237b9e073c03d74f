//! One simulated connection, the QR rotation of an unpaired device, and the simulated
//! customers who answer messages.

use super::SimEngine;
use crate::{
    Connection, EngineError, EngineEvent, EventSender, IncomingMessage, MessageBody, OutgoingMessage, Receipt,
    ReceiptKind,
};
use async_trait::async_trait;
use domain::{Clock, DeviceId, SystemClock};
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub(crate) struct SimConnection {
    engine: SimEngine,
    device: DeviceId,
    gen: u64,
    live: Arc<AtomicBool>,
}

impl SimConnection {
    pub fn new(engine: SimEngine, device: DeviceId, gen: u64, live: Arc<AtomicBool>) -> Self {
        SimConnection { engine, device, gen, live }
    }
}

/// Sends an event; a closed receiver means the session manager already let go of this
/// connection, which is fine.
pub(crate) async fn emit(events: &EventSender, event: EngineEvent) {
    let _ = events.send(event).await;
}

fn random_code(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// Shows QR codes one after another until a scan pairs the device or they run out.
pub(crate) fn spawn_qr_rotation(
    engine: SimEngine,
    device: DeviceId,
    gen: u64,
    events: EventSender,
    phone: Option<String>,
) {
    tokio::spawn(async move {
        let cfg = engine.config.clone();
        if let (Some(after), Some(phone)) = (cfg.auto_scan_after, phone) {
            let engine = engine.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = engine.scan(device, &phone).await;
            });
        }
        for i in 0..cfg.qr_codes {
            if !engine.lock().is_waiting_for_scan(device, gen) {
                return;
            }
            let valid_for = if i == 0 { cfg.first_qr } else { cfg.next_qr };
            let code = format!(
                "2@{},{},SIM",
                random_code(32, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
                i + 1
            );
            emit(&events, EngineEvent::Qr { code, valid_for }).await;
            tokio::time::sleep(valid_for).await;
        }
        let ended = engine.lock().end_pairing(device, gen);
        if let Some(events) = ended {
            emit(&events, EngineEvent::QrExhausted).await;
        }
    });
}

#[async_trait]
impl Connection for SimConnection {
    fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    async fn request_pairing_code(&self, _phone_digits: &str) -> Result<String, EngineError> {
        let events = {
            let mut net = self.engine.lock();
            if net.account(self.device).is_some() {
                return Err(EngineError::AlreadyPaired);
            }
            if !net.is_waiting_for_scan(self.device, self.gen) {
                return Err(EngineError::NotConnected);
            }
            net.live_events_any(self.device).ok_or(EngineError::NotConnected)?
        };
        let code = random_code(8, b"ABCDEFGHJKLMNPQRSTVWXYZ23456789");
        let code = format!("{}-{}", &code[..4], &code[4..]);
        emit(&events, EngineEvent::PairingCode { code: code.clone() }).await;
        Ok(code)
    }

    async fn send(&self, message: OutgoingMessage) -> Result<String, EngineError> {
        let (peer, account, slow) = {
            let mut net = self.engine.lock();
            if !self.is_live() {
                return Err(EngineError::NotConnected);
            }
            if net.take_send_failure(self.device) {
                return Err(EngineError::Rejected("WhatsApp refused the message (simulated send failure)".into()));
            }
            (net.live_peer(&message.to), net.account(self.device).unwrap_or_default(), net.take_send_delay(self.device))
        };
        if let Some(delay) = slow {
            tokio::time::sleep(delay).await;
        }
        let id = super::network::message_id();
        match peer {
            // Another sim device: it receives the message.
            Some(peer) => {
                let msg = IncomingMessage {
                    id: id.clone(),
                    from: account,
                    text: message.body.preview().to_string(),
                    at: SystemClock.now(),
                    chat: crate::ChatKind::Direct,
                    group: None,
                    from_me: false,
                    media: message.body.media(),
                };
                emit(&peer, EngineEvent::Message(msg)).await;
                self.spawn_receipts(id.clone(), message.to, false);
            }
            // (A group does not answer the way a customer does.)
            None => {
                let reply = reply_wanted(&message.body) && !message.to.ends_with(crate::GROUP_SUFFIX);
                self.spawn_receipts(id.clone(), message.to, reply)
            }
        }
        Ok(id)
    }

    async fn logout(&self) -> Result<(), EngineError> {
        self.engine.lock().logout(self.device);
        Ok(())
    }

    async fn close(&self) {
        self.engine.lock().close(self.device, self.gen);
    }
}

/// Simulated customers answer questions.
fn reply_wanted(body: &MessageBody) -> bool {
    body.preview().trim_end().ends_with('?')
}

impl SimConnection {
    /// The recipient's phone reports delivery, then reading, and may answer.
    fn spawn_receipts(&self, id: String, to: String, reply: bool) {
        let cfg = self.engine.config.clone();
        let engine = self.engine.clone();
        let device = self.device;
        tokio::spawn(async move {
            tokio::time::sleep(cfg.delivered_after).await;
            let receipt = |kind| Receipt { message_ids: vec![id.clone()], kind, from: to.clone() };
            let Ok((events, _)) = engine.lock().live_events(device) else { return };
            emit(&events, EngineEvent::Receipt(receipt(ReceiptKind::Delivered))).await;
            tokio::time::sleep(cfg.read_after.saturating_sub(cfg.delivered_after)).await;
            let Ok((events, _)) = engine.lock().live_events(device) else { return };
            emit(&events, EngineEvent::Receipt(receipt(ReceiptKind::Read))).await;
            if reply {
                let answer = super::network::incoming(
                    &super::network::message_id(),
                    &to,
                    "Terima kasih! Pesan Anda sudah kami terima. (simulated customer)",
                );
                emit(&events, EngineEvent::Message(answer)).await;
            }
        });
    }
}

//! The simulated network's shared state: which sim device is paired to which number, which
//! connection is current, and the faults waiting to happen.

use crate::{EngineError, EngineEvent, EventSender, IncomingMessage};
use domain::{Clock, DeviceId, SystemClock};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Something to break on purpose (the sandbox's fault injection). As JSON:
/// `{"kind": "flap", "times": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The connection drops, with a disconnect event.
    Drop,
    /// The socket dies without any event, as a half-open TCP connection does.
    SilentDrop,
    /// The phone unlinks the device.
    LogoutFromPhone,
    /// The next `times` connections come up and drop again shortly after; drops now.
    Flap { times: u32 },
    /// The next `count` sends fail.
    FailSends { count: u32 },
    /// The next send takes `secs` seconds, as a large upload on a slow link does.
    SlowSend { secs: u64 },
    /// The next `count` connection attempts fail.
    FailConnects { count: u32 },
    /// WhatsApp bans the number for `secs` seconds; drops now.
    TemporaryBan { secs: u64 },
}

/// Bounds on what a sandbox request can ask for.
const MAX_FLAPS: u32 = 100;
const MAX_BAN_SECS: u64 = 7 * 24 * 3600;
const MAX_SLOW_SEND_SECS: u64 = 600;

#[derive(Default)]
pub(crate) struct Network {
    devices: HashMap<DeviceId, SimDevice>,
    by_number: HashMap<String, DeviceId>,
}

#[derive(Default)]
struct SimDevice {
    account: Option<String>,
    /// Bumped on every connect, so a late timer of an old connection changes nothing.
    gen: u64,
    events: Option<EventSender>,
    live: Arc<AtomicBool>,
    waiting_for_scan: bool,
    fail_connects: u32,
    fail_sends: u32,
    slow_send: Option<Duration>,
    flaps: u32,
    banned_until: Option<Instant>,
}

pub(crate) enum Start {
    Online,
    NeedsPairing,
    Banned(EngineEvent),
}

pub(crate) struct Attempt {
    pub gen: u64,
    pub live: Arc<AtomicBool>,
    pub start: Start,
}

pub(crate) fn message_id() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("SIM{n:016X}")
}

pub(crate) fn incoming(id: &str, from: &str, text: &str) -> IncomingMessage {
    IncomingMessage {
        id: id.to_string(),
        from: from.to_string(),
        text: text.to_string(),
        at: SystemClock.now(),
        chat: crate::ChatKind::Direct,
        group: None,
        from_me: false,
        media: None,
    }
}

impl Network {
    fn device(&mut self, id: DeviceId) -> &mut SimDevice {
        self.devices.entry(id).or_default()
    }

    pub fn connect(
        &mut self,
        id: DeviceId,
        events: EventSender,
        restore: Option<&str>,
    ) -> Result<Attempt, EngineError> {
        if let Some(account) = restore {
            if self.device(id).account.is_none() {
                self.device(id).account = Some(account.to_string());
                self.by_number.insert(account.to_string(), id);
            }
        }
        let d = self.device(id);
        d.live.store(false, Ordering::SeqCst);
        if d.fail_connects > 0 {
            d.fail_connects -= 1;
            return Err(EngineError::Unavailable("could not reach WhatsApp (simulated network failure)".into()));
        }
        d.gen += 1;
        d.live = Arc::new(AtomicBool::new(false));
        d.events = Some(events);
        d.waiting_for_scan = false;
        let start = match (d.banned_until, &d.account) {
            (Some(until), _) if until > Instant::now() => {
                d.events = None;
                let secs = until.saturating_duration_since(Instant::now()).as_secs().max(1);
                Start::Banned(EngineEvent::TemporaryBan {
                    reason: "number temporarily banned (simulated)".into(),
                    retry_after: Some(Duration::from_secs(secs)),
                })
            }
            (_, Some(_)) => Start::Online,
            (_, None) => {
                d.waiting_for_scan = true;
                Start::NeedsPairing
            }
        };
        Ok(Attempt { gen: d.gen, live: d.live.clone(), start })
    }

    /// True when this connection should flap (drop again soon).
    pub fn go_live(&mut self, id: DeviceId, gen: u64) -> bool {
        let d = self.device(id);
        if d.gen != gen {
            return false;
        }
        d.live.store(true, Ordering::SeqCst);
        if d.flaps > 0 {
            d.flaps -= 1;
            return true;
        }
        false
    }

    pub fn is_waiting_for_scan(&mut self, id: DeviceId, gen: u64) -> bool {
        let d = self.device(id);
        d.gen == gen && d.waiting_for_scan
    }

    /// Ends a pairing attempt whose QR codes ran out.
    pub fn end_pairing(&mut self, id: DeviceId, gen: u64) -> Option<EventSender> {
        let d = self.device(id);
        if d.gen != gen || !d.waiting_for_scan {
            return None;
        }
        d.waiting_for_scan = false;
        d.events.take()
    }

    pub fn pair(&mut self, id: DeviceId, account: &str) -> Result<(EventSender, u64), EngineError> {
        let d = self.device(id);
        if !d.waiting_for_scan {
            return Err(EngineError::Rejected("the device is not showing a QR code or pairing code".into()));
        }
        let events = d.events.clone().ok_or(EngineError::NotConnected)?;
        d.waiting_for_scan = false;
        d.account = Some(account.to_string());
        let gen = d.gen;
        self.by_number.insert(account.to_string(), id);
        Ok((events, gen))
    }

    pub fn live_events(&mut self, id: DeviceId) -> Result<(EventSender, Option<String>), EngineError> {
        let d = self.device(id);
        if !d.live.load(Ordering::SeqCst) {
            return Err(EngineError::NotConnected);
        }
        let events = d.events.clone().ok_or(EngineError::NotConnected)?;
        Ok((events, d.account.clone()))
    }

    /// The current connection's events, live or still pairing.
    pub fn live_events_any(&mut self, id: DeviceId) -> Option<EventSender> {
        self.device(id).events.clone()
    }

    pub fn account(&mut self, id: DeviceId) -> Option<String> {
        self.device(id).account.clone()
    }

    /// The live connection of the sim device paired with `number`, if there is one.
    pub fn live_peer(&self, number: &str) -> Option<EventSender> {
        let d = self.devices.get(self.by_number.get(number)?)?;
        if d.live.load(Ordering::SeqCst) {
            d.events.clone()
        } else {
            None
        }
    }

    /// How long the next send takes beyond the usual, once.
    pub fn take_send_delay(&mut self, id: DeviceId) -> Option<Duration> {
        self.device(id).slow_send.take()
    }

    /// Takes one pending send failure, if any.
    pub fn take_send_failure(&mut self, id: DeviceId) -> bool {
        let d = self.device(id);
        if d.fail_sends > 0 {
            d.fail_sends -= 1;
            return true;
        }
        false
    }

    pub fn drop_if_current(&mut self, id: DeviceId, gen: u64, reason: &str) -> Option<(EventSender, EngineEvent)> {
        let d = self.device(id);
        if d.gen != gen || !d.live.load(Ordering::SeqCst) {
            return None;
        }
        d.live.store(false, Ordering::SeqCst);
        let events = d.events.take()?;
        Some((events, EngineEvent::Disconnected { reason: reason.to_string() }))
    }

    pub fn close(&mut self, id: DeviceId, gen: u64) {
        let d = self.device(id);
        if d.gen == gen {
            d.live.store(false, Ordering::SeqCst);
            d.events = None;
            d.waiting_for_scan = false;
        }
    }

    pub fn forget(&mut self, id: DeviceId) {
        if let Some(d) = self.devices.remove(&id) {
            d.live.store(false, Ordering::SeqCst);
            if let Some(account) = d.account {
                self.by_number.remove(&account);
            }
        }
    }

    pub fn apply_fault(
        &mut self,
        id: DeviceId,
        fault: Fault,
    ) -> Result<Option<(EventSender, EngineEvent)>, EngineError> {
        let d = self.device(id);
        let live = d.live.load(Ordering::SeqCst);
        let drop_now = |d: &mut SimDevice, event: EngineEvent| {
            d.live.store(false, Ordering::SeqCst);
            d.events.take().map(|e| (e, event))
        };
        Ok(match fault {
            Fault::FailSends { count } => {
                d.fail_sends = count;
                None
            }
            Fault::FailConnects { count } => {
                d.fail_connects = count;
                None
            }
            Fault::SlowSend { secs } => {
                d.slow_send = Some(Duration::from_secs(secs.min(MAX_SLOW_SEND_SECS)));
                None
            }
            _ if !live => return Err(EngineError::NotConnected),
            Fault::Drop => drop_now(d, EngineEvent::Disconnected { reason: "connection lost (simulated)".into() }),
            Fault::SilentDrop => {
                d.live.store(false, Ordering::SeqCst);
                None
            }
            Fault::Flap { times } => {
                d.flaps = times.min(MAX_FLAPS);
                drop_now(d, EngineEvent::Disconnected { reason: "connection flapped (simulated)".into() })
            }
            Fault::LogoutFromPhone => {
                if let Some(account) = d.account.take() {
                    self.by_number.remove(&account);
                }
                let d = self.device(id);
                drop_now(d, EngineEvent::LoggedOut { reason: "logged out from the phone (simulated)".into() })
            }
            Fault::TemporaryBan { secs } => {
                let secs = secs.min(MAX_BAN_SECS);
                d.banned_until = Some(Instant::now() + Duration::from_secs(secs));
                drop_now(
                    d,
                    EngineEvent::TemporaryBan {
                        reason: "number temporarily banned (simulated)".into(),
                        retry_after: Some(Duration::from_secs(secs)),
                    },
                )
            }
        })
    }

    /// Unpairs after we logged the device out ourselves.
    pub fn logout(&mut self, id: DeviceId) {
        let d = self.device(id);
        d.live.store(false, Ordering::SeqCst);
        d.events = None;
        if let Some(account) = d.account.take() {
            self.by_number.remove(&account);
        }
    }
}

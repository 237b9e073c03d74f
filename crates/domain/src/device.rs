//! Device (WhatsApp session) status and the transitions between them.
//!
//! The session manager is the only writer of a device's status and asks [`check_transition`]
//! before every write, so an impossible jump (say `logged_out → connected` without pairing)
//! is a bug that is refused and logged instead of stored.

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Disconnected,
    Connecting,
    /// Waiting for a QR scan or a pairing code.
    Qr,
    Connected,
    /// Unlinked from the phone (or by us): needs a new pairing.
    LoggedOut,
    /// WhatsApp temporarily banned the number.
    Banned,
}

/// Which engine runs a device: the real WhatsApp Web protocol, or the in-process simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Web,
    Sim,
}

crate::role::string_enum!(DeviceStatus, "device status",
    Disconnected => "disconnected", Connecting => "connecting", Qr => "qr",
    Connected => "connected", LoggedOut => "logged_out", Banned => "banned");
crate::role::string_enum!(EngineKind, "engine", Web => "web", Sim => "sim");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("impossible device status change {from} → {to}")]
pub struct ImpossibleTransition {
    pub from: DeviceStatus,
    pub to: DeviceStatus,
}

/// Is `from → to` a change the session lifecycle can make?
pub fn check_transition(from: DeviceStatus, to: DeviceStatus) -> Result<(), ImpossibleTransition> {
    use DeviceStatus::*;
    let ok = match (from, to) {
        (a, b) if a == b => false,
        // Every attempt starts by connecting: after a drop, a logout (re-pairing), a ban, a start.
        (Disconnected | LoggedOut | Banned, Connecting) => true,
        (Connecting, Qr | Connected | Disconnected | LoggedOut | Banned) => true,
        (Qr, Connected | Disconnected | LoggedOut) => true,
        (Connected, Disconnected | LoggedOut | Banned) => true,
        // Logging out a device that is offline, and a ban running out.
        (Disconnected, LoggedOut) | (Banned, Disconnected | LoggedOut) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ImpossibleTransition { from, to })
    }
}

/// Reconnect delays: exponential from `base`, capped at `cap`, with "full jitter" in the
/// upper half so that many devices dropped at once do not reconnect in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_secs(2), cap: Duration::from_secs(300) }
    }
}

impl Backoff {
    /// The delay before attempt `retry` (1 for the first retry). `jitter` in `[0, 1)` picks a
    /// point in `[d/2, d)` where `d = min(cap, base · 2^(retry-1))`.
    pub fn delay(&self, retry: u32, jitter: f64) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 0.999_999))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceStatus::*;

    #[test]
    fn the_lifecycle_moves_through_connecting() {
        for (from, to) in [
            (Disconnected, Connecting),
            (Connecting, Qr),
            (Qr, Connected),
            (Connected, Disconnected),
            (Connected, LoggedOut),
            (Connected, Banned),
            (LoggedOut, Connecting),
            (Banned, Connecting),
            (Disconnected, LoggedOut),
        ] {
            assert!(check_transition(from, to).is_ok(), "{from} → {to}");
        }
    }

    #[test]
    fn impossible_jumps_are_refused() {
        for (from, to) in [
            (Disconnected, Connected),
            (LoggedOut, Connected),
            (LoggedOut, Qr),
            (Qr, Banned),
            (Banned, Connected),
            (Connected, Qr),
            (Connected, Connected),
            (Disconnected, Qr),
        ] {
            assert_eq!(check_transition(from, to), Err(ImpossibleTransition { from, to }));
        }
    }

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let b = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(60) };
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(2, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(3, 0.0), Duration::from_secs(2));
        assert!(b.delay(3, 0.99) < Duration::from_secs(4) && b.delay(3, 0.99) > Duration::from_millis(3900));
        assert_eq!(b.delay(40, 0.0), Duration::from_secs(30), "capped at 60 s before jitter");
        assert!(b.delay(u32::MAX, 0.5) <= Duration::from_secs(60));
        for s in DeviceStatus::ALL {
            assert_eq!(s.as_str().parse::<DeviceStatus>().unwrap(), *s);
        }
    }
}

//! How long a running blast still needs, and why it is not sending when it is not: each
//! share's pending recipients spaced by its mean gap, inside the send window, within the
//! device's daily cap (what it already handed over today counts), the slowest share deciding.

use crate::error::ServiceResult;
use crate::state::AppState;
use domain::{local_day, next_local_midnight, share_eta, BlastStatus, OutletId, SendWindow, ShareWork, Timestamp};
use serde::Serialize;
use store::{Blast, BlastShare};

/// Why a whole blast is not sending right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = BlastWaiting)]
pub struct Waiting {
    /// `window` (outside the send window), `daily_cap` (every sending device reached its cap
    /// today) or `devices` (no share's device is connected).
    pub reason: &'static str,
    /// When sending should go on; none while it waits for a device.
    pub until: Option<Timestamp>,
}

/// A share that waits for its device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = BlastPausedShare)]
pub struct PausedShare {
    pub outlet_id: OutletId,
    pub outlet_name: String,
    /// `device_disconnected`, `device_logged_out`, `device_banned`, `no_device`, …
    pub reason: String,
}

/// A running blast's estimate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    /// When the last pending recipient should be handed over; none when nothing is pending,
    /// the blast does not run, or no share can send (all wait for their devices).
    pub eta: Option<Timestamp>,
    pub waiting: Option<Waiting>,
    pub paused: Vec<PausedShare>,
}

pub async fn estimate(state: &AppState, blast: &Blast, shares: &[BlastShare]) -> ServiceResult<Estimate> {
    let paused: Vec<PausedShare> = shares
        .iter()
        .filter(|s| s.pending > 0)
        .filter_map(|s| {
            s.paused_reason.as_ref().map(|r| PausedShare {
                outlet_id: s.outlet_id,
                outlet_name: s.outlet_name.clone(),
                reason: r.clone(),
            })
        })
        .collect();
    if blast.status != BlastStatus::Running || blast.counters.pending == 0 {
        return Ok(Estimate { paused, ..Estimate::default() });
    }
    let now = state.clock.now();
    let p = &blast.pacing;
    let tz = p.time_zone.as_str();
    let window = SendWindow {
        start_min: i32::try_from(p.window_start_min).unwrap_or(0),
        end_min: i32::try_from(p.window_end_min).unwrap_or(0),
    };
    let sending: Vec<&BlastShare> = shares.iter().filter(|s| s.pending > 0 && s.paused_reason.is_none()).collect();
    if sending.is_empty() {
        return Ok(Estimate { eta: None, waiting: Some(Waiting { reason: "devices", until: None }), paused });
    }
    let outlets: Vec<OutletId> = sending.iter().map(|s| s.outlet_id).collect();
    let today = state.store.outlet_sends_on(&outlets, &local_day(now, tz)).await?;
    let gap_ms = super::gap_ms(blast, (p.gap_min_secs + p.gap_max_secs) * 500);
    let mut eta = now;
    let mut capped = 0;
    // The cap counts messages; a recipient may be two (media sent apart from the text).
    let per = blast.messages_per_recipient();
    for share in &sending {
        let cap_left = (p.daily_cap - today.get(&share.outlet_id).copied().unwrap_or(0)) / per;
        if cap_left <= 0 {
            capped += 1;
        }
        let work = ShareWork {
            next_send_at: share.next_send_at,
            pending: share.pending,
            gap_ms,
            cap_left_today: cap_left,
            daily_cap: (p.daily_cap / per).max(1),
        };
        eta = eta.max(share_eta(work, window, tz, now));
    }
    let waiting = match window.check(now, tz) {
        Err(opens) => Some(Waiting { reason: "window", until: Some(opens) }),
        Ok(()) if capped == sending.len() => {
            let tomorrow = next_local_midnight(now, tz);
            let opens = window.check(tomorrow, tz).err().unwrap_or(tomorrow);
            Some(Waiting { reason: "daily_cap", until: Some(opens) })
        }
        Ok(()) => None,
    };
    Ok(Estimate { eta: Some(eta), waiting, paused })
}

//! Compares every device's stored status with its live socket every `reconcile_interval_secs`
//! (live wins; the session manager writes the fix with a history row), and wakes the devices of
//! outlets with waiting messages (written by another process, whose wake-up never reached us).

use crate::sessions::Sessions;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(sessions: Sessions, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        sessions.wake_senders_with_pending().await;
        let fixes = sessions.reconcile_all().await;
        if !fixes.is_empty() {
            tracing::info!(fixed = fixes.len(), "reconciled stored device status with live sockets");
        }
    }
}

//! Fails pending messages whose time ran out (`message_expiry_secs`), every minute: their
//! device may never connect to notice by itself.

use crate::state::AppState;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        match state.store.expire_pending_messages(state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "pending messages expired"),
            Err(e) => tracing::error!(error = %e, "expiring pending messages"),
        }
    }
}

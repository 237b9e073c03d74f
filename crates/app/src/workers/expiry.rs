//! Fails pending messages whose time ran out (`message_expiry_secs`), every minute: their
//! device may never connect to notice by itself.

use crate::state::AppState;

pub async fn expire_pending_messages(state: AppState) {
    match state.store.expire_pending_messages(state.clock.now()).await {
        Ok(0) => {}
        Ok(n) => {
            state.metrics.message("failed", n);
            tracing::info!(messages = n, "pending messages expired");
        }
        Err(e) => tracing::error!(error = %e, "expiring pending messages"),
    }
}

//! Every minute: fails pending messages whose time ran out (`message_expiry_secs`), whose
//! device may never connect to notice by itself; and puts accounts whose paid period ended
//! unpaid back on free (what they may do reads the period's end already; this writes it down
//! for the lists and counts).

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

pub async fn expire_subscriptions(state: AppState) {
    match state.store.expire_subscriptions(state.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(subscriptions = n, "paid periods ended unpaid: back on free"),
        Err(e) => tracing::error!(error = %e, "expiring subscriptions"),
    }
}

//! Deletes what is kept only for a while, every hour: ended browser sessions, and delivered or
//! failed webhook deliveries older than `webhook_log_days`.

use crate::state::AppState;

pub async fn purge_ended_sessions_and_old_deliveries(state: AppState) {
    match state.store.purge_web_sessions(state.clock.now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "purged ended web sessions"),
        Err(e) => tracing::error!(error = %e, "purging web sessions"),
    }
    let days = i64::from(state.config.webhook_log_days);
    if days > 0 {
        match state.store.purge_deliveries(state.clock.now().plus_secs(-days * 86_400)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "purged old webhook deliveries"),
            Err(e) => tracing::error!(error = %e, "purging webhook deliveries"),
        }
    }
}

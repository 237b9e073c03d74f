//! Deletes what is kept only for a while, every hour: ended browser sessions, delivered or
//! failed webhook deliveries older than `webhook_log_days`, and the log of automatic replies
//! once no cooldown can need it.

use crate::state::AppState;

pub async fn purge_ended_sessions_and_old_deliveries(state: AppState) {
    let keep = crate::services::auto_replies::MAX_COOLDOWN_SECS + 86_400;
    match state.store.purge_auto_reply_log(state.clock.now().plus_secs(-keep)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(replies = n, "purged the old automatic reply log"),
        Err(e) => tracing::error!(error = %e, "purging the automatic reply log"),
    }
    // A day after their last message: the conversations list shows the recent ones, and the
    // sessions table stays about as large as the day's conversations.
    match state.store.purge_chatbot_sessions(state.clock.now().plus_secs(-86_400)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(conversations = n, "purged old chatbot conversations"),
        Err(e) => tracing::error!(error = %e, "purging chatbot conversations"),
    }
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
        match state.store.purge_forwards(state.clock.now().plus_secs(-days * 86_400)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(forwards = n, "purged old integration forwards"),
            Err(e) => tracing::error!(error = %e, "purging integration forwards"),
        }
    }
}

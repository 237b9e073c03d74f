//! The automations worker: takes each inbound message as its device's session stores it (once
//! per WhatsApp message id) and hands it to `services::automations::on_inbound`. Apart from the
//! sessions, so a slow rule or (later) a chatbot's HTTP call never holds a device's task up;
//! one at a time, so the per-number cap is counted in order. Runs where the devices run.

use crate::services::automations;
use crate::state::AppState;
use tokio::task::JoinHandle;

/// `None` when the sessions' inbound stream was taken already (a second start).
pub fn spawn(state: &AppState) -> Option<JoinHandle<()>> {
    let mut inbound = state.sessions.take_inbound()?;
    let state = state.clone();
    let mut stop = state.stop.subscribe();
    Some(tokio::spawn(async move {
        let mut matchers = automations::Matchers::default();
        loop {
            let message = tokio::select! {
                m = inbound.recv() => match m {
                    Some(m) => m,
                    None => return,
                },
                _ = stop.wait_for(|s| *s) => return,
            };
            match automations::on_inbound(&state, &mut matchers, &message).await {
                Ok(outcome) => tracing::debug!(message = message.id, ?outcome, "automations"),
                Err(e) => tracing::error!(message = message.id, error = %e, "automations on an inbound message"),
            }
        }
    }))
}

//! The automations worker: takes each inbound message as its device's session stores it (once
//! per WhatsApp message id) and hands it to `services::automations::on_inbound`. Apart from the
//! sessions, so a slow rule or (later) a chatbot's HTTP call never holds a device's task up;
//! one at a time, so the per-number cap is counted in order. Runs where the devices run.

use crate::services::{automations, chatbots};
use crate::state::AppState;
use tokio::task::JoinHandle;

const DUE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// `None` when the sessions' inbound stream was taken already (a second start).
pub fn spawn(state: &AppState) -> Option<JoinHandle<()>> {
    let mut inbound = state.sessions.take_inbound()?;
    let state = state.clone();
    let mut stop = state.stop.subscribe();
    let mut hand_overs = state.sessions.subscribe_hand_overs();
    Some(tokio::spawn(async move {
        let mut matchers = automations::Matchers::default();
        // Chatbot delays come due on the clock (a test's manual one too): looked for every second.
        let mut due = tokio::time::interval(DUE_EVERY);
        due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let message = tokio::select! {
                m = inbound.recv() => match m {
                    Some(m) => Some(m),
                    None => return,
                },
                _ = due.tick() => None,
                // A person answered from the phone: the owner hears of it like of a hand-over step.
                Ok(session) = hand_overs.recv() => {
                    chatbots::run::announce_hand_over(&state, &session, session.handed_over_until);
                    continue;
                }
                _ = stop.wait_for(|s| *s) => return,
            };
            let Some(message) = message else {
                if let Err(e) = chatbots::run::resume_due(&state).await {
                    tracing::error!(error = %e, "chatbot delays");
                }
                continue;
            };
            match automations::on_inbound(&state, &mut matchers, &message).await {
                Ok(outcome) => tracing::debug!(message = message.id, ?outcome, "automations"),
                Err(e) => tracing::error!(message = message.id, error = %e, "automations on an inbound message"),
            }
        }
    }))
}

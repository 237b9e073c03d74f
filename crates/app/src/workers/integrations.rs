//! Sends the integrations' forwards. Rows are written by the store with the events they report;
//! this worker claims the due ones with a lease, sends each through its channel's client and
//! records the outcome: delivered; again later (the provider's own wait after a 429, else the
//! webhooks' backoff) for a 5xx, a 429 or no answer; failed at once, with the provider's words,
//! for any other refusal.
//!
//! On stop the sends under way finish and are recorded, so a restart repeats none; a process
//! that dies mid-send leaves a claim whose lease runs out, and that forward is sent again.

use crate::clients::channels::{self, Attachment, Post};
use crate::clients::email::{self, Smtp};
use crate::clients::Outbound;
use crate::i18n::{negotiate, Tr};
use crate::services::integrations::{render, secret_binding, Settings};
use crate::state::AppState;
use domain::policy::system_scope;
use domain::{Backoff, ForwardOutcome, IntegrationKind, OutletId};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use store::{ClaimedForward, ForwardResult};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The longest the worker sleeps without looking (other nodes may have written forwards).
const POLL: Duration = Duration::from_secs(1);

struct Worker {
    state: AppState,
    outbound: Outbound,
    timeout: Duration,
    backoff: Backoff,
    max_attempts: i64,
    concurrency: usize,
    /// Long enough for a send to finish or time out, so a live attempt is never taken over.
    lease_ms: i64,
}

pub fn spawn(state: &AppState) -> anyhow::Result<JoinHandle<()>> {
    let config = &state.config;
    let timeout = Duration::from_secs(config.webhook_timeout_secs);
    let worker = Worker {
        state: state.clone(),
        outbound: Outbound::new(timeout, config.webhooks_allow_private, 0)?,
        timeout,
        backoff: config.webhook_backoff(),
        max_attempts: i64::from(config.webhook_max_attempts),
        concurrency: config.webhook_concurrency as usize,
        lease_ms: i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX / 4) * 3 + 30_000,
    };
    Ok(tokio::spawn(Arc::new(worker).run(state.stop.subscribe())))
}

impl Worker {
    async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let store = &self.state.store;
        let wake = store.forwards_waiting();
        let mut running: JoinSet<()> = JoinSet::new();
        let mut next_sweep = tokio::time::Instant::now();
        while !*stop.borrow() {
            let now = self.state.clock.now();
            if tokio::time::Instant::now() >= next_sweep {
                match store.release_expired_forwards(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(forwards = n, "integration forwards whose claim expired are due again"),
                    Err(e) => tracing::error!(error = %e, "releasing expired integration claims"),
                }
                next_sweep = tokio::time::Instant::now() + POLL;
            }
            while running.try_join_next().is_some() {}
            let free = self.concurrency.saturating_sub(running.len());
            let mut wait = POLL;
            if free > 0 {
                match store.claim_forwards(now, self.lease_ms, free as i64).await {
                    Ok(batch) => {
                        let full = batch.len() == free;
                        for forward in batch {
                            let worker = self.clone();
                            running.spawn(async move { worker.attempt(forward).await });
                        }
                        if full {
                            continue; // more may be due
                        }
                        wait = self.until_next_due().await;
                    }
                    Err(e) => tracing::error!(error = %e, "claiming integration forwards"),
                }
            }
            tokio::select! {
                Some(_) = running.join_next(), if !running.is_empty() => {}
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        // Sends under way finish (each has a deadline) and record their outcome; what was not
        // claimed stays in the table for the next start.
        while running.join_next().await.is_some() {}
    }

    async fn until_next_due(&self) -> Duration {
        match self.state.store.next_forward_due().await {
            Ok(Some(at)) => {
                let ms = at.millis().saturating_sub(self.state.clock.now().millis()).max(0);
                Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(POLL)
            }
            Ok(None) => POLL,
            Err(e) => {
                tracing::error!(error = %e, "reading the next integration forward");
                POLL
            }
        }
    }

    async fn attempt(self: Arc<Self>, forward: ClaimedForward) {
        let outcome = self.send(&forward).await;
        let now = self.state.clock.now();
        let result = match &outcome {
            ForwardOutcome::Delivered { reference } => ForwardResult::Delivered { reference: reference.as_deref() },
            ForwardOutcome::Retry { error, after } if forward.attempts < self.max_attempts => {
                let retry = u32::try_from(forward.attempts).unwrap_or(u32::MAX);
                let delay = after.unwrap_or_else(|| self.backoff.delay(retry, rand::thread_rng().gen::<f64>()));
                let at = now.plus_millis(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4));
                // A provider's own wait (a 429) holds every forward to it, not only this one.
                ForwardResult::Retry { error, at, hold: after.is_some() }
            }
            ForwardOutcome::Retry { error, .. } | ForwardOutcome::Failed { error } => ForwardResult::Failed { error },
        };
        if !matches!(outcome, ForwardOutcome::Delivered { .. }) {
            tracing::info!(forward = forward.id, integration = forward.integration_id, attempt = forward.attempts,
                kind = %forward.kind, final = matches!(result, ForwardResult::Failed { .. }), "integration forward failed");
        }
        if let Err(e) = self.state.store.finish_forward(&forward, result, now).await {
            tracing::error!(forward = forward.id, error = %e, "recording an integration forward");
        }
    }

    async fn send(&self, f: &ClaimedForward) -> ForwardOutcome {
        let state = &self.state;
        let secret = match state.secrets.open(&f.sealed_secret, &secret_binding(f.owner_id)) {
            Ok(s) => String::from_utf8_lossy(&s).into_owned(),
            Err(e) => {
                return ForwardOutcome::Failed { error: format!("the integration's secret could not be read: {e}") }
            }
        };
        let settings: Settings = match serde_json::from_str(&f.settings) {
            Ok(s) => s,
            Err(e) => {
                return ForwardOutcome::Failed { error: format!("the integration's settings could not be read: {e}") }
            }
        };
        let (title, text) = self.words(f).await;
        let attachment = match self.attachment(f).await {
            Ok(a) => a,
            Err(e) => return ForwardOutcome::Retry { error: format!("reading the file to forward: {e}"), after: None },
        };
        let post = Post { title: &title, text: &text, attachment: attachment.as_ref() };
        let outbound = &self.outbound;
        match settings {
            Settings::Telegram { chat_id } => {
                channels::telegram(outbound, &state.config.telegram_api_url, &secret, &chat_id, &post).await
            }
            Settings::Discord {} => channels::discord(outbound, &secret, &post).await,
            Settings::Slack {} => channels::slack(outbound, &secret, &post).await,
            Settings::Email { host, port, tls, username, from, to } => {
                let smtp = Smtp {
                    host: &host,
                    port,
                    tls,
                    username: username.as_deref(),
                    password: Some(secret.as_str()),
                    from: &from,
                    to: &to,
                };
                email::send(&smtp, state.config.webhooks_allow_private, self.timeout, &title, &text, post.attachment)
                    .await
            }
            Settings::Webhook { url } => {
                let timestamp = state.clock.now().millis() / 1000;
                channels::webhook(outbound, &url, &secret, &f.event_id, &f.payload, timestamp).await
            }
        }
    }

    /// The image or document the event's message came with, if it was kept for forwarding
    /// (Discord, Slack and custom webhooks get the words only; a webhook's receiver has the
    /// message's description in the payload).
    async fn attachment(&self, f: &ClaimedForward) -> store::Result<Option<Attachment>> {
        if !matches!(f.kind, IntegrationKind::Telegram | IntegrationKind::Email) {
            return Ok(None);
        }
        let payload: serde_json::Value = serde_json::from_str(&f.payload).unwrap_or_default();
        let message = &payload["data"];
        let Some(kind) = message["kind"].as_str().and_then(|k| k.parse::<domain::MediaKind>().ok()) else {
            return Ok(None);
        };
        let Some(data) = self.state.store.forward_media(&f.event_id).await? else {
            return Ok(None);
        };
        Ok(Some(Attachment {
            kind,
            mime: message["media_mime"].as_str().unwrap_or("application/octet-stream").to_string(),
            file_name: message["media_name"].as_str().unwrap_or("file").to_string(),
            data,
        }))
    }

    /// The forward's title and text in the owner's language, with its outlet's name.
    async fn words(&self, f: &ClaimedForward) -> (String, String) {
        let state = &self.state;
        let outlet_id =
            serde_json::from_str::<serde_json::Value>(&f.payload).ok().and_then(|p| p["data"]["outlet_id"].as_i64());
        let outlet = match outlet_id {
            Some(id) => state.store.outlet(system_scope(), OutletId(id)).await.ok().flatten().map(|o| o.name),
            None => None,
        };
        let choice = state.store.user(f.owner_id).await.ok().flatten().map(|u| u.language).unwrap_or_default();
        let tr = Tr(negotiate(choice, None, state.config.default_language));
        let values = render::values(f.event, &f.payload, outlet.as_deref());
        render::render(f.event, &f.format, &values, tr)
    }
}

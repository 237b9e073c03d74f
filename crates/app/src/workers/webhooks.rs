//! Posts webhook deliveries. Rows are written by the store alongside the changes they report;
//! this worker claims the due ones with a lease, signs each per Standard Webhooks, posts it and
//! records the outcome: delivered, a retry later (exponential backoff with jitter), or failed.
//!
//! At least once: a delivery is only marked delivered after the receiver said 2xx. If the
//! process dies mid-post the lease runs out and the delivery is posted again with the same
//! `webhook-id`, which receivers use to drop the repeat.

use crate::clients::{excerpt, signed, Outbound};
use crate::crypto::SecretBox;
use crate::metrics::Metrics;
use crate::services::webhooks::secret_binding;
use crate::state::AppState;
use domain::{AttemptOutcome, Backoff, Clock};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::{ClaimedDelivery, DeliveryResult, Store};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The longest the worker sleeps without looking (other nodes may have written deliveries).
const POLL: Duration = Duration::from_secs(1);
/// How much of a receiver's error body is kept in the delivery log.
const ERROR_BODY_CHARS: usize = 300;

struct Worker {
    store: Store,
    secrets: SecretBox,
    clock: Arc<dyn Clock>,
    outbound: Outbound,
    metrics: Arc<Metrics>,
    backoff: Backoff,
    max_attempts: i64,
    concurrency: usize,
    /// The most posts one webhook may have in flight (about; see `run`).
    per_webhook: usize,
    /// Long enough for a post to finish or time out, so a live attempt is never taken over.
    lease_ms: i64,
}

pub fn spawn(state: &AppState) -> anyhow::Result<JoinHandle<()>> {
    let config = &state.config;
    let timeout = Duration::from_secs(config.webhook_timeout_secs);
    let worker = Worker {
        store: state.store.clone(),
        secrets: state.secrets.clone(),
        clock: state.clock.clone(),
        outbound: Outbound::new(timeout, config.webhooks_allow_private, 0)?,
        metrics: state.metrics.clone(),
        backoff: config.webhook_backoff(),
        max_attempts: i64::from(config.webhook_max_attempts),
        concurrency: config.webhook_concurrency as usize,
        per_webhook: (config.webhook_concurrency as usize / 4).max(1),
        lease_ms: i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX / 4) * 2 + 30_000,
    };
    Ok(tokio::spawn(Arc::new(worker).run(state.stop.subscribe())))
}

impl Worker {
    async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let wake = self.store.deliveries_waiting();
        // Each task ends with its webhook's id, so the per-webhook counts can be kept.
        let mut running: JoinSet<i64> = JoinSet::new();
        let mut in_flight: HashMap<i64, usize> = HashMap::new();
        let ended = |in_flight: &mut HashMap<i64, usize>, done: Result<i64, tokio::task::JoinError>| {
            if let Ok(hook) = done {
                match in_flight.get_mut(&hook) {
                    Some(n) if *n > 1 => *n -= 1,
                    _ => {
                        in_flight.remove(&hook);
                    }
                }
            }
        };
        let mut next_sweep = tokio::time::Instant::now();
        while !*stop.borrow() {
            if tokio::time::Instant::now() >= next_sweep {
                // Claims of a worker that died mid-post; cheap, but not worth a statement per claim.
                match self.store.release_expired_claims(self.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(deliveries = n, "webhook deliveries whose claim expired are due again"),
                    Err(e) => tracing::error!(error = %e, "releasing expired webhook claims"),
                }
                next_sweep = tokio::time::Instant::now() + POLL;
            }
            // Posts that ended meanwhile free their slots together, so claims come in batches.
            while let Some(done) = running.try_join_next() {
                ended(&mut in_flight, done);
            }
            let free = self.concurrency.saturating_sub(running.len());
            let wait = if free == 0 {
                // Every slot is busy: nothing to do until a post ends (or we stop).
                None
            } else {
                // A webhook with its share in flight waits, so one slow receiver cannot hold
                // every slot; a claim takes at most a share, so it overshoots by less than one.
                let busy: Vec<i64> =
                    in_flight.iter().filter(|(_, n)| **n >= self.per_webhook).map(|(hook, _)| *hook).collect();
                let limit = free.min(self.per_webhook);
                match self.store.claim_deliveries(self.clock.now(), self.lease_ms, limit as i64, &busy).await {
                    Ok(batch) => {
                        let full = !batch.is_empty() && batch.len() == limit;
                        for delivery in batch {
                            *in_flight.entry(delivery.webhook_id).or_default() += 1;
                            let hook = delivery.webhook_id;
                            let worker = self.clone();
                            running.spawn(async move {
                                worker.attempt(delivery).await;
                                hook
                            });
                        }
                        if full {
                            continue; // more may be due
                        }
                        // Due rows of busy webhooks are not ours to take now: wait for a post to
                        // end or for new work rather than looking again at once.
                        Some(if busy.is_empty() { self.until_next_due().await } else { POLL })
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "claiming webhook deliveries");
                        Some(POLL)
                    }
                }
            };
            tokio::select! {
                Some(done) = running.join_next(), if !running.is_empty() => ended(&mut in_flight, done),
                _ = wake.notified(), if wait.is_some() => {}
                _ = tokio::time::sleep(wait.unwrap_or(POLL)), if wait.is_some() => {}
                _ = stop.changed() => {}
            }
        }
        // Posts under way finish (each has a deadline) and record their outcome; what was not
        // claimed stays in the table for the next start.
        while running.join_next().await.is_some() {}
    }

    async fn until_next_due(&self) -> Duration {
        match self.store.next_delivery_due().await {
            Ok(Some(at)) => {
                let ms = at.millis().saturating_sub(self.clock.now().millis()).max(0);
                Duration::from_millis(u64::try_from(ms).unwrap_or(0)).min(POLL)
            }
            Ok(None) => POLL,
            Err(e) => {
                tracing::error!(error = %e, "reading the next webhook delivery");
                POLL
            }
        }
    }

    async fn attempt(self: Arc<Self>, delivery: ClaimedDelivery) {
        // Real elapsed time, for the latency histogram; the injected clock decides retries.
        let started = std::time::Instant::now();
        let outcome = self.post(&delivery).await;
        let took = started.elapsed();
        let now = self.clock.now();
        let status_code = outcome.status_code();
        let result = match &outcome {
            AttemptOutcome::Delivered { status } => DeliveryResult::Delivered { status_code: *status },
            o if o.retryable() && delivery.attempts < self.max_attempts => {
                let retry = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
                let delay = self.backoff.delay(retry, rand::thread_rng().gen::<f64>());
                let at = now.plus_millis(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4));
                DeliveryResult::Retry { status_code, error: o.error(), at }
            }
            o => DeliveryResult::Failed { status_code, error: o.error() },
        };
        if !matches!(outcome, AttemptOutcome::Delivered { .. }) {
            tracing::info!(delivery = delivery.id, webhook = delivery.webhook_id, attempt = delivery.attempts,
                error = %outcome.error(), final = matches!(result, DeliveryResult::Failed { .. }), "webhook delivery failed");
        }
        let label = match result {
            DeliveryResult::Delivered { .. } => "delivered",
            DeliveryResult::Retry { .. } => "retry",
            DeliveryResult::Failed { .. } => "failed",
        };
        self.metrics.webhook_delivery(label, took);
        if let Err(e) = self.store.finish_delivery(&delivery, result, now).await {
            tracing::error!(delivery = delivery.id, error = %e, "recording a webhook delivery");
        }
    }

    async fn post(&self, d: &ClaimedDelivery) -> AttemptOutcome {
        let unreachable = |error: String| AttemptOutcome::Unreachable { error };
        let secret = match self.secrets.open(&d.sealed_secret, &secret_binding(d.owner_id)) {
            Ok(s) => String::from_utf8_lossy(&s).into_owned(),
            Err(e) => return unreachable(format!("the signing secret could not be read: {e}")),
        };
        let timestamp = self.clock.now().millis() / 1000;
        match signed::post(&self.outbound, &d.url, &secret, &d.event_id, &d.payload, timestamp).await {
            Err(e) => unreachable(e.into_message()),
            Ok(r) if r.status().is_success() => AttemptOutcome::Delivered { status: r.status().as_u16() },
            Ok(r) => {
                let status = r.status();
                let body = excerpt(r, ERROR_BODY_CHARS).await;
                let error = if body.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {body}") };
                AttemptOutcome::Rejected { status: status.as_u16(), error }
            }
        }
    }
}

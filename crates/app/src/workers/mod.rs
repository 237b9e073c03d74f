//! Everything that runs beside the requests, started and stopped in one place: the device
//! sessions (only in the process that holds the device lock), their reconciler, the webhook
//! and integration senders, message expiry and log retention.

pub mod automations;
pub mod blasts;
pub mod expiry;
pub mod integrations;
pub mod reconciler;
pub mod retention;
pub mod webhooks;

use crate::state::AppState;
use std::future::Future;
use std::time::Duration;
use store::DeviceLock;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Workers {
    state: AppState,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
    /// Held for the process's life when this process runs the devices.
    device_lock: Option<DeviceLock>,
}

impl Workers {
    /// Starts every device's session (unless another process on the database runs them) and
    /// every worker. They run until [`Workers::stop`] or the state's stop signal.
    pub async fn start(state: &AppState) -> anyhow::Result<Workers> {
        let stop = || state.stop.subscribe();
        // The one start that can fail goes first, before devices run under the lock.
        let mut tasks = vec![("webhooks", webhooks::spawn(state)?), ("integrations", integrations::spawn(state)?)];
        let device_lock = state.store.try_lock_devices().await?;
        if device_lock.is_some() {
            let devices = state.sessions.start_all().await?;
            if devices > 0 {
                tracing::info!(devices, "started device sessions");
            }
            let every = state.sessions.settings().reconcile_interval;
            tasks.push(("reconciler", tokio::spawn(reconciler::run(state.sessions.clone(), every, stop()))));
            // Blasts hand work to devices, so they run where the devices do.
            tasks.push(("blasts", blasts::spawn(state)));
            // Answers inbound messages, which only the sessions here store.
            if let Some(task) = automations::spawn(state) {
                tasks.push(("automations", task));
            }
        } else {
            state.sessions.enter_standby();
            tracing::warn!(
                "another kewhats process runs the WhatsApp sessions of this database: this one starts no device \
                 session (standby, see /healthz) until it is restarted after the other stops"
            );
        }
        let minute = Duration::from_secs(60);
        tasks.push(("expiry", periodic(state, minute, stop(), expiry::expire_pending_messages)));
        tasks.push(("subscriptions", periodic(state, minute, stop(), expiry::expire_subscriptions)));
        let hour = Duration::from_secs(3600);
        tasks.push(("retention", periodic(state, hour, stop(), retention::purge_ended_sessions_and_old_deliveries)));
        Ok(Workers { state: state.clone(), tasks, device_lock })
    }

    /// Signals stop, lets each worker finish what it has under way (webhook posts end within
    /// their deadline), closes the device sockets, then lets go of the device lock.
    pub async fn stop(self) {
        let _ = self.state.stop.send(true);
        for (name, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(worker = name, error = %e, "worker failed");
            }
        }
        self.state.sessions.shutdown().await;
        if let Some(lock) = self.device_lock {
            lock.release().await;
        }
    }
}

/// Runs `job` at once and then every `period`, until the stop signal.
fn periodic<F, Fut>(state: &AppState, period: Duration, mut stop: watch::Receiver<bool>, job: F) -> JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            job(state.clone()).await;
        }
    })
}

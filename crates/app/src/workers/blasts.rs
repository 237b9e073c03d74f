//! The blast dispatcher. Each round it starts the scheduled blasts that are due, makes the due
//! runs of recurring schedules, and for every share (blast × outlet) of a running blast that
//! has recipients pending: pauses it with the reason while its device is not live here (and
//! resumes it when it is), waits for its send window and its next send time, then hands one
//! recipient to the outbox (one transaction in the store, conditional on the share being due
//! and the recipient pending, so two dispatchers on one database never queue a recipient twice)
//! and wakes the device's session. Blasts with nothing pending or queued complete.
//!
//! Everything is rows: a restart picks up where the last process stopped. Runs only in the
//! process that holds the device lock (the one whose sessions know which devices are live).

use crate::services::blasts::{run_schedule, BlastProgress, Renderer};
use crate::state::AppState;
use crate::ServiceResult;
use domain::policy::system_scope;
use domain::{local_day, next_local_midnight, OutletId, SendWindow, Timestamp};
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use store::{Blast, BlastCounters, BlastShare, Handed, Handoff};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The longest the dispatcher sleeps without looking (the clock may be moved by a test, and
/// other nodes may have written blasts).
const POLL: Duration = Duration::from_millis(250);
/// How long the dispatcher sleeps when there is no blast to work or start (blasts written by
/// another process are noticed within this).
const IDLE: Duration = Duration::from_secs(5);
/// Hand-offs per share in one round when its gap allows several (e.g. a zero gap).
const BURST: usize = 100;
/// Shares worked at once.
const SHARES_AT_ONCE: usize = 16;
/// The least time between two `blast.progress` events of one blast.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

pub fn spawn(state: &AppState) -> JoinHandle<()> {
    tokio::spawn(run(state.clone(), state.stop.subscribe()))
}

async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut progress = Progress::default();
    let mut devices = DeviceTurns::default();
    while !*stop.borrow() {
        let wait = match round(&state, &mut progress, &mut devices).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::error!(error = %e, "blast dispatcher round");
                POLL
            }
        };
        tokio::select! {
            _ = state.blasts_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// When each device may hand over its next message, whichever blast it is for: the gap is the
/// device's, so two blasts on one outlet do not double its pace. Kept here (this process runs
/// the devices); after a restart each share's own next send time still holds.
#[derive(Default)]
struct DeviceTurns {
    free_at: HashMap<OutletId, Timestamp>,
}

/// What was last published per blast, so progress events are throttled and only sent on change.
#[derive(Default)]
struct Progress {
    last: HashMap<i64, (Instant, BlastCounters)>,
}

impl Progress {
    /// Publishes when the counters changed (at most once a second per blast) or when `force`d
    /// (a lifecycle change), with the estimate and pause reasons of the moment.
    async fn publish(&mut self, state: &AppState, blast: &Blast, force: bool) {
        let due = match self.last.get(&blast.id) {
            None => true,
            Some((at, counters)) => *counters != blast.counters && (force || at.elapsed() >= PROGRESS_EVERY),
        };
        if !(due || force) {
            return;
        }
        self.last.insert(blast.id, (Instant::now(), blast.counters));
        match BlastProgress::of(state, blast).await {
            Ok(progress) => {
                let _ = state.blast_progress.send(progress);
            }
            Err(e) => tracing::warn!(blast = blast.id, error = %e, "blast progress"),
        }
    }
}

async fn round(state: &AppState, progress: &mut Progress, devices: &mut DeviceTurns) -> ServiceResult<Duration> {
    let store = &state.store;
    let now = state.clock.now();
    let next_start = store.next_blast_start().await?;
    if next_start.is_some_and(|at| at <= now) {
        for blast in store.start_due_blasts(now).await? {
            progress.publish(state, &blast, true).await;
        }
    }
    for schedule in store.due_blast_schedules(now).await? {
        match run_schedule(state, &schedule).await {
            Ok(Some(blast)) => tracing::info!(schedule = schedule.id, blast = blast.id, "recurring blast run made"),
            Ok(None) => {}
            Err(e) => tracing::error!(schedule = schedule.id, error = %e, "making a recurring blast's run"),
        }
    }
    let blasts: HashMap<i64, Blast> = store.running_blasts().await?.into_iter().map(|b| (b.id, b)).collect();
    let mut earliest: Option<Timestamp> = None;
    let mut soonest = |at: Timestamp| earliest = Some(earliest.map_or(at, |e: Timestamp| e.min(at)));
    let expiry = state.config.message_expiry_secs;
    let expires_at = (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX)));
    let shares: Vec<(&Blast, BlastShare)> = store
        .active_shares()
        .await?
        .into_iter()
        .filter_map(|(id, share)| blasts.get(&id).map(|b| (b, share)))
        .collect();
    let with_share: HashSet<i64> = shares.iter().map(|(b, _)| b.id).collect();
    // A device's shares take turns, the one due longest first (shares come by next send time):
    // after one hands a message over, the others wait for the device's gap; one that cannot send
    // (outside its window, at its cap) lets the next try.
    let mut devices_shares: Vec<Vec<(&Blast, BlastShare)>> = Vec::new();
    let mut slot: HashMap<OutletId, usize> = HashMap::new();
    for (blast, share) in shares {
        let i = *slot.entry(share.outlet_id).or_insert_with(|| {
            devices_shares.push(Vec::new());
            devices_shares.len() - 1
        });
        devices_shares[i].push((blast, share));
    }
    devices.free_at.retain(|_, at| *at > now);
    // Devices are worked side by side: each hand-off is a transaction of its own, and on
    // PostgreSQL their commits need not wait for one another (SQLite queues them on its writer).
    let mut results: Vec<ServiceResult<Turn>> = Vec::new();
    for chunk in devices_shares.chunks(SHARES_AT_ONCE) {
        let turns: Vec<_> = chunk
            .iter()
            .map(|shares| {
                let free_at = shares.first().and_then(|(_, s)| devices.free_at.get(&s.outlet_id).copied());
                work_device(state, shares, now, expires_at, free_at)
            })
            .collect();
        results.extend(futures_util::future::join_all(turns).await.into_iter().flatten());
    }
    // A share paused or resumed tells the page at once, counters changed or not.
    let mut paused_or_resumed = HashSet::new();
    let mut template_uses: HashMap<i64, i64> = HashMap::new();
    for result in results {
        match result {
            Ok(turn) => {
                if let Some(at) = turn.device_free_at {
                    devices.free_at.insert(turn.outlet, at);
                }
                if let Some(template) = blasts.get(&turn.blast).and_then(|b| b.template_id).filter(|_| turn.queued > 0)
                {
                    *template_uses.entry(template).or_default() += turn.queued;
                }
                if let Some(at) = turn.next {
                    soonest(at);
                }
                if turn.pause_changed {
                    paused_or_resumed.insert(turn.blast);
                }
            }
            Err(e) => tracing::error!(error = %e, "blast dispatcher: working a share"),
        }
    }
    // A template's use is counted once a round, not in each hand-off: every share of a blast
    // has the same template, and its row would serialise their transactions (a crash may lose
    // one round's count; the messages themselves are rows).
    for (template, n) in template_uses {
        store.count_template_use(template, n).await?;
    }
    // Blasts with nothing left to hand over (or no outlet left to do it) may be done.
    let maybe_done =
        blasts.values().any(|b| b.counters.queued == 0 && (b.counters.pending == 0 || !with_share.contains(&b.id)));
    if maybe_done {
        for blast in store.finish_done_blasts(now).await? {
            tracing::info!(blast = blast.id, status = %blast.status, "blast finished");
            progress.publish(state, &blast, true).await;
        }
    }
    for blast in blasts.values() {
        progress.publish(state, blast, paused_or_resumed.contains(&blast.id)).await;
    }
    progress.last.retain(|id, _| blasts.contains_key(id));
    // Nothing running, scheduled or recurring: look rarely (a new or resumed blast wakes us).
    if blasts.is_empty() && next_start.is_none() && store.next_blast_schedule_run().await?.is_none() {
        return Ok(IDLE);
    }
    let wait = earliest.map_or(POLL, |at| {
        Duration::from_millis(u64::try_from(at.millis().saturating_sub(now.millis())).unwrap_or(0)).min(POLL)
    });
    Ok(wait)
}

/// What one share's turn did.
struct Turn {
    blast: i64,
    /// When it wants to go next.
    next: Option<Timestamp>,
    /// It was paused or resumed.
    pause_changed: bool,
    /// Messages it handed to the outbox.
    queued: i64,
    outlet: OutletId,
    /// When its device may send again, after a hand-off with a gap.
    device_free_at: Option<Timestamp>,
}

/// One device's shares in turn, each told when the device is next free.
async fn work_device(
    state: &AppState,
    shares: &[(&Blast, BlastShare)],
    now: Timestamp,
    expires_at: Option<Timestamp>,
    mut free_at: Option<Timestamp>,
) -> Vec<ServiceResult<Turn>> {
    let mut turns = Vec::with_capacity(shares.len());
    for (blast, share) in shares {
        let turn = work_share(state, blast, share.clone(), now, expires_at, free_at).await;
        if let Ok(t) = &turn {
            free_at = free_at.max(t.device_free_at);
        }
        turns.push(turn);
    }
    turns
}

/// One share's turn: pause or resume it by its device, respect its next send time and window,
/// then hand over as many recipients as its gap allows now. Answers when it wants to go next.
async fn work_share(
    state: &AppState,
    blast: &Blast,
    share: BlastShare,
    now: Timestamp,
    expires_at: Option<Timestamp>,
    device_free_at: Option<Timestamp>,
) -> ServiceResult<Turn> {
    let mut turn =
        Turn { blast: blast.id, next: None, pause_changed: false, queued: 0, outlet: share.outlet_id, device_free_at };
    turn.next = share_turn(state, blast, share, now, expires_at, &mut turn).await?;
    Ok(turn)
}

async fn share_turn(
    state: &AppState,
    blast: &Blast,
    share: BlastShare,
    now: Timestamp,
    expires_at: Option<Timestamp>,
    turn: &mut Turn,
) -> ServiceResult<Option<Timestamp>> {
    let store = &state.store;
    // The share pauses while its device is not live here, saying why; resumes when it is.
    let device = state.sessions.outlet_device(share.outlet_id);
    let reason = match device {
        Some((_, true)) => None,
        Some((id, false)) => match &share.paused_reason {
            Some(r) => Some(r.clone()),
            None => Some(match store.device(system_scope(), id).await? {
                Some(d) => format!("device_{}", d.status.as_str()),
                None => "no_device".to_string(),
            }),
        },
        None => Some("no_device".to_string()),
    };
    if reason != share.paused_reason {
        turn.pause_changed = true;
        store.set_share_pause(blast.id, share.outlet_id, reason.as_deref()).await?;
        if reason.is_none() {
            tracing::info!(blast = blast.id, outlet = %share.outlet_id, "blast share resumed: its device is connected");
        } else {
            tracing::info!(blast = blast.id, outlet = %share.outlet_id, reason = ?reason, "blast share paused");
        }
    }
    let Some((device, _)) = device.filter(|_| reason.is_none()) else { return Ok(None) };
    if share.next_send_at > now {
        return Ok(Some(share.next_send_at));
    }
    // The device's gap after another blast's send.
    if let Some(at) = turn.device_free_at.filter(|at| *at > now) {
        return Ok(Some(at));
    }
    let p = &blast.pacing;
    let window = SendWindow {
        start_min: i32::try_from(p.window_start_min).unwrap_or(0),
        end_min: i32::try_from(p.window_end_min).unwrap_or(0),
    };
    if let Err(opens) = window.check(now, &p.time_zone) {
        return Ok(Some(opens));
    }
    let renderer = Renderer::new(state, blast, &share.outlet_name).await?;
    let day = local_day(now, &p.time_zone);
    let next_day = next_local_midnight(now, &p.time_zone);
    for _ in 0..BURST {
        // A blast with media keeps a longer gap (see `services::blasts::gap_ms`).
        let gap_ms = crate::services::blasts::gap_ms(
            blast,
            rand::thread_rng().gen_range(p.gap_min_secs * 1000..=p.gap_max_secs * 1000),
        );
        let handoff = Handoff {
            blast,
            outlet: share.outlet_id,
            next_send_at: now.plus_millis(gap_ms),
            day: &day,
            next_day,
            expires_at,
            max_caption_chars: crate::services::messages::MAX_CAPTION_CHARS,
        };
        match store.hand_off(handoff, &|v| renderer.render(v), now).await? {
            Handed::Queued { .. } => {
                turn.queued += 1;
                state.sessions.wake_sender(device);
                if gap_ms > 0 {
                    turn.device_free_at = Some(now.plus_millis(gap_ms));
                    return Ok(Some(now.plus_millis(gap_ms)));
                }
            }
            // More may be left behind a long run of skips.
            Handed::Exhausted { skipped } => return Ok((skipped > 0).then_some(now)),
            Handed::CapReached => return Ok(Some(next_day)),
            Handed::QuotaReached { .. } => {
                tracing::info!(blast = blast.id, owner = %blast.owner_id, "the owner's messages for the month are used up; the blast waits");
                return Ok(Some(now.plus_secs(300)));
            }
            Handed::NotDue => return Ok(None),
        }
    }
    Ok(Some(now))
}

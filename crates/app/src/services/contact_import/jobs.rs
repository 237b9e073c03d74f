//! Import jobs, in memory, per owner: the last few of each owner, dropped an hour after they
//! started. A restart loses the jobs (the caller asks again), but never half an import: an
//! apply is one database transaction, so it either committed before the restart or did not
//! happen at all.

use super::{ImportReport, Mode};
use crate::i18n::Text;
use domain::{Timestamp, UserId};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Jobs kept per owner (the newest).
const KEEP_PER_OWNER: usize = 5;
/// A finished job is forgotten this long after it started.
const KEEP_MILLIS: i64 = 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ContactImportPhase)]
pub enum Phase {
    Reading,
    Checking,
    Applying,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ContactImportStatus)]
pub enum Status {
    Running,
    Done,
    Failed,
}

pub struct Job {
    pub id: String,
    pub mode: Mode,
    started_at: Timestamp,
    phase: AtomicU8,
    rows_done: AtomicUsize,
    rows_total: AtomicUsize,
    outcome: Mutex<Option<Result<Arc<ImportReport>, Text>>>,
}

/// A job as its owner sees it.
#[derive(Clone)]
pub struct JobView {
    pub id: String,
    pub mode: Mode,
    pub status: Status,
    pub phase: Phase,
    pub rows_done: usize,
    pub rows_total: usize,
    pub report: Option<Arc<ImportReport>>,
    pub error: Option<Text>,
}

impl Job {
    pub(super) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.rows_done.store(0, Ordering::Relaxed);
    }

    pub(super) fn progress(&self, rows_done: usize) {
        self.rows_done.store(rows_done, Ordering::Relaxed);
    }

    pub(super) fn set_total(&self, rows: usize) {
        self.rows_total.store(rows, Ordering::Relaxed);
    }

    pub(super) fn finish(&self, outcome: Result<ImportReport, Text>) {
        let done = outcome.is_ok();
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(outcome.map(Arc::new));
        }
        if done {
            self.phase.store(Phase::Done as u8, Ordering::Relaxed);
            self.rows_done.store(self.rows_total.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    fn running(&self) -> bool {
        self.outcome.lock().map(|o| o.is_none()).unwrap_or(false)
    }

    pub fn view(&self) -> JobView {
        let outcome = self.outcome.lock().ok().and_then(|o| o.clone());
        let phase = match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Reading,
            1 => Phase::Checking,
            2 => Phase::Applying,
            _ => Phase::Done,
        };
        let (status, report, error) = match outcome {
            None => (Status::Running, None, None),
            Some(Ok(report)) => (Status::Done, Some(report), None),
            Some(Err(e)) => (Status::Failed, None, Some(e)),
        };
        JobView {
            id: self.id.clone(),
            mode: self.mode,
            status,
            phase,
            rows_done: self.rows_done.load(Ordering::Relaxed),
            rows_total: self.rows_total.load(Ordering::Relaxed),
            report,
            error,
        }
    }
}

/// Every owner's recent import jobs; part of the app state.
#[derive(Default)]
pub struct ImportJobs {
    by_owner: Mutex<HashMap<UserId, VecDeque<Arc<Job>>>>,
}

impl ImportJobs {
    /// A new running job, unless the owner already has one running (`None`).
    pub(super) fn start(&self, owner: UserId, mode: Mode, now: Timestamp) -> Option<Arc<Job>> {
        let mut all = self.by_owner.lock().ok()?;
        all.retain(|_, jobs| {
            jobs.retain(|j| j.running() || now.millis() - j.started_at.millis() < KEEP_MILLIS);
            !jobs.is_empty()
        });
        let jobs = all.entry(owner).or_default();
        if jobs.iter().any(|j| j.running()) {
            return None;
        }
        while jobs.len() >= KEEP_PER_OWNER {
            jobs.pop_front();
        }
        let mut id = [0u8; 12];
        rand::Rng::fill(&mut rand::thread_rng(), &mut id);
        let job = Arc::new(Job {
            id: hex::encode(id),
            mode,
            started_at: now,
            phase: AtomicU8::new(Phase::Reading as u8),
            rows_done: AtomicUsize::new(0),
            rows_total: AtomicUsize::new(0),
            outcome: Mutex::new(None),
        });
        jobs.push_back(job.clone());
        Some(job)
    }

    /// The owner's job with this id; another owner's is not found.
    pub(super) fn get(&self, owner: UserId, id: &str, now: Timestamp) -> Option<Arc<Job>> {
        let all = self.by_owner.lock().ok()?;
        all.get(&owner)?
            .iter()
            .find(|j| j.id == id && (j.running() || now.millis() - j.started_at.millis() < KEEP_MILLIS))
            .cloned()
    }
}

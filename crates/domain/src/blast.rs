//! Blasts: the lifecycle of a campaign and of each recipient, the send window and the day a
//! daily cap counts in (both in the owner's time zone), and when a recurring schedule runs next.

mod eta;

pub use eta::{share_eta, ShareWork};

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// `draft → scheduled → running ⇄ paused → completed`; `cancelled` from any unfinished state;
/// `failed` when a run cannot go on (e.g. its outlets are gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlastStatus {
    Draft,
    Scheduled,
    Running,
    Paused,
    Completed,
    Cancelled,
    Failed,
}

crate::role::string_enum!(BlastStatus, "blast status",
    Draft => "draft", Scheduled => "scheduled", Running => "running", Paused => "paused",
    Completed => "completed", Cancelled => "cancelled", Failed => "failed");

impl BlastStatus {
    /// No further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, BlastStatus::Completed | BlastStatus::Cancelled | BlastStatus::Failed)
    }
}

/// A lifecycle change the rules do not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a blast cannot go from {from} to {to}")]
pub struct ImpossibleBlastTransition {
    pub from: BlastStatus,
    pub to: BlastStatus,
}

/// Checks one lifecycle change.
pub fn check_blast_transition(from: BlastStatus, to: BlastStatus) -> Result<(), ImpossibleBlastTransition> {
    use BlastStatus::*;
    let ok = match (from, to) {
        (Draft, Scheduled | Running | Cancelled) => true,
        // "Run now" starts a scheduled one early.
        (Scheduled, Running | Cancelled | Draft) => true,
        (Running, Paused | Completed | Cancelled | Failed) => true,
        (Paused, Running | Cancelled | Failed) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ImpossibleBlastTransition { from, to })
    }
}

/// The states a blast may be in for a change to `to`.
pub fn blast_sources(to: BlastStatus) -> Vec<BlastStatus> {
    BlastStatus::ALL.iter().copied().filter(|from| check_blast_transition(*from, to).is_ok()).collect()
}

/// One recipient: `pending` (not yet handed to a device) → `queued` (in the outbox) → `sent`
/// → `delivered` → `read`; or `failed` (with the reason) or `skipped` (with the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = BlastRecipientStatus)]
pub enum RecipientStatus {
    Pending,
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    Skipped,
}

crate::role::string_enum!(RecipientStatus, "recipient status",
    Pending => "pending", Queued => "queued", Sent => "sent", Delivered => "delivered", Read => "read",
    Failed => "failed", Skipped => "skipped");

impl RecipientStatus {
    /// The recipient state that mirrors an outgoing message's status (`sending` is still in the
    /// device's hands: `queued`). `None` for statuses an outgoing message never has.
    pub fn of_message(status: crate::MessageStatus) -> Option<RecipientStatus> {
        use crate::MessageStatus as M;
        Some(match status {
            M::Pending | M::Sending => RecipientStatus::Queued,
            M::Sent => RecipientStatus::Sent,
            M::Delivered => RecipientStatus::Delivered,
            M::Read => RecipientStatus::Read,
            M::Failed => RecipientStatus::Failed,
            M::Received => return None,
        })
    }
}

/// Minutes in a day.
pub const DAY_MINUTES: i32 = 24 * 60;

/// The offset of one of [`crate::TIME_ZONES`] in seconds (Indonesia keeps no summer time, so
/// each is fixed); unknown names count as Asia/Jakarta, the platform's default.
pub fn utc_offset_secs(time_zone: &str) -> i64 {
    match time_zone {
        "UTC" => 0,
        "Asia/Makassar" => 8 * 3600,
        "Asia/Jayapura" => 9 * 3600,
        _ => 7 * 3600,
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Local milliseconds since the epoch (the wall clock read as if it were UTC).
fn local_ms(at: Timestamp, time_zone: &str) -> i64 {
    at.millis() + utc_offset_secs(time_zone) * 1000
}

/// The day `at` falls on in `time_zone`, as `YYYY-MM-DD` (the key of a daily cap).
pub fn local_day(at: Timestamp, time_zone: &str) -> String {
    let days = local_ms(at, time_zone).div_euclid(DAY_MS);
    let date = time::Date::from_julian_day(2_440_588 + i32::try_from(days).unwrap_or(0)).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// When the next local day begins after `at` (when a daily cap lifts).
pub fn next_local_midnight(at: Timestamp, time_zone: &str) -> Timestamp {
    let local = local_ms(at, time_zone);
    let next = (local.div_euclid(DAY_MS) + 1) * DAY_MS;
    Timestamp(next - utc_offset_secs(time_zone) * 1000)
}

/// A daily send window in local minutes after midnight, `[start, end)`; `start > end` spans
/// midnight; `start == end` is always open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    pub start_min: i32,
    pub end_min: i32,
}

impl SendWindow {
    /// `Ok(())` when `at` lies inside the window, else the time it opens next.
    pub fn check(&self, at: Timestamp, time_zone: &str) -> Result<(), Timestamp> {
        if self.start_min == self.end_min {
            return Ok(());
        }
        let local = local_ms(at, time_zone);
        let minute = i32::try_from(local.rem_euclid(DAY_MS) / 60_000).unwrap_or(0);
        let inside = if self.start_min < self.end_min {
            minute >= self.start_min && minute < self.end_min
        } else {
            minute >= self.start_min || minute < self.end_min
        };
        if inside {
            return Ok(());
        }
        let day_start = local.div_euclid(DAY_MS) * DAY_MS;
        let mut opens = day_start + i64::from(self.start_min) * 60_000;
        if opens <= local {
            opens += DAY_MS;
        }
        Err(Timestamp(opens - utc_offset_secs(time_zone) * 1000))
    }
}

/// How often a schedule runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "every", rename_all = "lowercase", deny_unknown_fields)]
#[schema(as = BlastRecurrence)]
pub enum Recurrence {
    Daily,
    /// On these ISO weekdays: 1 Monday … 7 Sunday.
    Weekly {
        days: Vec<u8>,
    },
    /// On this day of the month; the last day in shorter months.
    Monthly {
        day: u8,
    },
}

impl Recurrence {
    /// Is the rule well formed?
    pub fn is_valid(&self) -> bool {
        match self {
            Recurrence::Daily => true,
            Recurrence::Weekly { days } => !days.is_empty() && days.iter().all(|d| (1..=7).contains(d)),
            Recurrence::Monthly { day } => (1..=31).contains(day),
        }
    }

    /// The first run strictly after `after`, at `time_min` local minutes on a matching day.
    pub fn next_after(&self, after: Timestamp, time_min: i32, time_zone: &str) -> Option<Timestamp> {
        if !self.is_valid() || !(0..DAY_MINUTES).contains(&time_min) {
            return None;
        }
        let offset = utc_offset_secs(time_zone) * 1000;
        let first_day = (after.millis() + offset).div_euclid(DAY_MS);
        for day in first_day..first_day + 400 {
            let at = Timestamp(day * DAY_MS + i64::from(time_min) * 60_000 - offset);
            if at <= after {
                continue;
            }
            let date = time::Date::from_julian_day(2_440_588 + i32::try_from(day).ok()?).ok()?;
            let matches = match self {
                Recurrence::Daily => true,
                Recurrence::Weekly { days } => days.contains(&date.weekday().number_from_monday()),
                Recurrence::Monthly { day } => {
                    let last = date.month().length(date.year());
                    date.day() == (*day).min(last)
                }
            };
            if matches {
                return Some(at);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-29 00:00 UTC (a Sunday).
    const SUNDAY: i64 = 1_795_910_400_000;

    #[test]
    fn lifecycle_allows_only_the_listed_changes() {
        use BlastStatus::*;
        assert!(check_blast_transition(Draft, Running).is_ok());
        assert!(check_blast_transition(Running, Paused).is_ok());
        assert!(check_blast_transition(Paused, Running).is_ok());
        assert!(check_blast_transition(Scheduled, Running).is_ok());
        for from in [Completed, Cancelled, Failed] {
            for to in BlastStatus::ALL {
                assert!(check_blast_transition(from, *to).is_err(), "{from} → {to}");
            }
        }
        assert!(check_blast_transition(Draft, Paused).is_err());
        assert!(check_blast_transition(Paused, Completed).is_err());
        assert_eq!(blast_sources(Cancelled), vec![Draft, Scheduled, Running, Paused]);
        assert_eq!(
            check_blast_transition(Completed, Running).unwrap_err().to_string(),
            "a blast cannot go from completed to running"
        );
    }

    #[test]
    fn message_statuses_map_onto_recipients() {
        use crate::MessageStatus as M;
        assert_eq!(RecipientStatus::of_message(M::Sending), Some(RecipientStatus::Queued));
        assert_eq!(RecipientStatus::of_message(M::Read), Some(RecipientStatus::Read));
        assert_eq!(RecipientStatus::of_message(M::Received), None);
    }

    #[test]
    fn days_and_windows_are_local() {
        let sunday = Timestamp(SUNDAY);
        assert_eq!(local_day(sunday, "UTC"), "2026-11-29");
        // 23:00 UTC on Sunday is Monday morning in Jakarta.
        assert_eq!(local_day(sunday.plus_secs(23 * 3600), "Asia/Jakarta"), "2026-11-30");
        assert_eq!(next_local_midnight(sunday.plus_secs(3600), "Asia/Jakarta"), sunday.plus_secs(17 * 3600));
        let window = SendWindow { start_min: 8 * 60, end_min: 21 * 60 };
        // 02:00 UTC = 09:00 Jakarta: open. 15:00 UTC = 22:00 Jakarta: opens at 01:00 UTC next day.
        assert_eq!(window.check(sunday.plus_secs(2 * 3600), "Asia/Jakarta"), Ok(()));
        assert_eq!(window.check(sunday.plus_secs(15 * 3600), "Asia/Jakarta"), Err(sunday.plus_secs(25 * 3600)));
        // 00:00 UTC = 07:00 Jakarta: opens within the hour.
        assert_eq!(window.check(sunday, "Asia/Jakarta"), Err(sunday.plus_secs(3600)));
        let night = SendWindow { start_min: 22 * 60, end_min: 2 * 60 };
        assert_eq!(night.check(sunday.plus_secs(3600), "UTC"), Ok(()));
        assert!(night.check(sunday.plus_secs(12 * 3600), "UTC").is_err());
        assert_eq!(SendWindow { start_min: 0, end_min: 0 }.check(sunday, "UTC"), Ok(()));
    }

    #[test]
    fn schedules_run_next_on_their_days() {
        let sunday = Timestamp(SUNDAY);
        let nine = 9 * 60;
        assert_eq!(Recurrence::Daily.next_after(sunday, nine, "UTC"), Some(sunday.plus_secs(9 * 3600)));
        assert_eq!(
            Recurrence::Daily.next_after(sunday.plus_secs(9 * 3600), nine, "UTC"),
            Some(sunday.plus_secs(33 * 3600))
        );
        // Wednesday (3) after Sunday.
        let weekly = Recurrence::Weekly { days: vec![3] };
        assert_eq!(weekly.next_after(sunday, nine, "UTC"), Some(sunday.plus_secs((3 * 24 + 9) * 3600)));
        // Day 31 in a month of 30 (December has 31; November 30 is the last of November).
        let monthly = Recurrence::Monthly { day: 31 };
        assert_eq!(monthly.next_after(sunday, nine, "UTC"), Some(sunday.plus_secs((24 + 9) * 3600)));
        assert!(!Recurrence::Weekly { days: vec![8] }.is_valid());
        assert_eq!(Recurrence::Monthly { day: 0 }.next_after(sunday, nine, "UTC"), None);
    }
}

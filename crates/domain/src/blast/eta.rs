//! When a share of a blast should have handed its last recipient over: its sends spaced by the
//! mean gap, only inside the send window, at most the daily cap per local day. Time zones here
//! keep no summer time, so a day is always 24 hours and the arithmetic is exact.

use super::{local_ms, next_local_midnight, utc_offset_secs, SendWindow, DAY_MS};
use crate::Timestamp;

/// Days looked ahead at most (a cap of 1 and 200,000 recipients would take longer than anyone
/// waits; the estimate then says "at least this late").
const HORIZON_DAYS: usize = 800;

/// What a share still has to do and how fast it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareWork {
    /// The earliest the next one may go.
    pub next_send_at: Timestamp,
    pub pending: i64,
    /// The mean gap between two sends, in milliseconds.
    pub gap_ms: i64,
    /// What the device may still hand over today, and on each later day.
    pub cap_left_today: i64,
    pub daily_cap: i64,
}

impl SendWindow {
    /// When the window that `at` lies in closes (`at` must be inside it); `None` when it is
    /// always open.
    pub fn closes_after(&self, at: Timestamp, time_zone: &str) -> Option<Timestamp> {
        if self.start_min == self.end_min {
            return None;
        }
        let local = local_ms(at, time_zone);
        let day_start = local.div_euclid(DAY_MS) * DAY_MS;
        let minute = local.rem_euclid(DAY_MS) / 60_000;
        let end = i64::from(self.end_min) * 60_000;
        // A window across midnight that opened today closes tomorrow.
        let closes = if self.start_min > self.end_min && minute >= i64::from(self.start_min) {
            day_start + DAY_MS + end
        } else {
            day_start + end
        };
        Some(Timestamp(closes - utc_offset_secs(time_zone) * 1000))
    }
}

/// When the last pending recipient of a share should be handed over, starting no earlier than
/// `now`.
pub fn share_eta(work: ShareWork, window: SendWindow, time_zone: &str, now: Timestamp) -> Timestamp {
    let mut at = work.next_send_at.max(now);
    let mut left = work.pending;
    // What is left of today's cap counts only if the share goes on today.
    let mut cap_left =
        if at >= next_local_midnight(now, time_zone) { work.daily_cap.max(1) } else { work.cap_left_today.max(0) };
    let gap = work.gap_ms.max(0);
    if left <= 0 {
        return at;
    }
    for _ in 0..HORIZON_DAYS * 4 {
        let midnight = next_local_midnight(at, time_zone);
        if cap_left == 0 {
            at = midnight;
            cap_left = work.daily_cap.max(1);
            continue;
        }
        if let Err(opens) = window.check(at, time_zone) {
            if opens >= midnight {
                cap_left = work.daily_cap.max(1);
            }
            at = opens;
            continue;
        }
        // Sends fit until the window closes or the day (and its cap) ends.
        let until = window.closes_after(at, time_zone).map_or(midnight, |c| c.min(midnight));
        let room = until.millis() - at.millis();
        let fit = if gap == 0 { i64::MAX } else { (room - 1) / gap + 1 };
        let n = left.min(fit).min(cap_left);
        if n == left {
            return at.plus_millis((n - 1) * gap);
        }
        left -= n;
        cap_left -= n;
        at = at.plus_millis(n * gap).min(until);
        if at >= midnight {
            cap_left = work.daily_cap.max(1);
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-29 00:00 UTC.
    const SUNDAY: i64 = 1_795_910_400_000;
    const ALWAYS: SendWindow = SendWindow { start_min: 0, end_min: 0 };

    fn work(pending: i64, gap_secs: i64, cap_left_today: i64, daily_cap: i64) -> ShareWork {
        ShareWork { next_send_at: Timestamp(SUNDAY), pending, gap_ms: gap_secs * 1000, cap_left_today, daily_cap }
    }

    #[test]
    fn without_limits_the_last_goes_after_pending_minus_one_gaps() {
        let now = Timestamp(SUNDAY);
        assert_eq!(share_eta(work(10, 5, 1000, 1000), ALWAYS, "UTC", now), now.plus_secs(45));
        assert_eq!(share_eta(work(1, 5, 1000, 1000), ALWAYS, "UTC", now), now);
        // A share not due yet starts at its next send time; one overdue starts now.
        let later = ShareWork { next_send_at: now.plus_secs(60), ..work(2, 5, 10, 10) };
        assert_eq!(share_eta(later, ALWAYS, "UTC", now), now.plus_secs(65));
        assert_eq!(share_eta(work(2, 5, 10, 10), ALWAYS, "UTC", now.plus_secs(7)), now.plus_secs(12));
    }

    #[test]
    fn the_window_defers_to_the_next_opening() {
        // 08:00–21:00 UTC; from 20:59:50 two sends 5 s apart fit (20:59:50, 20:59:55), the
        // third goes at 08:00 the next day.
        let window = SendWindow { start_min: 8 * 60, end_min: 21 * 60 };
        let now = Timestamp(SUNDAY).plus_secs(21 * 3600 - 10);
        let w = ShareWork { next_send_at: now, ..work(3, 5, 100, 100) };
        assert_eq!(share_eta(w, window, "UTC", now), Timestamp(SUNDAY).plus_secs((24 + 8) * 3600));
        // Before it opens: everything waits for 08:00 (Jakarta: 01:00 UTC).
        let early = Timestamp(SUNDAY);
        let jakarta = ShareWork { next_send_at: early, ..work(2, 10, 100, 100) };
        assert_eq!(share_eta(jakarta, window, "Asia/Jakarta", early), early.plus_secs(3600 + 10));
    }

    #[test]
    fn the_daily_cap_moves_the_rest_to_the_next_days() {
        let now = Timestamp(SUNDAY).plus_secs(12 * 3600);
        // 3 left today, 5 a day after: 12 recipients = 3 today + 5 Monday + 4 Tuesday.
        let w = ShareWork { next_send_at: now, ..work(12, 1, 3, 5) };
        assert_eq!(share_eta(w, ALWAYS, "UTC", now), Timestamp(SUNDAY).plus_secs(2 * 24 * 3600 + 3));
        // Cap and window together: the next day starts when the window opens.
        let window = SendWindow { start_min: 8 * 60, end_min: 21 * 60 };
        assert_eq!(share_eta(w, window, "UTC", now), Timestamp(SUNDAY).plus_secs((2 * 24 + 8) * 3600 + 3));
        // Nothing left today at all; or the share already waits for tomorrow (its cap then full).
        let spent = ShareWork { next_send_at: now, ..work(1, 1, 0, 5) };
        assert_eq!(share_eta(spent, ALWAYS, "UTC", now), Timestamp(SUNDAY).plus_secs(24 * 3600));
        let tomorrow = ShareWork { next_send_at: Timestamp(SUNDAY).plus_secs(24 * 3600), ..work(2, 1, 0, 5) };
        assert_eq!(share_eta(tomorrow, ALWAYS, "UTC", now), Timestamp(SUNDAY).plus_secs(24 * 3600 + 1));
    }

    #[test]
    fn a_window_across_midnight_closes_the_next_morning() {
        let night = SendWindow { start_min: 22 * 60, end_min: 2 * 60 };
        let at = Timestamp(SUNDAY).plus_secs(23 * 3600);
        assert_eq!(night.closes_after(at, "UTC"), Some(Timestamp(SUNDAY).plus_secs(26 * 3600)));
        let small_hours = Timestamp(SUNDAY).plus_secs(3600);
        assert_eq!(night.closes_after(small_hours, "UTC"), Some(Timestamp(SUNDAY).plus_secs(2 * 3600)));
        assert_eq!(ALWAYS.closes_after(at, "UTC"), None);
    }
}

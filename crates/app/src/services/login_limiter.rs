//! Failed-login counting per e-mail and per client IP, in fixed windows.
//!
//! Only failures count, so a person who types the right password is never locked out by
//! their own earlier logins; a success clears their e-mail's count. Kept in memory: a
//! restart forgives, which is acceptable for a brake on guessing.

use domain::{Clock, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct LoginLimiter {
    clock: Arc<dyn Clock>,
    per_email: u32,
    per_ip: u32,
    window_ms: i64,
    failures: Mutex<HashMap<String, Window>>,
}

#[derive(Clone, Copy)]
struct Window {
    started: Timestamp,
    count: u32,
}

/// Above this many tracked keys, expired windows are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(clock: Arc<dyn Clock>, per_email: u32, per_ip: u32, window_secs: i64) -> Self {
        LoginLimiter { clock, per_email, per_ip, window_ms: window_secs * 1000, failures: Mutex::default() }
    }

    /// Counts this attempt as a failure up front, so parallel guesses cannot all pass the
    /// check before any is recorded; [`LoginLimiter::record_success`] takes it back.
    /// `Err(seconds)` when either key had used up its failures in the current window.
    pub fn begin(&self, ip: &str, email: &str) -> Result<(), i64> {
        self.check(ip, email)?;
        self.record_failure(ip, email);
        Ok(())
    }

    /// `Err(seconds)` when either key has used up its failures in the current window.
    pub fn check(&self, ip: &str, email: &str) -> Result<(), i64> {
        let now = self.clock.now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0;
        for (key, limit) in [(ip_key(ip), self.per_ip), (email_key(email), self.per_email)] {
            if let Some(w) = map.get(&key) {
                let ends = w.started.millis() + self.window_ms;
                if w.count >= limit && ends > now.millis() {
                    wait = wait.max((ends - now.millis() + 999) / 1000);
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, ip: &str, email: &str) {
        let now = self.clock.now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            let window = self.window_ms;
            map.retain(|_, w| w.started.millis() + window > now.millis());
        }
        for key in [ip_key(ip), email_key(email)] {
            let w = map.entry(key).or_insert(Window { started: now, count: 0 });
            if w.started.millis() + self.window_ms <= now.millis() {
                *w = Window { started: now, count: 0 };
            }
            w.count += 1;
        }
    }

    /// A good password: forget the e-mail's failures and take back this attempt's IP count.
    pub fn record_success(&self, ip: &str, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&email_key(email));
        if let Some(w) = map.get_mut(&ip_key(ip)) {
            w.count = w.count.saturating_sub(1);
        }
    }
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ManualClock;

    #[test]
    fn failures_lock_an_email_until_the_window_ends() {
        let clock = ManualClock::new(Timestamp(0));
        let l = LoginLimiter::new(Arc::new(clock.clone()), 3, 100, 60);
        for _ in 0..3 {
            assert!(l.check("1.1.1.1", "a@x.io").is_ok());
            l.record_failure("1.1.1.1", "a@x.io");
        }
        assert_eq!(l.check("2.2.2.2", "A@x.io"), Err(60), "same e-mail from another IP");
        assert!(l.check("1.1.1.1", "b@x.io").is_ok(), "other e-mails are fine");
        clock.advance_secs(45);
        assert_eq!(l.check("1.1.1.1", "a@x.io"), Err(15));
        clock.advance_secs(15);
        assert!(l.check("1.1.1.1", "a@x.io").is_ok(), "window over");
    }

    #[test]
    fn failures_lock_an_ip_across_emails_and_success_clears_the_email() {
        let clock = ManualClock::new(Timestamp(0));
        let l = LoginLimiter::new(Arc::new(clock), 2, 3, 60);
        l.record_failure("9.9.9.9", "a@x.io");
        assert!(l.begin("9.9.9.9", "a@x.io").is_ok());
        l.record_success("9.9.9.9", "a@x.io");
        assert!(l.check("8.8.8.8", "a@x.io").is_ok(), "success reset the e-mail count");
        l.record_failure("9.9.9.9", "b@x.io");
        l.record_failure("9.9.9.9", "c@x.io");
        assert!(l.check("9.9.9.9", "d@x.io").is_err(), "the IP has failed 3 times");
    }

    #[test]
    fn parallel_attempts_are_counted_before_they_are_verified() {
        let clock = ManualClock::new(Timestamp(0));
        let l = LoginLimiter::new(Arc::new(clock), 3, 100, 60);
        let admitted = (0..10).filter(|_| l.begin("1.1.1.1", "a@x.io").is_ok()).count();
        assert_eq!(admitted, 3, "only as many guesses in flight as the limit allows");
    }
}

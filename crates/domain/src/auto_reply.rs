//! Auto-reply rules: how a trigger matches an inbound text, and the business hours a rule
//! answers in. No IO: the services decide which rule runs, the store keeps them.
//!
//! Matching is case- and accent-insensitive by default: both sides are folded (Unicode NFD,
//! combining marks dropped, lower-cased, runs of white space made one space), so "Promo",
//! "PROMO" and "prómo" are one word. `unicode-normalization` does the decomposition (it was in
//! the build already, through `url`); a hand-made table would miss letters a customer types.
//!
//! Regular expressions are Rust `regex` ones: linear in the text whatever the pattern, and
//! compiled within [`REGEX_SIZE_LIMIT`], so a pattern cannot cost the server memory or time.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// How a trigger is compared with the text of an inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchType {
    /// The whole message is the trigger (spaces around it do not count).
    Exact,
    /// The trigger appears anywhere in the message.
    #[default]
    Contains,
    StartsWith,
    EndsWith,
    /// The trigger is a regular expression (Rust `regex` syntax) found in the message.
    Regex,
}

crate::role::string_enum!(MatchType, "match type",
    Exact => "exact", Contains => "contains", StartsWith => "starts_with", EndsWith => "ends_with", Regex => "regex");

/// The most bytes one regular expression may compile to; a larger one is refused.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// The longest trigger, in characters.
pub const TRIGGER_MAX_CHARS: usize = 200;

/// Folds a text for a case- and accent-insensitive comparison.
pub fn fold(text: &str) -> String {
    let plain: String = text.nfd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase();
    squash_spaces(&plain)
}

/// Trims and makes each run of white space one space (what a case-sensitive match compares).
fn squash_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a trigger was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("a trigger is empty")]
    Empty,
    #[error("a trigger is longer than {TRIGGER_MAX_CHARS} characters")]
    TooLong,
    /// The pattern does not compile; the text is `regex`'s reason.
    #[error("invalid regular expression '{pattern}': {reason}")]
    BadRegex { pattern: String, reason: String },
}

/// A rule's triggers, checked and ready to match.
#[derive(Debug, Clone)]
pub struct Matcher {
    kind: MatchType,
    case_sensitive: bool,
    triggers: Vec<String>,
    regexes: Vec<regex::Regex>,
}

impl Matcher {
    /// Checks the triggers (each non-empty, not too long; a regex compiles within the limit).
    pub fn new(kind: MatchType, case_sensitive: bool, triggers: &[String]) -> Result<Matcher, TriggerError> {
        let mut prepared = Vec::with_capacity(triggers.len());
        let mut regexes = Vec::new();
        for t in triggers {
            if t.trim().is_empty() {
                return Err(TriggerError::Empty);
            }
            if t.chars().count() > TRIGGER_MAX_CHARS {
                return Err(TriggerError::TooLong);
            }
            if kind == MatchType::Regex {
                regexes.push(compile(t, case_sensitive)?);
                prepared.push(t.clone());
            } else {
                prepared.push(if case_sensitive { squash_spaces(t) } else { fold(t) });
            }
        }
        Ok(Matcher { kind, case_sensitive, triggers: prepared, regexes })
    }

    /// The first trigger the text matches, as it was given.
    pub fn find(&self, text: &str) -> Option<usize> {
        let text = if self.case_sensitive { squash_spaces(text) } else { fold(text) };
        if self.kind == MatchType::Regex {
            return self.regexes.iter().position(|r| r.is_match(&text));
        }
        self.triggers.iter().position(|t| match self.kind {
            MatchType::Exact => text == *t,
            MatchType::Contains => text.contains(t.as_str()),
            MatchType::StartsWith => text.starts_with(t.as_str()),
            MatchType::EndsWith => text.ends_with(t.as_str()),
            MatchType::Regex => false,
        })
    }
}

/// Compiles a pattern within the size limits. A case-insensitive one is matched against the
/// folded text, so its own accents are dropped too (its escapes are ASCII and stay as they are;
/// it is not lower-cased, which would turn `\D` into `\d`).
fn compile(pattern: &str, case_sensitive: bool) -> Result<regex::Regex, TriggerError> {
    let source: String =
        if case_sensitive { pattern.to_string() } else { pattern.nfd().filter(|c| !is_combining_mark(*c)).collect() };
    regex::RegexBuilder::new(&source)
        .case_insensitive(!case_sensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(50)
        .build()
        .map_err(|e| TriggerError::BadRegex { pattern: pattern.to_string(), reason: regex_reason(&e) })
}

/// `regex`'s message without the pattern echoed over several lines.
fn regex_reason(e: &regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => format!("it compiles to more than {limit} bytes"),
        regex::Error::Syntax(text) => text.lines().last().unwrap_or(text).trim().trim_start_matches("error: ").into(),
        other => other.to_string(),
    }
}

/// The days and local hours a rule answers in, `[start, end)` minutes after local midnight
/// (`start > end` spans midnight and belongs to the day it opened on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoReplyHours)]
pub struct BusinessHours {
    /// ISO weekdays: 1 Monday … 7 Sunday.
    #[schema(example = json!([1, 2, 3, 4, 5]))]
    pub days: Vec<u8>,
    /// Opens at this many minutes after local midnight (0–1439).
    #[schema(example = 480)]
    pub start_min: i32,
    /// Closes at this many minutes after local midnight (0–1439); equal to `start_min`: all day.
    #[schema(example = 1020)]
    pub end_min: i32,
}

impl BusinessHours {
    pub fn is_valid(&self) -> bool {
        !self.days.is_empty()
            && self.days.iter().all(|d| (1..=7).contains(d))
            && (0..crate::DAY_MINUTES).contains(&self.start_min)
            && (0..crate::DAY_MINUTES).contains(&self.end_min)
    }

    /// Is `at` inside the hours, in `time_zone` (one of [`crate::TIME_ZONES`])?
    pub fn is_open(&self, at: Timestamp, time_zone: &str) -> bool {
        const DAY_MS: i64 = 24 * 3600 * 1000;
        let local = at.millis() + crate::utc_offset_secs(time_zone) * 1000;
        let day = local.div_euclid(DAY_MS);
        let minute = i32::try_from(local.rem_euclid(DAY_MS) / 60_000).unwrap_or(0);
        // 1970-01-01 was a Thursday (ISO 4).
        let weekday = |day: i64| u8::try_from((day + 3).rem_euclid(7) + 1).unwrap_or(1);
        let (start, end) = (self.start_min, self.end_min);
        let opened_on = if start == end {
            Some(day)
        } else if start < end {
            (minute >= start && minute < end).then_some(day)
        } else if minute >= start {
            Some(day)
        } else if minute < end {
            Some(day - 1)
        } else {
            None
        };
        opened_on.is_some_and(|d| self.days.contains(&weekday(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: MatchType, triggers: &[&str]) -> Matcher {
        Matcher::new(kind, false, &triggers.iter().map(|t| t.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn each_match_type_ignores_case_accents_and_spacing_by_default() {
        assert_eq!(fold("  Prómo   HARI ini "), "promo hari ini");
        assert_eq!(m(MatchType::Exact, &["harga"]).find(" HARGA "), Some(0));
        assert_eq!(m(MatchType::Exact, &["harga"]).find("harga?"), None);
        assert_eq!(m(MatchType::Contains, &["x", "promo"]).find("Ada PRÓMO?"), Some(1));
        assert_eq!(m(MatchType::StartsWith, &["halo"]).find("Hálo kak"), Some(0));
        assert_eq!(m(MatchType::StartsWith, &["halo"]).find("kak halo"), None);
        assert_eq!(m(MatchType::EndsWith, &["terima kasih"]).find("ok, Terima  Kasih"), Some(0));
        assert_eq!(m(MatchType::Regex, &[r"^order\s*#?\d+$"]).find("ORDER #42"), Some(0));
        assert_eq!(m(MatchType::Regex, &[r"caf[eé]"]).find("CAFÉ"), Some(0));
        let strict = Matcher::new(MatchType::Contains, true, &["Promo".to_string()]).unwrap();
        assert_eq!((strict.find("Promo!"), strict.find("promo!")), (Some(0), None));
    }

    #[test]
    fn bad_triggers_are_refused_with_the_reason() {
        let bad = Matcher::new(MatchType::Regex, false, &["(unclosed".to_string()]).unwrap_err();
        assert!(matches!(&bad, TriggerError::BadRegex { reason, .. } if reason.contains("unclosed")), "{bad}");
        let huge = Matcher::new(MatchType::Regex, false, &[r"\w{1000}\w{1000}".to_string()]).unwrap_err();
        assert!(huge.to_string().contains("bytes"), "{huge}");
        assert_eq!(Matcher::new(MatchType::Contains, false, &[" ".to_string()]).unwrap_err(), TriggerError::Empty);
        let long = "a".repeat(TRIGGER_MAX_CHARS + 1);
        assert_eq!(Matcher::new(MatchType::Exact, false, &[long]).unwrap_err(), TriggerError::TooLong);
    }

    #[test]
    fn business_hours_are_local_and_per_weekday() {
        // Sunday 2026-11-29 00:00 UTC = 07:00 in Jakarta.
        let sunday = Timestamp(1_795_910_400_000);
        let weekdays = BusinessHours { days: vec![1, 2, 3, 4, 5], start_min: 8 * 60, end_min: 17 * 60 };
        assert!(weekdays.is_valid());
        assert!(!weekdays.is_open(sunday.plus_secs(3 * 3600), "Asia/Jakarta"), "Sunday 10:00");
        assert!(weekdays.is_open(sunday.plus_secs(27 * 3600), "Asia/Jakarta"), "Monday 10:00");
        assert!(!weekdays.is_open(sunday.plus_secs(24 * 3600), "Asia/Jakarta"), "Monday 07:00");
        assert!(weekdays.is_open(sunday.plus_secs(24 * 3600), "Asia/Jayapura"), "Monday 09:00 in WIT");
        let nights = BusinessHours { days: vec![7], start_min: 22 * 60, end_min: 2 * 60 };
        assert!(nights.is_open(sunday.plus_secs(16 * 3600), "Asia/Jakarta"), "Sunday 23:00");
        assert!(nights.is_open(sunday.plus_secs(18 * 3600), "Asia/Jakarta"), "Monday 01:00, opened Sunday");
        assert!(!nights.is_open(sunday.plus_secs(-6 * 3600), "Asia/Jakarta"), "Sunday 01:00, opened Saturday");
        assert!(!BusinessHours { days: vec![8], start_min: 0, end_min: 0 }.is_valid());
    }
}

//! Message templates: text with `{{variables}}` and spintax `{Halo|Hai|Selamat pagi}`.
//!
//! [`Template::parse`] checks a body once, when it is saved: every variable must be known, and a
//! mistake is refused with its position. [`Template::render`] is then a pure function of the
//! values and a seed: the same recipient always gets the same wording (a retried send repeats
//! itself), different recipients get different ones, so a blast does not send the same bytes to
//! everyone.
//!
//! Syntax: `{{name}}` is a variable (letters, digits and `_`, spaces around the name allowed);
//! `{a|b|c}` picks one alternative, alternatives may hold variables and other spintax; a `{`
//! that does not open spintax (no `|` before its `}`) is plain text.

use crate::{Language, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The variables every template may use; a contact's custom fields come on top.
pub const BUILTIN_VARIABLES: &[&str] = &["name", "phone", "date", "outlet"];

/// The longest body a template may have, in characters (WhatsApp's own limit for a text).
pub const MAX_TEMPLATE_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
    Spin(Vec<Vec<Part>>),
}

/// A checked template body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Where a body is wrong: line and column (both from 1, in characters) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub kind: TemplateErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateErrorKind {
    #[error("the template is empty")]
    Empty,
    #[error("the template is longer than {max} characters")]
    TooLong { max: usize },
    #[error("'{{{{' is not closed with '}}}}'")]
    Unclosed,
    #[error("a variable needs a name, e.g. {{{{name}}}}")]
    EmptyVariable,
    #[error("'{0}' is not a variable name: use letters, digits and _")]
    BadVariable(String),
    #[error("unknown variable '{0}'")]
    UnknownVariable(String),
    #[error("a choice {{a|b}} has an empty alternative")]
    EmptyAlternative,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    known: &'a dyn Fn(&str) -> bool,
}

impl Template {
    /// Checks `body`; `known` says whether a variable name (other than the built-in ones) exists.
    pub fn parse(body: &str, known: &dyn Fn(&str) -> bool) -> Result<Template, TemplateError> {
        let chars: Vec<char> = body.chars().collect();
        let at = |pos: usize, kind| {
            let before = &chars[..pos.min(chars.len())];
            let line = before.iter().filter(|c| **c == '\n').count() + 1;
            let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
            TemplateError { line, column, kind }
        };
        if body.trim().is_empty() {
            return Err(at(0, TemplateErrorKind::Empty));
        }
        if chars.len() > MAX_TEMPLATE_CHARS {
            return Err(at(MAX_TEMPLATE_CHARS, TemplateErrorKind::TooLong { max: MAX_TEMPLATE_CHARS }));
        }
        let mut p = Parser { chars: chars.clone(), pos: 0, known };
        p.sequence(false).map(|parts| Template { parts }).map_err(|(pos, kind)| at(pos, kind))
    }

    /// The variables the template uses, each once, in order of appearance.
    pub fn variables(&self) -> Vec<&str> {
        fn walk<'a>(parts: &'a [Part], out: &mut Vec<&'a str>) {
            for part in parts {
                match part {
                    Part::Var(name) if !out.contains(&name.as_str()) => out.push(name),
                    Part::Spin(alternatives) => alternatives.iter().for_each(|a| walk(a, out)),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.parts, &mut out);
        out
    }

    /// The text for one recipient: variables filled from `values` (a missing one is left empty),
    /// each choice picked by `seed` (use something stable per recipient, e.g. the contact's id).
    pub fn render(&self, values: &HashMap<&str, &str>, seed: u64) -> String {
        let mut out = String::new();
        let mut state = seed;
        render_parts(&self.parts, values, &mut state, &mut out);
        out
    }
}

fn render_parts(parts: &[Part], values: &HashMap<&str, &str>, state: &mut u64, out: &mut String) {
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Var(name) => out.push_str(values.get(name.as_str()).copied().unwrap_or("")),
            Part::Spin(alternatives) => {
                let n = alternatives.len() as u64;
                let pick = usize::try_from(next(state) % n.max(1)).unwrap_or(0);
                render_parts(&alternatives[pick], values, state, out);
            }
        }
    }
}

/// splitmix64: a small, well-mixed step, so neighbouring seeds pick differently.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

type Parsed<T> = Result<T, (usize, TemplateErrorKind)>;

impl Parser<'_> {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// Parts up to the end, or (inside a choice) up to the `|` or `}` that ends an alternative.
    fn sequence(&mut self, in_choice: bool) -> Parsed<Vec<Part>> {
        let mut parts = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            if in_choice && (c == '|' || c == '}') {
                break;
            }
            if c == '{' && self.peek(1) == Some('{') {
                flush(&mut text, &mut parts);
                parts.push(self.variable()?);
            } else if c == '{' && self.opens_choice() {
                flush(&mut text, &mut parts);
                parts.push(self.choice()?);
            } else {
                text.push(c);
                self.pos += 1;
            }
        }
        flush(&mut text, &mut parts);
        Ok(parts)
    }

    fn variable(&mut self) -> Parsed<Part> {
        let start = self.pos;
        self.pos += 2;
        let mut name = String::new();
        loop {
            match self.peek(0) {
                None => return Err((start, TemplateErrorKind::Unclosed)),
                Some('}') if self.peek(1) == Some('}') => {
                    self.pos += 2;
                    break;
                }
                Some(c) => {
                    name.push(c);
                    self.pos += 1;
                }
            }
        }
        let name = name.trim();
        if name.is_empty() {
            return Err((start, TemplateErrorKind::EmptyVariable));
        }
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err((start, TemplateErrorKind::BadVariable(name.to_string())));
        }
        let name = name.to_lowercase();
        if !BUILTIN_VARIABLES.contains(&name.as_str()) && !(self.known)(&name) {
            return Err((start, TemplateErrorKind::UnknownVariable(name)));
        }
        Ok(Part::Var(name))
    }

    /// Does the `{` here open a choice: a `|` at its own depth before its closing `}`?
    fn opens_choice(&self) -> bool {
        let mut depth = 0usize;
        for c in &self.chars[self.pos + 1..] {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => return false,
                '}' => depth -= 1,
                '|' if depth == 0 => return true,
                _ => {}
            }
        }
        false
    }

    fn choice(&mut self) -> Parsed<Part> {
        let start = self.pos;
        self.pos += 1;
        let mut alternatives = Vec::new();
        loop {
            let alternative = self.sequence(true)?;
            if alternative.is_empty() {
                return Err((start, TemplateErrorKind::EmptyAlternative));
            }
            alternatives.push(alternative);
            match self.peek(0) {
                Some('|') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(Part::Spin(alternatives));
                }
                _ => return Err((start, TemplateErrorKind::Unclosed)),
            }
        }
    }
}

fn flush(text: &mut String, parts: &mut Vec<Part>) {
    if !text.is_empty() {
        parts.push(Part::Text(std::mem::take(text)));
    }
}

/// What a template is for; the list filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Greeting,
    Reminder,
    Other,
}

crate::role::string_enum!(TemplateCategory, "category",
    Marketing => "marketing", Utility => "utility", Greeting => "greeting", Reminder => "reminder", Other => "other");

/// How a template's image or document goes with its text: the text as the caption, or as a
/// message of its own after the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CaptionMode {
    #[default]
    Caption,
    Separate,
}

crate::role::string_enum!(CaptionMode, "caption mode", Caption => "caption", Separate => "separate");

/// The value of `{{date}}`: the day `at` falls on in `time_zone` (one of [`crate::TIME_ZONES`];
/// Indonesia keeps no summer time, so each is a fixed offset), written out as people write it:
/// "29 November 2026", "3 Agustus 2026".
pub fn long_date(at: Timestamp, time_zone: &str, language: Language) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ID: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    let hours: i8 = match time_zone {
        "UTC" => 0,
        "Asia/Makassar" => 8,
        "Asia/Jayapura" => 9,
        _ => 7,
    };
    let offset = time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let utc = time::OffsetDateTime::from_unix_timestamp(at.millis().div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let local = utc.to_offset(offset);
    let months = match language {
        Language::En => EN,
        Language::Id => ID,
    };
    let month = months[usize::from(u8::from(local.month())) - 1];
    format!("{} {month} {}", local.day(), local.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(name: &str) -> bool {
        name == "kota" || name == "poin"
    }

    fn values() -> HashMap<&'static str, &'static str> {
        HashMap::from([("name", "Bu Sari"), ("outlet", "Toko Bandung"), ("poin", "120"), ("date", "29 Nov 2026")])
    }

    #[test]
    fn variables_are_filled_and_a_missing_value_is_empty() {
        let t = Template::parse("Halo {{name}}, poin Anda {{ poin }} di {{outlet}}.{{kota}}", &custom).unwrap();
        assert_eq!(t.render(&values(), 1), "Halo Bu Sari, poin Anda 120 di Toko Bandung.");
        assert_eq!(t.variables(), vec!["name", "poin", "outlet", "kota"]);
        let upper = Template::parse("{{Name}}", &custom).unwrap();
        assert_eq!(upper.render(&values(), 1), "Bu Sari", "names are case-insensitive");
    }

    #[test]
    fn mistakes_are_refused_with_their_position() {
        let err = |body: &str| Template::parse(body, &custom).unwrap_err();
        assert_eq!(
            err("Halo {{nama}}"),
            TemplateError { line: 1, column: 6, kind: TemplateErrorKind::UnknownVariable("nama".into()) }
        );
        assert_eq!(err("Promo\nHalo {{name").line, 2);
        assert_eq!(err("Promo\nHalo {{name").column, 6);
        assert_eq!(err("Promo\nHalo {{name").kind, TemplateErrorKind::Unclosed);
        assert_eq!(err("{{ }}").kind, TemplateErrorKind::EmptyVariable);
        assert_eq!(err("{{first name}}").kind, TemplateErrorKind::BadVariable("first name".into()));
        assert_eq!(err("{Halo||Hai}").kind, TemplateErrorKind::EmptyAlternative);
        assert_eq!(err("{Halo|Hai").kind, TemplateErrorKind::Unclosed);
        assert_eq!(err("   ").kind, TemplateErrorKind::Empty);
        assert!(matches!(err(&"x".repeat(MAX_TEMPLATE_CHARS + 1)).kind, TemplateErrorKind::TooLong { .. }));
        let shown = err("Halo {{nama}}").to_string();
        assert_eq!(shown, "line 1, column 6: unknown variable 'nama'");
    }

    #[test]
    fn spintax_picks_one_alternative_per_recipient_and_repeats_it_for_the_same_one() {
        let t = Template::parse("{Halo|Hai|Selamat pagi} {{name}}, {promo {hari ini|minggu ini}|diskon}!", &custom)
            .unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let text = t.render(&values(), seed);
            assert_eq!(text, t.render(&values(), seed), "the same recipient, the same words");
            assert!(!text.contains(['{', '}', '|']), "{text}");
            seen.insert(text);
        }
        assert_eq!(seen.len(), 9, "every combination occurs: 3 greetings × (2 promos + 1 diskon)");
    }

    #[test]
    fn braces_that_open_no_choice_are_text() {
        let t = Template::parse("Kode {PROMO} berlaku } {", &custom).unwrap();
        assert_eq!(t.render(&values(), 7), "Kode {PROMO} berlaku } {");
    }

    #[test]
    fn the_date_is_the_local_day_in_the_readers_language() {
        // 2026-11-29 18:30 UTC: still the 29th in UTC, already the 30th in Jakarta (UTC+7).
        let at = Timestamp(1_795_977_000_000);
        assert_eq!(long_date(at, "UTC", Language::En), "29 November 2026");
        assert_eq!(long_date(at, "Asia/Jakarta", Language::Id), "30 November 2026");
        assert_eq!(long_date(Timestamp(1_785_700_000_000), "Asia/Jayapura", Language::Id), "3 Agustus 2026");
        assert_eq!(long_date(Timestamp(1_785_700_000_000), "Asia/Jayapura", Language::En), "3 August 2026");
    }

    #[test]
    fn categories_and_caption_modes_read_their_names() {
        assert_eq!("Greeting".parse::<TemplateCategory>(), Ok(TemplateCategory::Greeting));
        assert!("promo".parse::<TemplateCategory>().is_err());
        assert_eq!(CaptionMode::Separate.as_str(), "separate");
    }
}

//! A user's language and time zone for the pages.

use serde::{Deserialize, Serialize};

/// A language the pages and messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English
    En,
    /// Bahasa Indonesia
    Id,
}

crate::role::string_enum!(Language, "language", En => "en", Id => "id");

impl Language {
    /// The first supported language of an `Accept-Language` header, by its order of preference.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut ranked: Vec<(f32, usize, Language)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                // `in` is Indonesian's withdrawn code, still sent by older Android and Java.
                let primary = match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
                    "in" => Language::Id,
                    other => other.parse::<Language>().ok()?,
                };
                (q > 0.0).then_some((q, i, primary))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }
}

/// What a user chose: a language, or `auto` (the browser's, else the platform default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LanguageChoice {
    #[default]
    Auto,
    En,
    Id,
}

crate::role::string_enum!(LanguageChoice, "language", Auto => "auto", En => "en", Id => "id");

impl LanguageChoice {
    pub fn language(self) -> Option<Language> {
        match self {
            LanguageChoice::Auto => None,
            LanguageChoice::En => Some(Language::En),
            LanguageChoice::Id => Some(Language::Id),
        }
    }
}

/// The time zones a user may pick: Indonesia's three (and Pontianak's own name for WIB), and UTC.
pub const TIME_ZONES: &[&str] = &["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura", "UTC"];

/// A time zone that is not one of [`TIME_ZONES`]: what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone '{0}': expected one of {zones}", zones = TIME_ZONES.join(", "))]
pub struct UnknownTimeZone(pub String);

/// One of [`TIME_ZONES`].
pub fn parse_time_zone(input: &str) -> Result<&'static str, UnknownTimeZone> {
    let input = input.trim();
    TIME_ZONES.iter().find(|z| z.eq_ignore_ascii_case(input)).copied().ok_or_else(|| UnknownTimeZone(input.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_supported_language_wins() {
        assert_eq!(Language::from_accept_language("id-ID,id;q=0.9,en-US;q=0.8"), Some(Language::Id));
        assert_eq!(Language::from_accept_language("fr-FR, en;q=0.5, id;q=0.7"), Some(Language::Id));
        assert_eq!(Language::from_accept_language("en-GB"), Some(Language::En));
        assert_eq!(Language::from_accept_language("fr, de;q=0.9"), None);
        assert_eq!(Language::from_accept_language("id;q=0, en;q=0.1"), Some(Language::En));
        assert_eq!(Language::from_accept_language(""), None);
        assert_eq!(Language::from_accept_language("in-ID"), Some(Language::Id), "the old code for Indonesian");
        assert_eq!(Language::from_accept_language("id;Q=0, en"), Some(Language::En), "Q= counts too");
    }

    #[test]
    fn only_the_listed_time_zones_are_accepted() {
        assert_eq!(parse_time_zone(" asia/makassar "), Ok("Asia/Makassar"));
        assert!(parse_time_zone("Mars/Olympus").unwrap_err().to_string().contains("Asia/Jakarta"));
    }
}

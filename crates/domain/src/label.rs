use serde::Serialize;

/// A short human-entered text (a name, a city): trimmed, non-empty unless optional, bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    /// `field` names the input in the error message, e.g. "outlet name".
    pub fn parse(field: &str, input: &str, max_chars: usize) -> Result<Label, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err(format!("{field} is required"));
        }
        Self::bounded(field, s, max_chars)
    }

    /// Like [`Label::parse`] but an empty input is allowed.
    pub fn parse_optional(field: &str, input: &str, max_chars: usize) -> Result<Label, String> {
        Self::bounded(field, input.trim(), max_chars)
    }

    fn bounded(field: &str, s: &str, max_chars: usize) -> Result<Label, String> {
        if s.chars().count() > max_chars {
            return Err(format!("{field} must be at most {max_chars} characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(format!("{field} must not contain control characters"));
        }
        Ok(Label(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(Label::parse("name", "  Jakarta Pusat ", 20).unwrap().as_str(), "Jakarta Pusat");
        assert_eq!(Label::parse("outlet name", " ", 20).unwrap_err(), "outlet name is required");
        assert!(Label::parse("name", "abcdef", 5).unwrap_err().contains("at most 5"));
        assert!(Label::parse("name", "a\u{0}b", 5).is_err());
        assert_eq!(Label::parse_optional("city", "", 5).unwrap().as_str(), "");
    }
}

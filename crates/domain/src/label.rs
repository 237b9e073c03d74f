use serde::Serialize;

/// A short human-entered text (a name, a city): trimmed, non-empty unless optional, bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Label(String);

/// Why a label was refused; the caller names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("is required")]
    Required,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacters,
}

impl Label {
    pub fn parse(input: &str, max_chars: usize) -> Result<Label, LabelError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(LabelError::Required);
        }
        Self::bounded(s, max_chars)
    }

    /// Like [`Label::parse`] but an empty input is allowed.
    pub fn parse_optional(input: &str, max_chars: usize) -> Result<Label, LabelError> {
        Self::bounded(input.trim(), max_chars)
    }

    fn bounded(s: &str, max_chars: usize) -> Result<Label, LabelError> {
        if s.chars().count() > max_chars {
            return Err(LabelError::TooLong { max: max_chars });
        }
        if s.chars().any(char::is_control) {
            return Err(LabelError::ControlCharacters);
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
        assert_eq!(Label::parse("  Jakarta Pusat ", 20).unwrap().as_str(), "Jakarta Pusat");
        assert_eq!(Label::parse(" ", 20).unwrap_err(), LabelError::Required);
        assert_eq!(Label::parse("abcdef", 5).unwrap_err(), LabelError::TooLong { max: 5 });
        assert_eq!(Label::parse("a\u{0}b", 5).unwrap_err(), LabelError::ControlCharacters);
        assert_eq!(Label::parse_optional("", 5).unwrap().as_str(), "");
    }
}

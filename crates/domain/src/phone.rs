use serde::Serialize;

/// A WhatsApp number in E.164 form (`+6281234567890`).
///
/// Outlets in the original product are Indonesian, so the local forms people actually type
/// (`0812…`, `62812…`, `+62 812-…`) are accepted and normalised; other countries need `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("WhatsApp number is required")]
    Empty,
    #[error("WhatsApp number may contain only digits, spaces, dashes, dots, brackets and a leading +; found '{0}'")]
    InvalidCharacter(char),
    #[error("WhatsApp number needs a country code: start with + (e.g. +62 812…) or, for Indonesia, with 0 (0812…)")]
    MissingCountryCode,
    #[error("WhatsApp number is too short: E.164 numbers have 8 to 15 digits, got {0}")]
    TooShort(usize),
    #[error("WhatsApp number is too long: E.164 numbers have at most 15 digits, got {0}")]
    TooLong(usize),
    #[error("country codes never start with 0; remove the extra 0 after the country code")]
    ZeroCountryCode,
    #[error("Indonesian WhatsApp numbers are mobile numbers: after +62 they start with 8 (e.g. 0812… or +62 812…)")]
    NotIndonesianMobile,
    #[error("Indonesian mobile numbers have 9 to 12 digits after +62, got {0}")]
    IndonesianLength(usize),
    /// Checked against libphonenumber's metadata (the `phonenumber` crate), which knows every
    /// country's plan; hand-written rules would be wrong somewhere.
    #[error("this is not a valid number for its country code; check the digits after the +")]
    NotValidForCountry,
}

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, body) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(body.len());
        for c in body.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("62{rest}")
        } else if digits.starts_with("62") {
            digits
        } else {
            return Err(PhoneError::MissingCountryCode);
        };
        if international.starts_with('0') {
            return Err(PhoneError::ZeroCountryCode);
        }
        let n = international.len();
        if n < 8 {
            return Err(PhoneError::TooShort(n));
        }
        if n > 15 {
            return Err(PhoneError::TooLong(n));
        }
        if let Some(national) = international.strip_prefix("62") {
            if !national.starts_with('8') {
                return Err(PhoneError::NotIndonesianMobile);
            }
            if !(9..=12).contains(&national.len()) {
                return Err(PhoneError::IndonesianLength(national.len()));
            }
        } else {
            let with_plus = format!("+{international}");
            match phonenumber::parse(None, &with_plus) {
                Ok(n) if phonenumber::is_valid(&n) => {}
                _ => return Err(PhoneError::NotValidForCountry),
            }
        }
        Ok(PhoneNumber(format!("+{international}")))
    }

    /// A search typed as a (part of a) number, as the digits stored numbers contain:
    /// `0812-3456` → `628123456`, `+62 812` → `62812`; `None` for a search that is not a number
    /// (a name, an e-mail) or too short to mean one.
    pub fn search_digits(input: &str) -> Option<String> {
        let input = input.trim();
        let body = input.strip_prefix('+').unwrap_or(input);
        if !body.chars().all(|c| c.is_ascii_digit() || " -.()".contains(c)) {
            return None;
        }
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 4 {
            return None;
        }
        match digits.strip_prefix('0') {
            Some(rest) if !input.starts_with('+') && !rest.starts_with('0') => Some(format!("62{rest}")),
            _ => Some(digits),
        }
    }

    /// `+6281234567890`
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits only (`6281234567890`): the user part of a WhatsApp JID.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_forms_normalise_to_e164() {
        for input in ["081234567890", "6281234567890", "+62 812-3456-7890", "+62 (812) 3456.7890", "006281234567890"] {
            assert_eq!(PhoneNumber::parse(input).unwrap().as_str(), "+6281234567890", "{input}");
        }
        assert_eq!(PhoneNumber::parse("0812345678").unwrap().digits(), "62812345678");
    }

    #[test]
    fn a_number_typed_in_a_search_becomes_the_stored_digits() {
        assert_eq!(PhoneNumber::search_digits("0812-3456").as_deref(), Some("628123456"));
        assert_eq!(PhoneNumber::search_digits("+62 812").as_deref(), Some("62812"));
        assert_eq!(PhoneNumber::search_digits("3456 7890").as_deref(), Some("34567890"));
        assert_eq!(PhoneNumber::search_digits("Sari"), None);
        assert_eq!(PhoneNumber::search_digits("08"), None);
        assert_eq!(PhoneNumber::search_digits("sari@0812.id"), None);
    }

    #[test]
    fn other_countries_need_a_plus() {
        assert_eq!(PhoneNumber::parse("+44 7911 123456").unwrap().as_str(), "+447911123456");
        assert_eq!(PhoneNumber::parse("7700900123"), Err(PhoneError::MissingCountryCode));
        // The data README's German number: invalid read as Indonesian, fine with its +.
        assert_eq!(PhoneNumber::parse("+49 151 23456789").unwrap().as_str(), "+4915123456789");
        assert_eq!(PhoneNumber::parse("4915123456789"), Err(PhoneError::MissingCountryCode));
        assert_eq!(PhoneNumber::parse("+1 650 253 0000").unwrap().as_str(), "+16502530000");
    }

    #[test]
    fn invalid_numbers_say_why() {
        assert_eq!(PhoneNumber::parse("  "), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("0812abc"), Err(PhoneError::InvalidCharacter('a')));
        assert_eq!(PhoneNumber::parse("+1234"), Err(PhoneError::TooShort(4)));
        assert_eq!(PhoneNumber::parse("+1234567890123456"), Err(PhoneError::TooLong(16)));
        assert_eq!(PhoneNumber::parse("+0123456789"), Err(PhoneError::ZeroCountryCode));
        assert_eq!(PhoneNumber::parse("02112345678"), Err(PhoneError::NotIndonesianMobile));
        assert_eq!(PhoneNumber::parse("0812345"), Err(PhoneError::IndonesianLength(6)));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneError::Empty));
        // Right length, but no such numbers in the country's plan.
        assert_eq!(PhoneNumber::parse("+49 0000 1234567"), Err(PhoneError::NotValidForCountry));
        assert_eq!(PhoneNumber::parse("+1 111 111 1111"), Err(PhoneError::NotValidForCountry));
    }
}

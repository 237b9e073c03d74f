use serde::Serialize;

/// A syntactically plausible, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail is required")]
    Required,
    #[error("e-mail is longer than 254 characters")]
    TooLong,
    #[error("e-mail must look like name@example.com")]
    Malformed,
}

impl Email {
    /// Accepts `local@domain.tld`, trimmed and lower-cased so that logins are case-insensitive.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Required);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::Malformed);
        };
        let bad_char = |c: char| c.is_whitespace() || c == '@' || c.is_control();
        if local.is_empty()
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || local.chars().any(bad_char)
            || domain.chars().any(bad_char)
        {
            return Err(EmailError::Malformed);
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" Owner1@KeWhats.App ").unwrap().as_str(), "owner1@kewhats.app");
        for bad in ["", "nobody", "a@b", "@x.com", "a b@x.com", "a@x.", "a@@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}

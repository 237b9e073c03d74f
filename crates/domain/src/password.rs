/// Why a new password was refused; the message tells the user what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("password is empty")]
    Empty,
    #[error("password must be at least {min} characters (got {got})")]
    TooShort { min: usize, got: usize },
    #[error("password must be at most {max} characters")]
    TooLong { max: usize },
    #[error("password is too common; choose one that is not on lists of leaked passwords")]
    Common,
    #[error("password must not contain your e-mail name")]
    ContainsEmail,
    #[error("password needs more variety: use at least {min} different characters")]
    Repetitive { min: usize },
}

pub const MIN_PASSWORD_CHARS: usize = 10;
/// Bounds the argon2 input so a huge password cannot be used to burn CPU.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords seen at the top of every leaked-password list, plus this product's demo ones.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty123",
    "qwertyuiop",
    "iloveyou",
    "admin123",
    "administrator",
    "letmein123",
    "welcome123",
    "monitoring123",
    "owner12345",
    "changeme",
    "changeme123",
    "whatsapp123",
    "kewhats123",
    "11111111",
    "00000000",
    "abc12345",
    "abcdefgh",
];

/// The rule for every password a person chooses (registration, CLI, admin, profile).
pub fn check_password_strength(password: &str, email: &str) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if password.is_empty() {
        return Err(WeakPassword::Empty);
    }
    if chars < MIN_PASSWORD_CHARS {
        return Err(WeakPassword::TooShort { min: MIN_PASSWORD_CHARS, got: chars });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(WeakPassword::TooLong { max: MAX_PASSWORD_CHARS });
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(WeakPassword::Common);
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 3 && lower.contains(&local) {
        return Err(WeakPassword::ContainsEmail);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(WeakPassword::Repetitive { min: 5 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let e = "budi@example.com";
        assert_eq!(check_password_strength("", e), Err(WeakPassword::Empty));
        assert!(matches!(check_password_strength("short", e), Err(WeakPassword::TooShort { got: 5, .. })));
        assert_eq!(check_password_strength("Password123", e), Err(WeakPassword::Common));
        assert_eq!(check_password_strength("budi-secret-99", e), Err(WeakPassword::ContainsEmail));
        assert!(matches!(check_password_strength("aaaaabbbbbb", e), Err(WeakPassword::Repetitive { .. })));
        assert!(matches!(check_password_strength(&"x1".repeat(200), e), Err(WeakPassword::TooLong { .. })));
        assert!(check_password_strength("kopi susu gula aren", e).is_ok());
    }
}

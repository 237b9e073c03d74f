//! Amounts of money. The platform bills in rupiah, which has no minor unit in practice.

use serde::{Deserialize, Serialize};

/// Whole rupiah.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Rupiah(pub i64);

/// As Indonesians write it, in every language of the pages: `Rp 20.000`, `-Rp 5.000`.
impl std::fmt::Display for Rupiah {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(d);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}Rp {grouped}")
    }
}

#[cfg(test)]
mod tests {
    use super::Rupiah;

    #[test]
    fn rupiah_are_grouped_by_thousands_with_dots() {
        assert_eq!(Rupiah(20_000).to_string(), "Rp 20.000");
        assert_eq!(Rupiah(0).to_string(), "Rp 0");
        assert_eq!(Rupiah(999).to_string(), "Rp 999");
        assert_eq!(Rupiah(1_250_000).to_string(), "Rp 1.250.000");
        assert_eq!(Rupiah(-5_000).to_string(), "-Rp 5.000");
        assert_eq!(Rupiah(i64::MIN).to_string(), "-Rp 9.223.372.036.854.775.808");
    }
}

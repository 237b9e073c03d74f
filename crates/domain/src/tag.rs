//! Tags put on contacts (blasts pick recipients by tag).

use serde::{Deserialize, Serialize};

/// A tag's colour: a fixed palette, so every colour reads well on the dark theme and can be
/// named to a screen reader, and no stored value ever reaches CSS unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TagColor {
    Gray,
    Red,
    Orange,
    Yellow,
    Green,
    Teal,
    Blue,
    Purple,
    Pink,
}

crate::role::string_enum!(TagColor, "tag colour",
    Gray => "gray", Red => "red", Orange => "orange", Yellow => "yellow", Green => "green",
    Teal => "teal", Blue => "blue", Purple => "purple", Pink => "pink");

/// The longest tag name, in characters.
pub const TAG_NAME_MAX: usize = 40;

impl TagColor {
    /// A colour for a tag nobody chose one for (e.g. created by an import): the same name
    /// always gets the same colour.
    pub fn for_name(name: &str) -> TagColor {
        let hash = name.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        // Gray is left for tags someone chose it for.
        let colourful = &TagColor::ALL[1..];
        colourful[hash as usize % colourful.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_always_gets_the_same_colour_and_names_spread_over_the_palette() {
        assert_eq!(TagColor::for_name("vip"), TagColor::for_name("vip"));
        let names = ["vip", "baru", "reseller", "surabaya", "bandung", "promo-ramadan", "pelanggan-setia"];
        let colours: std::collections::HashSet<_> = names.iter().map(|n| TagColor::for_name(n)).collect();
        assert!(colours.len() >= 4, "{colours:?}");
        assert!(!colours.contains(&TagColor::Gray));
        assert_eq!("Teal".parse::<TagColor>().unwrap(), TagColor::Teal);
        assert!("magenta".parse::<TagColor>().is_err());
    }
}

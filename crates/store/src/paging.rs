use serde::Serialize;

/// A 1-based page request. Sizes are clamped so no request can ask for everything at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

impl Page {
    pub const MAX_SIZE: u32 = 200;
    pub const DEFAULT_SIZE: u32 = 25;

    pub fn new(number: Option<u32>, size: Option<u32>) -> Page {
        Page { number: number.unwrap_or(1).max(1), size: size.unwrap_or(Self::DEFAULT_SIZE).clamp(1, Self::MAX_SIZE) }
    }

    pub fn limit(self) -> i64 {
        i64::from(self.size)
    }

    pub fn offset(self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.size)
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new(None, None)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Paged { items, total, page: page.number, per_page: page.size }
    }
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased, with `%`, `_` and `\` escaped.
/// Queries use it as `lower(col) LIKE $n ESCAPE '\'`, which both dialects understand.
pub(crate) fn contains_pattern(needle: Option<&str>) -> Option<String> {
    let needle = needle?.trim();
    if needle.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    // PostgreSQL text cannot hold NUL; nothing stored contains one, so it can only miss.
    for c in needle.to_lowercase().chars().filter(|c| *c != '\0') {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped() {
        assert_eq!(Page::new(Some(0), Some(0)), Page { number: 1, size: 1 });
        assert_eq!(Page::new(None, Some(10_000)).size, Page::MAX_SIZE);
        assert_eq!(Page::new(Some(3), Some(10)).offset(), 20);
    }

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern(Some(" 50%_A ")).as_deref(), Some("%50\\%\\_a%"));
        assert_eq!(contains_pattern(Some("  ")), None);
    }
}

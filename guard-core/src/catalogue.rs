//! The built-in API catalogue: the standard `wx` API names that `builtin_apis:
//! null` stands for (`policy.md` §1). Regenerate `data/wx-apis.txt` with
//! `guard-core/scripts/update-catalogue.sh`.

/// The catalogue file, one name a line.
pub const WX_APIS_TXT: &str = include_str!("../data/wx-apis.txt");

/// The catalogue's names, in file order.
///
/// # Examples
///
/// ```
/// assert!(guard_core::catalogue::names().any(|n| n == "getLocation"));
/// ```
pub fn names() -> impl Iterator<Item = &'static str> {
    WX_APIS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_has_the_documented_496_unique_names() {
        let names: Vec<_> = super::names().collect();
        assert_eq!(names.len(), 496);
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.contains(&"getPhoneNumber"));
        assert!(names.contains(&"getEmailAddress"));
        assert!(!names.iter().any(|n| n.starts_with("wx.")));
    }
}

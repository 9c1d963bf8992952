//! Media targets (`policy.md` §3.7, contract v3): what a mini program hands
//! the platform to show or play. Before any URL rule, a media target is
//! preprocessed as the URL Standard's basic URL parser does (leading and
//! trailing C0 controls and spaces removed, every ASCII tab and newline
//! removed) and classified: inline (`data:`), a platform file (`wxfile:`), a
//! code-package path, under a prefix the host configured as local, or a
//! network target that the URL rules decide. A path whose first two code
//! points are each `/` or `\` names another host and is invalid.

use std::borrow::Cow;

use url::Url;

/// What a media target is, and what the enforcement point hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MediaTarget<'a> {
    /// It does not reach the network: allowed, handed on as this (the
    /// preprocessed target, or its serialisation under a local prefix).
    Local(Cow<'a, str>),
    /// It reaches the network: the URL rules decide on this preprocessed
    /// target.
    Network(Cow<'a, str>),
    /// Empty, or a path that names another host (`//host`, `\\host`,
    /// `/\host`): `invalid_url`.
    Invalid,
}

/// Classifies a media target; `local_prefixes` are WHATWG serialisations of
/// absolute URLs whose paths end in `/` (`GuardConfig` checked them).
pub(crate) fn classify<'a>(raw: &'a str, local_prefixes: &[String]) -> MediaTarget<'a> {
    let target = preprocess(raw);
    match scheme(&target) {
        Some(s) if s.eq_ignore_ascii_case("data") || s.eq_ignore_ascii_case("wxfile") => {
            MediaTarget::Local(target)
        }
        Some(_) => match under_local_prefix(&target, local_prefixes) {
            Some(href) => MediaTarget::Local(Cow::Owned(href)),
            None => MediaTarget::Network(target),
        },
        None => {
            let mut first_two = target.chars().take(2);
            let slash = |c: Option<char>| matches!(c, Some('/' | '\\'));
            if target.is_empty() || (slash(first_two.next()) && slash(first_two.next())) {
                MediaTarget::Invalid
            } else {
                MediaTarget::Local(target)
            }
        }
    }
}

/// The URL Standard's preprocessing: strip leading and trailing C0 controls
/// and spaces, then remove every ASCII tab and newline. Borrows when there
/// is nothing to remove.
fn preprocess(raw: &str) -> Cow<'_, str> {
    let c0_or_space = |c: char| c <= ' ';
    let trimmed = raw.trim_matches(c0_or_space);
    if trimmed.contains(['\t', '\n', '\r']) {
        Cow::Owned(
            trimmed
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect(),
        )
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// The scheme, when the target starts with an ASCII letter followed by ASCII
/// letters, digits, `+`, `-` or `.` and then `:`.
fn scheme(target: &str) -> Option<&str> {
    let colon = target.find(':')?;
    let scheme = &target[..colon];
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some(scheme)
}

/// The target's serialisation, when it starts with a local prefix's.
fn under_local_prefix(target: &str, local_prefixes: &[String]) -> Option<String> {
    if local_prefixes.is_empty() {
        return None;
    }
    let href = String::from(Url::parse(target).ok()?);
    local_prefixes
        .iter()
        .any(|p| href.starts_with(p.as_str()))
        .then_some(href)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(raw: &str) -> MediaTarget<'_> {
        classify(raw, &["http://tmp/".to_owned()])
    }

    #[test]
    fn local_and_inline_forms_are_local() {
        for raw in [
            "wxfile://tmp_3a9c.jpg",
            "WXFILE://x",
            "data:image/png;base64,iVBORw0KGgo=",
            " DaTa:,x ",
            "/images/logo.png",
            "images/logo.png",
            "../images/logo.png",
            "\\images\\a.png",
            "/\timages/a.png",
        ] {
            assert!(matches!(class(raw), MediaTarget::Local(_)), "{raw:?}");
        }
        assert_eq!(
            class("http://tmp/3a9c.png"),
            MediaTarget::Local("http://tmp/3a9c.png".into())
        );
        assert_eq!(
            class("HTTP://TMP:80/a.png"),
            MediaTarget::Local("http://tmp/a.png".into())
        );
        assert_eq!(class(" \n/a.png\t"), MediaTarget::Local("/a.png".into()));
    }

    #[test]
    fn paths_that_name_another_host_are_invalid() {
        for raw in [
            "//evil.example/a.png",
            "\\\\evil",
            "/\\evil",
            "\\/evil",
            "/\t/evil",
            "",
            " \u{1}",
        ] {
            assert_eq!(class(raw), MediaTarget::Invalid, "{raw:?}");
        }
    }

    #[test]
    fn everything_else_reaches_the_network() {
        for raw in [
            "https://cdn.example/a.png",
            "http://cdn.example/a.png",
            "http://tmp.evil.example/a.png",
            "http://user@tmp/a.png",
            "cloud://env/a.png",
            "c:\\a.png",
        ] {
            assert!(matches!(class(raw), MediaTarget::Network(_)), "{raw:?}");
        }
        assert_eq!(
            class("https://cdn.exa\tmple/a.png"),
            MediaTarget::Network(Cow::Owned("https://cdn.example/a.png".into()))
        );
    }
}

//! Hosts the WHATWG host parser can only lower-case (URL Standard §3.5 "host
//! parsing"): the fast path shared by whitelist entries and checked URLs.
//!
//! A host of ASCII letters, digits, `-`, `.` (and `*`, for entries) has no `%`
//! to decode, nothing for UTS #46 to map but upper case, no `xn--` label to
//! validate, and, when its last label starts with a letter, is never read as
//! an IPv4 number. Anything else returns `None`, and the caller hands the whole
//! input to the `url` crate. The differential tests in `entry` and `target`
//! hold the fast paths to the crate's answers.

use std::borrow::Cow;

use crate::scheme::DEFAULT_PORT;

/// The serialised form of `host` (one trailing dot kept, as the parser keeps
/// it), or `None` when the full parser is needed. `wildcard` admits `*`.
pub(crate) fn plain_host(host: &str, wildcard: bool) -> Option<Cow<'_, str>> {
    let (_, upper) = scan(host.as_bytes(), wildcard, |_| false)?;
    Some(serialised(host, upper))
}

/// The plain host that `s` starts with, up to its first `/`, `?`, `#` or
/// `:` (or the end): its length and whether it has upper case letters
/// (its serialisation is then `s[..len]` lower-cased; the caller decides
/// where to write that), as [`plain_host`] reads it, in one pass over the bytes (a checked URL's
/// authority, where a search for its end and then [`plain_host`] read the
/// host twice). `None` when [`plain_host`] would refuse that host, or when
/// another byte outside a plain host (`\`, `@`, `%`, a space, …) comes first.
pub(crate) fn plain_host_prefix(s: &str) -> Option<(usize, bool)> {
    scan(s.as_bytes(), false, |b| {
        matches!(b, b'/' | b'?' | b'#' | b':')
    })
}

/// `host` lower-cased when it has an upper case letter, else borrowed.
pub(crate) fn serialised(host: &str, upper: bool) -> Cow<'_, str> {
    if upper {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

/// One pass over a host's bytes up to the first byte `stop` takes (or the
/// end): that index and whether an upper case letter came before it;
/// `None` when the host is not plain: a byte other than ASCII letters,
/// digits, `-`, `.` (and `*` with `wildcard`), an empty label (one trailing
/// dot is kept, as the parser keeps it), an `xn--` label, or a last label
/// not starting with a letter.
#[inline(always)]
fn scan(bytes: &[u8], wildcard: bool, stop: impl Fn(u8) -> bool) -> Option<(usize, bool)> {
    let punycode = |label: &[u8]| label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--");
    let mut upper = false;
    let mut label_start = 0;
    // Where the label before the last `.` starts: the last label when the
    // host ends in that dot.
    let mut before_dot = None;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'*' if wildcard => {}
            b'A'..=b'Z' => upper = true,
            b'.' => {
                if i == label_start || punycode(&bytes[label_start..i]) {
                    return None;
                }
                before_dot = Some(label_start);
                label_start = i + 1;
            }
            _ if stop(b) => {
                end = i;
                break;
            }
            _ => return None,
        }
    }
    let last = if label_start == end {
        // Empty, or ends in one dot (a second would have been an empty label).
        bytes.get(before_dot?..end - 1)?
    } else {
        bytes.get(label_start..end)?
    };
    if punycode(last) || !last.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    Some((end, upper))
}

/// `digits` as a port: empty means the default (443 for both schemes here),
/// leading zeros are fine; `None` for anything the fast path should not judge.
pub(crate) fn plain_port(digits: &str) -> Option<u16> {
    if digits.is_empty() {
        return Some(DEFAULT_PORT);
    }
    if digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`plain_host_prefix`] must answer: [`plain_host`] on the text
    /// before the first `/`, `?`, `#` or `:`.
    fn prefix_reference(s: &str) -> Option<(usize, Cow<'_, str>)> {
        let end = s.find(['/', '?', '#', ':']).unwrap_or(s.len());
        plain_host(&s[..end], false).map(|h| (end, h))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        /// The one-pass prefix reads every authority as the search for its
        /// end followed by [`plain_host`] did.
        #[test]
        fn host_prefix_matches_plain_host_on_the_prefix(
            s in "([a-zA-Z0-9.*@%\\\\ -]|[xX][nN]--){0,12}([/?#:][a-z/]{0,3})?",
        ) {
            let got = plain_host_prefix(&s).map(|(end, upper)| (end, serialised(&s[..end], upper)));
            proptest::prop_assert_eq!(got, prefix_reference(&s), "{:?}", s);
        }
    }

    #[test]
    fn host_prefix_stops_at_the_port_or_path_and_declines_the_odd() {
        for (input, want) in [
            ("API.example:443/x", Some((11, "api.example"))),
            ("a.example./", Some((10, "a.example."))),
            ("a.example", Some((9, "a.example"))),
            ("a.example?q", Some((9, "a.example"))),
        ] {
            let got =
                plain_host_prefix(input).map(|(e, upper)| (e, serialised(&input[..e], upper)));
            assert_eq!(got.as_ref().map(|(e, h)| (*e, &**h)), want, "{input}");
        }
        for odd in [
            "",
            ".",
            "a..b/",
            "a.example../",
            "a\\b/",
            "u@a.example/",
            "a%2e/",
            "1.2.3.4/",
            "xn--bcher-kva.example/",
            "a.xn--p1ai",
            "a.9x/",
            "*.a.example/",
        ] {
            assert_eq!(plain_host_prefix(odd), None, "{odd}");
        }
    }
}

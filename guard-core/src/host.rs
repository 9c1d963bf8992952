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
    let trimmed = host.strip_suffix('.').unwrap_or(host).as_bytes();
    let punycode = |label: &[u8]| label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--");
    let mut upper = false;
    let mut label_start = 0;
    for (i, &b) in trimmed.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'*' if wildcard => {}
            b'A'..=b'Z' => upper = true,
            b'.' => {
                if i == label_start || punycode(&trimmed[label_start..i]) {
                    return None;
                }
                label_start = i + 1;
            }
            _ => return None,
        }
    }
    let last = &trimmed[label_start..];
    if punycode(last) || !last.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    Some(if upper {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    })
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

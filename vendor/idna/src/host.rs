// Copyright The rust-url developers.
//
// Licensed under the Apache License, Version 2.0 <LICENSE-APACHE or
// http://www.apache.org/licenses/LICENSE-2.0> or the MIT license
// <LICENSE-MIT or http://opensource.org/licenses/MIT>, at your
// option. This file may not be copied, modified, or distributed
// except according to those terms.

//! PATCHED (guard), wasm32 only: domain to ASCII through the embedding
//! program. A wasm32 build links no Unicode data (see `ascii_adapter`), so
//! input that needs it goes to `guard_idna_domain_to_ascii`, a Rust-ABI
//! function the final binary must define (guard-wasm's raw ABI does, over
//! one host import; a binary that does not fails to link, or imports the
//! symbol and fails to instantiate: closed either way). See PATCHED.md.

use crate::uts46::{AsciiDenyList, Hyphens};
use alloc::string::String;

extern "Rust" {
    /// The WHATWG URL Standard's domain to ASCII of `domain` (UTF-8 bytes,
    /// possibly ill-formed), exactly `domain_to_ascii_cow(domain,
    /// AsciiDenyList::URL)` of upstream idna with its Unicode data:
    /// `Some(ascii)` or `None` for "not a valid domain".
    fn guard_idna_domain_to_ascii(domain: &[u8]) -> Option<String>;
}

/// Whether `domain` needs Unicode data: not ASCII, or a label starting
/// with `xn--` (ASCII case-insensitively), whose Punycode decodes to
/// Unicode that must be validated. Everything else is ASCII lowercasing
/// and the deny list, which `process` does without data.
pub(crate) fn needs_unicode(domain: &[u8]) -> bool {
    !domain.is_ascii()
        || domain
            .split(|&b| b == b'.')
            .any(|label| label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"))
}

/// The ASCII code points the URL deny list forbids (`AsciiDenyList::URL`:
/// C0 controls, space, DEL and `%#/:<>?@[\]^|`).
fn forbidden(b: u8) -> bool {
    b <= b' ' || b == 0x7f || b"%#/:<>?@[\\]^|".contains(&b)
}

/// The UTF-8 of the two non-ASCII code points UTS #46 maps to `%`
/// (U+FE6A SMALL PERCENT SIGN, U+FF05 FULLWIDTH PERCENT SIGN).
const PERCENT_LIKE: [&[u8]; 2] = [b"\xEF\xB9\xAA", b"\xEF\xBC\x85"];

/// Domain to ASCII through the hook. Only the options the hook implements
/// (the URL Standard's: the URL deny list, hyphens allowed) are answered;
/// any other combination is an error (fail closed).
///
/// Around the hook, what can be decided without Unicode data is decided
/// here, so a host URL parser's known departures from the URL Standard
/// cannot change an answer (Chromium's percent-decodes a `%` that mapping
/// produced, and accepts `xn--` labels that are not Punycode):
/// - before: a domain holding a forbidden ASCII code point, or one that
///   maps to `%`, is not valid (mapping keeps ASCII and never removes a
///   `%`), as upstream answers;
/// - after: the answer must be ASCII, lowercase, free of forbidden code
///   points, and its `xn--` labels Punycode of non-ASCII labels that map
///   back to themselves (a second call), as every answer of upstream is.
pub(crate) fn to_ascii(
    domain: &[u8],
    ascii_deny_list: AsciiDenyList,
    hyphens: Hyphens,
) -> Result<String, crate::Errors> {
    if ascii_deny_list != AsciiDenyList::URL || hyphens != Hyphens::Allow {
        return Err(crate::Errors::default());
    }
    if domain.iter().any(|&b| forbidden(b))
        || PERCENT_LIKE
            .iter()
            .any(|p| domain.windows(p.len()).any(|w| w == *p))
    {
        return Err(crate::Errors::default());
    }
    let ascii = ask(domain)?;
    let well_formed = ascii
        .bytes()
        .all(|b| b < 0x7f && !forbidden(b) && !b.is_ascii_uppercase());
    if !well_formed {
        return Err(crate::Errors::default());
    }
    // An answer with `xn--` labels must be a fixed point: its Unicode form
    // (each `xn--` label decoded) maps back to it. Upstream's answers all
    // are; a parser that passes an `xn--` label through unvalidated (not
    // Punycode, Punycode of ASCII, or of a label UTS #46 refuses: a
    // disallowed or mapped code point, a bidi or joiner rule broken) now
    // validates it as Unicode, and any difference is an error.
    match unicode_form(&ascii) {
        None => Err(crate::Errors::default()),
        Some(None) => Ok(ascii),
        Some(Some(unicode)) if ask(unicode.as_bytes())? == ascii => Ok(ascii),
        Some(Some(_)) => Err(crate::Errors::default()),
    }
}

/// The hook's answer for `domain`.
fn ask(domain: &[u8]) -> Result<String, crate::Errors> {
    // SAFETY: a safe Rust-ABI function of the final binary, declared with
    // the signature it is defined with (guard-wasm/src/raw_abi.rs).
    unsafe { guard_idna_domain_to_ascii(domain) }.ok_or_else(crate::Errors::default)
}

/// `ascii` with each `xn--` label decoded: `Some(None)` when it has none,
/// `None` when one is not Punycode or decodes to ASCII only (never a valid
/// label).
fn unicode_form(ascii: &str) -> Option<Option<String>> {
    if !ascii.split('.').any(|l| l.starts_with("xn--")) {
        return Some(None);
    }
    let mut out = String::with_capacity(ascii.len() * 2);
    for (i, label) in ascii.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        match label.strip_prefix("xn--") {
            None => out.push_str(label),
            Some(rest) => {
                let chars = crate::punycode::decode(rest)?;
                if chars.iter().all(char::is_ascii) {
                    return None;
                }
                out.extend(chars);
            }
        }
    }
    Some(Some(out))
}

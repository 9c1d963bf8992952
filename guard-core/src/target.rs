//! What a URL check looks at (`policy.md` §3.3): the scheme, whether there is
//! userinfo, the host as the WHATWG parser serialises it, and the port; and
//! what the enforcement point forwards (§3.7): the URL's serialisation (`href`).
//! Path, query and fragment never decide, and the parser never fails on them.

use std::borrow::Cow;

use url::{Host, Url};

use crate::host::{plain_host_prefix, plain_port};
use crate::scheme::{Scheme, DEFAULT_PORT};

/// The deciding parts of a parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    /// `https` or `wss`; `None` for any other scheme.
    pub(crate) scheme: Option<Scheme>,
    /// A username or password is present.
    pub(crate) userinfo: bool,
    /// The serialised host: read it with [`Target::host`].
    host: HostText<'a>,
    /// The host is an IPv4 or IPv6 address.
    pub(crate) ip: bool,
    /// The effective port (the scheme's default when absent).
    pub(crate) port: Option<u16>,
    /// The URL's serialisation, when known without more work: the input
    /// itself when the fast path proved it is already serialised, or written
    /// by the fast path from its parts (see [`fast_href`]), the `url`
    /// crate's serialisation on the slow path; `None` when the fast path
    /// decided but could not write it (see [`href`]).
    pub(crate) href: Option<Cow<'a, str>>,
}

/// Where a target's serialised host is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostText<'a> {
    /// A URL without one (`javascript:`).
    None,
    /// Its own string: a part of the input, or written.
    Text(Cow<'a, str>),
    /// `href[start..start + len]`: the fast path lower-cased the host into
    /// the href it wrote, rather than into a string of its own as well
    /// (one allocation fewer for `HTTPS://API.example/`).
    InHref(usize, usize),
}

impl Target<'_> {
    /// The serialised host; `None` for URLs without one (`javascript:`).
    pub(crate) fn host(&self) -> Option<&str> {
        match &self.host {
            HostText::None => None,
            HostText::Text(h) => Some(h),
            HostText::InHref(start, len) => {
                self.href.as_deref()?.get(*start..start.checked_add(*len)?)
            }
        }
    }

    /// The same target owning its strings.
    pub(crate) fn into_owned(self) -> Target<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Target {
            scheme: self.scheme,
            userinfo: self.userinfo,
            host: match self.host {
                HostText::None => HostText::None,
                HostText::Text(h) => HostText::Text(own(h)),
                HostText::InHref(start, len) => HostText::InHref(start, len),
            },
            ip: self.ip,
            port: self.port,
            href: self.href.map(own),
        }
    }
}

/// Parses `input` as a browser does, with no base URL; `None` when it fails.
pub(crate) fn parse(input: &str) -> Option<Target<'_>> {
    fast(input).or_else(|| slow(input))
}

/// The WHATWG serialisation of `input` (which must parse): `known` (a
/// parsed target's own href, moved here rather than copied) when there is
/// one, else the `url` crate's. What the enforcement point hands on, so
/// that no later parser can read another host out of the raw string.
pub(crate) fn href<'a>(input: &'a str, known: Option<Cow<'a, str>>) -> Option<Cow<'a, str>> {
    match known {
        Some(h) => Some(h),
        None => Url::parse(input).ok().map(|u| Cow::Owned(String::from(u))),
    }
}

/// `https://` or `wss://` (any case), a plain host (see [`plain_host_prefix`]), an
/// optional decimal port, then the end or `/`, `?`, `#`. On such input the
/// parser's only work on the deciding parts is lower-casing; a `\`, a tab, a
/// `%`, an `@` or anything unusual before the path sends it to the `url` crate.
fn fast(input: &str) -> Option<Target<'_>> {
    // Byte searches: every byte looked for is ASCII, so each index found is
    // a character boundary, and wasm32 has no cheaper `char` search.
    let colon = position(input, |b| b == b':')?;
    let scheme = Scheme::parse_any_case(&input[..colon])?;
    let rest = input[colon + 1..].strip_prefix("//")?;
    // The host and where it ends in one pass: a `\`, `@`, `%` or anything
    // else unusual before the port or path declines.
    let (end, upper) = plain_host_prefix(rest)?;
    let (host, after) = rest.split_at(end);
    let (port, port_text, tail) = match after.strip_prefix(':') {
        Some(p) => {
            let end = position(p, |b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(p.len());
            (plain_port(&p[..end])?, Some(&p[..end]), &p[end..])
        }
        None => (DEFAULT_PORT, None, after),
    };
    if !(tail.is_empty() || tail.starts_with(['/', '?', '#'])) {
        return None;
    }
    // Trailing C0 controls and spaces are stripped before parsing; a URL that
    // is only an authority must not end in one (the host check catches those
    // inside the host, this catches them after the port).
    if input.ends_with(|c: char| c <= ' ') && tail.is_empty() {
        return None;
    }
    // Scheme and host as the serialiser writes them already (it lower-cases both).
    let lower = !upper && input[..colon].bytes().all(|b| b.is_ascii_lowercase());
    let href = fast_href(input, scheme, host, lower, port, port_text, tail);
    let host = match &href {
        Some(_) if !upper => HostText::Text(Cow::Borrowed(host)),
        // `fast_href` wrote the lower-cased host right after `scheme://`.
        Some(Cow::Owned(_)) => HostText::InHref(scheme.as_str().len() + 3, host.len()),
        _ => HostText::Text(crate::host::serialised(host, upper)),
    };
    Some(Target {
        scheme: Some(scheme),
        userinfo: false,
        host,
        ip: false,
        port: Some(port),
        href,
    })
}

/// The href of a URL the fast path took, when it can be had without the
/// `url` crate: the input itself when it already is its serialisation;
/// else, when all the serialiser would change is the case of the scheme or
/// host, a default or zero-led port, or the `/` of an empty path, the
/// serialisation written from those parts (one allocation, against a full
/// parse with UTS #46 processing); `None` when path, query or fragment
/// need the serialiser (see [`serialised_tail`]). `lower`: the input's
/// scheme and host are lower case already; a written href has the host
/// lower-cased right after `scheme://` either way (where [`fast`] then
/// reads the target's host).
fn fast_href<'a>(
    input: &'a str,
    scheme: Scheme,
    host: &str,
    lower: bool,
    port: u16,
    port_text: Option<&str>,
    tail: &str,
) -> Option<Cow<'a, str>> {
    if !serialised_tail(tail) {
        return None;
    }
    // `fast` left a tail that is empty or starts with `/`, `?` or `#`; the
    // serialiser writes the path of a special URL with its `/`.
    let slash = !tail.starts_with('/');
    if !slash && lower && port_text.is_none_or(|p| canonical_port(p, port)) {
        return Some(Cow::Borrowed(input));
    }
    let mut href = String::with_capacity(input.len() + 1);
    href.push_str(scheme.as_str());
    href.push_str("://");
    let at = href.len();
    href.push_str(host);
    if let Some(written) = href.get_mut(at..) {
        written.make_ascii_lowercase();
    }
    if port != DEFAULT_PORT {
        href.push(':');
        push_decimal(&mut href, port);
    }
    if slash {
        href.push('/');
    }
    href.push_str(tail);
    Some(Cow::Owned(href))
}

/// `n` in decimal without leading zeros, as the serialiser writes a port
/// (at most five digits deep).
fn push_decimal(out: &mut String, n: u16) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    // `n % 10` is below 10: the cast keeps it.
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// The index of the first byte of `s` that `hit` takes: with ASCII bytes
/// only, a character boundary.
#[inline]
fn position(s: &str, hit: impl Fn(u8) -> bool) -> Option<usize> {
    s.bytes().position(hit)
}

/// A port as the serialiser writes it: present only when not the scheme's
/// default (443 for `https` and `wss`), in decimal without leading zeros.
fn canonical_port(text: &str, port: u16) -> bool {
    port != DEFAULT_PORT && !text.is_empty() && !text.starts_with('0')
}

/// Whether path, query and fragment (`tail`: empty or from a `/`, `?` or
/// `#` on) are already exactly as the serialiser writes them, but for the
/// `/` it puts before a tail that has none: no dot segment (`.`, `..`, nor `%2e` in any spelling, which the parser
/// resolves), and only bytes that no percent-encode set of the URL Standard
/// touches in any of the three parts: printable ASCII but space, `"`, `'`,
/// `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`, `}` (so no tab or newline, which
/// the parser removes, and no `\`, which it reads as `/`).
fn serialised_tail(tail: &str) -> bool {
    // One pass over the bytes (the tail of every allowed request goes
    // through here): the path ends at the first `?` or `#`, and only there
    // are dot segments and `%2e` looked for. `seg` is where the current path
    // segment starts; `dots` how many bytes of it are all `.` (`usize::MAX`
    // once another byte came).
    let bytes = tail.as_bytes();
    let mut in_path = true;
    let mut dots = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        let clean = matches!(b, b'!'..=b'~')
            && !matches!(
                b,
                b'"' | b'\'' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            );
        if !clean {
            return false;
        }
        if !in_path {
            continue;
        }
        match b {
            b'/' | b'?' | b'#' => {
                if dot_segment(dots) {
                    return false;
                }
                dots = 0;
                in_path = b == b'/';
            }
            b'.' => dots = dots.saturating_add(1),
            b'%' if bytes.get(i + 1) == Some(&b'2')
                && bytes.get(i + 2).is_some_and(|c| c | 0x20 == b'e') =>
            {
                return false;
            }
            _ => dots = usize::MAX,
        }
    }
    !(in_path && dot_segment(dots))
}

/// Whether a path segment of `dots` bytes, all `.`, is `.` or `..`
/// (`usize::MAX`: a segment with another byte; `0`: an empty one).
#[inline]
fn dot_segment(dots: usize) -> bool {
    dots == 1 || dots == 2
}

fn slow(input: &str) -> Option<Target<'static>> {
    let url = Url::parse(input).ok()?;
    let (host, ip) = match url.host() {
        Some(Host::Domain(d)) => (HostText::Text(Cow::Owned(d.to_owned())), false),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => match url.host_str() {
            Some(h) => (HostText::Text(Cow::Owned(h.to_owned())), true),
            None => (HostText::None, true),
        },
        None => (HostText::None, false),
    };
    Some(Target {
        scheme: Scheme::parse(url.scheme()),
        userinfo: !url.username().is_empty() || url.password().is_some(),
        host,
        ip,
        port: url.port_or_known_default(),
        // Moves the serialisation out of the `Url`: no copy.
        href: Some(Cow::Owned(String::from(url))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the fast path decides on, the `url` crate reads alike; and
    /// whatever href it borrows is exactly the `url` crate's serialisation.
    fn agree(input: &str) -> Result<(), String> {
        let Some(f) = fast(input) else { return Ok(()) };
        let Some(s) = slow(input) else {
            return Err(format!("{input:?}: fast {f:?}, url crate refuses it"));
        };
        if let Some(h) = &f.href {
            if Some(&**h) != s.href.as_deref() {
                return Err(format!(
                    "{input:?}: fast href {h:?}, url crate {:?}",
                    s.href
                ));
            }
        }
        let parts = |t: &Target<'_>| {
            (
                t.scheme,
                t.userinfo,
                t.host().map(str::to_owned),
                t.ip,
                t.port,
            )
        };
        if parts(&f) == parts(&s) {
            Ok(())
        } else {
            Err(format!("{input:?}: fast {f:?}, url crate {s:?}"))
        }
    }

    /// The href the guard forwards, for inputs the fast path takes or not.
    fn forwarded(input: &str) -> Option<String> {
        href(input, parse(input).and_then(|t| t.href)).map(Cow::into_owned)
    }

    /// The two-pass reading of [`serialised_tail`]'s rule that the one
    /// pass replaced: the oracle it must agree with.
    fn serialised_tail_reference(tail: &str) -> bool {
        let clean = tail.bytes().all(|b| {
            matches!(b, b'!'..=b'~')
                && !matches!(
                    b,
                    b'"' | b'\'' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        });
        let path = &tail[..tail.find(['?', '#']).unwrap_or(tail.len())];
        let encoded_dot = path
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'2' && (w[2] | 0x20) == b'e');
        clean && !encoded_dot && !path.split('/').any(|s| s == "." || s == "..")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        /// Whatever the fast path accepts, the `url` crate reads alike.
        #[test]
        fn fast_path_agrees_with_the_url_crate(
            scheme in "(?i)(https|wss|http|ws)|https?[\t ]?",
            sep in "(//|/|///|/\\\\|\\\\\\\\|)",
            host in "[a-zA-Z0-9.%@*:\t -]{0,14}(x[nN]--[a-z0-9]{0,4})?[a-zA-Z0-9.-]{0,8}",
            port in proptest::option::of("[0-9 ]{0,7}"),
            tail in "([/?#\\\\@:\t ][ -~\t]{0,12})?",
        ) {
            let input = match &port {
                Some(p) => format!("{scheme}:{sep}{host}:{p}{tail}"),
                None => format!("{scheme}:{sep}{host}{tail}"),
            };
            proptest::prop_assert!(agree(&input).is_ok(), "{}", agree(&input).unwrap_err());
        }

        /// The one-pass tail check reads every tail as the two-pass rule did.
        #[test]
        fn serialised_tail_matches_the_two_pass_rule(
            tail in "([/?#]([./%2eE?#a ]|%2[eE]|\\.\\.?){0,10})?",
        ) {
            proptest::prop_assert_eq!(serialised_tail(&tail), serialised_tail_reference(&tail), "{:?}", tail);
        }

        /// Plain origins with paths, queries and fragments made of the
        /// characters the serialiser might touch: the borrowed href is
        /// always the `url` crate's.
        #[test]
        fn borrowed_href_is_the_serialisation(
            scheme in "(https|wss|HTTPS)",
            host in "[a-z][a-z0-9-]{0,6}(\\.[a-zA-Z][a-z0-9-]{0,5}){0,2}\\.?",
            port in proptest::option::of("0?[0-9]{1,5}"),
            path in "(/([a-zA-Z0-9._~!$&()*+,;=:@%'\"<>^`{|}\\[\\] -]|%2[eE]|\\.\\.?){0,5}){0,4}",
            query in proptest::option::of("[ -~\u{ad}é]{0,10}"),
            fragment in proptest::option::of("[ -~\u{ad}é]{0,10}"),
        ) {
            let mut input = match &port {
                Some(p) => format!("{scheme}://{host}:{p}{path}"),
                None => format!("{scheme}://{host}{path}"),
            };
            if let Some(q) = &query {
                input.push('?');
                input.push_str(q);
            }
            if let Some(f) = &fragment {
                input.push('#');
                input.push_str(f);
            }
            proptest::prop_assert!(agree(&input).is_ok(), "{}", agree(&input).unwrap_err());
            if let Ok(url) = Url::parse(&input) {
                let got = forwarded(&input);
                proptest::prop_assert_eq!(got.as_deref(), Some(url.as_str()));
            }
        }
    }

    #[test]
    fn fast_path_takes_the_common_and_declines_the_odd() {
        for ok in [
            "https://api.example/v1?x=1#f",
            "HTTPS://API.Example:0443",
            "wss://ws.example:9443/live",
            "https://a.example.?q",
            "https://a.example:",
        ] {
            assert!(fast(ok).is_some(), "{ok}");
            agree(ok).unwrap();
        }
        for odd in [
            "https://u@a.example/",
            "https://a.example\\x",
            "https:/a.example",
            " https://a.example",
            "https://a.example ",
            "https://a.ex\tample",
            "https://1.2.3.4/",
            "https://a.0x7f/",
            "https://xn--bcher-kva.example/",
            "https://a%2eb.example/",
            "https://a..b/",
            "https://a.example:65536/",
            "https://a.example:8443x/",
            "https://[::1]/",
            "http://a.example/",
        ] {
            assert!(fast(odd).is_none(), "{odd}");
        }
    }

    /// The href is borrowed only when the input is its own serialisation;
    /// otherwise it is the `url` crate's, which is what a browser would fetch.
    #[test]
    fn href_is_the_serialisation_and_borrowed_only_when_equal() {
        for same in [
            "https://api.shop.example/",
            "https://api.shop.example/v1/items?id=7&x=a%20b#top",
            "wss://ws.example:9443/live",
            "https://a.example./x",
            "https://a.example/%41/~user/a:b@c",
        ] {
            let t = parse(same).unwrap();
            assert!(
                matches!(t.href, Some(Cow::Borrowed(h)) if h == same),
                "{same}"
            );
            assert_eq!(forwarded(same).as_deref(), Some(same));
        }
        for (input, href) in [
            (
                "https://api.shop.example\\@evil.example/",
                "https://api.shop.example/@evil.example/",
            ),
            ("HTTPS://API.Shop.Example/V1", "https://api.shop.example/V1"),
            ("https://api.shop.example:443/", "https://api.shop.example/"),
            (
                "https://api.shop.example:0443/",
                "https://api.shop.example/",
            ),
            ("wss://ws.example:08443/", "wss://ws.example:8443/"),
            ("https://api.shop.example", "https://api.shop.example/"),
            ("https://api.shop.example?q", "https://api.shop.example/?q"),
            ("https://api.shop.example:/", "https://api.shop.example/"),
            ("https://a.example/a/../b", "https://a.example/b"),
            ("https://a.example/a/./b", "https://a.example/a/b"),
            ("https://a.example/a/%2e%2E/b", "https://a.example/b"),
            (
                "https://a.example/a b?c d#e f",
                "https://a.example/a%20b?c%20d#e%20f",
            ),
            ("https://a.example/a\tb\n", "https://a.example/ab"),
            ("https://a.example/?q='x'", "https://a.example/?q=%27x%27"),
            ("https://a.example/{x}`^", "https://a.example/%7Bx%7D%60^"),
            ("https://a.ex\u{ad}ample/", "https://a.example/"),
            ("https://bücher.example/", "https://xn--bcher-kva.example/"),
            ("https://a.example/é", "https://a.example/%C3%A9"),
            ("https://0x7f.1/", "https://127.0.0.1/"),
        ] {
            let t = parse(input).unwrap();
            assert!(!matches!(t.href, Some(Cow::Borrowed(_))), "{input}");
            assert_eq!(forwarded(input).as_deref(), Some(href), "{input}");
            assert_eq!(Url::parse(input).unwrap().as_str(), href, "{input}");
        }
        assert_eq!(forwarded("https://exa mple/"), None);
    }

    /// The fast path writes the href itself when only case, port or the
    /// empty path's `/` differ (no `url` crate parse), and leaves to the
    /// crate what the serialiser would encode or resolve.
    #[test]
    fn fast_path_writes_hrefs_that_differ_only_in_case_port_or_slash() {
        for (input, href) in [
            ("HTTPS://API.Shop.Example/V1", "https://api.shop.example/V1"),
            (
                "https://api.shop.example:443/v2",
                "https://api.shop.example/v2",
            ),
            ("wss://ws.example:08443/", "wss://ws.example:8443/"),
            ("WsS://WS.example:00000/", "wss://ws.example:0/"),
            ("https://a.example:65535", "https://a.example:65535/"),
            ("https://api.shop.example?q", "https://api.shop.example/?q"),
            ("https://api.shop.example#f", "https://api.shop.example/#f"),
            ("https://api.shop.example:/", "https://api.shop.example/"),
            ("https://A.example.:443", "https://a.example./"),
        ] {
            let t = fast(input).unwrap();
            assert!(
                matches!(&t.href, Some(Cow::Owned(h)) if h == href),
                "{input}: {:?}",
                t.href
            );
            assert_eq!(Url::parse(input).unwrap().as_str(), href, "{input}");
            agree(input).unwrap();
        }
        for left in [
            "HTTPS://A.example/a/../b",
            "https://a.example:443/%2e/",
            "https://A.example/a b",
            "https://a.example:443?q='x'",
            "HTTPS://a.example#\u{e9}",
        ] {
            assert!(fast(left).is_some_and(|t| t.href.is_none()), "{left}");
            assert!(forwarded(left).is_some(), "{left}");
        }
    }
}

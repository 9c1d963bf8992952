//! Whitelist entries (`https://host[:port]`, `wss://host[:port]`,
//! `https://*.example.com`): parsing and validation of `policy.md` §1, in the
//! normalised form the matcher compares (§3.3 rules 6 and 7).

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;
use url::{Host, Url};

use crate::host::{plain_host, plain_port};
use crate::scheme::{Scheme, DEFAULT_PORT};

/// The schemes `server_domains` entries take.
pub(crate) const SERVER: &[Scheme] = &[Scheme::Https, Scheme::Wss];
/// The scheme `webview_domains` entries take.
pub(crate) const WEBVIEW: &[Scheme] = &[Scheme::Https];

/// A parsed whitelist entry.
///
/// The host borrows from the raw entry whenever the raw text already is the
/// serialised form (the common, lower-case ASCII case): a 300,000-entry policy
/// then parses its entries without allocating one string per entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainEntry<'a> {
    pub(crate) scheme: Scheme,
    /// The host as the WHATWG parser serialises it (lower case, punycode),
    /// without one trailing dot and without the `*.` of a wildcard.
    pub(crate) host: Cow<'a, str>,
    /// `*.host`: matches any host ending in `.host`, never `host` itself.
    pub(crate) wildcard: bool,
    /// The only port the entry matches (443 when the entry has none).
    pub(crate) port: u16,
}

/// Why an entry is invalid; rendered after "entry `<value>` ".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Not of the form `scheme://host[:port]`.
    #[error("is not of the form `scheme://host[:port]`")]
    NotAnOrigin,
    /// The WHATWG parser refused it.
    #[error("is not a valid URL ({0})")]
    Unparsable(String),
    /// Whitespace or control characters, which a parser would silently drop.
    #[error("contains whitespace or control characters")]
    Whitespace,
    /// A scheme the list does not take.
    #[error("has scheme `{0}`, which this list does not take (allowed: {1})")]
    Scheme(String, &'static str),
    /// Something after the authority.
    #[error("has a {0}; entries are origins only")]
    HasPart(&'static str),
    /// `user:pass@`.
    #[error("has userinfo")]
    Userinfo,
    /// An IPv4 or IPv6 address.
    #[error("has an IP address host, which never matches")]
    IpHost,
    /// `localhost` or `*.localhost`.
    #[error("has a localhost host")]
    Localhost,
    /// No host, or an empty label.
    #[error("has an empty host or an empty label")]
    EmptyHost,
    /// `*` anywhere but as the whole first label.
    #[error("has a wildcard that is not the whole first label")]
    BadWildcard,
    /// `*.com`.
    #[error("has a wildcard over a single label")]
    WildcardSingleLabel,
    /// A `blocked_hosts` pattern with a scheme, port, path or userinfo.
    #[error(
        "is not a host pattern (no scheme, port, path, userinfo, brackets or percent-encoding)"
    )]
    NotAHost,
    /// A raw-socket entry's port is not 1–65535 in decimal without sign or
    /// leading zero.
    #[error("has a port that is not 1 to 65535 in decimal without sign or leading zero")]
    BadPort,
    /// A URL entry with the explicit port 0 (contract v3, §1: in every list
    /// an explicit port is 1–65535); the WHATWG parser reads `:0` as a port.
    #[error("has the port 0 (an explicit port is 1 to 65535)")]
    PortZero,
}

/// A `blocked_hosts` pattern (`policy.md` §1, §3.3 rule 4a): a host, or a
/// wildcard over one, under the rules of whitelist hosts (no IP address, no
/// `localhost`, `*` only as the whole first label over two labels or more),
/// normalised as they are (WHATWG host, one trailing dot dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    /// The serialised host, without one trailing dot and without the `*.`.
    pub(crate) host: String,
    /// `*.host`: any host ending in `.host`, never `host` itself.
    pub(crate) wildcard: bool,
}

impl HostPattern {
    /// Parses a `blocked_hosts` pattern, as a load does.
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::HostPattern;
    ///
    /// assert_eq!(HostPattern::parse("*.Internal.Example.").unwrap().to_string(), "*.internal.example");
    /// assert_eq!(HostPattern::parse("bücher.example").unwrap().to_string(), "xn--bcher-kva.example");
    /// assert!(HostPattern::parse("https://a.example").is_err());
    /// assert!(HostPattern::parse("a.example:443").is_err());
    /// assert!(HostPattern::parse("10.0.0.1").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<HostPattern, EntryError> {
        // What would make the text more than a host once put after
        // `https://`: the entry parser then judges the host alone. A host
        // pattern is written as the host it names: no percent-encoding
        // (contract v3, §1), which would hide which host that is.
        if raw.contains([':', '/', '\\', '?', '#', '@', '%', '[', ']']) {
            return Err(EntryError::NotAHost);
        }
        let origin = format!("https://{raw}");
        let entry = DomainEntry::parse(&origin, WEBVIEW)?;
        Ok(HostPattern {
            host: entry.host.into_owned(),
            wildcard: entry.wildcard,
        })
    }
}

/// A `domains.tcp` or `domains.udp` entry (`policy.md` §1, contract v3):
/// `H` or `H:P`, where `H` is a host pattern exactly as a `blocked_hosts`
/// entry and `P` a decimal port 1–65535 without sign or leading zero. An
/// entry without a port allows every port (§3.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SocketEntry {
    pub(crate) pattern: HostPattern,
    /// The one port it allows; `None` for every port.
    pub(crate) port: Option<u16>,
}

impl SocketEntry {
    /// Parses a `domains.tcp` or `domains.udp` entry.
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::SocketEntry;
    /// assert_eq!(SocketEntry::parse("*.IoT.example:5683").unwrap().to_string(), "*.iot.example:5683");
    /// assert_eq!(SocketEntry::parse("printer.example").unwrap().to_string(), "printer.example");
    /// for bad in ["a.example:0", "a.example:080", "a.example:+80", "a.example:65536", "10.0.0.1:53", "[::1]:53", "a%2eexample"] {
    ///     assert!(SocketEntry::parse(bad).is_err(), "{bad}");
    /// }
    /// ```
    pub fn parse(raw: &str) -> Result<SocketEntry, EntryError> {
        let (host, port) = match raw.rsplit_once(':') {
            Some((host, digits)) => (host, Some(decimal_port(digits)?)),
            None => (raw, None),
        };
        Ok(SocketEntry {
            pattern: HostPattern::parse(host)?,
            port,
        })
    }
}

/// 1–65535 in decimal, without sign or leading zero.
fn decimal_port(digits: &str) -> Result<u16, EntryError> {
    let canonical = !digits.is_empty()
        && digits.len() <= 5
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    match digits.parse::<u16>() {
        Ok(port) if canonical => Ok(port),
        _ => Err(EntryError::BadPort),
    }
}

impl fmt::Display for SocketEntry {
    /// The entry in normalised form, e.g. `*.iot.example:5683`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.pattern)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl fmt::Display for HostPattern {
    /// The pattern in normalised form, e.g. `*.internal.example`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)
    }
}

impl<'a> DomainEntry<'a> {
    /// Parses an entry of `server_domains` (`https` or `wss`), as a load does.
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::DomainEntry;
    ///
    /// let e = DomainEntry::server("wss://WS.Shop.Example.:443").unwrap();
    /// assert_eq!(e.to_string(), "wss://ws.shop.example");
    /// assert!(DomainEntry::server("https://a.example/").is_err());
    /// ```
    pub fn server(raw: &'a str) -> Result<DomainEntry<'a>, EntryError> {
        DomainEntry::parse(raw, SERVER)
    }

    /// Parses an entry of `webview_domains` (`https` only), as a load does.
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::DomainEntry;
    ///
    /// assert_eq!(DomainEntry::webview("https://*.H5.example").unwrap().to_string(), "https://*.h5.example");
    /// assert!(DomainEntry::webview("wss://h5.example").is_err());
    /// ```
    pub fn webview(raw: &'a str) -> Result<DomainEntry<'a>, EntryError> {
        DomainEntry::parse(raw, WEBVIEW)
    }

    /// Parses `raw` as an entry of a list that takes `schemes`.
    ///
    /// # Errors
    ///
    /// An [`EntryError`] saying what is wrong.
    pub(crate) fn parse(raw: &'a str, schemes: &[Scheme]) -> Result<DomainEntry<'a>, EntryError> {
        if let Some(entry) = quick_entry(raw, schemes) {
            return Ok(entry);
        }
        // One pass each over the raw text: policies carry hundreds of
        // thousands of entries, and this runs on every load.
        let unprintable = |c: char| c.is_whitespace() || c.is_control();
        if raw.bytes().any(|b| b <= b' ' || b == 0x7f)
            || (!raw.is_ascii() && raw.chars().any(unprintable))
        {
            return Err(EntryError::Whitespace);
        }
        let Some((_, authority)) = split_origin(raw) else {
            return Err(EntryError::NotAnOrigin);
        };
        // The parser would normalise these away (`https://a.example/` has the
        // path `/` as much as `https://a.example`), so look at the raw text.
        for b in authority.bytes() {
            match b {
                b'/' | b'\\' => return Err(EntryError::HasPart("path")),
                b'?' => return Err(EntryError::HasPart("query")),
                b'#' => return Err(EntryError::HasPart("fragment")),
                b'@' => return Err(EntryError::Userinfo),
                _ => {}
            }
        }
        let parsed;
        let (scheme, domain, port) = match plain_origin(raw) {
            Some(fast) => fast,
            None => {
                parsed = Url::parse(raw).map_err(|e| EntryError::Unparsable(e.to_string()))?;
                let scheme = Scheme::parse(parsed.scheme()).ok_or_else(|| {
                    EntryError::Scheme(parsed.scheme().to_owned(), allowed_text(schemes))
                })?;
                // Owned: the rare slow path may allocate, the fast path borrows.
                let domain = match parsed.host() {
                    Some(Host::Domain(d)) => Cow::Owned(d.to_owned()),
                    Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(EntryError::IpHost),
                    None => return Err(EntryError::EmptyHost),
                };
                (
                    scheme,
                    domain,
                    parsed.port_or_known_default().unwrap_or(DEFAULT_PORT),
                )
            }
        };
        if !schemes.contains(&scheme) {
            return Err(EntryError::Scheme(
                scheme.as_str().to_owned(),
                allowed_text(schemes),
            ));
        }
        if port == 0 {
            return Err(EntryError::PortZero);
        }
        let end = domain.len() - usize::from(domain.ends_with('.'));
        let wildcard = domain.starts_with("*.");
        let start = if wildcard { 2 } else { 0 };
        let host = domain.get(start..end).unwrap_or_default();
        if host.contains('*') {
            return Err(EntryError::BadWildcard);
        }
        let bytes = host.as_bytes();
        if host.is_empty()
            || bytes[0] == b'.'
            || bytes[bytes.len() - 1] == b'.'
            || bytes.windows(2).any(|w| w == b"..")
        {
            return Err(EntryError::EmptyHost);
        }
        if wildcard && !host.contains('.') {
            return Err(EntryError::WildcardSingleLabel);
        }
        if host == "localhost" || host.ends_with(".localhost") {
            return Err(EntryError::Localhost);
        }
        let host = match domain {
            Cow::Borrowed(d) => Cow::Borrowed(d.get(start..end).unwrap_or_default()),
            Cow::Owned(d) => Cow::Owned(d.get(start..end).unwrap_or_default().to_owned()),
        };
        Ok(DomainEntry {
            scheme,
            host,
            wildcard,
            port,
        })
    }
}

/// The one-pass path of [`DomainEntry::parse`] for the entry nearly every
/// policy is made of: `https://` or `wss://`, a lower-case ASCII host of
/// letters, digits and `-` (after an optional `*.`), at most one trailing dot,
/// and an optional port of one to five digits. It only ever accepts: anything
/// unusual, valid or not, returns `None` and gets the full treatment, so every
/// error still comes from one place. Such a host is its own serialised form
/// (see [`plain_host`]), so the entry borrows it.
/// `tests::quick_path_agrees_with_the_full_parse` holds the two together.
fn quick_entry<'a>(raw: &'a str, schemes: &[Scheme]) -> Option<DomainEntry<'a>> {
    let (scheme, rest) = match raw.strip_prefix("https://") {
        Some(rest) => (Scheme::Https, rest),
        None => (Scheme::Wss, raw.strip_prefix("wss://")?),
    };
    if !schemes.contains(&scheme) {
        return None;
    }
    let (wildcard, body) = match rest.strip_prefix("*.") {
        Some(body) => (true, body),
        None => (false, rest),
    };
    let punycode = |label: &[u8]| label.starts_with(b"xn--");
    let bytes = body.as_bytes();
    let (mut label_start, mut labels, mut end) = (0, 1, bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'.' => {
                if i == label_start || punycode(bytes.get(label_start..i)?) {
                    return None;
                }
                labels += 1;
                label_start = i + 1;
            }
            b':' => {
                end = i;
                break;
            }
            _ => return None,
        }
    }
    let port = match body.get(end..) {
        Some("") => 443,
        Some(port) => {
            let digits = port.get(1..)?;
            if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            // Port 0 is refused by the full parse, which says why.
            digits.parse().ok().filter(|p: &u16| *p != 0)?
        }
        None => return None,
    };
    let mut host = body.get(..end)?;
    if label_start == end {
        // An empty last label: one trailing dot, which the entry drops.
        host = host.strip_suffix('.')?;
        labels -= 1;
    }
    let last = host.rsplit('.').next()?.as_bytes();
    if host.is_empty()
        || punycode(last)
        || !last.first().is_some_and(u8::is_ascii_lowercase)
        || (wildcard && labels < 2)
        || host == "localhost"
        || host.ends_with(".localhost")
    {
        return None;
    }
    Some(DomainEntry {
        scheme,
        host: Cow::Borrowed(host),
        wildcard,
        port,
    })
}

fn allowed_text(schemes: &[Scheme]) -> &'static str {
    match schemes {
        [one] => one.as_str(),
        _ => "https, wss",
    }
}

/// The fast path of [`DomainEntry::parse`] for the overwhelmingly common entry:
/// `https://` or `wss://` (any case), then an ASCII host of letters, digits,
/// `-`, `.` and `*`, then an optional decimal port. On such input the WHATWG
/// host parser can only lower-case: there is no `%` to decode, no non-ASCII to
/// map, no `xn--` label to validate, and a last label that starts with a letter
/// is never read as an IPv4 number. Anything else returns `None` and goes
/// through the `url` crate; `tests::fast_path_agrees_with_the_url_crate` holds
/// the two together. Policies with 300,000 entries load several times faster.
fn plain_origin(raw: &str) -> Option<(Scheme, Cow<'_, str>, u16)> {
    let (scheme, rest) = split_origin(raw)?;
    let scheme = Scheme::parse_any_case(scheme)?;
    let (host, port) = match rest.find(':') {
        Some(i) => (&rest[..i], plain_port(&rest[i + 1..])?),
        None => (rest, DEFAULT_PORT),
    };
    Some((scheme, plain_host(host, true)?, port))
}

/// `scheme://rest` split at the first `:`, which must be followed by `//`.
fn split_origin(raw: &str) -> Option<(&str, &str)> {
    let colon = raw.find(':')?;
    Some((&raw[..colon], raw[colon + 1..].strip_prefix("//")?))
}

impl fmt::Display for DomainEntry<'_> {
    /// The entry in normalised form, e.g. `https://*.img.shop.example:8443`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        if self.wildcard {
            f.write_str("*.")?;
        }
        f.write_str(&self.host)?;
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: &[Scheme] = &[Scheme::Https, Scheme::Wss];

    fn ok(raw: &str) -> String {
        DomainEntry::parse(raw, BOTH).expect(raw).to_string()
    }

    fn bad(raw: &str) -> EntryError {
        DomainEntry::parse(raw, BOTH).expect_err(raw)
    }

    #[test]
    fn entries_normalise_like_the_whatwg_parser() {
        assert_eq!(ok("https://API.Shop.Example"), "https://api.shop.example");
        assert_eq!(
            ok("https://bücher.example"),
            "https://xn--bcher-kva.example"
        );
        assert_eq!(ok("https://a.example."), "https://a.example");
        assert_eq!(ok("https://a.example:443"), "https://a.example");
        assert_eq!(ok("wss://a.example:9443"), "wss://a.example:9443");
        assert_eq!(ok("https://*.img.example"), "https://*.img.example");
        assert_eq!(
            ok("HTTPS://*.Bücher.example:8443"),
            "https://*.xn--bcher-kva.example:8443"
        );
    }

    #[test]
    fn everything_but_an_origin_is_refused() {
        assert_eq!(bad("https://a.example/"), EntryError::HasPart("path"));
        assert_eq!(bad("https://a.example/x"), EntryError::HasPart("path"));
        assert_eq!(bad("https://a.example?q"), EntryError::HasPart("query"));
        assert_eq!(bad("https://a.example#f"), EntryError::HasPart("fragment"));
        assert_eq!(bad("https://u:p@a.example"), EntryError::Userinfo);
        assert_eq!(bad("https://a.example\\x"), EntryError::HasPart("path"));
        assert_eq!(bad("a.example"), EntryError::NotAnOrigin);
        assert_eq!(bad("https:a.example"), EntryError::NotAnOrigin);
        assert_eq!(bad(" https://a.example"), EntryError::Whitespace);
        assert_eq!(bad("https://a.exa\tmple"), EntryError::Whitespace);
        assert!(matches!(bad("http://a.example"), EntryError::Scheme(s, _) if s == "http"));
        assert!(matches!(bad("ftp://a.example"), EntryError::Scheme(..)));
        assert!(matches!(
            DomainEntry::parse("wss://a.example", &[Scheme::Https]),
            Err(EntryError::Scheme(..))
        ));
        assert!(matches!(
            bad("https://exa mple.com"),
            EntryError::Whitespace
        ));
        assert!(matches!(
            bad("https://a.example:99999"),
            EntryError::Unparsable(_)
        ));
        // Contract v3: an explicit port is 1 to 65535 in every list.
        for zero in [
            "https://a.example:0",
            "wss://a.example:00",
            "https://A.example:0",
        ] {
            assert_eq!(bad(zero), EntryError::PortZero, "{zero}");
        }
        assert_eq!(ok("https://a.example:1"), "https://a.example:1");
    }

    #[test]
    fn hosts_that_never_match_are_refused() {
        assert_eq!(bad("https://127.0.0.1"), EntryError::IpHost);
        assert_eq!(bad("https://0x7f.1"), EntryError::IpHost);
        assert_eq!(bad("https://[::1]:8443"), EntryError::IpHost);
        assert_eq!(bad("https://localhost"), EntryError::Localhost);
        assert_eq!(bad("https://LOCALHOST."), EntryError::Localhost);
        assert_eq!(bad("https://api.localhost"), EntryError::Localhost);
        assert_eq!(bad("https://a..example"), EntryError::EmptyHost);
        assert_eq!(bad("https://a.example.."), EntryError::EmptyHost);
        assert_eq!(bad("https://."), EntryError::EmptyHost);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// Whatever the fast path accepts, the `url` crate parses to the same
        /// scheme, host and port.
        #[test]
        fn fast_path_agrees_with_the_url_crate(
            scheme in "(?i)(https|wss|http)",
            host in "[a-zA-Z0-9.*-]{0,12}(x[nN]--[a-z0-9]{0,6})?[a-zA-Z0-9.*-]{0,8}",
            port in proptest::option::of("[0-9]{0,6}"),
        ) {
            let raw = match &port {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None => format!("{scheme}://{host}"),
            };
            if let Some((s, h, p)) = plain_origin(&raw) {
                let url = Url::parse(&raw).expect("the fast path took something unparsable");
                proptest::prop_assert_eq!(s.as_str(), url.scheme());
                proptest::prop_assert_eq!(Some(&*h), url.host_str(), "{}", raw);
                proptest::prop_assert!(matches!(url.host(), Some(Host::Domain(_))));
                proptest::prop_assert_eq!(Some(p), url.port_or_known_default());
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        /// Whatever the one-pass path accepts, the full parse (the `url`
        /// crate and every entry rule) accepts as the same entry.
        #[test]
        fn quick_path_agrees_with_the_full_parse(
            scheme in "(https|wss|HTTPS|http|ws)",
            host in "(\\*\\.)?[a-z0-9.*-]{0,10}(xn--[a-z0-9]{0,4})?[a-zA-Z0-9.-]{0,8}(localhost)?\\.?",
            port in proptest::option::of("[0-9]{0,6}"),
            webview in proptest::bool::ANY,
        ) {
            let raw = match &port {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None => format!("{scheme}://{host}"),
            };
            let schemes = if webview { &[Scheme::Https][..] } else { BOTH };
            if let Some(quick) = quick_entry(&raw, schemes) {
                let slow = parse_without_quick_path(&raw, schemes);
                proptest::prop_assert_eq!(Ok(quick), slow, "{}", raw);
            }
        }
    }

    /// [`DomainEntry::parse`] as it would be without [`quick_entry`]: the
    /// same input with an upper-case scheme skips the one-pass path, and the
    /// scheme's case changes nothing else.
    fn parse_without_quick_path<'a>(
        raw: &str,
        schemes: &[Scheme],
    ) -> Result<DomainEntry<'a>, EntryError> {
        let shouted = raw
            .replacen("https://", "HTTPS://", 1)
            .replacen("wss://", "WSS://", 1);
        assert!(quick_entry(&shouted, schemes).is_none());
        DomainEntry::parse(&shouted, schemes).map(|e| DomainEntry {
            host: Cow::Owned(e.host.into_owned()),
            ..e
        })
    }

    #[test]
    fn quick_path_takes_the_common_entries_and_nothing_odd() {
        for raw in [
            "https://api.shop.example",
            "wss://ws.shop.example:8443",
            "https://*.img.shop.example",
            "https://a.example.",
            "https://intranet",
        ] {
            assert!(quick_entry(raw, BOTH).is_some(), "{raw}");
        }
        for raw in [
            "https://API.shop.example",
            "https://a.example:",
            "https://*.com",
            "https://a..example",
            "https://1.2.3.4",
            "https://xn--bcher-kva.example",
            "https://a.localhost",
            "https://a.example/",
            "https://a.example:123456",
        ] {
            assert!(quick_entry(raw, BOTH).is_none(), "{raw}");
        }
        assert!(quick_entry("wss://a.example", &[Scheme::Https]).is_none());
    }

    #[test]
    fn fast_path_declines_what_needs_the_full_parser() {
        for raw in [
            "https://1.2.3.4",
            "https://a.0x7f",
            "https://xn--bcher-kva.example",
            "https://bücher.example",
            "https://a%2eb.example",
            "ftp://a.example",
            "https://a.example:65536",
            "https://a.example:x",
            "https://[::1]",
        ] {
            assert!(plain_origin(raw).is_none(), "{raw}");
        }
        assert!(plain_origin("HTTPS://A.Example:0443").is_some());
    }

    #[test]
    fn wildcards_are_the_whole_first_label_over_two_labels() {
        assert_eq!(bad("https://*.com"), EntryError::WildcardSingleLabel);
        assert_eq!(bad("https://*.com."), EntryError::WildcardSingleLabel);
        assert_eq!(bad("https://*"), EntryError::BadWildcard);
        assert_eq!(bad("https://a*.example.com"), EntryError::BadWildcard);
        assert_eq!(bad("https://*a.example.com"), EntryError::BadWildcard);
        assert_eq!(bad("https://a.*.example.com"), EntryError::BadWildcard);
        assert_eq!(bad("https://*.*.example.com"), EntryError::BadWildcard);
        assert_eq!(bad("https://*.localhost"), EntryError::WildcardSingleLabel);
        assert_eq!(bad("https://*.a.localhost"), EntryError::Localhost);
    }
}

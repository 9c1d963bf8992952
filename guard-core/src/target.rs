//! What a URL check looks at (`policy.md` §3.3): the scheme, whether there is
//! userinfo, the host as the WHATWG parser serialises it, and the port.
//! Path, query and fragment never matter, and the parser never fails on them.

use std::borrow::Cow;

use url::{Host, Url};

use crate::decision::Scheme;
use crate::host::{plain_host, plain_port};

/// The deciding parts of a parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    /// `https` or `wss`; `None` for any other scheme.
    pub(crate) scheme: Option<Scheme>,
    /// A username or password is present.
    pub(crate) userinfo: bool,
    /// The serialised host; `None` for URLs without one (`javascript:`).
    pub(crate) host: Option<Cow<'a, str>>,
    /// The host is an IPv4 or IPv6 address.
    pub(crate) ip: bool,
    /// The effective port (the scheme's default when absent).
    pub(crate) port: Option<u16>,
}

/// Parses `input` as a browser does, with no base URL; `None` when it fails.
pub(crate) fn parse(input: &str) -> Option<Target<'_>> {
    fast(input).or_else(|| slow(input))
}

/// `https://` or `wss://` (any case), a plain host (see [`plain_host`]), an
/// optional decimal port, then the end or `/`, `?`, `#`. On such input the
/// parser's only work on the deciding parts is lower-casing; a `\`, a tab, a
/// `%`, an `@` or anything unusual before the path sends it to the `url` crate.
fn fast(input: &str) -> Option<Target<'_>> {
    let colon = input.find(':')?;
    let scheme = Scheme::parse_any_case(&input[..colon])?;
    let rest = input[colon + 1..].strip_prefix("//")?;
    let end = rest
        .find(['/', '?', '#', '\\', ':', '@'])
        .unwrap_or(rest.len());
    let (host, after) = rest.split_at(end);
    let (port, tail) = match after.strip_prefix(':') {
        Some(p) => {
            let end = p.find(['/', '?', '#']).unwrap_or(p.len());
            (plain_port(&p[..end])?, &p[end..])
        }
        None => (443, after),
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
    Some(Target {
        scheme: Some(scheme),
        userinfo: false,
        host: Some(plain_host(host, false)?),
        ip: false,
        port: Some(port),
    })
}

fn slow(input: &str) -> Option<Target<'static>> {
    let url = Url::parse(input).ok()?;
    let (host, ip) = match url.host() {
        Some(Host::Domain(d)) => (Some(Cow::Owned(d.to_owned())), false),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => {
            (url.host_str().map(|h| Cow::Owned(h.to_owned())), true)
        }
        None => (None, false),
    };
    Some(Target {
        scheme: Scheme::parse(url.scheme()),
        userinfo: !url.username().is_empty() || url.password().is_some(),
        host,
        ip,
        port: url.port_or_known_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree(input: &str) -> Result<(), String> {
        let Some(f) = fast(input) else { return Ok(()) };
        let owned = Target {
            host: f.host.clone().map(|h| Cow::Owned(h.into_owned())),
            ..f.clone()
        };
        match slow(input) {
            Some(s) if s == owned => Ok(()),
            other => Err(format!("{input:?}: fast {f:?}, url crate {other:?}")),
        }
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
}

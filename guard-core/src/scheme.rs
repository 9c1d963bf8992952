//! The two URL schemes of `policy.md` §1 (whitelist entries) and §3.3 rule 4
//! (checked URLs): `https` and `wss`. Beside the host code because both fast
//! paths (entries and URLs) read the scheme as the WHATWG parser does.

/// The default port of both schemes: a URL or entry without a port means it,
/// and the serialiser leaves it out.
pub(crate) const DEFAULT_PORT: u16 = 443;

/// The two schemes a whitelist entry or a checked URL may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    Https,
    Wss,
}

impl Scheme {
    pub(crate) fn parse(s: &str) -> Option<Scheme> {
        match s {
            "https" => Some(Scheme::Https),
            "wss" => Some(Scheme::Wss),
            _ => None,
        }
    }

    /// The scheme as written in raw input (`HTTPS:` is `https:` to a URL parser).
    pub(crate) fn parse_any_case(s: &str) -> Option<Scheme> {
        if s.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else if s.eq_ignore_ascii_case("wss") {
            Some(Scheme::Wss)
        } else {
            None
        }
    }

    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Wss => "wss",
        }
    }
}

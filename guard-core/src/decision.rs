//! What a check answers: [`DenyCode`], the allocation-free [`Verdict`] and the
//! full [`Decision`] object of the contract (`policy.md` §3 and §3.4).

use serde::{Deserialize, Serialize};

use crate::names::contract_names;
use crate::scheme::Scheme;

/// The bit of [`Verdict::to_u8`] set when `report` mode let a denied call
/// through; the deny code is in the low seven bits.
pub const REPORTED_BIT: u8 = 0x80;

/// The stable deny codes of `policy.md` §3.4.
///
/// The numeric value is part of the raw wasm ABI and of the JS bridge's integer
/// protocol: never renumber a variant, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DenyCode {
    /// No valid policy loaded, or it expired (§3.1 rule 1).
    NoPolicy = 1,
    /// The `app_id` is not in the policy (§3.1 rule 2).
    UnknownApp = 2,
    /// `control.apis` is on and the name is neither built in nor whitelisted (§3.2 rule 3).
    ApiNotWhitelisted = 3,
    /// A restricted sensitive API that was not granted to this app (§3.2 rule 4).
    PermissionNotGranted = 4,
    /// Not a URL, or one with userinfo (§3.3 rule 3); a socket target that is
    /// not a host and port (§3.7); an 11th redirect hop (§3.6).
    InvalidUrl = 5,
    /// A scheme other than `https` (or `wss` for sockets) (§3.3 rule 4).
    InsecureScheme = 6,
    /// No whitelist entry matches the host (§3.3 rule 6, §3.7).
    DomainNotWhitelisted = 7,
    /// An entry matches the host but not the port (§3.3 rule 7).
    PortNotAllowed = 8,
    /// The host matches a `blocked_hosts` pattern (§3.3 rule 4a, §3.7).
    DomainBlocked = 9,
    /// The superapp removed the app (§3.1 rule 2a).
    AppRemoved = 10,
    /// Not the version and package the superapp released (§3.5).
    VersionNotReleased = 11,
}

contract_names!(DenyCode {
    NoPolicy => "no_policy",
    UnknownApp => "unknown_app",
    ApiNotWhitelisted => "api_not_whitelisted",
    PermissionNotGranted => "permission_not_granted",
    InvalidUrl => "invalid_url",
    InsecureScheme => "insecure_scheme",
    DomainNotWhitelisted => "domain_not_whitelisted",
    PortNotAllowed => "port_not_allowed",
    DomainBlocked => "domain_blocked",
    AppRemoved => "app_removed",
    VersionNotReleased => "version_not_released",
});

impl DenyCode {
    /// The code for its numeric value (`1..=11`).
    pub fn from_u8(value: u8) -> Option<DenyCode> {
        DenyCode::ALL.into_iter().find(|c| *c as u8 == value)
    }

    /// Whether `report` mode may let a call this code denies through: never
    /// for `no_policy` (no policy, no mode) nor for the superapp's own blocks,
    /// `app_removed` and `domain_blocked` (§3: report mode relaxes what an
    /// app's lists say, never what the superapp blocked), nor (contract v3,
    /// every schema) for `invalid_url`: a target the guard could not parse
    /// cannot be handed on, since another parser may read a blocked host out
    /// of it.
    pub const fn reportable(self) -> bool {
        !matches!(
            self,
            DenyCode::NoPolicy
                | DenyCode::AppRemoved
                | DenyCode::DomainBlocked
                | DenyCode::InvalidUrl
        )
    }

    /// The `errno` a mini program's `fail` callback receives.
    ///
    /// `600002` for the domain-list denials is fixed by the contract (it is
    /// what mini program runtimes report), `domain_blocked` included, and so
    /// (contract v3, §3.4) is `102` for both permission denials: WeChat's
    /// public errno table gives 102 for an API the platform does not allow,
    /// while 103 is the *user's* refusal, which a mini program answers by
    /// sending the user to a settings page that cannot lift a superapp's
    /// restriction. The others are this project's choice, documented in
    /// `docs/decisions.md`: `600009` (the runtimes' "invalid URL") for URL
    /// denials and `1` when there is no usable policy for the app, the app
    /// was removed, or the package is not the released one.
    pub const fn errno(self) -> u32 {
        match self {
            DenyCode::NoPolicy
            | DenyCode::UnknownApp
            | DenyCode::AppRemoved
            | DenyCode::VersionNotReleased => 1,
            DenyCode::ApiNotWhitelisted | DenyCode::PermissionNotGranted => 102,
            DenyCode::InvalidUrl | DenyCode::InsecureScheme => 600009,
            DenyCode::DomainNotWhitelisted | DenyCode::PortNotAllowed | DenyCode::DomainBlocked => {
                600002
            }
        }
    }

    /// The reason part of the `errMsg` (after `<api>:fail `), without the host.
    const fn reason(self) -> &'static str {
        match self {
            DenyCode::NoPolicy => "no valid permission policy",
            DenyCode::UnknownApp => "unknown app",
            DenyCode::ApiNotWhitelisted => "api not in whitelist",
            DenyCode::PermissionNotGranted => "jsapi has no permission",
            DenyCode::InvalidUrl => "invalid url",
            DenyCode::InsecureScheme => "url scheme not allowed",
            DenyCode::DomainNotWhitelisted | DenyCode::PortNotAllowed => "url not in domain list",
            DenyCode::DomainBlocked => "url in blocked domain list",
            DenyCode::AppRemoved => "app removed",
            DenyCode::VersionNotReleased => "version not released",
        }
    }
}

/// The kinds of check of `policy.md` §3.
///
/// The numeric value is part of the raw wasm ABI: never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CheckKind {
    /// `api(name)`.
    Api = 0,
    /// `wx.request`.
    Request = 1,
    /// `wx.uploadFile`.
    Upload = 2,
    /// `wx.downloadFile`.
    Download = 3,
    /// `wx.connectSocket`.
    Socket = 4,
    /// The `web-view` component.
    Webview = 5,
    /// Running a code package (§3.5).
    Launch = 6,
    /// A raw TCP socket (§3.7).
    Tcp = 7,
    /// A raw UDP socket (§3.7).
    Udp = 8,
    /// Contract v3: a source the platform shows or plays (an image, font,
    /// audio, video or poster source, §3.7).
    Media = 9,
}

contract_names!(CheckKind {
    Api => "api",
    Request => "request",
    Upload => "upload",
    Download => "download",
    Socket => "socket",
    Webview => "webview",
    Launch => "launch",
    Tcp => "tcp",
    Udp => "udp",
    Media => "media",
});

impl CheckKind {
    /// The five URL kinds.
    pub const URL_KINDS: [CheckKind; 5] = [
        CheckKind::Request,
        CheckKind::Upload,
        CheckKind::Download,
        CheckKind::Socket,
        CheckKind::Webview,
    ];

    /// The kind for its numeric value (`0..=9`).
    pub fn from_u8(value: u8) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|k| *k as u8 == value)
    }

    /// Whether this kind checks a URL (§3.3); `media` does too, once §3.7
    /// has classified its target as a network one.
    pub const fn is_url(self) -> bool {
        matches!(
            self,
            CheckKind::Request
                | CheckKind::Upload
                | CheckKind::Download
                | CheckKind::Socket
                | CheckKind::Webview
                | CheckKind::Media
        )
    }

    /// The `<api>` of the `errMsg` (§3.4) of every kind but [`CheckKind::Api`],
    /// whose label is the API name itself. Raw sockets are labelled by the
    /// runtimes' APIs that open them (`createTCPSocket`, `createUDPSocket`).
    /// A media check has no API of its own: an enforcement point renders its
    /// message with the API, method or setter the mini program used
    /// (`previewImage`, `InnerAudioContext.src`), and `media` otherwise.
    pub const fn url_label(self) -> Option<&'static str> {
        match self {
            CheckKind::Api => None,
            CheckKind::Request => Some("request"),
            CheckKind::Upload => Some("uploadFile"),
            CheckKind::Download => Some("downloadFile"),
            CheckKind::Socket => Some("connectSocket"),
            CheckKind::Webview => Some("web-view"),
            CheckKind::Launch => Some("launch"),
            CheckKind::Tcp => Some("createTCPSocket"),
            CheckKind::Udp => Some("createUDPSocket"),
            CheckKind::Media => Some("media"),
        }
    }

    /// The URL scheme this kind accepts (§3.3 rule 4).
    pub(crate) const fn scheme(self) -> Scheme {
        match self {
            CheckKind::Socket => Scheme::Wss,
            _ => Scheme::Https,
        }
    }
}

/// The outcome of a check without its message: two bytes, `Copy`, built
/// without allocating. [`Verdict::message`] renders the `errMsg` on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Verdict {
    code: Option<DenyCode>,
    reported: bool,
}

impl Verdict {
    /// An allowed call.
    pub const ALLOW: Verdict = Verdict {
        code: None,
        reported: false,
    };

    /// A call denied with `code`.
    pub const fn deny(code: DenyCode) -> Verdict {
        Verdict {
            code: Some(code),
            reported: false,
        }
    }

    /// A call that `code` would deny, let through by `report` mode; a plain
    /// denial for the codes report mode never lets through
    /// ([`DenyCode::reportable`]).
    pub const fn report(code: DenyCode) -> Verdict {
        Verdict {
            code: Some(code),
            reported: code.reportable(),
        }
    }

    /// Whether the call may go through.
    pub const fn allow(self) -> bool {
        self.code.is_none() || self.reported
    }

    /// The deny code (also set when `report` mode let the call through).
    pub const fn code(self) -> Option<DenyCode> {
        self.code
    }

    /// Whether `report` mode let through a call that would have been denied.
    pub const fn reported(self) -> bool {
        self.reported
    }

    /// One byte for integer-only protocols (the wasm ABIs): `0` allow, else the
    /// [`DenyCode`] value, plus `0x80` when reported.
    pub const fn to_u8(self) -> u8 {
        match self.code {
            None => 0,
            Some(code) => code as u8 | if self.reported { REPORTED_BIT } else { 0 },
        }
    }

    /// The inverse of [`Verdict::to_u8`]; `None` for a byte no verdict produces.
    pub fn from_u8(byte: u8) -> Option<Verdict> {
        if byte == 0 {
            return Some(Verdict::ALLOW);
        }
        let code = DenyCode::from_u8(byte & !REPORTED_BIT)?;
        let reported = byte & REPORTED_BIT != 0;
        if reported && !code.reportable() {
            return None;
        }
        Some(Verdict {
            code: Some(code),
            reported,
        })
    }

    /// The `errMsg` of this verdict: `<label>:ok` when allowed outright, else
    /// `<label>:fail <reason>` as in §3.4. `host` and `port` are the checked URL's
    /// serialised host and effective port, used by the two domain-list codes.
    pub fn message(self, label: &str, host: Option<&str>, port: Option<u16>) -> String {
        match self.code {
            None => format!("{label}:ok"),
            Some(code @ (DenyCode::DomainNotWhitelisted | DenyCode::DomainBlocked)) => {
                format!("{label}:fail {}:{}", code.reason(), host.unwrap_or(""))
            }
            Some(code @ DenyCode::PortNotAllowed) => format!(
                "{label}:fail {}:{}:{}",
                code.reason(),
                host.unwrap_or(""),
                port.map_or(String::new(), |p| p.to_string())
            ),
            Some(code) => format!("{label}:fail {}", code.reason()),
        }
    }
}

/// The decision object of `policy.md` §3: what the CLI prints, the JS bridge
/// returns and vectors compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the call may go through.
    pub allow: bool,
    /// `null` when allowed outright, else the deny code.
    pub code: Option<DenyCode>,
    /// The `errMsg`-style message.
    pub message: String,
    /// `true` when `report` mode let through a call that would have been denied.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reported: bool,
    /// The runtimes' `errno` for a denial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno: Option<u32>,
}

impl Decision {
    /// The full decision for a verdict (see [`Verdict::message`] for the arguments).
    pub fn new(verdict: Verdict, label: &str, host: Option<&str>, port: Option<u16>) -> Decision {
        Decision {
            allow: verdict.allow(),
            code: verdict.code(),
            message: verdict.message(label, host, port),
            reported: verdict.reported(),
            errno: verdict.code().map(DenyCode::errno),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_names_and_bytes() {
        for code in DenyCode::ALL {
            assert_eq!(DenyCode::parse(code.as_str()), Some(code));
            assert_eq!(DenyCode::from_u8(code as u8), Some(code));
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{code}\""));
            for v in [Verdict::deny(code), Verdict::report(code)] {
                assert_eq!(Verdict::from_u8(v.to_u8()), Some(v));
            }
        }
        assert_eq!(Verdict::from_u8(0), Some(Verdict::ALLOW));
        assert_eq!(Verdict::from_u8(12), None);
        assert_eq!(
            Verdict::from_u8(DenyCode::AppRemoved as u8 | REPORTED_BIT),
            None
        );
        assert_eq!(
            Verdict::report(DenyCode::DomainBlocked),
            Verdict::deny(DenyCode::DomainBlocked)
        );
        assert_eq!(DenyCode::parse("allow"), None);
    }

    #[test]
    fn messages_follow_the_contract_table() {
        let m = |c| Verdict::deny(c).message("request", Some("a.example"), Some(8080));
        assert_eq!(
            m(DenyCode::NoPolicy),
            "request:fail no valid permission policy"
        );
        assert_eq!(m(DenyCode::UnknownApp), "request:fail unknown app");
        assert_eq!(
            m(DenyCode::ApiNotWhitelisted),
            "request:fail api not in whitelist"
        );
        assert_eq!(
            m(DenyCode::PermissionNotGranted),
            "request:fail jsapi has no permission"
        );
        assert_eq!(m(DenyCode::InvalidUrl), "request:fail invalid url");
        assert_eq!(
            m(DenyCode::InsecureScheme),
            "request:fail url scheme not allowed"
        );
        assert_eq!(
            m(DenyCode::DomainNotWhitelisted),
            "request:fail url not in domain list:a.example"
        );
        assert_eq!(
            m(DenyCode::PortNotAllowed),
            "request:fail url not in domain list:a.example:8080"
        );
        assert_eq!(
            Verdict::ALLOW.message("getLocation", None, None),
            "getLocation:ok"
        );
    }

    #[test]
    fn report_mode_allows_but_keeps_the_code() {
        let v = Verdict::report(DenyCode::PortNotAllowed);
        assert!(v.allow());
        assert!(v.reported());
        assert_eq!(v.code(), Some(DenyCode::PortNotAllowed));
        assert!(!Verdict::deny(DenyCode::PortNotAllowed).allow());
    }
}

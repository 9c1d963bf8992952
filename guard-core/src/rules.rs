//! The decision rules of `policy.md` §3, each written once and cited. The
//! hot paths ([`Guard::check_api_id`], [`Guard::check_url_verdict`],
//! [`Guard::check_launch`]) and [`Guard::explain_check`] run these same
//! functions; each returns *why* beside the verdict as a small `Copy` value
//! ([`Because`]), which the hot paths simply drop.

use url::Host;

use std::borrow::Cow;
use std::ops::Range;

use crate::compiled::{AppRules, Compiled, HostMatch, List, BUILTIN};
use crate::decision::{CheckKind, DenyCode, Verdict};
use crate::guard::Guard;
use crate::limits;
use crate::media::{self, MediaTarget};
use crate::policy::{parse_sha256, Mode};
use crate::scheme::DEFAULT_PORT;
use crate::target::{self, Target};

/// Why a rule function decided; small and `Copy` so the hot paths pay nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Because {
    // §3.1
    NoPolicy,
    OutsideWindow,
    UnknownApp,
    AppRemoved,
    /// A check of a kind this entry point does not take (a caller bug).
    NotThisKind,
    // §3.2
    ApiNotWhitelisted,
    ApiNotGranted,
    ApiGranted,
    ApiBuiltin,
    ApiWhitelisted,
    ApiUnrestricted,
    // §3.3
    UrlTooLong,
    UrlUnparsable,
    UrlUserinfo,
    UrlScheme,
    /// Rule 4a (and §3.7): a `blocked_hosts` pattern matched; `Some(at)` for
    /// a wildcard over the host's suffix from byte `at`.
    Blocked(Option<usize>),
    SwitchOff,
    IpHost,
    NoHost,
    WrongPort,
    Exact,
    Wildcard(usize),
    // §3.5
    NoRelease,
    WrongVersion,
    WrongPackage,
    Released,
    // §3.6
    RedirectHops,
    RedirectUnresolved,
    // §3.7
    SocketHost,
    SocketPort,
    SocketSwitchOff,
    SocketNoList,
    /// Contract v3: a raw-socket target matched the app's `tcp`/`udp` list;
    /// `Some(at)` for a wildcard over the host's suffix from byte `at`.
    SocketListed(Option<usize>),
    /// A media target that does not reach the network (§3.7): inline
    /// (`data:`), a platform file (`wxfile:`), a code-package path, or under
    /// a local prefix of the host's.
    MediaLocal,
    /// A media target that looks local but names another host (`//host`,
    /// `\\host`, `/\host`) or is empty (§3.7).
    MediaInvalid,
}

/// A denial under `mode`: `report` lets it through, reported, except for the
/// codes report mode never relaxes ([`DenyCode::reportable`]), §3.
#[inline]
fn under(mode: Mode, code: DenyCode, because: Because) -> (Verdict, Because) {
    match mode {
        Mode::Enforce => (Verdict::deny(code), because),
        Mode::Report => (Verdict::report(code), because),
    }
}

/// The kinds a redirect hop is checked as (§3.6): the three request APIs, and
/// `webview`, whose navigations are each checked as a `webview` URL.
const fn follows_redirects(kind: CheckKind) -> bool {
    matches!(
        kind,
        CheckKind::Request | CheckKind::Upload | CheckKind::Download | CheckKind::Webview
    )
}

impl Guard {
    /// §3.1 rule 1: the policy in force at `now`, or why there is none.
    #[inline(always)]
    pub(crate) fn in_force(&self, now: u64) -> Result<&Compiled, Because> {
        match &self.active {
            None => Err(Because::NoPolicy),
            Some(p) if !p.in_window(now) => Err(Because::OutsideWindow),
            Some(p) => Ok(p),
        }
    }

    /// The clocks `[from, until)` around `now` at which §3.1 rule 1 answers
    /// as it does at `now` (a policy in force, or none), while the guard is
    /// unchanged: the active policy's window when `now` is inside it, the
    /// stretch before or after it when outside, every clock when no policy
    /// is loaded. `now` is inside it, except `now = u64::MAX` after a window
    /// (a half-open interval cannot hold it; the memo then never reuses).
    pub(crate) fn in_force_span(&self, now: u64) -> Range<u64> {
        let Some(policy) = &self.active else {
            return 0..u64::MAX;
        };
        let (from, until) = policy.window();
        if now < from {
            0..from
        } else if now < until {
            from..until
        } else {
            // An empty window (`until <= from`) is outside at every clock.
            from.max(until)..u64::MAX
        }
    }

    /// §3.1 rules 1, 2 and 2a, for every check: the policy and the app, or
    /// the verdict. A removed app is denied in every mode.
    #[inline(always)]
    pub(crate) fn rule_app(
        &self,
        app: Option<u32>,
        now: u64,
    ) -> Result<(&Compiled, &AppRules), (Verdict, Because)> {
        let policy = self
            .in_force(now)
            .map_err(|b| (Verdict::deny(DenyCode::NoPolicy), b))?;
        let Some(rules) = app.and_then(|h| policy.app(h)) else {
            return Err(under(
                policy.mode,
                DenyCode::UnknownApp,
                Because::UnknownApp,
            ));
        };
        if rules.removed {
            return Err((Verdict::deny(DenyCode::AppRemoved), Because::AppRemoved));
        }
        Ok((policy, rules))
    }

    /// §3.1 and §3.2.
    #[inline(always)]
    pub(crate) fn eval_api(
        &self,
        app: Option<u32>,
        api: Option<u32>,
        now: u64,
    ) -> (Verdict, Because) {
        let (policy, rules) = match self.rule_app(app, now) {
            Ok(found) => found,
            Err(decided) => return decided,
        };
        let flags = api.map_or(0, |id| policy.api_flags(id));
        let listed = |list: &[u32]| api.is_some_and(|id| list.binary_search(&id).is_ok());
        // Rule 3.
        if rules.control.apis && flags & BUILTIN == 0 && !listed(&rules.whitelist) {
            return under(
                rules.mode,
                DenyCode::ApiNotWhitelisted,
                Because::ApiNotWhitelisted,
            );
        }
        // Rule 4.
        if flags & rules.restricted_bit != 0 {
            if !listed(&rules.granted) {
                return under(
                    rules.mode,
                    DenyCode::PermissionNotGranted,
                    Because::ApiNotGranted,
                );
            }
            return (Verdict::ALLOW, Because::ApiGranted);
        }
        // Rule 5.
        let because = if !rules.control.apis {
            Because::ApiUnrestricted
        } else if flags & BUILTIN != 0 {
            Because::ApiBuiltin
        } else {
            Because::ApiWhitelisted
        };
        (Verdict::ALLOW, because)
    }

    /// The clocks `[from, until)` around `now` over which [`Guard::eval_api`]
    /// answers `(app, api)` as it does at `now` while the guard's state is
    /// unchanged (what the JS bridge's memo of allowed API verdicts reuses
    /// a verdict for, decision 641). Of the rules of §3.1 and §3.2
    /// (../shared/spec/policy.md) only rule 1 reads the clock: the policy
    /// in force is the one whose window holds `now`. Rules 2 to 5 read the
    /// policy's tables and the two ids, never the clock, so `app` and `api`
    /// do not narrow the span today. A rule that comes to read the clock
    /// for an API check narrows it here, the one place to change.
    #[inline]
    pub(crate) fn api_span(&self, _app: Option<u32>, _api: Option<u32>, now: u64) -> Range<u64> {
        self.in_force_span(now)
    }

    /// §3.1 and §3.3 (and §3.7 for `media`). Also returns the parsed URL,
    /// for messages and the href.
    pub(crate) fn eval_url<'u>(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        url: &'u str,
        now: u64,
    ) -> (Verdict, Because, Option<Target<'u>>) {
        let (policy, rules) = match self.rule_app(app, now) {
            Ok(found) => found,
            Err((v, b)) => return self.harden(v, b, kind, Some(url), now),
        };
        if !kind.is_url() {
            return (
                Verdict::deny(DenyCode::InvalidUrl),
                Because::NotThisKind,
                None,
            );
        }
        if kind == CheckKind::Media {
            return self.media_rules(policy, rules, url).0;
        }
        url_rules(policy, rules, kind, url)
    }

    /// §3.7 for a media target once §3.1 found the app: classified first,
    /// then (reaching the network) §3.3 rules 3 to 8 with the media list, or
    /// as `download` under a `schema: 1` or `2` document. Also returns what
    /// the enforcement point hands on when a local or inline target goes
    /// through (a network target's is its href).
    pub(crate) fn media_rules<'u>(
        &self,
        policy: &Compiled,
        rules: &AppRules,
        url: &'u str,
    ) -> ((Verdict, Because, Option<Target<'u>>), Option<Cow<'u, str>>) {
        if url.len() > limits::MAX_URL_BYTES {
            let deny = (
                Verdict::deny(DenyCode::InvalidUrl),
                Because::UrlTooLong,
                None,
            );
            return (deny, None);
        }
        match media::classify(url, &self.local_prefixes) {
            MediaTarget::Local(local) => ((Verdict::ALLOW, Because::MediaLocal, None), Some(local)),
            MediaTarget::Invalid => {
                let deny = (
                    Verdict::deny(DenyCode::InvalidUrl),
                    Because::MediaInvalid,
                    None,
                );
                (deny, None)
            }
            MediaTarget::Network(Cow::Borrowed(network)) => {
                let kind = if policy.media_as_download {
                    CheckKind::Download
                } else {
                    CheckKind::Media
                };
                (url_rules(policy, rules, kind, network), None)
            }
            MediaTarget::Network(Cow::Owned(network)) => {
                // Preprocessing removed tabs or newlines: decide on the
                // cleaned target, and hand on its serialisation.
                let kind = if policy.media_as_download {
                    CheckKind::Download
                } else {
                    CheckKind::Media
                };
                let (v, b, parsed) = url_rules(policy, rules, kind, &network);
                let owned = parsed.map(Target::into_owned);
                let href = owned.as_ref().and_then(|t| t.href.clone());
                ((v, b, owned), href)
            }
        }
    }

    /// §3 (contract v3, every schema): a call report mode would let through
    /// on a reportable denial of §3.1 is still parsed and compared with
    /// `blocked_hosts`: a target over 2 MiB, that does not parse or that
    /// has a username or password (rule 3) is denied `invalid_url`, a
    /// blocked host `domain_blocked`; otherwise the
    /// reportable code stands. A media target that §3.7 classifies as local
    /// or inline is not parsed for this. `url` is `None` for a redirect that
    /// did not resolve.
    pub(crate) fn harden<'u>(
        &self,
        verdict: Verdict,
        because: Because,
        kind: CheckKind,
        url: Option<&'u str>,
        now: u64,
    ) -> (Verdict, Because, Option<Target<'u>>) {
        let invalid = |b| (Verdict::deny(DenyCode::InvalidUrl), b, None);
        if !verdict.reported() {
            return (verdict, because, None);
        }
        let Some(url) = url else {
            return invalid(Because::RedirectUnresolved);
        };
        if url.len() > limits::MAX_URL_BYTES {
            return invalid(Because::UrlTooLong);
        }
        let url = if kind == CheckKind::Media {
            match media::classify(url, &self.local_prefixes) {
                MediaTarget::Local(_) => return (verdict, because, None),
                MediaTarget::Invalid => return invalid(Because::MediaInvalid),
                MediaTarget::Network(Cow::Borrowed(n)) => n,
                MediaTarget::Network(Cow::Owned(n)) => {
                    let (v, b, t) =
                        self.harden(verdict, because, CheckKind::Request, Some(&n), now);
                    return (v, b, t.map(Target::into_owned));
                }
            }
        } else {
            url
        };
        let Some(target) = target::parse(url) else {
            return invalid(Because::UrlUnparsable);
        };
        // Rule 3 as a whole: a username or password is `invalid_url` too,
        // before rule 4a, as when the app is known.
        if target.userinfo {
            return (
                Verdict::deny(DenyCode::InvalidUrl),
                Because::UrlUserinfo,
                Some(target),
            );
        }
        if let Some(b) = self
            .in_force(now)
            .ok()
            .and_then(|p| blocked_target(p, &target))
        {
            return (Verdict::deny(DenyCode::DomainBlocked), b, Some(target));
        }
        (verdict, because, Some(target))
    }

    /// §3.1 and §3.6: a redirect hop is checked as a new URL of the same kind
    /// (`resolved` is the hop's absolute target, `None` when it does not
    /// resolve), and the 11th hop is `invalid_url`.
    pub(crate) fn eval_redirect<'u>(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        resolved: Option<&'u str>,
        hop: u32,
        now: u64,
    ) -> (Verdict, Because, Option<Target<'u>>) {
        let (policy, rules) = match self.rule_app(app, now) {
            Ok(found) => found,
            Err((v, b)) => return self.harden(v, b, kind, resolved, now),
        };
        let invalid = |because| (Verdict::deny(DenyCode::InvalidUrl), because, None);
        if !follows_redirects(kind) {
            return invalid(Because::NotThisKind);
        }
        // Hops count from 1; hop 0 is no hop at all, a caller bug.
        if hop == 0 || hop > limits::MAX_REDIRECT_HOPS {
            return invalid(Because::RedirectHops);
        }
        let Some(url) = resolved else {
            return invalid(Because::RedirectUnresolved);
        };
        url_rules(policy, rules, kind, url)
    }

    /// §3.1 and §3.5.
    #[inline]
    pub(crate) fn eval_launch(
        &self,
        app: Option<u32>,
        version: &str,
        package_sha256: &str,
        now: u64,
    ) -> (Verdict, Because) {
        let rules = match self.rule_app(app, now) {
            Ok((_, rules)) => rules,
            Err(decided) => return decided,
        };
        let deny = |because| under(rules.mode, DenyCode::VersionNotReleased, because);
        let Some((released, digest)) = &rules.release else {
            return deny(Because::NoRelease);
        };
        if version != &**released {
            return deny(Because::WrongVersion);
        }
        if parse_sha256(package_sha256).as_ref() != Some(digest) {
            return deny(Because::WrongPackage);
        }
        (Verdict::ALLOW, Because::Released)
    }

    /// §3.1 and §3.7. Also returns the host as the WHATWG host parser
    /// serialised it, when it is a valid host and the port is in range.
    pub(crate) fn eval_socket(
        &self,
        app: Option<u32>,
        kind: CheckKind,
        host: &str,
        port: u32,
        now: u64,
    ) -> (Verdict, Because, Option<String>) {
        let deny = |code, because, host| (Verdict::deny(code), because, host);
        if !matches!(kind, CheckKind::Tcp | CheckKind::Udp) {
            return deny(DenyCode::InvalidUrl, Because::NotThisKind, None);
        }
        // §3.1; a report-mode pass (an unknown app) still parses the target
        // and compares it with `blocked_hosts` below (§3, v3).
        let (policy, rules, passed) = match self.rule_app(app, now) {
            Ok((policy, rules)) => (policy, Some(rules), None),
            Err((v, b)) if v.reported() => match self.in_force(now) {
                Ok(policy) => (policy, None, Some((v, b))),
                Err(_) => return (v, b, None),
            },
            Err((v, b)) => return (v, b, None),
        };
        if !(1..=u32::from(u16::MAX)).contains(&port) {
            return deny(DenyCode::InvalidUrl, Because::SocketPort, None);
        }
        // The host parser of special URLs (percent-decoding, IDNA, IPv4
        // forms, IPv6 in brackets): the same reading a URL's host gets.
        let parsed = if host.len() > limits::MAX_URL_BYTES {
            None
        } else {
            Host::parse(host).ok()
        };
        let Some(parsed) = parsed else {
            return deny(DenyCode::InvalidUrl, Because::SocketHost, None);
        };
        let serialised = parsed.to_string();
        let domain = match &parsed {
            Host::Domain(domain) => Some(domain.as_str()),
            Host::Ipv4(_) | Host::Ipv6(_) => None,
        };
        if let Some(b) = domain.and_then(|d| blocked(policy, d)) {
            return deny(DenyCode::DomainBlocked, b, Some(serialised));
        }
        let (Some(rules), None) = (rules, passed) else {
            let (v, b) = passed.unwrap_or((Verdict::deny(DenyCode::NoPolicy), Because::NoPolicy));
            return (v, b, Some(serialised));
        };
        if !rules.control.server_domains {
            return (Verdict::ALLOW, Because::SocketSwitchOff, Some(serialised));
        }
        // §3.7 (v3): the app's `tcp`/`udp` list, matched as rule 6 (an IP
        // address never matches); an entry without a port allows any.
        let list = if kind == CheckKind::Tcp {
            List::Tcp
        } else {
            List::Udp
        };
        let port = u16::try_from(port).unwrap_or(0);
        let listed = domain.map(|d| policy.match_host(rules.index, list, d, port));
        match listed {
            Some(HostMatch::Exact) => (
                Verdict::ALLOW,
                Because::SocketListed(None),
                Some(serialised),
            ),
            Some(HostMatch::Wildcard(at)) => (
                Verdict::ALLOW,
                Because::SocketListed(Some(at)),
                Some(serialised),
            ),
            _ => {
                let (v, b) = under(
                    rules.mode,
                    DenyCode::DomainNotWhitelisted,
                    Because::SocketNoList,
                );
                (v, b, Some(serialised))
            }
        }
    }
}

/// §3.3 rule 4a on a parsed URL: an IP address never matches.
#[inline]
fn blocked_target(policy: &Compiled, target: &Target<'_>) -> Option<Because> {
    if target.ip {
        return None;
    }
    target.host().and_then(|h| blocked(policy, h))
}

/// §3.3 rule 4a on a domain host: the pattern that blocks it, if one does.
#[inline]
fn blocked(policy: &Compiled, host: &str) -> Option<Because> {
    match policy.match_blocked(host) {
        HostMatch::Exact => Some(Because::Blocked(None)),
        HostMatch::Wildcard(at) => Some(Because::Blocked(Some(at))),
        HostMatch::WrongPort | HostMatch::None => None,
    }
}

/// §3.3 rules 3 to 8 for `url` of a URL kind, once §3.1 found the app.
fn url_rules<'u>(
    policy: &Compiled,
    rules: &AppRules,
    kind: CheckKind,
    url: &'u str,
) -> (Verdict, Because, Option<Target<'u>>) {
    let deny = |code, because, parsed| {
        let (v, b) = under(rules.mode, code, because);
        (v, b, parsed)
    };
    // Every URL target over 2 MiB (§3, v3: in every mode), then rule 3:
    // `invalid_url` is denied in every mode.
    let invalid = |because, parsed| (Verdict::deny(DenyCode::InvalidUrl), because, parsed);
    if url.len() > limits::MAX_URL_BYTES {
        return invalid(Because::UrlTooLong, None);
    }
    let Some(target) = target::parse(url) else {
        return invalid(Because::UrlUnparsable, None);
    };
    if target.userinfo {
        return invalid(Because::UrlUserinfo, Some(target));
    }
    // Rule 4, then rule 4a, as rule 6 compares hosts (an IP address never
    // matches). In report mode a scheme denial is reportable, so the
    // blocked hosts are still compared before the call goes through.
    if target.scheme != Some(kind.scheme()) {
        if rules.mode == Mode::Report {
            if let Some(b) = blocked_target(policy, &target) {
                return (Verdict::deny(DenyCode::DomainBlocked), b, Some(target));
            }
        }
        return deny(DenyCode::InsecureScheme, Because::UrlScheme, Some(target));
    }
    if let Some(b) = blocked_target(policy, &target) {
        return deny(DenyCode::DomainBlocked, b, Some(target));
    }
    // Rule 5: the kind's switch and list (v3: its own `domains` list when
    // the app has one, §1).
    let switch = match kind {
        CheckKind::Webview => rules.control.webview_domains,
        CheckKind::Media => rules.control.media(),
        _ => rules.control.server_domains,
    };
    let list = rules.list(kind);
    if !switch {
        return (Verdict::ALLOW, Because::SwitchOff, Some(target));
    }
    // Rule 6.
    if target.ip {
        return deny(
            DenyCode::DomainNotWhitelisted,
            Because::IpHost,
            Some(target),
        );
    }
    let Some(host) = target.host() else {
        return deny(
            DenyCode::DomainNotWhitelisted,
            Because::NoHost,
            Some(target),
        );
    };
    // Rules 6, 7 and 8.
    let port = target.port.unwrap_or(DEFAULT_PORT);
    match policy.match_host(rules.index, list, host, port) {
        HostMatch::Exact => (Verdict::ALLOW, Because::Exact, Some(target)),
        HostMatch::Wildcard(at) => (Verdict::ALLOW, Because::Wildcard(at), Some(target)),
        HostMatch::WrongPort => deny(DenyCode::PortNotAllowed, Because::WrongPort, Some(target)),
        HostMatch::None => deny(
            DenyCode::DomainNotWhitelisted,
            Because::NoHost,
            Some(target),
        ),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::bundle;
    use crate::guard::{ApiId, AppHandle, Guard};
    use crate::keys::SecretKey;

    const SECRET: &str = "k3yK3yk3yK3yk3y1";
    /// Catalogue names (two of them restrictable), a custom one, and one no
    /// policy mentions.
    const APIS: [&str; 5] = [
        "getLocation",
        "chooseImage",
        "showToast",
        "payX",
        "notAnApi",
    ];
    const APPS: [&str; 3] = ["a", "b", "c"];

    /// One app of a generated policy: kind, `control.apis`, removed, its
    /// own mode, and which of [`APIS`] it whitelists and is granted (bits).
    type AppGen = (bool, bool, bool, Option<bool>, u8, u8);

    fn names(bits: u8) -> String {
        let listed: Vec<String> = APIS
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| format!("\"{n}\""))
            .collect();
        format!("[{}]", listed.join(","))
    }

    /// A policy with a random window (`nbf`, `expires_at`, `exp`), mode,
    /// restrictions and apps (the third app of [`APPS`] is never listed).
    fn policy(
        window: (Option<u64>, Option<u64>, Option<u64>),
        report: bool,
        restricted: u8,
        apps: &[AppGen],
    ) -> String {
        let mut doc = String::from(r#"{"schema":2,"superapp_id":"s","version":1,"issued_at":0"#);
        let (nbf, expires_at, exp) = window;
        for (key, v) in [("nbf", nbf), ("expires_at", expires_at), ("exp", exp)] {
            if let Some(v) = v {
                doc.push_str(&format!(r#","{key}":{v}"#));
            }
        }
        if report {
            doc.push_str(r#","mode":"report""#);
        }
        let sensitive: Vec<String> = ["getLocation", "chooseImage"]
            .iter()
            .enumerate()
            .filter(|(i, _)| restricted & (1 << i) != 0)
            .map(|(_, n)| {
                format!(r#"{{"name":"{n}","status":"restricted","scope":"all","type":"system"}}"#)
            })
            .collect();
        doc.push_str(&format!(r#","sensitive_apis":[{}]"#, sensitive.join(",")));
        let apps: Vec<String> = apps
            .iter()
            .zip(APPS)
            .map(|((game, apis, removed, mode, white, granted), id)| {
                let kind = if *game { "mini_game" } else { "mini_program" };
                let mode = match mode {
                    Some(true) => r#","mode":"report""#,
                    Some(false) => r#","mode":"enforce""#,
                    None => "",
                };
                format!(
                    r#"{{"app_id":"{id}","kind":"{kind}","removed":{removed}{mode},"control":{{"apis":{apis}}},"api_whitelist":{},"granted_apis":{}}}"#,
                    names(*white),
                    names(*granted)
                )
            })
            .collect();
        doc.push_str(&format!(r#","apps":[{}]}}"#, apps.join(",")));
        doc
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever the policy, its window and the clock, the API verdict of
        /// every app and API is the same at every clock inside the span
        /// [`Guard::api_verdict_span`] states (its ends, and clocks drawn
        /// between them), and the span holds the clock it was asked at.
        #[test]
        fn an_api_verdict_holds_over_its_whole_span(
            nbf in proptest::option::of(0u64..40),
            expires_at in proptest::option::of(1u64..80),
            exp in proptest::option::of(1u64..80),
            report in any::<bool>(),
            restricted in 0u8..4,
            apps in proptest::collection::vec(
                (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(any::<bool>()), 0u8..32, 0u8..32),
                0..3,
            ),
            load_at in 0u64..60,
            nows in proptest::collection::vec(prop_oneof![0u64..100, Just(u64::MAX - 1), Just(u64::MAX)], 1..6),
            picks in proptest::collection::vec(any::<u64>(), 8),
        ) {
            let key = SecretKey::new(SECRET).unwrap();
            let mut guard = Guard::new(SECRET).unwrap();
            let doc = policy((nbf, expires_at, exp), report, restricted, &apps);
            let loaded = guard.load(&bundle::sign(doc.as_bytes(), &key), load_at);
            let inside = nbf.is_none_or(|n| load_at >= n)
                && expires_at.is_none_or(|e| load_at < e)
                && exp.is_none_or(|e| load_at < e);
            // The generated policies are valid: one loads exactly when the
            // load's clock is in its window.
            prop_assert_eq!(loaded.is_ok(), inside, "{:?} {}", loaded, doc);
            let apps: Vec<AppHandle> = APPS.iter().map(|a| guard.app_handle(a).unwrap()).collect();
            let apis: Vec<ApiId> = APIS.iter().map(|a| guard.api_id(a).unwrap()).collect();
            for &now in &nows {
                for &app in &apps {
                    for &api in &apis {
                        let verdict = guard.check_api_id(app, api, now);
                        let span = guard.api_verdict_span(app, api, now);
                        prop_assert!(span.contains(&now) || now == u64::MAX, "{:?} {}", span, now);
                        if span.is_empty() {
                            continue;
                        }
                        let width = span.end - span.start;
                        let mut clocks = vec![span.start, span.end - 1];
                        clocks.extend(picks.iter().map(|p| span.start + p % width));
                        for t in clocks {
                            prop_assert_eq!(
                                guard.check_api_id(app, api, t),
                                verdict,
                                "{:?} at {} changed at {} inside {:?}: {}", app, now, t, span, doc
                            );
                        }
                    }
                }
            }
        }
    }
}

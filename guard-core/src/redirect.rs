//! Redirects (`policy.md` §3.6): an enforcement point that follows a redirect
//! checks every hop's absolute target as a new URL of the same kind for the
//! same app, before it connects, and follows at most
//! [`limits::MAX_REDIRECT_HOPS`] hops.

use url::Url;

use crate::decision::CheckKind;
use crate::guard::{url_verdict, Guard, UrlVerdict};
use crate::limits;

/// The absolute href a redirect from `base_href` to `location` points to, as
/// a browser resolves a `Location` (WHATWG URL parsing with a base URL);
/// `None` when either does not parse.
///
/// # Examples
///
/// ```
/// use guard_core::redirect::resolve;
/// assert_eq!(resolve("https://a.example/x/y", "../z?q").as_deref(), Some("https://a.example/z?q"));
/// assert_eq!(resolve("https://a.example/", "//B.example:443/").as_deref(), Some("https://b.example/"));
/// assert_eq!(resolve("https://a.example/", "https://exa mple/"), None);
/// assert_eq!(resolve("not a url", "/x"), None);
/// ```
pub fn resolve(base_href: &str, location: &str) -> Option<String> {
    if base_href.len() > limits::MAX_URL_BYTES || location.len() > limits::MAX_URL_BYTES {
        return None;
    }
    let base = Url::parse(base_href).ok()?;
    base.join(location).ok().map(String::from)
}

impl Guard {
    /// Checks redirect hop number `hop` (counted from 1) of a `kind` call
    /// (`request`, `upload`, `download`, or a `webview` navigation) from
    /// `base_href` to `location` (§3.1, §3.6): the hop's absolute target is
    /// checked as a URL of `kind`, and hop 11 and later are `invalid_url`, as
    /// is a target that does not resolve. Also returns the target's href, the
    /// one to connect to, whenever it resolves. A denied hop ends the call
    /// with this decision, whose message names the host the redirect
    /// pointed to.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::{bundle, CheckKind, DenyCode, Guard, SecretKey};
    /// let secret = "k3yK3yk3yK3yk3y1";
    /// let policy = br#"{"schema":1,"superapp_id":"demo","version":1,"issued_at":0,
    ///   "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true},
    ///            "server_domains":["https://api.example"]}]}"#;
    /// let mut guard = Guard::new(secret).unwrap();
    /// guard.load(&bundle::sign(policy, &SecretKey::new(secret).unwrap()), 100).unwrap();
    /// let base = "https://api.example/login";
    /// let (v, href) = guard.check_redirect("mp", CheckKind::Request, base, "/home", 1, 100);
    /// assert!(v.verdict.allow());
    /// assert_eq!(href.as_deref(), Some("https://api.example/home"));
    /// let (v, _) = guard.check_redirect("mp", CheckKind::Request, base, "https://evil.example/", 2, 100);
    /// assert_eq!(v.decision(CheckKind::Request).message, "request:fail url not in domain list:evil.example");
    /// let (v, _) = guard.check_redirect("mp", CheckKind::Request, base, "/home", 11, 100);
    /// assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
    /// ```
    pub fn check_redirect(
        &self,
        app: &str,
        kind: CheckKind,
        base_href: &str,
        location: &str,
        hop: u32,
        now: u64,
    ) -> (UrlVerdict, Option<String>) {
        let resolved = resolve(base_href, location);
        let (verdict, _, target) =
            self.eval_redirect(self.app_ids.get(app), kind, resolved.as_deref(), hop, now);
        let verdict = url_verdict(verdict, target.as_ref(), false);
        (verdict, resolved)
    }
}

#[cfg(test)]
mod tests {
    use crate::{bundle, CheckKind, DenyCode, Guard, SecretKey};

    const SECRET: &str = "k3yK3yk3yK3yk3y1";

    fn guard() -> Guard {
        let policy = br#"{"schema":2,"superapp_id":"s","version":1,"issued_at":0,
          "blocked_hosts":["*.internal.example"],
          "apps":[{"app_id":"mp","kind":"mini_program","control":{"server_domains":true,"webview_domains":true},
                   "server_domains":["https://api.example","https://cdn.example"],
                   "webview_domains":["https://h5.example"]},
                  {"app_id":"trial","kind":"mini_program","mode":"report","control":{"server_domains":true},
                   "server_domains":["https://api.example"]},
                  {"app_id":"gone","kind":"mini_program","removed":true}]}"#;
        let mut g = Guard::new(SECRET).unwrap();
        g.load(&bundle::sign(policy, &SecretKey::new(SECRET).unwrap()), 10)
            .unwrap();
        g
    }

    #[test]
    fn hops_count_from_one_and_the_eleventh_is_invalid() {
        let g = guard();
        let base = "https://api.example/a/b";
        for hop in 1..=10 {
            let (v, href) = g.check_redirect("mp", CheckKind::Request, base, "../c", hop, 10);
            assert!(v.verdict.allow(), "hop {hop}");
            assert_eq!(href.as_deref(), Some("https://api.example/c"));
        }
        for hop in [0, 11, u32::MAX] {
            let (v, _) = g.check_redirect("mp", CheckKind::Request, base, "/c", hop, 10);
            assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl), "hop {hop}");
        }
        // `invalid_url` is denied in every mode (contract v3), so report
        // mode denies the 11th hop too.
        let (v, _) = g.check_redirect("trial", CheckKind::Request, base, "/c", 11, 10);
        assert!(!v.verdict.allow() && !v.verdict.reported());
        assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
    }

    #[test]
    fn each_hop_is_a_new_url_of_the_same_kind() {
        let g = guard();
        let base = "https://api.example/";
        let check = |kind, location: &str| g.check_redirect("mp", kind, base, location, 1, 10);
        let (v, href) = check(CheckKind::Download, "//cdn.example/f.zip");
        assert!(v.verdict.allow());
        assert_eq!(href.as_deref(), Some("https://cdn.example/f.zip"));
        let (v, _) = check(CheckKind::Request, "https://evil.example/");
        assert_eq!(
            v.decision(CheckKind::Request).message,
            "request:fail url not in domain list:evil.example"
        );
        let (v, _) = check(CheckKind::Upload, "https://a.internal.example/");
        assert_eq!(
            v.decision(CheckKind::Upload).message,
            "uploadFile:fail url in blocked domain list:a.internal.example"
        );
        let (v, _) = check(CheckKind::Request, "http://api.example/");
        assert_eq!(v.verdict.code(), Some(DenyCode::InsecureScheme));
        let (v, _) = check(CheckKind::Request, "https://u:p@api.example/");
        assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
        let (v, href) = check(CheckKind::Request, "https://exa mple/");
        assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
        assert_eq!(href, None);
        let (v, _) = g.check_redirect("mp", CheckKind::Request, "no base", "/x", 1, 10);
        assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl));
        // A web-view navigation is checked against the web-view list.
        let (v, _) = g.check_redirect(
            "mp",
            CheckKind::Webview,
            "https://h5.example/",
            "https://api.example/",
            1,
            10,
        );
        assert_eq!(v.verdict.code(), Some(DenyCode::DomainNotWhitelisted));
        // Sockets and the other kinds do not follow redirects.
        for kind in [
            CheckKind::Socket,
            CheckKind::Api,
            CheckKind::Tcp,
            CheckKind::Launch,
        ] {
            let (v, _) = check(kind, "/x");
            assert_eq!(v.verdict.code(), Some(DenyCode::InvalidUrl), "{kind}");
        }
        let (v, _) = g.check_redirect("gone", CheckKind::Request, base, "/x", 1, 10);
        assert_eq!(v.verdict.code(), Some(DenyCode::AppRemoved));
        let e = g.explain_check(
            "mp",
            &crate::Check::Redirect {
                kind: CheckKind::Request,
                base_href: base,
                location: "/x",
                hop: 11,
            },
            10,
        );
        assert_eq!(e.rule, "§3.6");
    }
}

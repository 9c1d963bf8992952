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

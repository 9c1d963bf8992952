//! What every console page shares: the layout's data (who is signed in,
//! the navigation their role may use, the flash message, the CSRF token of
//! their forms), submitted forms and their errors, paging, times, and
//! turning a template or an error into a response.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use guard_core::AppKind;

use crate::auth::{Action, Caller, Role};
use crate::console::session::Session;
use crate::error::ApiError;

/// Renders `t` with `status`; a template that fails to render (a bug) is a
/// plain 500 with the detail in the log only.
pub fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A 303 to `to` (after a successful form: Post/Redirect/Get).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// The sign-in page that returns to `next` afterwards.
pub fn login_href(next: &str) -> String {
    format!("/console/login?next={}", q(next))
}

/// A radio button of a choice.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Its value.
    pub value: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Whether it is checked.
    pub checked: bool,
}

/// The display name of a role.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "Super admin",
        Role::PlatformAdmin => "Platform admin",
        Role::SuperappAdmin => "Superapp administrator",
        Role::SuperappSeniorDeveloper => "Superapp senior developer",
        Role::ReviewStaff => "Review staff",
        Role::Developer => "Developer",
    }
}

/// How people read an app kind.
pub fn kind_label(k: AppKind) -> &'static str {
    match k {
        AppKind::MiniProgram => "Mini program",
        AppKind::MiniGame => "Mini game",
    }
}

/// A link of the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Its text.
    pub label: &'static str,
    /// Where it goes.
    pub href: String,
    /// Whether it is the page shown (`aria-current="page"`).
    pub current: bool,
}

/// A group of links.
#[derive(Debug, Clone)]
pub struct NavSection {
    /// The group's heading.
    pub title: String,
    /// Its links.
    pub items: Vec<NavItem>,
}

/// The signed-in person.
#[derive(Debug, Clone)]
pub struct Me {
    /// Their account id.
    pub id: String,
    /// Their name.
    pub name: String,
    /// Their role, for people.
    pub role_label: &'static str,
}

/// The layout's data.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page title.
    pub title: String,
    /// Who is signed in (`None` on the sign-in pages).
    pub me: Option<Me>,
    /// The session's CSRF token, for every form of the page.
    pub csrf: String,
    /// The navigation the role may use.
    pub nav: Vec<NavSection>,
    /// A message from the previous request (Post/Redirect/Get).
    pub flash: Option<String>,
}

impl Chrome {
    /// The chrome of a page outside a session (sign-in, invite, errors).
    pub fn anonymous(title: impl Into<String>) -> Chrome {
        Chrome {
            title: title.into(),
            me: None,
            csrf: String::new(),
            nav: Vec::new(),
            flash: None,
        }
    }

    /// The chrome of a page at `path` for `session`, in the context of
    /// superapp `sid` when the page is about one.
    pub fn new(
        session: &Session,
        title: impl Into<String>,
        path: &str,
        sid: Option<&str>,
    ) -> Chrome {
        Chrome {
            title: title.into(),
            me: Some(Me {
                id: session.caller.id.clone(),
                name: session.name.clone(),
                role_label: role_label(session.caller.role),
            }),
            csrf: session.csrf.clone(),
            nav: nav(&session.caller, path, sid),
            flash: session.flash.as_deref().map(humane),
        }
    }
}

/// The navigation of `caller`: only what its role may open. Each page
/// still asks the service layer, which refuses anyway.
pub fn nav(caller: &Caller, path: &str, sid: Option<&str>) -> Vec<NavSection> {
    let item = |label, href: String| NavItem {
        current: path == href,
        label,
        href,
    };
    let mut out = Vec::new();
    let superapp = if caller.role.superapp_scoped() {
        caller.superapp_id.as_deref()
    } else if caller.role == Role::Developer {
        None
    } else {
        sid
    };
    if let Some(s) = superapp {
        let base = format!("/console/superapps/{s}");
        let mut items = vec![item("Sensitive API management", format!("{base}/apis"))];
        if caller.may(Action::ViewApprovals, s) {
            items.push(item(
                "Sensitive API call approvals",
                format!("{base}/approvals"),
            ));
            items.push(item("Mini programs", format!("{base}/apps")));
            items.push(item("Mini program review", format!("{base}/review")));
        }
        items.push(item("Permission control", format!("{base}/control")));
        items.push(item("Configuration management", format!("{base}/config")));
        if caller.may(Action::ViewApprovals, s) {
            items.push(item("Violations", format!("{base}/violations")));
            items.push(item("Audit log", format!("{base}/audit")));
        }
        out.push(NavSection {
            title: format!("Superapp {s}"),
            items,
        });
    }
    if caller.role != Role::Developer {
        out.push(NavSection {
            title: "Application management".into(),
            items: vec![item("Applications", "/console/applications".into())],
        });
    }
    if caller.role == Role::Developer {
        out.push(NavSection {
            title: "Mini program management".into(),
            items: vec![
                item("My mini programs", "/console/apps".into()),
                item("Create a mini program", "/console/apps/new".into()),
            ],
        });
    }
    if caller.may_platform(Action::ViewAccounts) {
        out.push(NavSection {
            title: "Platform".into(),
            items: vec![
                item("Teams", "/console/platform/teams".into()),
                item("Accounts and invites", "/console/platform/accounts".into()),
                item("Audit log", "/console/platform/audit".into()),
            ],
        });
    }
    out
}

/// A form as it was submitted, and why it was refused: re-rendered with
/// its input kept, every error beside the field it names, and the first
/// one focused (`autofocus`: no script needed).
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// Which form of the page (its `name="form"` value).
    pub form: String,
    /// The values as submitted.
    pub values: Vec<(String, String)>,
    /// Every refusal, in the form's order: the field it names (`None`
    /// for the whole form) and why, in people's words ([`humane`]).
    pub errors: Vec<(Option<String>, String)>,
}

impl Submitted {
    /// Nothing submitted.
    pub fn none() -> Submitted {
        Submitted::default()
    }

    /// `form` refused with `e`.
    pub fn refused(form: &str, values: Vec<(String, String)>, e: &ApiError) -> Submitted {
        Submitted::refused_all(form, values, std::slice::from_ref(e))
    }

    /// `form` refused with every error of `errors`. A field the API names
    /// that the form does not have (`blocked_hosts[3]`) is shown at the
    /// form's field of that name before the index.
    pub fn refused_all(
        form: &str,
        values: Vec<(String, String)>,
        errors: &[ApiError],
    ) -> Submitted {
        let errors = errors
            .iter()
            .map(|e| match e {
                ApiError::BadRequest { field, reason } => {
                    let (base, rest) = match field.split_once('[') {
                        Some((b, r)) => (b.to_owned(), Some(r.trim_end_matches(']').to_owned())),
                        None => (field.clone(), None),
                    };
                    let message = match rest.and_then(|i| i.parse::<usize>().ok()) {
                        Some(i) => format!("line {}: {reason}", i + 1),
                        None => reason.clone(),
                    };
                    (Some(base), humane(&message))
                }
                other => (None, humane(&other.to_string())),
            })
            .collect();
        Submitted {
            form: form.to_owned(),
            values,
            errors,
        }
    }

    /// Whether `form` is the one submitted.
    pub fn is(&self, form: &str) -> bool {
        self.form == form
    }

    /// The submitted value of `field` in `form` (empty when another form was
    /// submitted or none).
    pub fn value(&self, form: &str, field: &str) -> &str {
        if !self.is(form) {
            return "";
        }
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The submitted value, or `default` when `form` was not submitted.
    pub fn value_or<'a>(&'a self, form: &str, field: &str, default: &'a str) -> &'a str {
        if self.is(form) {
            self.value(form, field)
        } else {
            default
        }
    }

    /// Whether checkbox `field` of `form` was checked (or, when `form` was
    /// not submitted, `default`).
    pub fn checked(&self, form: &str, field: &str, default: bool) -> bool {
        if self.is(form) {
            self.values.iter().any(|(k, _)| k == field)
        } else {
            default
        }
    }

    /// The error of `field` in `form` (every one of it, joined).
    pub fn error(&self, form: &str, field: &str) -> Option<String> {
        let all: Vec<&str> = self
            .errors
            .iter()
            .filter(|(f, _)| self.is(form) && f.as_deref() == Some(field))
            .map(|(_, m)| m.as_str())
            .collect();
        (!all.is_empty()).then(|| all.join(" "))
    }

    /// Whether `field` holds the first error of `form`: the one focused.
    pub fn first(&self, form: &str, field: &str) -> bool {
        self.is(form)
            && self
                .errors
                .first()
                .is_some_and(|(f, _)| f.as_deref() == Some(field))
    }

    /// The errors of `form` that name none of its `fields` (comma-separated:
    /// the fields the form shows errors beside), joined.
    pub fn banner(&self, form: &str, fields: &str) -> Option<String> {
        let shown = |f: &Option<String>| {
            f.as_deref()
                .is_some_and(|f| fields.split(',').any(|x| x.trim() == f))
        };
        let all: Vec<&str> = self
            .errors
            .iter()
            .filter(|(f, _)| self.is(form) && !shown(f))
            .map(|(_, m)| m.as_str())
            .collect();
        (!all.is_empty()).then(|| all.join(" "))
    }

    /// Whether the first error of `form` is one of its banner: the banner
    /// is then focused.
    pub fn banner_first(&self, form: &str, fields: &str) -> bool {
        self.is(form)
            && self.errors.first().is_some_and(|(f, _)| {
                !f.as_deref()
                    .is_some_and(|f| fields.split(',').any(|x| x.trim() == f))
            })
    }
}

/// A message as people read it (decision 461): the API's `backticks`
/// around names become quotation marks, and a refusal by the guard's own
/// rules does not show the document path it found (`apps[2].server_domains[0]`),
/// which names nothing on the page.
///
/// # Examples
///
/// ```
/// use guard_server::console::page::humane;
/// assert_eq!(humane("`x` is taken"), "“x” is taken");
/// assert_eq!(
///     humane("refused by the policy rules: apps[2].server_domains[0]: has a bad port"),
///     "refused by the guard's rules: has a bad port"
/// );
/// ```
pub fn humane(message: &str) -> String {
    const RULES: &str = "refused by the policy rules: ";
    let message = match message.find(RULES) {
        Some(at) => {
            let rest = &message[at + RULES.len()..];
            let reason = match rest.split_once(": ") {
                Some((path, reason)) if !path.contains(' ') => reason,
                _ => rest,
            };
            format!("{}refused by the guard's rules: {reason}", &message[..at])
        }
        None => message.to_owned(),
    };
    let mut out = String::with_capacity(message.len() + 8);
    let mut open = false;
    for c in message.chars() {
        if c == '`' {
            out.push(if open { '”' } else { '“' });
            open = !open;
        } else {
            out.push(c);
        }
    }
    out
}

/// A page of a longer list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// This page (from 1).
    pub number: usize,
    /// How many pages.
    pub pages: usize,
    /// How many items in all.
    pub total: usize,
    /// The link to the previous page.
    pub prev: Option<String>,
    /// The link to the next page.
    pub next: Option<String>,
}

/// Rows per page.
pub const PAGE_SIZE: usize = 20;

impl<T> Page<T> {
    /// Page `number` of `all`; `link(n)` is the URL of page `n`.
    pub fn of(all: Vec<T>, number: usize, link: impl Fn(usize) -> String) -> Page<T> {
        let total = all.len();
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        let number = number.clamp(1, pages);
        let items = all
            .into_iter()
            .skip((number - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect();
        Page {
            items,
            number,
            pages,
            total,
            prev: (number > 1).then(|| link(number - 1)),
            next: (number < pages).then(|| link(number + 1)),
        }
    }

    /// Page `number` of a list of `total` items the store paged already.
    pub fn paged(
        items: Vec<T>,
        number: usize,
        total: usize,
        link: impl Fn(usize) -> String,
    ) -> Page<T> {
        let pages = total.div_ceil(PAGE_SIZE).max(1);
        Page {
            items,
            number,
            pages,
            total,
            prev: (number > 1).then(|| link(number - 1)),
            next: (number < pages).then(|| link(number + 1)),
        }
    }
}

/// Unix seconds as RFC 3339 UTC (for `<time datetime>`; the script shows it
/// in the viewer's time zone) and as text for browsers without the script.
#[derive(Debug, Clone)]
pub struct When {
    /// `2026-11-22T10:00:00Z`.
    pub iso: String,
    /// `2026-11-22 10:00 UTC`.
    pub text: String,
}

impl When {
    /// `secs` since the epoch.
    pub fn at(secs: i64) -> When {
        let t = time::OffsetDateTime::from_unix_timestamp(secs)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let iso = t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let text = format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        );
        When { iso, text }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_forms_name_the_field_and_keep_the_input() {
        let values = vec![("value".to_owned(), "http://x.example".to_owned())];
        let s = Submitted::refused("add", values, &ApiError::bad("value", "not https"));
        assert_eq!(s.value("add", "value"), "http://x.example");
        assert_eq!(s.value("other", "value"), "");
        assert_eq!(s.error("add", "value").as_deref(), Some("not https"));
        assert_eq!(s.banner("add", "value,remark"), None);
        let s = Submitted::refused("b", vec![], &ApiError::bad("blocked_hosts[2]", "bad"));
        assert_eq!(
            s.error("b", "blocked_hosts").as_deref(),
            Some("line 3: bad")
        );
        let s = Submitted::refused("b", vec![], &ApiError::Conflict("`x` taken".into()));
        assert_eq!(s.banner("b", "value").as_deref(), Some("“x” taken"));
        assert!(s.banner_first("b", "value"));
    }

    #[test]
    fn every_error_is_kept_at_its_field_and_the_first_is_focused() {
        let errors = [
            ApiError::bad("value", "`http://x` is not https"),
            ApiError::bad("remark", "is longer than 200 characters"),
        ];
        let s = Submitted::refused_all("add", vec![], &errors);
        assert_eq!(
            s.error("add", "value").as_deref(),
            Some("“http://x” is not https")
        );
        assert_eq!(
            s.error("add", "remark").as_deref(),
            Some("is longer than 200 characters")
        );
        assert!(s.first("add", "value"));
        assert!(!s.first("add", "remark"));
        assert!(!s.first("other", "value"));
        assert_eq!(s.banner("add", "value,remark"), None);
        assert!(!s.banner_first("add", "value,remark"));
    }

    #[test]
    fn humane_messages_show_no_paths_and_no_backticks() {
        let m = humane("`value`: refused by the policy rules: apps[2].server_domains[0]: `https://a..b` has an empty label");
        assert!(!m.contains('`') && !m.contains("apps[2]"), "{m}");
        assert!(m.contains("“https://a..b” has an empty label"), "{m}");
        assert_eq!(humane("a lone ` stays paired"), "a lone “ stays paired");
    }

    #[test]
    fn pages_and_times() {
        let p = Page::of((0..45).collect::<Vec<_>>(), 3, |n| format!("?page={n}"));
        assert_eq!(
            (p.items.len(), p.pages, p.prev.as_deref(), p.next),
            (5, 3, Some("?page=2"), None)
        );
        let p = Page::of(Vec::<i32>::new(), 9, |n| n.to_string());
        assert_eq!((p.number, p.pages, p.prev, p.next), (1, 1, None, None));
        let w = When::at(1_795_305_600);
        assert_eq!(w.iso, "2026-11-22T00:00:00Z");
        assert_eq!(w.text, "2026-11-22 00:00 UTC");
        assert_eq!(q("a b/é"), "a%20b%2F%C3%A9");
    }
}

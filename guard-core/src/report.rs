//! Violation reports: what a device tells its superapp about the calls its
//! guard denied (and, in `report` mode, let through), aggregated so that a
//! device sends a bounded summary instead of one message per call.
//!
//! The contract says what a guard decides, not what it reports; this module
//! is the project's reporting format (`docs/decisions.md`, "Violation
//! reports"), with the Reporting API's defaults: at most [`MAX_REPORTS`]
//! distinct reports queued, none older than [`MAX_AGE_SECS`]. A report names
//! the app, the kind of check, the API name or the host (never a path, a
//! query, a port or the URL), the deny code, the mode, the policy version and
//! how often and when.
//!
//! Two sides use it: the enforcement point records into a [`ReportLog`] at
//! the decision (the wasm guard does so on every check, so direct checks are
//! reported as well as wrapped calls) and drains it into a [`Batch`]; the
//! server parses what devices send with [`Batch::from_json`], which refuses
//! anything this module would not have produced.
//!
//! # Examples
//!
//! ```
//! use guard_core::report::{ReportLog, Subject};
//! use guard_core::{CheckKind, DenyCode, Mode};
//!
//! let mut log = ReportLog::new();
//! for now in [100, 101, 102] {
//!     log.record("mp_shop", CheckKind::Request, Subject::Host(Some("evil.example")),
//!                DenyCode::DomainNotWhitelisted, Mode::Enforce, 7, now);
//! }
//! let batch = log.take(103);
//! assert_eq!(batch.reports.len(), 1);
//! assert_eq!(batch.reports[0].count, 3);
//! assert_eq!((batch.reports[0].first_seen, batch.reports[0].last_seen), (100, 102));
//! let json = batch.to_json();
//! assert_eq!(guard_core::report::Batch::from_json(json.as_bytes()).unwrap(), batch);
//! ```

use serde::de::{Deserializer, MapAccess};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::decision::{CheckKind, DenyCode, Verdict};
use crate::limits::MAX_NAME_BYTES;
use crate::policy::{check_name, truncate, Mode};

/// Most distinct reports a device keeps queued (the Reporting API's
/// default); denials that would need a new one beyond it are counted in
/// [`Batch::dropped`].
pub const MAX_REPORTS: usize = 100;

/// Most distinct reports one app may hold in the log: a mini program that
/// makes up denials fills its own share, never another app's (decision
/// 199). Report-mode passes may go past it while the log has room.
pub const MAX_REPORTS_PER_APP: usize = 25;

/// Reports whose last denial is older than this many seconds (15 minutes,
/// the Reporting API's default) are dropped instead of sent.
pub const MAX_AGE_SECS: u64 = 15 * 60;

/// Largest count one report may carry (a server refuses more).
pub const MAX_COUNT: u64 = 1 << 40;

/// What a report names besides the app: the API, or the host of a network
/// target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// An `api` check: the name called.
    Api(&'a str),
    /// A network check: the host as the guard parsed it (`None` when the
    /// target did not parse).
    Host(Option<&'a str>),
    /// A `launch` check: nothing besides the app.
    Nothing,
}

/// One report: identical denials of one app, aggregated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The app the guard checked for.
    pub app: String,
    /// The kind of check.
    pub kind: CheckKind,
    /// The API name (kind `api` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// The host (network kinds only; absent when the target did not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Why it was denied.
    pub code: DenyCode,
    /// `enforce` (denied) or `report` (let through by report mode).
    pub mode: Mode,
    /// The version of the policy that decided (`0`: none was loaded).
    pub policy_version: u64,
    /// How many calls.
    pub count: u64,
    /// The device's clock at the first of them (unix seconds; untrusted).
    pub first_seen: u64,
    /// The device's clock at the last of them.
    pub last_seen: u64,
}

/// What a device sends: its reports and how many denials it could not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Batch {
    /// At most [`MAX_REPORTS`].
    pub reports: Vec<Report>,
    /// Denials not kept because the queue was full.
    pub dropped: u64,
}

/// Read by the shared member loop of [`crate::members`] (decision 603).
impl<'de> crate::members::Members<'de> for Report {
    const EXPECTING: &'static str = "struct Report";
    const NAMES: &'static [&'static str] = &[
        "app",
        "kind",
        "api",
        "host",
        "code",
        "mode",
        "policy_version",
        "count",
        "first_seen",
        "last_seen",
    ];
    const REQUIRED: u64 = 0b11_1111_0011;

    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.app = map.next_value()?,
            1 => self.kind = map.next_value()?,
            2 => self.api = map.next_value()?,
            3 => self.host = map.next_value()?,
            4 => self.code = map.next_value()?,
            5 => self.mode = map.next_value()?,
            6 => self.policy_version = map.next_value()?,
            7 => self.count = map.next_value()?,
            8 => self.first_seen = map.next_value()?,
            _ => self.last_seen = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Report, D::Error> {
        // The names are placeholders: a missing one is refused.
        let empty = Report {
            app: String::new(),
            kind: CheckKind::ALL[0],
            api: None,
            host: None,
            code: DenyCode::ALL[0],
            mode: Mode::default(),
            policy_version: 0,
            count: 0,
            first_seen: 0,
            last_seen: 0,
        };
        crate::members::read(d, empty)
    }
}

/// Read by the shared member loop of [`crate::members`] (decision 603).
impl<'de> crate::members::Members<'de> for Batch {
    const EXPECTING: &'static str = "struct Batch";
    const NAMES: &'static [&'static str] = &["reports", "dropped"];
    const REQUIRED: u64 = 0b01;

    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.reports = map.next_value()?,
            _ => self.dropped = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Batch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Batch, D::Error> {
        crate::members::read(d, Batch::default())
    }
}

/// Why a batch was refused: the JSON path of the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{field}`: {reason}")]
#[non_exhaustive]
pub struct ReportError {
    /// The JSON path, e.g. `reports[3].host`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ReportError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> ReportError {
        ReportError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl Batch {
    /// The JSON a device sends (`{"reports":[...],"dropped":N}`).
    pub fn to_json(&self) -> String {
        // Serialising owned strings and integers cannot fail.
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from(r#"{"reports":[],"dropped":0}"#))
    }

    /// Parses and checks what a device sent: the shape (unknown fields
    /// refused, kinds, codes and modes by their contract names), at most
    /// [`MAX_REPORTS`] reports, each with the subject its kind has and no
    /// other, names as the policy bounds them, a count of 1 to
    /// [`MAX_COUNT`], `first_seen <= last_seen`, and a mode that could have
    /// produced it (report mode never lets `no_policy`, `app_removed` or
    /// `domain_blocked` through).
    ///
    /// # Errors
    ///
    /// [`ReportError`] naming the first offending field.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_core::report::Batch;
    /// let e = Batch::from_json(br#"{"reports":[{"app":"mp","kind":"api","host":"a.example",
    ///   "code":"permission_not_granted","mode":"enforce","policy_version":1,"count":1,
    ///   "first_seen":1,"last_seen":1}]}"#).unwrap_err();
    /// assert_eq!(e.field, "reports[0].api");
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Batch, ReportError> {
        let batch: Batch = crate::json_path::read(bytes).map_err(|(path, reason)| {
            let field = if path.is_empty() {
                "body".to_owned()
            } else {
                path
            };
            ReportError::new(field, reason)
        })?;
        if batch.reports.len() > MAX_REPORTS {
            return Err(ReportError::new(
                "reports",
                format!("{} reports; at most {MAX_REPORTS}", batch.reports.len()),
            ));
        }
        for (i, r) in batch.reports.iter().enumerate() {
            r.check().map_err(|(field, reason)| {
                ReportError::new(format!("reports[{i}].{field}"), reason)
            })?;
        }
        Ok(batch)
    }
}

impl Report {
    /// The checks of [`Batch::from_json`] for one report: `(field, reason)`.
    fn check(&self) -> Result<(), (&'static str, String)> {
        let name = |field: &'static str, value: &str| {
            check_name(|| field.to_owned(), value).map_err(|e| (field, e.reason))
        };
        name("app", &self.app)?;
        match (self.kind, &self.api, &self.host) {
            (CheckKind::Api, Some(api), None) => name("api", api)?,
            (CheckKind::Api, None, _) => return Err(("api", "required for kind `api`".into())),
            (CheckKind::Api, Some(_), Some(_)) => {
                return Err(("host", "not allowed for kind `api`".into()))
            }
            (_, Some(_), _) => {
                return Err(("api", format!("only for kind `api`, not `{}`", self.kind)))
            }
            (CheckKind::Launch, None, Some(_)) => {
                return Err(("host", "not allowed for kind `launch`".into()))
            }
            (_, None, Some(host)) => {
                name("host", host)?;
                if !host.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
                }) {
                    return Err((
                        "host",
                        format!(
                            "`{}` is not a host as the guard parses it",
                            host.escape_debug()
                        ),
                    ));
                }
            }
            (_, None, None) => {}
        }
        if self.mode == Mode::Report && !self.code.reportable() {
            return Err((
                "mode",
                format!("report mode never lets `{}` through", self.code),
            ));
        }
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(("count", format!("`{}` is not 1 to {MAX_COUNT}", self.count)));
        }
        if self.first_seen > self.last_seen {
            return Err((
                "first_seen",
                format!(
                    "`{}` is after `last_seen` `{}`",
                    self.first_seen, self.last_seen
                ),
            ));
        }
        Ok(())
    }
}

/// What identifies a report in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    app: Box<str>,
    kind: CheckKind,
    /// The API name or the host; empty for none.
    subject: Box<str>,
    code: DenyCode,
    mode: Mode,
    policy_version: u64,
}

/// [`Key`] borrowed, so recording a repeated denial allocates nothing.
#[derive(Debug)]
struct KeyRef<'a> {
    app: &'a str,
    kind: CheckKind,
    subject: &'a str,
    code: DenyCode,
    mode: Mode,
    policy_version: u64,
}

impl KeyRef<'_> {
    fn is(&self, key: &Key) -> bool {
        key.kind == self.kind
            && key.code == self.code
            && key.mode == self.mode
            && key.policy_version == self.policy_version
            && *key.subject == *self.subject
            && *key.app == *self.app
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    count: u64,
    first: u64,
    last: u64,
}

/// The device side: denials aggregated into at most [`MAX_REPORTS`]
/// reports, drained by [`ReportLog::take`].
///
/// A list, searched in order: at most 100 short entries, compared cheapest
/// field first, cost less per denial than hashing the host, and the module
/// stays smaller than with a hash map inlined into every check.
///
/// Kept per app with a quota: an app holds at most [`MAX_REPORTS_PER_APP`]
/// denials (its report-mode passes may use free room beyond), and when the
/// log is full a new report evicts one of the app holding the most, never
/// one of an app holding fewer. What is evicted or not kept is a denial
/// before a report-mode pass: a call that went through is the last thing a
/// flood of made-up denials may push out (decision 199). Either way the
/// calls lost are counted in [`Batch::dropped`].
#[derive(Debug, Default)]
pub struct ReportLog {
    entries: Vec<(Key, Seen)>,
    dropped: u64,
}

impl ReportLog {
    /// An empty log.
    pub fn new() -> ReportLog {
        ReportLog::default()
    }

    /// Records what a check of `kind` for `app` answered, if it denied or
    /// reported: one more call of its report (a new report if there is room,
    /// else one more dropped). Allowed calls record nothing. Names longer than
    /// the policy's bound are cut at it.
    #[allow(clippy::too_many_arguments)]
    pub fn record_verdict(
        &mut self,
        app: &str,
        kind: CheckKind,
        subject: Subject<'_>,
        verdict: Verdict,
        policy_version: u64,
        now: u64,
    ) {
        if let Some(code) = verdict.code() {
            let mode = if verdict.reported() {
                Mode::Report
            } else {
                Mode::Enforce
            };
            self.record(app, kind, subject, code, mode, policy_version, now);
        }
    }

    /// Records one denied (`Mode::Enforce`) or reported (`Mode::Report`)
    /// call; see [`ReportLog::record_verdict`].
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        app: &str,
        kind: CheckKind,
        subject: Subject<'_>,
        code: DenyCode,
        mode: Mode,
        policy_version: u64,
        now: u64,
    ) {
        self.add(
            KeyRef {
                app: truncate(app, MAX_NAME_BYTES),
                kind,
                subject: match subject {
                    Subject::Api(s) | Subject::Host(Some(s)) => truncate(s, MAX_NAME_BYTES),
                    Subject::Host(None) | Subject::Nothing => "",
                },
                code,
                mode,
                policy_version,
            },
            Seen {
                count: 1,
                first: now,
                last: now,
            },
            now,
        );
    }

    fn add(&mut self, key: KeyRef<'_>, seen: Seen, now: u64) {
        if let Some((_, s)) = self.entries.iter_mut().find(|(k, _)| key.is(k)) {
            s.count = s.count.saturating_add(seen.count).min(MAX_COUNT);
            s.first = s.first.min(seen.first);
            s.last = s.last.max(seen.last);
            return;
        }
        if !self.make_room(&key, now) {
            self.dropped = self.dropped.saturating_add(seen.count);
            return;
        }
        self.entries.push((
            Key {
                app: key.app.into(),
                kind: key.kind,
                subject: key.subject.into(),
                code: key.code,
                mode: key.mode,
                policy_version: key.policy_version,
            },
            seen,
        ));
    }

    /// Makes room for a new report of `key`'s app, evicting at most one
    /// report (counted as dropped); answers whether the new one may go in.
    fn make_room(&mut self, key: &KeyRef<'_>, now: u64) -> bool {
        let passes = key.mode == Mode::Report;
        let held = |log: &ReportLog| log.held(key.app);
        if self.entries.len() >= MAX_REPORTS || held(self).0 >= MAX_REPORTS_PER_APP {
            self.expire(now);
        }
        let (mine, mine_denials) = held(self);
        // Over its own quota: a denial is not kept; a pass may take free
        // room, or the place of one of the app's own denials.
        if mine_denials >= MAX_REPORTS_PER_APP && !passes {
            return false;
        }
        if mine >= MAX_REPORTS_PER_APP && passes && self.entries.len() >= MAX_REPORTS {
            return self.evict(key.app, true);
        }
        if self.entries.len() < MAX_REPORTS {
            return true;
        }
        // The log is full: the app holding the most gives one up, if it
        // holds more than this one (its denials first); else the new report
        // is the one not kept, unless it is a pass and this app has a denial
        // to give up.
        match self.largest_app_other_than(key.app) {
            Some((app, n)) if n > mine => self.evict(&app, false),
            _ => passes && self.evict(key.app, true),
        }
    }

    /// The reports `app` holds: `(all, denials)`.
    fn held(&self, app: &str) -> (usize, usize) {
        self.entries
            .iter()
            .filter(|(k, _)| *k.app == *app)
            .fold((0, 0), |(all, denials), (k, _)| {
                (all + 1, denials + usize::from(k.mode == Mode::Enforce))
            })
    }

    /// The app other than `app` that holds the most reports, with how many.
    fn largest_app_other_than(&self, app: &str) -> Option<(Box<str>, usize)> {
        let mut best: Option<(Box<str>, usize)> = None;
        for (k, _) in &self.entries {
            if *k.app == *app || best.as_ref().is_some_and(|(b, _)| *b == k.app) {
                continue;
            }
            let n = self.held(&k.app).0;
            if best.as_ref().is_none_or(|(_, m)| n > *m) {
                best = Some((k.app.clone(), n));
            }
        }
        best
    }

    /// Evicts `app`'s report whose last call is oldest, a denial before a
    /// pass (only a denial when `denials_only`), counting its calls as
    /// dropped; answers whether one was evicted.
    fn evict(&mut self, app: &str, denials_only: bool) -> bool {
        let pick = |want: Mode| {
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, (k, _))| *k.app == *app && k.mode == want)
                .min_by_key(|(_, (_, s))| s.last)
                .map(|(i, _)| i)
        };
        let victim = match pick(Mode::Enforce) {
            Some(i) => Some(i),
            None if !denials_only => pick(Mode::Report),
            None => None,
        };
        let Some(i) = victim else { return false };
        let (_, s) = self.entries.remove(i);
        self.dropped = self.dropped.saturating_add(s.count);
        true
    }

    /// Drops the reports whose last call is more than [`MAX_AGE_SECS`]
    /// before `now`.
    fn expire(&mut self, now: u64) {
        self.entries
            .retain(|(_, s)| s.last.saturating_add(MAX_AGE_SECS) >= now);
    }

    /// How many reports are queued.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued (no report, nothing dropped).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.dropped == 0
    }

    /// Drains the log: every report not older than [`MAX_AGE_SECS`] at
    /// `now`, in the order of their first denial, and
    /// the dropped count. A host that fails to send gives the batch back with
    /// [`ReportLog::restore`].
    pub fn take(&mut self, now: u64) -> Batch {
        self.expire(now);
        let reports: Vec<Report> = self
            .entries
            .drain(..)
            .map(|(k, s)| {
                let subject = (!k.subject.is_empty()).then(|| String::from(k.subject));
                let (api, host) = match k.kind {
                    CheckKind::Api => (subject, None),
                    _ => (None, subject),
                };
                Report {
                    app: k.app.into(),
                    kind: k.kind,
                    api,
                    host,
                    code: k.code,
                    mode: k.mode,
                    policy_version: k.policy_version,
                    count: s.count,
                    first_seen: s.first,
                    last_seen: s.last,
                }
            })
            .collect();
        Batch {
            reports,
            dropped: std::mem::take(&mut self.dropped),
        }
    }

    /// Gives back a batch that could not be sent: its reports merge with
    /// what was recorded since (counts add up), within the same bounds (too
    /// old: gone; no room: dropped), and its dropped count is kept.
    pub fn restore(&mut self, batch: Batch, now: u64) {
        self.dropped = self.dropped.saturating_add(batch.dropped);
        for r in batch.reports {
            if r.last_seen.saturating_add(MAX_AGE_SECS) < now {
                continue;
            }
            let subject = r.api.as_deref().or(r.host.as_deref()).unwrap_or("");
            self.add(
                KeyRef {
                    app: truncate(&r.app, MAX_NAME_BYTES),
                    kind: r.kind,
                    subject: truncate(subject, MAX_NAME_BYTES),
                    code: r.code,
                    mode: r.mode,
                    policy_version: r.policy_version,
                },
                Seen {
                    count: r.count.clamp(1, MAX_COUNT),
                    first: r.first_seen.min(r.last_seen),
                    last: r.last_seen,
                },
                now,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(log: &mut ReportLog, app: &str, host: &str, now: u64) {
        log.record(
            app,
            CheckKind::Request,
            Subject::Host(Some(host)),
            DenyCode::DomainNotWhitelisted,
            Mode::Enforce,
            3,
            now,
        );
    }

    #[test]
    fn allowed_calls_record_nothing_and_reported_ones_say_report() {
        let mut log = ReportLog::new();
        let api = Subject::Api("getLocation");
        log.record_verdict("mp", CheckKind::Api, api, Verdict::ALLOW, 1, 5);
        assert!(log.is_empty());
        let reported = Verdict::report(DenyCode::PermissionNotGranted);
        log.record_verdict("mp", CheckKind::Api, api, reported, 1, 5);
        let b = log.take(5);
        assert_eq!(b.reports[0].mode, Mode::Report);
        assert_eq!(b.reports[0].api.as_deref(), Some("getLocation"));
        assert_eq!(b.reports[0].host, None);
    }

    #[test]
    fn a_flood_of_distinct_denials_is_capped_and_counted() {
        // What a hostile mini program would try: make up 10,000 hosts, from
        // ten apps, to grow the device's memory and the report it sends.
        let mut log = ReportLog::new();
        for i in 0..10_000 {
            deny(
                &mut log,
                &format!("mp{}", i % 10),
                &format!("h{i}.example"),
                10,
            );
        }
        assert_eq!(log.len(), MAX_REPORTS);
        let b = log.take(10);
        assert_eq!(b.reports.len(), MAX_REPORTS);
        assert_eq!(b.dropped, 10_000 - MAX_REPORTS as u64);
        assert!(
            b.to_json().len() < 32 * 1024,
            "a full batch fits the server's cap"
        );
        assert!(log.is_empty());
    }

    fn pass(log: &mut ReportLog, app: &str, host: &str, now: u64) {
        log.record(
            app,
            CheckKind::Request,
            Subject::Host(Some(host)),
            DenyCode::DomainNotWhitelisted,
            Mode::Report,
            3,
            now,
        );
    }

    #[test]
    fn one_app_flooding_made_up_denials_fills_its_own_quota_only() {
        // What a hostile mini program would try: 100 made-up hosts to push
        // another app's denials and its own report-mode pass out of the log.
        let mut log = ReportLog::new();
        deny(&mut log, "mp_other", "a.example", 10);
        pass(&mut log, "mp_bad", "went-through.example", 10);
        for i in 0..100 {
            deny(&mut log, "mp_bad", &format!("h{i}.example"), 11);
        }
        let b = log.take(12);
        let held = |app: &str, mode: Mode| {
            b.reports
                .iter()
                .filter(|r| r.app == app && r.mode == mode)
                .count()
        };
        // Its quota of denials, and the pass beside them.
        assert_eq!(held("mp_bad", Mode::Enforce), MAX_REPORTS_PER_APP);
        assert_eq!(held("mp_bad", Mode::Report), 1);
        assert!(b.reports.iter().any(|r| r.app == "mp_other"));
        assert!(b
            .reports
            .iter()
            .any(|r| r.mode == Mode::Report && r.host.as_deref() == Some("went-through.example")));
        assert_eq!(b.dropped, 100 - MAX_REPORTS_PER_APP as u64);
    }

    #[test]
    fn a_full_log_gives_up_a_denial_of_the_largest_app_never_a_pass() {
        let mut log = ReportLog::new();
        // Four apps at their quota fill the log: three with denials only,
        // one with passes only.
        for app in ["a", "b", "c"] {
            for i in 0..MAX_REPORTS_PER_APP {
                deny(&mut log, app, &format!("h{i}.example"), 10);
            }
        }
        for i in 0..MAX_REPORTS_PER_APP {
            pass(&mut log, "p", &format!("h{i}.example"), 10);
        }
        assert_eq!(log.len(), MAX_REPORTS);
        // A fifth app's denial takes a place from one of the largest, a denial.
        deny(&mut log, "e", "x.example", 11);
        // A pass of an app at its quota replaces one of its own denials.
        pass(&mut log, "a", "went-through.example", 12);
        // A denial of an app at its quota is not kept.
        deny(&mut log, "a", "more.example", 13);
        let b = log.take(14);
        assert_eq!(b.reports.len(), MAX_REPORTS);
        assert_eq!(
            b.reports.iter().filter(|r| r.mode == Mode::Report).count(),
            MAX_REPORTS_PER_APP + 1,
            "no pass was given up"
        );
        assert!(b.reports.iter().any(|r| r.app == "e"));
        assert!(b
            .reports
            .iter()
            .any(|r| r.app == "a" && r.host.as_deref() == Some("went-through.example")));
        assert_eq!(b.dropped, 3);
    }

    #[test]
    fn old_reports_make_room_and_are_not_sent() {
        let mut log = ReportLog::new();
        for i in 0..MAX_REPORTS {
            deny(
                &mut log,
                &format!("mp{}", i % 4),
                &format!("h{i}.example"),
                0,
            );
        }
        // 15 minutes and 1 second later, a new denial finds room.
        deny(&mut log, "mp0", "new.example", MAX_AGE_SECS + 1);
        let b = log.take(MAX_AGE_SECS + 1);
        assert_eq!(b.dropped, 0);
        assert_eq!(b.reports.len(), 1);
        assert_eq!(b.reports[0].host.as_deref(), Some("new.example"));
    }

    #[test]
    fn a_restored_batch_merges_with_what_came_since() {
        let mut log = ReportLog::new();
        deny(&mut log, "mp", "a.example", 10);
        let unsent = log.take(10);
        deny(&mut log, "mp", "a.example", 20);
        log.restore(unsent.clone(), 20);
        let b = log.take(20);
        assert_eq!(b.reports.len(), 1);
        assert_eq!(
            (
                b.reports[0].count,
                b.reports[0].first_seen,
                b.reports[0].last_seen
            ),
            (2, 10, 20)
        );
        // Too old by the time it is restored: gone.
        log.restore(unsent, 10 + MAX_AGE_SECS + 1);
        assert!(log.take(10 + MAX_AGE_SECS + 1).reports.is_empty());
    }

    #[test]
    fn long_names_are_cut_at_the_policy_bound() {
        let mut log = ReportLog::new();
        let long = "é".repeat(MAX_NAME_BYTES);
        log.record(
            "mp",
            CheckKind::Api,
            Subject::Api(&long),
            DenyCode::ApiNotWhitelisted,
            Mode::Enforce,
            1,
            1,
        );
        let b = log.take(1);
        let api = b.reports[0].api.as_deref().unwrap();
        assert!(api.len() <= MAX_NAME_BYTES && long.starts_with(api));
        Batch::from_json(b.to_json().as_bytes()).unwrap();
    }

    /// Decision 603: a batch and each report in it are objects; written as
    /// arrays of their members in declaration order they are refused.
    #[test]
    fn a_batch_or_report_written_as_an_array_is_refused() {
        let report =
            r#"["mp","api","getLocation",null,"permission_not_granted","enforce",7,1,10,10]"#;
        let e = Batch::from_json(format!(r#"{{"reports":[{report}]}}"#).as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`reports[0]`: invalid type: sequence, expected struct Report at line 1 column 12"
        );
        let e = Batch::from_json(br#"[[],0]"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`body`: invalid type: sequence, expected struct Batch at line 1 column 0"
        );
    }

    #[test]
    fn from_json_refuses_what_a_device_would_not_send() {
        let ok = r#"{"app":"mp","kind":"request","host":"a.example","code":"domain_not_whitelisted","mode":"enforce","policy_version":1,"count":1,"first_seen":1,"last_seen":2}"#;
        let batch = |r: &str| format!(r#"{{"reports":[{r}],"dropped":0}}"#);
        Batch::from_json(batch(ok).as_bytes()).unwrap();
        let cases = [
            (ok.replace("\"count\":1", "\"count\":0"), "reports[0].count"),
            (
                ok.replace("\"first_seen\":1", "\"first_seen\":3"),
                "reports[0].first_seen",
            ),
            (
                ok.replace("a.example", "a.example/path?q=1"),
                "reports[0].host",
            ),
            (ok.replace("a.example", "A.EXAMPLE"), "reports[0].host"),
            (
                ok.replace("\"kind\":\"request\"", "\"kind\":\"api\""),
                "reports[0].api",
            ),
            (
                ok.replace("\"kind\":\"request\"", "\"kind\":\"launch\""),
                "reports[0].host",
            ),
            (ok.replace("\"host\"", "\"api\""), "reports[0].api"),
            (
                ok.replace("domain_not_whitelisted", "nope"),
                "reports[0].code",
            ),
            (
                ok.replace("domain_not_whitelisted", "domain_blocked")
                    .replace("enforce", "report"),
                "reports[0].mode",
            ),
            (
                ok.replace("\"app\":\"mp\"", "\"app\":\"\""),
                "reports[0].app",
            ),
            (
                ok.replace("\"count\":1", "\"count\":1,\"url\":\"https://a.example/x\""),
                "reports[0]",
            ),
            (
                ok.replace("\"count\":1", "\"count\":-1"),
                "reports[0].count",
            ),
        ];
        for (r, field) in cases {
            let e = Batch::from_json(batch(&r).as_bytes()).unwrap_err();
            assert!(e.field.starts_with(field), "{r}: {e}");
        }
        let many = vec![ok; MAX_REPORTS + 1].join(",");
        assert_eq!(
            Batch::from_json(batch(&many).as_bytes()).unwrap_err().field,
            "reports"
        );
        assert_eq!(Batch::from_json(b"[]").unwrap_err().field, "body");
        assert_eq!(
            Batch::from_json(b"{\"reports\":[]} x").unwrap_err().field,
            "body"
        );
    }
}

//! The native back end of the JS bridge (`docs/protocols.md` P4, `docs/sdk.md`):
//! where the JS engine has no `WebAssembly` (iOS JavaScriptCore outside a
//! web view), the bridge hands every request to a synchronous native
//! function as one JSON object and reads one JSON object back. [`answer`]
//! answers them from the SDK's synced guard; the `guard-sdk-native` binary
//! serves them line by line over stdin/stdout.
//!
//! Requests are parsed strictly (unknown ops and fields, wrong types,
//! numbers out of range are refused); anything malformed or failing answers
//! `{"error":"<why>"}`, which the bridge treats as deny `no_policy`. Nothing
//! here panics on input.

use guard_core::{Check, CheckKind, Decision, Floor};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::sdk::Sdk;

/// Most bytes of one request: a maximal bundle (64 MiB of base64url, which
/// JSON does not escape) and room for the rest.
pub const MAX_REQUEST_BYTES: usize = guard_core::limits::MAX_BUNDLE_BYTES + 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    Check {
        app: String,
        kind: String,
        subject: String,
        now: u64,
    },
    CheckSocket {
        app: String,
        kind: String,
        host: String,
        port: u32,
        now: u64,
    },
    CheckLaunch {
        app: String,
        version: String,
        package_sha256: String,
        now: u64,
    },
    CheckRedirect {
        app: String,
        kind: String,
        from: String,
        location: String,
        hop: u32,
        now: u64,
    },
    Load {
        bundle: String,
        now: u64,
    },
    Status {
        now: u64,
    },
    Tables {},
    TakeReports {
        now: u64,
    },
    RequeueReports {
        now: u64,
    },
    Floor {},
    RestoreFloor {
        floor: Value,
    },
}

/// A check's answer: the decision object, and `href` for checks of a target
/// (`null` when denied or not parsed).
#[derive(Serialize)]
struct CheckAnswer<'a> {
    #[serde(flatten)]
    decision: &'a Decision,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<Option<&'a str>>,
}

fn error(why: impl std::fmt::Display) -> String {
    json!({ "error": why.to_string() }).to_string()
}

fn kind(name: &str, allowed: impl Fn(CheckKind) -> bool, op: &str) -> Result<CheckKind, String> {
    match CheckKind::parse(name) {
        Some(k) if allowed(k) => Ok(k),
        Some(_) => Err(format!("kind `{name}` is not checked with op `{op}`")),
        None => Err(format!("unknown check kind `{name}`")),
    }
}

fn check(sdk: &Sdk, app: &str, check: &Check<'_>, now: u64, with_href: bool) -> String {
    let a = sdk.decide_at(app, check, now);
    let answer = CheckAnswer {
        decision: &a.decision,
        href: with_href.then_some(a.href.as_deref()),
    };
    serde_json::to_string(&answer).unwrap_or_else(error)
}

/// The tables as P4 spells them: indexes are guard-core's numbers, read from
/// the module.
fn tables(sdk: &Sdk) -> String {
    let t = sdk.tables();
    let kinds: serde_json::Map<String, Value> = t
        .kinds
        .iter()
        .map(|(name, n)| (name.clone(), json!(n)))
        .collect();
    json!({
        "abi": t.abi,
        "codes": t.codes,
        "errnos": t.errnos,
        "loads": t.loads,
        "kinds": kinds,
        "report_bit": t.report_bit,
    })
    .to_string()
}

/// Answers one P4 request (one JSON object) with one JSON object, from the
/// SDK's guard. Never panics; anything malformed or failing answers
/// `{"error":"<why>"}`.
///
/// # Examples
///
/// ```no_run
/// # fn f(sdk: &guard_sdk::Sdk) {
/// let a = guard_sdk::native::answer(sdk,
///     r#"{"op":"check","app":"mp_shop","kind":"api","subject":"getLocation","now":1796000000}"#);
/// // {"allow":false,"code":"permission_not_granted","message":"getLocation:fail jsapi has no permission","errno":102}
/// assert!(a.starts_with(r#"{"allow":"#));
/// assert_eq!(guard_sdk::native::answer(sdk, "{"), r#"{"error":"EOF while parsing an object at line 1 column 1"}"#);
/// # }
/// ```
pub fn answer(sdk: &Sdk, request: &str) -> String {
    if request.len() > MAX_REQUEST_BYTES {
        return error(format!(
            "the request is {} bytes; at most {MAX_REQUEST_BYTES}",
            request.len()
        ));
    }
    let request: Request = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    match request {
        Request::Check {
            app,
            kind: k,
            subject,
            now,
        } => match kind(&k, |k| k == CheckKind::Api || k.is_url(), "check") {
            Ok(CheckKind::Api) => check(sdk, &app, &Check::Api(&subject), now, false),
            Ok(k) => check(sdk, &app, &Check::Url(k, &subject), now, true),
            Err(e) => error(e),
        },
        Request::CheckSocket {
            app,
            kind: k,
            host,
            port,
            now,
        } => match kind(
            &k,
            |k| matches!(k, CheckKind::Tcp | CheckKind::Udp),
            "check_socket",
        ) {
            Ok(k) => check(sdk, &app, &Check::Socket(k, &host, port), now, true),
            Err(e) => error(e),
        },
        Request::CheckLaunch {
            app,
            version,
            package_sha256,
            now,
        } => {
            let c = Check::Launch {
                version: &version,
                package_sha256: &package_sha256,
            };
            check(sdk, &app, &c, now, false)
        }
        Request::CheckRedirect {
            app,
            kind: k,
            from,
            location,
            hop,
            now,
        } => match kind(
            &k,
            |k| {
                matches!(
                    k,
                    CheckKind::Request | CheckKind::Upload | CheckKind::Download
                )
            },
            "check_redirect",
        ) {
            Ok(k) => {
                let c = Check::Redirect {
                    kind: k,
                    base_href: &from,
                    location: &location,
                    hop,
                };
                check(sdk, &app, &c, now, true)
            }
            Err(e) => error(e),
        },
        Request::Load { bundle, now } => {
            let (code, message) = match sdk.load_at(&bundle, now) {
                Ok(()) => (guard_core::LoadCode::Ok, String::new()),
                Err(e) => (e.code, e.message),
            };
            json!({ "code": code.as_str(), "message": message }).to_string()
        }
        Request::Status { now } => serde_json::to_string(&sdk.policy_at(now)).unwrap_or_else(error),
        Request::Tables {} => tables(sdk),
        Request::TakeReports { now } => sdk.take_reports(now).to_json(),
        Request::RequeueReports { now } => {
            sdk.requeue_reports(now);
            "{}".to_owned()
        }
        Request::Floor {} => match sdk.floor() {
            Some(f) => f.to_json(),
            None => "null".to_owned(),
        },
        Request::RestoreFloor { floor } => {
            // The floor as JSON, or as the JSON text the bridge's `floor()` gave.
            let text = match &floor {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match Floor::from_json(&text)
                .map_err(|e| e.to_string())
                .and_then(|f| sdk.restore_floor(&f).map_err(|e| e.to_string()))
            {
                Ok(()) => "{}".to_owned(),
                Err(e) => error(e),
            }
        }
    }
}

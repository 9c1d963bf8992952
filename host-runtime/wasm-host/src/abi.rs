//! The raw ABI calls on a live instance (`guard-wasm/src/raw_abi.rs`,
//! `docs/wasm-host.md`): loads (bundles, key sets, signed state) and checks,
//! integers in and out, messages read back from the module. Negative answers
//! are ABI misuse, whatever their value.

use std::time::Duration;

use guard_core::{Check, CheckKind, DenyCode, Verdict};

use crate::instance::{CallError, Live};

/// What a check answers when the instance failed: deny, fail closed.
pub(crate) const NO_POLICY: Verdict = Verdict::deny(DenyCode::NoPolicy);

pub(crate) fn verdict(byte: i32) -> Verdict {
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .unwrap_or(NO_POLICY)
}

/// Which loading call [`load_in`] makes: each takes a document and a clock
/// and answers a load code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doc {
    /// A bundle (`guard_load`).
    Bundle,
    /// A key set (`guard_load_keys`, contract v3).
    Keyset,
    /// A signed state (`guard_restore_state`, contract v3).
    State,
}

/// Loads `doc` of kind `what` at `now`: the load code the module answered
/// (`0` loaded), its message from [`Live::message`].
pub(crate) fn load_in(
    live: &mut Live,
    what: Doc,
    doc: &str,
    now: u64,
    timeout: Duration,
) -> Result<i32, CallError> {
    live.write_input(&[doc.as_bytes()], timeout)?;
    let load = match what {
        Doc::Bundle => live.f.load.clone(),
        Doc::Keyset => live.f.load_keys.clone(),
        Doc::State => live.f.restore_state.clone(),
    };
    let code = live.call(&load, (len32(doc)?, now as i64), timeout)?;
    if code < 0 {
        return Err(CallError::Abi(code));
    }
    Ok(code)
}

/// The verdict byte a check answered; a negative one is ABI misuse.
fn verdict_of(byte: i32) -> Result<Verdict, CallError> {
    u8::try_from(byte)
        .ok()
        .and_then(Verdict::from_u8)
        .ok_or(CallError::Abi(byte))
}

/// A length as the ABI passes it.
fn len32(text: &str) -> Result<u32, CallError> {
    u32::try_from(text.len()).map_err(|_| CallError::Oom(text.len()))
}

/// Any check, in the wasm: its verdict, and the href (URL, redirect) or
/// serialised host (tcp, udp) the module kept when `want_href` (one more call).
/// A check of a kind the module's call does not take (a redirect of an API,
/// a socket check of a URL kind) is answered `invalid_url` here, as
/// guard-core answers it, without asking the module.
pub(crate) fn check_in(
    live: &mut Live,
    app: &str,
    check: &Check<'_>,
    now: u64,
    want_href: bool,
    timeout: Duration,
) -> Result<(Verdict, Option<String>), CallError> {
    let now = now as i64;
    let app_len = len32(app)?;
    let (byte, has_href) = match *check {
        Check::Api(name) => {
            live.write_input(&[app.as_bytes(), name.as_bytes()], timeout)?;
            let f = live.f.check_api_name.clone();
            (live.call(&f, (app_len, len32(name)?, now), timeout)?, false)
        }
        Check::Url(kind, url) => {
            if !kind.is_url() {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            live.write_input(&[app.as_bytes(), url.as_bytes()], timeout)?;
            let f = live.f.check_url.clone();
            let args = (u32::from(kind as u8), app_len, len32(url)?, now);
            (live.call(&f, args, timeout)?, true)
        }
        Check::Launch {
            version,
            package_sha256,
        } => {
            let parts = [
                app.as_bytes(),
                version.as_bytes(),
                package_sha256.as_bytes(),
            ];
            live.write_input(&parts, timeout)?;
            let f = live.f.check_launch.clone();
            let args = (app_len, len32(version)?, len32(package_sha256)?, now);
            (live.call(&f, args, timeout)?, false)
        }
        Check::Socket(kind, host, port) => {
            if !matches!(kind, CheckKind::Tcp | CheckKind::Udp) {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            live.write_input(&[app.as_bytes(), host.as_bytes()], timeout)?;
            let f = live.f.check_socket_target.clone();
            let args = (u32::from(kind as u8), app_len, len32(host)?, port, now);
            (live.call(&f, args, timeout)?, true)
        }
        Check::Redirect {
            kind,
            base_href,
            location,
            hop,
        } => {
            if !kind.is_url() {
                return Ok((Verdict::deny(DenyCode::InvalidUrl), None));
            }
            let parts = [app.as_bytes(), base_href.as_bytes(), location.as_bytes()];
            live.write_input(&parts, timeout)?;
            let f = live.f.check_redirect.clone();
            let args = (
                u32::from(kind as u8),
                app_len,
                len32(base_href)?,
                len32(location)?,
                hop,
                now,
            );
            (live.call(&f, args, timeout)?, true)
        }
    };
    let v = verdict_of(byte)?;
    let href = if want_href && has_href {
        live.href(timeout)?
    } else {
        None
    };
    Ok((v, href))
}

/// Any check as the contract's decision: verdict and message, and the href
/// the module kept when `want_href` (read before the message, which does not
/// disturb it). The message
/// comes from the wasm whenever it names a code (a host, a reason); an
/// allow without a code is `<label>:ok` whatever the subject, which
/// guard-core renders here exactly as the wasm would: one call saved on the
/// common path.
pub(crate) fn decide_in(
    live: &mut Live,
    app: &str,
    check: &Check<'_>,
    now: u64,
    want_href: bool,
    timeout: Duration,
) -> Result<(Verdict, String, Option<String>), CallError> {
    let (v, href) = check_in(live, app, check, now, want_href, timeout)?;
    let label = match *check {
        Check::Api(name) => name,
        _ => check.kind().url_label().unwrap_or("api"),
    };
    if v.code().is_none() {
        return Ok((v, v.message(label, None, None), href));
    }
    // A kind the module was not asked about (answered above): guard-core's
    // message, as the module would render it with no host.
    let asked = match *check {
        Check::Url(kind, _) | Check::Redirect { kind, .. } => kind.is_url(),
        Check::Socket(kind, ..) => matches!(kind, CheckKind::Tcp | CheckKind::Udp),
        _ => true,
    };
    if !asked {
        return Ok((v, v.message(label, None, None), href));
    }
    Ok((v, live.message(timeout)?, href))
}

//! The tables the host shares with the module through guard-core (kind
//! numbers, deny and load codes with their names and errnos, the report
//! bit), asked of the module once when it is loaded, so a module built from
//! another guard-core is refused then rather than misread later.

use std::time::Duration;

use guard_core::{CheckKind, DenyCode, LoadCode, REPORTED_BIT};

use crate::instance::{CallError, Live};

// The raw ABI version this host speaks, from `guard-abi`.
use guard_abi::ABI_VERSION;

/// The tables the host shares with the module through guard-core, as the
/// module answered them (and found equal to this host's guard-core): what a
/// bridge that drives a native back end needs to read integer verdicts
/// without spelling a name (`docs/sdk.md`, P4 `tables`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tables {
    /// The raw ABI version the module speaks.
    pub abi: i32,
    /// Deny-code names by number: `codes[0]` is `None` (no code: allow),
    /// then every number the module names, in order.
    pub codes: Vec<Option<String>>,
    /// The errno of each deny code, by the same numbers (`errnos[0]` is 0).
    pub errnos: Vec<i32>,
    /// Load-outcome names by number, from `ok` (0).
    pub loads: Vec<String>,
    /// The number of every check kind, by name, in guard-core's order.
    pub kinds: Vec<(String, u8)>,
    /// The report-mode bit of verdict bytes.
    pub report_bit: u8,
}

/// Asks the module for every table the host shares with it through
/// guard-core (kind numbers, the report bit, deny-code names and errnos,
/// load-code names), says the first that differs, and answers them.
pub(crate) fn check_tables(live: &mut Live, timeout: Duration) -> Result<Tables, String> {
    let e = |e: CallError| e.to_string();
    let mut kinds = Vec::with_capacity(CheckKind::ALL.len());
    for kind in CheckKind::ALL {
        let name = kind.as_str();
        live.write_input(&[name.as_bytes()], timeout).map_err(e)?;
        let f = live.f.kind.clone();
        let n = live.call(&f, name.len() as u32, timeout).map_err(e)?;
        if n != i32::from(kind as u8) {
            return Err(format!(
                "kind `{name}` is {n} in the module, {} here",
                kind as u8
            ));
        }
        kinds.push((name.to_owned(), kind as u8));
    }
    let f = live.f.report_bit.clone();
    let bit = live.call(&f, (), timeout).map_err(e)?;
    if bit != i32::from(REPORTED_BIT) {
        return Err(format!(
            "the report bit is {bit} in the module, {REPORTED_BIT} here"
        ));
    }
    let (mut codes, mut errnos, mut loads) = (vec![None], vec![0], Vec::new());
    for n in 0..=u8::MAX {
        let deny = DenyCode::from_u8(n);
        let f = live.f.code_name.clone();
        let packed = live.call(&f, (u32::from(n), 0), timeout).map_err(e)?;
        let name = live.packed_text(packed).map_err(e)?;
        let f = live.f.errno.clone();
        let errno = live.call(&f, u32::from(n), timeout).map_err(e)?;
        let (want_name, want_errno) = deny.map_or(("", 0), |c| (c.as_str(), c.errno()));
        if name != want_name || i64::from(errno) != i64::from(want_errno) {
            return Err(format!(
                "deny code {n} is `{name}` (errno {errno}) in the module, `{want_name}` (errno {want_errno}) here"
            ));
        }
        if n > 0 && !name.is_empty() && codes.len() == usize::from(n) {
            codes.push(Some(name));
            errnos.push(errno);
        }
        let f = live.f.code_name.clone();
        let packed = live.call(&f, (u32::from(n), 1), timeout).map_err(e)?;
        let name = live.packed_text(packed).map_err(e)?;
        let want = LoadCode::from_u8(n).map_or("", LoadCode::as_str);
        if name != want {
            return Err(format!(
                "load code {n} is `{name}` in the module, `{want}` here"
            ));
        }
        if !name.is_empty() && loads.len() == usize::from(n) {
            loads.push(name);
        }
    }
    Ok(Tables {
        abi: ABI_VERSION,
        codes,
        errnos,
        loads,
        kinds,
        report_bit: REPORTED_BIT,
    })
}

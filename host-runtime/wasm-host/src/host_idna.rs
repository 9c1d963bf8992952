//! The guard module's one import, `guard_host.domain_to_ascii` (decision
//! 660; the contract is docs/wasm-host.md, "The host import"), natively:
//! the WHATWG URL Standard's domain to ASCII by the `idna` crate with its
//! Unicode data, exactly as guard-core's `url` calls it natively, for the
//! hosts the shipped module does not map itself (IDN and `xn--` labels).

use guard_abi::{HOST_DOMAIN_TO_ASCII, HOST_INVALID, HOST_MODULE};
use idna::AsciiDenyList;
use wasmtime::{Caller, Extern, Linker};

use crate::instance::HostState;

/// Defines the import in `linker`. A module that does not import it
/// instantiates as before; one that imports it with another type is
/// refused when the linker is checked against it.
///
/// # Errors
///
/// wasmtime's, when the name is already defined in `linker`.
pub(crate) fn define(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(HOST_MODULE, HOST_DOMAIN_TO_ASCII, domain_to_ascii)?;
    Ok(())
}

/// The import: reads `input_len` bytes at `input` in the caller's memory
/// and answers [`HOST_INVALID`] for "not a valid domain" (or an address out
/// of its memory), else the ASCII answer's length `n`, written at `out`
/// only when `n <= out_cap`.
fn domain_to_ascii(
    mut caller: Caller<'_, HostState>,
    input: u32,
    input_len: u32,
    out: u32,
    out_cap: u32,
) -> i32 {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return HOST_INVALID;
    };
    let Some(domain) = span(input, input_len).and_then(|r| memory.data(&caller).get(r)) else {
        return HOST_INVALID;
    };
    let ascii = match idna::domain_to_ascii_cow(domain, AsciiDenyList::URL) {
        Ok(ascii) => ascii.into_owned(),
        Err(_) => return HOST_INVALID,
    };
    let (Ok(n), Ok(len)) = (i32::try_from(ascii.len()), u32::try_from(ascii.len())) else {
        return HOST_INVALID;
    };
    if len <= out_cap {
        let data = memory.data_mut(&mut caller);
        let Some(dst) = span(out, len).and_then(|r| data.get_mut(r)) else {
            return HOST_INVALID;
        };
        dst.copy_from_slice(ascii.as_bytes());
    }
    n
}

/// `start..start + len` as a range of memory, `None` when it overflows.
fn span(start: u32, len: u32) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(start).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    Some(start..end)
}

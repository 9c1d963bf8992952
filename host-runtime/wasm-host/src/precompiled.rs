//! Precompiled artifacts: the guard module compiled ahead of time (for
//! Pulley, what an iOS app ships, since iOS forbids JIT), and run from that
//! artifact without compiling anything on the device.
//!
//! # Why the one `unsafe` call here is sound
//!
//! `wasmtime::Module::deserialize` is `unsafe` because wasmtime only lightly
//! validates an artifact: a modified one can replace the module's code with
//! any other code, which then runs with the host's privileges. wasmtime
//! documents the call as safe when the bytes are exactly, unmodified, what
//! `Module::serialize` or `Engine::precompile_module` produced (an artifact of
//! another wasmtime version, or of an engine configured differently, is
//! refused with an error, safely). This module upholds exactly that:
//!
//! 1. An artifact is only ever made by [`WasmModule::precompile`], which
//!    serialises a module that was compiled from a `.wasm` and checked for the
//!    guard's raw ABI and tables (`guard precompile` is that call).
//! 2. The embedding app pins the artifact's SHA-256 at build time (a constant
//!    in its binary, next to the artifact in its signed bundle), and
//!    [`WasmModule::from_precompiled`] refuses, **before** deserialising, any
//!    bytes whose SHA-256 is not that pin ([`HostError::ArtifactDigest`]): by
//!    SHA-256's second-preimage resistance the bytes deserialised are then
//!    the bytes step 1 produced. A pin that is not 64 hex digits is refused
//!    too ([`HostError::ArtifactPin`]), so no pin means no deserialisation.
//! 3. The bytes hashed are the bytes deserialised: the file is read into
//!    memory once and never mapped (`Module::deserialize_file` maps it, and
//!    a file changed after the check would change what runs).
//!
//! What it does not defend: an attacker who can change the app's binary can
//! change the pin with it; such an attacker controls the app anyway.

#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Module;

use crate::error::HostError;
use crate::module::{compile, engine, Options, WasmModule};

/// The pin as 32 bytes: 64 hex digits, either case.
fn parse_pin(pin: &str) -> Result<[u8; 32], HostError> {
    let bad = || HostError::ArtifactPin(pin.chars().take(80).collect());
    // Digits only: `from_str_radix` alone would take a sign (`+6`).
    if pin.len() != 64 || !pin.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = pin.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl WasmModule {
    /// The artifact of this module for its engine (its [`Options::backend`]):
    /// what [`WasmModule::from_precompiled`] runs without compiling. Pin its
    /// SHA-256 in the app that ships it.
    ///
    /// # Errors
    ///
    /// [`HostError::Compile`] when wasmtime cannot serialise the module.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use guard_wasm_host::{Backend, Options, WasmModule};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let options = Options { backend: Backend::Pulley, ..Options::default() };
    /// let module = WasmModule::from_file(guard_wasm_host::default_module_path(), &options)?;
    /// std::fs::write("guard.cwasm", module.precompile()?)?;
    /// # Ok(()) }
    /// ```
    pub fn precompile(&self) -> Result<Vec<u8>, HostError> {
        self.0.pre.module().serialize().map_err(compile)
    }

    /// Runs a precompiled artifact (from [`WasmModule::precompile`], for an
    /// engine configured as `options` configure one) whose SHA-256 is
    /// `pinned_sha256` (64 hex digits, fixed by the embedding app at build
    /// time). The digest is checked before wasmtime sees a byte (see the
    /// module documentation for why that makes deserialising sound); the
    /// module is then checked for the raw ABI and its tables like a compiled
    /// one. [`WasmModule::sha256_hex`] and [`WasmModule::size`] then describe
    /// the artifact.
    ///
    /// # Errors
    ///
    /// [`HostError::ArtifactPin`] for a pin that is not 64 hex digits,
    /// [`HostError::ArtifactDigest`] for bytes whose SHA-256 is not the pin
    /// (modified, truncated, another build), [`HostError::Compile`] when
    /// wasmtime refuses the artifact (another wasmtime version, another back
    /// end or configuration), else as [`WasmModule::from_bytes`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use guard_wasm_host::{Backend, Options, WasmModule};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Pinned when the app was built (`guard precompile` prints it).
    /// const GUARD_CWASM_SHA256: &str = "6a2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
    /// let options = Options { backend: Backend::Pulley, ..Options::default() };
    /// let artifact = std::fs::read("guard.cwasm")?;
    /// let module = WasmModule::from_precompiled(&artifact, GUARD_CWASM_SHA256, &options)?;
    /// assert!(module.is_interpreted() && module.is_precompiled());
    /// # Ok(()) }
    /// ```
    pub fn from_precompiled(
        artifact: &[u8],
        pinned_sha256: &str,
        options: &Options,
    ) -> Result<WasmModule, HostError> {
        WasmModule::precompiled(artifact, pinned_sha256, options, None)
    }

    /// [`WasmModule::from_precompiled`] for the artifact in a file, read into
    /// memory once (the bytes checked are the bytes run).
    ///
    /// # Errors
    ///
    /// [`HostError::Read`] when the file cannot be read, else as
    /// [`WasmModule::from_precompiled`].
    pub fn from_precompiled_file(
        path: impl AsRef<Path>,
        pinned_sha256: &str,
        options: &Options,
    ) -> Result<WasmModule, HostError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })?;
        WasmModule::precompiled(&bytes, pinned_sha256, options, Some(path.to_owned()))
    }

    fn precompiled(
        artifact: &[u8],
        pinned_sha256: &str,
        options: &Options,
        path: Option<PathBuf>,
    ) -> Result<WasmModule, HostError> {
        let pin = parse_pin(pinned_sha256)?;
        let digest: [u8; 32] = Sha256::digest(artifact).into();
        if digest != pin {
            return Err(HostError::ArtifactDigest {
                actual: hex(&digest),
                pinned: hex(&pin),
            });
        }
        let engine = engine(options)?;
        // SAFETY: `artifact` hashes to the digest the embedding app pinned at
        // build time for an artifact `WasmModule::precompile` made (see the
        // module documentation), so these are exactly the bytes
        // `Module::serialize` produced, which wasmtime documents as safe to
        // deserialise; a version or configuration mismatch is an `Err`.
        let module = unsafe { Module::deserialize(&engine, artifact) }.map_err(compile)?;
        WasmModule::finish(
            engine,
            module,
            options,
            (digest, artifact.len()),
            path,
            true,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_64_hex_digits_and_nothing_else() {
        let ok = "6A2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80a";
        assert_eq!(parse_pin(ok).unwrap()[0], 0x6a);
        for bad in [
            "",
            &ok[..63],
            &format!("{ok}0"),
            &format!("{}g", &ok[..63]),
            &format!("+{}", &ok[..63]),
            "é2d00fa6fe7fd1c560b60534644c0b1eedab8bfd7cc940351d37899e84dc80",
        ] {
            assert!(
                matches!(parse_pin(bad), Err(HostError::ArtifactPin(_))),
                "{bad}"
            );
        }
    }
}

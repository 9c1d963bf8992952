//! The key-encryption key (KEK) that seals the superapps' Ed25519 signing
//! keys at rest. It is never in the database: it comes from `GUARD_KEK`
//! (base64, 32 bytes), a `--kek-file`, or the file `kek` (mode 0600) the
//! server creates in its SQLite data directory on the first start.
//!
//! Sealing is ChaCha20-Poly1305 with a random 96-bit nonce per key and the
//! superapp id and `kid` as associated data, so a sealed key copied to another
//! superapp's row (or kid) does not open.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};

use crate::http::error::ApiError;

/// Bytes of a KEK.
pub const KEK_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// Why no KEK could be had.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// `GUARD_KEK` or the file is not base64 of 32 bytes.
    #[error("{0} is not the base64 of {KEK_BYTES} bytes")]
    Malformed(String),
    /// The file could not be read or created.
    #[error("key-encryption key file `{0}`: {1}")]
    File(String, std::io::Error),
    /// No randomness for a new KEK.
    #[error("no randomness for a new key-encryption key: {0}")]
    Random(String),
}

/// A key-encryption key. Never printed.
#[derive(Clone)]
pub struct Kek([u8; KEK_BYTES]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

impl Kek {
    /// A KEK of these bytes.
    pub fn from_bytes(bytes: [u8; KEK_BYTES]) -> Kek {
        Kek(bytes)
    }

    /// A new random KEK.
    ///
    /// # Errors
    ///
    /// [`KekError::Random`].
    pub fn random() -> Result<Kek, KekError> {
        let mut k = [0u8; KEK_BYTES];
        getrandom::getrandom(&mut k).map_err(|e| KekError::Random(e.to_string()))?;
        Ok(Kek(k))
    }

    /// Reads base64 text (`what` names its source in errors).
    ///
    /// # Errors
    ///
    /// [`KekError::Malformed`].
    pub fn from_base64(text: &str, what: &str) -> Result<Kek, KekError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| KekError::Malformed(what.to_owned()))?;
        let arr: [u8; KEK_BYTES] = bytes
            .try_into()
            .map_err(|_| KekError::Malformed(what.to_owned()))?;
        Ok(Kek(arr))
    }

    /// The KEK in `path`, created (mode 0600, base64) when the file does not
    /// exist yet.
    ///
    /// A new file is written whole to a temporary file, fsynced, and linked
    /// into place, which fails if the file appeared meanwhile: it is never
    /// read half-written, and of servers starting together on one store
    /// (one `--kek-file`) exactly one KEK is created and all of them use it.
    ///
    /// # Errors
    ///
    /// [`KekError`] when the file cannot be read or created, or is malformed.
    pub fn from_file(path: &Path) -> Result<Kek, KekError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Kek::from_base64(&text, &format!("key-encryption key file `{shown}`")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let kek = Kek::random()?;
                match kek.create(path) {
                    Ok(()) => Ok(kek),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Kek::from_file(path),
                    Err(e) => Err(KekError::File(shown, e)),
                }
            }
            Err(e) => Err(KekError::File(shown, e)),
        }
    }

    fn create(&self, path: &Path) -> std::io::Result<()> {
        let mut nonce = [0u8; 8];
        getrandom::getrandom(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", crate::util::hex(&nonce)));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let written = opts.open(&tmp).and_then(|mut f| {
            f.write_all(STANDARD.encode(self.0).as_bytes())?;
            f.sync_all()
        });
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        linked?;
        // The new name itself survives a crash only once its directory is
        // synced: without the file, the keys it sealed could never open.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Seals `plain` for `(superapp, kid)`: base64 of nonce ‖ ciphertext.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when there is no randomness.
    pub fn seal(&self, superapp: &str, kid: &str, plain: &[u8]) -> Result<String, ApiError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
        let aad = aad(superapp, kid);
        let ct = ChaCha20Poly1305::new((&self.0).into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| ApiError::Internal("sealing a signing key failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(STANDARD.encode(out))
    }

    /// Opens what [`Kek::seal`] sealed for `(superapp, kid)`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when it does not open: another KEK, another
    /// superapp or kid, or altered bytes.
    pub fn open(&self, superapp: &str, kid: &str, sealed: &str) -> Result<Vec<u8>, ApiError> {
        let refused = || {
            ApiError::Internal(format!(
                "the key-encryption key does not open signing key `{kid}` of superapp `{superapp}`"
            ))
        };
        let bytes = STANDARD.decode(sealed).map_err(|_| refused())?;
        if bytes.len() < NONCE_BYTES {
            return Err(refused());
        }
        let (nonce, ct) = bytes.split_at(NONCE_BYTES);
        let aad = aad(superapp, kid);
        ChaCha20Poly1305::new((&self.0).into())
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| refused())
    }
}

fn aad(superapp: &str, kid: &str) -> Vec<u8> {
    format!("guard-signing-key\n{superapp}\n{kid}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_kek_superapp_and_kid() {
        let kek = Kek::from_bytes([7; 32]);
        let sealed = kek.seal("sa", "k1", b"seed").unwrap();
        assert_eq!(kek.open("sa", "k1", &sealed).unwrap(), b"seed");
        assert!(kek.open("sb", "k1", &sealed).is_err());
        assert!(kek.open("sa", "k2", &sealed).is_err());
        assert!(Kek::from_bytes([8; 32]).open("sa", "k1", &sealed).is_err());
        assert_ne!(
            sealed,
            kek.seal("sa", "k1", b"seed").unwrap(),
            "fresh nonce"
        );
        assert!(Kek::from_base64("c2hvcnQ=", "GUARD_KEK").is_err());
        assert!(Kek::from_base64(&STANDARD.encode([1u8; 32]), "GUARD_KEK").is_ok());
    }

    #[test]
    fn a_kek_file_is_created_once_with_mode_0600() {
        let dir = std::env::temp_dir().join(format!("guard-kek-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kek");
        let _ = std::fs::remove_file(&path);
        let a = Kek::from_file(&path).unwrap();
        let b = Kek::from_file(&path).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn servers_creating_the_kek_file_together_get_one_kek() {
        let dir = std::env::temp_dir().join(format!("guard-kek-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for round in 0..20 {
            let path = dir.join(format!("kek{round}"));
            let start = std::sync::Arc::new(std::sync::Barrier::new(4));
            let keks: Vec<[u8; 32]> = (0..4)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        Kek::from_file(&path).unwrap().0
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            assert!(keks.iter().all(|k| *k == keks[0]), "round {round}");
        }
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "no temporary file is left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

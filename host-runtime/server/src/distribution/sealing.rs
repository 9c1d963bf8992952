//! The key-encryption key (KEK) that keeps every secret of the server at
//! rest: the superapps' Ed25519 signing and root keys and the other secrets
//! ([`Secret`]) are sealed with it, a secret that is only ever compared (the
//! SecretKey) is kept as a digest keyed by it. It is never in the database:
//! it comes from `GUARD_KEK` (base64, 32 bytes), a `--kek-file`, or the file
//! `kek` (mode 0600) the server creates in its SQLite data directory on the
//! first start.
//!
//! Sealing is ChaCha20-Poly1305 with a random 96-bit nonce per value and
//! what the value is and whose (superapp and `kid`, or [`Secret`]'s label)
//! as associated data, so a sealed value copied to another row or column
//! does not open.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};

use crate::error::ApiError;
use crate::util::{ct_eq, hmac_hex};

/// Bytes of a KEK.
pub const KEK_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

/// How a sealed [`Secret`] starts in its column: it tells a sealed value from
/// one stored in clear before migration 44 (`distribution/secrets.rs`); no
/// secret the server stored in clear holds a `:` (letters and digits only).
pub const SEALED: &str = "sealed:";
/// How a keyed digest of a [`Secret`] starts in its column.
pub const DIGEST: &str = "hmac:";

/// A secret the server keeps (besides signing and root keys), named with the
/// row that holds it: that name is bound into its seal or digest, so a value
/// copied into another row or column neither opens nor matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret<'a> {
    /// A superapp's SecretKey (`superapps.secret_key`): it authenticates the
    /// superapp's backend and is only ever compared, so only its digest
    /// ([`Kek::digest`]) is kept.
    SecretKey {
        /// The superapp.
        superapp: &'a str,
    },
    /// A superapp's HS256 bundle key (`superapps.bundle_key`), sealed.
    BundleKey {
        /// The superapp.
        superapp: &'a str,
    },
    /// The server's secret that `openid` and `unionid` are derived from
    /// (`settings.openid_secret`), sealed.
    OpenidSecret,
    /// The `session_key` of a user's login to an app (`sessions`), sealed.
    SessionKey {
        /// The app.
        app: &'a str,
        /// The user's openid in it.
        openid: &'a str,
    },
    /// The CSRF token of a console session (`console_sessions.csrf`),
    /// sealed; the session is named by the SHA-256 of its cookie.
    Csrf {
        /// The session's `id_hash`.
        session: &'a str,
    },
    /// The issue time in a sign-in device cookie, whose digest is the
    /// cookie's MAC (`throttle.rs`); kept nowhere.
    DeviceCookie {
        /// The account it was issued to.
        account: &'a str,
    },
}

impl Secret<'_> {
    /// What is bound into the seal or digest: the kind and the row.
    fn label(&self) -> String {
        match self {
            Secret::SecretKey { superapp } => format!("secret_key\n{superapp}"),
            Secret::BundleKey { superapp } => format!("bundle_key\n{superapp}"),
            Secret::OpenidSecret => "openid_secret".into(),
            Secret::SessionKey { app, openid } => format!("session_key\n{app}\n{openid}"),
            Secret::Csrf { session } => format!("csrf\n{session}"),
            Secret::DeviceCookie { account } => format!("device\n{account}"),
        }
    }

    /// The secret as an operator reads it in an error.
    fn shown(&self) -> String {
        match self {
            Secret::SecretKey { superapp } => format!("the SecretKey of superapp `{superapp}`"),
            Secret::BundleKey { superapp } => format!("the bundle key of superapp `{superapp}`"),
            Secret::OpenidSecret => "the openid secret".into(),
            Secret::SessionKey { app, .. } => format!("a login session key of app `{app}`"),
            Secret::Csrf { .. } => "a console session's CSRF token".into(),
            Secret::DeviceCookie { account } => format!("a device cookie of `{account}`"),
        }
    }
}

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
        self.seal_with(&aad(superapp, kid), plain)
    }

    /// Opens what [`Kek::seal`] sealed for `(superapp, kid)`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when it does not open: another KEK, another
    /// superapp or kid, or altered bytes.
    pub fn open(&self, superapp: &str, kid: &str, sealed: &str) -> Result<Vec<u8>, ApiError> {
        self.open_with(&aad(superapp, kid), sealed).ok_or_else(|| {
            ApiError::Internal(format!(
                "the key-encryption key does not open signing key `{kid}` of superapp `{superapp}`"
            ))
        })
    }

    /// Seals secret `what` as its column keeps it: [`SEALED`] then the
    /// base64 of nonce ‖ ciphertext.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when there is no randomness.
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_server::distribution::sealing::{Kek, Secret};
    /// let kek = Kek::from_bytes([7; 32]);
    /// let what = Secret::BundleKey { superapp: "sa1" };
    /// let kept = kek.seal_secret(what, "b0nd1eK3y").unwrap();
    /// assert!(kept.starts_with("sealed:") && !kept.contains("b0nd1eK3y"));
    /// assert_eq!(kek.open_secret(what, &kept).unwrap(), "b0nd1eK3y");
    /// assert!(kek.open_secret(Secret::BundleKey { superapp: "sa2" }, &kept).is_err());
    /// ```
    pub fn seal_secret(&self, what: Secret<'_>, plain: &str) -> Result<String, ApiError> {
        let sealed = self.seal_with(&secret_aad(what), plain.as_bytes())?;
        Ok(format!("{SEALED}{sealed}"))
    }

    /// Opens what [`Kek::seal_secret`] sealed as `what`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] naming the secret when the value is in clear
    /// (a row from before migration 44 that the start has not sealed yet)
    /// or does not open (another KEK, row or column, or altered bytes).
    pub fn open_secret(&self, what: Secret<'_>, kept: &str) -> Result<String, ApiError> {
        let sealed = kept.strip_prefix(SEALED).ok_or_else(|| {
            ApiError::Internal(format!(
                "{} is stored in clear: migration 44 seals it when `guard serve` starts",
                what.shown()
            ))
        })?;
        self.open_with(&secret_aad(what), sealed)
            .and_then(|plain| String::from_utf8(plain).ok())
            .ok_or_else(|| {
                ApiError::Internal(format!(
                    "the key-encryption key does not open {}: wrong GUARD_KEK or kek file?",
                    what.shown()
                ))
            })
    }

    /// The digest of secret `what` as its column keeps it: [`DIGEST`] then
    /// the hex HMAC-SHA256 of the label and `plain` under a key derived
    /// from the KEK, so a copy of the database alone gives nothing to guess
    /// against (a SecretKey may be as short as 16 characters).
    ///
    /// # Examples
    ///
    /// ```
    /// use guard_server::distribution::sealing::{Kek, Secret};
    /// let kek = Kek::from_bytes([7; 32]);
    /// let what = Secret::SecretKey { superapp: "sa1" };
    /// let kept = kek.digest(what, "k3yK3yk3yK3yk3y1");
    /// assert!(kek.digest_matches(what, &kept, "k3yK3yk3yK3yk3y1"));
    /// assert!(!kek.digest_matches(what, &kept, "k3yK3yk3yK3yk3y2"));
    /// assert!(!kek.digest_matches(Secret::SecretKey { superapp: "sa2" }, &kept, "k3yK3yk3yK3yk3y1"));
    /// ```
    pub fn digest(&self, what: Secret<'_>, plain: &str) -> String {
        let key = hmac_hex(&self.0, b"guard-digest-key");
        let mac = hmac_hex(
            key.as_bytes(),
            format!("{}\n{plain}", what.label()).as_bytes(),
        );
        format!("{DIGEST}{mac}")
    }

    /// Whether `offered` is the secret whose digest is `kept`, compared in
    /// constant time; a value in clear (before migration 44) never matches.
    pub fn digest_matches(&self, what: Secret<'_>, kept: &str, offered: &str) -> bool {
        kept.starts_with(DIGEST) && ct_eq(&self.digest(what, offered), kept)
    }

    fn seal_with(&self, aad: &[u8], plain: &[u8]) -> Result<String, ApiError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
        let ct = ChaCha20Poly1305::new((&self.0).into())
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
            .map_err(|_| ApiError::Internal("sealing with the key-encryption key failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(STANDARD.encode(out))
    }

    fn open_with(&self, aad: &[u8], sealed: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, ct) = bytes.split_at(NONCE_BYTES);
        ChaCha20Poly1305::new((&self.0).into())
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
    }
}

fn aad(superapp: &str, kid: &str) -> Vec<u8> {
    format!("guard-signing-key\n{superapp}\n{kid}").into_bytes()
}

/// Another prefix than signing keys', so no secret's label can pass for a
/// key's `(superapp, kid)`.
fn secret_aad(what: Secret<'_>) -> Vec<u8> {
    format!("guard-secret\n{}", what.label()).into_bytes()
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
    fn secrets_open_only_as_what_and_whose_they_were_sealed() {
        let kek = Kek::from_bytes([7; 32]);
        let csrf = Secret::Csrf { session: "h1" };
        let kept = kek.seal_secret(csrf, "t0ken").unwrap();
        assert_eq!(kek.open_secret(csrf, &kept).unwrap(), "t0ken");
        for other in [
            Secret::Csrf { session: "h2" },
            Secret::OpenidSecret,
            Secret::SessionKey {
                app: "h1",
                openid: "",
            },
        ] {
            assert!(kek.open_secret(other, &kept).is_err(), "{other:?}");
        }
        assert!(Kek::from_bytes([8; 32]).open_secret(csrf, &kept).is_err());
        // A value in clear is refused, naming the secret, never opened.
        let e = format!("{:?}", kek.open_secret(csrf, "t0ken").unwrap_err());
        assert!(
            e.contains("CSRF") && e.contains("in clear") && !e.contains("t0ken"),
            "{e}"
        );
        // A sealed secret is no signing key, and a key no secret.
        let raw = kept.strip_prefix(SEALED).unwrap();
        assert!(kek.open("csrf", "h1", raw).is_err());
        // Digests: keyed by the KEK, bound to the row, clear never matches.
        let sk = Secret::SecretKey { superapp: "sa1" };
        let d = kek.digest(sk, "k3yK3yk3yK3yk3y1");
        assert!(d.starts_with(DIGEST) && !d.contains("k3yK3y"));
        assert_ne!(d, Kek::from_bytes([8; 32]).digest(sk, "k3yK3yk3yK3yk3y1"));
        assert!(!kek.digest_matches(sk, "k3yK3yk3yK3yk3y1", "k3yK3yk3yK3yk3y1"));
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

//! Console passwords: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane), hashed on the blocking pool (never on the async executor) and
//! at most [`HASHING_SLOTS`] at a time, so a burst of sign-ins costs bounded
//! memory and never stalls other requests.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::http::error::ApiError;

/// OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;
/// How many hashes may run at once (19 MiB each).
pub const HASHING_SLOTS: usize = 2;

/// Shortest password accepted (NIST SP 800-63B asks at least 8; 12 keeps a
/// console that can change every superapp's policy out of easy reach).
pub const MIN_CHARS: usize = 12;
/// Longest password accepted (argon2 takes any length; this bounds work).
pub const MAX_CHARS: usize = 256;

/// A PHC string of a password nobody has: verified against when the account
/// does not exist or has no password, so that a wrong name costs the same
/// time as a wrong password (no account enumeration by timing). Computed
/// once per process.
static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| ApiError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password (length, control characters, not the account id).
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `password`.
pub fn check_new(password: &str, account_id: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        return Err(ApiError::bad(
            "password",
            format!("is {n} characters long; at least {MIN_CHARS} needed"),
        ));
    }
    if n > MAX_CHARS {
        return Err(ApiError::bad(
            "password",
            format!("is {n} characters long; at most {MAX_CHARS} allowed"),
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(ApiError::bad("password", "contains control characters"));
    }
    if password.eq_ignore_ascii_case(account_id) {
        return Err(ApiError::bad("password", "must not be the account name"));
    }
    Ok(())
}

/// The hashing pool's slots.
#[derive(Debug, Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher {
            slots: Arc::new(Semaphore::new(HASHING_SLOTS)),
        }
    }
}

impl Hasher {
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(format!("hashing slots: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
    }

    /// The argon2id PHC string of `password` with a fresh 16-byte salt.
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when the OS has no randomness or argon2 fails.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.to_owned();
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches `phc`; `None` (no account, no password)
    /// is checked against a dummy hash and is never a match. A stored hash
    /// that does not parse is no match either (fail closed).
    ///
    /// # Errors
    ///
    /// [`ApiError::Internal`] when the hashing pool fails.
    pub async fn verify(&self, password: &str, phc: Option<String>) -> Result<bool, ApiError> {
        let password = password.to_owned();
        self.run(move || {
            let real = phc.is_some();
            let phc = match phc {
                Some(p) => p,
                None => dummy()?.to_owned(),
            };
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return Ok(false);
            };
            Ok(real
                && argon2()?
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok())
        })
        .await
    }
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(format!("salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

fn dummy() -> Result<&'static str, ApiError> {
    if let Some(d) = DUMMY.get() {
        return Ok(d);
    }
    let fresh = hash_now(&crate::util::random_hex(16)?)?;
    Ok(DUMMY.get_or_init(|| fresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = Hasher::default();
        let phc = h.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h
            .verify("correct horse battery", Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h
            .verify("correct horse batterY", Some(phc.clone()))
            .await
            .unwrap());
        // Salted: the same password hashes differently.
        assert_ne!(phc, h.hash("correct horse battery").await.unwrap());
        // No account / no password, and a damaged stored hash: never a match.
        assert!(!h.verify("anything at all", None).await.unwrap());
        assert!(!h
            .verify("correct horse battery", Some("$argon2id$garbage".into()))
            .await
            .unwrap());
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(check_new("long enough pw", "dev1").is_ok());
        for (bad, why) in [
            ("short", "at least"),
            ("dev1dev1dev1", "account name"),
            ("tab\there is bad", "control"),
        ] {
            let e = check_new(bad, "dev1dev1dev1").unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(check_new(&"x".repeat(MAX_CHARS + 1), "a").is_err());
    }
}

//! Console passwords: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane), hashed on the blocking pool (never on the async executor) and
//! at most [`HASHING_SLOTS`] at a time, so a burst of sign-ins costs bounded
//! memory and never stalls other requests.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

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

/// The least zxcvbn score a new password needs: 3 of 4, "safely
/// unguessable" (at least 10^8 guesses), which the sign-in throttle puts
/// years of online guessing away (decision 446).
pub const MIN_SCORE: u8 = 3;

/// How much of a password the strength estimator reads: its work grows
/// faster than the length, and a prefix this long that is strong makes
/// the whole password strong.
const SCORED_CHARS: usize = 100;

/// Checks a new password: its length, no control characters, not only
/// white space, and hard to guess — zxcvbn's estimate, whose own lists
/// (30,000 common passwords, names, English words) serve as the common-
/// password list, with the account's id and name as words a guesser
/// tries first. Each refusal says why, and zxcvbn's advice when it has
/// some.
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `password`.
///
/// # Examples
///
/// ```
/// use guard_server::password::check_new;
/// assert!(check_new("harbor violet ninety cobalt", "dev1", "Dev One").is_ok());
/// assert!(check_new("            ", "dev1", "Dev One").is_err());
/// assert!(check_new("password1234", "dev1", "Dev One").is_err());
/// ```
pub fn check_new(password: &str, account_id: &str, name: &str) -> Result<(), ApiError> {
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
    if password.chars().all(char::is_whitespace) {
        return Err(ApiError::bad(
            "password",
            "is only spaces: use words or characters a guesser cannot predict",
        ));
    }
    if password.eq_ignore_ascii_case(account_id) {
        return Err(ApiError::bad("password", "must not be the account name"));
    }
    let scored: String = password.chars().take(SCORED_CHARS).collect();
    // The name whole and word by word.
    let mut words = vec![account_id, name];
    words.extend(name.split_whitespace());
    let estimate = zxcvbn::zxcvbn(&scored, &words);
    let score = u8::from(estimate.score());
    if score < MIN_SCORE {
        let mut why = format!(
            "is too easy to guess (strength {score} of 4, at least {MIN_SCORE} needed; about 10^{:.0} guesses)",
            estimate.guesses_log10()
        );
        if let Some(f) = estimate.feedback() {
            if let Some(w) = f.warning() {
                why.push_str(&format!(": {w}"));
            }
            for s in f.suggestions() {
                why.push_str(&format!(" {s}"));
            }
        }
        return Err(ApiError::bad("password", why));
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
        assert!(check_new("long enough pw with cobalt", "dev1", "Dev One").is_ok());
        for (bad, why) in [
            ("short", "at least"),
            ("dev1dev1dev1", "account name"),
            ("tab\there is bad", "control"),
            // Whitespace only, of any kind: refused as such, not as weak.
            ("            ", "only spaces"),
            (
                "\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}  \u{a0}\u{a0}   ",
                "only spaces",
            ),
            // Repeats, sequences, keyboard walks, common passwords, words.
            ("aaaaaaaaaaaa", "too easy to guess"),
            ("abcdefghijkl", "too easy to guess"),
            ("qwertyuiopas", "too easy to guess"),
            ("password1234", "too easy to guess"),
            ("Password123!", "too easy to guess"),
            ("iloveyou2024", "too easy to guess"),
            // The account's own id and name are the first words tried.
            ("dev1dev1dev1dev1", "too easy to guess"),
            ("devonedevone", "too easy to guess"),
        ] {
            let e = check_new(bad, "dev1dev1dev1", "Dev One")
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let e = check_new("password1234", "a", "b").unwrap_err().to_string();
        assert!(e.contains("of 4, at least 3 needed"), "{e}");
        assert!(check_new(&"x".repeat(MAX_CHARS + 1), "a", "b").is_err());
        // Long passwords are scored on their first 100 characters.
        let long = format!("harbor violet ninety cobalt {}", "z".repeat(200));
        assert!(check_new(&long, "a", "b").is_ok());
    }
}

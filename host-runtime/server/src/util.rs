//! Small helpers: randomness, hashing and input checks shared by the handlers.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// `n` random bytes from the OS, as lower-case hex.
///
/// # Errors
///
/// [`ApiError::Internal`] when the OS has no randomness to give (fail closed:
/// never a predictable token).
pub fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut buf = vec![0u8; n];
    getrandom::getrandom(&mut buf).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    Ok(hex(&buf))
}

/// `n` random ASCII letters and digits (rejection sampling, so each of the
/// 62 is equally likely: 5.95 bits a character).
///
/// # Errors
///
/// [`ApiError::Internal`] when the OS has no randomness to give.
pub fn random_alnum(n: usize) -> Result<String, ApiError> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::getrandom(&mut buf)
            .map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
        // 248 = 4 × 62: bytes at or above it would favour the first letters.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == n {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(b % 62)]));
        }
    }
    Ok(out)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// SHA-256 of `s`, hex: how tokens, app secrets and codes are stored, so that a
/// leaked database does not leak usable credentials.
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// HMAC-SHA256 of `msg` under `key`, hex.
pub fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(msg);
    hex(&mac.finalize().into_bytes())
}

/// Equality in time independent of where the first difference is.
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks an identifier: 1..=64 chars of `[A-Za-z0-9_-]`, starting with a
/// letter or digit (so `_platform` can never be a superapp id).
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `field`.
pub fn check_id(field: &str, value: &str) -> Result<(), ApiError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad(
            field,
            format!(
                "`{value}` is not 1-64 letters, digits, `_` or `-` starting with a letter or digit"
            ),
        ))
    }
}

/// Checks a free text: at most `max` characters.
///
/// # Errors
///
/// [`ApiError::BadRequest`] naming `field`.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n > max {
        return Err(ApiError::bad(
            field,
            format!("is {n} characters long; at most {max} allowed"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::bad(field, "contains control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_hmac_match_known_values() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("a", "ab"));
        let k = random_alnum(32).unwrap();
        assert!(k.len() == 32 && k.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(k, random_alnum(32).unwrap());
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("id", "mp_shop-1").is_ok());
        for bad in ["", "_platform", "a b", "é", &"a".repeat(65)] {
            assert!(check_id("id", bad).is_err(), "{bad}");
        }
    }
}

//! Passwords (argon2id, legacy bcrypt), random tokens, and the password policy.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use bitcoin::hashes::{sha256, Hash};
use hcpool_core::Secret;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::WebError;

/// Minimum password length (characters).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Maximum password length (bytes): bounds hashing work per request.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// `n` random bytes from the OS as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Lowercase hex SHA-256 of `s` (how session ids are stored).
pub fn sha256_hex(s: &str) -> String {
    hex::encode(sha256::Hash::hash(s.as_bytes()).to_byte_array())
}

/// Constant-time equality of two tokens; empty tokens never match.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The minimum password policy; the message is shown to the user.
pub fn check_password_policy(pw: &str) -> Result<(), &'static str> {
    if pw.is_empty() {
        return Err("password cannot be empty");
    }
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        return Err("password must be at least 8 characters long");
    }
    if pw.len() > MAX_PASSWORD_BYTES {
        return Err("password is too long");
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters) off the async threads.
///
/// # Errors
/// [`WebError::PasswordHash`] / [`WebError::Join`].
pub async fn hash_password(pw: String) -> Result<Secret<String>, WebError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| Secret::new(h.to_string()))
            .map_err(|_| WebError::PasswordHash)
    })
    .await
    .map_err(|_| WebError::Join)?
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Wrong password, or a hash we cannot read.
    Mismatch,
    /// Right password, stored as argon2id.
    Ok,
    /// Right password, stored in a legacy format (bcrypt): re-hash and store it.
    OkNeedsUpgrade,
}

/// Checks `pw` against an argon2 PHC or legacy bcrypt (`$2a$`/`$2b$`/`$2y$`) hash.
///
/// # Errors
/// [`WebError::Join`] when the blocking task dies.
pub async fn check_password(pw: String, stored: Secret<String>) -> Result<PasswordCheck, WebError> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.expose();
        if stored.starts_with("$2") {
            return match bcrypt::verify(pw.as_bytes(), stored) {
                Ok(true) => PasswordCheck::OkNeedsUpgrade,
                _ => PasswordCheck::Mismatch,
            };
        }
        match PasswordHash::new(stored) {
            Ok(h) if Argon2::default().verify_password(pw.as_bytes(), &h).is_ok() => {
                PasswordCheck::Ok
            }
            _ => PasswordCheck::Mismatch,
        }
    })
    .await
    .map_err(|_| WebError::Join)
}

/// Spends about as long as a real check, so a sign-in for an unknown email is not faster.
pub async fn dummy_check(pw: String) {
    let fake = Secret::new(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$7dIJkFqYq4y4WJ7QEzkJ8yJq7pBfHAXDuXeQb6Nn3W8"
            .to_owned(),
    );
    let _ = check_password(pw, fake).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2_round_trip_and_bcrypt_upgrade_flag() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.expose().starts_with("$argon2id$"));
        assert_eq!(
            check_password("correct horse".into(), h.clone())
                .await
                .unwrap(),
            PasswordCheck::Ok
        );
        assert_eq!(
            check_password("wrong horse".into(), h).await.unwrap(),
            PasswordCheck::Mismatch
        );
        let legacy = Secret::new(bcrypt::hash("oldpassword", 4).unwrap());
        assert_eq!(
            check_password("oldpassword".into(), legacy.clone())
                .await
                .unwrap(),
            PasswordCheck::OkNeedsUpgrade
        );
        assert_eq!(
            check_password("nope".into(), legacy).await.unwrap(),
            PasswordCheck::Mismatch
        );
    }

    #[test]
    fn policy_and_tokens() {
        assert!(check_password_policy("").is_err());
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("longenough").is_ok());
        assert_eq!(random_hex(16).len(), 32);
        assert!(tokens_equal("abc", "abc"));
        assert!(!tokens_equal("", ""));
        assert!(!tokens_equal("abc", "abd"));
    }
}

//! Passwords (argon2id, legacy bcrypt), random tokens, and the password policy.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use bitcoin::hashes::{sha256, Hash};
use hcpool_core::Secret;
use rand::RngCore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
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

/// Prefix of a token's stored form ([`stored_token`]).
pub const STORED_TOKEN_PREFIX: &str = "sha256:";

/// How a mailed token (email verification, password reset, email change) is stored:
/// `sha256:` and the hex SHA-256 of the token, so the database never holds a usable link.
pub fn stored_token(token: &str) -> String {
    format!("{STORED_TOKEN_PREFIX}{}", sha256_hex(token))
}

/// The stored values a mailed token `t` may match, in order: its hash ([`stored_token`]),
/// then `t` itself when it looks like a token hcstakepool stored in clear (ASCII letters and
/// digits only), so links mailed before the switch to hcpool keep working. A stored hash
/// (it holds a `:`) is never accepted as a token. Nothing for a blank `t`.
pub fn token_keys(t: &str) -> Vec<String> {
    let t = t.trim();
    if t.is_empty() {
        return Vec::new();
    }
    let mut keys = vec![stored_token(t)];
    if t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        keys.push(t.to_owned());
    }
    keys
}

/// Constant-time equality of two tokens; empty tokens never match.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;

/// A submitted email address, trimmed, if it is acceptable: it has an `@`, at most
/// [`MAX_EMAIL`] bytes and no control characters (sign-up and email change).
pub fn checked_email(raw: &str) -> Option<String> {
    let email = raw.trim();
    (email.contains('@') && email.len() <= MAX_EMAIL && !email.chars().any(char::is_control))
        .then(|| email.to_owned())
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

/// The one gate every password hash and check passes: at most [`hash_slots`] run at once
/// (argon2id's defaults take ~19 MiB each), the rest wait their turn instead of filling the
/// blocking pool (up to 512 threads).
struct HashGate {
    slots: usize,
    sem: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

fn gate() -> &'static HashGate {
    static GATE: OnceLock<HashGate> = OnceLock::new();
    GATE.get_or_init(|| {
        let slots = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        HashGate {
            slots,
            sem: tokio::sync::Semaphore::new(slots),
            waiting: AtomicUsize::new(0),
        }
    })
}

/// How many password hashes and checks may run at once: the machine's cores.
pub fn hash_slots() -> usize {
    gate().slots
}

/// Hash slots free now (a gauge).
pub fn hash_slots_free() -> usize {
    gate().sem.available_permits()
}

/// Hashes and checks waiting for a slot now (a gauge).
pub fn hashes_waiting() -> usize {
    gate().waiting.load(Ordering::SeqCst)
}

/// Counts a waiter while it lives (a dropped request stops counting).
struct Waiter(&'static HashGate);

impl Drop for Waiter {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `work` on the blocking pool once a hash slot is free. The slot is held until `work`
/// ends, even when the request that asked is dropped meanwhile.
async fn on_hash_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WebError> {
    let g = gate();
    let slot = {
        g.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiter = Waiter(g);
        // The semaphore is never closed.
        g.sem.acquire().await.map_err(|_| WebError::Join)?
    };
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|_| WebError::Join)
}

/// Hashes a password with argon2id (default parameters) off the async threads, in a hash
/// slot.
///
/// # Errors
/// [`WebError::PasswordHash`] / [`WebError::Join`].
pub async fn hash_password(pw: String) -> Result<Secret<String>, WebError> {
    on_hash_slot(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| Secret::new(h.to_string()))
            .map_err(|_| WebError::PasswordHash)
    })
    .await?
}

/// hcstakepool's bcrypt cost (Go's `bcrypt.DefaultCost`).
pub const LEGACY_BCRYPT_COST: u32 = 10;

/// Hashes a password as the pool is configured to store it: argon2id, or, with
/// `legacypasswords` (hcstakepool shares the database), bcrypt `$2a$` at cost 10, exactly the
/// format hcstakepool's `HashPassword` writes and checks.
///
/// # Errors
/// [`WebError::PasswordHash`] / [`WebError::Join`].
pub async fn hash_password_as(pw: String, legacy: bool) -> Result<Secret<String>, WebError> {
    if !legacy {
        return hash_password(pw).await;
    }
    on_hash_slot(move || {
        bcrypt::hash_with_result(pw.as_bytes(), LEGACY_BCRYPT_COST)
            .map(|h| Secret::new(h.format_for_version(bcrypt::Version::TwoA)))
            .map_err(|_| WebError::PasswordHash)
    })
    .await?
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

/// Checks `pw` against an argon2 PHC or legacy bcrypt (`$2a$`/`$2b$`/`$2y$`) hash, off the
/// async threads, in a hash slot.
///
/// # Errors
/// [`WebError::Join`] when the blocking task dies.
pub async fn check_password(pw: String, stored: Secret<String>) -> Result<PasswordCheck, WebError> {
    on_hash_slot(move || {
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

    #[test]
    fn checked_email_trims_and_refuses_what_sign_up_refuses() {
        assert_eq!(checked_email("  a@b.c \n").as_deref(), Some("a@b.c"));
        assert_eq!(checked_email("nope"), None);
        assert_eq!(checked_email("a@b\u{7}c"), None, "control character");
        let long = format!("{}@b.c", "a".repeat(MAX_EMAIL - 4));
        assert_eq!(checked_email(&long).map(|e| e.len()), Some(MAX_EMAIL));
        assert_eq!(checked_email(&format!("a{long}")), None, "one byte over");
    }

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

    #[tokio::test]
    async fn legacy_mode_hashes_as_hcstakepool() {
        let h = hash_password_as("correct horse".into(), true)
            .await
            .unwrap();
        assert!(h.expose().starts_with("$2a$10$"), "{}", h.expose().len());
        assert!(bcrypt::verify("correct horse", h.expose()).unwrap());
        assert_eq!(
            check_password("correct horse".into(), h).await.unwrap(),
            PasswordCheck::OkNeedsUpgrade
        );
        let a = hash_password_as("x".into(), false).await.unwrap();
        assert!(a.expose().starts_with("$argon2id$"));
    }

    #[tokio::test]
    async fn the_hash_after_the_last_free_slot_waits_for_one() {
        let n = hash_slots();
        assert!(n >= 1);
        // Take every slot, as n concurrent hashes would.
        let all = gate().sem.acquire_many(n as u32).await.unwrap();
        assert_eq!(hash_slots_free(), 0);
        let next = tokio::spawn(hash_password("n plus one".into()));
        for _ in 0..10_000 {
            if hashes_waiting() >= 1 || next.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(hashes_waiting() >= 1, "the next hash waits for a slot");
        assert!(!next.is_finished(), "and cannot finish without one");
        drop(all);
        let h = next.await.unwrap().unwrap();
        assert!(h.expose().starts_with("$argon2id$"));
    }

    #[test]
    fn mailed_tokens_are_stored_hashed_and_legacy_ones_still_match() {
        let t = random_hex(16);
        let keys = token_keys(&t);
        assert_eq!(keys, vec![stored_token(&t), t.clone()]);
        assert!(keys[0].starts_with("sha256:") && !keys[0].contains(&t));
        assert_eq!(keys[0].len(), 7 + 64);
        // A stored hash submitted as a token is only hashed again, never compared raw.
        assert_eq!(token_keys(&keys[0]), vec![stored_token(&keys[0])]);
        assert!(token_keys("  ").is_empty());
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

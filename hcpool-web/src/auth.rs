//! The account service's hashing and randomness ([`Argon2Hasher`]: argon2id and legacy
//! bcrypt in a bounded number of hash slots; [`OsTokens`]: the OS random source), and token
//! comparison. The password policy and the stored form of mailed tokens are the core's
//! (`hcpool_core::service::accounts`), re-exported here.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use async_trait::async_trait;
use hcpool_core::backend::{HashScheme, TokenSource};
use hcpool_core::Secret;
use rand::RngCore;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::error::WebError;

pub use hcpool_core::backend::PasswordCheck;
pub use hcpool_core::service::accounts::{
    check_password_policy, sha256_hex, stored_token, token_keys, MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS, STORED_TOKEN_PREFIX,
};

/// `n` random bytes from the OS as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub use hcpool_core::util::tokens_equal;

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

/// The account service's [`hcpool_core::backend::PasswordHasher`]: argon2id (default
/// parameters) or hcstakepool's bcrypt, off the async threads in a hash slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Hasher;

fn hash_error(e: WebError) -> hcpool_core::Error {
    hcpool_core::Error::PasswordHash(e.to_string())
}

#[async_trait]
impl hcpool_core::backend::PasswordHasher for Argon2Hasher {
    async fn hash(
        &self,
        password: &str,
        scheme: HashScheme,
    ) -> hcpool_core::Result<Secret<String>> {
        let legacy = scheme == HashScheme::LegacyBcrypt;
        hash_password_as(password.to_owned(), legacy)
            .await
            .map_err(hash_error)
    }

    async fn verify(
        &self,
        password: &str,
        stored: &Secret<String>,
    ) -> hcpool_core::Result<PasswordCheck> {
        check_password(password.to_owned(), stored.clone())
            .await
            .map_err(hash_error)
    }

    async fn waste_a_check(&self, password: &str) {
        dummy_check(password.to_owned()).await;
    }
}

/// The account service's [`TokenSource`]: the OS random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsTokens;

impl TokenSource for OsTokens {
    fn random_hex(&self, bytes: usize) -> String {
        random_hex(bytes)
    }
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

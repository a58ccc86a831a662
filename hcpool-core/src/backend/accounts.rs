//! What the account service ([`crate::service::accounts`]) needs from outside the core:
//! password hashing, random tokens, API tokens and the wallets' health. hcpool-web implements
//! them with argon2id/bcrypt, the OS random source and hcstakepool's JWTs.

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{Secret, UserId};

/// How a new password hash is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashScheme {
    /// argon2id (PHC string): hcpool's own.
    Argon2id,
    /// bcrypt `$2a$` at cost 10, as hcstakepool writes and checks it (`legacypasswords`:
    /// hcstakepool shares the database).
    LegacyBcrypt,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// Wrong password, or a hash that cannot be read.
    Mismatch,
    /// Right password, stored as argon2id.
    Ok,
    /// Right password, stored in a legacy format (bcrypt): re-hash and store it.
    OkNeedsUpgrade,
}

/// Hashes and checks passwords. Implementations run the work off the async threads.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes `password` as `scheme` says.
    ///
    /// # Errors
    /// [`crate::Error::PasswordHash`] when hashing failed.
    async fn hash(&self, password: &str, scheme: HashScheme) -> Result<Secret<String>>;

    /// Checks `password` against an argon2 PHC or a legacy bcrypt (`$2a$`/`$2b$`/`$2y$`)
    /// hash; a bcrypt match is [`PasswordCheck::OkNeedsUpgrade`].
    ///
    /// # Errors
    /// [`crate::Error::PasswordHash`] when the check could not run.
    async fn verify(&self, password: &str, stored: &Secret<String>) -> Result<PasswordCheck>;

    /// Spends about as long as [`PasswordHasher::verify`], so a sign-in for an unknown
    /// address is not faster than one for a known address.
    async fn waste_a_check(&self, password: &str);
}

/// Random tokens (session ids, CSRF tokens, mailed links).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
pub trait TokenSource: Send + Sync {
    /// `bytes` random bytes from a cryptographic source, as lowercase hex.
    fn random_hex(&self, bytes: usize) -> String;
}

/// Issues API tokens (hcstakepool's JWTs in hcpool-web).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
pub trait ApiTokenIssuer: Send + Sync {
    /// A token for `user` issued at `issued_at` (unix seconds). The same arguments may give
    /// the same token.
    fn issue(&self, user: UserId, issued_at: i64) -> Secret<String>;

    /// The user `token` was issued for, when it is one of this issuer's tokens and valid
    /// at `now` (unix seconds); `None` for anything else. Whether it is still the user's
    /// current token is the caller's check.
    fn verify(&self, token: &str, now: i64) -> Option<UserId>;
}

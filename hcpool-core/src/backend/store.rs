//! The pool's persistent state (hcstakepool's MySQL tables Users, EmailChange,
//! PasswordReset, LowFeeTicket, plus hcpool's own sessions).
//!
//! Contract: every method is one business step and atomic; on error nothing changed.
//! Missing rows are `Ok(None)` (or `Ok(false)`), never an error. A uniqueness violation is
//! [`crate::Error::Store`] with [`crate::BackendKind::Conflict`]; a database that cannot be
//! reached is `Unavailable`; a row that cannot be turned into domain values is `Inconsistent`.

use async_trait::async_trait;

use crate::address::Address;
use crate::error::Result;
use crate::ids::{Secret, TicketHash, UserId};
use crate::multisig::RedeemScript;
use crate::votebits::VoteBits;

use super::voting::{TicketEntry, UserVotingConfig};

/// A user's address registration (the multisig columns of `Users`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// 1-of-2 multisig P2SH address (`MultiSigAddress`).
    pub multisig_address: Address,
    /// Its redeem script (`MultiSigScript`, hex in the table).
    pub multisig_script: RedeemScript,
    /// The pool's pubkey-address used in the script (`PoolPubKeyAddr`).
    pub pool_pubkey_addr: Address,
    /// The user's pubkey-address (`UserPubKeyAddr`).
    pub user_pubkey_addr: Address,
    /// The user's fee address (`UserFeeAddr`).
    pub user_fee_addr: Address,
    /// Chain height at registration (`HeightRegistered`), where rescans start.
    pub height_registered: u32,
}

/// A row of `Users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `UserId`.
    pub id: UserId,
    /// `Email`.
    pub email: String,
    /// `Username` (the email at sign-up).
    pub username: String,
    /// `Password`: a bcrypt (legacy) or argon2id PHC hash.
    pub password_hash: Secret<String>,
    /// `EmailVerified`: 0 unverified, 1 verified, 2 grandfathered.
    pub email_verified: i64,
    /// `EmailToken` ('' once verified).
    pub email_token: Secret<String>,
    /// `APIToken` ('' when none).
    pub api_token: Secret<String>,
    /// `VoteBits`.
    pub vote_bits: VoteBits,
    /// `VoteBitsVersion`.
    pub vote_bits_version: u32,
    /// The registration, once the user submitted an address.
    pub registration: Option<Registration>,
}

impl User {
    /// Whether the user may sign in (verified or grandfathered).
    pub fn is_verified(&self) -> bool {
        self.email_verified > 0
    }
}

/// A new, unverified user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Email (also the username).
    pub email: String,
    /// Password hash (argon2id PHC string).
    pub password_hash: Secret<String>,
    /// Email verification token.
    pub email_token: Secret<String>,
    /// Initial votebits (1).
    pub vote_bits: VoteBits,
    /// Current vote version.
    pub vote_bits_version: u32,
}

/// A pending email change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChange {
    /// The user.
    pub user_id: UserId,
    /// The address to switch to.
    pub new_email: String,
    /// Token mailed to the new address.
    pub token: Secret<String>,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds.
    pub expires: i64,
}

/// A low-fee ticket an admin added for voting (`LowFeeTicket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowFeeTicket {
    /// `LowFeeTicketID`.
    pub id: i64,
    /// `AddedByUid`.
    pub added_by: UserId,
    /// `TicketAddress`.
    pub ticket_address: String,
    /// `TicketHash`.
    pub ticket_hash: TicketHash,
    /// `Voted`.
    pub voted: bool,
    /// `Created`.
    pub created: i64,
    /// `Expires`.
    pub expires: i64,
}

/// A low-fee ticket to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLowFeeTicket {
    /// The admin adding it.
    pub added_by: UserId,
    /// Ticket address.
    pub ticket_address: String,
    /// Ticket hash.
    pub ticket_hash: TicketHash,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds.
    pub expires: i64,
}

/// User counts for stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserCounts {
    /// All users.
    pub all: u64,
    /// Users with a registered address.
    pub active: u64,
}

/// The pool's store.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait Store: Send + Sync {
    /// Creates an unverified user. `Conflict` when the email (case-insensitive) exists.
    async fn create_user(&self, user: NewUser) -> Result<UserId>;
    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;
    /// A user by email (case-insensitive).
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// Verifies the user holding `email_token`: sets `EmailVerified = 1`, clears the token and
    /// stores `api_token`, atomically. `None` when no user holds the token.
    async fn verify_email(&self, email_token: &str, api_token: &str) -> Result<Option<UserId>>;
    /// Replaces the password hash.
    async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<()>;
    /// Replaces the API token.
    async fn set_api_token(&self, id: UserId, token: &str) -> Result<()>;
    /// Records an address registration, only if the user has none yet (`Conflict` otherwise).
    async fn register_address(&self, id: UserId, registration: &Registration) -> Result<()>;
    /// Sets one user's votebits.
    async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> Result<()>;
    /// In one statement: every user whose `VoteBitsVersion` differs from `version`, or whose
    /// bits are not in `valid`, gets bits 1; every user gets `VoteBitsVersion = version`.
    /// Returns the number of users whose bits were reset.
    async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64>;
    /// All registered users' voting configuration, in one query.
    async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>>;
    /// All registered multisig scripts with their registration heights, in one query.
    async fn multisig_scripts(&self) -> Result<Vec<(RedeemScript, u32)>>;
    /// User counts.
    async fn user_counts(&self) -> Result<UserCounts>;
    /// Records a pending email change.
    async fn create_email_change(&self, change: &EmailChange) -> Result<()>;
    /// Applies and consumes the email change with `token` if it has not expired at `now`;
    /// returns the user. `Conflict` when the new email is taken by then.
    async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>>;
    /// Records a password reset token.
    async fn create_password_reset(
        &self,
        id: UserId,
        token: &str,
        created: i64,
        expires: i64,
    ) -> Result<()>;
    /// The user of an unexpired password reset token (does not consume it).
    async fn password_reset_user(&self, token: &str, now: i64) -> Result<Option<UserId>>;
    /// Consumes an unexpired reset token and sets the new password hash, atomically.
    async fn reset_password(&self, token: &str, now: i64, hash: &str) -> Result<Option<UserId>>;
    /// Adds low-fee tickets (all or none).
    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<()>;
    /// Low-fee tickets that can still be voted (`Voted = 0 AND Expires > now`).
    async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>>;
    /// All low-fee tickets as stakepoold loads them (no filter).
    async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>>;
}

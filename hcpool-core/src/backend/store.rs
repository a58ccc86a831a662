//! The pool's persistent state (hcstakepool's MySQL tables Users, EmailChange,
//! PasswordReset, LowFeeTicket, plus hcpool's own server-side sessions, captcha challenges
//! and mail outbox).
//!
//! The store is cut into roles — [`UserStore`], [`TokenStore`], [`SessionStore`],
//! [`ChallengeStore`], [`LowFeeTicketStore`], [`MailOutbox`], [`HistoryStore`],
//! [`NotificationStore`], [`VoteRecordStore`], [`StoreMaintenance`] — so an
//! embedder implements only what the parts it runs need (stakepoold reads users and
//! low-fee tickets; the web app needs everything). [`Store`] is all of them at once and is
//! implemented for every type that implements the roles.
//!
//! # Contract (every implementation; checked by `testing::store_conformance`)
//! - Every method is one business step and atomic: on error nothing changed.
//! - Missing rows are `Ok(None)` / `Ok(false)` / `Ok(0)`, never an error.
//! - A uniqueness rule (an email already in use, an address already registered, a session id
//!   already present) or a concurrent change that refused the write is
//!   [`crate::Error::Store`] with [`BackendKind::Conflict`](crate::BackendKind::Conflict).
//! - A database that cannot be reached (down, pool timed out, connection lost) is
//!   `Unavailable`; a later call may succeed once it is back.
//! - A row that cannot be turned into domain values is `Inconsistent`.
//! - Tokens: an empty (or blank) token never matches anything, because legacy rows hold `''`
//!   once a token is consumed.
//! - Every method is safe to cancel: a dropped future rolls its transaction back.

use async_trait::async_trait;

use crate::address::Address;
use crate::error::Result;
pub use crate::history::HistorySample;
use crate::ids::{BlockHash, Secret, TicketHash, TxHash, UserId};
use crate::multisig::RedeemScript;
pub use crate::notify::{NotifyEvent, NotifyPrefs, Subscriber, TicketEvent};
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
    /// `Username` (the email at sign-up; not changed by an email change).
    pub username: String,
    /// `Password`: a bcrypt (legacy) or argon2id PHC hash.
    pub password_hash: Secret<String>,
    /// `EmailVerified`.
    pub email_verified: EmailVerification,
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
        self.email_verified.is_verified()
    }

    /// Whether an operator disabled the account (`hcpoolctl disable-user`): its stored
    /// password starts with [`DISABLED_PASSWORD_PREFIX`].
    pub fn is_disabled(&self) -> bool {
        self.password_hash
            .expose()
            .starts_with(DISABLED_PASSWORD_PREFIX)
    }

    /// Whether the account was deleted ([`ErasureStore::erase_account`]): its password is
    /// [`ERASED_PASSWORD`]. Its row may still hold the address registration while its
    /// tickets are live.
    pub fn is_erased(&self) -> bool {
        self.password_hash.expose() == ERASED_PASSWORD
    }
}

/// The `Password` value of a deleted account ([`ErasureStore::erase_account`]): like
/// [`DISABLED_PASSWORD_PREFIX`], no hash starts with `!`, so neither hcpool nor hcstakepool
/// signs anybody in with it, and `hcpoolctl enable-user` (which strips only the disabled
/// prefix) cannot bring the account back.
pub const ERASED_PASSWORD: &str = "!erased!";

/// The email (and username) a deleted account's row carries instead of the user's:
/// unique (it names the id, which is never reused), and in the `.invalid` top-level domain,
/// which RFC 2606 reserves so that no mail can ever be delivered to it.
pub fn erased_email(id: UserId) -> String {
    format!("erased-{}@erased.invalid", id.0)
}

/// The prefix a disabled account's `Password` value carries. No bcrypt (`$2a$…`) or argon2
/// (`$argon2id$…`) hash starts with `!`, so neither hcpool nor hcstakepool signs the user in,
/// and no column is added to hcstakepool's schema; enabling strips it.
pub const DISABLED_PASSWORD_PREFIX: &str = "!disabled!";

/// Whether a user proved they own their email address (`Users.EmailVerified`).
///
/// The column is a bigint and hcstakepool writes exactly three values, which this type keeps
/// as they are so both programs can share a database: `0` at sign-up, `1` once the link is
/// followed, `2` for accounts its upgrade found (they predate verification). It refuses only
/// `0` at sign-in, so `1` and `2` both count as verified. Stores convert with
/// `i64::from` / `TryFrom<i64>`; `TryFrom` refuses any other value. The SQL store reads such
/// a (hand-edited) value as `Grandfathered`, with a warning, since hcstakepool lets every
/// non-zero value sign in; it never writes one back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailVerification {
    /// `0`: signed up, verification link not followed yet; may not sign in.
    Pending,
    /// `1`: the verification link was followed.
    Verified,
    /// `2`: the account existed before hcstakepool verified emails; treated as verified.
    Grandfathered,
}

impl EmailVerification {
    /// The `EmailVerified` value hcstakepool writes for this state.
    pub const fn code(self) -> i64 {
        match self {
            EmailVerification::Pending => 0,
            EmailVerification::Verified => 1,
            EmailVerification::Grandfathered => 2,
        }
    }

    /// Whether the user may sign in and gets an API token (`Verified` or `Grandfathered`).
    pub const fn is_verified(self) -> bool {
        !matches!(self, EmailVerification::Pending)
    }
}

impl From<EmailVerification> for i64 {
    fn from(v: EmailVerification) -> i64 {
        v.code()
    }
}

impl TryFrom<i64> for EmailVerification {
    type Error = crate::Error;

    /// `0`, `1` or `2`; anything else is [`Error::InvalidInput`](crate::Error::InvalidInput).
    fn try_from(code: i64) -> Result<Self> {
        match code {
            0 => Ok(EmailVerification::Pending),
            1 => Ok(EmailVerification::Verified),
            2 => Ok(EmailVerification::Grandfathered),
            other => Err(crate::Error::InvalidInput(format!(
                "EmailVerified {other} is none of 0 (pending), 1 (verified), 2 (grandfathered)"
            ))),
        }
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

/// A pending email change (`EmailChange`).
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
    /// Expires, unix seconds (valid while `expires > now`).
    pub expires: i64,
}

/// A password reset token (`PasswordReset`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The user.
    pub user_id: UserId,
    /// Token mailed to the user.
    pub token: Secret<String>,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds (valid while `expires > now`).
    pub expires: i64,
}

/// A low-fee ticket an admin added for voting (`LowFeeTicket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowFeeTicket {
    /// `LowFeeTicketID`.
    pub id: i64,
    /// `AddedByUid`.
    pub added_by: UserId,
    /// `TicketAddress` (the ticket's multisig address). A row whose address does not parse
    /// is reported as corrupt by the store, as a bad `MultiSigAddress` is.
    pub ticket_address: Address,
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
    pub ticket_address: Address,
    /// Ticket hash.
    pub ticket_hash: TicketHash,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds.
    pub expires: i64,
}

/// A registered user's multisig script, as wallet sync imports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredScript {
    /// The user.
    pub user_id: UserId,
    /// The 1-of-2 redeem script.
    pub script: RedeemScript,
    /// Where a rescan for it starts (`HeightRegistered`).
    pub height_registered: u32,
}

/// A server-side web session (hcpool's `hcpool_sessions`; hcstakepool had cookie sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hex SHA-256 of the session cookie value: the store never sees the cookie itself.
    pub id_hash: String,
    /// The signed-in user.
    pub user_id: UserId,
    /// The session's CSRF token.
    pub csrf_token: Secret<String>,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds (valid while `expires > now`).
    pub expires: i64,
    /// Last request, unix seconds.
    pub last_seen: i64,
}

/// A mail waiting in the outbox (hcpool's `hcpool_mail_outbox`): written in the request
/// that asks for it, sent by whichever web instance claims it first, deleted once sent.
///
/// `kind` says what to send: a rendered mail (`subject`/`body` as given), or a job the
/// sender resolves when it runs (for example "a password reset for `recipient`"), so the
/// request does the same work whether or not the address belongs to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Row id (assigned by the store; ignored by [`MailOutbox::enqueue_mail`]).
    pub id: i64,
    /// What to send (the web app's job names; at most 32 bytes).
    pub kind: String,
    /// Recipient address.
    pub recipient: String,
    /// Subject (empty for jobs that render their own).
    pub subject: String,
    /// Body: may hold a live token until the row is deleted.
    pub body: Secret<String>,
    /// The client IP of the request that asked for it (shown in some mails).
    pub ip: String,
    /// Delivery attempts started so far (each claim counts one).
    pub attempts: u32,
    /// Unix seconds from which the row may be claimed (backoff, and the lease of a claim).
    pub next_attempt: i64,
    /// Created, unix seconds.
    pub created: i64,
}

/// User counts for stats. Deleted accounts ([`User::is_erased`]) are not users any more:
/// their rows, kept as tombstones (with the registration while their tickets may vote), are
/// in neither count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserCounts {
    /// All users, deleted accounts excepted.
    pub all: u64,
    /// Users with a registered address, deleted accounts excepted.
    pub active: u64,
}

/// Where a store keeps its data right now, for monitors: the node in use and, on a Galera
/// cluster, how many nodes the cluster has. A single embedded database reports the default
/// (nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreStatus {
    /// The database node in use (`host:port`, never credentials); `None` for an embedded
    /// database.
    pub node: Option<String>,
    /// Database nodes configured.
    pub nodes: usize,
    /// Nodes that answered their last check (ready to take queries).
    pub nodes_ready: usize,
    /// Galera's `wsrep_cluster_size` as the node in use reports it; `None` outside Galera
    /// or when the node did not answer.
    pub cluster_size: Option<u32>,
}

/// A sign-up captcha challenge: the hash of its answer, kept until it is answered once or
/// expires. Challenges belong to no user and are never sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Hex SHA-256 of the challenge id the form carries: the store never sees the id.
    pub id_hash: String,
    /// A hash of the expected answer (the web app's choice of hash).
    pub answer_hash: Secret<String>,
    /// Created, unix seconds.
    pub created: i64,
    /// Expires, unix seconds (valid while `expires > now`).
    pub expires: i64,
}

/// The rule of [`UserStore::reset_vote_bits`] for one user: `Some((bits 1, version))` when
/// the user's `bits` (for `bits_version`) must be reset for the wallet's `version`, `None`
/// when they stand (the version matches and the bits are 1 or among `valid`).
pub fn user_vote_bits_reset(
    bits: VoteBits,
    bits_version: u32,
    version: u32,
    valid: &[VoteBits],
) -> Option<(VoteBits, u32)> {
    let bits_ok = bits == VoteBits::DEFAULT || valid.contains(&bits);
    (bits_version != version || !bits_ok).then_some((VoteBits::DEFAULT, version))
}

/// Users: accounts, password hashes, API tokens, address registrations and votebits
/// (`Users`). See the module docs for the contract every method keeps.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates an unverified user (`EmailVerified = 0`, `Username = Email`, empty API token,
    /// no registration) and returns its id. Ids are never reused.
    ///
    /// # Errors
    /// `Conflict` when a user with this email exists (case-insensitive), also between
    /// concurrent callers on different database nodes. Legacy databases may hold duplicate
    /// emails, so this is not a unique index on `Users` (hcpool-db: a claim table keyed by
    /// the email, written in the same transaction).
    async fn create_user(&self, user: &NewUser) -> Result<UserId>;

    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>>;

    /// A user by email (case-insensitive); with legacy duplicates, the lowest id.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;

    /// A user by API token; with duplicates, the lowest id.
    async fn user_by_api_token(&self, token: &str) -> Result<Option<User>>;

    /// Sets a new password hash and, in the same transaction, revokes what the old password
    /// could still reach: the user's sessions, password reset tokens and pending email
    /// changes, and the API token (set to empty: the caller issues a new one). `false` when
    /// there is no such user.
    async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool>;

    /// Replaces the stored hash of the *same* password (a legacy bcrypt hash re-hashed as
    /// argon2id at sign-in): revokes nothing. `false` when there is no such user. The default
    /// does nothing and returns `false` (the legacy hash stays and is checked again next time).
    async fn upgrade_password_hash(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        let _ = (id, hash);
        Ok(false)
    }

    /// Replaces the API token. `false` when there is no such user.
    async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> Result<bool>;

    /// Users with `EmailVerified > 0` and an empty API token (hcstakepool's start-up step 6),
    /// in id order.
    async fn verified_users_without_api_token(&self) -> Result<Vec<UserId>>;

    /// Stores API tokens for users whose token is still empty (a set token is never
    /// overwritten), in bounded batches inside one transaction. Returns how many were set.
    async fn set_missing_api_tokens(&self, tokens: &[(UserId, Secret<String>)]) -> Result<u64>;

    /// Records an address registration (the six multisig columns) at once.
    /// `false` when there is no such user.
    ///
    /// # Errors
    /// `Conflict` when the user already has a registration (one address per account).
    async fn register_address(&self, id: UserId, registration: &Registration) -> Result<bool>;

    /// Sets one user's votebits and vote version. `false` when there is no such user.
    async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> Result<bool>;

    /// hcstakepool's `CheckAndResetUserVoteBits` in one statement: every user whose
    /// `VoteBitsVersion` differs from `version`, or whose bits are neither 1 nor in `valid`,
    /// gets bits 1 and `VoteBitsVersion = version`. Returns the number of users changed.
    /// Stores that keep users in memory apply [`user_vote_bits_reset`] to each one.
    async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64>;

    /// All registered users' voting configuration, in one query, in id order.
    async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>>;

    /// All registered multisig scripts with their registration heights, in one query, in id
    /// order.
    async fn multisig_scripts(&self) -> Result<Vec<RegisteredScript>>;

    /// User counts (all; active = with a registration), deleted accounts (rows whose
    /// password is [`ERASED_PASSWORD`]) left out.
    async fn user_counts(&self) -> Result<UserCounts>;
}

/// Single-use tokens mailed to users: email verification, password resets and email
/// changes (`Users.EmailToken`, `PasswordReset`, `EmailChange`).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Verifies the user holding `email_token`: `EmailVerified = 1`, `EmailToken = ''`.
    /// Returns the user, or `None` when no user holds the token (so a token works once).
    async fn verify_email(&self, email_token: &str) -> Result<Option<UserId>>;

    /// Sets the email verification token of a user who is still unverified
    /// (`EmailVerified = 0`): a new verification mail replaces the old link. `false` when
    /// there is no such user or the user is verified already.
    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool>;

    /// Records a pending email change.
    ///
    /// # Errors
    /// `Conflict` when `new_email` already belongs to a user (case-insensitive).
    async fn create_email_change(&self, change: &EmailChange) -> Result<()>;

    /// The pending email change with `token`, expired or not (does not consume it).
    async fn email_change(&self, token: &str) -> Result<Option<EmailChange>>;

    /// Applies and consumes the email change with `token` if it has not expired at `now`:
    /// sets `Email` (not `Username`) and revokes as [`UserStore::change_password`] does
    /// (sessions, reset tokens, every pending email change, the API token), atomically.
    /// `None` when the token is unknown or expired.
    ///
    /// # Errors
    /// `Conflict` when the new email was taken by another user meanwhile (nothing changes).
    async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>>;

    /// Records a password reset token.
    async fn create_password_reset(&self, reset: &PasswordReset) -> Result<()>;

    /// The password reset with `token`, expired or not (does not consume it).
    async fn password_reset(&self, token: &str) -> Result<Option<PasswordReset>>;

    /// If `token` is known and unexpired at `now`: sets the password hash and revokes as
    /// [`UserStore::change_password`] does (sessions, reset tokens, pending email changes,
    /// the API token), atomically. `None` otherwise.
    async fn reset_password(
        &self,
        token: &str,
        now: i64,
        hash: &Secret<String>,
    ) -> Result<Option<UserId>>;
}

/// Server-side web sessions (`hcpool_sessions`).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    ///
    /// # Errors
    /// `Conflict` when a session with this `id_hash` exists.
    async fn create_session(&self, session: &Session) -> Result<()>;

    /// The session `id_hash` if it is still valid at `now` (`expires > now`).
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>>;

    /// Records activity on a valid session: `last_seen = now`, `expires = expires`.
    /// `false` when the session is unknown or expired.
    async fn touch_session(&self, id_hash: &str, now: i64, expires: i64) -> Result<bool>;

    /// Deletes one session (sign-out). `false` when it did not exist.
    async fn delete_session(&self, id_hash: &str) -> Result<bool>;

    /// Deletes all of a user's sessions. Returns how many.
    async fn delete_user_sessions(&self, id: UserId) -> Result<u64>;
}

/// Sign-up captcha challenges, each answerable once.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait ChallengeStore: Send + Sync {
    /// Stores a new challenge.
    ///
    /// # Errors
    /// `Conflict` when a challenge (or, in stores that share the table, a session) with
    /// this `id_hash` exists.
    async fn create_challenge(&self, challenge: &Challenge) -> Result<()>;

    /// Consumes challenge `id_hash` if it is still valid at `now` and returns its answer
    /// hash. Of two racing callers at most one gets it; an unknown, expired or already
    /// taken challenge is `None`.
    async fn take_challenge(&self, id_hash: &str, now: i64) -> Result<Option<Secret<String>>>;
}

/// Low-fee tickets an admin added for voting (`LowFeeTicket`).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait LowFeeTicketStore: Send + Sync {
    /// Adds low-fee tickets, all or none. A ticket whose hash is already in the table (or
    /// earlier in `tickets`) is skipped. Returns how many rows were inserted.
    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64>;

    /// Deletes the rows of these ticket hashes. Returns how many rows were deleted.
    async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64>;

    /// Marks a low-fee ticket voted (`Voted = 1`). `false` when the hash is unknown.
    async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> Result<bool>;

    /// Low-fee tickets that can still be voted (`Voted = 0 AND Expires > now`), in id order.
    async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>>;

    /// All low-fee tickets (no filter: voted and expired ones too), in id order. The voting
    /// nodes get only the votable ones ([`crate::service::votable_low_fee_entries`]).
    async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>>;
}

/// The mail outbox (`hcpool_mail_outbox`): mails written by requests, sent by whichever web
/// instance claims them.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait MailOutbox: Send + Sync {
    /// Stores a mail to send (its `id` and `attempts` are ignored: a new row starts at 0
    /// attempts) and returns the row id.
    async fn enqueue_mail(&self, mail: &OutboxMail) -> Result<i64>;

    /// Claims up to `limit` rows due at `now` (`next_attempt <= now`), oldest first, in one
    /// transaction: each gets `attempts + 1` and `next_attempt = lease_until`, so no other
    /// caller claims it before the lease ends (a sender that died mid-send leaves the row to
    /// be claimed again then). Returns the claimed rows as they are after the claim.
    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<OutboxMail>>;

    /// Deletes row `id` if it is still at `attempts` (the claim the caller holds; a row
    /// claimed again meanwhile is left alone). `false` when nothing was deleted.
    async fn delete_mail(&self, id: i64, attempts: u32) -> Result<bool>;

    /// Releases the caller's claim on row `id` (still at `attempts`) for a retry from
    /// `next_attempt`. `false` when the row is gone or was claimed again.
    async fn retry_mail(&self, id: i64, attempts: u32, next_attempt: i64) -> Result<bool>;
}

/// The pool's history for the charts (`hcpool_history`): one sample of the stake info per
/// block, keyed by height, thinned with age by [`crate::history::prune`].
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Records a sample unless one of the same height is already stored (another instance
    /// recorded the block): `true` when it was added.
    async fn record_sample(&self, sample: &HistorySample) -> Result<bool>;

    /// The samples with `since <= time < until`, in height order.
    async fn history_samples(&self, since: i64, until: i64) -> Result<Vec<HistorySample>>;

    /// Deletes the samples of these heights. Returns how many rows were deleted.
    async fn delete_history_samples(&self, heights: &[u32]) -> Result<u64>;
}

/// Vote notifications (`hcpool_notify_prefs`, `hcpool_notify_events`): what each user
/// chose, and every ticket event recorded once across instances ([`crate::notify`]).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// The user's preferences; `None` when they never saved any (the default applies).
    async fn notify_prefs(&self, user: UserId) -> Result<Option<NotifyPrefs>>;

    /// Saves the user's preferences (insert or replace; `last_digest_day` is kept as stored
    /// when a row exists). When they mail nothing any more, the user's events waiting for a
    /// digest are dropped from it in the same transaction. `false` when there is no such
    /// user.
    async fn set_notify_prefs(&self, user: UserId, prefs: &NotifyPrefs) -> Result<bool>;

    /// Users with at least one event chosen and a registered address, in id order.
    async fn notify_subscribers(&self) -> Result<Vec<Subscriber>>;

    /// The (ticket, event) pairs recorded for the user above `height`.
    async fn notify_events_since(
        &self,
        user: UserId,
        height: u32,
    ) -> Result<Vec<(crate::ids::TicketHash, TicketEvent)>>;

    /// Records `event` unless its (ticket, event) pair is recorded already: `true` when this
    /// call recorded it. With `mail`, the mail is stored in the outbox in the same
    /// transaction (only by the call that recorded the event); without, the event waits for
    /// the user's daily digest (`pending`).
    async fn record_notify_event(
        &self,
        event: &NotifyEvent,
        mail: Option<OutboxMail>,
    ) -> Result<bool>;

    /// Events waiting for a digest that were recorded before `before`, by user then time.
    async fn pending_notify_events(&self, before: i64) -> Result<Vec<NotifyEvent>>;

    /// Sends the user's digest of UTC day `day` once: if the user's `last_digest_day` is
    /// below `day`, in one transaction sets it to `day`, takes `events` out of the pending
    /// set and stores `mail` in the outbox, and returns `true`; otherwise (another instance
    /// sent it, or no preferences row) changes nothing and returns `false`.
    async fn send_notify_digest(
        &self,
        user: UserId,
        day: i64,
        events: &[NotifyEvent],
        mail: &OutboxMail,
    ) -> Result<bool>;

    /// Claims the notification scan of block `height` for `owner` (one instance's id, at most
    /// [`crate::notify::SCAN_OWNER_MAX`] characters), so that of several instances only one
    /// asks the wallets about every subscriber per block: `true` when this call recorded the
    /// claim, or `owner` holds it already (the claimer retrying a scan that failed); `false`
    /// when another owner claimed the height. A call that records a claim also deletes the
    /// claims more than [`crate::notify::SCAN_CLAIMS_KEPT`] blocks away from `height` (old
    /// blocks, and a chain that started again lower). `now` (unix seconds) is kept with the
    /// claim.
    ///
    /// The default claims every height for everybody: each instance scans every block, which
    /// costs wallet calls but loses and duplicates no mail ([`Self::record_notify_event`]
    /// decides that).
    async fn claim_notify_scan(&self, height: u32, owner: &str, now: i64) -> Result<bool> {
        let _ = (height, owner, now);
        Ok(true)
    }
}

/// What [`ErasureStore::erase_account`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureStarted {
    /// The user's sessions ended.
    pub sessions: u64,
    /// Mails to the user's address dropped from the outbox.
    pub mails: u64,
    /// The account had no address registration, so nothing had to be kept: the erasure is
    /// complete already ([`ErasureRecord::erased`] is set).
    pub complete: bool,
}

/// A row of hcpool's `hcpool_erasures`: an account deletion, pending while the user's
/// tickets may still vote, complete once the rest of the row was blanked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureRecord {
    /// The deleted account.
    pub user_id: UserId,
    /// When the user (or an operator) deleted it, unix seconds.
    pub requested: i64,
    /// When the voting data was erased too, unix seconds; `None` while pending.
    pub erased: Option<i64>,
    /// The multisig (ticket) address kept for voting while pending; `None` once erased or
    /// when the account never registered one.
    pub multisig_address: Option<Address>,
}

/// Account deletion and data export (hcpool's `hcpool_erasures`, and the reads of a user's
/// own rows the export shows). See `docs/compat.md` ("Account deletion") for what a deleted
/// account's `Users` row keeps.
///
/// The default methods refuse (`Other`): a store written before this role existed keeps
/// compiling and tells the user that deletion is not available.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Deletes account `id` at `now`, in one transaction: the row's `Email` and `Username`
    /// become [`erased_email`], `Password` [`ERASED_PASSWORD`], `EmailVerified` 0, the API
    /// and email tokens empty; the user's sessions, password resets, pending email changes,
    /// email claim and outbox mails to the address are deleted. The address registration
    /// and votebits stay while the tickets may vote: an erasure record is written, pending
    /// unless the user had no registration (then it is complete at once). The user's stored
    /// vote records ([`VoteRecordStore`]) are deleted. `None` when there is no such user or
    /// it is erased already.
    async fn erase_account(&self, id: UserId, now: i64) -> Result<Option<ErasureStarted>> {
        let _ = (id, now);
        Err(crate::Error::store(
            crate::BackendKind::Other,
            "this store does not support account deletion",
        ))
    }

    /// Pending erasures, in id order.
    async fn pending_erasures(&self) -> Result<Vec<ErasureRecord>> {
        Ok(Vec::new())
    }

    /// The erasure record of `id`, pending or complete.
    async fn erasure(&self, id: UserId) -> Result<Option<ErasureRecord>> {
        let _ = id;
        Ok(None)
    }

    /// Completes the pending erasure of `id` at `now`: blanks the registration columns
    /// (`MultiSigAddress`, `MultiSigScript`, `PoolPubKeyAddr`, `UserPubKeyAddr`,
    /// `UserFeeAddr` empty, `HeightRegistered` 0, `VoteBits` 1), deletes any vote record
    /// stored for the user since the deletion (a request that was already running), and
    /// marks the record erased.
    /// The row itself stays (a tombstone), so its `UserId` is never given to anybody else.
    /// `false` when nothing was pending (another instance finished it first).
    async fn finish_erasure(&self, id: UserId, now: i64) -> Result<bool> {
        let _ = (id, now);
        Ok(false)
    }

    /// The user's sessions, valid or not yet purged, oldest first (for the export).
    async fn user_sessions(&self, id: UserId) -> Result<Vec<Session>> {
        let _ = id;
        Ok(Vec::new())
    }

    /// The user's pending email changes, oldest first (for the export).
    async fn user_email_changes(&self, id: UserId) -> Result<Vec<EmailChange>> {
        let _ = id;
        Ok(Vec::new())
    }
}

/// A vote record as the store keeps it (hcpool's `hcpool_vote_records`, one row per voted
/// ticket): the facts of a [`VoteRecord`](crate::voterecord::VoteRecord) without the
/// network (a database serves one network), plus the user it belongs to and when it was
/// first recorded. Records are signed when they are served, never stored signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVoteRecord {
    /// The user whose ticket it is.
    pub user_id: UserId,
    /// The ticket (the row's key).
    pub ticket: TicketHash,
    /// The vote (SSGen) transaction that spent it.
    pub vote_tx: TxHash,
    /// The block that mined the vote.
    pub block_hash: BlockHash,
    /// Its height.
    pub block_height: u32,
    /// The votebits the vote carries.
    pub votebits: u16,
    /// The vote version the vote carries.
    pub vote_version: u32,
    /// The votebits the user had chosen when the record was first stored (close to the
    /// vote), not whatever they chose since.
    pub requested_votebits: u16,
    /// When the record was first stored, unix seconds.
    pub created: i64,
}

impl StoredVoteRecord {
    /// The row of `record`, belonging to `user_id`, stored at `created`.
    pub fn of(user_id: UserId, record: &crate::voterecord::VoteRecord, created: i64) -> Self {
        StoredVoteRecord {
            user_id,
            ticket: record.ticket,
            vote_tx: record.vote_tx,
            block_hash: record.block_hash,
            block_height: record.block_height,
            votebits: record.votebits,
            vote_version: record.vote_version,
            requested_votebits: record.requested_votebits,
            created,
        }
    }

    /// The record to sign, on `network`.
    pub fn record(&self, network: crate::params::Network) -> crate::voterecord::VoteRecord {
        crate::voterecord::VoteRecord {
            network,
            ticket: self.ticket,
            vote_tx: self.vote_tx,
            block_hash: self.block_hash,
            block_height: self.block_height,
            votebits: self.votebits,
            vote_version: self.vote_version,
            requested_votebits: self.requested_votebits,
        }
    }
}

/// Signed vote records' storage (hcpool's `hcpool_vote_records`): each voted ticket's record
/// is stored once, by whichever web instance makes it first, so later requests need no
/// wallet call for it and every instance serves the same record
/// ([`crate::voterecord::stored_vote_records`]). A user's rows are deleted with the
/// account ([`ErasureStore::erase_account`], and again by
/// [`ErasureStore::finish_erasure`]).
///
/// The default methods store nothing: a store written before this role existed keeps
/// compiling, and its records are made from the wallets on every request.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait VoteRecordStore: Send + Sync {
    /// The user's stored records, by block height, then ticket (display-order hex).
    async fn vote_records(&self, user: UserId) -> Result<Vec<StoredVoteRecord>> {
        let _ = user;
        Ok(Vec::new())
    }

    /// Stores each record whose ticket has none yet, all in one transaction; a ticket
    /// already stored (another instance was first) keeps its row. Returns how many were
    /// stored.
    async fn put_vote_records(&self, records: &[StoredVoteRecord]) -> Result<u64> {
        let _ = records;
        Ok(0)
    }

    /// Replaces the stored row of `record.ticket` with `record` if that row is still in
    /// block `stale_block` (a reorg moved the vote): `true` when replaced, `false` when the
    /// ticket has no row or its row is in another block (another instance replaced it).
    async fn replace_vote_record(
        &self,
        record: &StoredVoteRecord,
        stale_block: &BlockHash,
    ) -> Result<bool> {
        let _ = (record, stale_block);
        Ok(false)
    }
}

/// What keeps a store tidy and observable: the periodic purge and the health answer.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait StoreMaintenance: Send + Sync {
    /// Deletes sessions, captcha challenges, email changes and password resets that expired
    /// at `now` (`expires <= now`). Low-fee tickets are kept (the admin's record of them).
    /// Returns how many rows were deleted.
    async fn purge_expired(&self, now: i64) -> Result<u64>;

    /// The node in use and the cluster's size, checked now (for the health answer).
    /// Stores without nodes keep the default: nothing to report.
    async fn store_status(&self) -> Result<StoreStatus> {
        Ok(StoreStatus::default())
    }
}

/// The pool's whole store: every role at once. Implemented for every type that implements
/// the roles, so an implementation writes only the role traits; callers that need all of it
/// take `S: Store` or `Arc<dyn Store>`, callers that need one role take that role.
pub trait Store:
    UserStore
    + TokenStore
    + SessionStore
    + ChallengeStore
    + LowFeeTicketStore
    + MailOutbox
    + HistoryStore
    + NotificationStore
    + ErasureStore
    + VoteRecordStore
    + StoreMaintenance
{
}

impl<T> Store for T where
    T: UserStore
        + TokenStore
        + SessionStore
        + ChallengeStore
        + LowFeeTicketStore
        + MailOutbox
        + HistoryStore
        + NotificationStore
        + ErasureStore
        + VoteRecordStore
        + StoreMaintenance
        + ?Sized
{
}

#[cfg(any(test, feature = "test-utils"))]
mockall::mock! {
    /// A mock of the whole [`Store`] (every role's methods), for code that takes a `Store`.
    /// The roles have mocks of their own (`MockUserStore`, …).
    pub Store {}

    #[async_trait]
    impl UserStore for Store {
        async fn create_user(&self, user: &NewUser) -> Result<UserId>;
        async fn user(&self, id: UserId) -> Result<Option<User>>;
        async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
        async fn user_by_api_token(&self, token: &str) -> Result<Option<User>>;
        async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool>;
        async fn upgrade_password_hash(&self, id: UserId, hash: &Secret<String>) -> Result<bool>;
        async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> Result<bool>;
        async fn verified_users_without_api_token(&self) -> Result<Vec<UserId>>;
        async fn set_missing_api_tokens(&self, tokens: &[(UserId, Secret<String>)]) -> Result<u64>;
        async fn register_address(&self, id: UserId, registration: &Registration) -> Result<bool>;
        async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> Result<bool>;
        async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64>;
        async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>>;
        async fn multisig_scripts(&self) -> Result<Vec<RegisteredScript>>;
        async fn user_counts(&self) -> Result<UserCounts>;
    }

    #[async_trait]
    impl TokenStore for Store {
        async fn verify_email(&self, email_token: &str) -> Result<Option<UserId>>;
        async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool>;
        async fn create_email_change(&self, change: &EmailChange) -> Result<()>;
        async fn email_change(&self, token: &str) -> Result<Option<EmailChange>>;
        async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>>;
        async fn create_password_reset(&self, reset: &PasswordReset) -> Result<()>;
        async fn password_reset(&self, token: &str) -> Result<Option<PasswordReset>>;
        async fn reset_password(
            &self,
            token: &str,
            now: i64,
            hash: &Secret<String>,
        ) -> Result<Option<UserId>>;
    }

    #[async_trait]
    impl SessionStore for Store {
        async fn create_session(&self, session: &Session) -> Result<()>;
        async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>>;
        async fn touch_session(&self, id_hash: &str, now: i64, expires: i64) -> Result<bool>;
        async fn delete_session(&self, id_hash: &str) -> Result<bool>;
        async fn delete_user_sessions(&self, id: UserId) -> Result<u64>;
    }

    #[async_trait]
    impl ChallengeStore for Store {
        async fn create_challenge(&self, challenge: &Challenge) -> Result<()>;
        async fn take_challenge(&self, id_hash: &str, now: i64) -> Result<Option<Secret<String>>>;
    }

    #[async_trait]
    impl LowFeeTicketStore for Store {
        async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64>;
        async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64>;
        async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> Result<bool>;
        async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>>;
        async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>>;
    }

    #[async_trait]
    impl MailOutbox for Store {
        async fn enqueue_mail(&self, mail: &OutboxMail) -> Result<i64>;
        async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<OutboxMail>>;
        async fn delete_mail(&self, id: i64, attempts: u32) -> Result<bool>;
        async fn retry_mail(&self, id: i64, attempts: u32, next_attempt: i64) -> Result<bool>;
    }

    #[async_trait]
    impl HistoryStore for Store {
        async fn record_sample(&self, sample: &HistorySample) -> Result<bool>;
        async fn history_samples(&self, since: i64, until: i64) -> Result<Vec<HistorySample>>;
        async fn delete_history_samples(&self, heights: &[u32]) -> Result<u64>;
    }

    #[async_trait]
    impl NotificationStore for Store {
        async fn notify_prefs(&self, user: UserId) -> Result<Option<NotifyPrefs>>;
        async fn set_notify_prefs(&self, user: UserId, prefs: &NotifyPrefs) -> Result<bool>;
        async fn notify_subscribers(&self) -> Result<Vec<Subscriber>>;
        async fn notify_events_since(
            &self,
            user: UserId,
            height: u32,
        ) -> Result<Vec<(TicketHash, TicketEvent)>>;
        async fn record_notify_event(
            &self,
            event: &NotifyEvent,
            mail: Option<OutboxMail>,
        ) -> Result<bool>;
        async fn pending_notify_events(&self, before: i64) -> Result<Vec<NotifyEvent>>;
        async fn send_notify_digest(
            &self,
            user: UserId,
            day: i64,
            events: &[NotifyEvent],
            mail: &OutboxMail,
        ) -> Result<bool>;
        async fn claim_notify_scan(&self, height: u32, owner: &str, now: i64) -> Result<bool>;
    }

    #[async_trait]
    impl ErasureStore for Store {
        async fn erase_account(&self, id: UserId, now: i64) -> Result<Option<ErasureStarted>>;
        async fn pending_erasures(&self) -> Result<Vec<ErasureRecord>>;
        async fn erasure(&self, id: UserId) -> Result<Option<ErasureRecord>>;
        async fn finish_erasure(&self, id: UserId, now: i64) -> Result<bool>;
        async fn user_sessions(&self, id: UserId) -> Result<Vec<Session>>;
        async fn user_email_changes(&self, id: UserId) -> Result<Vec<EmailChange>>;
    }

    #[async_trait]
    impl VoteRecordStore for Store {
        async fn vote_records(&self, user: UserId) -> Result<Vec<StoredVoteRecord>>;
        async fn put_vote_records(&self, records: &[StoredVoteRecord]) -> Result<u64>;
        async fn replace_vote_record(
            &self,
            record: &StoredVoteRecord,
            stale_block: &BlockHash,
        ) -> Result<bool>;
    }

    #[async_trait]
    impl StoreMaintenance for Store {
        async fn purge_expired(&self, now: i64) -> Result<u64>;
        async fn store_status(&self) -> Result<StoreStatus>;
    }
}

#[cfg(test)]
mod tests {
    use super::EmailVerification;

    #[test]
    fn email_verification_keeps_hcstakepool_codes() {
        for (code, state, verified) in [
            (0, EmailVerification::Pending, false),
            (1, EmailVerification::Verified, true),
            (2, EmailVerification::Grandfathered, true),
        ] {
            assert_eq!(EmailVerification::try_from(code).ok(), Some(state));
            assert_eq!(i64::from(state), code);
            assert_eq!(state.is_verified(), verified);
        }
        for code in [-1, 3, i64::MAX] {
            let err = EmailVerification::try_from(code)
                .err()
                .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains(&code.to_string())),
                "{code}: {err:?}"
            );
        }
    }
}

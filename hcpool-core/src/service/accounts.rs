//! Accounts: sign-up, email verification, sign-in (with the legacy bcrypt → argon2id
//! upgrade), sessions, password change and reset, email change, API tokens, and what the
//! mail outbox sends for each request (inventory §3.1, §3.2, §3.7, §3.8, §3.10, §3.11).
//!
//! [`AccountService`] works over the [`Store`], the [`Clock`] and four small traits an
//! embedder (or hcpool-web) implements: [`PasswordHasher`], [`TokenSource`],
//! [`ApiTokenIssuer`] and, through the [`RegistrationGate`],
//! [`WalletHealth`](crate::backend::WalletHealth). It sends no mail itself: a request stores one outbox row
//! ([`Job`]) whatever the address, and the sender (hcpool-web's `outbox`, which holds the
//! [`Mailer`](crate::backend::Mailer)) asks [`AccountService::render_job`] what, if anything,
//! the row stands for when it sends it. So known and unknown addresses get the same answer,
//! the same work and the same time, and no live token waits in the outbox for a job.
//!
//! Mailed tokens are stored hashed ([`stored_token`]); a clear token hcstakepool stored
//! still matches ([`token_keys`]). Refusals a user sees are [`Error::Account`] with a
//! [`Refusal`] whose `Display` is the text to show; rate limits are the caller's (they are
//! per client IP).

use std::sync::Arc;

use bitcoin::hashes::{sha256, Hash};
use tokio::sync::Notify;

use crate::backend::accounts::{
    ApiTokenIssuer, HashScheme, PasswordCheck, PasswordHasher, TokenSource,
};
use crate::backend::{
    Clock, Email, EmailChange, NewUser, OutboxMail, PasswordReset, Session, Store, User,
};
use crate::email::EmailAddress;
use crate::error::{BackendKind, Error, Result};
use crate::ids::{Secret, UserId};
use crate::util::tokens_equal;
use crate::votebits::VoteBits;
use hcpool_i18n::{t, Lang};

use super::gate::RegistrationGate;

/// Minimum password length (characters).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Maximum password length (bytes): bounds hashing work per request.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Password reset links are valid this long (seconds).
pub const RESET_TOKEN_SECS: i64 = 3600;
/// Email change links are valid this long (seconds).
pub const EMAIL_CHANGE_SECS: i64 = 3600;
/// Random bytes in a mailed token (hex: twice as many characters).
pub const MAIL_TOKEN_BYTES: usize = 16;
/// Random bytes in a session id and a session's CSRF token.
pub const SESSION_TOKEN_BYTES: usize = 32;

/// Outbox row kind: a rendered mail, sent as stored.
pub const KIND_MAIL: &str = "mail";
/// Outbox row kind: sign-up. A verification link when the address belongs to an unverified
/// account, a notice ("you already have an account") when it belongs to a verified one.
pub const KIND_SIGNUP: &str = "signup";
/// Outbox row kind: the resend form. A new verification link when the address belongs to
/// an unverified account; nothing otherwise.
pub const KIND_RESEND: &str = "resend";
/// Outbox row kind: a password reset request. A reset link when the address belongs to an
/// account; nothing otherwise.
pub const KIND_RESET: &str = "reset";

/// Prefix of a token's stored form ([`stored_token`]).
pub const STORED_TOKEN_PREFIX: &str = "sha256:";

/// Lowercase hex SHA-256 of `s` (how session ids are stored).
pub fn sha256_hex(s: &str) -> String {
    hex::encode(sha256::Hash::hash(s.as_bytes()).to_byte_array())
}

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

/// The minimum password policy; the message is shown to the user.
///
/// # Errors
/// The text to show.
pub fn check_password_policy(pw: &str) -> std::result::Result<(), &'static str> {
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

/// Why an account request was refused. `Display` is the text the user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The submitted email address is not acceptable ([`EmailAddress`]).
    #[error("email address is invalid")]
    InvalidEmail,
    /// The new password does not meet the policy.
    #[error("{0}")]
    WeakPassword(&'static str),
    /// The new password and its repetition differ.
    #[error("Passwords do not match")]
    PasswordsDiffer,
    /// Sign-in: unknown address or wrong password (one text for both).
    #[error("Invalid Email or Password")]
    BadCredentials,
    /// Sign-in: the address is not verified yet.
    #[error("You must validate your email address")]
    NotVerified,
    /// A form that asks for the current password got a wrong one.
    #[error("Password not valid")]
    WrongPassword,
    /// The email verification (or email update) link has no token.
    #[error("No email verification token present")]
    NoVerificationToken,
    /// The email verification (or email update) token matches nothing.
    #[error("Email verification token not valid")]
    VerificationTokenInvalid,
    /// The password update link has no token.
    #[error("No password update token present")]
    NoResetToken,
    /// The password update token matches nothing.
    #[error("Password update token not valid")]
    ResetTokenInvalid,
    /// The password update token expired (or was used meanwhile).
    #[error("Password update token has expired")]
    ResetTokenExpired,
    /// The email change token expired.
    #[error("Email change token has expired")]
    EmailChangeExpired,
    /// The new address was taken by another account meanwhile.
    #[error("Email address is in use")]
    EmailInUse,
}

fn refused<T>(r: Refusal) -> Result<T> {
    Err(Error::Account(r))
}

/// Something for the outbox to send, as a request asks for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Job {
    /// A rendered mail.
    Mail(Email),
    /// [`KIND_SIGNUP`] for this address: the sender creates the account with this password
    /// hash unless the address is taken.
    Signup {
        /// The address signed up with.
        email: EmailAddress,
        /// The password's hash (kept in the row until it is handled).
        password_hash: Secret<String>,
        /// The language of the mail (the request's).
        lang: Lang,
    },
    /// [`KIND_RESEND`] for this address.
    Resend {
        /// The address given.
        email: EmailAddress,
        /// The language of the mail (the request's).
        lang: Lang,
    },
    /// [`KIND_RESET`] for this address, asked from `ip`.
    Reset {
        /// The address given.
        email: EmailAddress,
        /// The client IP (named in the mail).
        ip: String,
        /// The language of the mail (the request's).
        lang: Lang,
    },
}

/// Settings of the account service.
#[derive(Debug, Clone, Default)]
pub struct AccountSettings {
    /// The pool's public URL (`baseurl`): links in mails start with it.
    pub base_url: String,
    /// `legacypasswords`: new hashes are bcrypt, as hcstakepool writes them, and legacy
    /// hashes are not upgraded at sign-in (hcstakepool shares the database).
    pub legacy_passwords: bool,
}

/// The parts an [`AccountService`] is built from.
pub struct AccountParts {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Random tokens.
    pub tokens: Arc<dyn TokenSource>,
    /// API tokens.
    pub api_tokens: Arc<dyn ApiTokenIssuer>,
    /// Who may sign up (and the wallets' vote version for new accounts).
    pub gate: RegistrationGate,
    /// Settings.
    pub settings: AccountSettings,
    /// Notified whenever a request stored an outbox row (the sender's wake-up).
    pub mail_wake: Arc<Notify>,
}

/// The account steps. Cheap to clone.
#[derive(Clone)]
pub struct AccountService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenSource>,
    api_tokens: Arc<dyn ApiTokenIssuer>,
    gate: RegistrationGate,
    settings: AccountSettings,
    mail_wake: Arc<Notify>,
}

impl std::fmt::Debug for AccountService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountService")
            .field("gate", &self.gate)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AccountService {
    /// Builds the service.
    pub fn new(parts: AccountParts) -> Self {
        AccountService {
            store: parts.store,
            clock: parts.clock,
            hasher: parts.hasher,
            tokens: parts.tokens,
            api_tokens: parts.api_tokens,
            gate: parts.gate,
            settings: parts.settings,
            mail_wake: parts.mail_wake,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The gate.
    pub fn gate(&self) -> &RegistrationGate {
        &self.gate
    }

    /// The settings.
    pub fn settings(&self) -> &AccountSettings {
        &self.settings
    }

    /// The password hasher.
    pub(crate) fn hasher(&self) -> &Arc<dyn PasswordHasher> {
        &self.hasher
    }

    /// The clock.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// What the outbox sender waits on.
    pub fn mail_wake(&self) -> &Arc<Notify> {
        &self.mail_wake
    }

    fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    fn scheme(&self) -> HashScheme {
        if self.settings.legacy_passwords {
            HashScheme::LegacyBcrypt
        } else {
            HashScheme::Argon2id
        }
    }

    fn mail_token(&self) -> String {
        self.tokens.random_hex(MAIL_TOKEN_BYTES)
    }

    /// Checks a new password and its repetition in the order the forms answer, and hashes
    /// it as the pool stores passwords.
    async fn new_password_hash(&self, password: &str, repeat: &str) -> Result<Secret<String>> {
        check_password_policy(password).or_else(|m| refused(Refusal::WeakPassword(m)))?;
        if password != repeat {
            return refused(Refusal::PasswordsDiffer);
        }
        self.hasher.hash(password, self.scheme()).await
    }

    // ----- sign-up and verification -----

    /// Sign-up: checks the gate, the password (policy, then repetition), hashes it and
    /// stores one [`KIND_SIGNUP`] outbox row, whatever the address: the sender creates the
    /// account (or finds the address taken) and mails a link or a notice. A taken address
    /// costs exactly what a new one does, and the answer is the same.
    ///
    /// # Errors
    /// [`Error::PoolClosed`], [`Error::Account`] (`WeakPassword`, `PasswordsDiffer`), the
    /// hasher's or the store's error.
    pub async fn sign_up(
        &self,
        email: &EmailAddress,
        password: &str,
        repeat: &str,
        lang: Lang,
    ) -> Result<()> {
        self.gate.check_sign_up()?;
        let password_hash = self.new_password_hash(password, repeat).await?;
        self.enqueue(Job::Signup {
            email: email.clone(),
            password_hash,
            lang,
        })
        .await
    }

    /// Verifies the address whose link carried `token` (single use) and issues the user's
    /// API token.
    ///
    /// # Errors
    /// [`Refusal::NoVerificationToken`], [`Refusal::VerificationTokenInvalid`], the store's
    /// error.
    pub async fn verify_email(&self, token: &str) -> Result<UserId> {
        let t = token.trim();
        if t.is_empty() {
            return refused(Refusal::NoVerificationToken);
        }
        for key in token_keys(t) {
            if let Some(uid) = self.store.verify_email(&key).await? {
                let token = self.api_tokens.issue(uid, self.now());
                self.store.set_api_token(uid, &token).await?;
                return Ok(uid);
            }
        }
        refused(Refusal::VerificationTokenInvalid)
    }

    /// A new verification link for an unverified account: one [`KIND_RESEND`] row whatever
    /// the address (the sender decides).
    ///
    /// # Errors
    /// The store's error.
    pub async fn resend_verification(&self, email: &EmailAddress, lang: Lang) -> Result<()> {
        self.enqueue(Job::Resend {
            email: email.clone(),
            lang,
        })
        .await
    }

    // ----- sign-in and sessions -----

    /// Checks an address and password. A legacy bcrypt hash that matches is re-hashed as
    /// argon2id and stored (the same password: nothing is revoked), except with
    /// `legacypasswords`, where hcstakepool, which shares the database, could not read it.
    /// An unknown or invalid address costs a password check too.
    ///
    /// # Errors
    /// [`Refusal::BadCredentials`], [`Refusal::NotVerified`], the hasher's or the store's
    /// error.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<User> {
        if password.len() > MAX_PASSWORD_BYTES {
            return refused(Refusal::BadCredentials);
        }
        let user = match EmailAddress::parse(email) {
            Ok(e) => self.store.user_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.hasher.waste_a_check(password).await;
            return refused(Refusal::BadCredentials);
        };
        if user.is_erased() {
            self.hasher.waste_a_check(password).await;
            return refused(Refusal::BadCredentials);
        }
        let check = self.hasher.verify(password, &user.password_hash).await?;
        if check == PasswordCheck::Mismatch {
            return refused(Refusal::BadCredentials);
        }
        if !user.is_verified() {
            return refused(Refusal::NotVerified);
        }
        if check == PasswordCheck::OkNeedsUpgrade && !self.settings.legacy_passwords {
            let hash = self.hasher.hash(password, HashScheme::Argon2id).await?;
            self.store.upgrade_password_hash(user.id, &hash).await?;
            tracing::info!(
                user = user.id.0,
                "legacy bcrypt password upgraded to argon2id"
            );
        }
        Ok(user)
    }

    /// Starts a fresh session for `user` (a new id every sign-in: no fixation), ending the
    /// session `previous` (its id hash) if any. The session lives `lifetime_secs`. Returns the
    /// session id for the cookie (the store keeps only its SHA-256).
    ///
    /// # Errors
    /// The store's error.
    pub async fn start_session(
        &self,
        user: UserId,
        previous: Option<&str>,
        lifetime_secs: i64,
    ) -> Result<String> {
        if let Some(old) = previous {
            self.store.delete_session(old).await?;
        }
        let id = self.tokens.random_hex(SESSION_TOKEN_BYTES);
        let now = self.now();
        self.store
            .create_session(&Session {
                id_hash: sha256_hex(&id),
                user_id: user,
                csrf_token: Secret::new(self.tokens.random_hex(SESSION_TOKEN_BYTES)),
                created: now,
                expires: now + lifetime_secs,
                last_seen: now,
            })
            .await?;
        Ok(id)
    }

    /// Sign-out: ends the session with this id hash.
    ///
    /// # Errors
    /// The store's error.
    pub async fn sign_out(&self, session_id_hash: &str) -> Result<()> {
        self.store.delete_session(session_id_hash).await?;
        Ok(())
    }

    // ----- password change and reset -----

    /// Password change: checks the current password, then the new one (repetition, then
    /// policy); stores the new hash, which revokes every session, pending email change and
    /// the API token; issues a new API token and mails a notice. The caller starts a fresh
    /// session.
    ///
    /// # Errors
    /// [`Refusal::WrongPassword`], `PasswordsDiffer`, `WeakPassword`; the hasher's or the
    /// store's error.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        repeat: &str,
        lang: Lang,
    ) -> Result<()> {
        let check = self.hasher.verify(current, &user.password_hash).await?;
        if check == PasswordCheck::Mismatch {
            return refused(Refusal::WrongPassword);
        }
        if new != repeat {
            return refused(Refusal::PasswordsDiffer);
        }
        check_password_policy(new).or_else(|m| refused(Refusal::WeakPassword(m)))?;
        let hash = self.hasher.hash(new, self.scheme()).await?;
        self.store.change_password(user.id, &hash).await?;
        self.reissue_api_token(user.id, &user.api_token).await?;
        let notice = Email::new(
            user.email.clone(),
            t(lang, "mail-password-changed-subject", &[]),
            body(
                lang,
                "mail-password-changed-body",
                &[("base", &self.settings.base_url)],
            ),
            lang,
        );
        self.enqueue(Job::Mail(notice)).await
    }

    /// A password reset request: one [`KIND_RESET`] row for any acceptable address (the
    /// sender makes the token and mails it only to an account's address). An address that is
    /// not acceptable cannot belong to an account: nothing is stored, and the caller answers
    /// as for any other.
    ///
    /// # Errors
    /// The store's error.
    pub async fn request_password_reset(&self, email: &str, ip: &str, lang: Lang) -> Result<()> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(());
        };
        self.enqueue(Job::Reset {
            email,
            ip: ip.to_owned(),
            lang,
        })
        .await
    }

    /// The stored form of `t` that names a reset row (its hash, or a legacy clear token),
    /// with the row.
    async fn find_reset(&self, t: &str) -> Result<Option<(String, PasswordReset)>> {
        for key in token_keys(t) {
            if let Some(r) = self.store.password_reset(&key).await? {
                return Ok(Some((key, r)));
            }
        }
        Ok(None)
    }

    /// Whether the password update token `t` is usable now.
    ///
    /// # Errors
    /// [`Refusal::NoResetToken`], `ResetTokenInvalid`, `ResetTokenExpired`, the store's error.
    pub async fn check_reset_token(&self, t: &str) -> Result<()> {
        if t.is_empty() {
            return refused(Refusal::NoResetToken);
        }
        match self.find_reset(t).await? {
            None => refused(Refusal::ResetTokenInvalid),
            Some((_, r)) if r.expires <= self.now() => refused(Refusal::ResetTokenExpired),
            Some(_) => Ok(()),
        }
    }

    /// Sets a new password with the reset token `t`: consumes every reset token of the user,
    /// ends their sessions, drops pending email changes and the API token, atomically; a new
    /// API token follows.
    ///
    /// # Errors
    /// As [`AccountService::check_reset_token`], then `PasswordsDiffer`, `WeakPassword`;
    /// `ResetTokenExpired` when the token was used or expired meanwhile.
    pub async fn reset_password(&self, t: &str, new: &str, repeat: &str) -> Result<UserId> {
        self.check_reset_token(t).await?;
        if new != repeat {
            return refused(Refusal::PasswordsDiffer);
        }
        check_password_policy(new).or_else(|m| refused(Refusal::WeakPassword(m)))?;
        let hash = self.hasher.hash(new, self.scheme()).await?;
        let (key, old_token) = match self.find_reset(t).await? {
            Some((key, r)) => (key, self.api_token_of(r.user_id).await?),
            None => (String::new(), Secret::default()),
        };
        match self.store.reset_password(&key, self.now(), &hash).await? {
            Some(uid) => {
                self.reissue_api_token(uid, &old_token).await?;
                Ok(uid)
            }
            None => refused(Refusal::ResetTokenExpired),
        }
    }

    // ----- email change -----

    /// The first half of an email change request: the current password, then the new
    /// address. The caller may apply its rate limit between this and
    /// [`AccountService::request_email_change`].
    ///
    /// # Errors
    /// [`Refusal::WrongPassword`], [`Refusal::InvalidEmail`], the hasher's error.
    pub async fn check_email_change(
        &self,
        user: &User,
        new_email: &str,
        password: &str,
    ) -> Result<EmailAddress> {
        let check = self.hasher.verify(password, &user.password_hash).await?;
        if check == PasswordCheck::Mismatch {
            return refused(Refusal::WrongPassword);
        }
        EmailAddress::parse(new_email).or_else(|_| refused(Refusal::InvalidEmail))
    }

    /// Records a pending email change and mails the link to the new address and a notice to
    /// the old one. An address that belongs to someone else is answered the same (nothing is
    /// stored or sent), so this reveals nothing.
    ///
    /// # Errors
    /// The store's error.
    pub async fn request_email_change(
        &self,
        user: &User,
        new_email: &EmailAddress,
        ip: &str,
        lang: Lang,
    ) -> Result<()> {
        let token = self.mail_token();
        let now = self.now();
        let change = EmailChange {
            user_id: user.id,
            new_email: new_email.as_str().to_owned(),
            token: Secret::new(stored_token(&token)),
            created: now,
            expires: now + EMAIL_CHANGE_SECS,
        };
        match self.store.create_email_change(&change).await {
            Ok(()) => {
                let base = &self.settings.base_url;
                let link = format!("{base}/emailupdate?t={token}");
                let args = [
                    ("ip", ip),
                    ("old", user.email.as_str()),
                    ("new", new_email.as_str()),
                    ("link", link.as_str()),
                ];
                let to_new = Email::new(
                    new_email.as_str().to_owned(),
                    t(lang, "mail-email-change-subject", &[]),
                    body(lang, "mail-email-change-new-body", &args),
                    lang,
                );
                let to_old = Email::new(
                    user.email.clone(),
                    t(lang, "mail-email-change-subject", &[]),
                    body(lang, "mail-email-change-old-body", &args),
                    lang,
                );
                // The link's row is deleted once sent (the outbox keeps no sent mail).
                self.enqueue(Job::Mail(to_new)).await?;
                self.enqueue(Job::Mail(to_old)).await
            }
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies the email change whose link carried `token`; also revokes the user's
    /// sessions, other pending changes and API token (a new API token follows).
    ///
    /// # Errors
    /// [`Refusal::NoVerificationToken`], `VerificationTokenInvalid`, `EmailChangeExpired`,
    /// `EmailInUse`, the store's error.
    pub async fn confirm_email_change(&self, token: &str) -> Result<UserId> {
        let t = token.trim();
        if t.is_empty() {
            return refused(Refusal::NoVerificationToken);
        }
        let mut found = None;
        for key in token_keys(t) {
            if let Some(c) = self.store.email_change(&key).await? {
                found = Some((key, c));
                break;
            }
        }
        let (key, old_token) = match found {
            Some((key, c)) => (key, self.api_token_of(c.user_id).await?),
            None => (String::new(), Secret::default()),
        };
        match self.store.apply_email_change(&key, self.now()).await {
            Ok(Some(uid)) => {
                self.reissue_api_token(uid, &old_token).await?;
                Ok(uid)
            }
            Ok(None) => match self.store.email_change(&key).await? {
                Some(_) => refused(Refusal::EmailChangeExpired),
                None => refused(Refusal::VerificationTokenInvalid),
            },
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => {
                refused(Refusal::EmailInUse)
            }
            Err(e) => Err(e),
        }
    }

    // ----- API tokens -----

    /// The user's API token, issued and stored first when they have none.
    ///
    /// # Errors
    /// The store's error.
    pub async fn api_token(&self, user: &User) -> Result<Secret<String>> {
        if !user.api_token.expose().is_empty() {
            return Ok(user.api_token.clone());
        }
        let token = self.api_tokens.issue(user.id, self.now());
        self.store.set_api_token(user.id, &token).await?;
        Ok(token)
    }

    /// hcstakepool's start-up step 6: every verified (or grandfathered) user without an
    /// API token gets one, so a database carried over from the original (users verified
    /// before tokens existed, or while the original's own backfill failed) leaves nobody
    /// without a token, as the original's did. Tokens of users who have one are never
    /// touched, so instances starting together on one database cannot overwrite each
    /// other's. Returns how many tokens were stored. (A user without one would otherwise
    /// get it lazily on the settings page, [`AccountService::api_token`].)
    ///
    /// # Errors
    /// The store's error.
    pub async fn backfill_api_tokens(&self) -> Result<u64> {
        let users = self.store.verified_users_without_api_token().await?;
        if users.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let tokens: Vec<(UserId, Secret<String>)> = users
            .into_iter()
            .map(|uid| (uid, self.api_tokens.issue(uid, now)))
            .collect();
        self.store.set_missing_api_tokens(&tokens).await
    }

    /// The user an API token (the `Authorization: Bearer` value) belongs to: the token must
    /// verify ([`ApiTokenIssuer::verify`]) AND equal the token stored for that user (compared
    /// in constant time), so issuing a new token revokes the old one. `Ok(None)` for any
    /// token that fails either check. One read of the user row per call and nothing cached:
    /// a token rotated or cleared through any instance, or by the original on the same
    /// database, stops working at once.
    ///
    /// # Errors
    /// The store's error (the token could not be checked: that is not an invalid token).
    pub async fn api_user(&self, token: &str) -> Result<Option<User>> {
        let Some(uid) = self.api_tokens.verify(token, self.now()) else {
            tracing::debug!("API request with an invalid token");
            return Ok(None);
        };
        match self.store.user(uid).await? {
            Some(u) if tokens_equal(u.api_token.expose(), token) => Ok(Some(u)),
            _ => {
                tracing::debug!(user = uid.0, "API token is not the user's current token");
                Ok(None)
            }
        }
    }

    /// Issues a new API token for `user`; the previous one stops working.
    ///
    /// # Errors
    /// The store's error.
    pub async fn rotate_api_token(&self, user: UserId) -> Result<()> {
        let token = self.api_tokens.issue(user, self.now());
        self.store.set_api_token(user, &token).await?;
        Ok(())
    }

    /// Stores a new API token for `user` after a credential change emptied the old one (the
    /// store's revocation). `old` is the revoked token: hcstakepool's tokens are a function of
    /// the user and the second they are issued in, so one issued in the same second is dated
    /// a second earlier to differ.
    async fn reissue_api_token(&self, user: UserId, old: &Secret<String>) -> Result<()> {
        let now = self.now();
        let mut token = self.api_tokens.issue(user, now);
        if token.expose() == old.expose() {
            token = self.api_tokens.issue(user, now.saturating_sub(1));
        }
        self.store.set_api_token(user, &token).await?;
        Ok(())
    }

    /// The API token stored for `user` now (empty when none or no such user).
    async fn api_token_of(&self, user: UserId) -> Result<Secret<String>> {
        Ok(self
            .store
            .user(user)
            .await?
            .map(|u| u.api_token)
            .unwrap_or_default())
    }

    // ----- the outbox -----

    /// Stores `job` in the outbox (one insert, whatever the job) and wakes the sender.
    ///
    /// # Errors
    /// The store's error.
    pub async fn enqueue(&self, job: Job) -> Result<()> {
        self.store
            .enqueue_mail(&outbox_row(job, self.now()))
            .await?;
        self.mail_wake.notify_one();
        Ok(())
    }

    /// Creates the unverified account a sign-up job asks for; a taken address changes
    /// nothing (the job then mails the owner).
    async fn create_account(&self, row: &OutboxMail) -> Result<()> {
        // Unknown: the start-up votebits reset puts the right version in place later.
        let vote_version = self.gate.vote_version().await.unwrap_or(0);
        let created = self
            .store
            .create_user(&NewUser {
                email: row.recipient.clone(),
                password_hash: row.body.clone(),
                // Replaced below by the token that is mailed; this one never is.
                email_token: Secret::new(stored_token(&self.mail_token())),
                vote_bits: VoteBits(1),
                vote_bits_version: vote_version,
            })
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The mail outbox row `row` stands for now, or `None` when there is nothing to send: a
    /// rendered mail as stored; for a sign-up, the account is created first (unless the
    /// address is taken), then a verification link (unverified account) or a notice
    /// (verified); for a resend, a link (unverified account) or nothing; for a reset, a reset
    /// link (any account) or nothing. Tokens are made now and stored hashed.
    ///
    /// # Errors
    /// The store's error (the sender retries the row).
    pub async fn render_job(&self, row: &OutboxMail) -> Result<Option<Email>> {
        let store = &self.store;
        let base = &self.settings.base_url;
        match row.kind.as_str() {
            crate::notify::KIND_NOTIFY => Ok(Some(crate::notify::email_of_row(row))),
            KIND_MAIL => Ok(Some(Email::new(
                row.recipient.clone(),
                row.subject.clone(),
                row.body.expose().clone(),
                // The language is kept in the row's otherwise unused `ip` column.
                Lang::from_tag(&row.ip).unwrap_or_default(),
            ))),
            KIND_SIGNUP | KIND_RESEND => {
                let lang = row_lang(row);
                if row.kind == KIND_SIGNUP && !row.body.expose().is_empty() {
                    self.create_account(row).await?;
                }
                let Some(user) = store.user_by_email(&row.recipient).await? else {
                    return Ok(None);
                };
                // A disabled account gets no link that could bring it back.
                if user.is_disabled() {
                    return Ok(None);
                }
                if user.is_verified() {
                    if row.kind != KIND_SIGNUP {
                        return Ok(None);
                    }
                    return Ok(Some(Email::new(
                        user.email,
                        t(lang, "mail-signup-taken-subject", &[]),
                        body(lang, "mail-signup-taken-body", &[("base", base)]),
                        lang,
                    )));
                }
                let token = self.mail_token();
                if !store
                    .set_email_token(user.id, &Secret::new(stored_token(&token)))
                    .await?
                {
                    // Verified meanwhile.
                    return Ok(None);
                }
                let link = format!("{base}/emailverify?t={token}");
                Ok(Some(Email::new(
                    user.email,
                    t(lang, "mail-verify-subject", &[]),
                    body(lang, "mail-verify-body", &[("link", &link)]),
                    lang,
                )))
            }
            KIND_RESET => {
                let Some(user) = store
                    .user_by_email(&row.recipient)
                    .await?
                    .filter(|u| !u.is_disabled())
                else {
                    return Ok(None);
                };
                let token = self.mail_token();
                let now = self.now();
                store
                    .create_password_reset(&PasswordReset {
                        user_id: user.id,
                        token: Secret::new(stored_token(&token)),
                        created: now,
                        expires: now + RESET_TOKEN_SECS,
                    })
                    .await?;
                let link = format!("{base}/passwordupdate?t={token}");
                let lang = row_lang(row);
                Ok(Some(Email::new(
                    user.email,
                    t(lang, "mail-reset-subject", &[]),
                    body(lang, "mail-reset-body", &[("ip", &row.ip), ("link", &link)]),
                    lang,
                )))
            }
            other => {
                tracing::warn!(id = row.id, kind = other, "unknown outbox row kind dropped");
                Ok(None)
            }
        }
    }
}

/// A mail body: the catalogue's text of `key` in `lang` with `args`, ending in a newline.
fn body(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(lang, key, args);
    text.push('\n');
    text
}

/// What a sign-up, resend or reset row keeps in its (otherwise unused) `subject` column: the
/// language its mail is written in, as a tag; empty for English, as rows stored before
/// languages existed (and by operator tools) are.
fn lang_subject(lang: Lang) -> String {
    if lang == Lang::En {
        String::new()
    } else {
        lang.tag().to_owned()
    }
}

/// The language of a sign-up, resend or reset row's mail ([`lang_subject`]); English when
/// the column holds no language tag.
fn row_lang(row: &OutboxMail) -> Lang {
    Lang::from_tag(&row.subject).unwrap_or_default()
}

/// The mail outbox row that stands for `job`, due at `now` (unix seconds): what
/// [`AccountService::enqueue`] stores, and what an operator tool stores for the running web
/// app's sender to handle.
pub fn outbox_row(job: Job, now: i64) -> OutboxMail {
    let (kind, recipient, subject, body, ip) = match job {
        // A rendered mail keeps its language in the (otherwise unused) `ip` column, as a
        // tag; empty for English, as rows stored before languages existed are.
        Job::Mail(m) => {
            let lang = lang_subject(m.lang());
            (KIND_MAIL, m.to, m.subject, m.body, lang)
        }
        Job::Signup {
            email,
            password_hash,
            lang,
        } => (
            KIND_SIGNUP,
            email.into_string(),
            lang_subject(lang),
            password_hash.into_inner(),
            String::new(),
        ),
        Job::Resend { email, lang } => (
            KIND_RESEND,
            email.into_string(),
            lang_subject(lang),
            String::new(),
            String::new(),
        ),
        Job::Reset { email, ip, lang } => (
            KIND_RESET,
            email.into_string(),
            lang_subject(lang),
            String::new(),
            ip,
        ),
    };
    OutboxMail {
        id: 0,
        kind: kind.to_owned(),
        recipient,
        subject,
        body: Secret::new(body),
        ip,
        attempts: 0,
        next_attempt: now,
        created: now,
    }
}

#[cfg(test)]
mod tests;

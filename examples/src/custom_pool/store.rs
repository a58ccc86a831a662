//! The embedder's own [`Store`]: its own users role, the core's in-memory store for the rest.
//!
//! The store is cut into role traits. This example customizes the users: [`UserStore`] (and
//! the email-verification half of [`TokenStore`], which lives on the users' rows) over a
//! `Mutex<HashMap>`, where a real embedder would call its own user database. It keeps no email
//! changes, password resets or vote-notification preferences — a pool without a web front
//! end has none: lookups answer
//! "none", as the contract says for missing rows, and writes are refused with an error that
//! says so rather than silently dropping the data. Every other role (sessions, captcha
//! challenges, low-fee tickets, the mail outbox, the purge) is forwarded to an inner
//! [`MemoryStore`]; with all roles implemented, [`Store`] comes for free.
//!
//! A complete store (one a web front end can use) must pass
//! `hcpool_core::testing::store_conformance`; this one is deliberately partial.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
#[cfg(doc)]
use hcpool_core::backend::Store;
use hcpool_core::backend::{
    user_vote_bits_reset, Challenge, ChallengeStore, EmailChange, EmailVerification, HistorySample,
    HistoryStore, LowFeeTicket, LowFeeTicketStore, MailOutbox, MemoryStore, NewLowFeeTicket,
    NewUser, NotificationStore, NotifyEvent, NotifyPrefs, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, SessionStore, StoreMaintenance, Subscriber,
    TicketEntry, TicketEvent, TokenStore, User, UserCounts, UserStore, UserVotingConfig,
};
use hcpool_core::ids::{Secret, TicketHash};
use hcpool_core::{BackendKind, Error, Result, UserId, VoteBits};

#[derive(Default)]
struct Users {
    /// The last id handed out; ids start at 1 and are never reused.
    last_id: u64,
    rows: HashMap<UserId, User>,
}

/// Users in the example's own map; the other roles in a [`MemoryStore`].
#[derive(Default)]
pub struct MapStore {
    users: Mutex<Users>,
    rest: MemoryStore,
}

impl MapStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Users>> {
        // A poisoned lock means a panic mid-update: the data may be torn.
        self.users
            .lock()
            .map_err(|_| Error::store(BackendKind::Inconsistent, "store lock poisoned"))
    }

    /// Users in id order, for the methods that must answer in id order.
    fn sorted(users: &Users) -> Vec<&User> {
        let mut rows: Vec<&User> = users.rows.values().collect();
        rows.sort_by_key(|u| u.id);
        rows
    }

    fn first_where(&self, pred: impl Fn(&User) -> bool) -> Result<Option<User>> {
        let users = self.lock()?;
        Ok(Self::sorted(&users).into_iter().find(|u| pred(u)).cloned())
    }
}

fn not_kept(what: &str) -> Error {
    Error::store(
        BackendKind::Rejected,
        format!("this example store keeps no {what}"),
    )
}

/// Tokens: an empty (or blank) token never matches (the contract).
fn token_matches(stored: &Secret<String>, given: &str) -> bool {
    !given.trim().is_empty() && stored.expose() == given
}

#[async_trait]
impl UserStore for MapStore {
    async fn create_user(&self, user: &NewUser) -> Result<UserId> {
        let mut users = self.lock()?;
        let taken = users
            .rows
            .values()
            .any(|u| u.email.eq_ignore_ascii_case(&user.email));
        if taken {
            return Err(Error::store(BackendKind::Conflict, "email already in use"));
        }
        users.last_id += 1;
        let id = UserId(users.last_id);
        users.rows.insert(
            id,
            User {
                id,
                email: user.email.clone(),
                username: user.email.clone(),
                password_hash: user.password_hash.clone(),
                email_verified: EmailVerification::Pending,
                email_token: user.email_token.clone(),
                api_token: Secret::new(String::new()),
                vote_bits: user.vote_bits,
                vote_bits_version: user.vote_bits_version,
                registration: None,
            },
        );
        Ok(id)
    }
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.lock()?.rows.get(&id).cloned())
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.first_where(|u| u.email.eq_ignore_ascii_case(email))
    }
    async fn user_by_api_token(&self, token: &str) -> Result<Option<User>> {
        self.first_where(|u| token_matches(&u.api_token, token))
    }
    async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        // No reset tokens or email changes are kept; sessions are revoked in the inner store.
        // (Not atomic with the password change: fine for an example, not for production.)
        let found = {
            let mut users = self.lock()?;
            match users.rows.get_mut(&id) {
                Some(u) => {
                    u.password_hash = hash.clone();
                    u.api_token = Secret::new(String::new());
                    true
                }
                None => false,
            }
        };
        if found {
            self.rest.delete_user_sessions(id).await?;
        }
        Ok(found)
    }
    async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let mut users = self.lock()?;
        Ok(match users.rows.get_mut(&id) {
            Some(u) => {
                u.api_token = token.clone();
                true
            }
            None => false,
        })
    }
    async fn verified_users_without_api_token(&self) -> Result<Vec<UserId>> {
        let users = self.lock()?;
        Ok(Self::sorted(&users)
            .into_iter()
            .filter(|u| u.is_verified() && u.api_token.expose().is_empty())
            .map(|u| u.id)
            .collect())
    }
    async fn set_missing_api_tokens(&self, tokens: &[(UserId, Secret<String>)]) -> Result<u64> {
        let mut users = self.lock()?;
        let mut set = 0;
        for (id, token) in tokens {
            if let Some(u) = users.rows.get_mut(id) {
                if u.api_token.expose().is_empty() {
                    u.api_token = token.clone();
                    set += 1;
                }
            }
        }
        Ok(set)
    }
    async fn register_address(&self, id: UserId, registration: &Registration) -> Result<bool> {
        let mut users = self.lock()?;
        let Some(user) = users.rows.get_mut(&id) else {
            return Ok(false);
        };
        if user.registration.is_some() {
            return Err(Error::store(
                BackendKind::Conflict,
                "user already registered an address",
            ));
        }
        user.registration = Some(registration.clone());
        Ok(true)
    }
    async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> Result<bool> {
        let mut users = self.lock()?;
        Ok(match users.rows.get_mut(&id) {
            Some(u) => {
                u.vote_bits = bits;
                u.vote_bits_version = version;
                true
            }
            None => false,
        })
    }
    async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64> {
        let mut users = self.lock()?;
        let mut changed = 0;
        for u in users.rows.values_mut() {
            if let Some((bits, v)) =
                user_vote_bits_reset(u.vote_bits, u.vote_bits_version, version, valid)
            {
                (u.vote_bits, u.vote_bits_version) = (bits, v);
                changed += 1;
            }
        }
        Ok(changed)
    }
    async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>> {
        let users = self.lock()?;
        Ok(Self::sorted(&users)
            .into_iter()
            .filter_map(|u| {
                let reg = u.registration.as_ref()?;
                Some(UserVotingConfig {
                    user_id: u.id,
                    multisig_address: reg.multisig_address.to_string(),
                    vote_bits: u.vote_bits,
                    vote_bits_version: u.vote_bits_version,
                })
            })
            .collect())
    }
    async fn multisig_scripts(&self) -> Result<Vec<RegisteredScript>> {
        let users = self.lock()?;
        Ok(Self::sorted(&users)
            .into_iter()
            .filter_map(|u| {
                let reg = u.registration.as_ref()?;
                Some(RegisteredScript {
                    user_id: u.id,
                    script: reg.multisig_script.clone(),
                    height_registered: reg.height_registered,
                })
            })
            .collect())
    }
    async fn user_counts(&self) -> Result<UserCounts> {
        let users = self.lock()?;
        let active = users
            .rows
            .values()
            .filter(|u| u.registration.is_some())
            .count();
        Ok(UserCounts {
            all: users.rows.len() as u64,
            active: active as u64,
        })
    }
}

#[async_trait]
impl TokenStore for MapStore {
    async fn verify_email(&self, email_token: &str) -> Result<Option<UserId>> {
        let mut users = self.lock()?;
        let Some(user) = users
            .rows
            .values_mut()
            .find(|u| token_matches(&u.email_token, email_token))
        else {
            return Ok(None);
        };
        user.email_verified = EmailVerification::Verified;
        user.email_token = Secret::new(String::new());
        Ok(Some(user.id))
    }
    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let mut users = self.lock()?;
        Ok(match users.rows.get_mut(&id) {
            Some(u) if u.email_verified == EmailVerification::Pending => {
                u.email_token = token.clone();
                true
            }
            _ => false,
        })
    }
    async fn create_email_change(&self, _change: &EmailChange) -> Result<()> {
        Err(not_kept("email changes"))
    }
    async fn email_change(&self, _token: &str) -> Result<Option<EmailChange>> {
        Ok(None)
    }
    async fn apply_email_change(&self, _token: &str, _now: i64) -> Result<Option<UserId>> {
        Ok(None)
    }
    async fn create_password_reset(&self, _reset: &PasswordReset) -> Result<()> {
        Err(not_kept("password resets"))
    }
    async fn password_reset(&self, _token: &str) -> Result<Option<PasswordReset>> {
        Ok(None)
    }
    async fn reset_password(
        &self,
        _token: &str,
        _now: i64,
        _hash: &Secret<String>,
    ) -> Result<Option<UserId>> {
        Ok(None)
    }
}

// The roles this example does not customize come from the core's in-memory store.

#[async_trait]
impl SessionStore for MapStore {
    async fn create_session(&self, session: &Session) -> Result<()> {
        self.rest.create_session(session).await
    }
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>> {
        self.rest.session(id_hash, now).await
    }
    async fn touch_session(&self, id_hash: &str, now: i64, expires: i64) -> Result<bool> {
        self.rest.touch_session(id_hash, now, expires).await
    }
    async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        self.rest.delete_session(id_hash).await
    }
    async fn delete_user_sessions(&self, id: UserId) -> Result<u64> {
        self.rest.delete_user_sessions(id).await
    }
}

#[async_trait]
impl ChallengeStore for MapStore {
    async fn create_challenge(&self, challenge: &Challenge) -> Result<()> {
        self.rest.create_challenge(challenge).await
    }
    async fn take_challenge(&self, id_hash: &str, now: i64) -> Result<Option<Secret<String>>> {
        self.rest.take_challenge(id_hash, now).await
    }
}

#[async_trait]
impl LowFeeTicketStore for MapStore {
    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64> {
        self.rest.add_low_fee_tickets(tickets).await
    }
    async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64> {
        self.rest.remove_low_fee_tickets(hashes).await
    }
    async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> Result<bool> {
        self.rest.mark_low_fee_ticket_voted(hash).await
    }
    async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>> {
        self.rest.votable_low_fee_tickets(now).await
    }
    async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>> {
        self.rest.low_fee_ticket_entries().await
    }
}

#[async_trait]
impl MailOutbox for MapStore {
    async fn enqueue_mail(&self, mail: &OutboxMail) -> Result<i64> {
        self.rest.enqueue_mail(mail).await
    }
    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<OutboxMail>> {
        self.rest.claim_mail(now, lease_until, limit).await
    }
    async fn delete_mail(&self, id: i64, attempts: u32) -> Result<bool> {
        self.rest.delete_mail(id, attempts).await
    }
    async fn retry_mail(&self, id: i64, attempts: u32, next_attempt: i64) -> Result<bool> {
        self.rest.retry_mail(id, attempts, next_attempt).await
    }
}

#[async_trait]
impl HistoryStore for MapStore {
    async fn record_sample(&self, sample: &HistorySample) -> Result<bool> {
        self.rest.record_sample(sample).await
    }
    async fn history_samples(&self, since: i64, until: i64) -> Result<Vec<HistorySample>> {
        self.rest.history_samples(since, until).await
    }
    async fn delete_history_samples(&self, heights: &[u32]) -> Result<u64> {
        self.rest.delete_history_samples(heights).await
    }
}

/// No web front end, so nobody chooses vote notifications: nothing to scan, nothing kept.
#[async_trait]
impl NotificationStore for MapStore {
    async fn notify_prefs(&self, _user: UserId) -> Result<Option<NotifyPrefs>> {
        Ok(None)
    }
    async fn set_notify_prefs(&self, _user: UserId, _prefs: &NotifyPrefs) -> Result<bool> {
        Err(not_kept("notification preferences"))
    }
    async fn notify_subscribers(&self) -> Result<Vec<Subscriber>> {
        Ok(Vec::new())
    }
    async fn notify_events_since(
        &self,
        _user: UserId,
        _height: u32,
    ) -> Result<Vec<(TicketHash, TicketEvent)>> {
        Ok(Vec::new())
    }
    async fn record_notify_event(
        &self,
        _event: &NotifyEvent,
        _mail: Option<OutboxMail>,
    ) -> Result<bool> {
        Err(not_kept("notification events"))
    }
    async fn pending_notify_events(&self, _before: i64) -> Result<Vec<NotifyEvent>> {
        Ok(Vec::new())
    }
    async fn send_notify_digest(
        &self,
        _user: UserId,
        _day: i64,
        _events: &[NotifyEvent],
        _mail: &OutboxMail,
    ) -> Result<bool> {
        Ok(false)
    }
}

/// Account deletion is not offered by this embedder: the role's default methods refuse a
/// deletion and report nothing pending.
impl hcpool_core::backend::ErasureStore for MapStore {}

/// Vote records are not stored by this embedder: the role's default methods keep nothing,
/// so the web app makes each record from the wallets on every request.
impl hcpool_core::backend::VoteRecordStore for MapStore {}

#[async_trait]
impl StoreMaintenance for MapStore {
    async fn purge_expired(&self, now: i64) -> Result<u64> {
        self.rest.purge_expired(now).await
    }
}

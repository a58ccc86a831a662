//! The embedder's own [`Store`]: users in a `Mutex<HashMap>`.
//!
//! It keeps what a pool needs to register users and answer purchase info and voting
//! configuration: the users table. It keeps no email changes, password resets, low-fee
//! tickets or sessions — a pool without a web front end has none. For those, lookups answer
//! "none" (`Ok(None)`, `Ok(false)`, `Ok(0)`, empty lists), which is exactly what the
//! [`Store`] contract says for missing rows, and writes are refused with an error that says
//! so rather than silently dropping the data.
//!
//! A complete store (one a web front end can use) must pass
//! `hcpool_core::testing::store_conformance`; this one is deliberately partial.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use hcpool_core::backend::LowFeeTicket;
use hcpool_core::backend::{
    EmailChange, NewLowFeeTicket, NewUser, OutboxMail, PasswordReset, RegisteredScript,
    Registration, Session, Store, TicketEntry, User, UserCounts, UserVotingConfig,
};
use hcpool_core::ids::{Secret, TicketHash};
use hcpool_core::{BackendKind, Error, Result, UserId, VoteBits};

#[derive(Default)]
struct Users {
    /// The last id handed out; ids start at 1 and are never reused.
    last_id: u64,
    rows: HashMap<UserId, User>,
}

/// Users in memory.
#[derive(Default)]
pub struct MapStore {
    users: Mutex<Users>,
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
impl Store for MapStore {
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
                email_verified: 0,
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

    async fn verify_email(&self, email_token: &str) -> Result<Option<UserId>> {
        let mut users = self.lock()?;
        let Some(user) = users
            .rows
            .values_mut()
            .find(|u| token_matches(&u.email_token, email_token))
        else {
            return Ok(None);
        };
        user.email_verified = 1;
        user.email_token = Secret::new(String::new());
        Ok(Some(user.id))
    }

    async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        // No sessions or reset tokens are kept, so there are none to revoke.
        let mut users = self.lock()?;
        Ok(match users.rows.get_mut(&id) {
            Some(u) => {
                u.password_hash = hash.clone();
                true
            }
            None => false,
        })
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
            .filter(|u| u.email_verified > 0 && u.api_token.expose().is_empty())
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
            let ok_bits = u.vote_bits == VoteBits(1) || valid.contains(&u.vote_bits);
            if u.vote_bits_version != version || !ok_bits {
                u.vote_bits = VoteBits(1);
                u.vote_bits_version = version;
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

    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let mut users = self.lock()?;
        Ok(match users.rows.get_mut(&id) {
            Some(u) if u.email_verified == 0 => {
                u.email_token = token.clone();
                true
            }
            _ => false,
        })
    }

    // ----- not kept by this store: lookups find nothing, writes are refused -----

    async fn enqueue_mail(&self, _mail: &OutboxMail) -> Result<i64> {
        Err(not_kept("outgoing mail"))
    }

    async fn claim_mail(&self, _now: i64, _lease: i64, _limit: u32) -> Result<Vec<OutboxMail>> {
        Ok(Vec::new())
    }

    async fn delete_mail(&self, _id: i64, _attempts: u32) -> Result<bool> {
        Ok(false)
    }

    async fn retry_mail(&self, _id: i64, _attempts: u32, _next: i64) -> Result<bool> {
        Ok(false)
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

    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64> {
        if tickets.is_empty() {
            return Ok(0);
        }
        Err(not_kept("low-fee tickets"))
    }

    async fn remove_low_fee_tickets(&self, _hashes: &[TicketHash]) -> Result<u64> {
        Ok(0)
    }

    async fn mark_low_fee_ticket_voted(&self, _hash: &TicketHash) -> Result<bool> {
        Ok(false)
    }

    async fn votable_low_fee_tickets(&self, _now: i64) -> Result<Vec<LowFeeTicket>> {
        Ok(Vec::new())
    }

    async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>> {
        Ok(Vec::new())
    }

    async fn create_session(&self, _session: &Session) -> Result<()> {
        Err(not_kept("sessions"))
    }

    async fn session(&self, _id_hash: &str, _now: i64) -> Result<Option<Session>> {
        Ok(None)
    }

    async fn touch_session(&self, _id_hash: &str, _now: i64, _expires: i64) -> Result<bool> {
        Ok(false)
    }

    async fn delete_session(&self, _id_hash: &str) -> Result<bool> {
        Ok(false)
    }

    async fn delete_user_sessions(&self, _id: UserId) -> Result<u64> {
        Ok(0)
    }

    async fn purge_expired(&self, _now: i64) -> Result<u64> {
        Ok(0)
    }
}

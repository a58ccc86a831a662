//! [`MemoryStore`]: every store role kept in memory, with the SQL stores' contract. For
//! tests, examples and embedders who want to keep some roles in memory while writing
//! others themselves (wrap it and forward the roles you keep).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::backend::store::{
    erased_email, user_vote_bits_reset, Challenge, ChallengeStore, EmailChange, EmailVerification,
    ErasureRecord, ErasureStarted, ErasureStore, HistorySample, HistoryStore, LowFeeTicket,
    LowFeeTicketStore, MailOutbox, NewLowFeeTicket, NewUser, NotificationStore, NotifyEvent,
    NotifyPrefs, OutboxMail, PasswordReset, RegisteredScript, Registration, Session, SessionStore,
    StoreMaintenance, StoredVoteRecord, Subscriber, TicketEvent, TokenStore, User, UserCounts,
    UserStore, VoteRecordStore,
};
use crate::backend::voting::{TicketEntry, UserVotingConfig};
use crate::error::{BackendKind, Error, Result};
use crate::ids::{BlockHash, Secret, TicketHash, UserId};
use crate::notify::{SCAN_CLAIMS_KEPT, SCAN_OWNER_MAX};
use crate::votebits::VoteBits;

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<u64, User>,
    next_user: u64,
    email_changes: Vec<EmailChange>,
    resets: Vec<PasswordReset>,
    tickets: Vec<LowFeeTicket>,
    next_ticket: i64,
    sessions: HashMap<String, Session>,
    challenges: HashMap<String, Challenge>,
    outbox: BTreeMap<i64, OutboxMail>,
    next_mail: i64,
    history: BTreeMap<u32, HistorySample>,
    notify_prefs: BTreeMap<u64, NotifyPrefs>,
    /// Each recorded event and whether it waits for a digest.
    notify_events: BTreeMap<(TicketHash, TicketEvent), (NotifyEvent, bool)>,
    /// Notification scan claims: height → owner.
    notify_scans: BTreeMap<u32, String>,
    /// `hcpool_erasures`: user id → (requested, erased).
    erasures: BTreeMap<u64, (i64, Option<i64>)>,
    /// `hcpool_vote_records`, by ticket.
    vote_records: BTreeMap<TicketHash, StoredVoteRecord>,
}

impl State {
    fn email_taken(&self, email: &str, except: Option<UserId>) -> bool {
        self.users
            .values()
            .any(|u| Some(u.id) != except && u.email.eq_ignore_ascii_case(email))
    }

    fn enqueue(&mut self, mail: &OutboxMail) -> i64 {
        self.next_mail += 1;
        let id = self.next_mail;
        self.outbox.insert(
            id,
            OutboxMail {
                id,
                attempts: 0,
                ..mail.clone()
            },
        );
        id
    }

    fn revoke(&mut self, id: UserId) {
        self.sessions.retain(|_, s| s.user_id != id);
        self.resets.retain(|r| r.user_id != id);
        self.email_changes.retain(|c| c.user_id != id);
        if let Some(u) = self.users.get_mut(&id.0) {
            u.api_token = Secret::default();
        }
    }
}

/// A [`Store`](crate::backend::Store) kept in memory, with the same contract as the SQL
/// stores (it passes `testing::store_conformance`). Email comparison is ASCII
/// case-insensitive, as on SQLite. Nothing is persisted: a restart starts empty.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread must not poison every later call.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn blank(token: &str) -> bool {
    token.trim().is_empty()
}

/// A single-use token row (email change, password reset).
trait TokenRow {
    fn token(&self) -> &Secret<String>;
    fn expires(&self) -> i64;
}

impl TokenRow for EmailChange {
    fn token(&self) -> &Secret<String> {
        &self.token
    }
    fn expires(&self) -> i64 {
        self.expires
    }
}

impl TokenRow for PasswordReset {
    fn token(&self) -> &Secret<String> {
        &self.token
    }
    fn expires(&self) -> i64 {
        self.expires
    }
}

/// Where `token` is in `rows` (not expired at `now`, when given); never for a blank token.
fn find_token<T: TokenRow>(rows: &[T], token: &str, now: Option<i64>) -> Option<usize> {
    if blank(token) {
        return None;
    }
    rows.iter()
        .position(|r| r.token().expose() == token && now.is_none_or(|n| r.expires() > n))
}

fn conflict(msg: &str) -> Error {
    Error::store(BackendKind::Conflict, msg)
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, user: &NewUser) -> Result<UserId> {
        let mut st = self.state();
        if st.email_taken(&user.email, None) {
            return Err(conflict("email already in use"));
        }
        st.next_user += 1;
        let id = UserId(st.next_user);
        st.users.insert(
            id.0,
            User {
                id,
                email: user.email.clone(),
                username: user.email.clone(),
                password_hash: user.password_hash.clone(),
                email_verified: EmailVerification::Pending,
                email_token: user.email_token.clone(),
                api_token: Secret::default(),
                vote_bits: user.vote_bits,
                vote_bits_version: user.vote_bits_version,
                registration: None,
            },
        );
        Ok(id)
    }
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.state().users.get(&id.0).cloned())
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let st = self.state();
        Ok(st
            .users
            .values()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .cloned())
    }
    async fn user_by_api_token(&self, token: &str) -> Result<Option<User>> {
        if blank(token) {
            return Ok(None);
        }
        let st = self.state();
        Ok(st
            .users
            .values()
            .find(|u| u.api_token.expose() == token)
            .cloned())
    }
    async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        let mut st = self.state();
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(false);
        };
        user.password_hash = hash.clone();
        st.revoke(id);
        Ok(true)
    }
    async fn upgrade_password_hash(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        let mut st = self.state();
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(false);
        };
        user.password_hash = hash.clone();
        Ok(true)
    }
    async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let mut st = self.state();
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(false);
        };
        user.api_token = token.clone();
        Ok(true)
    }
    async fn verified_users_without_api_token(&self) -> Result<Vec<UserId>> {
        let st = self.state();
        Ok(st
            .users
            .values()
            .filter(|u| u.is_verified() && !u.is_disabled() && u.api_token.expose().is_empty())
            .map(|u| u.id)
            .collect())
    }
    async fn set_missing_api_tokens(&self, tokens: &[(UserId, Secret<String>)]) -> Result<u64> {
        let mut st = self.state();
        let mut n = 0;
        for (id, token) in tokens {
            if let Some(user) = st.users.get_mut(&id.0) {
                if user.api_token.expose().is_empty() {
                    user.api_token = token.clone();
                    n += 1;
                }
            }
        }
        Ok(n)
    }
    async fn register_address(&self, id: UserId, registration: &Registration) -> Result<bool> {
        let mut st = self.state();
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(false);
        };
        if user.registration.is_some() {
            return Err(conflict("address already registered"));
        }
        user.registration = Some(registration.clone());
        Ok(true)
    }
    async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> Result<bool> {
        let mut st = self.state();
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(false);
        };
        user.vote_bits = bits;
        user.vote_bits_version = version;
        Ok(true)
    }
    async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64> {
        let mut st = self.state();
        let mut n = 0;
        for user in st.users.values_mut() {
            if let Some((bits, v)) =
                user_vote_bits_reset(user.vote_bits, user.vote_bits_version, version, valid)
            {
                (user.vote_bits, user.vote_bits_version) = (bits, v);
                n += 1;
            }
        }
        Ok(n)
    }
    async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>> {
        let st = self.state();
        Ok(st
            .users
            .values()
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
        let st = self.state();
        Ok(st
            .users
            .values()
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
        let st = self.state();
        let live = || st.users.values().filter(|u| !u.is_erased());
        Ok(UserCounts {
            all: live().count() as u64,
            active: live().filter(|u| u.registration.is_some()).count() as u64,
        })
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn verify_email(&self, email_token: &str) -> Result<Option<UserId>> {
        if blank(email_token) {
            return Ok(None);
        }
        let mut st = self.state();
        let Some(user) = st
            .users
            .values_mut()
            .find(|u| u.email_token.expose() == email_token)
        else {
            return Ok(None);
        };
        user.email_verified = EmailVerification::Verified;
        user.email_token = Secret::default();
        Ok(Some(user.id))
    }
    async fn create_email_change(&self, change: &EmailChange) -> Result<()> {
        let mut st = self.state();
        if st.email_taken(&change.new_email, None) {
            return Err(conflict("email already in use"));
        }
        st.email_changes.push(change.clone());
        Ok(())
    }
    async fn email_change(&self, token: &str) -> Result<Option<EmailChange>> {
        let st = self.state();
        Ok(find_token(&st.email_changes, token, None).map(|i| st.email_changes[i].clone()))
    }
    async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>> {
        let mut st = self.state();
        let Some(pos) = find_token(&st.email_changes, token, Some(now)) else {
            return Ok(None);
        };
        let change = st.email_changes[pos].clone();
        if st.email_taken(&change.new_email, Some(change.user_id)) {
            return Err(conflict("email already in use"));
        }
        let Some(user) = st.users.get_mut(&change.user_id.0) else {
            return Ok(None);
        };
        user.email = change.new_email.clone();
        // Deletes this change with the user's other pending ones.
        st.revoke(change.user_id);
        Ok(Some(change.user_id))
    }
    async fn create_password_reset(&self, reset: &PasswordReset) -> Result<()> {
        self.state().resets.push(reset.clone());
        Ok(())
    }
    async fn password_reset(&self, token: &str) -> Result<Option<PasswordReset>> {
        let st = self.state();
        Ok(find_token(&st.resets, token, None).map(|i| st.resets[i].clone()))
    }
    async fn reset_password(
        &self,
        token: &str,
        now: i64,
        hash: &Secret<String>,
    ) -> Result<Option<UserId>> {
        let mut st = self.state();
        let Some(id) = find_token(&st.resets, token, Some(now)).map(|i| st.resets[i].user_id)
        else {
            return Ok(None);
        };
        let Some(user) = st.users.get_mut(&id.0) else {
            return Ok(None);
        };
        user.password_hash = hash.clone();
        st.revoke(id);
        Ok(Some(id))
    }
    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let mut st = self.state();
        match st.users.get_mut(&id.0) {
            Some(u) if u.email_verified == EmailVerification::Pending => {
                u.email_token = token.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &Session) -> Result<()> {
        let mut st = self.state();
        if st.sessions.contains_key(&session.id_hash) {
            return Err(conflict("session id already in use"));
        }
        st.sessions.insert(session.id_hash.clone(), session.clone());
        Ok(())
    }
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>> {
        let st = self.state();
        Ok(st
            .sessions
            .get(id_hash)
            .filter(|s| s.expires > now)
            .cloned())
    }
    async fn touch_session(&self, id_hash: &str, now: i64, expires: i64) -> Result<bool> {
        let mut st = self.state();
        match st.sessions.get_mut(id_hash) {
            Some(s) if s.expires > now => {
                s.last_seen = now;
                s.expires = expires;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        Ok(self.state().sessions.remove(id_hash).is_some())
    }
    async fn delete_user_sessions(&self, id: UserId) -> Result<u64> {
        let mut st = self.state();
        let before = st.sessions.len();
        st.sessions.retain(|_, s| s.user_id != id);
        Ok((before - st.sessions.len()) as u64)
    }
}

#[async_trait]
impl ChallengeStore for MemoryStore {
    async fn create_challenge(&self, challenge: &Challenge) -> Result<()> {
        let mut st = self.state();
        if st.challenges.contains_key(&challenge.id_hash) {
            return Err(conflict("challenge id already in use"));
        }
        st.challenges
            .insert(challenge.id_hash.clone(), challenge.clone());
        Ok(())
    }
    async fn take_challenge(&self, id_hash: &str, now: i64) -> Result<Option<Secret<String>>> {
        let mut st = self.state();
        if st.challenges.get(id_hash).is_none_or(|c| c.expires <= now) {
            return Ok(None);
        }
        Ok(st.challenges.remove(id_hash).map(|c| c.answer_hash))
    }
}

#[async_trait]
impl LowFeeTicketStore for MemoryStore {
    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64> {
        let mut st = self.state();
        let mut n = 0;
        for t in tickets {
            if st.tickets.iter().any(|x| x.ticket_hash == t.ticket_hash) {
                continue;
            }
            st.next_ticket += 1;
            let id = st.next_ticket;
            st.tickets.push(LowFeeTicket {
                id,
                added_by: t.added_by,
                ticket_address: t.ticket_address.clone(),
                ticket_hash: t.ticket_hash,
                voted: false,
                created: t.created,
                expires: t.expires,
            });
            n += 1;
        }
        Ok(n)
    }
    async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64> {
        let mut st = self.state();
        let before = st.tickets.len();
        st.tickets.retain(|t| !hashes.contains(&t.ticket_hash));
        Ok((before - st.tickets.len()) as u64)
    }
    async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> Result<bool> {
        let mut st = self.state();
        let mut found = false;
        for t in st.tickets.iter_mut().filter(|t| &t.ticket_hash == hash) {
            t.voted = true;
            found = true;
        }
        Ok(found)
    }
    async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>> {
        let st = self.state();
        Ok(st
            .tickets
            .iter()
            .filter(|t| !t.voted && t.expires > now)
            .cloned()
            .collect())
    }
    async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>> {
        let st = self.state();
        Ok(st
            .tickets
            .iter()
            .map(|t| TicketEntry {
                ticket_address: t.ticket_address.to_string(),
                ticket_hash: t.ticket_hash,
            })
            .collect())
    }
}

#[async_trait]
impl MailOutbox for MemoryStore {
    async fn enqueue_mail(&self, mail: &OutboxMail) -> Result<i64> {
        Ok(self.state().enqueue(mail))
    }
    async fn claim_mail(&self, now: i64, lease_until: i64, limit: u32) -> Result<Vec<OutboxMail>> {
        let mut st = self.state();
        let mut claimed = Vec::new();
        for m in st.outbox.values_mut() {
            if claimed.len() >= limit as usize {
                break;
            }
            if m.next_attempt <= now {
                m.attempts = m.attempts.saturating_add(1);
                m.next_attempt = lease_until;
                claimed.push(m.clone());
            }
        }
        Ok(claimed)
    }
    async fn delete_mail(&self, id: i64, attempts: u32) -> Result<bool> {
        let mut st = self.state();
        if st.outbox.get(&id).is_some_and(|m| m.attempts == attempts) {
            st.outbox.remove(&id);
            return Ok(true);
        }
        Ok(false)
    }
    async fn retry_mail(&self, id: i64, attempts: u32, next_attempt: i64) -> Result<bool> {
        let mut st = self.state();
        match st.outbox.get_mut(&id) {
            Some(m) if m.attempts == attempts => {
                m.next_attempt = next_attempt;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl HistoryStore for MemoryStore {
    async fn record_sample(&self, sample: &HistorySample) -> Result<bool> {
        let mut st = self.state();
        if st.history.contains_key(&sample.height) {
            return Ok(false);
        }
        st.history.insert(sample.height, *sample);
        Ok(true)
    }
    async fn history_samples(&self, since: i64, until: i64) -> Result<Vec<HistorySample>> {
        let st = self.state();
        Ok(st
            .history
            .values()
            .filter(|s| s.time >= since && s.time < until)
            .copied()
            .collect())
    }
    async fn delete_history_samples(&self, heights: &[u32]) -> Result<u64> {
        let mut st = self.state();
        Ok(heights
            .iter()
            .filter(|h| st.history.remove(h).is_some())
            .count() as u64)
    }
}

impl State {
    fn erasure_record(&self, id: u64) -> Option<ErasureRecord> {
        let (requested, erased) = *self.erasures.get(&id)?;
        let multisig_address = self
            .users
            .get(&id)
            .and_then(|u| u.registration.as_ref())
            .map(|r| r.multisig_address.clone());
        Some(ErasureRecord {
            user_id: UserId(id),
            requested,
            erased,
            multisig_address,
        })
    }
}

#[async_trait]
impl ErasureStore for MemoryStore {
    async fn erase_account(&self, id: UserId, now: i64) -> Result<Option<ErasureStarted>> {
        let mut st = self.state();
        let Some(user) = st.users.get(&id.0) else {
            return Ok(None);
        };
        if user.is_erased() {
            return Ok(None);
        }
        let old_email = user.email.clone();
        let complete = user.registration.is_none();
        let sessions_before = st.sessions.len();
        st.revoke(id);
        let sessions = (sessions_before - st.sessions.len()) as u64;
        let mails_before = st.outbox.len();
        st.outbox
            .retain(|_, m| !m.recipient.eq_ignore_ascii_case(&old_email));
        let mails = (mails_before - st.outbox.len()) as u64;
        if let Some(u) = st.users.get_mut(&id.0) {
            u.email = erased_email(id);
            u.username = erased_email(id);
            u.password_hash = Secret::new(super::store::ERASED_PASSWORD.to_owned());
            u.email_verified = EmailVerification::Pending;
            u.email_token = Secret::default();
            u.api_token = Secret::default();
        }
        st.vote_records.retain(|_, r| r.user_id != id);
        st.erasures.insert(id.0, (now, complete.then_some(now)));
        Ok(Some(ErasureStarted {
            sessions,
            mails,
            complete,
        }))
    }

    async fn pending_erasures(&self) -> Result<Vec<ErasureRecord>> {
        let st = self.state();
        Ok(st
            .erasures
            .iter()
            .filter(|(_, (_, erased))| erased.is_none())
            .filter_map(|(id, _)| st.erasure_record(*id))
            .collect())
    }

    async fn erasure(&self, id: UserId) -> Result<Option<ErasureRecord>> {
        Ok(self.state().erasure_record(id.0))
    }

    async fn finish_erasure(&self, id: UserId, now: i64) -> Result<bool> {
        let mut st = self.state();
        match st.erasures.get_mut(&id.0) {
            Some((_, erased @ None)) => *erased = Some(now),
            _ => return Ok(false),
        }
        if let Some(u) = st.users.get_mut(&id.0) {
            u.registration = None;
            u.vote_bits = VoteBits::DEFAULT;
        }
        st.vote_records.retain(|_, r| r.user_id != id);
        Ok(true)
    }

    async fn user_sessions(&self, id: UserId) -> Result<Vec<Session>> {
        let st = self.state();
        let mut out: Vec<Session> = st
            .sessions
            .values()
            .filter(|s| s.user_id == id)
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.created, &a.id_hash).cmp(&(b.created, &b.id_hash)));
        Ok(out)
    }

    async fn user_email_changes(&self, id: UserId) -> Result<Vec<EmailChange>> {
        let st = self.state();
        let mut out: Vec<EmailChange> = st
            .email_changes
            .iter()
            .filter(|c| c.user_id == id)
            .cloned()
            .collect();
        out.sort_by_key(|c| c.created);
        Ok(out)
    }
}

#[async_trait]
impl NotificationStore for MemoryStore {
    async fn notify_prefs(&self, user: UserId) -> Result<Option<NotifyPrefs>> {
        Ok(self.state().notify_prefs.get(&user.0).cloned())
    }
    async fn set_notify_prefs(&self, user: UserId, prefs: &NotifyPrefs) -> Result<bool> {
        let mut st = self.state();
        if !st.users.contains_key(&user.0) {
            return Ok(false);
        }
        let last_digest_day = st
            .notify_prefs
            .get(&user.0)
            .map_or(prefs.last_digest_day, |p| p.last_digest_day);
        st.notify_prefs.insert(
            user.0,
            NotifyPrefs {
                last_digest_day,
                ..prefs.clone()
            },
        );
        if !prefs.any() {
            for (ev, pending) in st.notify_events.values_mut() {
                if ev.user_id == user {
                    *pending = false;
                }
            }
        }
        Ok(true)
    }
    async fn notify_subscribers(&self) -> Result<Vec<Subscriber>> {
        let st = self.state();
        Ok(st
            .notify_prefs
            .iter()
            .filter(|(_, p)| p.any())
            .filter_map(|(id, p)| {
                let u = st.users.get(id)?;
                let reg = u.registration.as_ref()?;
                Some(Subscriber {
                    user_id: u.id,
                    email: u.email.clone(),
                    multisig: reg.multisig_address.clone(),
                    prefs: p.clone(),
                })
            })
            .collect())
    }
    async fn notify_events_since(
        &self,
        user: UserId,
        height: u32,
    ) -> Result<Vec<(TicketHash, TicketEvent)>> {
        let st = self.state();
        Ok(st
            .notify_events
            .iter()
            .filter(|(_, (e, _))| e.user_id == user && e.height > height)
            .map(|(k, _)| *k)
            .collect())
    }
    async fn record_notify_event(
        &self,
        event: &NotifyEvent,
        mail: Option<OutboxMail>,
    ) -> Result<bool> {
        let mut st = self.state();
        let key = (event.ticket, event.event);
        if st.notify_events.contains_key(&key) {
            return Ok(false);
        }
        st.notify_events
            .insert(key, (event.clone(), mail.is_none()));
        if let Some(m) = &mail {
            st.enqueue(m);
        }
        Ok(true)
    }
    async fn pending_notify_events(&self, before: i64) -> Result<Vec<NotifyEvent>> {
        let st = self.state();
        let mut out: Vec<NotifyEvent> = st
            .notify_events
            .values()
            .filter(|(e, pending)| *pending && e.created < before)
            .map(|(e, _)| e.clone())
            .collect();
        out.sort_by_key(|e| (e.user_id, e.created, e.ticket, e.event));
        Ok(out)
    }
    async fn send_notify_digest(
        &self,
        user: UserId,
        day: i64,
        events: &[NotifyEvent],
        mail: &OutboxMail,
    ) -> Result<bool> {
        let mut st = self.state();
        match st.notify_prefs.get_mut(&user.0) {
            Some(p) if p.last_digest_day < day => p.last_digest_day = day,
            _ => return Ok(false),
        }
        for e in events {
            if let Some((_, pending)) = st.notify_events.get_mut(&(e.ticket, e.event)) {
                *pending = false;
            }
        }
        st.enqueue(mail);
        Ok(true)
    }
    async fn claim_notify_scan(&self, height: u32, owner: &str, _now: i64) -> Result<bool> {
        let owner: String = owner.chars().take(SCAN_OWNER_MAX).collect();
        let mut st = self.state();
        if let Some(holder) = st.notify_scans.get(&height) {
            return Ok(*holder == owner);
        }
        st.notify_scans.insert(height, owner);
        let (low, high) = (
            height.saturating_sub(SCAN_CLAIMS_KEPT),
            height.saturating_add(SCAN_CLAIMS_KEPT),
        );
        st.notify_scans.retain(|h, _| (low..=high).contains(h));
        Ok(true)
    }
}

#[async_trait]
impl VoteRecordStore for MemoryStore {
    async fn vote_records(&self, user: UserId) -> Result<Vec<StoredVoteRecord>> {
        let st = self.state();
        let mut out: Vec<StoredVoteRecord> = st
            .vote_records
            .values()
            .filter(|r| r.user_id == user)
            .cloned()
            .collect();
        out.sort_by_cached_key(|r| (r.block_height, r.ticket.to_string()));
        Ok(out)
    }

    async fn put_vote_records(&self, records: &[StoredVoteRecord]) -> Result<u64> {
        let mut st = self.state();
        let mut n = 0;
        for r in records {
            if let std::collections::btree_map::Entry::Vacant(e) = st.vote_records.entry(r.ticket) {
                e.insert(r.clone());
                n += 1;
            }
        }
        Ok(n)
    }

    async fn replace_vote_record(
        &self,
        record: &StoredVoteRecord,
        stale_block: &BlockHash,
    ) -> Result<bool> {
        let mut st = self.state();
        match st.vote_records.get_mut(&record.ticket) {
            Some(r) if r.block_hash == *stale_block => {
                *r = record.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl StoreMaintenance for MemoryStore {
    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let mut st = self.state();
        let rows = |st: &State| {
            st.sessions.len() + st.challenges.len() + st.email_changes.len() + st.resets.len()
        };
        let before = rows(&st);
        st.sessions.retain(|_, s| s.expires > now);
        st.challenges.retain(|_, c| c.expires > now);
        st.email_changes.retain(|c| c.expires > now);
        st.resets.retain(|r| r.expires > now);
        let after = rows(&st);
        Ok((before - after) as u64)
    }
}

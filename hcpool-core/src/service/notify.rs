//! [`NotifyService`]: vote notifications (issue 16 row 5) over the store and the wallets —
//! the preferences page's steps, the unsubscribe link, and the per-block scan and daily
//! digest every web instance runs. The rules are [`crate::notify`]'s; nothing here is kept
//! per process but the instance's id in scan claims, so any number of instances may run the
//! scan on one database, and of them one scans each block ([`NotifyService::scan_block`]).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::backend::{Clock, Store, WalletBackend};
use crate::error::Result;
use crate::ids::{Secret, UserId};
use crate::notify::{
    check_unsubscribe_token, clean_lang, digest_mail, event_mail, mail_lang, new_events,
    unsubscribe_token, unsubscribe_url, MailLinks, NotifyEvent, NotifyMode, NotifyPrefs,
    Subscriber, DAY,
};

/// What the service needs besides its backends.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// The pool's `baseurl` (links in mails).
    pub base_url: String,
    /// The key unsubscribe tokens are signed with (the web app derives it from its
    /// `apisecret`).
    pub unsubscribe_key: Secret<Vec<u8>>,
}

/// What a user chose on the notifications page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyChoice {
    /// Mail when a ticket voted.
    pub on_vote: bool,
    /// Mail when a ticket missed its vote.
    pub on_miss: bool,
    /// Mail when a ticket was revoked.
    pub on_revoke: bool,
    /// Per event or a daily digest.
    pub mode: NotifyMode,
    /// The request's language tag (cleaned by [`clean_lang`]).
    pub lang: String,
}

/// What one [`NotifyService::scan`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Subscribers looked at.
    pub users: u32,
    /// Subscribers whose tickets the wallets did not give (tried again next time).
    pub failed: u32,
    /// Events recorded by this call with a mail in the outbox.
    pub mailed: u32,
    /// Events recorded by this call for a digest.
    pub pending: u32,
    /// New-looking events another instance recorded first.
    pub lost: u32,
}

/// Vote notifications: cheap to clone (shared backends).
#[derive(Clone)]
pub struct NotifyService {
    store: Arc<dyn Store>,
    wallets: Arc<dyn WalletBackend>,
    clock: Arc<dyn Clock>,
    settings: Arc<NotifySettings>,
    /// This service's id in scan claims (clones share it: one instance).
    instance: Arc<str>,
}

impl std::fmt::Debug for NotifyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyService")
            .field("base_url", &self.settings.base_url)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// An id for a new service, unique among the instances on one database in practice: the
/// process id, then 128 bits from std's per-process random hash keys (seeded by the OS)
/// over a counter of the services this process made. Not a secret (it names a claim).
fn new_instance_id() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    static MADE: AtomicU64 = AtomicU64::new(0);
    let n = MADE.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let mut id = format!("{pid}-");
    for salt in 0..2u8 {
        let mut h = RandomState::new().build_hasher();
        h.write_u32(pid);
        h.write_u64(n);
        h.write_u8(salt);
        id.push_str(&format!("{:016x}", h.finish()));
    }
    id
}

impl NotifyService {
    /// A service over these backends.
    pub fn new(
        store: Arc<dyn Store>,
        wallets: Arc<dyn WalletBackend>,
        clock: Arc<dyn Clock>,
        settings: NotifySettings,
    ) -> Self {
        NotifyService {
            store,
            wallets,
            clock,
            settings: Arc::new(settings),
            instance: new_instance_id().into(),
        }
    }

    /// This instance's id in scan claims (random per service; its clones share it).
    pub fn instance_id(&self) -> &str {
        &self.instance
    }

    /// The user's preferences (the default, nothing mailed, when never saved).
    ///
    /// # Errors
    /// The store's error.
    pub async fn prefs(&self, user: UserId) -> Result<NotifyPrefs> {
        Ok(self.store.notify_prefs(user).await?.unwrap_or_default())
    }

    /// Saves `choice` for `user`. When it mails an event the stored preferences did not,
    /// the baseline moves to `tip` (the chain height now): tickets that ended before are
    /// never mailed. Returns what was stored.
    ///
    /// # Errors
    /// The store's error; [`crate::Error::InvalidInput`] when there is no such user.
    pub async fn save(&self, user: UserId, choice: NotifyChoice, tip: u32) -> Result<NotifyPrefs> {
        let old = self.prefs(user).await?;
        let mut next = NotifyPrefs {
            on_vote: choice.on_vote,
            on_miss: choice.on_miss,
            on_revoke: choice.on_revoke,
            mode: choice.mode,
            lang: clean_lang(&choice.lang),
            baseline_height: old.baseline_height,
            last_digest_day: old.last_digest_day,
            updated: self.clock.now_unix(),
        };
        if old.widened_by(&next) {
            next.baseline_height = tip;
        }
        if !self.store.set_notify_prefs(user, &next).await? {
            return Err(crate::Error::InvalidInput(format!("no user {user}")));
        }
        Ok(next)
    }

    /// The user's unsubscribe token ([`crate::notify::unsubscribe_token`]).
    pub fn unsubscribe_token(&self, user: UserId) -> String {
        unsubscribe_token(self.settings.unsubscribe_key.expose(), user)
    }

    /// Whether `token` is a valid unsubscribe token (of some user).
    pub fn token_valid(&self, token: &str) -> bool {
        check_unsubscribe_token(self.settings.unsubscribe_key.expose(), token).is_some()
    }

    /// Turns every event off for the user of `token` (the mode and language stay). `false`
    /// when the token is not valid; a valid one works any number of times.
    ///
    /// # Errors
    /// The store's error.
    pub async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let Some(user) = check_unsubscribe_token(self.settings.unsubscribe_key.expose(), token)
        else {
            return Ok(false);
        };
        let Some(mut prefs) = self.store.notify_prefs(user).await? else {
            // Never subscribed (or the account is gone): nothing to turn off.
            return Ok(true);
        };
        if prefs.any() {
            prefs.on_vote = false;
            prefs.on_miss = false;
            prefs.on_revoke = false;
            prefs.updated = self.clock.now_unix();
            self.store.set_notify_prefs(user, &prefs).await?;
        }
        Ok(true)
    }

    fn links(&self, user: UserId) -> MailLinks {
        let base = self.settings.base_url.trim_end_matches('/').to_owned();
        MailLinks {
            unsubscribe: unsubscribe_url(&base, &self.unsubscribe_token(user)),
            base_url: base,
        }
    }

    /// The scan of block `height` ([`Self::scan`]) if this instance claims it
    /// ([`NotificationStore::claim_notify_scan`]); `None` when another instance did, so that
    /// of the instances sharing the store one asks the wallets per block. A claimer that
    /// failed may call again for the same height and scans again. Events a claimer missed
    /// (it stopped half-way, or the wallets did not answer for a user) are recorded by the
    /// next block's scan, because [`crate::notify::new_events`] compares the wallets' whole
    /// answer with the events the store recorded.
    ///
    /// # Errors
    /// The store's error on the claim or the subscriber list.
    ///
    /// [`NotificationStore::claim_notify_scan`]: crate::backend::NotificationStore::claim_notify_scan
    pub async fn scan_block(&self, height: u32) -> Result<Option<ScanReport>> {
        let now = self.clock.now_unix();
        if !self
            .store
            .claim_notify_scan(height, &self.instance, now)
            .await?
        {
            return Ok(None);
        }
        self.scan().await.map(Some)
    }

    /// Looks at every subscriber's tickets once: each event that is new for the store is
    /// recorded, with its mail in the outbox (immediate mode) or waiting for the digest.
    /// A subscriber whose tickets the wallets do not give is skipped until the next scan.
    ///
    /// # Errors
    /// The store's error on the subscriber list (an error on one subscriber is logged and
    /// counted as failed).
    pub async fn scan(&self) -> Result<ScanReport> {
        let subscribers = self.store.notify_subscribers().await?;
        let mut report = ScanReport::default();
        for sub in subscribers {
            report.users += 1;
            if let Err(e) = self.scan_user(&sub, &mut report).await {
                report.failed += 1;
                tracing::warn!(user = %sub.user_id, error = %e, "notification scan of a user failed");
            }
        }
        Ok(report)
    }

    async fn scan_user(&self, sub: &Subscriber, report: &mut ScanReport) -> Result<()> {
        let info = self.wallets.stake_pool_user_info(&sub.multisig).await?;
        let known: HashSet<_> = self
            .store
            .notify_events_since(sub.user_id, sub.prefs.baseline_height)
            .await?
            .into_iter()
            .collect();
        let now = self.clock.now_unix();
        let events = new_events(sub.user_id, &sub.prefs, &info.tickets, &known, now);
        if events.is_empty() {
            return Ok(());
        }
        let links = self.links(sub.user_id);
        for ev in &events {
            let mail = match sub.prefs.mode {
                NotifyMode::Immediate => Some(event_mail(
                    &sub.email,
                    ev,
                    mail_lang(&sub.prefs),
                    &links,
                    now,
                )),
                NotifyMode::Daily => None,
            };
            let mailed = mail.is_some();
            let won = self.store.record_notify_event(ev, mail).await?;
            match (won, mailed) {
                (false, _) => report.lost += 1,
                (true, true) => report.mailed += 1,
                (true, false) => report.pending += 1,
            }
        }
        Ok(())
    }

    /// Sends the digests due now: for every subscriber with events recorded before today's
    /// midnight (UTC) still waiting, one mail, unless an instance already sent that user's
    /// digest today. Returns how many this call sent.
    ///
    /// # Errors
    /// The store's error on the pending list (an error on one user is logged).
    pub async fn send_digests(&self) -> Result<u32> {
        let now = self.clock.now_unix();
        let today = now.div_euclid(DAY);
        let pending = self.store.pending_notify_events(today * DAY).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        let subscribers = self.store.notify_subscribers().await?;
        let mut sent = 0;
        for sub in subscribers {
            let mine: Vec<NotifyEvent> = pending
                .iter()
                .filter(|e| e.user_id == sub.user_id)
                .cloned()
                .collect();
            if mine.is_empty() || sub.prefs.last_digest_day >= today {
                continue;
            }
            let mail = digest_mail(
                &sub.email,
                &mine,
                mail_lang(&sub.prefs),
                &self.links(sub.user_id),
                now,
            );
            match self
                .store
                .send_notify_digest(sub.user_id, today, &mine, &mail)
                .await
            {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(user = %sub.user_id, error = %e, "digest not sent");
                }
            }
        }
        Ok(sent)
    }

    /// The clock's UTC day now (unix time / [`DAY`]).
    pub fn today(&self) -> i64 {
        self.clock.now_unix().div_euclid(DAY)
    }
}

#[cfg(test)]
mod tests;

//! Outgoing mail through the store's outbox (`hcpool_mail_outbox`): a request only writes a
//! row and answers (through the account service, `AccountService::enqueue`); a background
//! task ([`on_liftoff`], started by [`crate::serve`]) sends. What a row stands for (a link,
//! a notice, nothing; the account a sign-up creates) is the account service's decision
//! (`AccountService::render_job`); this module is the driver: claim, send through the
//! [`Mailer`] with a timeout, delete or retry.
//!
//! Why (issue 12 item 8): sending inside the request made sign-up and password reset answer
//! differently, and in a different time, for known and unknown addresses (an SMTP error, or
//! the SMTP round trip itself, showed that a mail went out), and a slow mail server held
//! requests. Now:
//!
//! - **The same work for every address.** Sign-up stores a [`KIND_SIGNUP`] job, a reset
//!   request a [`KIND_RESET`] job and the resend form a [`KIND_RESEND`] job, whatever the
//!   address; the sender decides later what, if anything, goes out (a verification link, a
//!   reset link, a notice that the account exists, or nothing). The answer never depends on
//!   SMTP.
//! - **No live token waits in the outbox for jobs.** A job's token is made when the mail is
//!   sent (its hash stored, [`crate::auth::stored_token`]), so a job row holds only an
//!   address, the client IP and, for a sign-up, the password's argon2id hash (the sender
//!   creates the account, so a taken address costs the request exactly what a new one
//!   does). Rendered mails ([`KIND_MAIL`]: the email-change link, the
//!   notices) hold their body until sent; every row is **deleted** once sent or given up.
//! - **Several instances, one database, crashes.** Any instance claims due rows with a lease
//!   ([`hcpool_core::backend::MailOutbox::claim_mail`]): a row claimed by an instance that died
//!   is claimed again when the lease ends, so mail is not lost (but may, rarely, go out
//!   twice: the server accepted it and the instance died before deleting the row). A failed
//!   send is retried with exponential backoff, at most [`RetryPolicy::max_attempts`] times.
//!   The in-process wake-up ([`AppState::mail_wake`](crate::AppState)) only shortens the
//!   delay on the instance that took the request; the others find rows by polling.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::{Clock, Mailer, OutboxMail};
use hcpool_core::service::AccountService;
use rocket::fairing::AdHoc;
use tokio::sync::Notify;

use crate::error::WebError;
use crate::state::AppState;

pub use hcpool_core::service::accounts::{
    Job, KIND_MAIL, KIND_RESEND, KIND_RESET, KIND_SIGNUP, RESET_TOKEN_SECS,
};

/// How the sender retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per mail; after the last failure the row is deleted (logged as an error).
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How long a claimed row stays reserved for the claimer (longer than `send_timeout`).
    pub lease: Duration,
    /// One SMTP send may take this long; past it the attempt counts as failed.
    pub send_timeout: Duration,
    /// Rows claimed per pass.
    pub batch: u32,
    /// How often an idle sender looks for due rows (rows another instance stored, retries).
    pub poll: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts, 30 s doubling to at most 1 h (about 4.5 h in all), 5 min lease, 2 min per
    /// send, 20 rows a pass, a look every 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            lease: Duration::from_secs(300),
            send_timeout: Duration::from_secs(120),
            batch: 20,
            poll: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempts` (1-based).
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// What one [`Sender::deliver_due`] pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Rows claimed.
    pub claimed: u32,
    /// Mails the server accepted.
    pub sent: u32,
    /// Jobs with nothing to send (unknown address, …): deleted.
    pub nothing: u32,
    /// Failed attempts left for a retry.
    pub retry: u32,
    /// Rows given up after their last attempt: deleted.
    pub given_up: u32,
}

/// Sends what the outbox holds: renders jobs, sends, deletes or reschedules.
pub struct Sender {
    accounts: AccountService,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("accounts", &self.accounts)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

enum Outcome {
    Sent,
    Nothing,
    Retry,
    GivenUp,
}

impl Sender {
    /// A sender over `accounts`' store (which renders the rows), with `clock`, sending
    /// through `mailer`.
    pub fn new(
        accounts: AccountService,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        policy: RetryPolicy,
    ) -> Self {
        Sender {
            accounts,
            clock,
            mailer,
            policy,
        }
    }

    /// Claims the rows due now (at most [`RetryPolicy::batch`]) and handles each.
    ///
    /// # Errors
    /// The store's error on the claim (a failure on one row is logged, and the row's lease
    /// brings it back).
    pub async fn deliver_due(&self) -> Result<Pass, WebError> {
        let now = self.clock.now_unix();
        let lease = i64::try_from(self.policy.lease.as_secs()).unwrap_or(i64::MAX / 2);
        let rows = self
            .accounts
            .store()
            .claim_mail(now, now.saturating_add(lease.max(1)), self.policy.batch)
            .await?;
        let mut pass = Pass {
            claimed: rows.len() as u32,
            ..Pass::default()
        };
        for row in rows {
            match self.deliver(&row).await {
                Ok(Outcome::Sent) => pass.sent += 1,
                Ok(Outcome::Nothing) => pass.nothing += 1,
                Ok(Outcome::Retry) => pass.retry += 1,
                Ok(Outcome::GivenUp) => pass.given_up += 1,
                Err(e) => {
                    tracing::warn!(id = row.id, error = %e, "outbox row not settled; its lease brings it back");
                }
            }
        }
        Ok(pass)
    }

    /// Delivers until nothing is due now (at most `max_passes` passes): tests and tools.
    ///
    /// # Errors
    /// As [`Sender::deliver_due`].
    pub async fn drain(&self, max_passes: u32) -> Result<Pass, WebError> {
        let mut total = Pass::default();
        for _ in 0..max_passes {
            let p = self.deliver_due().await?;
            total.claimed += p.claimed;
            total.sent += p.sent;
            total.nothing += p.nothing;
            total.retry += p.retry;
            total.given_up += p.given_up;
            if p.claimed < self.policy.batch {
                break;
            }
        }
        Ok(total)
    }

    async fn deliver(&self, row: &OutboxMail) -> Result<Outcome, WebError> {
        let store = self.accounts.store();
        let email = match self.accounts.render_job(row).await {
            Ok(Some(e)) => e,
            Ok(None) => {
                store.delete_mail(row.id, row.attempts).await?;
                return Ok(Outcome::Nothing);
            }
            Err(e) => {
                tracing::warn!(id = row.id, kind = %row.kind, error = %e, "mail job failed");
                return self.failed(row).await;
            }
        };
        let sent = tokio::time::timeout(self.policy.send_timeout, self.mailer.send(&email)).await;
        match sent {
            Ok(Ok(())) => {
                store.delete_mail(row.id, row.attempts).await?;
                tracing::info!(id = row.id, kind = %row.kind, attempts = row.attempts, "mail sent");
                Ok(Outcome::Sent)
            }
            Ok(Err(e)) => {
                tracing::warn!(id = row.id, kind = %row.kind, attempts = row.attempts, error = %e, "mail not sent");
                self.failed(row).await
            }
            Err(_) => {
                tracing::warn!(
                    id = row.id, kind = %row.kind, attempts = row.attempts,
                    timeout = ?self.policy.send_timeout, "mail not sent: the server did not answer in time"
                );
                self.failed(row).await
            }
        }
    }

    async fn failed(&self, row: &OutboxMail) -> Result<Outcome, WebError> {
        let store = self.accounts.store();
        if row.attempts >= self.policy.max_attempts {
            store.delete_mail(row.id, row.attempts).await?;
            tracing::error!(
                id = row.id, kind = %row.kind, attempts = row.attempts,
                "mail given up after its last attempt"
            );
            return Ok(Outcome::GivenUp);
        }
        let wait = i64::try_from(self.policy.delay_after(row.attempts).as_secs()).unwrap_or(3600);
        let next = self.clock.now_unix().saturating_add(wait);
        store.retry_mail(row.id, row.attempts, next).await?;
        Ok(Outcome::Retry)
    }
}

/// Runs `sender` until `stop` resolves: a pass now, then one whenever `wake` is notified or
/// every [`RetryPolicy::poll`]; a full batch is followed at once by another pass.
pub async fn run(sender: Sender, wake: Arc<Notify>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let poll = sender.policy.poll.max(Duration::from_millis(10));
    loop {
        let full = match sender.deliver_due().await {
            Ok(p) => p.claimed >= sender.policy.batch,
            Err(e) => {
                tracing::warn!(error = %e, "outbox pass failed");
                false
            }
        };
        if full {
            continue;
        }
        tokio::select! {
            () = &mut stop => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// A fairing that starts the mail sender when the server has bound its port (over the
/// [`AppState`]'s pool, mailer and [`RetryPolicy`]), and stops it with the server.
/// [`crate::serve`] attaches it; an app launched another way attaches it to send mail.
pub fn on_liftoff() -> AdHoc {
    AdHoc::on_liftoff("mail outbox", |rocket| {
        Box::pin(async move {
            let Some(state) = rocket.state::<AppState>() else {
                tracing::error!("no AppState: the mail outbox is not sent");
                return;
            };
            let sender = state.mail_sender();
            let wake = state.mail_wake.clone();
            let shutdown = rocket.shutdown();
            tokio::spawn(run(sender, wake, async move {
                shutdown.await;
            }));
        })
    })
}

//! Outgoing mail through the store's outbox (`hcpool_mail_outbox`): a request only writes a
//! row and answers; a background task ([`on_liftoff`], started by [`crate::serve`]) sends.
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
//!   ([`hcpool_core::backend::Store::claim_mail`]): a row claimed by an instance that died
//!   is claimed again when the lease ends, so mail is not lost (but may, rarely, go out
//!   twice: the server accepted it and the instance died before deleting the row). A failed
//!   send is retried with exponential backoff, at most [`RetryPolicy::max_attempts`] times.
//!   The in-process wake-up ([`AppState::mail_wake`](crate::AppState)) only shortens the
//!   delay on the instance that took the request; the others find rows by polling.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::{Email, Mailer, NewUser, OutboxMail, PasswordReset};
use hcpool_core::service::PoolService;
use hcpool_core::{BackendKind, Secret, VoteBits};
use rocket::fairing::AdHoc;
use tokio::sync::Notify;

use crate::auth::{random_hex, stored_token};
use crate::error::WebError;
use crate::state::AppState;

/// A rendered mail: sent as stored.
pub const KIND_MAIL: &str = "mail";
/// Sign-up: a verification link when the address belongs to an unverified account, a notice
/// ("you already have an account") when it belongs to a verified one.
pub const KIND_SIGNUP: &str = "signup";
/// The resend form: a new verification link when the address belongs to an unverified
/// account; nothing otherwise.
pub const KIND_RESEND: &str = "resend";
/// A password reset request: a reset link when the address belongs to an account; nothing
/// otherwise.
pub const KIND_RESET: &str = "reset";

/// Reset tokens are valid this long.
pub const RESET_TOKEN_SECS: i64 = 3600;

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

/// Something to send, as a request asks for it.
#[derive(Debug, Clone)]
pub enum Job {
    /// A rendered mail.
    Mail(Email),
    /// [`KIND_SIGNUP`] for this address: the sender creates the account with this password
    /// hash unless the address is taken.
    Signup {
        /// The address signed up with.
        email: String,
        /// The password's argon2id hash (kept in the row until it is handled).
        password_hash: Secret<String>,
    },
    /// [`KIND_RESEND`] for this address.
    Resend {
        /// The address given.
        email: String,
    },
    /// [`KIND_RESET`] for this address, asked from `ip`.
    Reset {
        /// The address given.
        email: String,
        /// The client IP (named in the mail).
        ip: String,
    },
}

/// Stores `job` in the outbox (one insert, whatever the job) and wakes this instance's
/// sender. The request never waits for SMTP.
///
/// # Errors
/// The store's error.
pub async fn enqueue(state: &AppState, job: Job) -> Result<(), WebError> {
    let now = state.now();
    let (kind, recipient, subject, body, ip) = match job {
        Job::Mail(m) => (KIND_MAIL, m.to, m.subject, m.body, String::new()),
        Job::Signup {
            email,
            password_hash,
        } => (
            KIND_SIGNUP,
            email,
            String::new(),
            password_hash.into_inner(),
            String::new(),
        ),
        Job::Resend { email } => (
            KIND_RESEND,
            email,
            String::new(),
            String::new(),
            String::new(),
        ),
        Job::Reset { email, ip } => (KIND_RESET, email, String::new(), String::new(), ip),
    };
    state
        .pool
        .store()
        .enqueue_mail(&OutboxMail {
            id: 0,
            kind: kind.to_owned(),
            recipient,
            subject,
            body: Secret::new(body),
            ip,
            attempts: 0,
            next_attempt: now,
            created: now,
        })
        .await?;
    state.mail_wake.notify_one();
    Ok(())
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
    pool: PoolService,
    mailer: Arc<dyn Mailer>,
    base_url: String,
    policy: RetryPolicy,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("base_url", &self.base_url)
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
    /// A sender over `pool`'s store and clock, sending through `mailer`; links start with
    /// `base_url`.
    pub fn new(
        pool: PoolService,
        mailer: Arc<dyn Mailer>,
        base_url: String,
        policy: RetryPolicy,
    ) -> Self {
        Sender {
            pool,
            mailer,
            base_url,
            policy,
        }
    }

    /// Claims the rows due now (at most [`RetryPolicy::batch`]) and handles each.
    ///
    /// # Errors
    /// The store's error on the claim (a failure on one row is logged, and the row's lease
    /// brings it back).
    pub async fn deliver_due(&self) -> Result<Pass, WebError> {
        let now = self.pool.clock().now_unix();
        let lease = i64::try_from(self.policy.lease.as_secs()).unwrap_or(i64::MAX / 2);
        let rows = self
            .pool
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
        let store = self.pool.store();
        let email = match self.render(row).await {
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
        let store = self.pool.store();
        if row.attempts >= self.policy.max_attempts {
            store.delete_mail(row.id, row.attempts).await?;
            tracing::error!(
                id = row.id, kind = %row.kind, attempts = row.attempts,
                "mail given up after its last attempt"
            );
            return Ok(Outcome::GivenUp);
        }
        let wait = i64::try_from(self.policy.delay_after(row.attempts).as_secs()).unwrap_or(3600);
        let next = self.pool.clock().now_unix().saturating_add(wait);
        store.retry_mail(row.id, row.attempts, next).await?;
        Ok(Outcome::Retry)
    }

    /// Creates the unverified account a sign-up job asks for; a taken address changes
    /// nothing (the job then mails the owner).
    async fn create_account(&self, row: &OutboxMail) -> Result<(), WebError> {
        let wallets = self.pool.wallets();
        let vote_version = match tokio::time::timeout(
            crate::state::WALLET_DEADLINE,
            wallets.wallet_info(),
        )
        .await
        {
            Ok(Ok(i)) => i.vote_version,
            // The start-up votebits reset puts the right version in place later.
            _ => 0,
        };
        let created = self
            .pool
            .store()
            .create_user(&NewUser {
                email: row.recipient.clone(),
                password_hash: row.body.clone(),
                // Replaced below by the token that is mailed; this one never is.
                email_token: Secret::new(stored_token(&random_hex(16))),
                vote_bits: VoteBits(1),
                vote_bits_version: vote_version,
            })
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The mail `row` stands for now, or `None` when there is nothing to send.
    async fn render(&self, row: &OutboxMail) -> Result<Option<Email>, WebError> {
        let store = self.pool.store();
        let base = &self.base_url;
        match row.kind.as_str() {
            KIND_MAIL => Ok(Some(Email {
                to: row.recipient.clone(),
                subject: row.subject.clone(),
                body: row.body.expose().clone(),
            })),
            KIND_SIGNUP | KIND_RESEND => {
                if row.kind == KIND_SIGNUP && !row.body.expose().is_empty() {
                    self.create_account(row).await?;
                }
                let Some(user) = store.user_by_email(&row.recipient).await? else {
                    return Ok(None);
                };
                if user.is_verified() {
                    if row.kind != KIND_SIGNUP {
                        return Ok(None);
                    }
                    return Ok(Some(Email {
                        to: user.email,
                        subject: "Stake pool sign up".into(),
                        body: format!(
                            "Dear HCASH user,\n\nSomeone (maybe you) tried to sign up at {base} \
                             with this email address, which already has an account. You can \
                             sign in at {base}/signin, or reset your password at \
                             {base}/passwordreset if you forgot it. If it was not you, you \
                             can ignore this mail.\n\nHCASH Team\n"
                        ),
                    }));
                }
                let token = random_hex(16);
                if !store
                    .set_email_token(user.id, &Secret::new(stored_token(&token)))
                    .await?
                {
                    // Verified meanwhile.
                    return Ok(None);
                }
                Ok(Some(Email {
                    to: user.email,
                    subject: "Stake pool email verification".into(),
                    body: format!(
                        "Dear HCASH user,\n\nFor security purposes, please click the following \
                         link to verify your email address.\n\n{base}/emailverify?t={token}\n\n\
                         HCASH Team\n"
                    ),
                }))
            }
            KIND_RESET => {
                let Some(user) = store.user_by_email(&row.recipient).await? else {
                    return Ok(None);
                };
                let token = random_hex(16);
                let now = self.pool.clock().now_unix();
                store
                    .create_password_reset(&PasswordReset {
                        user_id: user.id,
                        token: Secret::new(stored_token(&token)),
                        created: now,
                        expires: now + RESET_TOKEN_SECS,
                    })
                    .await?;
                Ok(Some(Email {
                    to: user.email,
                    subject: "Stake pool password reset".into(),
                    body: format!(
                        "A request to reset your password was made from IP address {}.\n\n\
                         To reset your password, open:\n\n{base}/passwordupdate?t={token}\n\n\
                         The above link expires an hour after this email was sent.\n",
                        row.ip
                    ),
                }))
            }
            other => {
                tracing::warn!(id = row.id, kind = other, "unknown outbox row kind dropped");
                Ok(None)
            }
        }
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

//! Account deletion and data export (issue 16 row 6, dcrstakepool#272).
//!
//! **Export** ([`AccountService::export`]): what the pool holds about a user, as one
//! [`AccountExport`] (the web app serves it as a JSON attachment). It never holds the
//! password hash, a session id or CSRF token, or a mailed token; it does hold the user's
//! API token, marked as a credential: it is the user's own, shown on their settings page
//! anyway, and an export is for the user.
//!
//! **Deletion** ([`AccountService::delete_account`], and the operator's
//! [`admin::delete_user`](super::admin::delete_user)) happens in two steps, because the
//! pool must keep voting the user's live tickets and stakepoold (hcpool's and the
//! original's) reads each user's voting configuration from the `Users` row:
//!
//! 1. At once ([`ErasureStore::erase_account`](crate::backend::ErasureStore::erase_account)): email and username become a
//!    non-deliverable placeholder ([`erased_email`](crate::backend::erased_email)), the
//!    password is locked ([`ERASED_PASSWORD`](crate::backend::ERASED_PASSWORD)), the API
//!    and email tokens, sessions, password resets, pending email changes, the email's claim
//!    and the outbox mails to it, and the stored vote records, are deleted. The address
//!    registration (multisig address and script, pool, user and fee addresses) and the
//!    votebits stay. The email can sign up again, as a new account.
//! 2. Later ([`PoolService::sweep_erasures`], run by every web instance): once the wallets
//!    report no unspent ticket for the multisig address ([`erasure_decision`]) and no
//!    added low-fee ticket of it can still vote, the registration columns are blanked too
//!    and the voting nodes are told. The row stays as a tombstone rather than being
//!    deleted: its `UserId` derives the user's ticket and fee addresses
//!    (`votingwalletextpub/0/uid`), and a deleted highest row lets SQLite (without
//!    `AUTOINCREMENT`, as hcstakepool's SQLite never had) and older MySQL/MariaDB (which
//!    reset `AUTO_INCREMENT` to `max + 1` at restart) hand the same id, and so the same
//!    addresses, to the next sign-up. stakepoold skips rows without a `MultiSigAddress`,
//!    as it skips users who never registered.

use crate::backend::{
    ErasureRecord, ErasureStarted, PasswordCheck, StakePoolUserInfo, TicketStatus, User,
};
use crate::error::{Error, Result};
use crate::service::accounts::{sha256_hex, AccountService, Refusal};
use crate::service::nodes::NodeUpdate;
use crate::service::pool::PoolService;

/// The format name [`AccountExport::format`] carries.
pub const EXPORT_FORMAT: &str = "hcpool-account-export/1";

/// How long after a deletion the sweep waits before it may erase the voting data, even
/// when the wallets show no live ticket: a ticket bought just before the deletion may not
/// be in the wallets' answer yet (seconds).
pub const ERASURE_GRACE_SECS: i64 = 3600;

/// Everything the pool holds about a user, for the user ([`AccountService::export`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AccountExport {
    /// [`EXPORT_FORMAT`].
    pub format: &'static str,
    /// When it was made, unix seconds.
    pub exported_at: i64,
    /// The pool (`baseurl`).
    pub pool: String,
    /// The account's own fields.
    pub account: ExportAccount,
    /// The user's credentials the pool can show (never the password or its hash).
    pub credentials: ExportCredentials,
    /// Voting preferences.
    pub voting: ExportVoting,
    /// The address registration, if any.
    pub registration: Option<ExportRegistration>,
    /// The tickets the wallets report for the multisig address; `None` when there is no
    /// registration or the wallets did not answer (see `tickets_unavailable`).
    pub tickets: Option<Vec<ExportTicket>>,
    /// Tickets to the address that did not pay the pool fee.
    pub invalid_tickets: Vec<String>,
    /// Why `tickets` is missing although the user registered (the wallets' error).
    pub tickets_unavailable: Option<String>,
    /// Pending email changes (the new address and when; never the token).
    pub email_changes: Vec<ExportEmailChange>,
    /// Sign-in sessions (never their ids or CSRF tokens).
    pub sessions: Vec<ExportSession>,
    /// The vote records the pool stored for the user's tickets (unsigned: the signed ones
    /// are `GET /api/v2/voterecords`).
    pub vote_records: Vec<ExportVoteRecord>,
}

/// One of [`AccountExport::vote_records`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportVoteRecord {
    /// Ticket hash.
    pub ticket: String,
    /// The vote that spent it.
    pub vote_tx: String,
    /// The block that mined the vote.
    pub block_hash: String,
    /// Its height.
    pub block_height: u32,
    /// The votebits the vote carries.
    pub votebits: u16,
    /// Its vote version.
    pub vote_version: u32,
    /// The user's votebits when the record was first stored.
    pub requested_votebits: u16,
    /// When it was first stored, unix seconds.
    pub recorded_at: i64,
}

/// [`AccountExport::account`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportAccount {
    /// `UserId`.
    pub user_id: u64,
    /// `Email`.
    pub email: String,
    /// `Username` (the email signed up with).
    pub username: String,
    /// `verified`, `grandfathered` (predates verification) or `pending`.
    pub email_verification: &'static str,
}

/// [`AccountExport::credentials`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportCredentials {
    /// The API token (empty when none was issued).
    pub api_token: String,
    /// A warning that the token is a secret.
    pub note: &'static str,
}

/// [`AccountExport::voting`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportVoting {
    /// `VoteBits`.
    pub vote_bits: u16,
    /// `VoteBitsVersion`.
    pub vote_bits_version: u32,
}

/// [`AccountExport::registration`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportRegistration {
    /// The ticket (1-of-2 multisig P2SH) address.
    pub multisig_address: String,
    /// Its redeem script, hex.
    pub multisig_script: String,
    /// The pool's pubkey-address in the script.
    pub pool_pubkey_address: String,
    /// The user's pubkey-address.
    pub user_pubkey_address: String,
    /// The pool fee address.
    pub user_fee_address: String,
    /// Chain height at registration.
    pub height_registered: u32,
}

/// One ticket of [`AccountExport::tickets`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportTicket {
    /// Ticket hash.
    pub ticket: String,
    /// `live` (or immature), `voted`, `missed`, `expired`, or the wallet's word.
    pub status: String,
    /// Height it was mined at.
    pub ticket_height: u32,
    /// The vote or revocation that spent it.
    pub spent_by: Option<String>,
    /// Its height.
    pub spent_by_height: Option<u32>,
}

/// One of [`AccountExport::email_changes`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportEmailChange {
    /// The address asked for.
    pub new_email: String,
    /// Asked at, unix seconds.
    pub created: i64,
    /// Link valid until, unix seconds.
    pub expires: i64,
}

/// One of [`AccountExport::sessions`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ExportSession {
    /// Signed in at, unix seconds.
    pub created: i64,
    /// Last request, unix seconds.
    pub last_seen: i64,
    /// Valid until, unix seconds.
    pub expires: i64,
    /// The session the export was asked from.
    pub current: bool,
}

/// The word an export uses for a ticket status.
pub fn status_word(s: &TicketStatus) -> String {
    match s {
        TicketStatus::Live => "live".into(),
        TicketStatus::Voted => "voted".into(),
        TicketStatus::Missed => "missed".into(),
        TicketStatus::Expired => "expired".into(),
        TicketStatus::Other(o) => crate::util::truncate(o, 32),
    }
}

/// What the sweep does with one pending erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureDecision {
    /// Keep the voting data: `unspent` tickets may still vote (live, immature, missed but
    /// not revoked yet, or a status this version does not know), or the grace time since the
    /// deletion has not passed (`unspent` 0).
    Wait {
        /// Tickets that may still vote.
        unspent: usize,
    },
    /// Erase the rest of the row.
    Erase,
}

/// The sweep's rule for one account deleted at `requested`, at `now`: wait through
/// `grace_secs`, then while `info` (the wallets' `stakepooluserinfo`) lists a ticket that
/// is not spent, or `low_fee_votable` added low-fee tickets of the address can still be
/// voted; else erase.
pub fn erasure_decision(
    requested: i64,
    now: i64,
    grace_secs: i64,
    info: &StakePoolUserInfo,
    low_fee_votable: usize,
) -> ErasureDecision {
    let unspent = info
        .tickets
        .iter()
        .filter(|t| {
            !matches!(
                t.status,
                TicketStatus::Voted | TicketStatus::Missed | TicketStatus::Expired
            )
        })
        .count()
        + low_fee_votable;
    if unspent > 0 || now < requested.saturating_add(grace_secs) {
        ErasureDecision::Wait { unspent }
    } else {
        ErasureDecision::Erase
    }
}

/// What one [`PoolService::sweep_erasures`] run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    /// Pending erasures looked at.
    pub pending: usize,
    /// Completed now.
    pub erased: usize,
    /// Kept for live tickets, the grace time, or a wallet that did not answer.
    pub waiting: usize,
}

impl AccountService {
    /// Deletes `user`'s account after checking their current `password` (see the module
    /// docs for what is erased at once and what is kept while tickets may vote).
    ///
    /// # Errors
    /// [`Refusal::WrongPassword`]; [`Error::UserNotFound`] when the account is gone (or
    /// deleted already); the hasher's or the store's error.
    pub async fn delete_account(&self, user: &User, password: &str) -> Result<ErasureStarted> {
        let check = self.hasher().verify(password, &user.password_hash).await?;
        if check == PasswordCheck::Mismatch || user.is_erased() {
            return Err(Error::Account(Refusal::WrongPassword));
        }
        let now = self.clock().now_unix();
        let started = self
            .store()
            .erase_account(user.id, now)
            .await?
            .ok_or(Error::UserNotFound(user.id))?;
        tracing::info!(
            user = user.id.0,
            sessions = started.sessions,
            complete = started.complete,
            "account deleted by its user"
        );
        Ok(started)
    }

    /// The user's data ([`AccountExport`]). `tickets` is the wallets' answer for the
    /// multisig address (`Err` carries the wallets' error text, shown in the export), `None`
    /// without a registration; `session_id_hash` marks the session asking.
    ///
    /// # Errors
    /// The store's error.
    pub async fn export(
        &self,
        user: &User,
        tickets: Option<std::result::Result<&StakePoolUserInfo, String>>,
        session_id_hash: Option<&str>,
    ) -> Result<AccountExport> {
        let store = self.store();
        let sessions = store.user_sessions(user.id).await?;
        let changes = store.user_email_changes(user.id).await?;
        let vote_records = store.vote_records(user.id).await?;
        let verification = match user.email_verified {
            crate::backend::EmailVerification::Pending => "pending",
            crate::backend::EmailVerification::Verified => "verified",
            crate::backend::EmailVerification::Grandfathered => "grandfathered",
        };
        let registration = user.registration.as_ref().map(|r| ExportRegistration {
            multisig_address: r.multisig_address.to_string(),
            multisig_script: r.multisig_script.to_hex(),
            pool_pubkey_address: r.pool_pubkey_addr.to_string(),
            user_pubkey_address: r.user_pubkey_addr.to_string(),
            user_fee_address: r.user_fee_addr.to_string(),
            height_registered: r.height_registered,
        });
        let (tickets, invalid_tickets, tickets_unavailable) = match tickets {
            None => (None, Vec::new(), None),
            Some(Err(e)) => (None, Vec::new(), Some(crate::util::truncate(&e, 200))),
            Some(Ok(info)) => (
                Some(
                    info.tickets
                        .iter()
                        .map(|t| ExportTicket {
                            ticket: t.ticket.to_string(),
                            status: status_word(&t.status),
                            ticket_height: t.ticket_height,
                            spent_by: (t.spent_by_height > 0).then(|| t.spent_by.to_string()),
                            spent_by_height: (t.spent_by_height > 0).then_some(t.spent_by_height),
                        })
                        .collect(),
                ),
                info.invalid.iter().map(|t| t.to_string()).collect(),
                None,
            ),
        };
        Ok(AccountExport {
            format: EXPORT_FORMAT,
            exported_at: self.clock().now_unix(),
            pool: self.settings().base_url.clone(),
            account: ExportAccount {
                user_id: user.id.0,
                email: user.email.clone(),
                username: user.username.clone(),
                email_verification: verification,
            },
            credentials: ExportCredentials {
                api_token: user.api_token.expose().clone(),
                note: "The API token is a credential: anyone holding it can use the pool's API \
                       as you. Keep this file private, or issue a new token on the settings \
                       page.",
            },
            voting: ExportVoting {
                vote_bits: user.vote_bits.0,
                vote_bits_version: user.vote_bits_version,
            },
            registration,
            tickets,
            invalid_tickets,
            tickets_unavailable,
            email_changes: changes
                .into_iter()
                .map(|c| ExportEmailChange {
                    new_email: c.new_email,
                    created: c.created,
                    expires: c.expires,
                })
                .collect(),
            sessions: sessions
                .into_iter()
                .map(|s| ExportSession {
                    created: s.created,
                    last_seen: s.last_seen,
                    expires: s.expires,
                    current: session_id_hash.is_some_and(|h| h == s.id_hash),
                })
                .collect(),
            vote_records: vote_records
                .into_iter()
                .map(|r| ExportVoteRecord {
                    ticket: r.ticket.to_string(),
                    vote_tx: r.vote_tx.to_string(),
                    block_hash: r.block_hash.to_string(),
                    block_height: r.block_height,
                    votebits: r.votebits,
                    vote_version: r.vote_version,
                    requested_votebits: r.requested_votebits,
                    recorded_at: r.created,
                })
                .collect(),
        })
    }
}

/// The session id hash of a cookie value, as the store keeps it (for
/// [`AccountService::export`]'s `session_id_hash`).
pub fn session_id_hash(cookie: &str) -> String {
    sha256_hex(cookie)
}

impl PoolService {
    /// One pass over the pending erasures: each whose decision ([`erasure_decision`], with
    /// `grace_secs`) is to erase is completed ([`ErasureStore::finish_erasure`], which does
    /// nothing when another instance completed it first), then the voting nodes are told.
    /// A wallet that does not answer keeps that erasure for the next pass. Safe to run on
    /// several instances at once: every step is conditional and idempotent.
    ///
    /// [`ErasureStore::finish_erasure`]: crate::backend::ErasureStore::finish_erasure
    ///
    /// # Errors
    /// The store's error (listing or completing).
    pub async fn sweep_erasures(&self, grace_secs: i64) -> Result<SweepReport> {
        let store = self.store();
        let pending = store.pending_erasures().await?;
        let mut report = SweepReport {
            pending: pending.len(),
            ..SweepReport::default()
        };
        if pending.is_empty() {
            return Ok(report);
        }
        let now = self.clock().now_unix();
        let low_fee = store.votable_low_fee_tickets(now).await?;
        for ErasureRecord {
            user_id,
            requested,
            multisig_address,
            ..
        } in pending
        {
            let decision = match &multisig_address {
                None => {
                    erasure_decision(requested, now, grace_secs, &StakePoolUserInfo::default(), 0)
                }
                Some(addr) => match self.wallets().stake_pool_user_info(addr).await {
                    Ok(info) => {
                        let votable = low_fee.iter().filter(|t| &t.ticket_address == addr).count();
                        erasure_decision(requested, now, grace_secs, &info, votable)
                    }
                    Err(e) => {
                        tracing::warn!(user = user_id.0, error = %e,
                            "erasure check: wallets did not answer; next pass");
                        ErasureDecision::Wait { unspent: 0 }
                    }
                },
            };
            match decision {
                ErasureDecision::Erase => {
                    if store.finish_erasure(user_id, now).await? {
                        tracing::info!(user = user_id.0, "deleted account's voting data erased");
                        report.erased += 1;
                    }
                }
                ErasureDecision::Wait { unspent } => {
                    tracing::debug!(user = user_id.0, unspent, "erasure waits");
                    report.waiting += 1;
                }
            }
        }
        if report.erased > 0 {
            self.tell_nodes(NodeUpdate::Users).await;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::backend::LowFeeTicketStore;
    use crate::backend::{
        Clock, ErasureStore, MemoryStore, MockWalletBackend, NewLowFeeTicket, NewUser,
        Registration, UserStore, UserTicket,
    };
    use crate::derive::PoolKeys;
    use crate::ids::{Hash32, Secret, TicketHash};
    use crate::params::Network;
    use crate::service::{PoolParts, VotingNodes};
    use crate::{Address, BackendKind, RedeemScript, VoteBits};

    fn ticket(status: TicketStatus) -> UserTicket {
        UserTicket {
            status,
            ticket: TicketHash::default(),
            ticket_height: 10,
            spent_by: Hash32::default(),
            spent_by_height: 0,
        }
    }

    fn info(statuses: &[TicketStatus]) -> StakePoolUserInfo {
        StakePoolUserInfo {
            tickets: statuses.iter().cloned().map(ticket).collect(),
            invalid: Vec::new(),
        }
    }

    #[test]
    fn decision_waits_for_unspent_tickets_and_the_grace_time() {
        use ErasureDecision::{Erase, Wait};
        use TicketStatus::*;
        let spent = info(&[Voted, Missed, Expired]);
        assert_eq!(erasure_decision(100, 200, 50, &spent, 0), Erase);
        assert_eq!(
            erasure_decision(100, 149, 50, &spent, 0),
            Wait { unspent: 0 }
        );
        assert_eq!(erasure_decision(100, 150, 50, &spent, 0), Erase);
        assert_eq!(erasure_decision(100, 200, 50, &info(&[]), 0), Erase);
        assert_eq!(
            erasure_decision(100, 200, 50, &info(&[Voted, Live, Live]), 0),
            Wait { unspent: 2 }
        );
        // A status this version does not know may still vote: keep.
        assert_eq!(
            erasure_decision(100, 200, 50, &info(&[Other("unmined".into())]), 0),
            Wait { unspent: 1 }
        );
        // An added low-fee ticket that can still be voted: keep.
        assert_eq!(
            erasure_decision(100, 200, 50, &spent, 1),
            Wait { unspent: 1 }
        );
        // No overflow on a hostile grace.
        assert_eq!(
            erasure_decision(i64::MAX, 0, i64::MAX, &spent, 0),
            Wait { unspent: 0 }
        );
    }

    struct Now(AtomicI64);

    impl Clock for Now {
        fn now_unix(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
    const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";

    fn registration(n: u8) -> Registration {
        let pool = Address::p2pkh(Network::Testnet, [n; 20]);
        let user = Address::p2pkh(Network::Testnet, [n + 1; 20]);
        let mut script = vec![0x51, 0x21];
        script.extend([2; 33]);
        script.push(0x21);
        script.extend([3; 33]);
        script.extend([0x52, 0xae]);
        Registration {
            multisig_address: Address::p2sh(Network::Testnet, [n; 20]),
            multisig_script: RedeemScript::from_bytes(script),
            pool_pubkey_addr: pool,
            user_pubkey_addr: user,
            user_fee_addr: Address::p2pkh(Network::Testnet, [n + 2; 20]),
            height_registered: 5,
        }
    }

    /// The sweep over the in-memory store: a live ticket keeps the voting data, a wallet
    /// error keeps it, the grace time keeps it; then it is erased, once.
    #[tokio::test]
    async fn sweep_erases_once_tickets_are_spent() {
        let store = Arc::new(MemoryStore::new());
        let mut ids = Vec::new();
        for (n, email) in [(1u8, "a@example.com"), (2, "b@example.com")] {
            let id = store
                .create_user(&NewUser {
                    email: email.into(),
                    password_hash: Secret::new("x".into()),
                    email_token: Secret::new("t".into()),
                    vote_bits: VoteBits(1),
                    vote_bits_version: 7,
                })
                .await
                .unwrap();
            store.register_address(id, &registration(n)).await.unwrap();
            ids.push(id);
        }
        let (a, b) = (ids[0], ids[1]);
        let a_addr = registration(1).multisig_address;
        // b's address has a low-fee ticket an admin added, still votable.
        store
            .add_low_fee_tickets(&[NewLowFeeTicket {
                added_by: a,
                ticket_address: registration(2).multisig_address,
                ticket_hash: TicketHash::default(),
                created: 0,
                expires: 10_000,
            }])
            .await
            .unwrap();
        store.erase_account(a, 1000).await.unwrap().unwrap();
        store.erase_account(b, 1000).await.unwrap().unwrap();

        // First call: a has a live ticket; then the wallets fail once; then it voted.
        let calls = Arc::new(AtomicUsize::new(0));
        let mut w = MockWalletBackend::new();
        let c2 = calls.clone();
        let a2 = a_addr.clone();
        w.expect_stake_pool_user_info().returning(move |addr| {
            if addr != &a2 {
                return Ok(StakePoolUserInfo::default());
            }
            match c2.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(info(&[TicketStatus::Live])),
                1 => Err(Error::wallet("w1", BackendKind::Unavailable, "down")),
                _ => Ok(info(&[TicketStatus::Voted])),
            }
        });
        let clock = Arc::new(Now(AtomicI64::new(1000 + 10)));
        let svc = PoolService::new(PoolParts {
            network: Network::Testnet,
            keys: Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()),
            pool_fees: crate::PoolFeeRate::from_percent(7.5).unwrap(),
            store: store.clone(),
            wallets: Arc::new(w),
            nodes: Arc::new(VotingNodes::new(vec![])),
            clock: clock.clone(),
        });
        // Within the grace time nothing goes, whatever the wallets say.
        let r = svc.sweep_erasures(60).await.unwrap();
        assert_eq!((r.pending, r.erased, r.waiting), (2, 0, 2));
        clock.0.store(2000, Ordering::SeqCst);
        let r = svc.sweep_erasures(60).await.unwrap(); // wallet error
        assert_eq!((r.erased, r.waiting), (0, 2));
        let r = svc.sweep_erasures(60).await.unwrap(); // voted
        assert_eq!((r.pending, r.erased, r.waiting), (2, 1, 1));
        let row = store.user(a).await.unwrap().unwrap();
        assert!(row.registration.is_none() && row.is_erased());
        assert!(store.user(b).await.unwrap().unwrap().registration.is_some());
        // The low-fee ticket expires: b goes too.
        clock.0.store(10_000, Ordering::SeqCst);
        let r = svc.sweep_erasures(60).await.unwrap();
        assert_eq!((r.pending, r.erased, r.waiting), (1, 1, 0));
        assert_eq!(
            svc.sweep_erasures(60).await.unwrap(),
            SweepReport::default()
        );
        assert_eq!(store.erasure(a).await.unwrap().unwrap().erased, Some(2000));
    }
}

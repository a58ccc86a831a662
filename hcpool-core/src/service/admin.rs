//! Operator tasks over the store and the wallets (`hcpoolctl`'s database tools): re-send a
//! verification mail, reset a user's votebits, delete an account, find the user of a ticket, and check that
//! every wallet holds every registered user's multisig script.
//!
//! Each is a function over the backend traits, so it runs against any [`Store`] and
//! [`WalletBackend`]; nothing here needs the web app to be running, and what a running
//! web app should do (send the mail) it picks up from the store.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::address::Address;
use crate::backend::{RegisteredScript, Store, WalletBackend};
use crate::email::EmailAddress;
use crate::error::Result;
use crate::ids::{TicketHash, UserId};
use crate::multisig::RedeemScript;
use crate::params::Network;
use crate::service::accounts::{outbox_row, Job};
use crate::stake::Ticket;
use crate::tx::Transaction;
use crate::votebits::VoteBits;
use hcpool_i18n::Lang;

/// What [`resend_verification`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// A verification job is in the mail outbox: the web app's sender mails a new link.
    Queued,
    /// No user has this address.
    NoSuchUser,
    /// The address is verified already: nothing to send.
    AlreadyVerified,
    /// The account is disabled: no link is sent.
    Disabled,
}

/// Queues a new verification link for the unverified account of `email` (the outbox row
/// the web app's `/resendverification` stores), written in `lang`, at `now` (unix seconds).
///
/// The operator names the language: the store keeps none for an unverified account (the
/// only stored language is a notification choice's, which needs a signed-in, so verified,
/// account).
///
/// # Errors
/// The store's error.
pub async fn resend_verification(
    store: &dyn Store,
    email: &EmailAddress,
    lang: Lang,
    now: i64,
) -> Result<Resend> {
    let Some(user) = store.user_by_email(email.as_str()).await? else {
        return Ok(Resend::NoSuchUser);
    };
    if user.is_disabled() {
        return Ok(Resend::Disabled);
    }
    if user.is_verified() {
        return Ok(Resend::AlreadyVerified);
    }
    let row = outbox_row(
        Job::Resend {
            email: email.clone(),
            lang,
        },
        now,
    );
    store.enqueue_mail(&row).await?;
    Ok(Resend::Queued)
}

/// Resets user `id`'s votebits to the default (1, "abstain on every agenda") at `version`
/// (their current vote version when `None`). Returns the bits and version before and
/// after, `None` when there is no such user.
///
/// # Errors
/// The store's error.
pub async fn reset_user_vote_bits(
    store: &dyn Store,
    id: UserId,
    version: Option<u32>,
) -> Result<Option<((VoteBits, u32), (VoteBits, u32))>> {
    let Some(user) = store.user(id).await? else {
        return Ok(None);
    };
    let version = version.unwrap_or(user.vote_bits_version);
    if !store.set_vote_bits(id, VoteBits::DEFAULT, version).await? {
        return Ok(None);
    }
    Ok(Some((
        (user.vote_bits, user.vote_bits_version),
        (VoteBits::DEFAULT, version),
    )))
}

/// Deletes account `id` for an operator (`hcpoolctl delete-user`) at `now`, as the user's
/// own deletion does without the password (see [`crate::service::erasure`]). `None` when
/// there is no such user or it is deleted already.
///
/// # Errors
/// The store's error.
pub async fn delete_user(
    store: &dyn Store,
    id: UserId,
    now: i64,
) -> Result<Option<crate::backend::ErasureStarted>> {
    store.erase_account(id, now).await
}

/// The voting (multisig) address of the ticket `hash`, from the first wallet of `wallets`
/// that has the transaction; `None` when none has it or it is not a ticket.
///
/// Wallets that fail are skipped.
pub async fn ticket_voting_address(
    wallets: &[Arc<dyn WalletBackend>],
    hash: &TicketHash,
    network: Network,
) -> Option<Address> {
    for w in wallets {
        let Ok(bytes) = w.raw_transaction(hash).await else {
            continue;
        };
        let Ok(tx) = Transaction::decode(&bytes) else {
            continue;
        };
        if let Ok(ticket) = Ticket::from_tx(&tx) {
            return ticket.voting_address(network);
        }
    }
    None
}

/// The registered scripts a wallet holding `held` lacks, in `registered`'s order.
pub fn missing_scripts(
    registered: &[RegisteredScript],
    held: &[RedeemScript],
) -> Vec<RegisteredScript> {
    let held: BTreeSet<&[u8]> = held.iter().map(RedeemScript::as_bytes).collect();
    registered
        .iter()
        .filter(|r| !held.contains(r.script.as_bytes()))
        .cloned()
        .collect()
}

/// One wallet's answer to [`check_wallet_scripts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletScripts {
    /// The wallet's label.
    pub label: String,
    /// Users whose multisig script it lacks (`Err`: it did not answer `listscripts`).
    pub missing: std::result::Result<Vec<UserId>, String>,
}

impl WalletScripts {
    /// It answered and lacks nothing.
    pub fn is_complete(&self) -> bool {
        self.missing.as_ref().is_ok_and(Vec::is_empty)
    }
}

/// Compares the store's registered scripts with each wallet's `listscripts`.
///
/// # Errors
/// The store's error (a wallet's error is its [`WalletScripts::missing`]).
pub async fn check_wallet_scripts(
    store: &dyn Store,
    wallets: &[Arc<dyn WalletBackend>],
) -> Result<Vec<WalletScripts>> {
    let registered = store.multisig_scripts().await?;
    let mut out = Vec::with_capacity(wallets.len());
    for w in wallets {
        let missing = match w.list_scripts().await {
            Ok(held) => Ok(missing_scripts(&registered, &held)
                .into_iter()
                .map(|r| r.user_id)
                .collect()),
            Err(e) => Err(e.to_string()),
        };
        out.push(WalletScripts {
            label: w.label(),
            missing,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{MailOutbox, MemoryStore, NewUser, Registration, TokenStore, UserStore};
    use crate::Secret;

    fn script(b: u8) -> RedeemScript {
        RedeemScript::from_bytes(vec![0x51, b, 0xae])
    }

    fn reg(id: u64, b: u8) -> RegisteredScript {
        RegisteredScript {
            user_id: UserId(id),
            script: script(b),
            height_registered: 1,
        }
    }

    #[test]
    fn missing_scripts_are_the_registered_ones_not_held() {
        let registered = [reg(1, 1), reg(2, 2), reg(3, 3)];
        let missing = missing_scripts(&registered, &[script(2), script(9)]);
        assert_eq!(missing, [reg(1, 1), reg(3, 3)]);
        assert!(missing_scripts(&registered, &[script(1), script(2), script(3)]).is_empty());
        assert!(missing_scripts(&[], &[script(1)]).is_empty());
    }

    async fn user(store: &MemoryStore, email: &str) -> UserId {
        store
            .create_user(&NewUser {
                email: email.into(),
                password_hash: Secret::new("$argon2id$x".into()),
                email_token: Secret::new("tok".into()),
                vote_bits: VoteBits(5),
                vote_bits_version: 6,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn resend_queues_only_for_unverified_enabled_accounts() {
        let store = MemoryStore::default();
        let email = |s: &str| EmailAddress::parse(s).unwrap();
        assert_eq!(
            resend_verification(&store, &email("x@example.com"), Lang::En, 10)
                .await
                .unwrap(),
            Resend::NoSuchUser
        );
        user(&store, "a@example.com").await;
        assert_eq!(
            resend_verification(&store, &email("a@example.com"), Lang::ZhCn, 10)
                .await
                .unwrap(),
            Resend::Queued
        );
        let rows = store.claim_mail(10, 20, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].kind, crate::service::accounts::KIND_RESEND);
        assert_eq!(rows[0].recipient, "a@example.com");
        // The row carries the language its mail is written in.
        assert_eq!(rows[0].subject, "zh-CN");
        store.verify_email("tok").await.unwrap();
        assert_eq!(
            resend_verification(&store, &email("a@example.com"), Lang::En, 10)
                .await
                .unwrap(),
            Resend::AlreadyVerified
        );
    }

    #[tokio::test]
    async fn reset_vote_bits_keeps_or_sets_the_version() {
        let store = MemoryStore::default();
        let id = user(&store, "a@example.com").await;
        let got = reset_user_vote_bits(&store, id, None).await.unwrap();
        assert_eq!(got, Some(((VoteBits(5), 6), (VoteBits(1), 6))));
        store.set_vote_bits(id, VoteBits(5), 6).await.unwrap();
        let got = reset_user_vote_bits(&store, id, Some(7)).await.unwrap();
        assert_eq!(got, Some(((VoteBits(5), 6), (VoteBits(1), 7))));
        let u = store.user(id).await.unwrap().unwrap();
        assert_eq!((u.vote_bits, u.vote_bits_version), (VoteBits(1), 7));
        assert_eq!(
            reset_user_vote_bits(&store, UserId(99), None)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn wallet_check_names_the_users_a_wallet_lacks() {
        use crate::backend::MockWalletBackend;
        let store = MemoryStore::default();
        let id = user(&store, "a@example.com").await;
        let keys = crate::PoolKeys::from_strings(
            "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep",
            "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX",
            Network::Testnet,
        )
        .unwrap();
        let user_key = crate::address::validate_user_pubkey_address(
            "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt",
            Network::Testnet,
        )
        .unwrap();
        let pool_key = keys.ticket_pubkey_address(id).unwrap();
        let s = RedeemScript::one_of_two(&pool_key, &user_key).unwrap();
        store
            .register_address(
                id,
                &Registration {
                    multisig_address: s.p2sh_address(Network::Testnet),
                    multisig_script: s.clone(),
                    pool_pubkey_addr: pool_key,
                    user_pubkey_addr: user_key,
                    user_fee_addr: keys.fee_address(id).unwrap(),
                    height_registered: 5,
                },
            )
            .await
            .unwrap();
        let mut has = MockWalletBackend::new();
        let held = s.clone();
        has.expect_list_scripts()
            .returning(move || Ok(vec![held.clone()]));
        has.expect_label().returning(|| "w1".into());
        let mut lacks = MockWalletBackend::new();
        lacks.expect_list_scripts().returning(|| Ok(vec![]));
        lacks.expect_label().returning(|| "w2".into());
        let mut down = MockWalletBackend::new();
        down.expect_list_scripts().returning(|| {
            Err(crate::Error::wallet(
                "w3",
                crate::BackendKind::Unavailable,
                "connection refused",
            ))
        });
        down.expect_label().returning(|| "w3".into());
        let wallets: Vec<Arc<dyn WalletBackend>> =
            vec![Arc::new(has), Arc::new(lacks), Arc::new(down)];
        let got = check_wallet_scripts(&store, &wallets).await.unwrap();
        assert!(got[0].is_complete());
        assert_eq!(got[1].missing, Ok(vec![id]));
        assert!(!got[1].is_complete());
        assert!(got[2].missing.is_err());
    }
}

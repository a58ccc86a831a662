//! One behavioural suite for every [`Store`]: each case runs on a fresh, empty store from
//! the caller's factory; failures are collected and reported together, each naming its case.

use std::future::Future;
use std::sync::Arc;

use crate::backend::store::{NewUser, Registration, Store};
use crate::error::{BackendKind, Error};
use crate::ids::{Secret, UserId};
use crate::params::Network;
use crate::votebits::VoteBits;
use crate::{Address, RedeemScript};

mod challenges;
mod erasure;
mod history;
mod lowfee;
mod notify;
mod outbox;
mod sessions;
mod tokens;
mod users;
mod voterecords;
mod voting;

/// The outcome of one case: `Err` says what was wrong.
type CaseResult = Result<(), String>;

/// Fails the case unless `cond` holds.
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!("line {}: {}", line!(), format!($($msg)+)));
        }
    };
}

/// Fails the case unless both sides are equal.
macro_rules! check_eq {
    ($left:expr, $right:expr) => {{
        let (l, r) = (&$left, &$right);
        if l != r {
            return Err(format!(
                "line {}: {} != {}: {:?} != {:?}",
                line!(),
                stringify!($left),
                stringify!($right),
                l,
                r
            ));
        }
    }};
}

pub(crate) use {check, check_eq};

/// Turns a store error into a case failure naming the call.
trait Ctx<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T> Ctx<T> for crate::Result<T> {
    fn ctx(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: unexpected error: {e}"))
    }
}

/// Checks that `r` is a store error of `kind`.
fn expect_kind<T: std::fmt::Debug>(
    r: crate::Result<T>,
    kind: BackendKind,
    what: &str,
) -> CaseResult {
    match r {
        Err(Error::Store { kind: k, .. }) if k == kind => Ok(()),
        other => Err(format!(
            "{what}: expected a store {kind} error, got {other:?}"
        )),
    }
}

/// A new user with `email`, votebits 1 at vote version 7.
fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.to_owned(),
        password_hash: Secret::new(format!("$argon2id$v=19$hash-of-{email}")),
        email_token: Secret::new(format!("emailtoken{email}")),
        vote_bits: VoteBits(1),
        vote_bits_version: 7,
    }
}

/// A registration whose addresses and script are derived from `n` (distinct per user).
fn registration(n: u8) -> Registration {
    let mut script = vec![0x51, 0x21];
    script.extend([n; 33]);
    script.push(0x21);
    script.extend([n.wrapping_add(1); 33]);
    script.extend([0x52, 0xae]);
    Registration {
        multisig_address: Address::p2sh(Network::Testnet, [n; 20]),
        multisig_script: RedeemScript::from_bytes(script),
        pool_pubkey_addr: Address::p2pkh(Network::Testnet, [n.wrapping_add(1); 20]),
        user_pubkey_addr: Address::p2pkh(Network::Testnet, [n.wrapping_add(2); 20]),
        user_fee_addr: Address::p2pkh(Network::Testnet, [n.wrapping_add(3); 20]),
        height_registered: 1000 + u32::from(n),
    }
}

/// Creates a user and returns its id.
async fn add_user(store: &dyn Store, email: &str) -> Result<UserId, String> {
    store.create_user(&new_user(email)).await.ctx("create_user")
}

/// Runs every case of the store contract (see [`crate::backend::store`]) on fresh stores
/// made by `fresh`, and panics listing every failed case by name.
///
/// ```
/// # use std::sync::Arc;
/// # use hcpool_core::backend::Store;
/// # use hcpool_core::testing::store_conformance;
/// # use hcpool_core::backend::MemoryStore;
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(store_conformance(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> }));
/// ```
pub async fn store_conformance<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let mut failures = Vec::new();
    macro_rules! run {
        ($($case:path),+ $(,)?) => {$(
            let store = fresh().await;
            if let Err(e) = $case(store.as_ref()).await {
                failures.push(format!("{}: {e}", stringify!($case)));
            }
        )+};
    }
    run!(
        users::create_and_get,
        users::email_is_unique_case_insensitive,
        users::ids_increase,
        users::verify_email,
        users::api_tokens,
        users::change_password,
        users::register_address,
        users::counts,
        voting::set_vote_bits,
        voting::reset_vote_bits,
        voting::bulk_reads,
        tokens::email_change,
        tokens::email_change_conflict,
        tokens::password_reset,
        tokens::credential_changes_revoke_pending_changes_and_api_token,
        tokens::upgrading_a_hash_revokes_nothing,
        lowfee::add_and_list,
        lowfee::remove_and_mark,
        sessions::lifecycle,
        sessions::purge_expired,
        challenges::single_use,
        challenges::purged_when_expired,
        outbox::claim_lease_and_retry,
        outbox::email_token_rotates_while_unverified,
        history::record_once_per_height,
        history::prune_by_retention,
        notify::prefs_and_subscribers,
        notify::events_once_with_their_mail,
        notify::digest_once_a_day,
        notify::scan_claimed_once_per_height,
        erasure::delete_keeps_voting_data_until_finished,
        erasure::delete_unregistered_is_complete,
        voterecords::stored_once_per_ticket,
        voterecords::replaced_only_from_the_named_block,
        voterecords::deleted_with_the_account,
    );
    assert!(
        failures.is_empty(),
        "{} store conformance case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

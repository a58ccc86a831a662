//! Mocked backends: the pool service driven by `mockall` mocks (feature `test-utils` of
//! hcpool-core) through a wallet that fails at `importscript`, the last wallet step of a
//! registration. The user is still unregistered afterwards — the store is written only once
//! every wallet step has succeeded — and a healthy wallet then registers them.

use std::sync::{Arc, Mutex};

use anyhow::{ensure, Context, Result};
use hcpool_core::backend::MemoryStore;
use hcpool_core::backend::{
    BestBlock, MockWalletBackend, MultisigInfo, NewUser, SystemClock, UserStore, ValidatedAddress,
};
use hcpool_core::ids::{Hash32, Secret};
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{BackendKind, Error, Network, PoolKeys, RedeemScript, UserId, VoteBits};

use crate::testnet::{COLD_XPUB, USER1_P2SH, USER_PUBKEY_ADDRESS, VOTING_XPUB};

const NET: Network = Network::Testnet;
const BEST_HEIGHT: u32 = 1234;

/// The wallet calls a mock saw, in order.
type CallLog = Arc<Mutex<Vec<&'static str>>>;

/// Runs the example.
pub fn run() -> Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(run_async())
}

async fn run_async() -> Result<()> {
    println!("== mocked_backends: a wallet failure leaves nothing half done");
    let keys = Arc::new(PoolKeys::from_strings(VOTING_XPUB, COLD_XPUB, NET)?);
    let store = Arc::new(MemoryStore::new());
    let user = store
        .create_user(&NewUser {
            email: "alice@example.com".into(),
            password_hash: Secret::new("$argon2id$example".into()),
            email_token: Secret::new("token".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await?;
    println!("created user {user} in the in-memory store");

    // 1. importscript fails: the wallet is down after it computed the multisig.
    let log = CallLog::default();
    let pool = service(&keys, &store, wallet(&keys, &log, true))?;
    let err = match pool.register_address(user, USER_PUBKEY_ADDRESS).await {
        Ok(r) => anyhow::bail!("registration must fail, got {}", r.multisig_address),
        Err(e) => e,
    };
    println!("wallet calls: {}", calls(&log));
    println!("registration failed: {err}");
    ensure!(
        err.backend_kind() == Some(BackendKind::Unavailable),
        "expected an unavailable wallet, got {err}"
    );
    ensure!(
        calls(&log) == "validateaddress, createmultisig, getbestblock, importscript (fails)",
        "the failure must come at importscript"
    );
    let row = store.user(user).await?.context("the user exists")?;
    ensure!(row.registration.is_none(), "nothing half done");
    ensure!(
        matches!(
            pool.purchase_info(user).await,
            Err(Error::NoAddressSubmitted)
        ),
        "no purchase info before a registration"
    );
    println!("user {user} is still unregistered: no multisig stored, no purchase info");

    // 2. A healthy wallet: the same request now registers the user.
    let log = CallLog::default();
    let pool = service(&keys, &store, wallet(&keys, &log, false))?;
    let registration = pool.register_address(user, USER_PUBKEY_ADDRESS).await?;
    println!("wallet calls: {}", calls(&log));
    println!(
        "registered user {user}: multisig {} from height {}",
        registration.multisig_address, registration.height_registered
    );
    ensure!(
        registration.multisig_address.to_string() == USER1_P2SH,
        "P2SH"
    );
    ensure!(registration.height_registered == BEST_HEIGHT, "height");
    let info = pool.purchase_info(user).await?;
    println!(
        "purchase info: pay the pool fee to {}, vote through {}",
        info.pool_address, info.ticket_address
    );
    ensure!(
        info.ticket_address == registration.multisig_address,
        "ticket address"
    );
    ensure!(info.pool_address == keys.fee_address(user)?, "fee address");
    ensure!(
        matches!(
            pool.register_address(user, USER_PUBKEY_ADDRESS).await,
            Err(Error::AddressAlreadySubmitted)
        ),
        "a second registration is refused"
    );
    println!("mocked_backends: all checks passed");
    Ok(())
}

fn service(
    keys: &Arc<PoolKeys>,
    store: &Arc<MemoryStore>,
    wallet: MockWalletBackend,
) -> Result<PoolService> {
    Ok(PoolService::new(PoolParts {
        network: NET,
        keys: keys.clone(),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(7.5)?,
        store: store.clone(),
        wallets: Arc::new(wallet),
        nodes: Arc::new(VotingNodes::new(vec![])),
        clock: Arc::new(SystemClock),
    }))
}

/// A mock hcwallet that owns the pool's keys and computes multisigs as hcwallet does;
/// `fail_import` makes `importscript` fail as an unreachable wallet would. Calls that are not
/// expected here make the mock panic, so the example also shows which calls a registration
/// makes.
fn wallet(keys: &Arc<PoolKeys>, log: &CallLog, fail_import: bool) -> MockWalletBackend {
    let record = |log: &CallLog, call| {
        if let Ok(mut calls) = log.lock() {
            calls.push(call);
        }
    };
    let mut w = MockWalletBackend::new();
    w.expect_label().return_const("mock-wallet".to_string());
    let (k, l) = (keys.clone(), log.clone());
    w.expect_validate_address().times(1).returning(move |addr| {
        record(&l, "validateaddress");
        // The pool asks about the ticket address of user 1; report its pubkey address.
        let mine = k.ticket_address(UserId(1))? == *addr;
        Ok(ValidatedAddress {
            is_valid: true,
            is_mine: mine,
            pubkey_addr: Some(k.ticket_pubkey_address(UserId(1))?),
            ..Default::default()
        })
    });
    let l = log.clone();
    w.expect_create_multisig().times(1).returning(move |p, u| {
        record(&l, "createmultisig");
        let script = RedeemScript::one_of_two(p, u)?;
        Ok(MultisigInfo {
            address: script.p2sh_address(NET),
            redeem_script: script,
        })
    });
    let l = log.clone();
    w.expect_best_block().times(1).returning(move || {
        record(&l, "getbestblock");
        Ok(BestBlock {
            hash: Hash32::default(),
            height: BEST_HEIGHT,
        })
    });
    let l = log.clone();
    w.expect_import_script()
        .withf(|_, rescan_from| *rescan_from == BEST_HEIGHT)
        .times(1)
        .returning(move |_, _| {
            if fail_import {
                record(&l, "importscript (fails)");
                Err(Error::wallet(
                    "mock-wallet",
                    BackendKind::Unavailable,
                    "connection refused",
                ))
            } else {
                record(&l, "importscript");
                Ok(())
            }
        });
    w
}

fn calls(log: &CallLog) -> String {
    log.lock().map(|c| c.join(", ")).unwrap_or_default()
}

//! A minimal custom pool: the pool service built from an embedder's own parts.
//!
//! An embedder implements (or picks an implementation of) each backend trait:
//! - [`Store`](hcpool_core::backend::Store) — here [`store::MapStore`]: the example's own users role, the core's
//!   [`MemoryStore`](hcpool_core::backend::MemoryStore) for the other roles;
//! - [`WalletBackend`] — here hcpool-rpc's [`WalletManager`] over one [`JsonRpcWallet`] per
//!   voting wallet, talking JSON-RPC over TLS to simulated hcwallets ([`hcpool_simnet`]);
//! - [`Clock`](hcpool_core::backend::Clock) — [`SystemClock`];
//! - [`VotingNode`](hcpool_core::backend::VotingNode) — none here (no stakepoold);
//!   `hcpool_rpc::stakepoold::GrpcVotingNode` is the published client.
//!
//! The example registers a user's pubkey address, answers purchase info, and lets the user's
//! wallet buy a ticket into the multisig, which the pool's wallets then report as live.

pub mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use hcpool_core::backend::{
    NewUser, PoolWallet, SystemClock, TicketStatus, TokenStore, UserStore, WalletBackend,
};
use hcpool_core::ids::Secret;
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{Address, Network, PoolKeys, VoteBits};
use hcpool_rpc::{ClientConfig, JsonRpcWallet, ManagerConfig, PinnedCert, WalletManager};
use hcpool_simnet::{
    SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};

use crate::testnet::USER_PUBKEY_ADDRESS;
use store::MapStore;

const NET: Network = Network::Simnet;

/// Runs the example.
pub fn run() -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run_async())
}

async fn run_async() -> Result<()> {
    println!("== custom_pool: the pool service on the embedder's own store and a simulated wallet");
    let sim_cfg = SimConfig::default();
    let cluster = SimCluster::start(sim_cfg.clone()).await?;
    // One JSON-RPC client per voting wallet, behind a manager that keeps them in agreement.
    let mut clients = Vec::new();
    for endpoint in cluster.wallets() {
        let mut client = ClientConfig::new(
            endpoint.addr.to_string(),
            sim_cfg.user.clone(),
            Secret::new(sim_cfg.password.clone()),
            PinnedCert::File(endpoint.cert_path.clone()),
        );
        client.timeout = Some(Duration::from_secs(10));
        clients.push(Arc::new(JsonRpcWallet::connect(client).await?));
        println!(
            "connected to simulated hcwallet {} (TLS, pinned certificate)",
            endpoint.addr
        );
    }
    let manager = Arc::new(WalletManager::new(
        clients
            .iter()
            .map(|c| c.clone() as Arc<dyn WalletBackend>)
            .collect(),
        ManagerConfig::default(),
    ));
    let vote_version = manager.check_vote_version().await?;
    println!("wallets agree on vote version {vote_version}");

    let keys = Arc::new(PoolKeys::from_strings(
        DEFAULT_VOTING_XPUB,
        DEFAULT_COLD_XPUB,
        NET,
    )?);
    let store = Arc::new(MapStore::new());
    let pool = PoolService::new(PoolParts {
        network: NET,
        keys: keys.clone(),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(sim_cfg.pool_fees)?,
        store: store.clone(),
        wallets: manager.clone(),
        nodes: Arc::new(VotingNodes::new(vec![])),
        clock: Arc::new(SystemClock),
    });

    let user = store
        .create_user(&NewUser {
            email: "bob@example.com".into(),
            password_hash: Secret::new("$argon2id$example".into()),
            email_token: Secret::new("verify-me".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await?;
    ensure!(
        store.verify_email("verify-me").await? == Some(user),
        "verify"
    );
    println!("user {user} signed up and verified in the example's own store");

    // The user's key (the testnet sample key, as a simnet pubkey address).
    let user_key = user_key_on(NET)?;
    let registration = pool.register_address(user, &user_key.to_string()).await?;
    println!(
        "registered {user_key}: multisig {} at height {}",
        registration.multisig_address, registration.height_registered
    );
    ensure!(
        registration.user_fee_addr == keys.fee_address(user)?,
        "fee address"
    );
    for (i, client) in clients.iter().enumerate() {
        let scripts = client.list_scripts().await?;
        ensure!(
            scripts.contains(&registration.multisig_script),
            "wallet {i} imported the script"
        );
    }
    println!("every voting wallet now watches the script");
    // What a restarted pool does: import every registered script the store knows.
    let report = manager.sync(&store.multisig_scripts().await?).await?;
    println!(
        "start-up sync over the store's scripts: {} imported (all wallets had it)",
        report.scripts_imported.len()
    );
    ensure!(report.scripts_imported.is_empty(), "nothing left to import");

    let info = pool.purchase_info(user).await?;
    println!("purchase info for user {user}:");
    println!("  pool fee address  {}", info.pool_address);
    println!("  pool fees         {}%", info.pool_fees.percent());
    println!("  ticket address    {}", info.ticket_address);
    println!("  redeem script     {}", info.script);
    println!(
        "  votebits          {} (version {})",
        info.vote_bits.0, info.vote_bits_version
    );
    ensure!(
        info.ticket_address == registration.multisig_address,
        "ticket address"
    );
    ensure!(info.script == registration.multisig_script, "script");
    ensure!(
        info.pool_address == registration.user_fee_addr,
        "pool address"
    );
    let counts = store.user_counts().await?;
    ensure!((counts.all, counts.active) == (1, 1), "counts {counts:?}");

    // The user's wallet buys a ticket with that information; the pool's wallet sees it.
    let index = u32::try_from(user.0)?;
    let price = 200_000_000;
    let mut purchase = TicketPurchase::new(info.ticket_address.to_string(), price / 10, index);
    purchase.price_atoms = Some(price);
    let ticket = cluster.buy_ticket(&purchase)?;
    cluster.mine(1)?;
    let tickets = manager.stake_pool_user_info(&info.ticket_address).await?;
    println!(
        "ticket {ticket} bought into the multisig: {:?}",
        tickets.tickets
    );
    ensure!(
        tickets.tickets.len() == 1
            && tickets.tickets[0].ticket == ticket
            && tickets.tickets[0].status == TicketStatus::Live,
        "one live ticket"
    );
    ensure!(tickets.invalid.is_empty(), "the ticket pays the pool fee");
    cluster.shutdown();
    println!("custom_pool: all checks passed");
    Ok(())
}

fn user_key_on(network: Network) -> Result<Address> {
    let key: Address = USER_PUBKEY_ADDRESS.parse()?;
    let compressed = key
        .secp_pubkey_compressed()
        .context("a secp256k1 pubkey address")?;
    Ok(Address::secp_pubkey(network, compressed)?)
}

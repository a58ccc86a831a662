//! A gRPC client of stakepoold in Rust: hcpool-rpc's [`GrpcVotingNode`], the client the web
//! app uses, calling every RPC of `proto/stakepoold.proto` over TLS with the node's pinned
//! certificate — against the real daemon.
//!
//! So that the example needs no HC node, it runs the `stakepoold` library in process on
//! hcpool-simnet's simulated hcwallet + hcd: [`stakepoold::run::connect`] links it to the
//! simulated wallet and node, [`InProcess::start`] scans the tickets and answers the API over
//! TLS with a certificate generated on first start, as the binary does.
//!
//! The client side is what an embedder writes to talk to a stakepoold: a
//! [`GrpcVotingNodeConfig`] (host and the node's `rpc.cert`), [`GrpcVotingNode::connect`]
//! (which checks the API version as hcstakepool does), then the [`VotingNode`] methods.
//! Wrap several in [`VotingNodes`](hcpool_core::service::VotingNodes) to keep them all in
//! sync. The example ends with proof that the daemon used what the client sent: the
//! simulated chain mines the user's vote with the user's votebits.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use hcpool_core::backend::{TicketEntry, UserVotingConfig, VotingNode};
use hcpool_core::{
    Address, BackendKind, Hash32, PoolFeeRate, PoolKeys, RedeemScript, UserId, VoteBits,
};
use hcpool_rpc::stakepoold::{
    GrpcVotingNode, GrpcVotingNodeConfig, ServerTls, REQUIRED_API_VERSION,
};
use hcpool_simnet::{ChainParams, Role, SimCluster, SimConfig, TicketPurchase};
use stakepoold::{InProcess, ServeOptions};

/// A valid simnet secp256k1 pubkey address: the user's key in their 1-of-2 multisig.
const USER_PUBKEY: &str = "SkLUTvG262Uyeb4w2YRDwdF5zbYKAV5kKkZM5KMVuWNkCfj5nXWDd";

/// How long the example waits for the daemon to see a block's effects.
const WAIT: Duration = Duration::from_secs(20);

/// Runs the example.
pub fn run() -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run_async())
}

async fn run_async() -> Result<()> {
    println!("== stakepoold_client: the published gRPC client against stakepoold over TLS");
    let dir = tempfile::tempdir()?;
    let (cert, key) = (dir.path().join("rpc.cert"), dir.path().join("rpc.key"));

    // --- The server side: a stakepoold on a simulated hcwallet + hcd ---------------------
    // Tickets mature two blocks after they are mined; the first draw is on block 7.
    let cluster = SimCluster::start(SimConfig {
        chain: ChainParams {
            stake_validation_height: 8,
            ..ChainParams::fast()
        },
        ..SimConfig::default()
    })
    .await?;
    let sim = cluster.config().clone();
    // The pool's voting wallet runs without --enablevoting (stakepoold refuses it otherwise).
    cluster.with_wallet(0, |w| w.voting = false);
    let (deps, notifications) = stakepoold::run::connect(stakepoold::run::Links {
        wallet: cluster
            .client_config(Role::Wallet(0))
            .context("no wallet 0")?,
        node: cluster.client_config(Role::Node(0)).context("no hcd 0")?,
        cold_wallet_ext_pub: sim.cold_xpub.clone(),
        fee_addresses: sim.fee_addresses,
        pool_fees: PoolFeeRate::from_percent(sim.pool_fees)?,
        network: sim.network,
        store: None,
        allow_wallet_voting: false,
    })
    .await?;
    // User 1 registered: their multisig script is in the voting wallet, as the web app
    // leaves it after an address registration.
    let keys = PoolKeys::from_strings(&sim.voting_xpub, &sim.cold_xpub, sim.network)?;
    let user_key: Address = USER_PUBKEY.parse()?;
    let script = RedeemScript::one_of_two(&keys.ticket_pubkey_address(UserId(1))?, &user_key)?;
    let msa = script.p2sh_address(sim.network).to_string();
    deps.wallet.import_script(&script, 0).await?;
    // Users' bits count only when their vote version is the voting wallet's.
    let vote_version = deps.wallet.wallet_info().await?.vote_version;

    let daemon = InProcess::start(deps, notifications, ServeOptions::loopback(dir.path())).await?;
    ensure!(
        cert.exists() && key.exists(),
        "the certificate is generated on first start"
    );
    let addr = daemon.addr().context("gRPC address")?;
    println!(
        "stakepoold gRPC on {addr} (TLS, certificate {})",
        cert.display()
    );

    // --- The client side: what an embedder writes ----------------------------------------
    let mut cfg = GrpcVotingNodeConfig::new(addr.to_string(), &cert);
    cfg.timeout = Duration::from_secs(5);
    let node = GrpcVotingNode::connect(&cfg).await?;
    let version = node.version().await?;
    println!(
        "Version: {} (compatible with the required {:?})",
        version.version, REQUIRED_API_VERSION
    );
    ensure!(
        (version.major, version.minor, version.patch) == (4, 0, 0),
        "version {version:?}"
    );
    node.ping().await?;
    println!("Ping: ok");

    // The pool's users and their votebits, as the web app pushes them after a change.
    node.set_user_voting_prefs(vec![UserVotingConfig {
        user_id: UserId(1),
        multisig_address: msa.clone(),
        vote_bits: VoteBits(5),
        vote_bits_version: vote_version,
    }])
    .await?;
    println!("SetUserVotingPrefs: user 1 ({msa}) votes with votebits 5");

    // The user buys two tickets: one pays the pool fee, one pays almost nothing.
    let price = sim.chain.stake_difficulty;
    let paid = cluster.buy_ticket(&TicketPurchase::new(msa.clone(), price / 10, 1))?;
    let low_fee = cluster.buy_ticket(&TicketPurchase::new(msa.clone(), 1, 1))?;
    cluster.mine(3)?; // mined in 1, mature (newtickets) in 3
    let deadline = Instant::now() + WAIT;
    let (live, ignored) = loop {
        let live = node.live_tickets().await?;
        let ignored = node.ignored_low_fee_tickets().await?;
        if hashes(&live) == [paid] && hashes(&ignored) == [low_fee] {
            break (live, ignored);
        }
        ensure!(
            Instant::now() < deadline,
            "tickets not seen: live {live:?}, ignored {ignored:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let added = node.added_low_fee_tickets().await?;
    print_tickets("GetLiveTickets", &live);
    print_tickets("GetIgnoredLowFeeTickets", &ignored);
    print_tickets("GetAddedLowFeeTickets", &added);
    ensure!(added.is_empty(), "nothing added yet");

    // The admin adds the low-fee ticket for voting: it moves from ignored to live.
    node.set_added_low_fee_tickets(ignored.clone()).await?;
    let added = node.added_low_fee_tickets().await?;
    let live = node.live_tickets().await?;
    let ignored_now = node.ignored_low_fee_tickets().await?;
    println!(
        "SetAddedLowFeeTickets: added {}, live {}, ignored {}",
        added.len(),
        live.len(),
        ignored_now.len()
    );
    ensure!(added == ignored, "the added set is what was sent");
    ensure!(
        live.len() == 2 && ignored_now.is_empty(),
        "low-fee ticket now live"
    );

    // Bad input is refused before anything is sent: a user id the wire cannot carry.
    let err = node
        .set_user_voting_prefs(vec![UserVotingConfig {
            user_id: UserId(u64::MAX),
            multisig_address: msa.clone(),
            vote_bits: VoteBits(1),
            vote_bits_version: 1,
        }])
        .await
        .err()
        .ok_or_else(|| anyhow!("a user id above i64::MAX must be refused"))?;
    println!("a user id above i64::MAX: {err}");
    ensure!(err.backend_kind() == Some(BackendKind::Rejected), "{err}");

    // Pinning: a client holding another certificate refuses this server.
    let other = dir.path().join("other.cert");
    ServerTls::load_or_generate(&other, &dir.path().join("other.key"))?;
    let mut wrong = GrpcVotingNodeConfig::new(addr.to_string(), &other);
    wrong.timeout = Duration::from_secs(5);
    match GrpcVotingNode::connect(&wrong).await {
        Ok(_) => bail!("a client pinning another certificate must not connect"),
        Err(e) => {
            println!("pinned to another certificate: {e}");
            ensure!(
                matches!(e, hcpool_rpc::Error::VotingNodeConnect(_)),
                "expected a connection error, got {e:?}"
            );
        }
    }

    // The proof: both tickets are drawn, the daemon votes them with what the client set.
    let deadline = Instant::now() + WAIT;
    let mined = loop {
        cluster.mine(1)?;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let votes = [paid, low_fee].map(|t| cluster.mined_vote(&t).map(|(_, bits, _)| bits));
        if votes.iter().all(Option::is_some) {
            break votes;
        }
        ensure!(Instant::now() < deadline, "not voted in time: {votes:?}");
    };
    println!(
        "mined votes: {} with votebits {:?}, {} (added low-fee) with votebits {:?}",
        short(&paid),
        mined[0],
        short(&low_fee),
        mined[1]
    );
    ensure!(
        mined == [Some(5), Some(5)],
        "the user's votebits: {mined:?}"
    );

    daemon.shutdown(Duration::from_secs(15)).await;
    println!("stakepoold_client: all checks passed");
    Ok(())
}

fn hashes(v: &[TicketEntry]) -> Vec<Hash32> {
    v.iter().map(|t| t.ticket_hash).collect()
}

fn short(h: &Hash32) -> String {
    let s = h.to_string();
    format!("{}…", &s[..12.min(s.len())])
}

fn print_tickets(rpc: &str, v: &[TicketEntry]) {
    println!("{rpc}: {} ticket(s)", v.len());
    for t in v {
        println!("  {} {}", t.ticket_hash, t.ticket_address);
    }
}

//! Time from a `winningtickets` notification to the last vote handed to hcd, with 5 winners
//! among 40,000 live pool tickets owned by 10,000 users.
//!
//! On in-process fakes of hcwallet and hcd (no sockets), so the figure is the daemon's own
//! cost: the state lookup, the five concurrent generatevote → sendrawtransaction chains and
//! the bookkeeping. A second run adds a simulated round trip to every wallet and node call to
//! show that the five votes go out concurrently (total ≈ one vote, not five).
//!
//! `cargo bench -p stakepoold --bench vote_latency` (optimized), or
//! `cargo test -p stakepoold --bench vote_latency` (test profile, quicker to build); add
//! `-- --quick` for fewer rounds. Measured with `cargo bench` (release) on the idle 2-core
//! dev machine: with no call latency p50 3.7 µs, p99 7.1 µs, mean 3.9 µs over 1000 rounds;
//! with 2 ms per wallet/node call p50 6.3 ms, p99 6.5 ms (one vote's two calls plus
//! scheduling, not five votes' ten: the votes go out concurrently); the start-up scan of the
//! 40,000 tickets 102–112 ms.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use async_trait::async_trait;
use hcpool_core::backend::BlockHeights;
use hcpool_core::backend::{
    BestBlock, ChainNode, ChainNotification, MultisigInfo, PoolWallet, StakeInfo,
    StakePoolUserInfo, StakeReporting, UserVotingConfig, ValidatedAddress, VotingWallet,
    WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress};
use hcpool_core::tx::OutPoint;
use hcpool_core::{
    Address, Amount, BackendKind, BlockHash, ExtendedPubKey, FeeAddressSet, Hash32, Network,
    PoolFeeRate, RedeemScript, TicketHash, TxHash, UserId, VoteBits,
};
use stakepoold::daemon::{DaemonDeps, DaemonOptions};
use stakepoold::{Daemon, VoteOutcome};

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
const NET: Network = Network::Testnet;
const USERS: u32 = 10_000;
const TICKETS: u32 = 40_000;
const WINNERS: usize = 5;

fn unsupported<T>() -> hcpool_core::Result<T> {
    Err(hcpool_core::Error::Wallet {
        wallet: "bench".into(),
        kind: BackendKind::Other,
        source: "not used by the benchmark".to_owned().into(),
    })
}

struct Wallet {
    txs: HashMap<TicketHash, WalletTransaction>,
    rtt: Duration,
}

#[async_trait]
impl WalletState for Wallet {
    fn label(&self) -> String {
        "bench-wallet".into()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        Ok(WalletInfo {
            daemon_connected: true,
            unlocked: true,
            tx_fee: 0.001,
            ticket_fee: 0.001,
            ticket_purchasing: false,
            vote_bits: VoteBits(1),
            vote_bits_extended: vec![5, 0, 0, 0],
            vote_version: 5,
            voting: true,
        })
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        Ok(tip())
    }
}

#[async_trait]
impl PoolWallet for Wallet {
    async fn validate_address(&self, _: &Address) -> hcpool_core::Result<ValidatedAddress> {
        unsupported()
    }
    async fn create_multisig(&self, _: &Address, _: &Address) -> hcpool_core::Result<MultisigInfo> {
        unsupported()
    }
    async fn import_script(&self, _: &RedeemScript, _: u32) -> hcpool_core::Result<()> {
        unsupported()
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        unsupported()
    }
    async fn account_sync_address_index(&self, _: &str, _: u32, _: u32) -> hcpool_core::Result<()> {
        unsupported()
    }
}

#[async_trait]
impl StakeReporting for Wallet {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        unsupported()
    }
    async fn stake_pool_user_info(&self, _: &Address) -> hcpool_core::Result<StakePoolUserInfo> {
        unsupported()
    }
    async fn tickets(&self, _: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        Ok(self.txs.keys().copied().collect())
    }
    async fn raw_transaction(&self, _: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        unsupported()
    }
    async fn transaction(&self, hash: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        self.txs
            .get(hash)
            .cloned()
            .ok_or(hcpool_core::Error::Wallet {
                wallet: "bench".into(),
                kind: BackendKind::NotFound,
                source: "-5: No information for transaction".to_owned().into(),
            })
    }
}

#[async_trait]
impl VotingWallet for Wallet {
    async fn add_ticket(&self, _: &[u8]) -> hcpool_core::Result<()> {
        unsupported()
    }
    async fn generate_vote(
        &self,
        _: &BlockHash,
        _: u32,
        ticket: &TicketHash,
        bits: VoteBits,
        _: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        if !self.rtt.is_zero() {
            tokio::time::sleep(self.rtt).await;
        }
        let mut v = ticket.as_bytes().to_vec();
        v.extend_from_slice(&bits.0.to_le_bytes());
        Ok(v)
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        Ok(())
    }
}

struct Node {
    rtt: Duration,
}

fn tip() -> BestBlock {
    BestBlock {
        hash: Hash32::from_bytes([0xbb; 32]),
        height: 1000,
    }
}

#[async_trait]
impl ChainNode for Node {
    fn label(&self) -> String {
        "bench-node".into()
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        Ok(tip())
    }
    async fn send_raw_transaction(&self, tx: &[u8]) -> hcpool_core::Result<TxHash> {
        if !self.rtt.is_zero() {
            tokio::time::sleep(self.rtt).await;
        }
        let mut h = [0u8; 32];
        for (i, b) in tx.iter().take(32).enumerate() {
            h[i] = !b;
        }
        Ok(Hash32::from_bytes(h))
    }
}

#[async_trait]
impl BlockHeights for Node {
    async fn block_height(&self, _: &BlockHash) -> hcpool_core::Result<u32> {
        Ok(900)
    }
}

fn msa(user: u32) -> String {
    // Any distinct strings do: the daemon matches addresses as text.
    format!("Tcuser{user:05}")
}

/// 40,000 tickets paying the pool fee, 4 per user.
fn tickets(fee_hash: [u8; 20]) -> Result<HashMap<TicketHash, WalletTransaction>> {
    let mut out = HashMap::with_capacity(TICKETS as usize);
    for i in 0..TICKETS {
        let mut seed = [0u8; 32];
        seed[..4].copy_from_slice(&i.to_le_bytes());
        let mut script = [0u8; 20];
        script[..4].copy_from_slice(&i.to_le_bytes());
        let spec = PoolTicketSpec {
            voting_script_hash: script,
            price: Amount(200_000_000),
            pool_input: OutPoint {
                hash: Hash32::from_bytes(seed),
                index: 0,
                tree: 0,
            },
            pool_fee_hash: fee_hash,
            pool_amount: Amount(50_000_000),
            user_input: OutPoint {
                hash: Hash32::from_bytes(seed),
                index: 1,
                tree: 0,
            },
            user_reward: StakeAddress::Secp256k1(script),
            user_amount: Amount(150_010_000),
            expiry: 0,
        };
        let bytes = build_pool_ticket(&spec).encode();
        let hash = hcpool_core::Ticket::decode(&bytes)?.hash();
        out.insert(
            hash,
            WalletTransaction {
                txid: hash,
                hex: bytes,
                block_hash: Some(Hash32::from_bytes([0x11; 32])),
                detail_addresses: vec![msa(i % USERS)],
            },
        );
    }
    Ok(out)
}

async fn start(rtt: Duration) -> Result<(Arc<Daemon>, Vec<TicketHash>)> {
    let cold = ExtendedPubKey::from_str(COLD)?;
    let fee_hash = cold.derive_child(0)?.derive_child(0)?.pubkey_hash();
    let txs = tickets(fee_hash)?;
    let mut all: Vec<TicketHash> = txs.keys().copied().collect();
    all.sort();
    let node = Arc::new(Node { rtt });
    let deps = DaemonDeps {
        wallet: Arc::new(Wallet { txs, rtt }),
        node: node.clone(),
        heights: node,
        store: None,
        fee_addresses: Arc::new(FeeAddressSet::derive(&cold, NET, 10)?),
        pool_fees: PoolFeeRate::from_percent(5.0)?,
        network: NET,
        wallet_link: None,
        node_link: None,
    };
    // The start-up scan needs the users to map tickets to owners: give them through a
    // daemon started empty, then scan again, as a reconnect would.
    let daemon = Daemon::start(deps, DaemonOptions::default()).await?;
    daemon.set_user_voting_prefs(
        (0..USERS)
            .map(|u| UserVotingConfig {
                user_id: UserId(u64::from(u) + 1),
                multisig_address: msa(u),
                vote_bits: VoteBits(5),
                vote_bits_version: 5,
            })
            .collect(),
    );
    let t = Instant::now();
    daemon.scan().await?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "start-up scan of {} tickets: {:.0} ms",
            daemon.live_tickets().len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    anyhow::ensure!(daemon.live_tickets().len() == TICKETS as usize);
    Ok((daemon, all))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(rtt: Duration, rounds: usize) -> Result<()> {
    let (daemon, all) = start(rtt).await?;
    let mut totals = Vec::with_capacity(rounds);
    for r in 0..rounds {
        // Five winners spread over the pool; a new block each round.
        let winners: Vec<TicketHash> = (0..WINNERS)
            .map(|k| all[(r * 7919 + k * 8009) % all.len()])
            .collect();
        let n = ChainNotification::WinningTickets {
            block_hash: Hash32::from_bytes([(r % 251) as u8; 32]),
            height: 1001 + r as u32,
            tickets: winners,
        };
        let received = Instant::now();
        let results = daemon.handle(n, received).await;
        let last = results.iter().map(|v| v.latency).max().unwrap_or_default();
        anyhow::ensure!(
            results.len() == WINNERS
                && results
                    .iter()
                    .all(|v| matches!(v.outcome, VoteOutcome::Cast(_))),
            "round {r}: not every winner was voted: {results:?}"
        );
        totals.push(last);
    }
    totals.sort();
    let mean = totals.iter().sum::<Duration>() / rounds as u32;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "winningtickets -> last vote handed to hcd ({WINNERS} winners, {TICKETS} live, {USERS} users, \
             fakes, {} ms per wallet/node call, {rounds} rounds): mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            rtt.as_millis(),
            mean.as_secs_f64() * 1e6,
            percentile(&totals, 0.5).as_secs_f64() * 1e6,
            percentile(&totals, 0.99).as_secs_f64() * 1e6,
            totals.last().copied().unwrap_or_default().as_secs_f64() * 1e6,
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 50 } else { 1000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        measure(Duration::ZERO, rounds).await?;
        measure(Duration::from_millis(2), rounds / 10).await
    })
}

//! Fakes of the wallet and node for the daemon tests, and pool tickets that pay (or do not
//! pay) the pool fee.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hcpool_core::backend::BlockHeights;
use hcpool_core::backend::{
    BestBlock, ChainNode, MultisigInfo, PoolWallet, StakeInfo, StakePoolUserInfo, StakeReporting,
    UserVotingConfig, ValidatedAddress, VotingWallet, WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress};
use hcpool_core::tx::OutPoint;
use hcpool_core::{
    Address, Amount, BackendKind, BlockHash, Error, ExtendedPubKey, FeeAddressSet, Hash32, Network,
    RedeemScript, Result, Ticket, TicketHash, TxHash, UserId, VoteBits,
};
use stakepoold::daemon::{DaemonDeps, DaemonOptions};

pub const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
pub const NET: Network = Network::Testnet;
pub const WALLET_BITS: VoteBits = VoteBits(1);
pub const VOTE_VERSION: u32 = 5;

fn err(kind: BackendKind, msg: &str) -> Error {
    Error::Wallet {
        wallet: "fake".into(),
        kind,
        source: msg.to_owned().into(),
    }
}

/// One `generatevote` call: block, height, ticket, bits, extended bits.
pub type VoteCall = (BlockHash, u32, TicketHash, VoteBits, Vec<u8>);

#[derive(Default)]
pub struct FakeWallet {
    pub txs: Mutex<HashMap<TicketHash, WalletTransaction>>,
    pub live: Mutex<Vec<TicketHash>>,
    pub votes: Mutex<Vec<VoteCall>>,
    pub fail_votes: AtomicU32,
    pub revoke_calls: AtomicU32,
    /// While set, `revoketickets` fails with this message (as hcd's `-1` rejections).
    pub revoke_error: Mutex<Option<String>>,
}

impl FakeWallet {
    /// Adds a ticket the wallet knows; `live` = listed by `gettickets`.
    pub fn add(&self, tx: WalletTransaction, live: bool) -> TicketHash {
        let h = tx.txid;
        if live {
            self.live.lock().unwrap().push(h);
        }
        self.txs.lock().unwrap().insert(h, tx);
        h
    }

    pub fn voted(&self) -> Vec<(TicketHash, VoteBits)> {
        self.votes
            .lock()
            .unwrap()
            .iter()
            .map(|v| (v.2, v.3))
            .collect()
    }
}

#[async_trait]
impl WalletState for FakeWallet {
    fn label(&self) -> String {
        "fakewallet".into()
    }
    async fn wallet_info(&self) -> Result<WalletInfo> {
        Ok(WalletInfo {
            daemon_connected: true,
            unlocked: true,
            tx_fee: 0.001,
            ticket_fee: 0.001,
            ticket_purchasing: false,
            vote_bits: WALLET_BITS,
            vote_bits_extended: vec![5, 0, 0, 0],
            vote_version: VOTE_VERSION,
            voting: true,
        })
    }
    async fn best_block(&self) -> Result<BestBlock> {
        Ok(best())
    }
}

#[async_trait]
impl PoolWallet for FakeWallet {
    async fn validate_address(&self, _: &Address) -> Result<ValidatedAddress> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn create_multisig(&self, _: &Address, _: &Address) -> Result<MultisigInfo> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn import_script(&self, _: &RedeemScript, _: u32) -> Result<()> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn list_scripts(&self) -> Result<Vec<RedeemScript>> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn account_sync_address_index(&self, _: &str, _: u32, _: u32) -> Result<()> {
        Err(err(BackendKind::Other, "not faked"))
    }
}

#[async_trait]
impl StakeReporting for FakeWallet {
    async fn stake_info(&self) -> Result<StakeInfo> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn stake_pool_user_info(&self, _: &Address) -> Result<StakePoolUserInfo> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn tickets(&self, _: bool) -> Result<Vec<TicketHash>> {
        Ok(self.live.lock().unwrap().clone())
    }
    async fn raw_transaction(&self, _: &TxHash) -> Result<Vec<u8>> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn transaction(&self, hash: &TxHash) -> Result<WalletTransaction> {
        self.txs
            .lock()
            .unwrap()
            .get(hash)
            .cloned()
            .ok_or_else(|| err(BackendKind::NotFound, "-5: No information for transaction"))
    }
}

#[async_trait]
impl VotingWallet for FakeWallet {
    async fn add_ticket(&self, _: &[u8]) -> Result<()> {
        Err(err(BackendKind::Other, "not faked"))
    }
    async fn generate_vote(
        &self,
        block_hash: &BlockHash,
        height: u32,
        ticket: &TicketHash,
        vote_bits: VoteBits,
        ext: &[u8],
    ) -> Result<Vec<u8>> {
        if self
            .fail_votes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(err(BackendKind::Unavailable, "wallet busy"));
        }
        self.votes
            .lock()
            .unwrap()
            .push((*block_hash, height, *ticket, vote_bits, ext.to_vec()));
        let mut v = ticket.as_bytes().to_vec();
        v.extend_from_slice(&vote_bits.0.to_le_bytes());
        Ok(v)
    }
    async fn revoke_tickets(&self) -> Result<()> {
        self.revoke_calls.fetch_add(1, Ordering::SeqCst);
        match self.revoke_error.lock().unwrap().clone() {
            Some(msg) => Err(err(BackendKind::Rejected, &msg)),
            None => Ok(()),
        }
    }
}

#[derive(Default)]
pub struct FakeNode {
    pub sent: Mutex<Vec<Vec<u8>>>,
    pub duplicate: AtomicBool,
    /// hcd's missed-ticket set (missed, not yet revoked) for `existsmissedtickets`; `None`
    /// = the method is not supported (the trait's default).
    pub missed: Mutex<Option<HashSet<TicketHash>>>,
    pub missed_checks: AtomicU32,
}

impl FakeNode {
    /// Sets hcd's missed-ticket set.
    pub fn set_missed(&self, tickets: &[TicketHash]) {
        *self.missed.lock().unwrap() = Some(tickets.iter().copied().collect());
    }
}

pub fn best() -> BestBlock {
    BestBlock {
        hash: Hash32::from_bytes([0xbb; 32]),
        height: 1000,
    }
}

#[async_trait]
impl ChainNode for FakeNode {
    fn label(&self) -> String {
        "fakenode".into()
    }
    async fn best_block(&self) -> Result<BestBlock> {
        Ok(best())
    }
    async fn send_raw_transaction(&self, tx: &[u8]) -> Result<TxHash> {
        if self.duplicate.load(Ordering::SeqCst) {
            return Err(err(
                BackendKind::Rejected,
                "-32603: already have transaction 00ab",
            ));
        }
        self.sent.lock().unwrap().push(tx.to_vec());
        let mut h = [0u8; 32];
        for (i, b) in tx.iter().take(32).enumerate() {
            h[i] = b ^ 0xff;
        }
        Ok(Hash32::from_bytes(h))
    }
    async fn exists_missed_tickets(&self, tickets: &[TicketHash]) -> Result<Vec<bool>> {
        self.missed_checks.fetch_add(1, Ordering::SeqCst);
        match &*self.missed.lock().unwrap() {
            Some(m) => Ok(tickets.iter().map(|t| m.contains(t)).collect()),
            None => Err(err(BackendKind::Other, "-32601: Method not found")),
        }
    }
}

#[async_trait]
impl BlockHeights for FakeNode {
    async fn block_height(&self, _: &BlockHash) -> Result<u32> {
        Ok(900)
    }
}

/// The first pool fee address's hash.
pub fn fee_hash() -> [u8; 20] {
    let x = ExtendedPubKey::from_str(COLD).unwrap();
    x.derive_child(0)
        .unwrap()
        .derive_child(0)
        .unwrap()
        .pubkey_hash()
}

/// A pool ticket for `msa` paying `pool_atoms` to the pool; `seed` makes it unique.
pub fn ticket_tx(msa: &str, pool_atoms: i64, seed: u8) -> WalletTransaction {
    let spec = PoolTicketSpec {
        voting_script_hash: [seed; 20],
        price: Amount(200_000_000),
        pool_input: OutPoint {
            hash: Hash32::from_bytes([seed; 32]),
            index: 0,
            tree: 0,
        },
        pool_fee_hash: fee_hash(),
        pool_amount: Amount(pool_atoms),
        user_input: OutPoint {
            hash: Hash32::from_bytes([seed; 32]),
            index: 1,
            tree: 0,
        },
        user_reward: StakeAddress::Secp256k1([seed; 20]),
        user_amount: Amount(200_000_000 - pool_atoms + 10_000),
        expiry: 0,
    };
    let bytes = build_pool_ticket(&spec).encode();
    let ticket = Ticket::decode(&bytes).unwrap();
    WalletTransaction {
        txid: ticket.hash(),
        hex: bytes,
        block_hash: Some(Hash32::from_bytes([0x11; 32])),
        detail_addresses: vec!["TsOther".into(), msa.to_owned()],
    }
}

pub const PAID: i64 = 50_000_000;
pub const LOW: i64 = 1;

pub fn user(id: u64, msa: &str, bits: u16, version: u32) -> UserVotingConfig {
    UserVotingConfig {
        user_id: UserId(id),
        multisig_address: msa.to_owned(),
        vote_bits: VoteBits(bits),
        vote_bits_version: version,
    }
}

pub fn deps(
    wallet: Arc<FakeWallet>,
    node: Arc<FakeNode>,
    store: Option<Arc<dyn hcpool_core::backend::Store>>,
) -> DaemonDeps {
    let cold = ExtendedPubKey::from_str(COLD).unwrap();
    DaemonDeps {
        wallet,
        node: node.clone(),
        heights: node,
        store,
        fee_addresses: Arc::new(FeeAddressSet::derive(&cold, NET, 10).unwrap()),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(5.0).unwrap(),
        network: NET,
        wallet_link: None,
        node_link: None,
    }
}

pub fn fast_opts() -> DaemonOptions {
    DaemonOptions {
        retry_delay: std::time::Duration::from_millis(10),
        ..DaemonOptions::default()
    }
}

//! Signed vote records: the pool's statement "I cast this vote for your ticket", which a
//! user checks against the chain (`hcpoolctl verify-votes`; docs/adr/0009-vote-records.md).
//!
//! A [`VoteRecord`] names the ticket, the vote transaction that spent it, the block that
//! mined the vote, the votebits and vote version the vote carries (read from the vote's
//! own votebits output, so a vote cast by any voting node is described as it is on the
//! chain) and the votebits the user asked for when the record was made, so a difference is
//! visible.
//!
//! The signature is ECDSA over secp256k1 (RFC 6979 nonces, low-S, 64-byte compact form) of
//! SHA-256 of [`VoteRecord::canonical_message`]: a fixed text layout with a domain prefix
//! ([`DOMAIN`]), one `name:value` line per field in a fixed order, hashes in display order
//! (lower-case hex), numbers in decimal without leading zeros. The same record always gives
//! the same message and (the nonce being deterministic) the same signature.
//!
//! What the chain must show for a record to hold is [`check_vote_tx`] (pure) and
//! [`verify_record`] (over a [`VoteChain`], which hcpool-rpc implements on hcd).
//!
//! The pool makes records with [`stored_vote_records`]: each vote is read from the wallets
//! once and stored ([`VoteRecordStore`]), and records are signed when served (the signature
//! being deterministic, every instance serves the same bytes). A stored record keeps the
//! `requested_votebits` of the moment it was first stored.

use std::collections::HashMap;

use async_trait::async_trait;
use bitcoin::hashes::{sha256, Hash as _};
use bitcoin::secp256k1::{ecdsa, Message, PublicKey, Secp256k1, SecretKey};

use crate::backend::{
    StakePoolUserInfo, StakeReporting, StoredVoteRecord, TicketStatus, UserTicket, VoteRecordStore,
};
use crate::ids::{BlockHash, Hash32, TicketHash, TxHash, UserId};
use crate::params::Network;
use crate::stake::Vote;
use crate::tx::Transaction;
use crate::votebits::VoteBits;

/// The first line of every signed message: the scheme and its version.
pub const DOMAIN: &str = "hcpool vote record v1";

/// One vote the pool cast for a user's ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VoteRecord {
    /// The network.
    pub network: Network,
    /// The ticket that voted.
    pub ticket: TicketHash,
    /// The vote (SSGen) transaction that spent it.
    pub vote_tx: TxHash,
    /// The block that mined the vote.
    pub block_hash: BlockHash,
    /// Its height.
    pub block_height: u32,
    /// The votebits the vote carries.
    pub votebits: u16,
    /// The vote version the vote carries (extended votebits, LE32).
    pub vote_version: u32,
    /// The votebits the user had chosen when the record was first made and stored (see
    /// [`stored_vote_records`]): normally the first request after the vote, so close to
    /// the vote; a later change of the user's choice does not change it.
    pub requested_votebits: u16,
}

/// The network's name in records (`mainnet`, `testnet`, `simnet`).
fn net_tag(n: Network) -> &'static str {
    match n {
        Network::Mainnet => "mainnet",
        Network::Testnet => "testnet",
        Network::Simnet => "simnet",
    }
}

impl VoteRecord {
    /// The exact bytes that are signed (UTF-8, every line ends with `\n`):
    ///
    /// ```text
    /// hcpool vote record v1
    /// network:<mainnet|testnet|simnet>
    /// ticket:<64 hex, display order>
    /// vote_tx:<64 hex, display order>
    /// block_hash:<64 hex, display order>
    /// block_height:<decimal>
    /// votebits:<decimal>
    /// vote_version:<decimal>
    /// requested_votebits:<decimal>
    /// ```
    pub fn canonical_message(&self) -> Vec<u8> {
        format!(
            "{DOMAIN}\nnetwork:{}\nticket:{}\nvote_tx:{}\nblock_hash:{}\nblock_height:{}\n\
             votebits:{}\nvote_version:{}\nrequested_votebits:{}\n",
            net_tag(self.network),
            self.ticket,
            self.vote_tx,
            self.block_hash,
            self.block_height,
            self.votebits,
            self.vote_version,
            self.requested_votebits,
        )
        .into_bytes()
    }

    fn digest(&self) -> Message {
        let h = sha256::Hash::hash(&self.canonical_message());
        Message::from_digest(h.to_byte_array())
    }

    /// Signs the record with `key`.
    pub fn sign(self, key: &VoteRecordKey) -> SignedVoteRecord {
        let sig = Secp256k1::signing_only().sign_ecdsa(&self.digest(), &key.secret);
        SignedVoteRecord {
            record: self,
            signature: hex::encode(sig.serialize_compact()),
        }
    }
}

/// A record and its signature (`signature`: 128 hex digits, the compact `r ‖ s`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SignedVoteRecord {
    /// The record.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub record: VoteRecord,
    /// Compact ECDSA signature, hex.
    pub signature: String,
}

impl SignedVoteRecord {
    /// Whether the signature is `pubkey`'s over this record.
    pub fn signature_valid(&self, pubkey: &VoteRecordPubKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else {
            return false;
        };
        let Ok(sig) = ecdsa::Signature::from_compact(&bytes) else {
            return false;
        };
        Secp256k1::verification_only()
            .verify_ecdsa(&self.record.digest(), &sig, &pubkey.0)
            .is_ok()
    }
}

/// The pool's signing key (`voterecordkey`). Its `Debug` shows the public key only.
#[derive(Clone)]
pub struct VoteRecordKey {
    secret: SecretKey,
}

impl std::fmt::Debug for VoteRecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VoteRecordKey({})", self.public())
    }
}

impl VoteRecordKey {
    /// From 32 secret bytes (random ones make a new key).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when the bytes are not a valid secp256k1 scalar
    /// (zero or not below the group order: draw again).
    pub fn from_bytes(bytes: &[u8; 32]) -> crate::Result<Self> {
        SecretKey::from_slice(bytes)
            .map(|secret| VoteRecordKey { secret })
            .map_err(|_| crate::Error::InvalidInput("not a valid secp256k1 secret key".into()))
    }

    /// From a key file's text: 64 hex digits (surrounding white space ignored).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for anything else (the message never echoes the key).
    pub fn from_file_text(text: &str) -> crate::Result<Self> {
        let mut b = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut b).map_err(|_| {
            crate::Error::InvalidInput("a vote record key file holds 64 hex digits".into())
        })?;
        Self::from_bytes(&b)
    }

    /// The key file's text (64 hex digits and a newline).
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex::encode(self.secret.secret_bytes()))
    }

    /// The public key users pin.
    pub fn public(&self) -> VoteRecordPubKey {
        VoteRecordPubKey(self.secret.public_key(&Secp256k1::signing_only()))
    }
}

/// The pool's public key: 33-byte compressed secp256k1, shown as 66 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteRecordPubKey(PublicKey);

impl std::fmt::Display for VoteRecordPubKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0.serialize()))
    }
}

impl std::str::FromStr for VoteRecordPubKey {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = hex::decode(s.trim())
            .map_err(|_| crate::Error::InvalidInput("a public key is 66 hex digits".into()))?;
        PublicKey::from_slice(&b)
            .map(VoteRecordPubKey)
            .map_err(|_| crate::Error::InvalidInput("not a secp256k1 public key".into()))
    }
}

/// Why a record does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordFailure {
    /// The signature is not the pinned key's over this record.
    #[error("the signature is not the pool key's over this record")]
    BadSignature,
    /// The record is for another network than the node's.
    #[error("the record is for {record}, the node runs {node}")]
    WrongNetwork {
        /// The record's network.
        record: String,
        /// The node's.
        node: String,
    },
    /// The main chain has no block at the record's height, or another one.
    #[error("block {block} is not the main chain's block at height {height}")]
    NotInMainChain {
        /// The record's block.
        block: BlockHash,
        /// Its height.
        height: u32,
    },
    /// The node does not know the vote transaction.
    #[error("the node does not know transaction {0} (hcd needs --txindex)")]
    TxNotFound(TxHash),
    /// The transaction is in another block than the record says (or in none).
    #[error("the vote is mined in {found}, not in {record}")]
    WrongBlock {
        /// The record's block.
        record: BlockHash,
        /// Where the node has it ("none" when unmined).
        found: String,
    },
    /// The transaction's bytes do not hash to the record's vote hash.
    #[error("the node's transaction does not hash to {0}")]
    HashMismatch(TxHash),
    /// The transaction is not a vote.
    #[error("the transaction is not a vote: {0}")]
    NotAVote(String),
    /// The vote spends another ticket.
    #[error("the vote spends ticket {found}, not {record}")]
    WrongTicket {
        /// The record's ticket.
        record: TicketHash,
        /// The vote's.
        found: TicketHash,
    },
    /// The vote carries other votebits than the record says.
    #[error("the vote carries votebits {found} (version {found_version}), the record says {record} (version {record_version})")]
    VotebitsDiffer {
        /// The record's votebits.
        record: u16,
        /// The vote's.
        found: u16,
        /// The record's vote version.
        record_version: u32,
        /// The vote's.
        found_version: u32,
    },
    /// The node could not be asked.
    #[error("the node did not answer: {0}")]
    Node(String),
}

/// Checks a vote transaction (`raw`, serialized) against `record`: it hashes to the
/// record's vote, is a vote, spends the record's ticket and carries its votebits and vote
/// version.
///
/// # Errors
/// The first [`RecordFailure`] found.
pub fn check_vote_tx(record: &VoteRecord, raw: &[u8]) -> Result<Vote, RecordFailure> {
    let tx = Transaction::decode(raw).map_err(|e| RecordFailure::NotAVote(e.to_string()))?;
    if tx.hash() != record.vote_tx {
        return Err(RecordFailure::HashMismatch(record.vote_tx));
    }
    let vote = Vote::from_tx(&tx).map_err(|e| RecordFailure::NotAVote(e.to_string()))?;
    if vote.ticket != record.ticket {
        return Err(RecordFailure::WrongTicket {
            record: record.ticket,
            found: vote.ticket,
        });
    }
    if vote.votebits.bits() != record.votebits || vote.vote_version() != record.vote_version {
        return Err(RecordFailure::VotebitsDiffer {
            record: record.votebits,
            found: vote.votebits.bits(),
            record_version: record.vote_version,
            found_version: vote.vote_version(),
        });
    }
    Ok(vote)
}

/// A transaction as a node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTx {
    /// The serialized transaction.
    pub raw: Vec<u8>,
    /// The block that mined it (`None`: in the mempool).
    pub block_hash: Option<BlockHash>,
}

/// What verifying a record asks of a chain node (hcd: `getblockhash`,
/// `getrawtransaction <hash> 1`).
#[async_trait]
pub trait VoteChain: Send + Sync {
    /// The node's network.
    async fn network(&self) -> crate::Result<Network>;
    /// The main chain's block at `height`; `None` above the tip.
    async fn block_hash_at(&self, height: u32) -> crate::Result<Option<BlockHash>>;
    /// Transaction `hash`; `None` when the node does not know it.
    async fn transaction(&self, hash: &TxHash) -> crate::Result<Option<ChainTx>>;
}

/// Verifies one record: the signature is `pubkey`'s, the record's block is the main
/// chain's at its height, and the vote transaction is mined in it and passes
/// [`check_vote_tx`].
///
/// # Errors
/// The first [`RecordFailure`].
pub async fn verify_record(
    signed: &SignedVoteRecord,
    pubkey: &VoteRecordPubKey,
    chain: &dyn VoteChain,
) -> Result<(), RecordFailure> {
    if !signed.signature_valid(pubkey) {
        return Err(RecordFailure::BadSignature);
    }
    let r = &signed.record;
    let node_err = |e: crate::Error| RecordFailure::Node(e.to_string());
    let net = chain.network().await.map_err(node_err)?;
    if net != r.network {
        return Err(RecordFailure::WrongNetwork {
            record: net_tag(r.network).into(),
            node: net_tag(net).into(),
        });
    }
    if chain
        .block_hash_at(r.block_height)
        .await
        .map_err(node_err)?
        != Some(r.block_hash)
    {
        return Err(RecordFailure::NotInMainChain {
            block: r.block_hash,
            height: r.block_height,
        });
    }
    let tx = chain
        .transaction(&r.vote_tx)
        .await
        .map_err(node_err)?
        .ok_or(RecordFailure::TxNotFound(r.vote_tx))?;
    if tx.block_hash != Some(r.block_hash) {
        return Err(RecordFailure::WrongBlock {
            record: r.block_hash,
            found: tx
                .block_hash
                .map_or_else(|| "none".to_owned(), |b| b.to_string()),
        });
    }
    check_vote_tx(r, &tx.raw)?;
    Ok(())
}

/// The (unsigned) records of a user's voted tickets: for each ticket `info` lists as voted,
/// the spending transaction is read through `wallet` (`gettransaction`: its bytes and
/// block) and parsed as a vote. Tickets whose vote cannot be read or does not spend them
/// are left out (logged), so one bad answer does not hide the others. At most
/// `concurrency` wallet calls run at once.
pub async fn user_vote_records<W: StakeReporting + ?Sized>(
    wallet: &W,
    info: &StakePoolUserInfo,
    network: Network,
    requested: VoteBits,
    concurrency: usize,
) -> Vec<VoteRecord> {
    use futures::StreamExt as _;
    let futs: Vec<_> = info
        .tickets
        .iter()
        .filter(|t| is_voted(t))
        .map(|t| record_of(wallet, t, network, requested))
        .collect();
    let mut records: Vec<VoteRecord> = futures::stream::iter(futs)
        .buffered(concurrency.max(1))
        .filter_map(futures::future::ready)
        .collect()
        .await;
    records.sort_by_key(|r| (r.block_height, r.ticket));
    records
}

/// How many blocks a vote must be below the tip before its stored record is served without
/// asking the wallets again. Until then a reorg may move the vote into another block at the
/// same height (competing blocks usually carry the same votes), which the wallets' ticket
/// list cannot show: it names the spender and its height, not its block.
pub const SETTLED_DEPTH: u32 = 6;

/// The request [`stored_vote_records`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsRequest {
    /// The pool's network (records are stored without it).
    pub network: Network,
    /// The user whose records these are.
    pub user: UserId,
    /// The user's votebits now: the `requested_votebits` of records stored by this request.
    pub requested: VoteBits,
    /// The wallets' tip height (from the same answer as the ticket list).
    pub tip_height: u32,
    /// Now, unix seconds (the `created` of records stored by this request).
    pub now: i64,
    /// At most this many wallet calls at once.
    pub concurrency: usize,
}

/// What [`stored_vote_records`] answered and what it cost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordsPass {
    /// The user's records, by block height then ticket, unsigned.
    pub records: Vec<VoteRecord>,
    /// Votes read from the wallets (`gettransaction`) for this answer.
    pub wallet_reads: usize,
    /// Records this call stored.
    pub stored: u64,
    /// Stored records this call replaced after a reorg.
    pub replaced: usize,
}

/// The records of a user's voted tickets, kept in `store` so that each vote is read from the
/// wallets once (the `hcpool_vote_records` table; docs/adr/0009-vote-records.md).
///
/// For each ticket `info` lists as voted:
/// - a stored record naming the wallets' spender at the wallets' height, at least
///   [`SETTLED_DEPTH`] blocks below the tip, is served as stored: no wallet call;
/// - otherwise the vote is read through `wallet` as [`user_vote_records`] does. A ticket
///   without a stored record gets one (insert-if-absent: when several web instances make it
///   at once, one row wins and every instance serves that row). A stored record whose vote,
///   block or height is no longer the wallets' answer (a reorg) is replaced, keeping its
///   `requested_votebits` and creation time; a stored record the wallets still confirm is
///   served as stored.
///
/// So `requested_votebits` is the user's choice when the record was first stored (the first
/// request after the vote, normally close to it), not their choice now. Tickets whose vote
/// cannot be read are left out (logged), unless a stored record still names the wallets'
/// spender and height. Stored records of tickets the wallets no longer list as voted are
/// kept but not served. A failed write is logged and the record served unstored (the next
/// request tries again).
///
/// # Errors
/// The store's error reading the user's stored records.
pub async fn stored_vote_records<S, W>(
    store: &S,
    wallet: &W,
    info: &StakePoolUserInfo,
    req: &RecordsRequest,
) -> crate::Result<RecordsPass>
where
    S: VoteRecordStore + ?Sized,
    W: StakeReporting + ?Sized,
{
    use futures::StreamExt as _;
    let mut stored: HashMap<TicketHash, StoredVoteRecord> = store
        .vote_records(req.user)
        .await?
        .into_iter()
        .map(|r| (r.ticket, r))
        .collect();
    let mut pass = RecordsPass::default();
    let mut out: Vec<StoredVoteRecord> = Vec::new();
    let mut to_read: Vec<(&UserTicket, Option<StoredVoteRecord>)> = Vec::new();
    for t in info.tickets.iter().filter(|t| is_voted(t)) {
        match stored.remove(&t.ticket) {
            Some(s)
                if names_spender(&s, t)
                    && t.spent_by_height.saturating_add(SETTLED_DEPTH) <= req.tip_height =>
            {
                out.push(s);
            }
            s => to_read.push((t, s)),
        }
    }
    pass.wallet_reads = to_read.len();
    // The futures are collected first: a lazy `map` over borrowed items makes the future
    // not `Send` for every lifetime (Rocket's handlers need it).
    let futs: Vec<_> = to_read
        .iter()
        .map(|(t, _)| record_of(wallet, t, req.network, req.requested))
        .collect();
    let reads: Vec<Option<VoteRecord>> = futures::stream::iter(futs)
        .buffered(req.concurrency.max(1))
        .collect()
        .await;

    let mut new_rows = Vec::new();
    // Rows another instance may have written first: served as the store has them.
    let mut contested = Vec::new();
    for ((t, old), fresh) in to_read.into_iter().zip(reads) {
        match (old, fresh) {
            (None, Some(r)) => new_rows.push(StoredVoteRecord::of(req.user, &r, req.now)),
            (None, None) => {}
            (Some(s), Some(r))
                if s.vote_tx == r.vote_tx
                    && s.block_hash == r.block_hash
                    && s.block_height == r.block_height =>
            {
                out.push(s);
            }
            (Some(s), Some(r)) => {
                let row = StoredVoteRecord {
                    requested_votebits: s.requested_votebits,
                    ..StoredVoteRecord::of(s.user_id, &r, s.created)
                };
                match store.replace_vote_record(&row, &s.block_hash).await {
                    Ok(true) => {
                        tracing::info!(ticket = %t.ticket, from = %s.block_hash, to = %row.block_hash,
                            "vote record: the vote moved (reorg), record replaced");
                        pass.replaced += 1;
                        out.push(row);
                    }
                    Ok(false) => contested.push(row),
                    Err(e) => {
                        tracing::warn!(ticket = %t.ticket, error = %e, "vote record: not replaced");
                        out.push(row);
                    }
                }
            }
            (Some(s), None) => {
                if names_spender(&s, t) {
                    out.push(s);
                }
            }
        }
    }
    if !new_rows.is_empty() {
        match store.put_vote_records(&new_rows).await {
            Ok(n) => {
                pass.stored = n;
                if n == new_rows.len() as u64 {
                    out.append(&mut new_rows);
                } else {
                    contested.append(&mut new_rows);
                }
            }
            Err(e) => {
                tracing::warn!(user = req.user.0, error = %e, "vote records: not stored");
                out.append(&mut new_rows);
            }
        }
    }
    if !contested.is_empty() {
        let now_stored: HashMap<TicketHash, StoredVoteRecord> =
            match store.vote_records(req.user).await {
                Ok(rows) => rows.into_iter().map(|r| (r.ticket, r)).collect(),
                Err(e) => {
                    tracing::warn!(user = req.user.0, error = %e, "vote records: not read again");
                    HashMap::new()
                }
            };
        for row in contested {
            match now_stored.get(&row.ticket) {
                Some(s) if s.vote_tx == row.vote_tx && s.block_hash == row.block_hash => {
                    out.push(s.clone());
                }
                _ => out.push(row),
            }
        }
    }
    let mut records: Vec<VoteRecord> = out.iter().map(|s| s.record(req.network)).collect();
    records.sort_by_key(|r| (r.block_height, r.ticket));
    pass.records = records;
    Ok(pass)
}

/// Whether the wallets list `t` as voted, with a spender.
fn is_voted(t: &UserTicket) -> bool {
    t.status == TicketStatus::Voted && t.spent_by != Hash32::default()
}

/// Whether stored record `s` names the wallets' spender of `t` at the wallets' height.
fn names_spender(s: &StoredVoteRecord, t: &UserTicket) -> bool {
    s.vote_tx == t.spent_by && s.block_height == t.spent_by_height
}

/// The record of one voted ticket, `None` (logged) when its vote cannot be read.
async fn record_of<W: StakeReporting + ?Sized>(
    wallet: &W,
    t: &UserTicket,
    network: Network,
    requested: VoteBits,
) -> Option<VoteRecord> {
    let tx = match wallet.transaction(&t.spent_by).await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::warn!(ticket = %t.ticket, vote = %t.spent_by, error = %e, "vote record: the vote is unreadable");
            return None;
        }
    };
    let block_hash = tx.block_hash?;
    let vote = Transaction::decode(&tx.hex)
        .ok()
        .filter(|d| d.hash() == t.spent_by)
        .and_then(|d| Vote::from_tx(&d).ok())
        .filter(|v| v.ticket == t.ticket);
    let Some(vote) = vote else {
        tracing::warn!(ticket = %t.ticket, vote = %t.spent_by, "vote record: the spender is not this ticket's vote");
        return None;
    };
    Some(VoteRecord {
        network,
        ticket: t.ticket,
        vote_tx: t.spent_by,
        block_hash,
        block_height: t.spent_by_height,
        votebits: vote.votebits.bits(),
        vote_version: vote.vote_version(),
        requested_votebits: requested.bits(),
    })
}

#[cfg(test)]
mod tests;

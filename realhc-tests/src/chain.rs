//! hcd as the judge: blocks mined only once ≥ 3 votes for the tip are in the mempool (hcd's
//! `generate` never returns otherwise after SVH), and votes, revocations and live tickets
//! read from the chain.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hcpool_core::tx::Transaction;
use hcpool_core::{TicketHash, TxHash};
use hcpool_rpc::RpcClient;
use serde_json::{json, Value};

/// simnet's stake validation height: from here on a block needs ≥ 3 votes on its parent.
pub const SVH: u32 = 144;

/// A vote as mined (or in the mempool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    /// The vote transaction.
    pub tx: TxHash,
    /// The ticket it spends.
    pub ticket: TicketHash,
    /// Height of the block voted on.
    pub voted_height: u32,
    /// Its votebits (output 1: `6a 06 <bits LE16> <ext>`).
    pub bits: u16,
}

/// The vote in `tx`, if it is one: input 0 the stakebase, input 1 the ticket, output 0
/// `6a 24 <block hash> <height LE32>`, output 1 `6a <len> <bits LE16> …`.
pub fn vote_of(tx: &Transaction) -> Option<Vote> {
    let out0 = &tx.outputs.first()?.pk_script;
    let out1 = &tx.outputs.get(1)?.pk_script;
    if out0.len() != 38 || out0[0] != 0x6a || out0[1] != 0x24 {
        return None;
    }
    if out1.len() < 4 || out1[0] != 0x6a {
        return None;
    }
    let ticket = tx.inputs.get(1)?.previous_outpoint.hash;
    let h = u32::from_le_bytes([out0[34], out0[35], out0[36], out0[37]]);
    Some(Vote {
        tx: tx.hash(),
        ticket,
        voted_height: h,
        bits: u16::from_le_bytes([out1[2], out1[3]]),
    })
}

/// A revocation of `ticket`: a stake transaction spending it that is not a vote.
pub fn is_revocation_of(tx: &Transaction, ticket: &TicketHash) -> bool {
    vote_of(tx).is_none() && tx.inputs.len() == 1 && tx.inputs[0].previous_outpoint.hash == *ticket
}

/// hcd over JSON-RPC (HTTP POST: every call dials, so a restart of hcd costs nothing).
#[derive(Debug)]
pub struct Chain {
    hcd: RpcClient,
}

impl Chain {
    /// Wraps a client of hcd.
    pub fn new(hcd: RpcClient) -> Chain {
        Chain { hcd }
    }

    /// The client.
    pub fn client(&self) -> &RpcClient {
        &self.hcd
    }

    /// `getblockcount`.
    ///
    /// # Errors
    /// The call failing.
    pub async fn height(&self) -> Result<u32> {
        Ok(self.hcd.call("getblockcount", vec![]).await?)
    }

    /// The transaction `hash`, decoded.
    ///
    /// # Errors
    /// hcd does not know it, or it does not decode.
    pub async fn tx(&self, hash: &str) -> Result<Transaction> {
        let hex: String = self
            .hcd
            .call("getrawtransaction", vec![json!(hash), json!(0)])
            .await
            .with_context(|| format!("getrawtransaction {hash}"))?;
        Transaction::decode_hex(&hex).with_context(|| format!("decode {hash}"))
    }

    /// The votes in the mempool.
    ///
    /// # Errors
    /// A call failing.
    pub async fn mempool_votes(&self) -> Result<Vec<Vote>> {
        let hashes: Vec<String> = self
            .hcd
            .call("getrawmempool", vec![json!(false), json!("votes")])
            .await?;
        let mut v = Vec::new();
        for h in hashes {
            // A vote mined meanwhile is no longer in the mempool: skip it.
            if let Ok(tx) = self.tx(&h).await {
                v.extend(vote_of(&tx));
            }
        }
        Ok(v)
    }

    /// Votes in the mempool on the block at `height` (hcd keeps votes for tickets that did
    /// not win, and old ones; only these count for the next block).
    ///
    /// # Errors
    /// A call failing.
    pub async fn votes_on(&self, height: u32) -> Result<Vec<Vote>> {
        Ok(self
            .mempool_votes()
            .await?
            .into_iter()
            .filter(|v| v.voted_height == height)
            .collect())
    }

    /// Mines one block. From SVH on, first waits (at most `wait`) for ≥ 3 votes on the tip,
    /// then `generate 1`. Returns the new height.
    ///
    /// # Errors
    /// `STUCK` when the votes do not come, or a call failing.
    pub async fn mine_one(&self, wait: Duration) -> Result<u32> {
        let h = self.height().await?;
        if h + 1 > SVH {
            let deadline = Instant::now() + wait;
            loop {
                let n = self.votes_on(h).await?.len();
                if n >= 3 {
                    break;
                }
                if Instant::now() > deadline {
                    bail!(
                        "STUCK at height {h}: only {n} votes on the tip in hcd's mempool after \
                         {} s (a block needs 3 of its parent's 5 winners voted)",
                        wait.as_secs()
                    );
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        let _: Value = tokio::time::timeout(
            Duration::from_secs(90),
            self.hcd.call_value("generate", vec![json!(1)]),
        )
        .await
        .context("generate 1 did not return within 90 s")??;
        let now = self.height().await?;
        if now != h + 1 {
            bail!("generate 1 at height {h} left the chain at {now}");
        }
        Ok(now)
    }

    /// The stake transactions of the block at `height`.
    ///
    /// # Errors
    /// A call failing, or a transaction that does not decode.
    pub async fn stake_txs(&self, height: u32) -> Result<Vec<Transaction>> {
        let hash: String = self.hcd.call("getblockhash", vec![json!(height)]).await?;
        let block: Value = self
            .hcd
            .call_value("getblock", vec![json!(hash), json!(true), json!(true)])
            .await?;
        let mut v = Vec::new();
        for t in block["rawstx"].as_array().map_or(&[][..], Vec::as_slice) {
            let hex = t["hex"].as_str().context("rawstx without hex")?;
            v.push(Transaction::decode_hex(hex).context("decode a stake tx")?);
        }
        Ok(v)
    }

    /// The mined votes in blocks `from..=to`.
    ///
    /// # Errors
    /// A call failing.
    pub async fn mined_votes(&self, from: u32, to: u32) -> Result<Vec<(u32, Vote)>> {
        let mut v = Vec::new();
        for h in from..=to {
            for tx in self.stake_txs(h).await? {
                if let Some(vote) = vote_of(&tx) {
                    v.push((h, vote));
                }
            }
        }
        Ok(v)
    }

    /// The height of the block in `from..=to` that mined a revocation of `ticket`.
    ///
    /// # Errors
    /// A call failing.
    pub async fn revoked_at(&self, ticket: &TicketHash, from: u32, to: u32) -> Result<Option<u32>> {
        for h in from..=to {
            if self
                .stake_txs(h)
                .await?
                .iter()
                .any(|tx| is_revocation_of(tx, ticket))
            {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    /// `existslivetickets` for many tickets at once: one flag per ticket, in order.
    ///
    /// # Errors
    /// The call failing or an unexpected answer.
    pub async fn live_flags(&self, tickets: &[TicketHash]) -> Result<Vec<bool>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        let blob: String = tickets.iter().map(hash_blob).collect();
        let bits: String = self
            .hcd
            .call("existslivetickets", vec![json!(blob)])
            .await?;
        let bytes = hex::decode(&bits).with_context(|| format!("existslivetickets: {bits:?}"))?;
        ensure!(
            bytes.len() * 8 >= tickets.len(),
            "existslivetickets: {} bits for {} tickets",
            bytes.len() * 8,
            tickets.len()
        );
        Ok((0..tickets.len())
            .map(|i| bytes[i / 8] & (1 << (i % 8)) != 0)
            .collect())
    }

    /// `existslivetickets` for one ticket.
    ///
    /// # Errors
    /// The call failing or an unexpected answer.
    pub async fn is_live(&self, ticket: &TicketHash) -> Result<bool> {
        let bits: String = self
            .hcd
            .call("existslivetickets", vec![json!(hash_blob(ticket))])
            .await?;
        match bits.as_str() {
            "01" => Ok(true),
            "00" => Ok(false),
            other => bail!("existslivetickets answered {other:?}"),
        }
    }
}

/// A hash as hcd's `txhashblob` wants it: the bytes in wire order (the reverse of the
/// displayed hex).
pub fn hash_blob(h: &TicketHash) -> String {
    let shown = h.to_string();
    let mut out = String::with_capacity(shown.len());
    for i in (0..shown.len()).step_by(2).rev() {
        out.push_str(&shown[i..i + 2]);
    }
    out
}

/// Percentile `p` (0..=100) of sorted `v` (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_is_wire_order() {
        // From transcripts/hcd-existslivetickets.json.
        let t: TicketHash = "2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267"
            .parse()
            .unwrap();
        assert_eq!(
            hash_blob(&t),
            "67c254595eb96c1a0be3ee9f33d57f8b12eaee953180ba0931e4b03808cc982a"
        );
    }

    #[test]
    fn percentiles_by_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&v, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&[], 50.0), None);
    }
}

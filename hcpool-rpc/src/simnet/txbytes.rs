//! The minimal HC transaction bytes the clients parse (hcwallet-rpc.md §6.4,
//! hc-chain-facts.md §5.4–5.5): pool tickets (SStx), votes (SSGen) and 180-byte headers.
//!
//! Signatures are dummies: the simulated node does not verify them.

use hcpool_core::Hash32;

const SSTX: u8 = 0xba;
const SSGEN: u8 = 0xbb;
const SSRTX: u8 = 0xbc;
const SSTXCHANGE: u8 = 0xbd;

/// The stakebase signature script of a vote on simnet (`deadbeef`).
pub const STAKEBASE_SCRIPT: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

/// A stake-tagged HC P2PKH output script: `<tag> OP_DUP OP_HASH160 <h160> OP_EQUALVERIFY
/// 00 OP_CHECKSIGALT` (signature type 0, 27 bytes), as hcwallet writes ticket change
/// (`bd`), vote payouts (`bb`) and revocation payouts (`bc`) (DIFFERENCES.md §21).
pub fn stake_p2pkh(tag: u8, hash160: &[u8; 20]) -> Vec<u8> {
    let mut s = vec![tag, 0x76, 0xa9, 0x14];
    s.extend_from_slice(hash160);
    s.extend_from_slice(&[0x88, 0x00, 0xbe]);
    s
}

/// A stake-tagged P2SH output script: `<tag> OP_HASH160 <h160> OP_EQUAL`.
pub fn stake_p2sh(tag: u8, hash160: &[u8; 20]) -> Vec<u8> {
    let mut s = vec![tag, 0xa9, 0x14];
    s.extend_from_slice(hash160);
    s.push(0x87);
    s
}

/// BLAKE-256 of `data`.
pub fn blake256(data: &[u8]) -> [u8; 32] {
    use blake_hash::Digest;
    let mut h = blake_hash::Blake256::new();
    h.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&h.finalize());
    out
}

/// One transaction input.
#[derive(Debug, Clone)]
pub struct TxIn {
    /// The spent output's tx hash (internal order).
    pub prev_hash: [u8; 32],
    /// The spent output's index.
    pub prev_index: u32,
    /// 0 regular tree, 1 stake tree.
    pub tree: u8,
    /// The witness value.
    pub value_in: i64,
    /// The witness block height.
    pub block_height: u32,
    /// The signature script.
    pub sig_script: Vec<u8>,
}

/// One transaction output.
#[derive(Debug, Clone)]
pub struct TxOut {
    /// Atoms.
    pub value: i64,
    /// The pkScript.
    pub script: Vec<u8>,
}

/// A transaction in Decred/HC wire form.
#[derive(Debug, Clone)]
pub struct Tx {
    /// Inputs.
    pub inputs: Vec<TxIn>,
    /// Outputs.
    pub outputs: Vec<TxOut>,
}

fn varint(out: &mut Vec<u8>, n: usize) {
    let n = n as u64;
    if n < 0xfd {
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xfd);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xfe);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    } else {
        out.push(0xff);
        out.extend_from_slice(&n.to_le_bytes());
    }
}

impl Tx {
    fn prefix(&self, out: &mut Vec<u8>) {
        varint(out, self.inputs.len());
        for i in &self.inputs {
            out.extend_from_slice(&i.prev_hash);
            out.extend_from_slice(&i.prev_index.to_le_bytes());
            out.push(i.tree);
            out.extend_from_slice(&u32::MAX.to_le_bytes());
        }
        varint(out, self.outputs.len());
        for o in &self.outputs {
            out.extend_from_slice(&o.value.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            varint(out, o.script.len());
            out.extend_from_slice(&o.script);
        }
        out.extend_from_slice(&0u32.to_le_bytes()); // lock time
        out.extend_from_slice(&0u32.to_le_bytes()); // expiry
    }

    /// The full serialization (serType 0: prefix and witness), as `hex` fields carry it.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&1u32.to_le_bytes());
        self.prefix(&mut out);
        varint(&mut out, self.inputs.len());
        for i in &self.inputs {
            out.extend_from_slice(&i.value_in.to_le_bytes());
            out.extend_from_slice(&i.block_height.to_le_bytes());
            out.extend_from_slice(&u32::MAX.to_le_bytes());
            varint(&mut out, i.sig_script.len());
            out.extend_from_slice(&i.sig_script);
        }
        out
    }

    /// The hash: BLAKE-256 of the prefix-only serialization (serType 1).
    pub fn hash(&self) -> Hash32 {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&(1u32 | (1 << 16)).to_le_bytes());
        self.prefix(&mut out);
        Hash32::from_bytes(blake256(&out))
    }
}

/// `OP_SSTX` + P2SH to `script_hash`.
pub fn sstx_p2sh(script_hash: &[u8; 20]) -> Vec<u8> {
    stake_p2sh(SSTX, script_hash)
}

/// The 33-byte HC commitment script (suite byte 0, fee limits 0x5800).
pub fn commitment(hash160: &[u8; 20], amount: i64, p2sh: bool) -> Vec<u8> {
    let mut s = vec![0x6a, 0x1f];
    s.extend_from_slice(hash160);
    s.push(0);
    let mut amt = amount.to_le_bytes();
    if p2sh {
        amt[7] |= 0x80;
    }
    s.extend_from_slice(&amt);
    s.extend_from_slice(&0x5800u16.to_le_bytes());
    s
}

/// The zero-hash `OP_SSTXCHANGE` output hcwallet writes for pool tickets.
pub fn zero_change() -> Vec<u8> {
    stake_p2pkh(SSTXCHANGE, &[0u8; 20])
}

/// Parts of a pool ticket.
#[derive(Debug, Clone)]
pub struct PoolTicket {
    /// The user's multisig script hash (ticket output 0).
    pub msa_hash: [u8; 20],
    /// The ticket price (atoms).
    pub price: i64,
    /// The pool fee address' hash160 (first commitment).
    pub pool_fee_hash: [u8; 20],
    /// The pool's commitment (the fee paid to the pool).
    pub pool_amount: i64,
    /// The user's reward address' hash160 (second commitment).
    pub user_hash: [u8; 20],
    /// The user's commitment.
    pub user_amount: i64,
    /// Makes the funding outpoints unique.
    pub nonce: u64,
}

/// hcwallet's pool ticket: inputs [pool fee, user]; outputs [SStx→P2SH, commit pool,
/// change, commit user, change].
pub fn pool_ticket(t: &PoolTicket) -> Tx {
    let funding = |k: u8| {
        let mut seed = t.nonce.to_le_bytes().to_vec();
        seed.push(k);
        TxIn {
            prev_hash: blake256(&seed),
            prev_index: 0,
            tree: 0,
            value_in: 0,
            block_height: 0,
            sig_script: vec![0x00],
        }
    };
    let mut ins = vec![funding(0), funding(1)];
    ins[0].value_in = t.pool_amount;
    ins[1].value_in = t.user_amount;
    Tx {
        inputs: ins,
        outputs: vec![
            TxOut {
                value: t.price,
                script: sstx_p2sh(&t.msa_hash),
            },
            TxOut {
                value: 0,
                script: commitment(&t.pool_fee_hash, t.pool_amount, false),
            },
            TxOut {
                value: 0,
                script: zero_change(),
            },
            TxOut {
                value: 0,
                script: commitment(&t.user_hash, t.user_amount, false),
            },
            TxOut {
                value: 0,
                script: zero_change(),
            },
        ],
    }
}

/// A vote (SSGen) on `block` at `height` for `ticket`, paying `reward` atoms to each
/// of `payees` (hash160s) in proportion (the split is not checked by the simulator).
#[allow(clippy::too_many_arguments)]
pub fn vote(
    block: &Hash32,
    height: u32,
    ticket: &Hash32,
    ticket_value: i64,
    subsidy: i64,
    votebits: u16,
    votebits_ext: &[u8],
    payees: &[[u8; 20]],
) -> Tx {
    let mut reference = vec![0x6a, 0x24];
    reference.extend_from_slice(block.as_bytes());
    reference.extend_from_slice(&height.to_le_bytes());
    let ext = &votebits_ext[..votebits_ext.len().min(73)];
    let mut bits = vec![0x6a, (2 + ext.len()) as u8];
    bits.extend_from_slice(&votebits.to_le_bytes());
    bits.extend_from_slice(ext);
    let mut outputs = vec![
        TxOut {
            value: 0,
            script: reference,
        },
        TxOut {
            value: 0,
            script: bits,
        },
    ];
    let n = payees.len().max(1) as i64;
    for p in payees {
        outputs.push(TxOut {
            value: (ticket_value + subsidy) / n,
            script: stake_p2pkh(SSGEN, p),
        });
    }
    Tx {
        inputs: vec![
            // The stakebase: witness value = the subsidy, script `deadbeef` on simnet.
            TxIn {
                prev_hash: [0; 32],
                prev_index: u32::MAX,
                tree: 0,
                value_in: subsidy,
                block_height: 0,
                sig_script: STAKEBASE_SCRIPT.to_vec(),
            },
            // The ticket: hcwallet leaves its witness value at -1 and its height at 0.
            TxIn {
                prev_hash: *ticket.as_bytes(),
                prev_index: 0,
                tree: 1,
                value_in: -1,
                block_height: 0,
                sig_script: vec![0x00],
            },
        ],
        outputs,
    }
}

/// A revocation (SSRtx) of `ticket` (mined at `ticket_height`): its output 0 back to each
/// commitment of the ticket, `bc`-tagged (P2PKH with `OP_CHECKSIGALT`, or P2SH).
pub fn revocation(ticket: &Hash32, ticket_height: u32, ticket_tx: &Tx) -> Tx {
    let price = ticket_tx.outputs.first().map_or(0, |o| o.value);
    let commitments = ticket_tx.commitments();
    let total: i64 = commitments.iter().map(|c| c.1).sum::<i64>().max(1);
    let outputs = commitments
        .iter()
        .map(|(h, amount, p2sh)| TxOut {
            // Each commitment gets its share of the price (the split is not checked).
            value: i64::try_from(i128::from(price) * i128::from(*amount) / i128::from(total))
                .unwrap_or(0),
            script: if *p2sh {
                stake_p2sh(SSRTX, h)
            } else {
                stake_p2pkh(SSRTX, h)
            },
        })
        .collect();
    Tx {
        inputs: vec![TxIn {
            prev_hash: *ticket.as_bytes(),
            prev_index: 0,
            tree: 1,
            value_in: price,
            block_height: ticket_height,
            sig_script: vec![0x00],
        }],
        outputs,
    }
}

/// What the simulated node reads from a submitted vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteRef {
    /// The voted ticket (input 1).
    pub ticket: Hash32,
    /// The referenced block.
    pub block: Hash32,
    /// The referenced height.
    pub height: u32,
}

/// A tiny reader over untrusted bytes.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn varint(&mut self) -> Option<usize> {
        let n = match self.u8()? {
            0xfd => u64::from(u16::from_le_bytes(self.take(2)?.try_into().ok()?)),
            0xfe => u64::from(self.u32()?),
            0xff => u64::from_le_bytes(self.take(8)?.try_into().ok()?),
            b => u64::from(b),
        };
        usize::try_from(n).ok().filter(|n| *n <= self.b.len())
    }
}

/// Decodes a full serialization into a [`Tx`] (any error → `None`).
pub fn decode(bytes: &[u8]) -> Option<Tx> {
    let mut r = Reader { b: bytes, pos: 0 };
    let version = r.u32()?;
    if version >> 16 != 0 {
        return None;
    }
    let n_in = r.varint()?;
    let mut inputs = Vec::with_capacity(n_in.min(64));
    for _ in 0..n_in {
        let prev_hash: [u8; 32] = r.take(32)?.try_into().ok()?;
        let prev_index = r.u32()?;
        let tree = r.u8()?;
        r.u32()?;
        inputs.push(TxIn {
            prev_hash,
            prev_index,
            tree,
            value_in: 0,
            block_height: 0,
            sig_script: Vec::new(),
        });
    }
    let n_out = r.varint()?;
    let mut outputs = Vec::with_capacity(n_out.min(64));
    for _ in 0..n_out {
        let value = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        r.take(2)?;
        let len = r.varint()?;
        outputs.push(TxOut {
            value,
            script: r.take(len)?.to_vec(),
        });
    }
    r.u32()?;
    r.u32()?;
    let n_wit = r.varint()?;
    if n_wit != inputs.len() {
        return None;
    }
    for i in &mut inputs {
        i.value_in = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        i.block_height = r.u32()?;
        r.u32()?;
        let len = r.varint()?;
        i.sig_script = r.take(len)?.to_vec();
    }
    if r.pos != bytes.len() {
        return None;
    }
    Some(Tx { inputs, outputs })
}

impl Tx {
    /// The P2SH script hash of an `OP_SSTX` ticket's output 0, if this looks like a ticket.
    pub fn ticket_script_hash(&self) -> Option<[u8; 20]> {
        let s = &self.outputs.first()?.script;
        if s.len() == 24 && s[0] == SSTX && s[1] == 0xa9 && s[2] == 0x14 && s[23] == 0x87 {
            s[3..23].try_into().ok()
        } else {
            None
        }
    }

    /// The commitments (hash160, amount, p2sh) of the odd outputs.
    pub fn commitments(&self) -> Vec<([u8; 20], i64, bool)> {
        self.outputs
            .iter()
            .skip(1)
            .step_by(2)
            .filter_map(|o| {
                let s = &o.script;
                if s.len() < 32 || s[0] != 0x6a {
                    return None;
                }
                let h: [u8; 20] = s.get(2..22)?.try_into().ok()?;
                let mut amt: [u8; 8] = s.get(23..31)?.try_into().ok()?;
                let p2sh = amt[7] & 0x80 != 0;
                amt[7] &= 0x7f;
                Some((h, i64::from_le_bytes(amt), p2sh))
            })
            .collect()
    }

    /// The votebits of a vote (output 1: `OP_RETURN <bits LE16><extended>`).
    pub fn vote_bits(&self) -> Option<u16> {
        self.vote_ref()?;
        let s = &self.outputs.get(1)?.script;
        if s.first() != Some(&0x6a) {
            return None;
        }
        Some(u16::from_le_bytes(s.get(2..4)?.try_into().ok()?))
    }

    /// The ticket a revocation (one stake-tree input, `bc`-tagged outputs) revokes.
    pub fn revoked_ticket(&self) -> Option<Hash32> {
        let [input] = self.inputs.as_slice() else {
            return None;
        };
        let revocation = input.tree == 1
            && !self.outputs.is_empty()
            && self
                .outputs
                .iter()
                .all(|o| o.script.first() == Some(&SSRTX));
        revocation.then(|| Hash32::from_bytes(input.prev_hash))
    }

    /// The ticket and block a vote refers to.
    pub fn vote_ref(&self) -> Option<VoteRef> {
        let stakebase = self.inputs.first()?;
        let ticket_in = self.inputs.get(1)?;
        if stakebase.prev_hash != [0; 32] || ticket_in.tree != 1 {
            return None;
        }
        let r = &self.outputs.first()?.script;
        if r.len() != 38 || r[0] != 0x6a || r[1] != 0x24 {
            return None;
        }
        Some(VoteRef {
            ticket: Hash32::from_bytes(ticket_in.prev_hash),
            block: Hash32::from_slice(r.get(2..34)?).ok()?,
            height: u32::from_le_bytes(r.get(34..38)?.try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_round_trips_and_reads_back() {
        let t = PoolTicket {
            msa_hash: [7; 20],
            price: 250_000_000,
            pool_fee_hash: [1; 20],
            pool_amount: 5_000_000,
            user_hash: [2; 20],
            user_amount: 245_100_000,
            nonce: 9,
        };
        let tx = pool_ticket(&t);
        let bytes = tx.serialize();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.serialize(), bytes);
        assert_eq!(back.hash(), tx.hash());
        assert_eq!(back.ticket_script_hash(), Some([7; 20]));
        let c = back.commitments();
        assert_eq!(
            c,
            vec![([1; 20], 5_000_000, false), ([2; 20], 245_100_000, false)]
        );
        assert_eq!(tx.outputs[1].script.len(), 33);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn vote_refers_to_its_block_and_ticket() {
        let block = Hash32::from_bytes([3; 32]);
        let ticket = Hash32::from_bytes([4; 32]);
        let v = vote(&block, 900, &ticket, 1, 2, 5, &[7, 0, 0, 0], &[[1; 20]]);
        let back = decode(&v.serialize()).unwrap();
        // hcwallet's layout: stakebase script deadbeef, ticket witness value -1, payouts
        // `bb 76 a9 14 <h160> 88 00 be`.
        assert_eq!(back.inputs[0].sig_script, STAKEBASE_SCRIPT);
        assert_eq!(back.inputs[0].value_in, 2);
        assert_eq!(back.inputs[1].value_in, -1);
        assert_eq!(
            hex::encode(&back.outputs[2].script),
            format!("bb76a914{}8800be", "01".repeat(20))
        );
        assert_eq!(
            back.vote_ref(),
            Some(VoteRef {
                ticket,
                block,
                height: 900
            })
        );
        assert_eq!(hex::encode(&back.outputs[1].script), "6a06050007000000");
        assert!(back.ticket_script_hash().is_none());
    }
}

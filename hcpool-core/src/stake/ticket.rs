//! Tickets (SStx) and their commitments (hc-chain-facts.md §5.4).

use crate::address::Address;
use crate::fee::Amount;
use crate::ids::TicketHash;
use crate::params::Network;
use crate::tx::{OutPoint, Transaction, TxError, TxIn, TxOut};

use super::{null_data, op, pay_to_sstx, pay_to_sstx_change, StakeAddress, StakeOutput, StakeTag};

/// `MaxInputsPerSStx`.
const MAX_TICKET_INPUTS: usize = 64;
/// Bit 63 of the committed amount: the commitment address is P2SH.
const P2SH_FLAG: u64 = 1 << 63;

/// A commitment's fee limits (`uint16`, little-endian in the script).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeeLimits(pub u16);

impl FeeLimits {
    /// What hcwallet always writes (`0x5800`): revocations may pay up to 2^24 atoms of
    /// fees, votes may pay none.
    pub const WALLET_DEFAULT: FeeLimits = FeeLimits(0x5800);

    /// Whether votes may pay fees (bit 0x0040).
    pub const fn votes_may_pay_fees(self) -> bool {
        self.0 & 0x0040 != 0
    }

    /// The vote fee limit exponent (low 6 bits).
    pub const fn vote_exponent(self) -> u8 {
        (self.0 & 0x003f) as u8
    }

    /// Whether revocations may pay fees (bit 0x4000).
    pub const fn revocations_may_pay_fees(self) -> bool {
        self.0 & 0x4000 != 0
    }

    /// The revocation fee limit exponent (bits 0x3f00).
    pub const fn revocation_exponent(self) -> u8 {
        ((self.0 & 0x3f00) >> 8) as u8
    }

    /// The fee allowance for an exponent: `min(2^exp, amount)`; 63 means everything.
    pub fn allowance(exponent: u8, amount: Amount) -> Amount {
        if exponent >= 63 {
            return amount;
        }
        Amount((1i64 << exponent).min(amount.0))
    }
}

/// A ticket commitment: who gets the share of the reward for one input, and how much that
/// input contributed. Reading follows `AddrFromSStxPkScrCommitment` and
/// `AmountFromSStxPkScrCommitment`: fixed offsets, the suite byte is kept but ignored for
/// the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment {
    /// The reward address hash (bytes 2..22).
    pub hash: [u8; 20],
    /// The signature-suite byte (22): 0 secp or P2SH, 4 bliss.
    pub sig_suite: u8,
    /// Whether bit 63 of the amount field is set (P2SH reward address).
    pub is_p2sh: bool,
    /// The committed amount with the P2SH bit cleared.
    pub amount: Amount,
    /// Fee limits (bytes 31..33), absent in a script shorter than 33 bytes.
    pub fee_limits: Option<FeeLimits>,
}

impl Commitment {
    /// A commitment as hcwallet builds it for a reward address.
    pub fn new(address: &StakeAddress, amount: Amount, fee_limits: FeeLimits) -> Commitment {
        Commitment {
            hash: *address.hash(),
            sig_suite: if matches!(address, StakeAddress::Bliss(_)) {
                4
            } else {
                0
            },
            is_p2sh: address.is_p2sh(),
            amount,
            fee_limits: Some(fee_limits),
        }
    }

    /// Reads a commitment script at HC's fixed offsets (length ≥ 32 as HC's readers
    /// require). This does not check that the script is a well-formed null-data push;
    /// [`Ticket::from_tx`] does.
    pub fn from_script(script: &[u8]) -> Option<Commitment> {
        if script.len() < 32 {
            return None;
        }
        let hash: [u8; 20] = script.get(2..22)?.try_into().ok()?;
        let sig_suite = *script.get(22)?;
        let raw = u64::from_le_bytes(script.get(23..31)?.try_into().ok()?);
        let fee_limits = script
            .get(31..33)
            .map(|b| FeeLimits(u16::from_le_bytes([b[0], b[1]])));
        Some(Commitment {
            hash,
            sig_suite,
            is_p2sh: raw & P2SH_FLAG != 0,
            // The flag is cleared, so the value fits in i64.
            amount: Amount((raw & !P2SH_FLAG) as i64),
            fee_limits,
        })
    }

    /// `GenerateSStxAddrPush`: `6a 1f <hash 20> <suite 1> <amount LE 8, bit 63 = P2SH>
    /// <limits LE 2>` (33 bytes; limits default to the wallet's when absent).
    pub fn script(&self) -> Vec<u8> {
        let mut raw = self.amount.0 as u64;
        if self.is_p2sh {
            raw |= P2SH_FLAG;
        }
        let limits = self.fee_limits.unwrap_or(FeeLimits::WALLET_DEFAULT);
        let mut s = Vec::with_capacity(33);
        s.extend_from_slice(&[op::OP_RETURN, 0x1f]);
        s.extend_from_slice(&self.hash);
        s.push(self.sig_suite);
        s.extend_from_slice(&raw.to_le_bytes());
        s.extend_from_slice(&limits.0.to_le_bytes());
        s
    }

    /// The reward address as HC reads it: P2SH when flagged, otherwise secp256k1 P2PKH
    /// (whatever the suite byte says).
    pub fn address(&self, network: Network) -> Address {
        if self.is_p2sh {
            Address::p2sh(network, self.hash)
        } else {
            Address::p2pkh(network, self.hash)
        }
    }

    /// The reward address as a [`StakeAddress`] (same reading as [`Commitment::address`]).
    pub fn stake_address(&self) -> StakeAddress {
        if self.is_p2sh {
            StakeAddress::ScriptHash(self.hash)
        } else {
            StakeAddress::Secp256k1(self.hash)
        }
    }
}

/// A decoded, structurally valid ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    tx: Transaction,
    hash: TicketHash,
    voting: StakeOutput,
    // Output 1, kept apart so that its presence is part of the type.
    first_commitment: Commitment,
    commitments: Vec<Commitment>,
    change: Vec<(Amount, StakeOutput)>,
}

impl Ticket {
    /// Checks the SStx structure: 1..=64 inputs, `2n + 1` outputs all of script version 0,
    /// output 0 `OP_SSTX`-tagged, odd outputs null-data commitments (script length
    /// 32..=911, push byte 0x1e..=0x4d), even outputs after 0 `OP_SSTXCHANGE`-tagged.
    pub fn from_tx(tx: &Transaction) -> Result<Ticket, TxError> {
        let n_in = tx.inputs.len();
        if !(1..=MAX_TICKET_INPUTS).contains(&n_in) {
            return Err(TxError::TicketInputCount(n_in));
        }
        if tx.outputs.len() != 2 * n_in + 1 {
            return Err(TxError::TicketOutputCount {
                inputs: n_in,
                outputs: tx.outputs.len(),
            });
        }
        if let Some((output, o)) = tx.outputs.iter().enumerate().find(|(_, o)| o.version != 0) {
            return Err(TxError::ScriptVersion {
                output,
                version: o.version,
            });
        }
        let mut outputs = tx.outputs.iter().enumerate();
        let voting = outputs
            .next()
            .and_then(|(_, o)| StakeOutput::parse(&o.pk_script))
            .filter(|s| s.tag == StakeTag::SStx)
            .ok_or(TxError::NotStakeSubmission)?;
        let mut commitments = Vec::with_capacity(n_in);
        let mut change = Vec::with_capacity(n_in);
        for (i, out) in outputs {
            if i % 2 == 1 {
                commitments
                    .push(commitment_output(&out.pk_script).ok_or(TxError::BadCommitment(i))?);
            } else {
                let c = StakeOutput::parse(&out.pk_script)
                    .filter(|s| s.tag == StakeTag::SStxChange)
                    .ok_or(TxError::BadChange(i))?;
                change.push((Amount(out.value), c));
            }
        }
        let first_commitment = *commitments.first().ok_or(TxError::TicketInputCount(0))?;
        Ok(Ticket {
            tx: tx.clone(),
            hash: tx.hash(),
            voting,
            first_commitment,
            commitments,
            change,
        })
    }

    /// Decodes wire bytes and checks the structure.
    pub fn decode(bytes: &[u8]) -> Result<Ticket, TxError> {
        Self::from_tx(&Transaction::decode(bytes)?)
    }

    /// Decodes hex (an RPC `hex` field) and checks the structure.
    pub fn decode_hex(s: &str) -> Result<Ticket, TxError> {
        Self::from_tx(&Transaction::decode_hex(s)?)
    }

    /// The ticket's transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// The ticket hash.
    pub fn hash(&self) -> TicketHash {
        self.hash
    }

    /// The ticket price (value of output 0).
    pub fn price(&self) -> Amount {
        self.tx
            .outputs
            .first()
            .map_or(Amount::ZERO, |o| Amount(o.value))
    }

    /// The voting output (output 0).
    pub fn voting_output(&self) -> &StakeOutput {
        &self.voting
    }

    /// The voting output's hash (the multisig's script hash for a pool ticket).
    pub fn voting_hash(&self) -> &[u8; 20] {
        self.voting.address.hash()
    }

    /// Whether the voting output is P2SH.
    pub fn voting_is_p2sh(&self) -> bool {
        self.voting.address.is_p2sh()
    }

    /// The voting address; `None` for a bliss P2PKH voting output.
    pub fn voting_address(&self, network: Network) -> Option<Address> {
        self.voting.address.to_address(network)
    }

    /// The commitments, one per input, in order (output 1 is the first).
    pub fn commitments(&self) -> &[Commitment] {
        &self.commitments
    }

    /// The first commitment (output 1), the one the pool fee check reads.
    pub fn first_commitment(&self) -> &Commitment {
        &self.first_commitment
    }

    /// The change outputs (value and script), one per input.
    pub fn change(&self) -> &[(Amount, StakeOutput)] {
        &self.change
    }
}

fn commitment_output(script: &[u8]) -> Option<Commitment> {
    if !(32..=911).contains(&script.len()) || !(0x1e..=0x4d).contains(script.get(1)?) {
        return None;
    }
    null_data(script)?;
    Commitment::from_script(script)
}

/// What a pool ticket pays and spends, as hcwallet's `makeTicket` lays it out for a pool:
/// inputs `[pool fee input, user input]`, outputs
/// `[SStx → voting P2SH, commit(pool fee address, pool amount), change(zero PKH, 0),
/// commit(user reward address, user amount), change(zero PKH, 0)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolTicketSpec {
    /// The user's 1-of-2 multisig script hash (the voting output pays it).
    pub voting_script_hash: [u8; 20],
    /// The ticket price (output 0's value).
    pub price: Amount,
    /// The input paying the pool fee.
    pub pool_input: OutPoint,
    /// The pool's fee address hash (secp256k1 P2PKH).
    pub pool_fee_hash: [u8; 20],
    /// The pool fee committed (and spent by `pool_input`).
    pub pool_amount: Amount,
    /// The input paying the rest.
    pub user_input: OutPoint,
    /// The user's reward address.
    pub user_reward: StakeAddress,
    /// The user's committed amount (price − pool amount + the transaction fee).
    pub user_amount: Amount,
    /// Expiry height (0 = none).
    pub expiry: u32,
}

/// Builds the unsigned pool ticket of a [`PoolTicketSpec`]; the witness carries the input
/// values and empty signature scripts.
pub fn build_pool_ticket(spec: &PoolTicketSpec) -> Transaction {
    let zero_change = pay_to_sstx_change(&StakeAddress::Secp256k1([0; 20]));
    let input = |outpoint: OutPoint, value: Amount| TxIn {
        value_in: value.0,
        ..TxIn::new(outpoint)
    };
    let pool_commit = Commitment::new(
        &StakeAddress::Secp256k1(spec.pool_fee_hash),
        spec.pool_amount,
        FeeLimits::WALLET_DEFAULT,
    );
    let user_commit = Commitment::new(
        &spec.user_reward,
        spec.user_amount,
        FeeLimits::WALLET_DEFAULT,
    );
    Transaction {
        version: 1,
        inputs: vec![
            input(spec.pool_input, spec.pool_amount),
            input(spec.user_input, spec.user_amount),
        ],
        outputs: vec![
            TxOut::new(
                spec.price.0,
                pay_to_sstx(&StakeAddress::ScriptHash(spec.voting_script_hash)),
            ),
            TxOut::new(0, pool_commit.script()),
            TxOut::new(0, zero_change.clone()),
            TxOut::new(0, user_commit.script()),
            TxOut::new(0, zero_change),
        ],
        lock_time: 0,
        expiry: spec.expiry,
    }
}

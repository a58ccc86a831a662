//! HC transaction wire format (hcwallet-rpc.md §6.4): decode, encode and hash.
//!
//! HC keeps Decred's split of a transaction into a *prefix* (inputs' outpoints, outputs,
//! lock time, expiry) and a *witness* (per-input value, block height and index, signature
//! script). The first u32 carries the transaction version in its low 16 bits and the
//! serialization type in the high 16 bits. The transaction hash is BLAKE-256 of the
//! prefix-only serialization.
//!
//! Decoding never trusts a count or length beyond the bytes that remain.

use crate::hash::blake256;

use crate::ids::{Hash32, TxHash};

mod codec;

use codec::{write_var_bytes, write_var_int, Reader};

/// Serialization type: prefix and witness (what RPC `hex` fields carry).
pub const SER_FULL: u16 = 0;
/// Serialization type: prefix only (what the transaction hash covers).
pub const SER_NO_WITNESS: u16 = 1;

/// Bytes of one input in the prefix: hash 32, index 4, tree 1, sequence 4.
const MIN_PREFIX_INPUT: usize = 41;
/// Smallest output: value 8, script version 2, empty script length 1.
const MIN_OUTPUT: usize = 11;
/// Smallest witness: value 8, height 4, index 4, empty script length 1.
const MIN_WITNESS: usize = 17;

/// A previous output an input spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OutPoint {
    /// The spent transaction's hash.
    pub hash: TxHash,
    /// The spent output's index (0xffffffff for a stakebase).
    pub index: u32,
    /// The tree of the spent transaction: 0 regular, 1 stake.
    pub tree: i8,
}

/// A transaction input, prefix and witness parts together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TxIn {
    /// What this input spends.
    pub previous_outpoint: OutPoint,
    /// Sequence number.
    pub sequence: u32,
    /// Witness: the value spent, atoms.
    pub value_in: i64,
    /// Witness: height of the block holding the spent output.
    pub block_height: u32,
    /// Witness: index of the spent transaction in its block.
    pub block_index: u32,
    /// Witness: signature script.
    pub signature_script: Vec<u8>,
}

impl TxIn {
    /// The witness values `wire.NewTxIn` gives an input that is not yet filled in.
    pub const NULL_VALUE_IN: i64 = -1;
    /// See [`TxIn::NULL_VALUE_IN`].
    pub const NULL_BLOCK_INDEX: u32 = 0xffff_ffff;

    /// An input spending `previous_outpoint` with `wire.NewTxIn`'s defaults (final
    /// sequence, null witness values, empty signature script).
    pub fn new(previous_outpoint: OutPoint) -> TxIn {
        TxIn {
            previous_outpoint,
            sequence: 0xffff_ffff,
            value_in: Self::NULL_VALUE_IN,
            block_height: 0,
            block_index: Self::NULL_BLOCK_INDEX,
            signature_script: Vec::new(),
        }
    }
}

/// A transaction output.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TxOut {
    /// Value in atoms.
    pub value: i64,
    /// Script version (0 for every standard script).
    pub version: u16,
    /// Output script.
    pub pk_script: Vec<u8>,
}

impl TxOut {
    /// A version-0 output.
    pub fn new(value: i64, pk_script: Vec<u8>) -> TxOut {
        TxOut {
            value,
            version: 0,
            pk_script,
        }
    }
}

/// An HC transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// Transaction version (low 16 bits of the first word; 1 today).
    pub version: u16,
    /// Inputs.
    pub inputs: Vec<TxIn>,
    /// Outputs.
    pub outputs: Vec<TxOut>,
    /// Lock time.
    pub lock_time: u32,
    /// Expiry height (0 = none).
    pub expiry: u32,
}

impl Default for Transaction {
    fn default() -> Self {
        Transaction {
            version: 1,
            inputs: Vec::new(),
            outputs: Vec::new(),
            lock_time: 0,
            expiry: 0,
        }
    }
}

impl Transaction {
    /// Decodes a full (prefix + witness) or prefix-only serialization. A prefix-only
    /// transaction gets zero witness fields, as HC's decoder leaves them. Other
    /// serialization types (witness-only, signing forms) carry no outputs and are refused.
    pub fn decode(bytes: &[u8]) -> Result<Transaction, TxError> {
        let mut r = Reader { buf: bytes, pos: 0 };
        let word = r.u32()?;
        let version = (word & 0xffff) as u16;
        let ser_type = (word >> 16) as u16;
        if ser_type != SER_FULL && ser_type != SER_NO_WITNESS {
            return Err(TxError::UnsupportedSerType(ser_type));
        }

        let n_in = r.count("inputs", MIN_PREFIX_INPUT)?;
        let mut inputs = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            let hash = Hash32::from_bytes(r.array::<32>()?);
            let index = r.u32()?;
            let tree = r.u8()? as i8;
            let sequence = r.u32()?;
            inputs.push(TxIn {
                previous_outpoint: OutPoint { hash, index, tree },
                sequence,
                value_in: 0,
                block_height: 0,
                block_index: 0,
                signature_script: Vec::new(),
            });
        }

        let n_out = r.count("outputs", MIN_OUTPUT)?;
        let mut outputs = Vec::with_capacity(n_out);
        for _ in 0..n_out {
            let value = r.i64()?;
            let version = r.u16()?;
            let pk_script = r.var_bytes()?.to_vec();
            outputs.push(TxOut {
                value,
                version,
                pk_script,
            });
        }
        let lock_time = r.u32()?;
        let expiry = r.u32()?;

        if ser_type == SER_FULL {
            let n_wit = r.var_int()?;
            if n_wit != inputs.len() as u64 {
                return Err(TxError::WitnessCountMismatch {
                    prefix: inputs.len(),
                    witness: n_wit,
                });
            }
            for input in &mut inputs {
                input.value_in = r.i64()?;
                input.block_height = r.u32()?;
                input.block_index = r.u32()?;
                input.signature_script = r.var_bytes()?.to_vec();
            }
        }

        if r.pos != bytes.len() {
            return Err(TxError::TrailingBytes(bytes.len() - r.pos));
        }
        Ok(Transaction {
            version,
            inputs,
            outputs,
            lock_time,
            expiry,
        })
    }

    /// Decodes hex (as in RPC `hex` fields).
    pub fn decode_hex(s: &str) -> Result<Transaction, TxError> {
        let bytes = hex::decode(s.trim()).map_err(|_| TxError::BadHex)?;
        Self::decode(&bytes)
    }

    /// The full serialization (type 0: prefix then witness).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint());
        self.write_prefix(&mut out, SER_FULL);
        write_var_int(&mut out, self.inputs.len() as u64);
        for input in &self.inputs {
            out.extend_from_slice(&input.value_in.to_le_bytes());
            out.extend_from_slice(&input.block_height.to_le_bytes());
            out.extend_from_slice(&input.block_index.to_le_bytes());
            write_var_bytes(&mut out, &input.signature_script);
        }
        out
    }

    /// The prefix-only serialization (type 1), which the hash covers.
    pub fn encode_prefix(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint());
        self.write_prefix(&mut out, SER_NO_WITNESS);
        out
    }

    /// Lower-case hex of [`Transaction::encode`].
    pub fn to_hex(&self) -> String {
        hex::encode(self.encode())
    }

    /// The transaction hash: BLAKE-256 of the prefix serialization (internal byte order).
    pub fn hash(&self) -> TxHash {
        Hash32::from_bytes(blake256(&self.encode_prefix()))
    }

    fn write_prefix(&self, out: &mut Vec<u8>, ser_type: u16) {
        let word = u32::from(self.version) | (u32::from(ser_type) << 16);
        out.extend_from_slice(&word.to_le_bytes());
        write_var_int(out, self.inputs.len() as u64);
        for input in &self.inputs {
            let op = &input.previous_outpoint;
            out.extend_from_slice(op.hash.as_bytes());
            out.extend_from_slice(&op.index.to_le_bytes());
            out.push(op.tree as u8);
            out.extend_from_slice(&input.sequence.to_le_bytes());
        }
        write_var_int(out, self.outputs.len() as u64);
        for output in &self.outputs {
            out.extend_from_slice(&output.value.to_le_bytes());
            out.extend_from_slice(&output.version.to_le_bytes());
            write_var_bytes(out, &output.pk_script);
        }
        out.extend_from_slice(&self.lock_time.to_le_bytes());
        out.extend_from_slice(&self.expiry.to_le_bytes());
    }

    fn encoded_len_hint(&self) -> usize {
        let scripts: usize = self
            .outputs
            .iter()
            .map(|o| o.pk_script.len() + MIN_OUTPUT)
            .sum();
        let sigs: usize = self
            .inputs
            .iter()
            .map(|i| i.signature_script.len() + MIN_WITNESS)
            .sum();
        16 + self.inputs.len() * MIN_PREFIX_INPUT + scripts + sigs
    }
}

/// Why a transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TxError {
    /// The bytes ended inside a field.
    #[error("transaction truncated at byte {offset}")]
    Truncated {
        /// Where the unfinished field starts.
        offset: usize,
    },
    /// Bytes left after the transaction.
    #[error("{0} unexpected bytes after the transaction")]
    TrailingBytes(usize),
    /// A serialization type other than full (0) or prefix-only (1).
    #[error("unsupported transaction serialization type {0}")]
    UnsupportedSerType(u16),
    /// A variable-length integer not in its shortest form.
    #[error("non-canonical varint at byte {offset}")]
    NonCanonicalVarInt {
        /// Where the varint starts.
        offset: usize,
    },
    /// A count larger than the remaining bytes could hold.
    #[error("too many {what}: {count}")]
    TooManyItems {
        /// Inputs or outputs.
        what: &'static str,
        /// The count read.
        count: u64,
    },
    /// The witness has a different number of inputs than the prefix.
    #[error("non equal witness and prefix txin quantities (witness {witness}, prefix {prefix})")]
    WitnessCountMismatch {
        /// Inputs in the prefix.
        prefix: usize,
        /// Inputs in the witness.
        witness: u64,
    },
    /// The transaction hex is not hex.
    #[error("transaction is not valid hex")]
    BadHex,
    /// A ticket must have 1..=64 inputs.
    #[error("ticket has {0} inputs (1 to 64 allowed)")]
    TicketInputCount(usize),
    /// A ticket must have 2 × inputs + 1 outputs.
    #[error("ticket has {outputs} outputs for {inputs} inputs (want 2 × inputs + 1)")]
    TicketOutputCount {
        /// Inputs.
        inputs: usize,
        /// Outputs.
        outputs: usize,
    },
    /// A stake output uses a script version other than 0.
    #[error("output {output} has script version {version} (want 0)")]
    ScriptVersion {
        /// The output index.
        output: usize,
        /// Its version.
        version: u16,
    },
    /// Output 0 of a ticket is not an `OP_SSTX` P2PKH/P2SH script.
    #[error("output 0 is not an OP_SSTX voting output")]
    NotStakeSubmission,
    /// An odd ticket output is not a commitment.
    #[error("output {0} is not a ticket commitment")]
    BadCommitment(usize),
    /// An even ticket output (after 0) is not `OP_SSTXCHANGE`-tagged.
    #[error("output {0} is not a ticket change output")]
    BadChange(usize),
    /// The transaction is not a vote (the text says what is wrong).
    #[error("not a vote: {0}")]
    NotVote(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Transaction {
        let mut input = TxIn::new(OutPoint {
            hash: Hash32::from_bytes([7; 32]),
            index: 2,
            tree: 1,
        });
        input.signature_script = vec![1, 2, 3];
        Transaction {
            version: 1,
            inputs: vec![input],
            outputs: vec![TxOut::new(5, vec![0x6a]), TxOut::new(-1, vec![0; 300])],
            lock_time: 9,
            expiry: 10,
        }
    }

    #[test]
    fn round_trip_and_layout() {
        let tx = sample();
        let bytes = tx.encode();
        assert_eq!(&bytes[..4], &[1, 0, 0, 0], "version 1, full");
        assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
        assert_eq!(Transaction::decode_hex(&tx.to_hex()), Ok(tx.clone()));
        let prefix = tx.encode_prefix();
        assert_eq!(&prefix[..4], &[1, 0, 1, 0], "serType 1 in the upper half");
        assert_eq!(
            bytes.get(4..prefix.len()),
            prefix.get(4..),
            "full starts with the prefix"
        );
        let mut stripped = Transaction::decode(&prefix).expect("prefix decodes");
        assert_eq!(stripped.inputs[0].signature_script, Vec::<u8>::new());
        assert_eq!(stripped.hash(), tx.hash(), "witness is not hashed");
        stripped.inputs[0].previous_outpoint.index = 3;
        assert_ne!(stripped.hash(), tx.hash());
    }

    #[test]
    fn hash_is_blake256_of_prefix() {
        let tx = Transaction::default();
        // Empty version-1 prefix: 01 00 01 00, no inputs, no outputs, lock 0, expiry 0.
        assert_eq!(
            tx.encode_prefix(),
            hex::decode("0100010000000000000000000000").expect("hex")
        );
        assert_eq!(tx.hash().as_bytes(), &blake256(&tx.encode_prefix()));
    }

    #[test]
    fn errors() {
        let bytes = sample().encode();
        assert_eq!(
            Transaction::decode(&[]),
            Err(TxError::Truncated { offset: 0 })
        );
        assert!(matches!(
            Transaction::decode(&bytes[..bytes.len() - 1]),
            Err(TxError::Truncated { .. })
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(
            Transaction::decode(&trailing),
            Err(TxError::TrailingBytes(1))
        );
        let mut ser2 = bytes.clone();
        ser2[2] = 2;
        assert_eq!(
            Transaction::decode(&ser2),
            Err(TxError::UnsupportedSerType(2))
        );
        // Input count 0xfd 0x01 0x00 = 1 in non-canonical form.
        let mut noncanon = bytes[..4].to_vec();
        noncanon.extend_from_slice(&[0xfd, 0x01, 0x00]);
        noncanon.extend_from_slice(&bytes[5..]);
        assert_eq!(
            Transaction::decode(&noncanon),
            Err(TxError::NonCanonicalVarInt { offset: 4 })
        );
        let mut many = bytes[..4].to_vec();
        many.extend_from_slice(&[0xff, 0, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            Transaction::decode(&many),
            Err(TxError::TooManyItems {
                what: "inputs",
                count: 1 << 32
            })
        );
        // Witness count 2 for one input: the byte right after lock time and expiry.
        let mut wit = bytes.clone();
        let at = sample().encode_prefix().len();
        assert_eq!(wit[at], 1);
        wit[at] = 2;
        assert_eq!(
            Transaction::decode(&wit),
            Err(TxError::WitnessCountMismatch {
                prefix: 1,
                witness: 2
            })
        );
        assert_eq!(Transaction::decode_hex("zz"), Err(TxError::BadHex));
        // A script length far beyond the data.
        let mut long = bytes[..4].to_vec();
        long.extend_from_slice(&[0x00, 0x01]);
        long.extend_from_slice(&[0; 10]);
        long.extend_from_slice(&[0xff, 0, 0, 0, 0, 0, 0, 0, 0x80]);
        assert!(matches!(
            Transaction::decode(&long),
            Err(TxError::Truncated { .. })
        ));
    }
}

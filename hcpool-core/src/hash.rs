//! The chain's hash functions (hc-chain-facts.md §2).
//!
//! HC hashes with the 14-round BLAKE-256 (the SHA-3 finalist) where Bitcoin uses SHA-256:
//! `chainhash.HashB` is one BLAKE-256, checksums are BLAKE-256 twice, and `Hash160` is
//! RIPEMD-160 over BLAKE-256.

use bitcoin::hashes::{ripemd160, Hash};
use blake_hash::{Blake256, Digest};

/// BLAKE-256 of `data` (`chainhash.HashB`).
pub fn blake256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Blake256::digest(data));
    out
}

/// BLAKE-256 of BLAKE-256 of `data`; the first 4 bytes are base58check checksums.
pub fn blake256d(data: &[u8]) -> [u8; 32] {
    blake256(&blake256(data))
}

/// RIPEMD-160 of BLAKE-256 of `data` (`hcutil.Hash160`): P2PKH and P2SH payloads and the
/// HD parent fingerprint.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    ripemd160::Hash::hash(&blake256(data)).to_byte_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input() {
        assert_eq!(
            hex::encode(blake256(b"")),
            "716f6e863f744b9ac22c97ec7b76ea5f5908bc5b2f67c61510bfc4751384ea7a"
        );
        assert_eq!(blake256d(b""), blake256(&blake256(b"")));
        assert_eq!(
            hex::encode(hash160(b"")),
            "413320bee32a3bdb92b145d337316739d54a9287"
        );
    }
}

//! The simulated 180-byte block header (hcwallet-rpc.md §2.3 layout).

use hcpool_core::Hash32;

use hcpool_core::hash::blake256;

/// Fields of a simulated block header.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// Previous block (internal order).
    pub prev: [u8; 32],
    /// Votes in the block.
    pub voters: u16,
    /// Tickets in the block.
    pub fresh_stake: u8,
    /// Revocations in the block.
    pub revocations: u8,
    /// Live ticket count.
    pub pool_size: u32,
    /// Stake difficulty (atoms).
    pub sbits: i64,
    /// Height.
    pub height: u32,
    /// Timestamp.
    pub timestamp: u32,
}

impl Header {
    /// The 180-byte serialization (hcwallet-rpc.md §2.3 layout).
    pub fn serialize(&self) -> [u8; 180] {
        let mut b = [0u8; 180];
        // Block version 7, as hcd's simnet blocks.
        b[0..4].copy_from_slice(&7i32.to_le_bytes());
        b[4..36].copy_from_slice(&self.prev);
        b[100..102].copy_from_slice(&1u16.to_le_bytes());
        b[108..110].copy_from_slice(&self.voters.to_le_bytes());
        b[110] = self.fresh_stake;
        b[111] = self.revocations;
        b[112..116].copy_from_slice(&self.pool_size.to_le_bytes());
        b[116..120].copy_from_slice(&0x207f_ffffu32.to_le_bytes());
        b[120..128].copy_from_slice(&self.sbits.to_le_bytes());
        b[128..132].copy_from_slice(&self.height.to_le_bytes());
        b[136..140].copy_from_slice(&self.timestamp.to_le_bytes());
        b[140..144].copy_from_slice(&self.height.to_le_bytes());
        b
    }

    /// The block hash: BLAKE-256 of the serialization.
    pub fn hash(&self) -> Hash32 {
        Hash32::from_bytes(blake256(&self.serialize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_has_height_at_128() {
        let h = Header {
            height: 1000,
            ..Header::default()
        };
        let b = h.serialize();
        assert_eq!(&b[128..132], &1000u32.to_le_bytes());
        assert_ne!(h.hash(), Header::default().hash());
    }
}

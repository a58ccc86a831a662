//! Stake transactions: tagged output scripts, tickets (SStx) with their commitments, and
//! votes (SSGen) (hc-chain-facts.md §5.1–5.5).
//!
//! HC's stake scripts differ from Decred's in two places that matter here: P2PKH stake
//! outputs use the "alt" form `… OP_EQUALVERIFY OP_0 OP_CHECKSIGALT` (OP_4 for bliss), and a
//! ticket commitment is a 31-byte push with a signature-suite byte before the amount.

mod ticket;
mod vote;

pub use ticket::{build_pool_ticket, Commitment, FeeLimits, PoolTicketSpec, Ticket};
pub use vote::{
    block_ref_script, build_vote, calculate_rewards, parse_votebits_script, votebits_script, Vote,
    VoteSpec,
};

use crate::address::Address;
use crate::params::Network;

/// The opcodes stake scripts use.
pub mod op {
    /// Push an empty item (also signature suite 0 in alt scripts).
    pub const OP_0: u8 = 0x00;
    /// Push the next byte's count of bytes.
    pub const OP_PUSHDATA1: u8 = 0x4c;
    /// Push the number 4 (signature suite 4, bliss, in alt scripts).
    pub const OP_4: u8 = 0x54;
    /// Null data.
    pub const OP_RETURN: u8 = 0x6a;
    /// Duplicate the top item.
    pub const OP_DUP: u8 = 0x76;
    /// Equality.
    pub const OP_EQUAL: u8 = 0x87;
    /// Equality, then verify.
    pub const OP_EQUALVERIFY: u8 = 0x88;
    /// RIPEMD160(BLAKE-256(x)).
    pub const OP_HASH160: u8 = 0xa9;
    /// secp256k1 signature check.
    pub const OP_CHECKSIG: u8 = 0xac;
    /// Ticket voting output tag.
    pub const OP_SSTX: u8 = 0xba;
    /// Vote payout tag.
    pub const OP_SSGEN: u8 = 0xbb;
    /// Revocation payout tag.
    pub const OP_SSRTX: u8 = 0xbc;
    /// Ticket change tag.
    pub const OP_SSTXCHANGE: u8 = 0xbd;
    /// Signature check with a suite selector.
    pub const OP_CHECKSIGALT: u8 = 0xbe;
    /// Push 20 bytes.
    pub const OP_DATA_20: u8 = 0x14;
}

/// Which stake opcode tags an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StakeTag {
    /// `OP_SSTX`: a ticket's voting output.
    SStx,
    /// `OP_SSGEN`: a vote's payout.
    SSGen,
    /// `OP_SSRTX`: a revocation's payout.
    SSRtx,
    /// `OP_SSTXCHANGE`: a ticket's change.
    SStxChange,
}

impl StakeTag {
    /// The opcode.
    pub const fn opcode(self) -> u8 {
        match self {
            StakeTag::SStx => op::OP_SSTX,
            StakeTag::SSGen => op::OP_SSGEN,
            StakeTag::SSRtx => op::OP_SSRTX,
            StakeTag::SStxChange => op::OP_SSTXCHANGE,
        }
    }

    /// The tag of an opcode.
    pub const fn from_opcode(b: u8) -> Option<StakeTag> {
        match b {
            op::OP_SSTX => Some(StakeTag::SStx),
            op::OP_SSGEN => Some(StakeTag::SSGen),
            op::OP_SSRTX => Some(StakeTag::SSRtx),
            op::OP_SSTXCHANGE => Some(StakeTag::SStxChange),
            _ => None,
        }
    }
}

/// Where a stake output pays: the address kinds HC's stake builders accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StakeAddress {
    /// secp256k1 P2PKH (signature suite 0).
    Secp256k1([u8; 20]),
    /// BLISS P2PKH (signature suite 4).
    Bliss([u8; 20]),
    /// P2SH.
    ScriptHash([u8; 20]),
}

impl StakeAddress {
    /// The 20-byte hash.
    pub const fn hash(&self) -> &[u8; 20] {
        match self {
            StakeAddress::Secp256k1(h) | StakeAddress::Bliss(h) | StakeAddress::ScriptHash(h) => h,
        }
    }

    /// Whether this is P2SH.
    pub const fn is_p2sh(&self) -> bool {
        matches!(self, StakeAddress::ScriptHash(_))
    }

    /// The address on `network`; `None` for bliss, which [`Address`] does not model.
    pub fn to_address(&self, network: Network) -> Option<Address> {
        match *self {
            StakeAddress::Secp256k1(h) => Some(Address::p2pkh(network, h)),
            StakeAddress::ScriptHash(h) => Some(Address::p2sh(network, h)),
            StakeAddress::Bliss(_) => None,
        }
    }
}

/// A recognised stake-tagged output script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StakeOutput {
    /// The tag.
    pub tag: StakeTag,
    /// Where it pays.
    pub address: StakeAddress,
    /// For P2PKH: whether the script uses the plain `OP_CHECKSIG` form rather than HC's
    /// `OP_CHECKSIGALT` form (consensus accepts both).
    pub plain_checksig: bool,
}

impl StakeOutput {
    /// Recognises `tag ‖ P2PKH` (plain, or alt with suite OP_0/OP_4) or `tag ‖ P2SH`, as
    /// `isStakeSubmission` and its siblings do.
    pub fn parse(script: &[u8]) -> Option<StakeOutput> {
        let (&tag, rest) = script.split_first()?;
        let tag = StakeTag::from_opcode(tag)?;
        let (address, plain_checksig) = match rest {
            [op::OP_DUP, op::OP_HASH160, op::OP_DATA_20, h @ .., op::OP_EQUALVERIFY, op::OP_CHECKSIG]
                if h.len() == 20 =>
            {
                (StakeAddress::Secp256k1(h.try_into().ok()?), true)
            }
            [op::OP_DUP, op::OP_HASH160, op::OP_DATA_20, h @ .., op::OP_EQUALVERIFY, suite, op::OP_CHECKSIGALT]
                if h.len() == 20 =>
            {
                let hash = h.try_into().ok()?;
                match *suite {
                    op::OP_0 => (StakeAddress::Secp256k1(hash), false),
                    op::OP_4 => (StakeAddress::Bliss(hash), false),
                    _ => return None,
                }
            }
            [op::OP_HASH160, op::OP_DATA_20, h @ .., op::OP_EQUAL] if h.len() == 20 => {
                (StakeAddress::ScriptHash(h.try_into().ok()?), false)
            }
            _ => return None,
        };
        Some(StakeOutput {
            tag,
            address,
            plain_checksig,
        })
    }

    /// The script bytes.
    pub fn script(&self) -> Vec<u8> {
        let mut s = Vec::with_capacity(27);
        s.push(self.tag.opcode());
        match self.address {
            StakeAddress::ScriptHash(h) => {
                s.extend_from_slice(&[op::OP_HASH160, op::OP_DATA_20]);
                s.extend_from_slice(&h);
                s.push(op::OP_EQUAL);
            }
            StakeAddress::Secp256k1(h) | StakeAddress::Bliss(h) => {
                s.extend_from_slice(&[op::OP_DUP, op::OP_HASH160, op::OP_DATA_20]);
                s.extend_from_slice(&h);
                s.push(op::OP_EQUALVERIFY);
                match self.address {
                    StakeAddress::Bliss(_) => s.extend_from_slice(&[op::OP_4, op::OP_CHECKSIGALT]),
                    _ if self.plain_checksig => s.push(op::OP_CHECKSIG),
                    _ => s.extend_from_slice(&[op::OP_0, op::OP_CHECKSIGALT]),
                }
            }
        }
        s
    }
}

/// HC's builder form for `tag`: alt P2PKH (OP_0 or OP_4 suite) or P2SH.
fn hc_form(tag: StakeTag, address: &StakeAddress) -> Vec<u8> {
    StakeOutput {
        tag,
        address: *address,
        plain_checksig: false,
    }
    .script()
}

/// `PayToSStx`: a ticket's voting output.
pub fn pay_to_sstx(address: &StakeAddress) -> Vec<u8> {
    hc_form(StakeTag::SStx, address)
}

/// `PayToSStxChange`: a ticket's change output.
pub fn pay_to_sstx_change(address: &StakeAddress) -> Vec<u8> {
    hc_form(StakeTag::SStxChange, address)
}

/// `PayToSSGen`: a vote's payout.
pub fn pay_to_ssgen(address: &StakeAddress) -> Vec<u8> {
    hc_form(StakeTag::SSGen, address)
}

/// `PayToSSRtx`: a revocation's payout. HC emits the plain `OP_CHECKSIG` form for secp
/// keys and refuses bliss (`None`).
pub fn pay_to_ssrtx(address: &StakeAddress) -> Option<Vec<u8>> {
    match address {
        StakeAddress::Bliss(_) => None,
        _ => Some(
            StakeOutput {
                tag: StakeTag::SSRtx,
                address: *address,
                plain_checksig: true,
            }
            .script(),
        ),
    }
}

/// Appends a minimal push of `data` (`ScriptBuilder.AddData`) for the sizes stake scripts
/// use (up to 255 bytes); returns `false` for longer data.
pub(crate) fn push_data(out: &mut Vec<u8>, data: &[u8]) -> bool {
    match data.len() {
        0..=75 => out.push(data.len() as u8),
        76..=255 => out.extend_from_slice(&[op::OP_PUSHDATA1, data.len() as u8]),
        _ => return false,
    }
    out.extend_from_slice(data);
    true
}

/// `OP_RETURN` followed by exactly one data push covering the rest of the script: the data.
pub(crate) fn null_data(script: &[u8]) -> Option<&[u8]> {
    let rest = match script {
        [op::OP_RETURN, rest @ ..] => rest,
        _ => return None,
    };
    let (&opcode, rest) = rest.split_first()?;
    let data = match opcode {
        0..=75 => rest,
        op::OP_PUSHDATA1 => {
            let (&n, data) = rest.split_first()?;
            if usize::from(n) != data.len() {
                return None;
            }
            data
        }
        0x4d => {
            let (len, data) = (rest.get(..2)?, rest.get(2..)?);
            if usize::from(u16::from_le_bytes([len[0], len[1]])) != data.len() {
                return None;
            }
            data
        }
        _ => return None,
    };
    if opcode <= 75 && usize::from(opcode) != data.len() {
        return None;
    }
    Some(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_form() {
        let h = [0x11; 20];
        for address in [
            StakeAddress::Secp256k1(h),
            StakeAddress::Bliss(h),
            StakeAddress::ScriptHash(h),
        ] {
            for tag in [
                StakeTag::SStx,
                StakeTag::SSGen,
                StakeTag::SSRtx,
                StakeTag::SStxChange,
            ] {
                for plain in [false, true] {
                    let out = StakeOutput {
                        tag,
                        address,
                        plain_checksig: plain && matches!(address, StakeAddress::Secp256k1(_)),
                    };
                    assert_eq!(StakeOutput::parse(&out.script()), Some(out), "{out:?}");
                }
            }
        }
    }

    #[test]
    fn parse_refuses_other_scripts() {
        let good = pay_to_sstx(&StakeAddress::Secp256k1([1; 20]));
        assert!(StakeOutput::parse(&good).is_some());
        let mut edwards = good.clone();
        edwards[24] = 0x51; // OP_1 suite
        assert_eq!(StakeOutput::parse(&edwards), None);
        let mut untagged = good.clone();
        untagged[0] = 0x76;
        assert_eq!(StakeOutput::parse(&untagged), None);
        assert_eq!(StakeOutput::parse(&good[..good.len() - 1]), None);
        assert_eq!(StakeOutput::parse(&[]), None);
        assert_eq!(StakeOutput::parse(&[op::OP_SSTX]), None);
        assert_eq!(pay_to_ssrtx(&StakeAddress::Bliss([1; 20])), None);
    }

    #[test]
    fn null_data_pushes() {
        assert_eq!(null_data(&[0x6a, 0x02, 1, 2]), Some(&[1u8, 2][..]));
        assert_eq!(null_data(&[0x6a, 0x02, 1]), None);
        assert_eq!(null_data(&[0x6a, 0x4c, 1, 9]), Some(&[9u8][..]));
        assert_eq!(null_data(&[0x6a, 0x4c, 2, 9]), None);
        assert_eq!(null_data(&[0x6a, 0x4d, 1, 0, 9]), Some(&[9u8][..]));
        assert_eq!(null_data(&[0x6a, 0x4d, 1]), None);
        assert_eq!(null_data(&[0x6a, 0x4e, 1, 0, 0, 0, 9]), None);
        assert_eq!(null_data(&[0x6a]), None);
        assert_eq!(null_data(&[0x76, 0x00]), None);
        let mut out = Vec::new();
        assert!(push_data(&mut out, &[7; 76]));
        assert_eq!(&out[..2], &[0x4c, 76]);
        assert!(!push_data(&mut out, &[7; 256]));
    }
}

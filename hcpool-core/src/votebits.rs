//! Votebits and agenda validation (hc-chain-facts.md §6).
//!
//! A vote carries 16 votebits: bit 0 approves the previous block's regular transactions,
//! the other bits belong to the agendas of the wallets' vote version through their masks.
//! The pool's rule ([`VoteBits::is_valid_for`]) is hcstakepool's `IsValidVoteBits`, which is
//! stricter than consensus: bit 0 must be set and no bit outside the agendas may be set.

use std::fmt;

use crate::util::{truncate, ECHO_MAX};

use crate::params::{Agenda, Choice};

/// A vote's 16 votebits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct VoteBits(pub u16);

impl VoteBits {
    /// Bit 0 (`hcutil.BlockValid`): approve the previous block's regular transaction tree.
    pub const BLOCK_VALID: u16 = 0x0001;

    /// What a new user gets and what invalid stored votebits are reset to.
    pub const DEFAULT: VoteBits = VoteBits(Self::BLOCK_VALID);

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether bit 0 (approve the previous block) is set.
    pub const fn approves_previous_block(self) -> bool {
        self.0 & Self::BLOCK_VALID != 0
    }

    /// hcstakepool's `IsValidVoteBits`: `1` is always valid; otherwise bit 0 must be set,
    /// every agenda's masked bits must equal one of its choices, and no bit may be set
    /// outside bit 0 and the choices' bits.
    pub fn is_valid_for(self, agendas: &[Agenda]) -> bool {
        if self == Self::DEFAULT {
            return true;
        }
        if !self.approves_previous_block() {
            return false;
        }
        let mut used = Self::BLOCK_VALID;
        for agenda in agendas {
            let masked = self.0 & agenda.mask;
            let mut matched = false;
            for choice in agenda.choices {
                used |= choice.bits;
                matched |= masked == choice.bits;
            }
            if !matched {
                return false;
            }
        }
        self.0 & !used == 0
    }

    /// Like [`VoteBits::is_valid_for`], as a `Result`.
    pub fn validate(self, agendas: &[Agenda]) -> Result<(), VoteBitsError> {
        if self.is_valid_for(agendas) {
            Ok(())
        } else {
            Err(VoteBitsError::Invalid { bits: self.0 })
        }
    }

    /// For display: every agenda with the choice these bits select (`None` when the masked
    /// bits match no choice, as `Vote.VoteIndex` returning −1).
    pub fn decode(self, agendas: &[Agenda]) -> Vec<(&Agenda, Option<&Choice>)> {
        agendas
            .iter()
            .map(|agenda| {
                let masked = self.0 & agenda.mask;
                (agenda, agenda.choices.iter().find(|c| c.bits == masked))
            })
            .collect()
    }

    /// Builds votebits from `(agenda id, choice id)` pairs as the web form does
    /// (`1 | Σ choice bits`); agendas not named keep their zero bits (usually abstain).
    /// The result is checked with [`VoteBits::validate`].
    pub fn encode(
        selected: &[(&str, &str)],
        agendas: &[Agenda],
    ) -> Result<VoteBits, VoteBitsError> {
        let mut bits = Self::BLOCK_VALID;
        let mut seen: Vec<&str> = Vec::with_capacity(selected.len());
        for &(agenda_id, choice_id) in selected {
            if seen.contains(&agenda_id) {
                return Err(VoteBitsError::DuplicateAgenda(truncate(
                    agenda_id, ECHO_MAX,
                )));
            }
            seen.push(agenda_id);
            let agenda = agendas
                .iter()
                .find(|a| a.id == agenda_id)
                .ok_or_else(|| VoteBitsError::UnknownAgenda(truncate(agenda_id, ECHO_MAX)))?;
            let choice = agenda
                .choices
                .iter()
                .find(|c| c.id == choice_id)
                .ok_or_else(|| VoteBitsError::UnknownChoice {
                    agenda: agenda.id.to_owned(),
                    choice: truncate(choice_id, ECHO_MAX),
                })?;
            bits |= choice.bits;
        }
        let vb = VoteBits(bits);
        vb.validate(agendas)?;
        Ok(vb)
    }

    /// Every votebits value valid for `agendas`, ascending. The store resets any stored
    /// value outside this list to [`VoteBits::DEFAULT`].
    pub fn all_valid(agendas: &[Agenda]) -> Vec<VoteBits> {
        // 65536 candidates is cheap and exact, whatever the agendas look like.
        (0..=u16::MAX)
            .map(VoteBits)
            .filter(|vb| vb.is_valid_for(agendas))
            .collect()
    }
}

impl Default for VoteBits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for VoteBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u16> for VoteBits {
    fn from(bits: u16) -> Self {
        VoteBits(bits)
    }
}

/// Parses the API's `VoteBits` form value as hcstakepool does: Go's `strconv.Atoi` (optional
/// sign, decimal digits, 64-bit range) then `uint16(...)`, so values wrap (65537 → 1,
/// −65535 → 1). Validity is not checked here.
pub fn parse_api_votebits(s: &str) -> Result<VoteBits, VoteBitsError> {
    let n: i64 = s.parse().map_err(|_| VoteBitsError::NotAnInteger)?;
    // Truncation to the low 16 bits is the point: it is what `uint16(int)` does in Go.
    Ok(VoteBits(n as u16))
}

/// The extended votebits a wallet sends with its votes (`votebitsextended`): hcwallet
/// writes the vote version as 4 little-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtendedVoteBits(Vec<u8>);

impl ExtendedVoteBits {
    /// The most extended bytes a valid vote can carry: its votebits script is at most 77
    /// bytes (`OP_RETURN`, push byte, 2 votebits bytes, then these). HC's
    /// `SSGenVoteBitsExtendedMaxSize` says 75, but a vote carrying 74 or 75 would fail
    /// `IsSSGen`'s 77-byte script limit.
    pub const MAX_LEN: usize = 73;

    /// The wallet's form: LE32 of the vote version.
    pub fn from_vote_version(vote_version: u32) -> Self {
        ExtendedVoteBits(vote_version.to_le_bytes().to_vec())
    }

    /// From raw bytes (at most [`ExtendedVoteBits::MAX_LEN`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VoteBitsError> {
        if bytes.len() > Self::MAX_LEN {
            return Err(VoteBitsError::ExtendedTooLong(bytes.len()));
        }
        Ok(ExtendedVoteBits(bytes.to_vec()))
    }

    /// From hex as `walletinfo` reports it (e.g. `07000000`).
    pub fn from_hex(s: &str) -> Result<Self, VoteBitsError> {
        let bytes =
            hex::decode(s).map_err(|_| VoteBitsError::BadExtendedHex(truncate(s, ECHO_MAX)))?;
        Self::from_bytes(&bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The vote version as `SSGenVersion` reads it: the first 4 bytes little-endian, 0 when
    /// there are fewer.
    pub fn vote_version(&self) -> u32 {
        match self.0.get(..4) {
            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
            _ => 0,
        }
    }
}

impl fmt::Display for ExtendedVoteBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why votebits were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoteBitsError {
    /// The API value is not a decimal integer (hcstakepool's exact text).
    #[error("unable to convert votebits to uint16")]
    NotAnInteger,
    /// The bits are not valid for the current agendas (hcstakepool's exact text).
    #[error("votebits invalid for current agendas")]
    Invalid {
        /// The refused bits.
        bits: u16,
    },
    /// An agenda id that the vote version does not have.
    #[error("unknown agenda {0:?}")]
    UnknownAgenda(String),
    /// A choice id that the agenda does not have.
    #[error("agenda {agenda:?} has no choice {choice:?}")]
    UnknownChoice {
        /// The agenda.
        agenda: String,
        /// The unknown choice.
        choice: String,
    },
    /// The same agenda was given twice.
    #[error("agenda {0:?} given more than once")]
    DuplicateAgenda(String),
    /// Extended votebits longer than a vote can carry.
    #[error("extended votebits too long: {0} bytes (at most 73)")]
    ExtendedTooLong(usize),
    /// Extended votebits that are not hex.
    #[error("extended votebits {0:?} are not hex")]
    BadExtendedHex(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Network;

    fn v7() -> &'static [Agenda] {
        Network::Testnet.params().agendas(7)
    }

    #[test]
    fn default_is_one_and_valid_everywhere() {
        assert_eq!(VoteBits::DEFAULT.bits(), 1);
        assert_eq!(VoteBits::default(), VoteBits(1));
        assert!(VoteBits::DEFAULT.is_valid_for(&[]));
        assert!(VoteBits::DEFAULT.is_valid_for(v7()));
    }

    #[test]
    fn validate_reports_the_bits() {
        assert_eq!(
            VoteBits(7).validate(v7()),
            Err(VoteBitsError::Invalid { bits: 7 })
        );
        assert_eq!(
            VoteBitsError::Invalid { bits: 7 }.to_string(),
            "votebits invalid for current agendas"
        );
        assert!(VoteBits(5).validate(v7()).is_ok());
    }

    #[test]
    fn all_valid_is_exact() {
        assert_eq!(VoteBits::all_valid(&[]), vec![VoteBits(1)]);
        assert_eq!(
            VoteBits::all_valid(v7()),
            vec![VoteBits(1), VoteBits(3), VoteBits(5)]
        );
    }

    #[test]
    fn decode_names_choices() {
        let d = VoteBits(5).decode(v7());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0.id, "maxblocksize");
        assert_eq!(d[0].1.map(|c| c.id), Some("yes"));
        let d = VoteBits(7).decode(v7());
        assert_eq!(d[0].1, None);
        let d = VoteBits(1).decode(v7());
        assert_eq!(d[0].1.map(|c| c.id), Some("abstain"));
    }

    #[test]
    fn encode_and_its_errors() {
        assert_eq!(VoteBits::encode(&[], v7()), Ok(VoteBits(1)));
        assert_eq!(
            VoteBits::encode(&[("maxblocksize", "no")], v7()),
            Ok(VoteBits(3))
        );
        assert_eq!(
            VoteBits::encode(&[("nope", "yes")], v7()),
            Err(VoteBitsError::UnknownAgenda("nope".into()))
        );
        assert_eq!(
            VoteBits::encode(&[("maxblocksize", "maybe")], v7()),
            Err(VoteBitsError::UnknownChoice {
                agenda: "maxblocksize".into(),
                choice: "maybe".into()
            })
        );
        assert_eq!(
            VoteBits::encode(&[("maxblocksize", "no"), ("maxblocksize", "yes")], v7()),
            Err(VoteBitsError::DuplicateAgenda("maxblocksize".into()))
        );
    }

    #[test]
    fn encode_rejects_overlapping_agendas() {
        static CHOICES: &[Choice] = &[Choice {
            id: "on",
            description: "",
            bits: 0x0002,
            is_abstain: false,
            is_no: false,
        }];
        static OVERLAP: &[Agenda] = &[
            Agenda {
                id: "a",
                description: "",
                mask: 0x0002,
                start_time: 0,
                expire_time: 0,
                choices: CHOICES,
            },
            Agenda {
                id: "b",
                description: "",
                mask: 0x0006,
                start_time: 0,
                expire_time: 0,
                choices: CHOICES,
            },
        ];
        assert_eq!(
            VoteBits::encode(&[("a", "on")], OVERLAP),
            Ok(VoteBits(3)),
            "b's masked bits 0x2 also match its own choice"
        );
        assert!(VoteBits(1).is_valid_for(OVERLAP));
        assert!(!VoteBits(5).is_valid_for(OVERLAP));
    }

    #[test]
    fn api_parse_wraps_like_go() {
        let ok = |s: &str| parse_api_votebits(s).map(|v| v.bits());
        assert_eq!(ok("1"), Ok(1));
        assert_eq!(ok("+5"), Ok(5));
        assert_eq!(ok("65537"), Ok(1));
        assert_eq!(ok("-65535"), Ok(1));
        assert_eq!(ok("-1"), Ok(0xffff));
        assert_eq!(ok("9223372036854775807"), Ok(0xffff));
        for bad in [
            "",
            " 1",
            "1 ",
            "0x1",
            "1.0",
            "abc",
            "+",
            "-",
            "1_0",
            "9223372036854775808",
        ] {
            assert_eq!(
                parse_api_votebits(bad),
                Err(VoteBitsError::NotAnInteger),
                "{bad:?}"
            );
        }
        assert_eq!(
            VoteBitsError::NotAnInteger.to_string(),
            "unable to convert votebits to uint16"
        );
    }

    #[test]
    fn extended_votebits() {
        let e = ExtendedVoteBits::from_vote_version(7);
        assert_eq!(e.to_hex(), "07000000");
        assert_eq!(e.vote_version(), 7);
        assert_eq!(ExtendedVoteBits::from_hex("07000000"), Ok(e.clone()));
        assert_eq!(e.to_string(), "07000000");
        assert_eq!(
            ExtendedVoteBits::from_hex("0700").map(|e| e.vote_version()),
            Ok(0)
        );
        assert_eq!(
            ExtendedVoteBits::from_hex("zz"),
            Err(VoteBitsError::BadExtendedHex("zz".into()))
        );
        assert_eq!(
            ExtendedVoteBits::from_bytes(&[0u8; 74]),
            Err(VoteBitsError::ExtendedTooLong(74))
        );
        assert!(ExtendedVoteBits::from_bytes(&[0u8; 73]).is_ok());
    }
}

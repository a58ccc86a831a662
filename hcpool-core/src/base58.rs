//! Base58 and HC's base58check (hc-chain-facts.md §2).
//!
//! The alphabet and the big-integer encoding are Bitcoin's. HC's check variant differs:
//! the version is always **2 bytes** and the checksum is the first 4 bytes of
//! BLAKE-256(BLAKE-256(version ‖ payload)).

use crate::hash::blake256d;

/// Longest string the decoders accept. Base58 decoding is quadratic; the longest valid
/// HC string (a bliss extended public key) is under 1,300 characters.
pub const MAX_DECODE_LEN: usize = 2048;

/// Why a base58 or base58check string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base58Error {
    /// A character outside the base58 alphabet.
    #[error("invalid base58 character {0:?}")]
    InvalidCharacter(char),
    /// The decoded bytes are too short to hold a version and a checksum.
    #[error("base58check data too short: {len} bytes, need at least {min}")]
    TooShort {
        /// Decoded length.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// The string is longer than [`MAX_DECODE_LEN`].
    #[error("base58 string too long: {0} characters")]
    TooLong(usize),
    /// The checksum does not match the data.
    #[error("checksum mismatch")]
    ChecksumMismatch,
}

/// Encodes bytes as base58 (one `1` per leading zero byte).
pub fn encode(data: &[u8]) -> String {
    bitcoin::base58::encode(data)
}

/// Decodes a base58 string.
pub fn decode(s: &str) -> Result<Vec<u8>, Base58Error> {
    if s.len() > MAX_DECODE_LEN {
        return Err(Base58Error::TooLong(s.len()));
    }
    bitcoin::base58::decode(s).map_err(|_| {
        let bad = s
            .chars()
            .find(|c| !c.is_ascii() || bitcoin::base58::decode(&c.to_string()).is_err())
            .unwrap_or('?');
        Base58Error::InvalidCharacter(bad)
    })
}

/// The 4-byte checksum HC appends: BLAKE-256d, first 4 bytes.
pub fn checksum(data: &[u8]) -> [u8; 4] {
    let h = blake256d(data);
    [h[0], h[1], h[2], h[3]]
}

/// Appends the checksum to `data` and encodes (extended keys: no separate version).
pub fn encode_with_checksum(data: &[u8]) -> String {
    let mut buf = Vec::with_capacity(data.len() + 4);
    buf.extend_from_slice(data);
    buf.extend_from_slice(&checksum(data));
    encode(&buf)
}

/// Decodes and verifies a trailing 4-byte checksum; returns the data without it.
pub fn decode_with_checksum(s: &str) -> Result<Vec<u8>, Base58Error> {
    let mut raw = decode(s)?;
    if raw.len() < 4 {
        return Err(Base58Error::TooShort {
            len: raw.len(),
            min: 4,
        });
    }
    let split = raw.len() - 4;
    let (data, sum) = raw.split_at(split);
    if checksum(data) != sum {
        return Err(Base58Error::ChecksumMismatch);
    }
    raw.truncate(split);
    Ok(raw)
}

/// HC base58check: `base58(version ‖ payload ‖ BLAKE256d(version ‖ payload)[..4])`.
pub fn check_encode(version: [u8; 2], payload: &[u8]) -> String {
    let mut buf = Vec::with_capacity(payload.len() + 6);
    buf.extend_from_slice(&version);
    buf.extend_from_slice(payload);
    let sum = checksum(&buf);
    buf.extend_from_slice(&sum);
    encode(&buf)
}

/// Decodes HC base58check into its 2-byte version and payload.
///
/// Needs at least 6 decoded bytes (version and checksum), as hcd's `CheckDecode` does.
pub fn check_decode(s: &str) -> Result<([u8; 2], Vec<u8>), Base58Error> {
    let raw = decode(s)?;
    if raw.len() < 6 {
        return Err(Base58Error::TooShort {
            len: raw.len(),
            min: 6,
        });
    }
    let split = raw.len() - 4;
    let (data, sum) = raw.split_at(split);
    if checksum(data) != sum {
        return Err(Base58Error::ChecksumMismatch);
    }
    let version = [data[0], data[1]];
    Ok((version, data[2..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_round_trip_and_errors() {
        let s = check_encode([20, 0], b"abc");
        assert_eq!(s, "FmT72s9HXyp6");
        assert_eq!(check_decode(&s), Ok(([20, 0], b"abc".to_vec())));
        assert_eq!(check_decode("Axk2WA6M"), Err(Base58Error::ChecksumMismatch));
        assert_eq!(
            check_decode("Axk2W0"),
            Err(Base58Error::InvalidCharacter('0'))
        );
        assert!(matches!(
            check_decode("2g"),
            Err(Base58Error::TooShort { len: 1, min: 6 })
        ));
        assert_eq!(
            check_decode(""),
            Err(Base58Error::TooShort { len: 0, min: 6 })
        );
        let long = "1".repeat(MAX_DECODE_LEN + 1);
        assert_eq!(decode(&long), Err(Base58Error::TooLong(MAX_DECODE_LEN + 1)));
        assert_eq!(decode("é"), Err(Base58Error::InvalidCharacter('é')));
    }

    #[test]
    fn with_checksum_round_trip() {
        let s = encode_with_checksum(&[1, 2, 3]);
        assert_eq!(decode_with_checksum(&s), Ok(vec![1, 2, 3]));
        assert!(decode_with_checksum("1").is_err());
    }
}

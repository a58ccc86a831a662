//! Identifiers and small value types shared by the whole crate.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A pool user's id (`Users.UserId`). Real users start at 1; the id is also the derivation
/// index of the user's ticket and fee addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct UserId(pub u64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A 32-byte chain hash (transaction or block) in internal byte order.
///
/// HC shows hashes reversed ("display order") in RPC and on web pages; [`fmt::Display`] and
/// [`FromStr`] use that order, [`Hash32::as_bytes`] is the internal order that goes on the
/// wire and into stakepoold's `TicketHash` bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash32([u8; 32]);

impl Hash32 {
    /// From internal-order bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Hash32(bytes)
    }

    /// Internal-order bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From an internal-order slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::InvalidInput(format!("hash must be 32 bytes, got {}", bytes.len()))
        })?;
        Ok(Hash32(arr))
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rev = self.0;
        rev.reverse();
        f.write_str(&hex::encode(rev))
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({self})")
    }
}

impl FromStr for Hash32 {
    type Err = Error;

    /// Parses display-order (reversed) hex, as RPC and web pages show it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| {
            Error::InvalidInput(format!(
                "{:?} is not a 64-digit hex hash",
                crate::util::truncate(s, crate::util::ECHO_MAX)
            ))
        })?;
        bytes.reverse();
        Ok(Hash32(bytes))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Hash32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Hash32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A ticket (SStx) transaction hash.
pub type TicketHash = Hash32;
/// A block hash.
pub type BlockHash = Hash32;
/// A transaction hash.
pub type TxHash = Hash32;

/// A secret value (password, token, reset code) whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret.
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret itself; call only where it is really needed.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_display_is_reversed() {
        let mut b = [0u8; 32];
        b[0] = 0xab;
        let h = Hash32::from_bytes(b);
        let s = h.to_string();
        assert!(s.ends_with("ab"));
        assert_eq!(s.parse::<Hash32>().unwrap(), h);
        assert!("zz".parse::<Hash32>().is_err());
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "hunter2");
    }
}

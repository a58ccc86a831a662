//! Amounts in atoms (1 HC = 10^8 atoms), as `hcutil.Amount`.

use std::fmt;

use crate::fee::FeeError;

/// An amount in atoms (1 HC = 1e8 atoms). Signed like `hcutil.Amount`: fee arithmetic
/// copied from HC can go negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Amount(pub i64);

impl Amount {
    /// Atoms in one coin.
    pub const ATOMS_PER_COIN: i64 = 100_000_000;
    /// Zero atoms.
    pub const ZERO: Amount = Amount(0);

    /// From atoms.
    pub const fn from_atoms(atoms: i64) -> Amount {
        Amount(atoms)
    }

    /// The atoms.
    pub const fn atoms(self) -> i64 {
        self.0
    }

    /// From a coin value as `hcutil.NewAmount` does: `coins × 1e8` rounded half away from
    /// zero (by adding ±0.5 and truncating, exactly as Go does). NaN and infinities are
    /// refused, and so is anything outside the i64 range (undefined in Go).
    pub fn from_coins(coins: f64) -> Result<Amount, FeeError> {
        if !coins.is_finite() {
            return Err(FeeError::InvalidCoinAmount);
        }
        let scaled = coins * Self::ATOMS_PER_COIN as f64;
        let rounded = if scaled < 0.0 {
            scaled - 0.5
        } else {
            scaled + 0.5
        };
        // 2^63 is exactly representable; every finite f64 strictly inside converts exactly
        // after truncation.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if rounded.trunc() >= LIMIT || rounded.trunc() < -LIMIT {
            return Err(FeeError::AmountOutOfRange);
        }
        Ok(Amount(rounded as i64))
    }

    /// The value in coins (`hcutil.Amount.ToCoin`); lossy above 2^53 atoms.
    pub fn to_coins(self) -> f64 {
        self.0 as f64 / Self::ATOMS_PER_COIN as f64
    }

    /// `self + rhs`, `None` on overflow.
    pub const fn checked_add(self, rhs: Amount) -> Option<Amount> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Amount(v)),
            None => None,
        }
    }

    /// `self − rhs`, `None` on overflow.
    pub const fn checked_sub(self, rhs: Amount) -> Option<Amount> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Amount(v)),
            None => None,
        }
    }
}

impl From<i64> for Amount {
    fn from(atoms: i64) -> Self {
        Amount(atoms)
    }
}

impl fmt::Display for Amount {
    /// Coins with exactly 8 decimals, e.g. `-0.00000001`, `21.50000000`; exact for every
    /// i64.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = Self::ATOMS_PER_COIN.unsigned_abs();
        write!(f, "{sign}{}.{:08}", abs / per, abs % per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_coins_rounds_half_away_from_zero() {
        assert_eq!(Amount::from_coins(1.0), Ok(Amount(100_000_000)));
        assert_eq!(Amount::from_coins(0.000000005), Ok(Amount(1)));
        assert_eq!(Amount::from_coins(-0.000000005), Ok(Amount(-1)));
        assert_eq!(Amount::from_coins(0.000000004), Ok(Amount(0)));
        assert_eq!(Amount::from_coins(-2.5), Ok(Amount(-250_000_000)));
        assert_eq!(Amount::from_coins(0.1), Ok(Amount(10_000_000)));
        assert_eq!(Amount::from_coins(21e6), Ok(Amount(2_100_000_000_000_000)));
    }

    #[test]
    fn from_coins_errors() {
        assert_eq!(
            Amount::from_coins(f64::NAN),
            Err(FeeError::InvalidCoinAmount)
        );
        assert_eq!(
            Amount::from_coins(f64::INFINITY),
            Err(FeeError::InvalidCoinAmount)
        );
        assert_eq!(
            Amount::from_coins(f64::NEG_INFINITY),
            Err(FeeError::InvalidCoinAmount)
        );
        assert_eq!(Amount::from_coins(1e11), Err(FeeError::AmountOutOfRange));
        assert_eq!(Amount::from_coins(-1e11), Err(FeeError::AmountOutOfRange));
        assert!(Amount::from_coins(9e10).is_ok());
    }

    #[test]
    fn display_has_eight_decimals() {
        assert_eq!(Amount(0).to_string(), "0.00000000");
        assert_eq!(Amount(-1).to_string(), "-0.00000001");
        assert_eq!(Amount(2_150_000_000).to_string(), "21.50000000");
        assert_eq!(Amount(i64::MIN).to_string(), "-92233720368.54775808");
        assert_eq!(Amount(i64::MAX).to_string(), "92233720368.54775807");
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(Amount(1).checked_add(Amount(2)), Some(Amount(3)));
        assert_eq!(Amount(i64::MAX).checked_add(Amount(1)), None);
        assert_eq!(Amount(1).checked_sub(Amount(2)), Some(Amount(-1)));
        assert_eq!(Amount(i64::MIN).checked_sub(Amount(1)), None);
        assert_eq!(Amount::from(5).atoms(), 5);
        assert_eq!(Amount::from_atoms(150_000_000).to_coins(), 1.5);
    }
}

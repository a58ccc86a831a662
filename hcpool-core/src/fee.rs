//! The pool fee: rate, `StakePoolTicketFee`, and the ticket fee check
//! (hc-chain-facts.md §5.6; hcstakepool-inventory.md §11.2).

use std::fmt;

use crate::address::Address;
pub use crate::amount::Amount;
use crate::params::NetParams;
use crate::stake::Ticket;
use crate::subsidy::stake_vote_subsidy;

/// A pool fee rate: the configured percent and the hundredths HC computes from it with
/// `floor(percent × 100.0)` in binary floating point (so 1.15 → 114, 0.57 → 56).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolFeeRate {
    percent: f64,
    hundredths: i64,
}

impl PoolFeeRate {
    /// The smallest valid rate, in hundredths of a percent (0.01 %).
    pub const MIN_HUNDREDTHS: i64 = 1;
    /// The largest valid rate, in hundredths of a percent (100 %).
    pub const MAX_HUNDREDTHS: i64 = 10_000;

    /// From the configured percent (e.g. `7.5`). Refused unless
    /// `floor(percent × 100)` is in 1..=10000 (`IsValidPoolFeeRate`); NaN and infinities are
    /// refused too (HC's check lets NaN through and then computes garbage).
    pub fn from_percent(percent: f64) -> Result<PoolFeeRate, FeeError> {
        let floored = (percent * 100.0).floor();
        if !(Self::MIN_HUNDREDTHS as f64..=Self::MAX_HUNDREDTHS as f64).contains(&floored) {
            return Err(FeeError::InvalidPoolFeeRate { percent });
        }
        // In range 1..=10000 and integral: the conversion is exact.
        Ok(PoolFeeRate {
            percent,
            hundredths: floored as i64,
        })
    }

    /// The configured percent, as the API shows it (`PoolFees`).
    pub fn percent(self) -> f64 {
        self.percent
    }

    /// Hundredths of a percent, as the fee formula uses them.
    pub fn hundredths(self) -> i64 {
        self.hundredths
    }
}

impl TryFrom<f64> for PoolFeeRate {
    type Error = FeeError;

    fn try_from(percent: f64) -> Result<Self, Self::Error> {
        PoolFeeRate::from_percent(percent)
    }
}

impl fmt::Display for PoolFeeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.percent)
    }
}

/// hcwallet's `txrules.StakePoolTicketFee`: the fee a pool ticket must commit to the pool.
///
/// With `p` = rate hundredths, `s` = the stake vote subsidy at
/// `height + SubsidyReductionInterval × ceil(TicketPoolSize / SubsidyReductionInterval)`,
/// `v` = stake difficulty and `z` = relay fee (negative allowed):
/// `floor(p·s·(v+z) / (10000·(s+v)))`, computed exactly in i128 (HC uses big integers
/// with a 64-bit shift, which gives the same floor).
///
/// Errors where HC would divide by zero or by a negative number (`s + v ≤ 0`, only possible
/// with a nonsensical stake difficulty from a malformed transaction), or where the result
/// does not fit.
pub fn stake_pool_ticket_fee(
    stake_diff: Amount,
    relay_fee: Amount,
    height: i64,
    rate: PoolFeeRate,
    params: &NetParams,
) -> Result<Amount, FeeError> {
    let interval = params.subsidy_reduction_interval;
    let adjs = (f64::from(params.ticket_pool_size) / interval as f64).ceil() as i64;
    // Go's int64 arithmetic wraps; so does this, on absurd heights only.
    let subsidy_height = height.wrapping_add(interval.wrapping_mul(adjs));
    let s = i128::from(stake_vote_subsidy(subsidy_height, params));
    let v = i128::from(stake_diff.0);
    let z = i128::from(relay_fee.0);
    let p = i128::from(rate.hundredths);

    let den = (s + v) * 10_000;
    if den <= 0 {
        return Err(FeeError::NonPositiveDenominator {
            stake_diff,
            subsidy: s as i64,
        });
    }
    let num = p
        .checked_mul(s)
        .and_then(|ps| ps.checked_mul(v + z))
        .ok_or(FeeError::FeeOutOfRange)?;
    let fee = num.div_euclid(den);
    i64::try_from(fee)
        .map(Amount)
        .map_err(|_| FeeError::FeeOutOfRange)
}

/// The outcome of the pool's fee check on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketEvaluation {
    /// The first commitment pays a pool fee address enough.
    Valid {
        /// The first commitment's amount.
        paid: Amount,
        /// The fee required.
        required: Amount,
    },
    /// The first commitment does not pay one of the pool's fee addresses
    /// ("Unknown pool commitment address").
    UnknownCommitmentAddress {
        /// The address it pays.
        address: Address,
    },
    /// The first commitment pays a pool fee address too little.
    FeeTooLow {
        /// The first commitment's amount.
        paid: Amount,
        /// The fee required.
        required: Amount,
    },
}

impl TicketEvaluation {
    /// Whether the ticket passed.
    pub fn is_valid(&self) -> bool {
        matches!(self, TicketEvaluation::Valid { .. })
    }
}

/// hcwallet's and stakepoold's `evaluateStakePoolTicket`.
///
/// The first commitment (output 1) must pay an address for which `is_pool_fee_address`
/// holds, and commit at least [`stake_pool_ticket_fee`] of (ticket price, `fees`, `height`),
/// where `fees` = Σ commitment amounts − Σ all output values. For the usual pool ticket that
/// is the transaction fee; change values are subtracted as HC does, and the sums wrap like
/// Go's int64 on absurd values. `height` is the ticket's block height (hcwallet) or the
/// height stakepoold passes.
pub fn evaluate_pool_ticket(
    ticket: &Ticket,
    height: i64,
    is_pool_fee_address: impl Fn(&Address) -> bool,
    rate: PoolFeeRate,
    params: &NetParams,
) -> Result<TicketEvaluation, FeeError> {
    let first = ticket.first_commitment();
    let address = first.address(params.network);
    let committed = ticket
        .commitments()
        .iter()
        .fold(0i64, |sum, c| sum.wrapping_add(c.amount.0));
    let spent = ticket
        .tx()
        .outputs
        .iter()
        .fold(0i64, |sum, o| sum.wrapping_add(o.value));
    let fees = Amount(committed.wrapping_sub(spent));
    if !is_pool_fee_address(&address) {
        return Ok(TicketEvaluation::UnknownCommitmentAddress { address });
    }
    let required = stake_pool_ticket_fee(ticket.price(), fees, height, rate, params)?;
    let paid = first.amount;
    Ok(if paid < required {
        TicketEvaluation::FeeTooLow { paid, required }
    } else {
        TicketEvaluation::Valid { paid, required }
    })
}

/// Why a fee computation or check failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FeeError {
    /// A coin amount that is NaN or infinite (`hcutil.NewAmount`'s text).
    #[error("invalid coin amount")]
    InvalidCoinAmount,
    /// A coin amount whose atoms do not fit in 64 bits.
    #[error("coin amount out of range")]
    AmountOutOfRange,
    /// A pool fee outside 0.01 %..=100 % (hcwallet's text).
    #[error("invalid pool fee {percent}, pool fee must be between 0.01 and 100.00")]
    InvalidPoolFeeRate {
        /// The refused percent.
        percent: f64,
    },
    /// `subsidy + stake difficulty ≤ 0`: HC would divide by zero or a negative number.
    #[error("stake difficulty {stake_diff} with vote subsidy {subsidy} atoms gives no pool fee")]
    NonPositiveDenominator {
        /// The stake difficulty given.
        stake_diff: Amount,
        /// The vote subsidy used.
        subsidy: i64,
    },
    /// The pool fee does not fit in 64 bits.
    #[error("pool fee out of range")]
    FeeOutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::MAINNET;

    #[test]
    fn rate_floors_in_binary() {
        let h = |p: f64| PoolFeeRate::from_percent(p).map(PoolFeeRate::hundredths);
        assert_eq!(h(1.15), Ok(114));
        assert_eq!(h(7.5), Ok(750));
        assert_eq!(h(0.01), Ok(1));
        assert_eq!(h(100.0), Ok(10_000));
        assert_eq!(h(100.009), Ok(10_000));
        let r = PoolFeeRate::try_from(2.59).expect("valid");
        assert_eq!(r.percent(), 2.59);
        assert_eq!(r.to_string(), "2.59");
    }

    #[test]
    fn rate_errors() {
        for bad in [
            0.0,
            0.009,
            -1.0,
            100.01,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(
                matches!(
                    PoolFeeRate::from_percent(bad),
                    Err(FeeError::InvalidPoolFeeRate { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            FeeError::InvalidPoolFeeRate { percent: 0.0 }.to_string(),
            "invalid pool fee 0, pool fee must be between 0.01 and 100.00"
        );
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let rate = PoolFeeRate::from_percent(100.0).expect("valid");
        let s = stake_vote_subsidy(12288, &MAINNET);
        assert_eq!(
            stake_pool_ticket_fee(Amount(-s), Amount(0), 0, rate, &MAINNET),
            Err(FeeError::NonPositiveDenominator {
                stake_diff: Amount(-s),
                subsidy: s
            })
        );
        assert!(stake_pool_ticket_fee(Amount(i64::MIN), Amount(0), 0, rate, &MAINNET).is_err());
        // z huge and v tiny: the result is just under z and still fits.
        assert_eq!(
            stake_pool_ticket_fee(Amount(1), Amount(i64::MAX), 0, rate, &MAINNET),
            Ok(Amount(
                ((i128::from(s) * 10_000 * (1 + i128::from(i64::MAX)))
                    / (10_000 * (i128::from(s) + 1))) as i64
            ))
        );
        let mut rich = MAINNET.clone();
        rich.base_subsidy = i64::MAX;
        assert_eq!(
            stake_pool_ticket_fee(Amount(i64::MAX), Amount(i64::MAX), 0, rate, &rich),
            Err(FeeError::FeeOutOfRange)
        );
    }

    #[test]
    fn fee_floors_for_negative_relay_fee() {
        // v + z < 0: the numerator is negative and the result rounds toward −∞.
        let rate = PoolFeeRate::from_percent(1.0).expect("valid");
        let fee = stake_pool_ticket_fee(Amount(10), Amount(-1_000_000_000), 0, rate, &MAINNET)
            .expect("computes");
        assert!(fee.0 < 0);
        let s = i128::from(stake_vote_subsidy(12288, &MAINNET));
        let exact = (100 * s * (10 - 1_000_000_000)) as f64 / (10_000 * (s + 10)) as f64;
        assert_eq!(fee.0, exact.floor() as i64);
    }
}

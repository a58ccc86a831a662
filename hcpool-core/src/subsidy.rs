//! HC block subsidy (hc-chain-facts.md §5.6, `blockchain/subsidy.go`).
//!
//! HC replaced Decred's integer reduction loop with a floating-point formula. The exact
//! evaluation order matters for the truncated result, so it is kept as HC writes it.
//! Degenerate parameters (a zero interval or zero tickets per block) give 0 instead of
//! panicking.

use crate::params::NetParams;

/// Iterations after which HC switches to the tail formula ("after 99 years").
const TAIL_ITERATION: u64 = 1682;

/// `CalcBlockSubsidy`: the full subsidy of the block at `height`, in atoms.
pub fn block_subsidy(height: i64, params: &NetParams) -> i64 {
    if height == 1 {
        return params.block_one_subsidy;
    }
    let Some(iteration) = height.checked_div(params.subsidy_reduction_interval) else {
        return 0;
    };
    // HC converts to uint64: a negative iteration becomes huge and lands in the tail branch.
    let iteration = iteration as u64;
    if iteration == 0 {
        return params.base_subsidy;
    }
    let it = iteration as f64;
    let temp = if iteration < TAIL_ITERATION {
        let q = params.mul_subsidy as f64 / params.div_subsidy as f64;
        params.base_subsidy as f64 * (1.0 - it * 59363.0 / 100000000.0) * q.powf(it)
    } else {
        100000000.0 / params.subsidy_reduction_interval as f64 * 0.1f64.powf(it - 1681.0)
    };
    // Truncation toward zero, as Go's int64(float64); `as` saturates instead of being
    // undefined on out-of-range values.
    temp as i64
}

/// `CalcStakeVoteSubsidy`: one vote's share of the block at `height`.
pub fn stake_vote_subsidy(height: i64, params: &NetParams) -> i64 {
    let subsidy =
        block_subsidy(height, params).saturating_mul(i64::from(params.stake_reward_proportion));
    let den = i64::from(params.total_subsidy_proportions())
        .saturating_mul(i64::from(params.tickets_per_block));
    subsidy.checked_div(den).unwrap_or(0)
}

/// `CalcBlockWorkSubsidy`: the proof-of-work share, scaled by `voters / TicketsPerBlock`
/// from `StakeValidationHeight` on (0 when nobody voted).
pub fn work_subsidy(height: i64, voters: u16, params: &NetParams) -> i64 {
    let subsidy = block_subsidy(height, params)
        .saturating_mul(i64::from(params.work_reward_proportion))
        .checked_div(i64::from(params.total_subsidy_proportions()))
        .unwrap_or(0);
    if height < i64::from(params.stake_validation_height) {
        return subsidy;
    }
    if voters == 0 {
        return 0;
    }
    scale_by_voters(subsidy, voters, params)
}

/// `CalcBlockTaxSubsidy`: the treasury share, scaled like the work share (all voters
/// assumed present before `StakeValidationHeight`).
pub fn tax_subsidy(height: i64, voters: u16, params: &NetParams) -> i64 {
    if params.block_tax_proportion == 0 {
        return 0;
    }
    let subsidy = block_subsidy(height, params)
        .saturating_mul(i64::from(params.block_tax_proportion))
        .checked_div(i64::from(params.total_subsidy_proportions()))
        .unwrap_or(0);
    let voters = if height < i64::from(params.stake_validation_height) {
        5
    } else {
        voters
    };
    if voters == 0 {
        return 0;
    }
    scale_by_voters(subsidy, voters, params)
}

fn scale_by_voters(subsidy: i64, voters: u16, params: &NetParams) -> i64 {
    i64::from(voters)
        .saturating_mul(subsidy)
        .checked_div(i64::from(params.tickets_per_block))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Network, MAINNET};

    #[test]
    fn special_heights() {
        assert_eq!(block_subsidy(0, &MAINNET), 640_000_000);
        assert_eq!(block_subsidy(1, &MAINNET), MAINNET.block_one_subsidy);
        assert_eq!(block_subsidy(12288, &MAINNET), 638_980_456);
        // -1 / interval == 0 in Go's truncating division.
        assert_eq!(block_subsidy(-1, &MAINNET), 640_000_000);
        // A negative iteration wraps to a huge uint64: the tail formula underflows to 0.
        assert_eq!(block_subsidy(-12288, &MAINNET), 0);
        assert_eq!(block_subsidy(i64::MIN, &MAINNET), 0);
        assert_eq!(block_subsidy(i64::MAX, &MAINNET), 0);
    }

    #[test]
    fn tail_formula() {
        let interval = MAINNET.subsidy_reduction_interval;
        // 1e8 / interval × 0.1^(it − 1681), truncated.
        assert_eq!(block_subsidy(1682 * interval, &MAINNET), 813);
        assert_eq!(block_subsidy(1683 * interval, &MAINNET), 81);
        assert_eq!(block_subsidy(1682 * 128, Network::Simnet.params()), 78_125);
    }

    #[test]
    fn degenerate_params_do_not_panic() {
        let mut p = MAINNET.clone();
        p.subsidy_reduction_interval = 0;
        p.tickets_per_block = 0;
        assert_eq!(block_subsidy(5000, &p), 0);
        assert_eq!(stake_vote_subsidy(5000, &p), 0);
        assert_eq!(work_subsidy(5000, 5, &p), 0);
        assert_eq!(tax_subsidy(5000, 5, &p), 0);
        let mut no_tax = MAINNET.clone();
        no_tax.block_tax_proportion = 0;
        assert_eq!(tax_subsidy(5000, 5, &MAINNET), 64_000_000);
        assert_eq!(tax_subsidy(5000, 5, &no_tax), 0);
    }

    #[test]
    fn voters_scale_after_validation_height() {
        let svh = i64::from(MAINNET.stake_validation_height);
        assert_eq!(work_subsidy(svh - 1, 0, &MAINNET), 384_000_000);
        assert_eq!(work_subsidy(svh, 0, &MAINNET), 0);
        assert_eq!(work_subsidy(svh, 3, &MAINNET), 384_000_000 * 3 / 5);
        assert_eq!(tax_subsidy(svh - 1, 0, &MAINNET), 64_000_000);
        assert_eq!(tax_subsidy(svh, 0, &MAINNET), 0);
        assert_eq!(tax_subsidy(svh, 4, &MAINNET), 64_000_000 * 4 / 5);
    }
}

//! hcpool-rpc (in progress).

pub mod pinned_tls;
pub mod simnet;
pub mod stakepoold;

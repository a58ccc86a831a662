//! Command-line arguments of `hcpool-simnet` (the binary stays thin).

use std::path::PathBuf;

use hcpool_core::Network;

use super::{ChainParams, SimConfig, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB};

/// `hcpool-simnet` arguments.
#[derive(clap::Parser, Debug, Clone)]
#[command(
    version,
    about = "Simulated HC wallets + node speaking hcwallet/hcd JSON-RPC"
)]
pub struct SimnetArgs {
    /// Number of wallet endpoints.
    #[arg(long, default_value_t = 2)]
    pub wallets: usize,
    /// Number of hcd endpoints.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Directory the certificates are written to.
    #[arg(long, default_value = "simnet-certs")]
    pub cert_dir: PathBuf,
    /// First port (wallets, then nodes, consecutively); 0 = ephemeral ports.
    #[arg(long, default_value_t = 0)]
    pub base_port: u16,
    /// RPC user.
    #[arg(long, default_value = "user")]
    pub user: String,
    /// RPC password.
    #[arg(long, env = "HCPOOL_SIMNET_PASSWORD", default_value = "pass")]
    pub password: String,
    /// Network: simnet or testnet.
    #[arg(long, default_value = "simnet")]
    pub network: Network,
    /// Mine a block every this many seconds (0 = only on `simnet_mine`).
    #[arg(long, default_value_t = 0)]
    pub block_interval: u64,
    /// Use the real simnet stake parameters (maturity 16, SVH 144) instead of tiny ones.
    #[arg(long)]
    pub real_params: bool,
    /// Pool fee percent written to the fragment.
    #[arg(long, default_value_t = 7.5)]
    pub pool_fees: f64,
    /// Blocks to mine at start.
    #[arg(long, default_value_t = 0)]
    pub premine: u32,
    /// The voting wallets' account xpub (default: a fixed simnet key).
    #[arg(long, default_value = DEFAULT_VOTING_XPUB)]
    pub voting_xpub: String,
    /// The cold wallet's xpub (default: a fixed simnet key).
    #[arg(long, default_value = DEFAULT_COLD_XPUB)]
    pub cold_xpub: String,
}

impl SimnetArgs {
    /// The cluster configuration these arguments ask for.
    pub fn to_config(&self) -> SimConfig {
        SimConfig {
            network: self.network,
            wallets: self.wallets,
            nodes: self.nodes,
            user: self.user.clone(),
            password: self.password.clone(),
            base_port: (self.base_port != 0).then_some(self.base_port),
            cert_dir: Some(self.cert_dir.clone()),
            chain: if self.real_params {
                ChainParams::simnet()
            } else {
                ChainParams::fast()
            },
            pool_fees: self.pool_fees,
            voting_xpub: self.voting_xpub.clone(),
            cold_xpub: self.cold_xpub.clone(),
            ..SimConfig::default()
        }
    }
}

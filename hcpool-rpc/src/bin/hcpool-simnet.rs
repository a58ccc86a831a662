//! `hcpool-simnet`: N simulated hcwallets and M simulated hcds on loopback, with their TLS
//! certificates written to a directory and a ready `hcstakepool.conf` fragment printed, so
//! the real programs can be started against them as against hcwallet/hcd.
//!
//! Drive it from outside with the `simnet_*` JSON-RPC methods on any endpoint
//! (`simnet_mine [n]`, `simnet_buyticket [msa, poolfeeatoms, feeindex]`,
//! `simnet_setfault [endpoint, kind, …]`, `simnet_setwallet [...]`, `simnet_info`).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use hcpool_core::Network;
use hcpool_rpc::simnet::{ChainParams, SimCluster, SimConfig};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Simulated HC wallets + node speaking hcwallet/hcd JSON-RPC"
)]
struct Args {
    /// Number of wallet endpoints.
    #[arg(long, default_value_t = 2)]
    wallets: usize,
    /// Number of hcd endpoints.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Directory the certificates are written to.
    #[arg(long, default_value = "simnet-certs")]
    cert_dir: PathBuf,
    /// First port (wallets, then nodes, consecutively); 0 = ephemeral ports.
    #[arg(long, default_value_t = 0)]
    base_port: u16,
    /// RPC user.
    #[arg(long, default_value = "user")]
    user: String,
    /// RPC password.
    #[arg(long, env = "HCPOOL_SIMNET_PASSWORD", default_value = "pass")]
    password: String,
    /// Network: simnet or testnet.
    #[arg(long, default_value = "simnet")]
    network: Network,
    /// Mine a block every this many seconds (0 = only on `simnet_mine`).
    #[arg(long, default_value_t = 0)]
    block_interval: u64,
    /// Use the real simnet stake parameters (maturity 16, SVH 144) instead of tiny ones.
    #[arg(long)]
    real_params: bool,
    /// Pool fee percent written to the fragment.
    #[arg(long, default_value_t = 7.5)]
    pool_fees: f64,
    /// Blocks to mine at start.
    #[arg(long, default_value_t = 0)]
    premine: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let a = Args::parse();
    let cfg = SimConfig {
        network: a.network,
        wallets: a.wallets,
        nodes: a.nodes,
        user: a.user,
        password: a.password,
        base_port: (a.base_port != 0).then_some(a.base_port),
        cert_dir: Some(a.cert_dir),
        chain: if a.real_params {
            ChainParams::simnet()
        } else {
            ChainParams::fast()
        },
        pool_fees: a.pool_fees,
        ..SimConfig::default()
    };
    let cluster = SimCluster::start(cfg).await?;
    cluster.mine(a.premine)?;
    println!("# hcstakepool.conf fragment");
    print!("{}", cluster.conf_fragment());
    for n in cluster.nodes() {
        println!(
            "# {}: host {} cert {}",
            n.role.name(),
            n.addr,
            n.cert_path.display()
        );
    }
    let interval = (a.block_interval > 0).then(|| Duration::from_secs(a.block_interval));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            let Some(d) = interval else { return futures::future::pending().await };
            let mut t = tokio::time::interval(d);
            t.tick().await;
            loop {
                t.tick().await;
                if let Err(e) = cluster.mine(1) {
                    tracing::warn!("mining failed: {e}");
                }
            }
        } => {}
    }
    Ok(())
}

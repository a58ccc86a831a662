//! `hcpool-simnet`: N simulated hcwallets and M simulated hcds on loopback, with their TLS
//! certificates written to a directory and a ready `hcstakepool.conf` fragment printed, so
//! the real programs can be started against them as against hcwallet/hcd.
//!
//! Drive it from outside with the `simnet_*` JSON-RPC methods on any endpoint
//! (`simnet_mine [n]`, `simnet_buyticket [msa, poolfeeatoms, feeindex]`,
//! `simnet_setfault [endpoint, kind, …]` (kind `network` or `version` with a network name
//! or `MAJOR.MINOR.PATCH` as the 4th parameter: a wrong network, an untested API),
//! `simnet_setwallet [walletN, flag, on]` with flag
//! `unlocked`, `daemonconnected`, `voting`, `lag` or `autorevoke`, `simnet_info`).
#![allow(clippy::print_stdout)]

use std::time::Duration;

use clap::Parser;
use hcpool_simnet::cli::SimnetArgs;
use hcpool_simnet::SimCluster;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let a = SimnetArgs::parse();
    let cluster = SimCluster::start(a.to_config()).await?;
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
    let mining = async {
        match a.block_interval {
            0 => futures::future::pending().await,
            secs => cluster.mine_every(Duration::from_secs(secs)).await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = mining => {}
    }
    Ok(())
}

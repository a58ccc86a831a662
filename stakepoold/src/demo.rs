//! `demo`: an in-process simulated hcwallet and hcd (hcpool-simnet) for the daemon to vote
//! through, mining a block every [`crate::run::DEMO_BLOCK_INTERVAL`]. Only with the `demo`
//! cargo feature (on by default); without it [`Demo`] has no values and [`Demo::start`]
//! says the binary was built without the demo.

/// What `--demo` tells the user when the binary was built without the `demo` feature.
pub const DEMO_MISSING: &str = "this stakepoold was built without the demo (cargo feature \
    `demo`, on by default; production builds use --no-default-features): remove `demo` \
    from the configuration or rebuild with the feature";

#[cfg(feature = "demo")]
mod simulated {
    use std::sync::Arc;
    use std::time::Duration;

    use hcpool_core::PoolFeeRate;
    use hcpool_rpc::ClientConfig;
    use hcpool_simnet::{Role, SimCluster, SimConfig};
    use tracing::info;

    use crate::error::{Error, Result};

    /// A running simulated cluster the daemon connects to; dropping it stops the cluster.
    pub struct Demo {
        cluster: Arc<SimCluster>,
        wallet: ClientConfig,
        node: ClientConfig,
        cold_wallet_ext_pub: String,
        pool_fees: PoolFeeRate,
        miner: tokio::task::JoinHandle<()>,
    }

    impl Demo {
        /// Starts the simulated wallet and node and mines a block every `block_interval`.
        ///
        /// # Errors
        /// [`Error::Task`] when the cluster cannot start.
        pub async fn start(block_interval: Duration) -> Result<Demo> {
            let sim = SimConfig::default();
            let cluster = SimCluster::start(sim.clone())
                .await
                .map_err(|e| Error::Task(format!("simulated cluster: {e}")))?;
            let peer = |role: Role| {
                cluster
                    .client_config(role)
                    .ok_or_else(|| Error::Task(format!("simulated cluster has no {role:?}")))
            };
            // A pool's voting wallet runs without --enablevoting.
            cluster.with_wallet(0, |w| w.voting = false);
            let wallet = peer(Role::Wallet(0))?;
            let node = peer(Role::Node(0))?;
            info!(certs = %cluster.cert_dir().display(), "demo: simulated hcwallet and hcd started");
            let pool_fees =
                PoolFeeRate::from_percent(sim.pool_fees).map_err(hcpool_core::Error::from)?;
            let cluster = Arc::new(cluster);
            let mining = cluster.clone();
            let miner = tokio::spawn(async move { mining.mine_every(block_interval).await });
            Ok(Demo {
                cluster,
                wallet,
                node,
                cold_wallet_ext_pub: sim.cold_xpub,
                pool_fees,
                miner,
            })
        }

        /// The simulated voting wallet.
        pub fn wallet(&self) -> &ClientConfig {
            &self.wallet
        }

        /// The simulated hcd.
        pub fn node(&self) -> &ClientConfig {
            &self.node
        }

        /// The simulator's cold wallet xpub (the pool's fee addresses).
        pub fn cold_wallet_ext_pub(&self) -> &str {
            &self.cold_wallet_ext_pub
        }

        /// The simulator's pool fee.
        pub fn pool_fees(&self) -> PoolFeeRate {
            self.pool_fees
        }

        /// The cluster.
        pub fn cluster(&self) -> &Arc<SimCluster> {
            &self.cluster
        }
    }

    impl Drop for Demo {
        fn drop(&mut self) {
            self.miner.abort();
        }
    }
}

#[cfg(feature = "demo")]
pub use simulated::Demo;

#[cfg(not(feature = "demo"))]
pub use absent::Demo;

#[cfg(not(feature = "demo"))]
mod absent {
    use std::time::Duration;

    use hcpool_core::PoolFeeRate;
    use hcpool_rpc::ClientConfig;

    use crate::error::{Error, Result};

    /// Without the `demo` feature: no simulated cluster can exist.
    #[derive(Debug)]
    pub enum Demo {}

    impl Demo {
        /// Always [`Error::Config`] with [`super::DEMO_MISSING`].
        ///
        /// # Errors
        /// Always.
        pub async fn start(_block_interval: Duration) -> Result<Demo> {
            Err(Error::Config(super::DEMO_MISSING.into()))
        }

        /// Never called: there is no value.
        pub fn wallet(&self) -> &ClientConfig {
            match *self {}
        }

        /// Never called: there is no value.
        pub fn node(&self) -> &ClientConfig {
            match *self {}
        }

        /// Never called: there is no value.
        pub fn cold_wallet_ext_pub(&self) -> &str {
            match *self {}
        }

        /// Never called: there is no value.
        pub fn pool_fees(&self) -> PoolFeeRate {
            match *self {}
        }
    }
}

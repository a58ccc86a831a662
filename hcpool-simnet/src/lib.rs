//! # hcpool-simnet
//!
//! A simulated HC wallet + node cluster that speaks hcwallet/hcd's JSON-RPC on real TLS
//! sockets (hcwallet-rpc.md §6), for end-to-end tests, the demos of hcpool-web and
//! stakepoold, and the `hcpool-simnet` binary. Not part of a production build: hcpool-web and
//! stakepoold depend on it only through their `demo` feature.
//!
//! One shared chain, K wallet endpoints and M hcd endpoints, each on its own port with its
//! own self-signed P-521 certificate (the kind hcd/hcwallet make), basic auth, `POST /` and
//! `GET /ws`. The chain is mined on demand ([`SimCluster::mine`] or `simnet_mine`), and
//! hcd endpoints push `spentandmissedtickets`, `newtickets`, `blockconnected` and
//! `winningtickets` in hcd's order to websocket clients that registered.
//!
//! Where the real hcd/hcwallet contradict hcwallet-rpc.md, the simulator does what they do
//! (`../shared/realhc/DIFFERENCES.md`, checked by `tests/realhc_contract.rs` against the
//! recorded real exchanges): every wallet holding a key revokes a missed ticket by itself as
//! soon as hcd reports it, so an explicit `revoketickets` then fails with "already have
//! transaction"; hcd accepts a vote for a ticket that did not win and never mines it; the
//! wallet reports bad hex as −4 with Go's text, hcd as −22; stake outputs pay with
//! `OP_CHECKSIGALT` (`… 88 00 be`).
//!
//! Transactions are hcpool-core's ([`hcpool_core::tx::Transaction`], its hashing and stake
//! scripts); [`stake_txs`] only fills them in the way hcwallet does.
//!
//! ## Example
//!
//! ```no_run
//! use hcpool_simnet::{Role, SimCluster, SimConfig};
//!
//! # async fn run() -> Result<(), hcpool_simnet::SimError> {
//! let cluster = SimCluster::start(SimConfig::default()).await?;
//! cluster.mine(3)?;
//! // A pinned JSON-RPC client configuration for the first wallet.
//! let _wallet = cluster.client_config(Role::Wallet(0));
//! print!("{}", cluster.conf_fragment());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code reports errors; it never unwraps or panics (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod chain;
pub mod cli;
pub mod cluster;
pub mod control;
pub mod envelope;
pub mod error;
pub mod header;
pub mod keys;
pub mod node_methods;
mod server;
pub mod stake_txs;
pub mod wallet;
pub mod wallet_methods;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcpool_core::Hash32;

pub use chain::{ChainParams, TicketState};
pub use cluster::{EndpointInfo, Faults, Role, SimConfig, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB};
pub use control::TicketPurchase;
pub use envelope::RpcError;
pub use error::SimError;
pub use server::basic_auth;
pub use wallet::{FeeRule, WalletState};

use hcpool_rpc::pinned_tls;

/// A running cluster. Dropping it stops the listeners.
pub struct SimCluster {
    shared: Arc<cluster::Shared>,
    endpoints: Vec<EndpointInfo>,
    tasks: cluster::Tasks,
    cert_dir: PathBuf,
    owns_cert_dir: bool,
    cfg: SimConfig,
}

impl std::fmt::Debug for SimCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCluster")
            .field("endpoints", &self.endpoints)
            .field("cert_dir", &self.cert_dir)
            .finish_non_exhaustive()
    }
}

fn temp_cert_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "hcpool-simnet-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

impl SimCluster {
    /// Generates the certificates, binds every listener and starts serving.
    pub async fn start(cfg: SimConfig) -> Result<SimCluster, SimError> {
        cluster::validate(&cfg)?;
        let keys = keys::SimKeys::new(
            cfg.network,
            &cfg.voting_xpub,
            &cfg.cold_xpub,
            cfg.fee_addresses,
        )?;
        let shared = Arc::new(cluster::Shared::new(&cfg, keys));
        let (cert_dir, owns_cert_dir) = match &cfg.cert_dir {
            Some(d) => (d.clone(), false),
            None => (temp_cert_dir(), true),
        };
        std::fs::create_dir_all(&cert_dir)?;
        // hcstakepool resolves relative cert paths against its own directory: print absolute ones.
        let cert_dir = std::fs::canonicalize(&cert_dir)?;
        let mut endpoints = Vec::new();
        let mut tasks = Vec::new();
        for (i, ep) in shared.endpoints.iter().enumerate() {
            let port = cfg.base_port.map_or(0, |p| {
                p.saturating_add(u16::try_from(i).unwrap_or(u16::MAX))
            });
            let listener = tokio::net::TcpListener::bind((cfg.listen_ip, port)).await?;
            let addr = listener.local_addr()?;
            let extra: Vec<String> = std::iter::once(cfg.listen_ip.to_string())
                .filter(|ip| ip != "127.0.0.1" && ip != "::1")
                .collect();
            let cert =
                pinned_tls::generate_self_signed("hcpool simnet autogenerated cert", &extra)?;
            let cert_path = cert_dir.join(format!("{}.cert", ep.role.name()));
            std::fs::write(&cert_path, &cert.cert_pem)?;
            let tls = pinned_tls::server_config(
                pinned_tls::parse_certs(cert.cert_pem.as_bytes())?,
                pinned_tls::parse_key(cert.key_pem.as_bytes())?,
                &[b"http/1.1"],
            )?;
            tasks.push(tokio::spawn(server::run(
                Arc::clone(&shared),
                i,
                listener,
                Arc::new(tls),
            )));
            endpoints.push(EndpointInfo {
                role: ep.role,
                addr,
                cert_path,
                cert_pem: cert.cert_pem,
            });
        }
        Ok(SimCluster {
            shared,
            endpoints,
            tasks,
            cert_dir,
            owns_cert_dir,
            cfg,
        })
    }

    /// Every endpoint (wallets first, then nodes).
    pub fn endpoints(&self) -> &[EndpointInfo] {
        &self.endpoints
    }

    /// The endpoint of `role`.
    pub fn endpoint(&self, role: Role) -> Option<&EndpointInfo> {
        self.endpoints.iter().find(|e| e.role == role)
    }

    /// A JSON-RPC client configuration for the endpoint of `role`: the cluster's user and
    /// password, its certificate pinned, the client's default timeout and reconnects.
    pub fn client_config(&self, role: Role) -> Option<hcpool_rpc::ClientConfig> {
        let ep = self.endpoint(role)?;
        Some(hcpool_rpc::ClientConfig::new(
            ep.addr.to_string(),
            self.cfg.user.clone(),
            hcpool_core::Secret::new(self.cfg.password.clone()),
            hcpool_rpc::PinnedCert::Pem(ep.cert_pem.clone()),
        ))
    }

    /// The wallet endpoints.
    pub fn wallets(&self) -> Vec<&EndpointInfo> {
        self.endpoints
            .iter()
            .filter(|e| matches!(e.role, Role::Wallet(_)))
            .collect()
    }

    /// The hcd endpoints.
    pub fn nodes(&self) -> Vec<&EndpointInfo> {
        self.endpoints
            .iter()
            .filter(|e| matches!(e.role, Role::Node(_)))
            .collect()
    }

    /// The directory holding the certificates.
    pub fn cert_dir(&self) -> &Path {
        &self.cert_dir
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// Mines `n` blocks; returns their (hash, height).
    pub fn mine(&self, n: u32) -> Result<Vec<(Hash32, u32)>, SimError> {
        self.shared.mine(n).map_err(rpc_err)
    }

    /// The chain tip.
    pub fn best_block(&self) -> (Hash32, u32) {
        self.shared
            .world
            .lock()
            .map(|w| w.chain.tip())
            .unwrap_or_default()
    }

    /// A user's wallet buys a ticket for a multisig address; it waits in the mempool.
    pub fn buy_ticket(&self, purchase: &TicketPurchase) -> Result<Hash32, SimError> {
        self.shared.buy_ticket(purchase).map_err(rpc_err)
    }

    /// Like [`SimCluster::buy_ticket`], naming the multisig by its script hash.
    pub fn buy_ticket_for_script(
        &self,
        script_hash: [u8; 20],
        purchase: &TicketPurchase,
    ) -> Result<Hash32, SimError> {
        self.shared
            .buy_ticket_for_script(script_hash, purchase)
            .map_err(rpc_err)
    }

    /// Replaces the fault knobs of an endpoint.
    pub fn set_faults(&self, role: Role, faults: Faults) -> Result<(), SimError> {
        self.shared.set_faults(role, faults).map_err(rpc_err)
    }

    /// Takes an endpoint down as a killed process would be (every open connection dropped,
    /// new ones closed at once) or brings it back (`down == false`); its other fault knobs
    /// are kept.
    pub fn set_down(&self, role: Role, down: bool) -> Result<(), SimError> {
        self.shared.set_down(role, down).map_err(rpc_err)
    }

    /// Drops every websocket connection of an endpoint.
    pub fn drop_connections(&self, role: Role) -> Result<(), SimError> {
        self.shared.drop_connections(role).map_err(rpc_err)
    }

    /// Drops every websocket connection of every endpoint (a network blip); clients that
    /// reconnect must register their notifications again.
    pub fn drop_all_connections(&self) {
        for ep in &self.shared.endpoints {
            ep.kill.send_modify(|g| *g += 1);
        }
    }

    /// Runs `f` on wallet `i`'s state (flags such as `unlocked`, `daemon_connected`, `lag`).
    pub fn with_wallet<R>(&self, i: usize, f: impl FnOnce(&mut WalletState) -> R) -> Option<R> {
        let mut world = self.shared.world.lock().ok()?;
        world.wallets.get_mut(i).map(f)
    }

    /// The chain's state of a ticket.
    pub fn ticket_state(&self, ticket: &Hash32) -> Option<TicketState> {
        let world = self.shared.world.lock().ok()?;
        world.chain.tickets.get(ticket).map(|t| t.state)
    }

    /// The vote that spent `ticket` once mined: (vote hash, votebits, mined height).
    pub fn mined_vote(&self, ticket: &Hash32) -> Option<(Hash32, u16, u32)> {
        let world = self.shared.world.lock().ok()?;
        let t = world.chain.tickets.get(ticket)?;
        if t.state != TicketState::Voted {
            return None;
        }
        let (vote, height) = t.spender?;
        let raw = &world.chain.txs.get(&vote)?.raw;
        let bits = stake_txs::read_vote(&stake_txs::decode(raw)?)?.votebits;
        Some((vote, bits.bits(), height))
    }

    /// Tickets whose revocation a wallet requested and the next block will mine.
    pub fn pending_revocations(&self) -> Vec<Hash32> {
        self.shared
            .world
            .lock()
            .map(|w| w.chain.pending_revocations().to_vec())
            .unwrap_or_default()
    }

    /// The winners that must vote on block `height`.
    pub fn winners(&self, height: u32) -> Vec<Hash32> {
        self.shared
            .world
            .lock()
            .ok()
            .and_then(|w| w.chain.winners(height).map(<[Hash32]>::to_vec))
            .unwrap_or_default()
    }

    /// A ready `hcstakepool.conf` fragment for the wallets of this cluster.
    pub fn conf_fragment(&self) -> String {
        let w = self.wallets();
        let join = |f: &dyn Fn(&EndpointInfo) -> String| {
            w.iter().map(|e| f(e)).collect::<Vec<_>>().join(",")
        };
        let net = match self.cfg.network {
            hcpool_core::Network::Simnet => "simnet=1\n",
            hcpool_core::Network::Testnet => "testnet=1\n",
            _ => "",
        };
        format!(
            "{net}wallethosts={}\nwalletcerts={}\nwalletusers={}\nwalletpasswords={}\n\
             votingwalletextpub={}\ncoldwalletextpub={}\npoolfees={}\n",
            join(&|e| e.addr.to_string()),
            join(&|e| e.cert_path.display().to_string()),
            join(&|_| self.cfg.user.clone()),
            join(&|_| self.cfg.password.clone()),
            self.cfg.voting_xpub,
            self.cfg.cold_xpub,
            self.cfg.pool_fees,
        )
    }

    /// Mines one block every `interval`, forever (run it in a task or a `select!`).
    pub async fn mine_every(&self, interval: std::time::Duration) {
        let mut t = tokio::time::interval(interval);
        t.tick().await;
        loop {
            t.tick().await;
            if let Err(e) = self.mine(1) {
                tracing::warn!("simnet mining failed: {e}");
            }
        }
    }

    /// Stops every listener.
    pub fn shutdown(self) {
        // Drop does the work.
    }
}

impl Drop for SimCluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for ep in &self.shared.endpoints {
            ep.kill.send_modify(|g| *g += 1);
        }
        if self.owns_cert_dir {
            let _ = std::fs::remove_dir_all(&self.cert_dir);
        }
    }
}

fn rpc_err(e: RpcError) -> SimError {
    SimError::Rejected(format!("{}: {}", e.code, e.message))
}

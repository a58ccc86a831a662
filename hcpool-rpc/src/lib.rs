//! # hcpool-rpc
//!
//! The pool's links to its wallets and nodes: a JSON-RPC client for hcwallet and hcd
//! ([`jsonrpc`]), [`JsonRpcWallet`] (a [`hcpool_core::backend::WalletBackend`]),
//! [`JsonRpcNode`] (a [`hcpool_core::backend::ChainNode`] with a notification stream) and
//! the [`WalletManager`] that keeps N voting wallets in agreement; the stakepoold gRPC
//! contract, client and server helpers ([`stakepoold`]). The simulated hcwallet + hcd
//! cluster that tests and demos run these against is its own crate, `hcpool-simnet`.
//!
//! ## Main types
//!
//! | part | types |
//! |---|---|
//! | JSON-RPC | [`RpcClient`], [`ClientConfig`] (host, user, password, [`PinnedCert`], [`Mode`], [`Reconnect`], timeout) |
//! | wallets and node | [`JsonRpcWallet`] (`WalletBackend`), [`JsonRpcNode`] (`ChainNode`), [`WalletManager`] with [`ManagerConfig`] and [`ManagerStatus`] |
//! | stakepoold | [`GrpcVotingNode`] (`VotingNode`) with [`GrpcVotingNodeConfig`]; [`stakepoold::serve`] and [`stakepoold::ServerTls`] for a server; the generated code in [`stakepoold::proto`] |
//! | connect checks | [`check::check_node`], [`check::check_wallet`] (network, API versions, `walletinfo.voting`) → [`check::ServerInfo`] |
//! | errors | one [`Error`]: JSON-RPC node and wallet, wallet manager, stakepoold gRPC (`VotingNode*`, …) and TLS variants kept apart, with [`Error::kind`], [`Error::into_core`] and [`Error::into_voting_node`] |
//!
//! TLS everywhere pins the server's own certificate file byte for byte (see [`pinned_tls`]),
//! as the Go clients do by loading it as their only root.
//!
//! ## Example
//!
//! Several voting wallets behind one manager (`no_run`: it needs running hcwallets;
//! `examples/src/custom_pool.rs` runs the same against the simulator):
//!
//! ```no_run
//! use std::sync::Arc;
//! use hcpool_core::{backend::WalletBackend, Secret};
//! use hcpool_rpc::{ClientConfig, JsonRpcWallet, ManagerConfig, PinnedCert, Reconnect, WalletManager};
//!
//! # async fn run() -> Result<(), hcpool_rpc::Error> {
//! let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
//! for host in ["127.0.0.1:12010", "10.0.0.2:12010"] {
//!     let mut cfg = ClientConfig::new(
//!         host,
//!         "rpcuser",
//!         Secret::new("rpcpass".to_owned()),
//!         PinnedCert::File("/home/pool/.hcwallet/rpc.cert".into()),
//!     );
//!     // Redial in the background, but let the manager count a down wallet as absent.
//!     cfg.reconnect = Reconnect::FAIL_FAST;
//!     wallets.push(Arc::new(JsonRpcWallet::connect(cfg).await?));
//! }
//! let manager = Arc::new(WalletManager::new(wallets, ManagerConfig::default()));
//! let vote_version = manager.check_vote_version().await?;
//! manager.sync(&[]).await?;
//! let _recheck = manager.spawn_recheck(std::time::Duration::from_secs(30));
//! println!("vote version {vote_version}: {:?}", manager.status());
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

pub mod accept;
pub mod check;
pub mod error;
pub mod jsonrpc;
pub mod manager;
pub mod node;
pub mod pinned_tls;
pub mod stakepoold;
pub mod voterecords;
pub mod wallet;

pub use error::{Error, Result, RpcError};
pub use jsonrpc::{ClientConfig, Mode, PinnedCert, Reconnect, RpcClient};
pub use manager::{ManagerConfig, ManagerStatus, WalletManager, WalletStatus};
pub use node::JsonRpcNode;
pub use stakepoold::{GrpcVotingNode, GrpcVotingNodeConfig};
pub use wallet::JsonRpcWallet;

//! # hcpool-rpc
//!
//! The pool's links to its wallets and nodes: a JSON-RPC client for hcwallet and hcd
//! ([`jsonrpc`]), [`JsonRpcWallet`] (a [`hcpool_core::backend::WalletBackend`]),
//! [`JsonRpcNode`] (a [`hcpool_core::backend::ChainNode`] with a notification stream) and
//! the [`WalletManager`] that keeps N voting wallets in agreement; the stakepoold gRPC
//! contract and client ([`stakepoold`]); a simulated hcwallet + hcd cluster ([`simnet`]).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod jsonrpc;
pub mod manager;
pub mod node;
pub mod pinned_tls;
pub mod simnet;
pub mod stakepoold;
pub mod wallet;

pub use error::{Error, Result, RpcError};
pub use jsonrpc::{ClientConfig, Mode, PinnedCert, Reconnect, RpcClient};
pub use manager::{ManagerConfig, ManagerStatus, WalletManager, WalletStatus};
pub use node::JsonRpcNode;
pub use wallet::JsonRpcWallet;

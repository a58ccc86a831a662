//! # stakepoold
//!
//! The HC stake pool's voting daemon as a library: it keeps the pool's live tickets from the
//! wallet and the node's notifications, votes every winning ticket with its owner's votebits,
//! and serves the web app's gRPC API (`proto/stakepoold.proto`).
//!
//! The voting decisions live in [`hcpool_core::service::voter::VoterState`]; this crate does
//! the I/O around it ([`daemon::Daemon`]). The binary only parses flags and calls [`run()`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod daemon;
pub mod error;
pub mod grpc;
pub mod metrics;
pub mod node;
pub mod run;

pub use config::{Args, Config};
pub use daemon::{Daemon, DaemonDeps, DaemonOptions, VoteOutcome, VoteResult};
pub use error::{Error, Result};
pub use metrics::{Metrics, StatusSnapshot};
pub use run::run;

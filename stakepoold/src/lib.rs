//! # stakepoold
//!
//! The HC stake pool's voting daemon as a library: it keeps the pool's live tickets from the
//! wallet and the node's notifications, votes every winning ticket with its owner's votebits,
//! and serves the web app's gRPC API (`proto/stakepoold.proto`).
//!
//! The voting decisions live in [`hcpool_core::service::voter::VoterState`]; this crate does
//! the I/O around it ([`daemon::Daemon`]). The binary only parses flags and calls [`run()`].
//!
//! What the daemon does besides voting:
//! - **Late winners**: a winner that is neither live nor ignored (drawn in the very block it
//!   matured in, before that block's `newtickets` was handled, or one whose notification was
//!   lost) is looked up in the wallet, fee-checked and voted if it is the pool's; the known
//!   winners' votes do not wait for that lookup.
//! - **Revocation**: pool tickets that `spentandmissedtickets` reports missed (or expired)
//!   wait in [`Daemon::pending_revocations`]. The real hcwallet revokes them by itself; the
//!   daemon makes sure: after the block's votes it calls the wallet's `revoketickets`
//!   ("already have transaction" = the wallet's own revocation, done), again every
//!   [`daemon::REVOKE_RETRY_BLOCKS`] blocks, at most [`daemon::REVOKE_MAX_ATTEMPTS`] times
//!   per ticket; then the ticket is given up (one warning, [`Health::revocations_given_up`],
//!   the `stakepoold_revocations_given_up` gauge). A ticket ends when hcd reports it again
//!   (a revocation is reported as a miss) or hcd's `existsmissedtickets` no longer lists
//!   it. The daemon also calls `revoketickets` once at start-up, for tickets missed while
//!   it was down.
//! - **Reconnects**: the JSON-RPC clients redial and re-register notifications by themselves;
//!   after each node reconnect the daemon rescans the wallet's tickets, since notifications
//!   sent while the link was down are lost.
//! - **Health**: [`Daemon::health`] (links up, last block seen, rescans) feeds the standard
//!   `grpc.health.v1.Health` service (SERVING while the wallet and node are connected) and the
//!   Prometheus gauges.
//! - **Store**: with `dburl` (or hcstakepool's `dbhost`/`dbuser`/… keys) users' voting
//!   configs and added low-fee tickets are loaded from the pool's database at start
//!   ([`run::open_store`]; the low-fee tickets still votable, the set the web app pushes:
//!   `hcpool_core::service::votable_low_fee_entries`); the web app's gRPC calls replace
//!   them later. An added ticket whose vote hcd accepted, or that hcd reports spent, is
//!   marked voted in the store (`LowFeeTicketStore::mark_low_fee_ticket_voted`). A daemon that
//!   started without users (no store, or an empty one) rescans the wallet's tickets when
//!   the first `SetUserVotingPrefs` brings some: its start-up scan could map none. Such
//!   rescans are single-flight ([`Daemon::request_rescan`]): triggers that arrive while one
//!   runs coalesce into one more.
//! - **Saved state, reloads**: the users and added low-fee tickets are saved to
//!   `<datadir>/state.json` ([`state`]; temporary file + rename) after each change and at
//!   shutdown, and used, with a warning, when the database cannot be read at start
//!   ([`StateSource`]). Without gRPC (`norpclisten`) the daemon reloads them from the store
//!   every [`daemon::STORE_RELOAD`] (as the original), rescanning when users were added.
//! - **`maxusers`**: that many fee addresses (default 10,000) are derived from
//!   `coldwalletextpub`; set it to the web app's `maxusers`.
//! - **Certificate**: generated on P-256 unless `tlscurve=P-521` (the original's curve,
//!   which grpcio clients cannot verify).
//! - **Client authentication**: with `clientcafile` the gRPC API requires a client
//!   certificate listed in (or signed by a CA in) that file: mutual TLS, hcpool-web's
//!   `stakepooldclientcert`. Without it the daemon serves loopback only, unless the explicit
//!   compatibility mode `noclientauth` (the original web app presents no certificate) is
//!   set, which it warns about ([`Config::unauthenticated_listeners`]).
//! - **Accept errors** (descriptors exhausted, …) do not stop the gRPC or metrics listener:
//!   they retry after a bounded backoff ([`hcpool_rpc::accept`]).
//!
//! ## Trying the gRPC API from Python
//!
//! `tests/grpc_client.py` is a client that is not ours: it generates grpcio stubs from
//! `proto/stakepoold.proto` and calls every RPC (and the health check) of a running daemon
//! over TLS, once without client certificates and once against a daemon with
//! `--clientcafile` (mutual TLS). CI runs it; locally:
//!
//! ```sh
//! pip install grpcio grpcio-tools grpcio-health-checking
//! cargo build -p stakepoold
//! # starts `stakepoold --demo --rpclisten 127.0.0.1:PORT --datadir TMP` itself:
//! python3 stakepoold/tests/grpc_client.py --stakepoold target/debug/stakepoold
//! # or against a daemon already running:
//! python3 stakepoold/tests/grpc_client.py --address 127.0.0.1:PORT --cert DIR/rpc.cert
//! ```
//!
//! ## Main types
//!
//! [`Config`] (stakepoold.conf keys and flags, [`Args`]), [`run()`] (the whole daemon until a
//! shutdown future resolves), [`Daemon`] with [`DaemonDeps`] and [`DaemonOptions`] (to embed
//! the daemon on your own wallet/node/store implementations), [`InProcess`] (a daemon
//! started in-process with its gRPC server: what [`run()`], the web demo and the end-to-end
//! suites start), [`grpc`] (the API server over TLS), [`Metrics`] and [`StatusSnapshot`],
//! [`Error`]. [`Upstream`] says whether the wallet and node are real or simulated.
//!
//! Its gRPC client side is `hcpool_rpc::stakepoold::GrpcVotingNode`.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `demo` | yes | `--demo` / `demo=1`: an in-process simulated hcwallet and hcd (the `hcpool-simnet` crate) |
//!
//! A production build leaves the simulator out: `cargo build --release -p stakepoold
//! --no-default-features`. Such a binary refuses a demo configuration with a message
//! saying it was built without the demo.
//!
//! ## Example
//!
//! ```
//! use clap::Parser;
//! use hcpool_core::Network;
//!
//! let args = stakepoold::Args::parse_from(["stakepoold"]);
//! let file = "[Application Options]\n\
//!     coldwalletextpub=tpubX\npoolfees=7.5\n\
//!     hcdhost=127.0.0.1\nhcduser=u\nhcdpassword=p\nhcdcert=hcd.cert\n\
//!     wallethost=127.0.0.1\nwalletuser=u\nwalletpassword=p\nwalletcert=wallet.cert\n\
//!     dbhost=127.0.0.1\ndbpassword=secret\n";
//! let config = stakepoold::Config::from_parts(&args, Some(file), "/home/pool/.stakepoold".into())
//!     .expect("a valid configuration");
//! assert_eq!(config.network, Network::Mainnet);
//! assert_eq!(config.upstream.hcd().map(|p| p.host.as_str()), Some("127.0.0.1:14009"));
//! assert_eq!(config.rpc_listen, ["localhost:9113"]);
//!
//! // Then, in the binary (not called here: it dials hcd and hcwallet):
//! # async fn serve(config: stakepoold::Config) -> stakepoold::Result<()> {
//! stakepoold::run(config, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod daemon;
pub mod demo;
pub mod error;
pub mod feecheck;
pub mod grpc;
pub mod in_process;
pub mod metrics;
pub mod run;
pub mod startup;
pub mod state;

pub use config::{Args, Config, Upstream};
pub use daemon::{
    Daemon, DaemonDeps, DaemonOptions, Health, PendingRevocation, StateSource, VoteOutcome,
    VoteResult,
};
pub use error::{Error, Result};
pub use in_process::{InProcess, Listen, ServeOptions};
pub use metrics::{Metrics, StatusSnapshot};
pub use run::run;

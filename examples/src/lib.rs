//! # hcpool-examples
//!
//! Runnable examples of embedding hcpool's crates. Each example is a module here with a
//! `run()` that prints what it shows and returns an error when its result is wrong; the
//! binaries under `examples/` call it (`cargo run -p hcpool-examples --example offline`) and
//! `tests/run_examples.rs` calls every one, so `cargo test --workspace` checks them all.
//!
//! See `README.md` for the list, for which traits an embedder implements and for the cargo
//! features of each crate.
//!
//! | module | shows |
//! |---|---|
//! | [`offline`] | addresses, per-user keys, the 1-of-2 multisig and the pool-fee check, no I/O |
//! | [`mocked_backends`] | `PoolService` through a failing `mockall` wallet: nothing half done |
//! | [`custom_pool`] | `PoolService` on the embedder's own `Store` and simulated wallets |
//! | [`stakepoold_client`] | the published stakepoold gRPC client against the real daemon, in process on simulated wallets |
//!
//! ```
//! // Every example is a function that checks its own result.
//! hcpool_examples::offline::run()?;
//! # Ok::<(), anyhow::Error>(())
//! ```

// Printing is the point of these examples; they are not a library to build on.
#![allow(clippy::print_stdout)]

pub mod custom_pool;
pub mod mocked_backends;
pub mod offline;
pub mod stakepoold_client;
pub mod testnet;

//! # hcpool-examples
//!
//! Runnable examples of embedding hcpool's crates. Each example is a module here with a
//! `run()` that prints what it shows and returns an error when its result is wrong; the
//! binaries under `examples/` call it (`cargo run -p hcpool-examples --example offline`) and
//! `tests/run_examples.rs` calls every one, so `cargo test --workspace` checks them all.
//!
//! See `README.md` for the list and for which traits an embedder implements.

// Printing is the point of these examples; they are not a library to build on.
#![allow(clippy::print_stdout)]

pub mod custom_pool;
pub mod mocked_backends;
pub mod offline;
pub mod testnet;

//! Addresses, the 1-of-2 multisig and the pool-fee check, with no wallet.
//! `cargo run -p hcpool-examples --example offline`

fn main() -> anyhow::Result<()> {
    hcpool_examples::offline::run()
}

//! A pool built from the parts: the embedder's own store, a simulated wallet over JSON-RPC.
//! `cargo run -p hcpool-examples --example custom_pool`

fn main() -> anyhow::Result<()> {
    hcpool_examples::custom_pool::run()
}

//! The published stakepoold gRPC client against an in-process stakepoold over TLS.
//! `cargo run -p hcpool-examples --example stakepoold_client`

fn main() -> anyhow::Result<()> {
    hcpool_examples::stakepoold_client::run()
}

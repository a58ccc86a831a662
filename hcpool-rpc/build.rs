//! Generates the stakepoold gRPC code from `proto/stakepoold.proto` (repository root).
//!
//! No system `protoc` is needed: `protox` (a pure-Rust protobuf compiler) produces the
//! FileDescriptorSet that tonic's builder turns into Rust.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with `env!`: a build script compiled in one checkout may be
    // re-run for another (a copied target directory), and must look at that one's proto.
    let proto_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../proto");
    let proto = proto_dir.join("stakepoold.proto");
    println!("cargo:rerun-if-changed={}", proto.display());
    let fds = protox::compile([&proto], [&proto_dir])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

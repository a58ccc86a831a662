//! Generates the stakepoold gRPC code from `proto/stakepoold.proto` (repository root).
//!
//! No system `protoc` is needed: `protox` (a pure-Rust protobuf compiler) produces the
//! FileDescriptorSet that tonic's builder turns into Rust.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../proto");
    let proto = proto_dir.join("stakepoold.proto");
    println!("cargo:rerun-if-changed={}", proto.display());
    let fds = protox::compile([&proto], [&proto_dir])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

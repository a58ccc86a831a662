//! The stakepoold gRPC contract (`proto/stakepoold.proto`, package `stakepoolrpc`) and a
//! client for it.
//!
//! The generated server traits ([`StakepooldService`], [`VersionService`]) are re-exported
//! for the stakepoold daemon; [`GrpcVotingNode`] is the web app's side: a
//! [`hcpool_core::backend::VotingNode`] that pins the node's certificate and checks its API
//! version the way hcstakepool does.

pub mod client;
pub mod error;
pub mod server;

/// Code generated from `proto/stakepoold.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("stakepoolrpc");
}

pub use client::{
    semver_compatible, ticket_from_wire, ticket_to_wire, user_from_wire, user_to_wire,
    GrpcVotingNode, GrpcVotingNodeConfig, REQUIRED_API_VERSION,
};
pub use error::StakepooldError;
pub use proto::stakepoold_service_server::{StakepooldService, StakepooldServiceServer};
pub use proto::version_service_server::{VersionService, VersionServiceServer};

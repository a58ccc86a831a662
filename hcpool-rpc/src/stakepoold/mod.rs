//! The stakepoold gRPC contract (`proto/stakepoold.proto`, package `stakepoolrpc`), a
//! client for it and the helpers to serve it.
//!
//! [`GrpcVotingNode`] is the web app's side: a [`hcpool_core::backend::VotingNode`] that pins
//! the node's certificate and checks its API version the way hcstakepool does. The generated
//! server traits ([`StakepooldService`], [`VersionService`]) are re-exported for the
//! stakepoold daemon; [`serve`] runs any value implementing both over TLS
//! ([`ServerTls`]). The `stakepoold_client` example of `hcpool-examples` runs both sides on
//! loopback.
//!
//! The wire conversions are public so that other servers and clients agree with this one:
//!
//! ```
//! use hcpool_core::backend::TicketEntry;
//! use hcpool_core::Hash32;
//! use hcpool_rpc::stakepoold::{proto, ticket_from_wire, ticket_to_wire, GrpcVotingNodeConfig};
//!
//! let cfg = GrpcVotingNodeConfig::new("127.0.0.1:19113", "/home/pool/.stakepoold/rpc.cert");
//! assert_eq!(cfg.server_name, "localhost"); // what hcstakepool sends
//!
//! let entry = TicketEntry {
//!     ticket_address: "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5".into(),
//!     ticket_hash: Hash32::from_bytes([7; 32]),
//! };
//! let wire = ticket_to_wire(&entry);
//! assert_eq!(ticket_from_wire(wire).unwrap(), entry);
//! // A hash that is not 32 bytes is refused, not truncated.
//! let short = proto::TicketEntry { ticket_address: String::new(), ticket_hash: vec![1, 2, 3] };
//! assert!(ticket_from_wire(short).is_err());
//! ```

pub mod client;
pub mod server;

/// Code generated from `proto/stakepoold.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("stakepoolrpc");
}

pub use client::{
    semver_compatible, ticket_from_wire, ticket_to_wire, user_from_wire, user_to_wire,
    ClientIdentity, GrpcVotingNode, GrpcVotingNodeConfig, REQUIRED_API_VERSION,
};
pub use proto::stakepoold_service_server::{StakepooldService, StakepooldServiceServer};
pub use proto::version_service_server::{VersionService, VersionServiceServer};
pub use server::{serve, ServerTls};

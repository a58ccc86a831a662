//! The targets, one module each.

pub mod address;
pub mod form;
pub mod grpc;
pub mod jsonrpc;
pub mod jwt;
pub mod poolconf;
pub mod script;
pub mod stakepooldconf;
pub mod tx;
pub mod votebits;
pub mod xpub;

//! Errors of the stakepoold gRPC client and server helpers.

use hcpool_core::BackendKind;

use crate::pinned_tls::TlsError;

/// What went wrong talking to a stakepoold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StakepooldError {
    /// The node's certificate could not be loaded, or TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The host string is not a usable endpoint.
    #[error("bad stakepoold host {0:?}")]
    Endpoint(String),
    /// The node could not be reached.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The call did not finish within the per-call timeout.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The node answered with a gRPC error status.
    #[error("rpc error: code = {code:?} desc = {message}")]
    Status {
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The node's API version is not compatible with the one required.
    #[error(
        "Stakepoold gRPC server does not have a compatible API version. \
         Advertises {got} but require {required}"
    )]
    IncompatibleVersion {
        /// The version the node reported.
        got: String,
        /// The version required.
        required: String,
    },
    /// A `TicketHash` that is not 32 bytes.
    #[error("ticket hash must be 32 bytes, got {0}")]
    BadTicketHash(usize),
    /// A value does not fit the wire type.
    #[error("value out of range: {0}")]
    OutOfRange(String),
    /// The gRPC server failed.
    #[error("grpc server: {0}")]
    Serve(String),
}

impl StakepooldError {
    /// How services should treat this error.
    pub fn kind(&self) -> BackendKind {
        match self {
            StakepooldError::Connect(_) | StakepooldError::Timeout(_) => BackendKind::Unavailable,
            StakepooldError::Status { code, .. } => match code {
                tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Cancelled => BackendKind::Unavailable,
                tonic::Code::NotFound => BackendKind::NotFound,
                tonic::Code::InvalidArgument => BackendKind::Rejected,
                _ => BackendKind::Other,
            },
            StakepooldError::IncompatibleVersion { .. } | StakepooldError::BadTicketHash(_) => {
                BackendKind::Inconsistent
            }
            StakepooldError::OutOfRange(_) => BackendKind::Rejected,
            StakepooldError::Tls(_) | StakepooldError::Endpoint(_) | StakepooldError::Serve(_) => {
                BackendKind::Other
            }
        }
    }

    /// Wraps this error as the core error of node `node`.
    pub fn into_core(self, node: &str) -> hcpool_core::Error {
        hcpool_core::Error::VotingNode {
            node: node.to_owned(),
            kind: self.kind(),
            source: Box::new(self),
        }
    }
}

impl From<tonic::Status> for StakepooldError {
    fn from(s: tonic::Status) -> Self {
        StakepooldError::Status {
            code: s.code(),
            message: s.message().to_owned(),
        }
    }
}

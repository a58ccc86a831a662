//! Errors of the simulated wallet/node cluster.

use hcpool_rpc::Error as TlsError;

/// Why the simulator could not start or act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A listener could not be bound or a file written.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The certificate could not be generated.
    #[error("certificate generation: {0}")]
    Cert(#[from] rcgen::Error),
    /// TLS setup failed (one of hcpool-rpc's TLS variants).
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The configuration is not usable.
    #[error("bad simnet configuration: {0}")]
    Config(String),
    /// A control operation was refused (the message says why).
    #[error("{0}")]
    Rejected(String),
    /// An error from hcpool-core (keys, addresses).
    #[error(transparent)]
    Core(#[from] hcpool_core::Error),
}

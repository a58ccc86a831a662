//! The crate's one error type.

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything stakepoold reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad configuration (the message names the option; never a secret value).
    #[error("config: {0}")]
    Config(String),
    /// A domain or backend failure (wallet, node, store, keys).
    #[error(transparent)]
    Core(#[from] hcpool_core::Error),
    /// A JSON-RPC client failure while connecting.
    #[error(transparent)]
    Rpc(#[from] hcpool_rpc::Error),
    /// TLS setup of the gRPC server failed.
    #[error("tls: {0}")]
    Tls(String),
    /// A socket or file failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A background task failed.
    #[error("task: {0}")]
    Task(String),
}

impl Error {
    /// An [`Error::Io`] saying what failed.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

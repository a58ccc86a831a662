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
    /// The voting wallet votes by itself (`walletinfo.voting`, hcwallet's
    /// `--enablevoting`) and `allowwalletvoting` is not set.
    #[error(
        "hcwallet {wallet} votes by itself (walletinfo.voting is true: started with \
         --enablevoting): its votes, with the wallet's default votebits, race stakepoold's and \
         usually win, so users' choices are lost. Restart it without --enablevoting, or set \
         allowwalletvoting=1 to run anyway"
    )]
    WalletVotes {
        /// The wallet's `host:port`.
        wallet: String,
    },
    /// `poolfees` disagrees with the wallet's own fee verdicts (the start-up cross-check).
    #[error("{0}; set poolfees to the voting wallets' --poolfees")]
    PoolFeesDisagree(String),
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

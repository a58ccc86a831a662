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
    /// The saved voting state (`<datadir>/state.json`) cannot be used.
    #[error("saved state: {0}")]
    State(String),
    /// A background task failed.
    #[error("task: {0}")]
    Task(String),
}

/// Exit status of the binary when the daemon stopped with an error it has no code of its
/// own for (a start-up step failing, a listener).
pub const EXIT_FAILURE: u8 = 2;
/// Exit status when hcd or hcwallet is on another network than the configured one, or is
/// not the configured kind of server (`getcurrentnet`, `version` at connect): retrying
/// cannot help, the configuration must change.
pub const EXIT_WRONG_NETWORK: u8 = 3;

impl Error {
    /// The binary's exit status for this error: [`EXIT_WRONG_NETWORK`] for a wallet or hcd
    /// on another network (or of the wrong kind), [`EXIT_FAILURE`] otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Rpc(
                hcpool_rpc::Error::WrongNetwork { .. } | hcpool_rpc::Error::WrongServer { .. },
            ) => EXIT_WRONG_NETWORK,
            _ => EXIT_FAILURE,
        }
    }

    /// An [`Error::Io`] saying what failed.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

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

/// Exit status for a configuration error (options, keys, TLS certificate files).
pub const EXIT_CONFIG: u8 = 1;
/// Exit status when hcd or hcwallet fails the connect checks, among them a server on another
/// network than the configured one or of the wrong kind (`getcurrentnet`, `version`):
/// retrying cannot help, the configuration must change.
pub const EXIT_WRONG_NETWORK: u8 = 3;

impl Error {
    /// The exit code of a daemon that stops with this error: 1 configuration (options,
    /// keys, TLS certificate files), 3 hcwallet or hcd (connecting, network, versions,
    /// a wallet that votes, `poolfees` against the wallet's verdicts), 5 a listener that
    /// cannot be bound, 6 a failure while running, 7 the database: it cannot be opened
    /// at start and there is no usable saved state (`<datadir>/state.json`) to vote with
    /// (with one, the daemon starts on it and retries the database in the background).
    /// The original exits 1 for every start-up error.
    pub fn exit_code(&self) -> u8 {
        use hcpool_core::Error as Core;
        match self {
            Error::Config(_) | Error::Tls(_) => EXIT_CONFIG,
            Error::Rpc(_) | Error::WalletVotes { .. } | Error::PoolFeesDisagree(_) => {
                EXIT_WRONG_NETWORK
            }
            Error::Core(Core::Store { .. }) => 7,
            Error::Core(Core::Wallet { .. } | Core::VotingNode { .. }) => 3,
            Error::Core(_) => 1,
            Error::Io { .. } => 5,
            _ => 6,
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

#[cfg(test)]
mod tests {
    use super::Error;
    use hcpool_core::BackendKind;

    #[test]
    fn exit_codes_per_failure() {
        assert_eq!(Error::Config("x".into()).exit_code(), 1);
        assert_eq!(
            Error::Core(hcpool_core::Error::store(BackendKind::Unavailable, "down")).exit_code(),
            7
        );
        assert_eq!(
            Error::Core(hcpool_core::Error::wallet(
                "w",
                BackendKind::Unavailable,
                "down"
            ))
            .exit_code(),
            3
        );
        assert_eq!(Error::WalletVotes { wallet: "w".into() }.exit_code(), 3);
        let bind = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        assert_eq!(Error::io("gRPC listen", bind).exit_code(), 5);
        assert_eq!(Error::Task("x".into()).exit_code(), 6);
    }
}

//! hcpool-web's exit codes: hcstakepool's numbers for the same start-up failures, so that a
//! supervisor or script written for the original reads them alike.
//!
//! | code | failure |
//! |---|---|
//! | 0 | stopped normally (or `--help`, `--version`, `debuglevel=show`) |
//! | 1 | configuration: bad flag, unreadable or invalid config file, `debuglevel`, `logdir`, mail settings |
//! | 2 | templates (`templatepath` overrides that do not compile) |
//! | 3 | wallets: `votingwalletextpub`/`coldwalletextpub`, connecting or checking a wallet, vote versions that disagree |
//! | 4 | wallet sync (importing the users' scripts) |
//! | 5 | `listen`: not an address or socket path, or cannot be bound |
//! | 6 | the server failed while running |
//! | 7 | database: cannot be opened or migrated, votebits reset |
//! | 8 | stakepoold: a certificate that cannot be loaded, an incompatible API version |
//!
//! hcstakepool's 9 (the first push to stakepoold failed) is not used: hcpool pushes once it
//! listens and retries a node that misses it, without exiting.

use crate::error::WebError;

/// The start-up step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Configuration (1).
    Config,
    /// Templates (2).
    Templates,
    /// Wallets and pool keys (3).
    Wallets,
    /// Wallet sync (4).
    WalletSync,
    /// Binding `listen` (5).
    Bind,
    /// Serving (6).
    Serve,
    /// The database (7).
    Database,
    /// stakepoold (8).
    Stakepoold,
}

impl Stage {
    /// The process exit code (hcstakepool's).
    pub const fn code(self) -> u8 {
        match self {
            Stage::Config => 1,
            Stage::Templates => 2,
            Stage::Wallets => 3,
            Stage::WalletSync => 4,
            Stage::Bind => 5,
            Stage::Serve => 6,
            Stage::Database => 7,
            Stage::Stakepoold => 8,
        }
    }
}

impl WebError {
    /// A [`WebError::Startup`] at `stage`: `what` failed with `e`.
    pub fn startup(stage: Stage, what: &str, e: impl std::fmt::Display) -> WebError {
        WebError::Startup {
            stage,
            message: format!("{what}: {e}"),
        }
    }

    /// The exit code of a process that stops with this error (see the module's table):
    /// a [`WebError::Startup`] its stage's, a configuration error 1, a template error 2,
    /// anything else 6.
    pub fn exit_code(&self) -> u8 {
        match self {
            WebError::Startup { stage, .. } => stage.code(),
            WebError::Config(_) => Stage::Config.code(),
            WebError::Template { .. } => Stage::Templates.code(),
            _ => Stage::Serve.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_hcstakepools() {
        let codes: Vec<u8> = [
            Stage::Config,
            Stage::Templates,
            Stage::Wallets,
            Stage::WalletSync,
            Stage::Bind,
            Stage::Serve,
            Stage::Database,
            Stage::Stakepoold,
        ]
        .map(Stage::code)
        .to_vec();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7, 8]);
        let e = WebError::startup(Stage::Database, "database", "refused");
        assert_eq!(
            (e.exit_code(), e.to_string().as_str()),
            (7, "database: refused")
        );
        assert_eq!(WebError::Config("x".into()).exit_code(), 1);
        assert_eq!(WebError::Join.exit_code(), 6);
    }
}

//! # hcpool-process
//!
//! What every hcpool process does at start, shared by `hcpool-web`, `stakepoold` and
//! `hcpoolctl`: the version with the git commit it was built from ([`build`]), and logging
//! ([`log`]): stderr or stdout, plus a log file per network under `logdir`
//! (`<logdir>/<network>/<name>.log`, as hcstakepool) rotated by size with a kept count, and
//! the `debuglevel` filter (parsed by [`hcpool_core::config::debuglevel`]).
//!
//! ```
//! let v = hcpool_process::build::VERSION;
//! assert!(v.starts_with(env!("CARGO_PKG_VERSION")));
//! assert!(v.contains("(commit "));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code reports errors; it never unwraps or panics (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod build;
pub mod log;

/// The crate's one error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The log directory or file cannot be created or opened.
    #[error("logdir: {path}: {source}")]
    LogFile {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A filter that `tracing` does not accept.
    #[error("debuglevel: {0}")]
    Filter(String),
    /// The log file was already opened.
    #[error("the log file is already open")]
    AlreadyOpen,
}

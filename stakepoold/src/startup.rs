//! The `stakepoold` binary from flags to a running daemon: the command line (`--version`
//! with the build's commit, `--debuglevel show`), stakepoold.conf, logging (stderr and
//! `<logdir>/<network>/stakepoold.log`, `debuglevel`), the start-up line, the daemon until
//! SIGINT or SIGTERM, and the exit code of a failure ([`Error::exit_code`]).

use std::ffi::OsString;
use std::io::Write as _;

use clap::Parser;
use hcpool_core::config::debuglevel::{self, DebugLevel};
use hcpool_process::log::{LogFile, Logging, Stream};

use crate::config::{debug_directives, SUBSYSTEMS};
use crate::{Args, Config, Error};

/// The log file's name (the original's).
pub const LOG_FILE: &str = "stakepoold.log";

/// The environment variable whose filter wins over `debuglevel`.
pub const LOG_ENV: &str = "STAKEPOOLD_LOG";

/// Runs the binary with `args` (the program name first) and returns its exit code: 0 after
/// SIGINT/SIGTERM, `--help`, `--version` or `--debuglevel show`; otherwise
/// [`Error::exit_code`] (1 for bad flags).
pub async fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let logging = Logging::install(Stream::Stderr, LOG_ENV);
    let args = match Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if args.debuglevel.as_deref().map(str::trim) == Some("show") {
        let names = debuglevel::names(SUBSYSTEMS);
        let _ = writeln!(std::io::stdout(), "Supported subsystems {names}");
        return 0;
    }
    let result = match Config::load(&args) {
        Ok(config) => match start_logging(&config, &logging) {
            Ok(()) => {
                hcpool_process::build::log_start("stakepoold", config.network);
                crate::run(config, shutdown_signal()).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            e.exit_code()
        }
    }
}

/// Applies `debuglevel` (unless [`LOG_ENV`] is set) and opens the log file, if any.
///
/// # Errors
/// [`Error::Config`]: a filter `tracing` refuses, a log file that cannot be opened.
pub fn start_logging(config: &Config, logging: &Logging) -> Result<(), Error> {
    if let DebugLevel::Directives(d) = debug_directives(&config.debug_level)? {
        logging
            .set_filter(&d)
            .map_err(|e| Error::Config(e.to_string()))?;
    }
    if let Some(dir) = &config.log_dir {
        let file = LogFile::under(
            dir,
            config.network,
            LOG_FILE,
            config.max_log_size_mib,
            config.logs_to_keep,
        );
        logging
            .open(&file)
            .map_err(|e| Error::Config(e.to_string()))?;
        tracing::info!(file = %file.path.display(), "logging to file");
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

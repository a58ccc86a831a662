//! The `hcpool-web` binary from flags to a running pool: the command line (`--version`
//! with the build's commit), hcstakepool.conf (file < `HCPOOL_*` environment < flags),
//! logging (stdout and `<logdir>/<network>/hcstakepool.log`, `debuglevel`), the start-up
//! line, the templates hcpool does not use, the pool, and the exit code of a failure
//! ([`crate::exit`]).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hcpool_core::config::debuglevel::{self, DebugLevel};
use hcpool_core::Network;
use hcpool_process::log::{expand_home, LogFile, Logging, Stream};

use crate::config::{self, Config, Invocation};
use crate::error::WebError;

/// The log file's name (hcstakepool's).
pub const LOG_FILE: &str = "hcstakepool.log";

/// The environment variable whose filter wins over `debuglevel`.
pub const LOG_ENV: &str = "HCPOOL_LOG";

/// hcstakepool's home: `~/.hcstakepool` (the default config file, `logs`).
pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".hcstakepool")
}

/// Runs the binary with `args` (the program name first) and returns its exit code: 0 after
/// a normal stop, `--help`, `--version` or `debuglevel=show`; otherwise [`crate::exit`]'s.
pub async fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let logging = Logging::install(Stream::Stdout, LOG_ENV);
    let inv = match config::parse_args(args) {
        Ok(inv) => inv,
        Err(e) => {
            // --help and --version print to stdout and succeed; bad flags are a config error.
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    match run(&inv, &logging).await {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            e.exit_code()
        }
    }
}

fn flag(inv: &Invocation, key: &str) -> Option<String> {
    inv.flags
        .iter()
        .rev()
        .find(|s| s.key == key)
        .map(|s| s.value.clone())
}

async fn run(inv: &Invocation, logging: &Logging) -> Result<(), WebError> {
    if inv.demo {
        // The demo writes a log file only when asked to.
        if let Some(dir) = flag(inv, "logdir") {
            let file = LogFile::under(&expand_home(&dir), Network::Simnet, LOG_FILE, 10, 3);
            logging
                .open(&file)
                .map_err(|e| WebError::Config(e.to_string()))?;
        }
        hcpool_process::build::log_start("hcpool-web", Network::Simnet);
        let listen = flag(inv, "listen").unwrap_or_else(|| "127.0.0.1:8000".into());
        let datadir = PathBuf::from(flag(inv, "datadir").unwrap_or_else(|| "hcpool-demo".into()));
        return crate::wiring::run_demo(&datadir, &listen, Duration::from_secs(10)).await;
    }
    let path = inv
        .config_file
        .clone()
        .unwrap_or_else(|| home().join("hcstakepool.conf"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(_) if inv.config_file.is_none() => None,
        Err(e) => {
            return Err(WebError::Config(format!(
                "config file {}: {e}",
                path.display()
            )))
        }
    };
    let file = text.as_deref().map(|t| (path.as_path(), t));
    let src = config::layer(
        file,
        config::env_settings(std::env::vars()),
        inv.flags.clone(),
    )?;
    if src.get("debuglevel").map(str::trim) == Some("show") {
        let names = debuglevel::names(config::SUBSYSTEMS);
        let _ = writeln!(std::io::stdout(), "Supported subsystems {names}");
        return Ok(());
    }
    let cfg =
        Config::from_sources(&src).map_err(|e| WebError::Config(format!("loadConfig: {e}")))?;
    start_logging(&cfg, logging)?;
    hcpool_process::build::log_start("hcpool-web", cfg.pool.network);
    let templates = cfg.web.template_path.trim();
    if !templates.is_empty() {
        crate::custom::report_unused_templates(Path::new(templates));
    }
    let base = path.parent().map_or_else(home, Path::to_path_buf);
    crate::wiring::run(&cfg, &base).await
}

/// Applies `debuglevel` (unless [`LOG_ENV`] is set) and opens the log file:
/// `<logdir>/<network>/hcstakepool.log`, `logdir` defaulting to `~/.hcstakepool/logs` as in
/// hcstakepool, rotated past `maxlogsize` MiB keeping `logstokeep` files.
///
/// # Errors
/// [`WebError::Config`]: a `debuglevel` `tracing` refuses, a log file that cannot be opened.
pub fn start_logging(cfg: &Config, logging: &Logging) -> Result<(), WebError> {
    if let DebugLevel::Directives(d) =
        config::debug_level(&cfg.pool.debug_level).map_err(|e| WebError::Config(e.to_string()))?
    {
        logging
            .set_filter(&d)
            .map_err(|e| WebError::Config(e.to_string()))?;
    }
    let dir = cfg
        .pool
        .log_dir
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map_or_else(|| home().join("logs"), expand_home);
    let file = LogFile::under(
        &dir,
        cfg.pool.network,
        LOG_FILE,
        cfg.pool.max_log_size_mib,
        cfg.pool.logs_to_keep,
    );
    logging
        .open(&file)
        .map_err(|e| WebError::Config(e.to_string()))?;
    tracing::info!(file = %file.path.display(), "logging to file");
    Ok(())
}

//! `hcpool-web`: reads hcstakepool.conf (file < `HCPOOL_*` env < flags) and serves the pool;
//! `--demo` serves a self-contained pool (SQLite + simulated wallets).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use hcpool_web::{config, wiring};

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".hcstakepool")
}

/// Sets the log filter from `debuglevel` (hcstakepool's key) when `HCPOOL_LOG` is not set.
type SetLevel = Box<dyn Fn(&str) + Send + Sync>;

async fn run(set_level: SetLevel) -> anyhow::Result<()> {
    let inv = config::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let flag = |k: &str| {
        inv.flags
            .iter()
            .rev()
            .find(|s| s.key == k)
            .map(|s| s.value.clone())
    };
    if inv.demo {
        let listen = flag("listen").unwrap_or_else(|| "127.0.0.1:8000".into());
        let datadir = PathBuf::from(flag("datadir").unwrap_or_else(|| "hcpool-demo".into()));
        wiring::run_demo(&datadir, &listen, Duration::from_secs(10)).await?;
        return Ok(());
    }
    let path = inv
        .config_file
        .clone()
        .unwrap_or_else(|| home().join("hcstakepool.conf"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(_) if inv.config_file.is_none() => None,
        Err(e) => anyhow::bail!("config file {}: {e}", path.display()),
    };
    let file = text.as_deref().map(|t| (path.as_path(), t));
    let src = config::layer(
        file,
        config::env_settings(std::env::vars()),
        inv.flags.clone(),
    )?;
    let cfg = config::Config::from_sources(&src).map_err(|e| anyhow::anyhow!("loadConfig: {e}"))?;
    set_level(&cfg.pool.debug_level);
    let base = path.parent().map_or_else(home, Path::to_path_buf);
    wiring::run(&cfg, &base).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{fmt, reload, EnvFilter};

    let from_env = std::env::var("HCPOOL_LOG").ok();
    let (filter, handle) = reload::Layer::new(EnvFilter::new(
        from_env.clone().unwrap_or_else(|| "info".into()),
    ));
    tracing_subscriber::registry()
        .with(filter)
        // Colours only on a terminal: a log file or journald gets plain text.
        .with(fmt::layer().with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())))
        .init();
    let set_level: SetLevel = Box::new(move |level: &str| {
        if from_env.is_some() {
            return; // HCPOOL_LOG wins.
        }
        match EnvFilter::try_new(level.trim()) {
            Ok(f) => {
                if let Err(e) = handle.reload(f) {
                    tracing::warn!("debuglevel not applied: {e}");
                }
            }
            Err(e) => tracing::warn!("debuglevel {level:?} not understood ({e}); logging at info"),
        }
    });
    match run(set_level).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

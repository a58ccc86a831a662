//! `hcpool-web`: reads hcstakepool.conf (file < `HCPOOL_*` env < flags) and serves the pool;
//! `--demo` serves a self-contained pool (SQLite + simulated wallets).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use hcpool_core::config::PoolConfig;
use hcpool_web::{config, wiring};

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".hcstakepool")
}

async fn run() -> anyhow::Result<()> {
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
    let cfg = PoolConfig::from_sources(&src).map_err(|e| anyhow::anyhow!("loadConfig: {e}"))?;
    let base = path.parent().map_or_else(home, Path::to_path_buf);
    wiring::run(&cfg, &base).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HCPOOL_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        // Colours only on a terminal: a log file or journald gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

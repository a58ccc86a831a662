//! `hcpool-web`: reads hcstakepool.conf (file < `HCPOOL_*` env < flags) and serves the pool.

use std::path::PathBuf;
use std::process::ExitCode;

use hcpool_core::config::PoolConfig;
use hcpool_web::config;

fn default_config_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".hcstakepool/hcstakepool.conf"))
}

fn load() -> anyhow::Result<(config::Invocation, PoolConfig)> {
    let inv = config::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let path = inv.config_file.clone().or_else(default_config_file);
    let text = match &path {
        Some(p) if p.exists() || inv.config_file.is_some() => Some(
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("config file {}: {e}", p.display()))?,
        ),
        _ => None,
    };
    let file = path.as_deref().zip(text.as_deref());
    let src = config::layer(
        file,
        config::env_settings(std::env::vars()),
        inv.flags.clone(),
    )?;
    if inv.demo {
        anyhow::bail!(
            "--demo is not wired yet: it needs hcpool-db's SqliteStore and hcpool-rpc's \
             simulated wallet cluster"
        );
    }
    let cfg = PoolConfig::from_sources(&src).map_err(|e| anyhow::anyhow!("loadConfig: {e}"))?;
    Ok((inv, cfg))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HCPOOL_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    match load() {
        Ok((_inv, cfg)) => {
            tracing::error!(
                listen = %cfg.listen,
                "configuration is valid, but hcpool-web cannot serve yet: the SQL store \
                 (hcpool-db) and the wallet manager (hcpool-rpc) are not wired into this binary"
            );
            ExitCode::from(2)
        }
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

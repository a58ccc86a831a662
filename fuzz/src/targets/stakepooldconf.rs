//! stakepoold.conf text: the daemon's configuration from its file with no flags (no file
//! system access), and with `--simnet` and `--testnet` given as flags on top.

use std::path::PathBuf;

use stakepoold::{Args, Config};

/// The target.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let appdata = PathBuf::from("/nonexistent/stakepoold");
    for args in [
        Args::default(),
        Args {
            simnet: true,
            ..Args::default()
        },
    ] {
        if let Ok(cfg) = Config::from_parts(&args, Some(text), appdata.clone()) {
            let _ = cfg.unauthenticated_listeners();
            let _ = format!("{cfg:?}");
        }
    }
}

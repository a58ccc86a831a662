//! The version and the git commit a binary was built from (`build.rs` asks git; "unknown"
//! when it could not), for `--version`, the start-up log line and the pre-release warning.

/// The git commit (12 hex digits), or "unknown" (not built from a git checkout, no git, or
/// `HCPOOL_BUILD_COMMIT` unset in a build without `.git`).
pub const COMMIT: &str = env!("HCPOOL_GIT_COMMIT");

/// The workspace version (every hcpool binary has it).
pub const PKG_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `<version> (commit <commit>)`: what `--version` prints after the program name.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("HCPOOL_GIT_COMMIT"),
    ")"
);

/// Why a build counts as a pre-release: a semver pre-release part (`0.2.0-rc.1`), or a
/// commit that cannot be told. `None` for a release build.
pub fn prerelease_reason(version: &str, commit: &str) -> Option<String> {
    // Build metadata (`+…`) is not a pre-release; the pre-release part comes before it.
    let core = version.split('+').next().unwrap_or(version);
    if let Some((_, pre)) = core.split_once('-') {
        return Some(format!("version {version} is a pre-release ({pre})"));
    }
    if commit.trim().is_empty() || commit == "unknown" {
        return Some("the commit it was built from is unknown".to_owned());
    }
    None
}

/// The start-up warning for this build on `network` (`None` off mainnet or for a release).
pub fn mainnet_warning(
    network: hcpool_core::Network,
    version: &str,
    commit: &str,
) -> Option<String> {
    if network != hcpool_core::Network::Mainnet {
        return None;
    }
    prerelease_reason(version, commit).map(|why| {
        format!(
            "this is not a release build ({why}) and it runs on mainnet: use a release for \
             real funds"
        )
    })
}

/// Logs `<program> <VERSION>` at info and, on mainnet, [`mainnet_warning`] for this build.
pub fn log_start(program: &str, network: hcpool_core::Network) {
    tracing::info!(
        version = PKG_VERSION,
        commit = COMMIT,
        network = network.params().name,
        "{program} starting"
    );
    if let Some(w) = mainnet_warning(network, PKG_VERSION, COMMIT) {
        tracing::warn!("{w}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_core::Network;

    #[test]
    fn prerelease_rules() {
        assert_eq!(prerelease_reason("0.1.0", "0123456789ab"), None);
        assert_eq!(prerelease_reason("0.1.0+build.5", "0123456789ab"), None);
        assert!(prerelease_reason("0.2.0-rc.1", "0123456789ab")
            .unwrap()
            .contains("rc.1"));
        assert!(prerelease_reason("0.2.0-rc.1+meta", "0123456789ab").is_some());
        assert!(prerelease_reason("0.1.0", "unknown")
            .unwrap()
            .contains("unknown"));
        assert!(mainnet_warning(Network::Mainnet, "0.2.0-beta", "abc").is_some());
        assert_eq!(mainnet_warning(Network::Testnet, "0.2.0-beta", "abc"), None);
        assert_eq!(mainnet_warning(Network::Mainnet, "0.2.0", "abc"), None);
    }

    #[test]
    fn commit_is_recorded() {
        // This crate is built from the project's git checkout in CI and here.
        assert!(
            COMMIT == "unknown"
                || COMMIT
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{COMMIT}"
        );
        assert!(VERSION.ends_with(&format!("(commit {COMMIT})")));
    }
}

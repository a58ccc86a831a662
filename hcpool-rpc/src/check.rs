//! Version and network checks at connect, for hcd and hcwallet alike (stakepoold's links
//! and the web's wallet manager use the same check).
//!
//! - `getcurrentnet` must name the configured network: a wrong one is refused
//!   ([`Error::WrongNetwork`], naming both).
//! - `version` must look like the server that was configured (a wallet answers with
//!   `hcwalletjsonrpcapi`, hcd without it; [`Error::WrongServer`] otherwise). An API
//!   major/minor other than the tested ones ([`TESTED_HCD_API`], [`TESTED_WALLET_API`]) is
//!   only a warning: logged, and kept in [`ServerInfo::warnings`].
//! - a wallet's `walletinfo.voting` (hcwallet's `--enablevoting`) is kept in
//!   [`ServerInfo::voting`]; what to do about it is the caller's choice (stakepoold refuses
//!   it, the web only shows it).
//!
//! The tested versions are those of the real programs in CI: hcd 27c7ab1 and hcwallet
//! 51a2c09 (Release2.1.1), and hcstakepool's pinned hcwallet 581eee8, which all report
//! `hcdjsonrpcapi` 3.1.0 and `hcwalletjsonrpcapi` 4.1.0.

use hcpool_core::Network;
use serde::Serialize;
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::jsonrpc::replies::{VersionReply, WalletInfoReply};
use crate::jsonrpc::RpcClient;
use crate::{JsonRpcNode, JsonRpcWallet};

/// The `version` key of hcd's JSON-RPC API (also in a wallet's answer: its hcd's).
pub const HCD_API: &str = "hcdjsonrpcapi";
/// The `version` key of hcwallet's JSON-RPC API.
pub const WALLET_API: &str = "hcwalletjsonrpcapi";
/// The hcd API major.minor hcpool is tested with.
pub const TESTED_HCD_API: (u32, u32) = (3, 1);
/// The hcwallet API major.minor hcpool is tested with.
pub const TESTED_WALLET_API: (u32, u32) = (4, 1);
/// The programs hcpool is tested with (`../shared/realhc/SOURCES.md`), named in the
/// untested-version warning.
pub const TESTED_PROGRAMS: &str = "hcd 27c7ab1 and hcwallet 51a2c09 (Release2.1.1), \
    hcd 0499988 and hcwallet 581eee8 (hcstakepool's pins): hcdjsonrpcapi 3.1.0, \
    hcwalletjsonrpcapi 4.1.0";

/// What the server was configured as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    /// hcd (`hcdhost`).
    Hcd,
    /// hcwallet (`wallethost`, `wallethosts`).
    Wallet,
}

impl ServerKind {
    fn name(self) -> &'static str {
        match self {
            ServerKind::Hcd => "hcd",
            ServerKind::Wallet => "hcwallet",
        }
    }
}

/// What the check learnt about one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    /// `host:port`.
    pub label: String,
    /// What it was configured as.
    pub kind: ServerKind,
    /// Its (or, for a wallet, its hcd's) `hcdjsonrpcapi` version string, if reported.
    pub hcd_api: Option<String>,
    /// A wallet's `hcwalletjsonrpcapi` version string.
    pub wallet_api: Option<String>,
    /// The network it is on (hcd's name: `mainnet`, `testnet2`, `simnet`).
    pub network: String,
    /// `walletinfo.voting` of a wallet (`None` for hcd).
    pub voting: Option<bool>,
    /// Untested API versions (the server was accepted anyway).
    pub warnings: Vec<String>,
}

/// The network whose wire magic `getcurrentnet` reported.
pub fn network_of_magic(magic: u32) -> Option<Network> {
    Network::ALL
        .into_iter()
        .find(|n| n.params().net_magic == magic)
}

fn describe_magic(magic: u32) -> String {
    match network_of_magic(magic) {
        Some(n) => format!("{n} (net {magic})"),
        None => format!("an unknown network (net {magic})"),
    }
}

/// Refuses a `getcurrentnet` answer that is not `expected`'s magic.
///
/// # Errors
/// [`Error::WrongNetwork`] naming the server, the expected and the actual network.
pub fn check_network(label: &str, kind: ServerKind, expected: Network, magic: u32) -> Result<()> {
    if expected.params().net_magic == magic {
        return Ok(());
    }
    Err(Error::WrongNetwork {
        server: format!("{} {label}", kind.name()),
        expected: describe_magic(expected.params().net_magic),
        actual: describe_magic(magic),
    })
}

/// Checks a `version` answer against what the server was configured as: the API keys must
/// match the kind; untested major.minor versions give warnings (returned, not errors).
///
/// # Errors
/// [`Error::WrongServer`]: a wallet without `hcwalletjsonrpcapi` (an hcd?), an hcd with it
/// (a wallet?), or no `hcdjsonrpcapi` at all.
pub fn check_versions(label: &str, kind: ServerKind, reply: &VersionReply) -> Result<Vec<String>> {
    let wrong = |reason: String| Error::WrongServer {
        server: format!("{} {label}", kind.name()),
        reason,
    };
    let wallet = reply.get(WALLET_API);
    match (kind, wallet) {
        (ServerKind::Wallet, None) => {
            return Err(wrong(format!(
                "its version answer has no {WALLET_API}: is it an hcd?"
            )))
        }
        (ServerKind::Hcd, Some(_)) => {
            return Err(wrong(format!(
                "its version answer has {WALLET_API}: is it an hcwallet?"
            )))
        }
        _ => {}
    }
    let Some(hcd) = reply.get(HCD_API) else {
        return Err(wrong(format!("its version answer has no {HCD_API}")));
    };
    let mut warnings = Vec::new();
    let mut tested = |api: &str, v: &crate::jsonrpc::replies::VersionEntry, t: (u32, u32)| {
        if (v.major, v.minor) != t {
            warnings.push(format!(
                "{api} {} is untested: hcpool is tested with {api} {}.{}.x ({TESTED_PROGRAMS})",
                hcpool_core::util::truncate(&v.versionstring, 40),
                t.0,
                t.1
            ));
        }
    };
    tested(HCD_API, hcd, TESTED_HCD_API);
    if let Some(w) = wallet {
        tested(WALLET_API, w, TESTED_WALLET_API);
    }
    Ok(warnings)
}

async fn check(
    client: &RpcClient,
    kind: ServerKind,
    expected: Network,
) -> Result<(ServerInfo, VersionReply)> {
    let label = client.label().to_owned();
    // A wallet passes `getcurrentnet` through to its hcd: the network the wallet votes on.
    let magic: u32 = client.call("getcurrentnet", vec![]).await?;
    check_network(&label, kind, expected, magic)?;
    let versions: VersionReply = client.call("version", vec![]).await?;
    let warnings = check_versions(&label, kind, &versions)?;
    for w in &warnings {
        warn!(server = %label, kind = kind.name(), "{w}");
    }
    let version = |key: &str| versions.get(key).map(|v| v.versionstring.clone());
    let info = ServerInfo {
        hcd_api: version(HCD_API),
        wallet_api: version(WALLET_API),
        network: expected.name().to_owned(),
        voting: None,
        warnings,
        label,
        kind,
    };
    Ok((info, versions))
}

/// `getcurrentnet` and `version` of an hcd (see the module docs).
///
/// # Errors
/// The calls' errors, [`Error::WrongNetwork`], [`Error::WrongServer`].
pub async fn check_node(node: &JsonRpcNode, expected: Network) -> Result<ServerInfo> {
    let (info, _) = check(node.client(), ServerKind::Hcd, expected).await?;
    info!(
        server = %info.label,
        network = %info.network,
        hcd_api = info.hcd_api.as_deref().unwrap_or("?"),
        "hcd checked"
    );
    Ok(info)
}

/// `getcurrentnet`, `version` and `walletinfo` of an hcwallet (see the module docs).
///
/// # Errors
/// The calls' errors, [`Error::WrongNetwork`], [`Error::WrongServer`].
pub async fn check_wallet(wallet: &JsonRpcWallet, expected: Network) -> Result<ServerInfo> {
    let (mut info, _) = check(wallet.client(), ServerKind::Wallet, expected).await?;
    let wi: WalletInfoReply = wallet.wallet_info_reply().await?;
    info.voting = Some(wi.voting);
    info!(
        server = %info.label,
        network = %info.network,
        hcd_api = info.hcd_api.as_deref().unwrap_or("?"),
        wallet_api = info.wallet_api.as_deref().unwrap_or("?"),
        voting = wi.voting,
        "hcwallet checked"
    );
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(json: &str) -> VersionReply {
        serde_json::from_str(json).unwrap()
    }

    const HCD: &str = r#"{"hcdjsonrpcapi":{"versionstring":"3.1.0","major":3,"minor":1,"patch":0,"prerelease":"","buildmetadata":""}}"#;
    const WALLET: &str = r#"{"hcdjsonrpcapi":{"versionstring":"3.1.0","major":3,"minor":1,"patch":0,"prerelease":"","buildmetadata":""},"hcwalletjsonrpcapi":{"versionstring":"4.1.0","major":4,"minor":1,"patch":0,"prerelease":"","buildmetadata":""}}"#;

    #[test]
    fn the_real_magics_map_to_their_networks() {
        // hcd-getcurrentnet.json: simnet answers 2316526404.
        assert_eq!(network_of_magic(2_316_526_404), Some(Network::Simnet));
        assert_eq!(network_of_magic(0x1125_f51b), Some(Network::Mainnet));
        assert_eq!(network_of_magic(0x9ab5_693b), Some(Network::Testnet));
        assert_eq!(network_of_magic(7), None);
    }

    #[test]
    fn a_wrong_network_is_refused_naming_both() {
        check_network("h:1", ServerKind::Hcd, Network::Simnet, 2_316_526_404).unwrap();
        let e = check_network("h:1", ServerKind::Wallet, Network::Mainnet, 2_316_526_404)
            .unwrap_err()
            .to_string();
        assert!(e.contains("hcwallet h:1"), "{e}");
        assert!(e.contains("simnet (net 2316526404)"), "{e}");
        assert!(e.contains("expected mainnet"), "{e}");
        let e = check_network("h:1", ServerKind::Hcd, Network::Testnet, 5)
            .unwrap_err()
            .to_string();
        assert!(e.contains("an unknown network (net 5)"), "{e}");
    }

    #[test]
    fn the_real_versions_pass_without_warnings() {
        assert!(check_versions("h", ServerKind::Hcd, &reply(HCD))
            .unwrap()
            .is_empty());
        assert!(check_versions("w", ServerKind::Wallet, &reply(WALLET))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn untested_versions_warn_and_a_swapped_server_is_refused() {
        let newer = WALLET
            .replace(
                "\"4.1.0\",\"major\":4,\"minor\":1",
                "\"4.2.0\",\"major\":4,\"minor\":2",
            )
            .replace(
                "\"3.1.0\",\"major\":3,\"minor\":1",
                "\"5.0.1\",\"major\":5,\"minor\":0",
            );
        let w = check_versions("w", ServerKind::Wallet, &reply(&newer)).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("hcdjsonrpcapi 5.0.1 is untested"), "{w:?}");
        assert!(
            w[1].contains("hcwalletjsonrpcapi 4.2.0 is untested"),
            "{w:?}"
        );
        let e = check_versions("w:1", ServerKind::Wallet, &reply(HCD)).unwrap_err();
        assert!(e.to_string().contains("is it an hcd?"), "{e}");
        let e = check_versions("h:1", ServerKind::Hcd, &reply(WALLET)).unwrap_err();
        assert!(e.to_string().contains("is it an hcwallet?"), "{e}");
        let e = check_versions("h:1", ServerKind::Hcd, &reply("{}")).unwrap_err();
        assert!(e.to_string().contains("no hcdjsonrpcapi"), "{e}");
    }
}

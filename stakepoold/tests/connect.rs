//! `stakepoold::run::connect` against the simulated hcwallet + hcd: the connect checks of
//! issue 11 (the network, and the wallet's `walletinfo.voting`).

use hcpool_core::{Network, PoolFeeRate};
use hcpool_rpc::simnet::{Role, SimCluster, SimConfig};
use stakepoold::run::{connect, Links};
use stakepoold::Error;

fn links(c: &SimCluster, network: Network, allow_wallet_voting: bool) -> Links {
    let sim = c.config();
    Links {
        wallet: c.client_config(Role::Wallet(0)).unwrap(),
        node: c.client_config(Role::Node(0)).unwrap(),
        cold_wallet_ext_pub: sim.cold_xpub.clone(),
        // A few are enough here (deriving 10 000 takes a while).
        fee_addresses: 5,
        pool_fees: PoolFeeRate::from_percent(sim.pool_fees).unwrap(),
        network,
        store: None,
        allow_wallet_voting,
    }
}

/// Issue 11 item 6: a wallet started with `--enablevoting` votes with its default bits and
/// wins the race against stakepoold's vote. stakepoold refuses it unless told otherwise.
#[tokio::test]
async fn a_wallet_that_votes_by_itself_is_refused_unless_allowed() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = true);
    let e = connect(links(&c, Network::Simnet, false))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, Error::WalletVotes { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("--enablevoting") && text.contains("allowwalletvoting=1"),
        "names the cause and the override: {text}"
    );
    // The operator's explicit override.
    assert!(connect(links(&c, Network::Simnet, true)).await.is_ok());
    // The recommended setup: the wallet restarted without --enablevoting.
    c.with_wallet(0, |w| w.voting = false);
    assert!(connect(links(&c, Network::Simnet, false)).await.is_ok());
}

#[tokio::test]
async fn a_node_on_another_network_is_refused_naming_both() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = false);
    let e = connect(links(&c, Network::Testnet, false))
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(
        text.contains("is on simnet (net 2316526404), expected testnet2"),
        "{text}"
    );
}

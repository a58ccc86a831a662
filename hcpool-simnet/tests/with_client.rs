//! The crate's own JSON-RPC client, wallet manager and node adapter against the simulated
//! cluster over real TLS sockets: registration, ticket lifecycle, notifications and a vote.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use hcpool_core::backend::{ChainNode, ChainNotification, TicketStatus, WalletBackend};
use hcpool_core::{Network, PoolKeys, Secret, UserId, VoteBits};
use hcpool_rpc::{
    ClientConfig, JsonRpcNode, JsonRpcWallet, ManagerConfig, PinnedCert, WalletManager,
};
use hcpool_simnet::{
    EndpointInfo, Role, SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB,
    DEFAULT_VOTING_XPUB,
};

fn client_cfg(ep: &EndpointInfo) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        ep.addr.to_string(),
        "user",
        Secret::new("pass".to_owned()),
        PinnedCert::File(ep.cert_path.clone()),
    );
    cfg.timeout = Some(Duration::from_secs(10));
    cfg
}

async fn next_matching(
    stream: &mut (impl futures::Stream<Item = ChainNotification> + Unpin),
    want: impl Fn(&ChainNotification) -> bool,
) -> ChainNotification {
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("a notification in time")
            .expect("stream open");
        if want(&n) {
            return n;
        }
    }
}

#[tokio::test]
async fn client_manager_and_node_work_against_the_simulator() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for ep in c.wallets() {
        wallets.push(Arc::new(
            JsonRpcWallet::connect(client_cfg(ep)).await.unwrap(),
        ));
    }
    let w0 = Arc::clone(&wallets[0]);
    let manager = WalletManager::new(wallets, ManagerConfig::default());
    assert_eq!(manager.check_vote_version().await.unwrap(), 7);
    manager.sync(&[]).await.unwrap();

    // Registration of uid 1.
    let ticket_addr = keys.ticket_address(UserId(1)).unwrap();
    let v = manager.validate_address(&ticket_addr).await.unwrap();
    assert!(v.is_mine);
    let pool_pk = keys.ticket_pubkey_address(UserId(1)).unwrap();
    assert_eq!(
        v.pubkey.as_deref(),
        pool_pk.secp_pubkey_compressed().as_ref().map(|k| &k[..])
    );
    // The client's interim address decoder does not read pubkey addresses yet (it reports
    // them as absent); once it uses core's codec this must be the pool key.
    assert!(v.pubkey_addr.is_none() || v.pubkey_addr.as_ref() == Some(&pool_pk));
    let user_pk = keys
        .fee_branch()
        .derive_child(11)
        .unwrap()
        .to_pubkey_address(Network::Simnet);
    // The client's interim codec cannot encode pubkey addresses yet, so `createmultisig`
    // through the manager is refused by the wallet; build the script as the wallet would.
    let script = hcpool_core::RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let ms = hcpool_core::backend::MultisigInfo {
        address: script.p2sh_address(Network::Simnet),
        redeem_script: script,
    };
    let height = manager.best_block().await.unwrap().height;
    manager
        .import_script(&ms.redeem_script, height)
        .await
        .unwrap();

    // The node with notifications.
    let node = JsonRpcNode::connect(client_cfg(c.endpoint(Role::Node(0)).unwrap()))
        .await
        .unwrap();
    let mut notes = node.notifications().unwrap();
    node.register_notifications().await.unwrap();

    let ticket = c
        .buy_ticket(&TicketPurchase::new(ms.address.to_string(), 20_000_000, 1))
        .unwrap();
    c.mine(1).unwrap();
    let info = manager.stake_pool_user_info(&ms.address).await.unwrap();
    assert_eq!(info.tickets.len(), 1);
    assert_eq!(info.tickets[0].ticket, ticket);
    assert_eq!(info.tickets[0].status, TicketStatus::Live);
    assert!(info.invalid.is_empty());

    // Maturity at block 3 and the draw.
    c.mine(2).unwrap();
    let n = next_matching(
        &mut notes,
        |n| matches!(n, ChainNotification::NewTickets { tickets, .. } if !tickets.is_empty()),
    )
    .await;
    let ChainNotification::NewTickets {
        height, tickets, ..
    } = n
    else {
        unreachable!()
    };
    assert_eq!((height, tickets), (3, vec![ticket]));
    let n = next_matching(&mut notes, |n| {
        matches!(n, ChainNotification::WinningTickets { .. })
    })
    .await;
    let ChainNotification::WinningTickets {
        block_hash,
        height,
        tickets,
    } = n
    else {
        unreachable!()
    };
    assert_eq!(tickets, vec![ticket]);

    // Vote: built by the wallet, relayed by the node, mined in block 4.
    let vote = w0
        .generate_vote(
            &block_hash,
            height,
            &ticket,
            VoteBits(5),
            &7u32.to_le_bytes(),
        )
        .await
        .unwrap();
    let vote_hash = node.send_raw_transaction(&vote).await.unwrap();
    c.mine(1).unwrap();
    let n = next_matching(&mut notes, |n| {
        matches!(n, ChainNotification::SpentAndMissed { height: 4, .. })
    })
    .await;
    let ChainNotification::SpentAndMissed { spent, missed, .. } = n else {
        unreachable!()
    };
    assert_eq!((spent, missed), (vec![ticket], vec![]));

    let info = manager.stake_pool_user_info(&ms.address).await.unwrap();
    assert_eq!(info.tickets[0].status, TicketStatus::Voted);
    assert_eq!(info.tickets[0].spent_by, vote_hash);
    assert_eq!(info.tickets[0].spent_by_height, 4);
    let si = manager.stake_info().await.unwrap();
    assert_eq!(si.live, 0);
    assert_eq!(si.block_height, 4);
}

/// Issue 11 item 2: the manager's stake-info cache (5 minutes in hcstakepool) named an old
/// block under the web's per-block cache. A mined block must show at once.
#[tokio::test]
async fn stake_info_follows_each_new_block() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for ep in c.wallets() {
        wallets.push(Arc::new(
            JsonRpcWallet::connect(client_cfg(ep)).await.unwrap(),
        ));
    }
    let manager = WalletManager::new(wallets, ManagerConfig::default());
    let (_, height) = c.best_block();
    assert_eq!(
        manager.stake_info().await.unwrap().block_height,
        i64::from(height)
    );
    c.mine(1).unwrap();
    assert_eq!(
        manager.stake_info().await.unwrap().block_height,
        i64::from(height + 1),
        "the block just mined, not the cached one"
    );
}

/// The connect checks against the simulator, which answers like the real programs
/// (`version` 3.1.0 / 4.1.0, `getcurrentnet` 2316526404, `walletinfo.voting`).
#[tokio::test]
async fn connect_checks_network_versions_and_voting() {
    use hcpool_rpc::check::{check_node, check_wallet, ServerKind};
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let wallet = JsonRpcWallet::connect(client_cfg(c.wallets()[0]))
        .await
        .unwrap();
    let node = JsonRpcNode::connect(client_cfg(c.nodes()[0]))
        .await
        .unwrap();

    let w = check_wallet(&wallet, Network::Simnet).await.unwrap();
    assert_eq!(w.kind, ServerKind::Wallet);
    assert_eq!(w.network, "simnet");
    assert_eq!(w.hcd_api.as_deref(), Some("3.1.0"));
    assert_eq!(w.wallet_api.as_deref(), Some("4.1.0"));
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    assert_eq!(
        w.voting,
        Some(false),
        "the simulated wallets start without --enablevoting, as a pool's voting wallets"
    );
    c.with_wallet(0, |s| s.voting = true);
    assert_eq!(
        check_wallet(&wallet, Network::Simnet).await.unwrap().voting,
        Some(true)
    );

    let n = check_node(&node, Network::Simnet).await.unwrap();
    assert_eq!(
        (n.kind, n.wallet_api, n.voting),
        (ServerKind::Hcd, None, None)
    );

    // Another network: refused, naming both.
    let e = check_node(&node, Network::Mainnet).await.unwrap_err();
    assert!(matches!(e, hcpool_rpc::Error::WrongNetwork { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("simnet (net 2316526404)") && text.contains("expected mainnet"),
        "{text}"
    );
    assert!(check_wallet(&wallet, Network::Testnet).await.is_err());

    // Swapped hosts: hcd where a wallet is expected and the reverse.
    let as_wallet = JsonRpcWallet::connect(client_cfg(c.nodes()[0]))
        .await
        .unwrap();
    let e = check_wallet(&as_wallet, Network::Simnet).await.unwrap_err();
    assert!(e.to_string().contains("is it an hcd?"), "{e}");
    let as_node = JsonRpcNode::connect(client_cfg(c.wallets()[0]))
        .await
        .unwrap();
    let e = check_node(&as_node, Network::Simnet).await.unwrap_err();
    assert!(e.to_string().contains("is it an hcwallet?"), "{e}");
}

/// A real hcwallet still loading after a restart answered `accountsyncaddressindex` only
/// after the 10 s of a page's call, and hcpool-web then refused to start (seen on the real
/// simnet). The start-up sync has its own, longer deadline; other calls keep theirs.
#[tokio::test]
async fn the_start_up_sync_waits_longer_than_a_page_call() {
    use hcpool_simnet::Faults;
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for ep in c.wallets() {
        wallets.push(Arc::new(
            JsonRpcWallet::connect(client_cfg(ep)).await.unwrap(),
        ));
    }
    let mut slow = Faults::default();
    for m in ["accountsyncaddressindex", "getstakeinfo"] {
        slow.method_delays
            .insert(m.to_owned(), Duration::from_millis(600));
    }
    c.set_faults(Role::Wallet(0), slow).unwrap();
    let manager = WalletManager::new(
        wallets,
        ManagerConfig {
            call_timeout: Duration::from_millis(200),
            sync_timeout: Duration::from_secs(10),
            ..ManagerConfig::default()
        },
    );
    let report = manager.sync(&[]).await;
    assert!(report.is_ok(), "start-up sync: {report:?}");
    // A page's call to the same slow wallet still gives up after call_timeout: that wallet
    // counts as absent, below minservers.
    let e = manager.stake_info().await.unwrap_err();
    assert!(e.to_string().contains("below min of 2"), "{e}");
}

/// Issue 12 item 7: a registration commits while one of three wallets times out on
/// `importscript` (it counts as absent, two answered). Once that wallet answers again, the
/// manager's background task imports the script into it, without a restart.
#[tokio::test]
async fn a_wallet_that_missed_an_import_gets_the_script_when_it_answers_again() {
    use hcpool_simnet::Faults;
    let c = SimCluster::start(SimConfig {
        wallets: 3,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for ep in c.wallets() {
        wallets.push(Arc::new(
            JsonRpcWallet::connect(client_cfg(ep)).await.unwrap(),
        ));
    }
    let lagging = Arc::clone(&wallets[2]);
    let manager = Arc::new(WalletManager::new(
        wallets,
        ManagerConfig {
            call_timeout: Duration::from_millis(500),
            sync_timeout: Duration::from_millis(500),
            ..ManagerConfig::default()
        },
    ));
    manager.sync(&[]).await.unwrap();

    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let pool_pk = keys.ticket_pubkey_address(UserId(1)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(11)
        .unwrap()
        .to_pubkey_address(Network::Simnet);
    let script = hcpool_core::RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();

    // Wallet 2 never answers `importscript`: the registration still commits (2 of 3).
    let mut deaf = Faults::default();
    deaf.silent_methods.insert("importscript".to_owned());
    c.set_faults(Role::Wallet(2), deaf).unwrap();
    let height = manager.best_block().await.unwrap().height;
    manager.import_script(&script, height).await.unwrap();
    assert!(!lagging.list_scripts().await.unwrap().contains(&script));
    assert_eq!(manager.status().wallets[2].scripts_missing, Some(1));
    assert_eq!(manager.status().wallets[0].scripts_missing, Some(0));

    // It answers again; the background task catches it up.
    c.set_faults(Role::Wallet(2), Faults::default()).unwrap();
    let task = manager.spawn_recheck(Duration::from_millis(50));
    let mut caught_up = false;
    for _ in 0..200 {
        if lagging.list_scripts().await.unwrap().contains(&script) {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert!(caught_up, "the lagging wallet never got the script");
    let st = manager.status();
    assert_eq!(st.wallets[2].scripts_missing, Some(0), "{st:?}");
}

/// Issue 15: `maxusers` above 10,000. The start-up sync asks every wallet to watch the
/// configured range (`accountsyncaddressindex default 0 <maxusers>`): user 15,000's ticket
/// address is then the pool's in every wallet. With the original's fixed 10,000 it is not,
/// and its registration would fail.
#[tokio::test]
async fn the_sync_follows_maxusers_beyond_10000() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)
        .unwrap()
        .with_max_users(20_000);
    let user = keys.ticket_address(UserId(15_000)).unwrap();
    let last = keys.ticket_address(UserId(19_999)).unwrap();
    let c = &c;
    let manager = |index: u32| async move {
        let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
        for ep in c.wallets() {
            wallets.push(Arc::new(
                JsonRpcWallet::connect(client_cfg(ep)).await.unwrap(),
            ));
        }
        WalletManager::new(
            wallets,
            ManagerConfig {
                sync_address_index: index,
                ..ManagerConfig::default()
            },
        )
    };
    let m = manager(ManagerConfig::default().sync_address_index).await;
    m.sync(&[]).await.unwrap();
    assert!(!m.validate_address(&user).await.unwrap().is_mine);
    let m = manager(20_000).await;
    m.sync(&[]).await.unwrap();
    for i in 0..c.config().wallets {
        assert_eq!(c.with_wallet(i, |w| w.watched_index), Some(20_000));
    }
    assert!(m.validate_address(&user).await.unwrap().is_mine);
    assert!(m.validate_address(&last).await.unwrap().is_mine);
}

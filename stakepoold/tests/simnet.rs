//! The daemon against the simulated hcwallet + hcd (hcpool-rpc's `SimCluster`) over real TLS
//! websockets, with the JSON-RPC wallet and node it uses in production: who gets voted with
//! which bits (checked in the votes the simulated chain mined), reconnects and revocations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hcpool_core::backend::{
    ChainNode, NewLowFeeTicket, NewUser, PoolWallet, Registration, Store, TicketEntry,
    UserVotingConfig, VotingWallet,
};
use hcpool_core::{
    ExtendedPubKey, FeeAddressSet, Hash32, Network, PoolFeeRate, PoolKeys, RedeemScript, Secret,
    UserId, VoteBits,
};
use hcpool_rpc::{ClientConfig, JsonRpcNode, JsonRpcWallet, PinnedCert, Reconnect};
use hcpool_simnet::{
    ChainParams, EndpointInfo, Faults, Role, RpcError, SimCluster, SimConfig, TicketPurchase,
    TicketState, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use stakepoold::daemon::{DaemonDeps, DaemonOptions};
use stakepoold::Daemon;
use tokio::sync::oneshot;

const NET: Network = Network::Simnet;
/// simnet's wallet vote version (what `walletinfo` reports).
const VOTE_VERSION: u32 = 7;
/// The simulated wallets' default votebits.
const DEFAULT_BITS: u16 = 1;
/// 10 % of the 2-coin price: above the 7.5 % pool fee.
const PAID: i64 = 20_000_000;
const LOW: i64 = 1;
const WAIT: Duration = Duration::from_secs(15);

fn client_cfg(ep: &EndpointInfo) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        ep.addr.to_string(),
        "user",
        Secret::new("pass".to_owned()),
        PinnedCert::File(ep.cert_path.clone()),
    );
    cfg.timeout = Some(Duration::from_secs(10));
    // Fast redial so the reconnect test stays short; calls wait for the link, as stakepoold's.
    cfg.reconnect = Reconnect::Backoff {
        base: Duration::from_millis(300),
        max: Duration::from_secs(1),
        queue_while_down: true,
    };
    cfg
}

/// Polls `f` until it holds or the deadline passes.
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct User {
    id: u64,
    msa: String,
}

struct Pool {
    cluster: SimCluster,
    daemon: Arc<Daemon>,
    _stop: oneshot::Sender<()>,
    run: tokio::task::JoinHandle<()>,
}

/// A registered user's keys, as the web app derives them.
struct UserKeys {
    script: RedeemScript,
    pool_pk: hcpool_core::Address,
    user_pk: hcpool_core::Address,
}

fn user_keys(id: u64) -> UserKeys {
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, NET).unwrap();
    let pool_pk = keys.ticket_pubkey_address(UserId(id)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(100 + u32::try_from(id).unwrap())
        .unwrap()
        .to_pubkey_address(NET);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    UserKeys {
        script,
        pool_pk,
        user_pk,
    }
}

impl Pool {
    /// [`Pool::start_with`] without a store: the users' votebits are set as the web app's
    /// `SetUserVotingPrefs` would.
    async fn start(svh: u32, users: &[(u64, u16)]) -> (Pool, Vec<User>) {
        Pool::start_with(svh, users, async |_: &SimCluster| None).await
    }

    /// A cluster whose first draw is on block `svh - 1`, `users` registered (script
    /// imported in wallet 0), then `store(&cluster)` (tickets may be bought there) and the
    /// daemon on wallet 0 and hcd 0. Without a store the users' bits are pushed directly.
    async fn start_with(
        svh: u32,
        users: &[(u64, u16)],
        store: impl AsyncFnOnce(&SimCluster) -> Option<Arc<dyn Store>>,
    ) -> (Pool, Vec<User>) {
        let chain = ChainParams {
            stake_validation_height: svh,
            ..ChainParams::fast()
        };
        let cluster = SimCluster::start(SimConfig {
            chain,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let wallet = JsonRpcWallet::connect(client_cfg(cluster.endpoint(Role::Wallet(0)).unwrap()))
            .await
            .unwrap();
        let node = JsonRpcNode::connect(client_cfg(cluster.endpoint(Role::Node(0)).unwrap()))
            .await
            .unwrap();
        let mut registered = Vec::new();
        let mut prefs = Vec::new();
        for (id, bits) in users {
            let script = user_keys(*id).script;
            let msa = script.p2sh_address(NET).to_string();
            wallet.import_script(&script, 0).await.unwrap();
            prefs.push(UserVotingConfig {
                user_id: UserId(*id),
                multisig_address: msa.clone(),
                vote_bits: VoteBits(*bits),
                vote_bits_version: VOTE_VERSION,
            });
            registered.push(User { id: *id, msa });
        }
        let notifications = node.notifications().unwrap();
        node.register_notifications().await.unwrap();
        let cold: ExtendedPubKey = DEFAULT_COLD_XPUB.parse().unwrap();
        let node = Arc::new(node);
        let wallet = Arc::new(wallet);
        let deps = DaemonDeps {
            wallet: wallet.clone(),
            node: node.clone(),
            heights: node.clone(),
            store: store(&cluster).await,
            fee_addresses: Arc::new(FeeAddressSet::derive(&cold, NET, 200).unwrap()),
            pool_fees: PoolFeeRate::from_percent(cluster.config().pool_fees).unwrap(),
            network: NET,
            wallet_link: Some(wallet),
            node_link: Some(node),
        };
        let opts = DaemonOptions {
            retry_delay: Duration::from_millis(20),
            ..DaemonOptions::default()
        };
        let from_store = deps.store.is_some();
        let daemon = Daemon::start(deps, opts).await.unwrap();
        if !from_store {
            daemon.set_user_voting_prefs(prefs);
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let d = daemon.clone();
        let run = tokio::spawn(async move {
            d.run(notifications, async {
                let _ = stopped.await;
            })
            .await;
        });
        (
            Pool {
                cluster,
                daemon,
                _stop: stop,
                run,
            },
            registered,
        )
    }

    fn buy(&self, user: &User, fee: i64) -> Hash32 {
        self.cluster
            .buy_ticket(&TicketPurchase::new(
                user.msa.clone(),
                fee,
                u32::try_from(user.id).unwrap(),
            ))
            .unwrap()
    }

    /// A ticket of nobody the pool knows (keeps winners coming).
    fn buy_stranger(&self) -> Hash32 {
        self.cluster
            .buy_ticket_for_script([0xee; 20], &TicketPurchase::new("", PAID, 0))
            .unwrap()
    }

    /// Mines one block and waits until the daemon saw it.
    async fn mine(&self) -> u32 {
        let (_, height) = self.cluster.mine(1).unwrap()[0];
        until(&format!("the daemon to see block {height}"), || {
            self.daemon.health().last_block_height >= Some(height)
        })
        .await;
        height
    }

    fn live(&self) -> Vec<Hash32> {
        self.daemon
            .live_tickets()
            .iter()
            .map(|e| e.ticket_hash)
            .collect()
    }

    fn ignored(&self) -> Vec<Hash32> {
        self.daemon
            .ignored_tickets()
            .iter()
            .map(|e| e.ticket_hash)
            .collect()
    }

    fn bits_mined(&self, ticket: &Hash32) -> Option<u16> {
        self.cluster.mined_vote(ticket).map(|(_, bits, _)| bits)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_bits_and_default_bits_end_up_in_the_mined_votes() {
    // Draw on block 5: tickets bought now are mined in 1 and live from 3.
    let (p, users) = Pool::start(6, &[(1, 5), (2, 3)]).await;
    let t1 = p.buy(&users[0], PAID);
    let t2 = p.buy(&users[1], PAID);
    for _ in 0..3 {
        p.mine().await;
    }
    until("both tickets live", || {
        let live = p.live();
        live.contains(&t1) && live.contains(&t2)
    })
    .await;
    // The web app drops user 2: their live ticket is now unknown and gets the defaults.
    let keep: Vec<UserVotingConfig> = vec![UserVotingConfig {
        user_id: UserId(1),
        multisig_address: users[0].msa.clone(),
        vote_bits: VoteBits(5),
        vote_bits_version: VOTE_VERSION,
    }];
    p.daemon.set_user_voting_prefs(keep);
    p.mine().await;
    let draw = p.mine().await;
    let mut winners = p.cluster.winners(draw);
    winners.sort();
    let mut want = vec![t1, t2];
    want.sort();
    assert_eq!(winners, want, "both live tickets are drawn on block {draw}");
    until("two votes relayed", || {
        p.daemon.metrics().snapshot().votes_cast == 2
    })
    .await;
    p.mine().await;
    assert_eq!(p.bits_mined(&t1), Some(5), "the owner's votebits");
    assert_eq!(
        p.bits_mined(&t2),
        Some(DEFAULT_BITS),
        "unknown owner: defaults"
    );
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.votes_cast, s.votes_failed), (2, 0));
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_low_fee_ticket_is_not_voted_and_an_added_one_is() {
    let (p, users) = Pool::start(6, &[(3, 9)]).await;
    let ignored = p.buy(&users[0], LOW);
    let added = p.buy(&users[0], LOW);
    for _ in 0..3 {
        p.mine().await;
    }
    until("both low-fee tickets ignored", || {
        let i = p.ignored();
        i.contains(&ignored) && i.contains(&added)
    })
    .await;
    assert!(p.live().is_empty());
    p.daemon.set_added_low_fee_tickets(vec![TicketEntry {
        ticket_address: users[0].msa.clone(),
        ticket_hash: added,
    }]);
    assert_eq!(p.live(), vec![added]);
    p.mine().await;
    let draw = p.mine().await;
    assert_eq!(p.cluster.winners(draw).len(), 2, "both are drawn");
    until("one vote relayed", || {
        p.daemon.metrics().snapshot().votes_cast == 1
    })
    .await;
    p.mine().await;
    assert_eq!(
        p.bits_mined(&added),
        Some(9),
        "the added ticket votes, owner's bits"
    );
    assert_eq!(p.bits_mined(&ignored), None);
    assert_eq!(p.cluster.ticket_state(&ignored), Some(TicketState::Missed));
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_disconnect_it_reconnects_reloads_and_votes_the_next_block() {
    // Draw on block 7.
    let (p, users) = Pool::start(8, &[(4, 5)]).await;
    let first = p.buy(&users[0], PAID);
    for _ in 0..3 {
        p.mine().await;
    }
    until("the first ticket live", || p.live().contains(&first)).await;
    let second = p.buy(&users[0], PAID);
    p.mine().await; // 4: mined, matures in 6

    // Both links drop; blocks 5 and 6 (the second ticket's `newtickets`) go unseen.
    p.cluster.drop_all_connections();
    until("the daemon to notice", || {
        let h = p.daemon.health();
        !h.node_connected && !h.wallet_connected
    })
    .await;
    p.cluster.mine(2).unwrap();
    until("reconnected and tickets reloaded", || {
        let h = p.daemon.health();
        h.node_connected && h.wallet_connected && h.rescans >= 1
    })
    .await;
    assert!(
        p.live().contains(&second),
        "the rescan found the ticket whose notification was lost"
    );
    let m = p.daemon.render_metrics();
    assert!(m.lines().any(|l| l == "stakepoold_node_connected 1"), "{m}");

    let draw = p.mine().await;
    assert_eq!(p.cluster.winners(draw).len(), 2);
    until("two votes relayed", || {
        p.daemon.metrics().snapshot().votes_cast == 2
    })
    .await;
    p.mine().await;
    assert_eq!(p.bits_mined(&first), Some(5));
    assert_eq!(p.bits_mined(&second), Some(5));
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_drawn_in_the_block_it_matures_in_is_voted_though_newtickets_is_slow() {
    // Draw from block 3 on. The ticket is mined in 1, matures in 3 and, the only live
    // ticket, is drawn in 3: winningtickets 3 arrives while newtickets 3 still waits for
    // its slow gettransaction.
    let (p, users) = Pool::start(4, &[(7, 5)]).await;
    let mut slow = Faults::default();
    slow.method_delays
        .insert("gettransaction".to_owned(), Duration::from_millis(400));
    p.cluster.set_faults(Role::Wallet(0), slow).unwrap();
    let ticket = p.buy(&users[0], PAID);
    p.mine().await; // 1: mined
    p.mine().await; // 2: immature
    let draw = p.mine().await; // 3: matures and is drawn
    assert_eq!(p.cluster.winners(draw), vec![ticket]);
    until("the vote relayed", || {
        p.daemon.metrics().snapshot().votes_cast == 1
    })
    .await;
    p.mine().await;
    assert_eq!(
        p.bits_mined(&ticket),
        Some(5),
        "voted with the owner's bits"
    );
    until("the spent ticket forgotten", || p.live().is_empty()).await;
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_pool_ticket_is_revoked_through_the_wallet() {
    // Draw from block 3 on; strangers' tickets keep a winner in every block.
    let (p, users) = Pool::start(4, &[(5, 5)]).await;
    let wallet0 = Role::Wallet(0);
    let refuse = |methods: &[&str]| Faults {
        method_errors: methods
            .iter()
            .map(|m| ((*m).to_owned(), RpcError::new(-4, "simulated failure")))
            .collect(),
        ..Faults::default()
    };
    // Votes fail (so the ticket misses) and the first revocation requests fail too. The
    // wallet is also locked, so it cannot revoke the ticket by itself (as the real one,
    // and a simulator modelling it, would) before the daemon's request.
    p.cluster
        .set_faults(wallet0, refuse(&["generatevote", "revoketickets"]))
        .unwrap();
    p.cluster.with_wallet(0, |w| w.unlocked = false).unwrap();
    let ticket = p.buy(&users[0], PAID);
    p.buy_stranger();
    let deadline = Instant::now() + WAIT;
    let mut healed = false;
    while p.cluster.ticket_state(&ticket) != Some(TicketState::Revoked) {
        assert!(
            Instant::now() < deadline,
            "not revoked; state {:?}, pending {:?}, metrics {:?}",
            p.cluster.ticket_state(&ticket),
            p.daemon.pending_revocations(),
            p.daemon.metrics().snapshot()
        );
        if !healed && p.daemon.metrics().snapshot().revocation_failures > 0 {
            assert_eq!(p.daemon.tickets_to_revoke().len(), 1);
            p.cluster
                .set_faults(wallet0, refuse(&["generatevote"]))
                .unwrap();
            p.cluster.with_wallet(0, |w| w.unlocked = true).unwrap();
            healed = true;
        }
        p.buy_stranger();
        p.mine().await;
        // The handlers of a block run concurrently: give them a moment.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healed, "a failed request was seen first");
    assert!(p.daemon.metrics().snapshot().votes_failed >= 1);
    // hcd reports the revocation as a miss again: the daemon then counts it revoked.
    p.mine().await;
    until("the daemon to see the revocation", || {
        p.daemon.pending_revocations().is_empty()
    })
    .await;
    let s = p.daemon.metrics().snapshot();
    assert!(s.revocation_requests >= 1, "{s:?}");
    assert!(s.revocation_failures >= 1, "{s:?}");
    assert_eq!((s.tickets_revoked, s.to_revoke), (1, 0), "{s:?}");
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_ticket_ends_revoked_without_failures_or_repeated_requests() {
    // The run: only the votes fail. A wallet that revokes by itself (the real one,
    // and the recalibrated simulator) rejects the daemon's request as a duplicate; one
    // that does not revokes on request. Either way: revoked, nothing failed, no more calls.
    let (p, users) = Pool::start(4, &[(7, 5)]).await;
    p.cluster
        .set_faults(
            Role::Wallet(0),
            Faults {
                method_errors: [(
                    "generatevote".to_owned(),
                    RpcError::new(-4, "simulated failure"),
                )]
                .into_iter()
                .collect(),
                ..Faults::default()
            },
        )
        .unwrap();
    let ticket = p.buy(&users[0], PAID);
    p.buy_stranger();
    let deadline = Instant::now() + WAIT;
    while p.cluster.ticket_state(&ticket) != Some(TicketState::Revoked)
        || !p.daemon.pending_revocations().is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "state {:?}, pending {:?}, metrics {:?}",
            p.cluster.ticket_state(&ticket),
            p.daemon.pending_revocations(),
            p.daemon.metrics().snapshot()
        );
        p.buy_stranger();
        p.mine().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.mine().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = p.daemon.metrics().snapshot();
    for _ in 0..4 {
        p.buy_stranger();
        p.mine().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = p.daemon.metrics().snapshot();
    assert_eq!(
        (s.tickets_revoked, s.to_revoke, s.revocation_failures),
        (1, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.revocation_requests, before.revocation_requests, "{s:?}");
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_another_wallet_revoked_completes_although_our_requests_are_rejected() {
    // As on the real simnet: a wallet holding a key of the missed ticket (here wallet 1, as
    // the user's wallet) revokes it; the daemon's own revoketickets is rejected with hcd's
    // "already have transaction" (forced here, whatever the simulated wallet 0 does).
    let (p, users) = Pool::start(4, &[(6, 5)]).await;
    let other = JsonRpcWallet::connect(client_cfg(p.cluster.endpoint(Role::Wallet(1)).unwrap()))
        .await
        .unwrap();
    other.import_script(&user_keys(6).script, 0).await.unwrap();
    let rejected = "Rejected transaction c731252844c7ac323d06828f059348b520d28334bda0bf6c814d9142d72c62d5: \
                    already have transaction c731252844c7ac323d06828f059348b520d28334bda0bf6c814d9142d72c62d5";
    p.cluster
        .set_faults(
            Role::Wallet(0),
            Faults {
                method_errors: [
                    ("generatevote", RpcError::new(-4, "simulated failure")),
                    ("revoketickets", RpcError::new(-1, rejected)),
                ]
                .into_iter()
                .map(|(m, e)| (m.to_owned(), e))
                .collect(),
                ..Faults::default()
            },
        )
        .unwrap();
    let ticket = p.buy(&users[0], PAID);
    p.buy_stranger();
    let deadline = Instant::now() + WAIT;
    while p.daemon.tickets_to_revoke().is_empty() {
        assert!(Instant::now() < deadline, "never missed");
        p.buy_stranger();
        p.mine().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(p.cluster.ticket_state(&ticket), Some(TicketState::Missed));
    // hcd's missed set as the daemon reads it: [missed, unknown].
    let node = JsonRpcNode::connect(client_cfg(p.cluster.endpoint(Role::Node(0)).unwrap()))
        .await
        .unwrap();
    let unknown = Hash32::from_bytes([0x11; 32]);
    assert_eq!(
        node.exists_missed_tickets(&[ticket, unknown])
            .await
            .unwrap(),
        vec![true, false]
    );
    // A simulator whose wallets revoke by themselves (as the real ones) already did.
    if let Err(e) = other.revoke_tickets().await {
        assert!(e.to_string().contains("already have transaction"), "{e}");
    }
    p.mine().await;
    assert_eq!(p.cluster.ticket_state(&ticket), Some(TicketState::Revoked));
    assert_eq!(
        node.exists_missed_tickets(&[ticket]).await.unwrap(),
        vec![false],
        "revoked: out of the missed set"
    );
    until("the daemon to see the revocation", || {
        p.daemon.pending_revocations().is_empty()
    })
    .await;
    // A request computed before the second report was handled may still be in flight.
    p.mine().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = p.daemon.metrics().snapshot();
    for _ in 0..4 {
        p.mine().await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.tickets_revoked, s.to_revoke), (1, 0), "{s:?}");
    assert_eq!(
        s.revocation_failures, 0,
        "the duplicate is no failure: {s:?}"
    );
    assert_eq!(
        s.revocation_requests, before.revocation_requests,
        "no more revoketickets once it is revoked"
    );
    p.run.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voting_configs_and_added_low_fee_tickets_load_from_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stakepool.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let tickets = std::sync::Mutex::new(Vec::new());
    let (p, users) = Pool::start_with(6, &[(1, 1)], async |c: &SimCluster| {
        // The web app's writes: user 1 registered with votebits 5, and a low-fee ticket of
        // theirs added by the admin.
        let store = hcpool_db::connect(&url).await.unwrap();
        let uid = store
            .create_user(&NewUser {
                email: "a@example.org".into(),
                password_hash: Secret::new("x".into()),
                email_token: Secret::new("t".into()),
                vote_bits: VoteBits(1),
                vote_bits_version: VOTE_VERSION,
            })
            .await
            .unwrap();
        assert_eq!(uid, UserId(1));
        let k = user_keys(1);
        let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, NET).unwrap();
        let msa = k.script.p2sh_address(NET);
        store
            .register_address(
                uid,
                &Registration {
                    multisig_address: msa.clone(),
                    multisig_script: k.script.clone(),
                    pool_pubkey_addr: k.pool_pk.clone(),
                    user_pubkey_addr: k.user_pk.clone(),
                    user_fee_addr: keys.fee_address(uid).unwrap(),
                    height_registered: 0,
                },
            )
            .await
            .unwrap();
        assert!(store
            .set_vote_bits(uid, VoteBits(5), VOTE_VERSION)
            .await
            .unwrap());
        let purchase = |fee| TicketPurchase::new(msa.to_string(), fee, 1);
        let paid = c.buy_ticket(&purchase(PAID)).unwrap();
        let low = c.buy_ticket(&purchase(LOW)).unwrap();
        store
            .add_low_fee_tickets(&[NewLowFeeTicket {
                added_by: uid,
                ticket_address: msa.clone(),
                ticket_hash: low,
                created: 0,
                expires: i64::MAX / 2,
            }])
            .await
            .unwrap();
        tickets.lock().unwrap().extend([paid, low]);
        Some(store)
    })
    .await;
    let [paid, low] = tickets.lock().unwrap().clone().try_into().unwrap();
    assert_eq!(
        p.daemon.added_tickets(),
        vec![TicketEntry {
            ticket_address: users[0].msa.clone(),
            ticket_hash: low
        }]
    );
    for _ in 0..4 {
        p.mine().await;
    }
    until("both tickets live", || p.live().len() == 2).await;
    let draw = p.mine().await;
    assert_eq!(p.cluster.winners(draw).len(), 2);
    until("two votes relayed", || {
        p.daemon.metrics().snapshot().votes_cast == 2
    })
    .await;
    p.mine().await;
    assert_eq!(p.bits_mined(&paid), Some(5), "votebits from the database");
    assert_eq!(
        p.bits_mined(&low),
        Some(5),
        "the added low-fee ticket from the database"
    );
    // Voted: marked so in the database, so neither the web app nor a restarted daemon
    // adds it again.
    let store = hcpool_db::connect(&url).await.unwrap();
    let deadline = Instant::now() + WAIT;
    while !store.votable_low_fee_tickets(0).await.unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the low-fee ticket was not marked voted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    p.run.abort();
}

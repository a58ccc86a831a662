//! Fault tests over real sockets against the simulated wallets and hcd: a wallet killed
//! during registration, stakepoold killed during a preference change, hcd restarted during
//! a block, the database cut mid-request (MariaDB through a TCP proxy of the test).
//!
//! "Half-registered" means: the store holds a registration (multisig address and script)
//! for the user while a wallet that answers lacks the script once the catch-up has run, or
//! the answer to the submission disagrees with the store (a success without the row, a
//! failure with it). A script imported into some wallets without a row is allowed: it is
//! the user's deterministic script (pool key + user key), the retry imports the same one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::{Address, Network};
use hcpool_rpc::simnet::{Faults, Role, TicketPurchase, TicketState};

use super::live::{self, api, until, Custom};

/// hcstakepool's sample user key, as a simnet pubkey address.
fn user_key() -> String {
    let key: Address = super::common::USER_PK.parse().unwrap();
    Address::secp_pubkey(Network::Simnet, key.secp_pubkey_compressed().unwrap())
        .unwrap()
        .to_string()
}

fn enc(s: &str) -> String {
    super::common::enc(s)
}

/// Which of the cluster's wallets hold `script`.
fn holders(cluster: &hcpool_rpc::simnet::SimCluster, script: &[u8]) -> Vec<bool> {
    (0..cluster.wallets().len())
        .map(|i| {
            cluster
                .with_wallet(i, |w| w.scripts.iter().any(|s| s == script))
                .unwrap_or(false)
        })
        .collect()
}

/// A wallet dies while `importscript` is in flight. With `minservers=1` the registration
/// commits on the other wallet; the dead one lacks the script until it comes back and the
/// manager's catch-up imports it. With `minservers=2` the registration is refused (no row)
/// and succeeds once the wallet is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_killed_during_registration_leaves_no_half_registered_user() {
    tokio::time::timeout(Duration::from_secs(90), async {
        wallet_killed(1).await;
        wallet_killed(2).await;
    })
    .await
    .expect("the wallet fault test took more than 90 s");
}

async fn wallet_killed(min_servers: usize) {
    let p = live::start_custom(Custom {
        min_servers,
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    // Wallet 1 is slow to import, then dies mid-call.
    let mut slow = Faults::default();
    slow.method_delays
        .insert("importscript".into(), Duration::from_millis(1500));
    p.cluster.set_faults(Role::Wallet(1), slow).unwrap();
    let token = p.token.clone();
    let form = format!("UserPubKeyAddr={}", enc(&user_key()));
    let submit =
        tokio::spawn(async move { api(addr, "POST", "/api/v1/address", &token, &form).await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    p.cluster.set_down(Role::Wallet(1), true).unwrap();
    let (status, reply) = submit.await.unwrap();
    assert!(status < 500, "{status} {reply}");
    let row = p.pool.store().user(p.user).await.unwrap().unwrap();
    let succeeded = reply["status"] == "success";
    assert_eq!(
        succeeded,
        row.registration.is_some(),
        "minservers={min_servers}: the answer and the store disagree: {reply}"
    );
    if min_servers == 1 {
        assert!(succeeded, "one wallet is enough with minservers=1: {reply}");
        let script = row
            .registration
            .as_ref()
            .unwrap()
            .multisig_script
            .as_bytes()
            .to_vec();
        assert_eq!(holders(&p.cluster, &script), [true, false]);
        // The wallet comes back: the catch-up brings it the script, without a restart.
        p.cluster
            .set_faults(Role::Wallet(1), Faults::default())
            .unwrap();
        let manager = p.manager.clone();
        let cluster = p.cluster.clone();
        until(
            "the catch-up to import the script",
            Duration::from_secs(30),
            || {
                let manager = manager.clone();
                let cluster = cluster.clone();
                let script = script.clone();
                async move {
                    let _ = manager.catch_up().await;
                    holders(&cluster, &script) == [true, true]
                }
            },
        )
        .await;
    } else {
        assert!(!succeeded, "minservers=2 with a wallet down: {reply}");
        assert!(
            reply["message"].as_str().unwrap_or("").contains("wallet"),
            "a clear reason: {reply}"
        );
        // Back up: the same submission now registers, on both wallets.
        p.cluster
            .set_faults(Role::Wallet(1), Faults::default())
            .unwrap();
        let token = p.token.clone();
        let form = format!("UserPubKeyAddr={}", enc(&user_key()));
        until(
            "the registration to succeed once the wallet is back",
            Duration::from_secs(30),
            || {
                let token = token.clone();
                let form = form.clone();
                async move {
                    let (_, r) = api(addr, "POST", "/api/v1/address", &token, &form).await;
                    r["status"] == "success"
                }
            },
        )
        .await;
        let row = p.pool.store().user(p.user).await.unwrap().unwrap();
        let script = row
            .registration
            .as_ref()
            .unwrap()
            .multisig_script
            .as_bytes()
            .to_vec();
        assert_eq!(holders(&p.cluster, &script), [true, true]);
    }
    live::assert_alive(addr).await;
    assert!(live::panics().lock().unwrap().is_empty());
}

/// The multisig address the pool gave the user.
async fn register(p: &live::CustomPool) -> String {
    let form = format!("UserPubKeyAddr={}", enc(&user_key()));
    let (_, r) = api(p.server.addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!(r["status"], "success", "{r}");
    let (_, r) = api(
        p.server.addr,
        "GET",
        "/api/v1/getpurchaseinfo",
        &p.token,
        "",
    )
    .await;
    r["data"]["TicketAddress"].as_str().unwrap().to_owned()
}

fn bits_on(p: &live::CustomPool, i: usize, msa: &str) -> Option<u16> {
    p.nodes[i]
        .as_ref()?
        .daemon()
        .user_voting_config(msa)
        .map(|u| u.vote_bits.0)
}

/// stakepoold 0 dies; the user changes their votebits meanwhile. The change is stored and
/// reaches the live daemon; the dead one is marked stale, and once it is back (fresh, with
/// no users) the retry gives it the full current state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stakepoold_killed_during_a_preference_change_gets_the_full_state_back() {
    tokio::time::timeout(Duration::from_secs(90), stakepoold_killed())
        .await
        .expect("the stakepoold fault test took more than 90 s");
}

async fn stakepoold_killed() {
    let mut p = live::start_custom(Custom {
        nodes: true,
        ..Custom::default()
    })
    .await;
    let msa = register(&p).await;
    for i in 0..2 {
        until(
            "both daemons to know the user",
            Duration::from_secs(30),
            || {
                let b = bits_on(&p, i, &msa);
                async move { b == Some(1) }
            },
        )
        .await;
    }
    let addr = p.server.addr;
    let token = p.token.clone();
    let change =
        tokio::spawn(
            async move { api(addr, "POST", "/api/v1/voting", &token, "VoteBits=5").await },
        );
    p.kill_node(0);
    let (status, reply) = change.await.unwrap();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "success", "{reply}");
    let (_, info) = api(addr, "GET", "/api/v1/getpurchaseinfo", &p.token, "").await;
    assert_eq!(info["data"]["VoteBits"], 5, "the change is stored: {info}");
    until(
        "the live daemon to get the change",
        Duration::from_secs(30),
        || {
            let b = bits_on(&p, 1, &msa);
            async move { b == Some(5) }
        },
    )
    .await;
    // Whether the push raced the kill or followed it, the dead node ends up stale (a
    // push or a retry to it failed).
    let pool = p.pool.clone();
    until(
        "the dead daemon to be marked stale",
        Duration::from_secs(30),
        || {
            let stale = pool.nodes().stale();
            async move { stale.len() == 1 }
        },
    )
    .await;
    p.restart_node(0).await;
    until(
        "the restarted daemon to hold the current bits",
        Duration::from_secs(30),
        || {
            let b = bits_on(&p, 0, &msa);
            let stale = pool.nodes().stale();
            async move { b == Some(5) && stale.is_empty() }
        },
    )
    .await;
    assert_eq!(
        p.nodes[0].as_ref().unwrap().daemon().user_count(),
        1,
        "every user"
    );
    live::assert_alive(addr).await;
    assert!(live::panics().lock().unwrap().is_empty());
}

/// hcd goes down (every connection dropped, new ones refused) while a block is mined, then
/// comes back: the daemons reconnect on their own and vote the tickets drawn afterwards;
/// the web app answers throughout and its stats follow the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hcd_restarted_during_a_block_votes_continue() {
    tokio::time::timeout(Duration::from_secs(120), hcd_restarted())
        .await
        .expect("the hcd fault test took more than 120 s");
}

async fn hcd_restarted() {
    let p = live::start_custom(Custom {
        nodes: true,
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let msa = register(&p).await;
    let index = u32::try_from(p.user.0).unwrap();
    // Other people's tickets fill the pool, so the user's are drawn over many blocks.
    for i in 0..40u8 {
        p.cluster
            .buy_ticket_for_script([i; 20], &TicketPurchase::new("", 20_000_000, 999))
            .unwrap();
    }
    let tickets: Vec<_> = (0..10)
        .map(|_| {
            p.cluster
                .buy_ticket(&TicketPurchase::new(msa.clone(), 20_000_000, index))
                .unwrap()
        })
        .collect();
    // Mined, then live; both daemons manage them.
    for _ in 0..10 {
        p.cluster.mine(1).unwrap();
        if tickets
            .iter()
            .all(|t| p.cluster.ticket_state(t) == Some(TicketState::Live))
        {
            break;
        }
    }
    until(
        "both daemons to list the tickets live",
        Duration::from_secs(30),
        || {
            let ok = p.nodes.iter().all(|n| {
                let live = n.as_ref().unwrap().daemon().live_tickets();
                tickets
                    .iter()
                    .all(|t| live.iter().any(|l| l.ticket_hash == *t))
            });
            async move { ok }
        },
    )
    .await;

    // hcd dies while a block is mined, and comes back.
    p.cluster.set_down(Role::Node(0), true).unwrap();
    let (_, during) = p.cluster.mine(1).unwrap()[0];
    live::assert_alive(addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.cluster.set_down(Role::Node(0), false).unwrap();

    // The daemons reconnect by themselves (their reconnect backoff, bounded here).
    until(
        "both daemons to reconnect to hcd",
        Duration::from_secs(60),
        || {
            let ok = p
                .nodes
                .iter()
                .all(|n| n.as_ref().unwrap().daemon().health().node_connected);
            async move { ok }
        },
    )
    .await;

    // Tickets drawn from then on are voted: a block at a time, the daemons given a moment
    // to hand their votes to hcd before the next block mines them.
    let voted_after = Arc::new(AtomicBool::new(false));
    for _ in 0..30 {
        let (_, height) = p.cluster.mine(1).unwrap()[0];
        let ours: Vec<_> = p
            .cluster
            .winners(height)
            .into_iter()
            .filter(|w| tickets.contains(w))
            .collect();
        if ours.is_empty() {
            continue;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        p.cluster.mine(1).unwrap();
        if ours
            .iter()
            .any(|t| p.cluster.ticket_state(t) == Some(TicketState::Voted))
        {
            voted_after.store(true, Ordering::SeqCst);
            break;
        }
    }
    assert!(
        voted_after.load(Ordering::SeqCst),
        "a ticket drawn after hcd came back (it was down at block {during}) was voted"
    );
    let (_, tip) = p.cluster.best_block();
    until(
        "stats to name the tip",
        Duration::from_secs(20),
        || async move {
            let (_, r) = api(addr, "GET", "/api/v2/stats", "", "").await;
            r["data"]["BlockHeight"].as_i64() == Some(i64::from(tip))
        },
    )
    .await;
    assert!(live::panics().lock().unwrap().is_empty());
}

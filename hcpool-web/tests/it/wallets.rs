//! Wallets and voting nodes that fail and come back while the pool runs (issue 15): the
//! voting page and API with a wallet down, wallets that lost scripts caught up without a
//! restart, a restarted stakepoold given the full state without waiting for a failed push.

use super::common::user_key;
use std::time::Duration;

use hcpool_simnet::Role;

use super::live::{self, api, exchange, request, until, Custom};

async fn voting_page(addr: std::net::SocketAddr, s: &live::Session) -> (u16, String) {
    let r = exchange(
        addr,
        &request(
            "GET",
            b"/voting",
            &[("Cookie", s.cookie.clone().into_bytes())],
            b"",
        ),
    )
    .await;
    (r.status, r.body_text())
}

/// hcstakepool read the vote version at start-up and kept it: the voting page and the API's
/// `voting` keep working with one of the two wallets down (`minservers=2`, so no call that
/// needs both can succeed), and with both down, on the last version known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voting_page_and_api_work_with_a_wallet_down() {
    let p = live::start(|_| {}).await;
    let addr = p.server.addr;
    let session = live::sign_in(addr).await;
    let (status, page) = voting_page(addr, &session).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Voting Preferences (v7)"), "{page}");

    for down in [vec![1], vec![0, 1]] {
        for &i in &down {
            p.cluster.set_down(Role::Wallet(i), true).unwrap();
        }
        let (status, page) = voting_page(addr, &session).await;
        assert_eq!(status, 200, "wallets {down:?} down: {page}");
        assert!(page.contains("Voting Preferences (v7)"), "{page}");
        assert!(page.contains("agenda0"), "the agendas of v7: {page}");

        let bits = if down.len() == 1 { 5 } else { 3 };
        let (status, r) = api(
            addr,
            "POST",
            "/api/v1/voting",
            &p.token,
            &format!("VoteBits={bits}"),
        )
        .await;
        assert_eq!((status, &r["status"]), (200, &"success".into()), "{r}");
        let row = p.pool.store().user(p.user).await.unwrap().unwrap();
        assert_eq!(
            (row.vote_bits.0, row.vote_bits_version),
            (bits, 7),
            "stored for the known version"
        );
    }
    for i in 0..2 {
        p.cluster.set_down(Role::Wallet(i), false).unwrap();
    }
    assert!(live::panics().lock().unwrap().is_empty());
}

/// Registers the pool's user; returns its multisig script.
async fn register(p: &live::CustomPool) -> Vec<u8> {
    let form = format!("UserPubKeyAddr={}", super::common::enc(&user_key()));
    let (_, r) = api(p.server.addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!(r["status"], "success", "{r}");
    let row = p.pool.store().user(p.user).await.unwrap().unwrap();
    row.registration
        .unwrap()
        .multisig_script
        .as_bytes()
        .to_vec()
}

fn holds(cluster: &hcpool_simnet::SimCluster, i: usize, script: &[u8]) -> bool {
    cluster
        .with_wallet(i, |w| w.scripts.iter().any(|s| s == script))
        .unwrap_or(false)
}

/// A wallet loses a registered script (as a wallet restored from its seed would): the
/// manager's timer (`walletresyncinterval`) imports it again, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_that_lost_a_script_gets_it_back_on_the_timer() {
    let p = live::start_custom(Custom {
        wallet_resync_secs: Some(1),
        ..Custom::default()
    })
    .await;
    let script = register(&p).await;
    assert!(holds(&p.cluster, 0, &script) && holds(&p.cluster, 1, &script));
    let h = hcpool_simnet::keys::hash160(&script);
    p.cluster
        .with_wallet(1, |w| {
            w.scripts.retain(|s| *s != script);
            w.script_hashes.remove(&h);
            w.pool_users.remove(&h);
        })
        .unwrap();
    assert!(!holds(&p.cluster, 1, &script));
    let cluster = p.cluster.clone();
    until(
        "the timer to re-import the script",
        Duration::from_secs(30),
        || {
            let back = holds(&cluster, 1, &script);
            async move { back }
        },
    )
    .await;
    assert_eq!(p.manager.status().wallets[1].scripts_missing, Some(0));
    assert!(live::panics().lock().unwrap().is_empty());
}

/// A stakepoold restarts (fresh, no users) between two checks while nothing changes, so no
/// push to it is attempted, let alone fails: the retry task's `Ping` sees a new instance
/// and gives it the complete state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_stakepoold_gets_the_full_state_without_a_failed_push() {
    let mut p = live::start_custom(Custom {
        nodes: true,
        ..Custom::default()
    })
    .await;
    register(&p).await;
    let (_, info) = api(
        p.server.addr,
        "GET",
        "/api/v1/getpurchaseinfo",
        &p.token,
        "",
    )
    .await;
    let msa = info["data"]["TicketAddress"].as_str().unwrap().to_owned();
    for i in 0..2 {
        until(
            "both daemons to know the user",
            Duration::from_secs(30),
            || {
                let b = p.bits_on(i, &msa);
                async move { b == Some(1) }
            },
        )
        .await;
    }
    assert!(p.pool.nodes().stale().is_empty());
    p.kill_node(0);
    p.restart_node(0).await;
    until(
        "the restarted daemon to get every user",
        Duration::from_secs(30),
        || {
            let b = p.bits_on(0, &msa);
            async move { b == Some(1) }
        },
    )
    .await;
    assert_eq!(p.nodes[0].as_ref().unwrap().daemon().user_count(), 1);
    assert!(live::panics().lock().unwrap().is_empty());
}

/// hcstakepool's start-up step 6 on a database carried over from it: a verified user
/// without an API token gets one at start, and it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_users_without_an_api_token_get_one_at_start() {
    use hcpool_core::backend::NewUser;
    use hcpool_core::{Secret, VoteBits};
    let dir = tempfile::tempdir().unwrap();
    let url = hcpool_db::sqlite_url_for_path(&dir.path().join("carried.db"));
    let (old, unverified) = {
        let store = hcpool_db::connect(&url).await.unwrap();
        let mut ids = Vec::new();
        for email in ["old@example.com", "new@example.com"] {
            ids.push(
                store
                    .create_user(&NewUser {
                        email: email.into(),
                        password_hash: Secret::new("x".into()),
                        email_token: Secret::new(format!("verify-{email}")),
                        vote_bits: VoteBits(1),
                        vote_bits_version: 7,
                    })
                    .await
                    .unwrap(),
            );
        }
        store.verify_email("verify-old@example.com").await.unwrap();
        (ids[0], ids[1])
    };
    let p = live::start_custom(Custom {
        db_url: Some(url),
        ..Custom::default()
    })
    .await;
    let store = p.pool.store();
    let token = store.user(old).await.unwrap().unwrap().api_token;
    assert!(!token.expose().is_empty(), "no token issued");
    let row = store.user(unverified).await.unwrap().unwrap();
    assert_eq!(row.api_token.expose(), "", "unverified users get none");
    // The token is the user's: the API knows them (no address yet: code 9, not 16).
    let (_, r) = api(
        p.server.addr,
        "GET",
        "/api/v1/getpurchaseinfo",
        token.expose(),
        "",
    )
    .await;
    assert_eq!(r["code"], 9, "{r}");
}

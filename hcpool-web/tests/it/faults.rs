//! Fault tests over real sockets against the simulated wallets and hcd: a wallet killed
//! during registration, stakepoold killed during a preference change, hcd restarted during
//! a block, the database cut mid-request (MariaDB through a TCP proxy of the test).
//!
//! "Half-registered" means: the store holds a registration (multisig address and script)
//! for the user while a wallet that answers lacks the script once the catch-up has run, or
//! the answer to the submission disagrees with the store (a success without the row, a
//! failure with it). A script imported into some wallets without a row is allowed: it is
//! the user's deterministic script (pool key + user key), the retry imports the same one.

use super::common::user_key;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hcpool_simnet::{Faults, Role, TicketPurchase, TicketState};

use super::live::{self, api, until, Custom};

fn enc(s: &str) -> String {
    super::common::enc(s)
}

/// Which of the cluster's wallets hold `script`.
fn holders(cluster: &hcpool_simnet::SimCluster, script: &[u8]) -> Vec<bool> {
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
                let b = p.bits_on(i, &msa);
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
            let b = p.bits_on(1, &msa);
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
            let b = p.bits_on(0, &msa);
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

/// The server part of `HCPOOL_TEST_MYSQL_URL` (`user[:pass]@host:port`) and the rest.
fn split_mysql_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("mysql://")?;
    let (auth, rest) = rest.split_once('@').unwrap_or(("", rest));
    let hostport = rest.split('/').next()?.to_owned();
    Some((auth.to_owned(), hostport))
}

/// MariaDB becomes unreachable (a TCP proxy between the app and the server is cut: every
/// connection closed, new ones refused) while sign-ups and address registrations are in
/// flight, then comes back. Requests during the outage get clear answers (503 pages, API
/// errors; never a 500), nobody is half-registered, and the pool recovers without a
/// restart. The shared MariaDB server itself is never stopped. SQLite is a file with no
/// server to lose: this case is MariaDB-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::print_stdout)] // The skip line.
async fn database_cut_mid_request_and_restored() {
    let Ok(server) = std::env::var("HCPOOL_TEST_MYSQL_URL") else {
        println!(
            "skipped: HCPOOL_TEST_MYSQL_URL is not set (the database fault test needs MariaDB)"
        );
        return;
    };
    tokio::time::timeout(Duration::from_secs(120), database_cut(&server))
        .await
        .expect("the database fault test took more than 120 s");
}

async fn database_cut(server: &str) {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "off".into()),
        )
        .try_init();
    use sqlx::Executor;
    let (auth, hostport) = split_mysql_url(server).expect("HCPOOL_TEST_MYSQL_URL: mysql://…");
    let name = format!(
        "hostile_faults_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let admin = sqlx::MySqlPool::connect(server).await.expect("MariaDB");
    admin
        .execute(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4").as_str())
        .await
        .unwrap();
    let result = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(database_cut_on(
        auth,
        hostport,
        name.clone(),
    )))
    .await;
    admin
        .execute(format!("DROP DATABASE `{name}`").as_str())
        .await
        .unwrap();
    admin.close().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[allow(clippy::print_stdout)] // The figures of the run.
async fn database_cut_on(auth: String, hostport: String, name: String) {
    let target = tokio::net::lookup_host(hostport.as_str())
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = live::TcpProxy::start(target).await;
    let at = if auth.is_empty() {
        String::new()
    } else {
        format!("{auth}@")
    };
    let url = format!("mysql://{at}{}/{name}", proxy.addr);
    let p = live::start_custom(Custom {
        db_url: Some(url),
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let store = p.pool.store().clone();
    // More users with tokens, each about to submit an address.
    let mut users = vec![(p.user, p.token.clone())];
    for i in 0..5 {
        let email = format!("db{i}@example.com");
        let id = store
            .create_user(&hcpool_core::backend::NewUser {
                email: email.clone(),
                password_hash: hcpool_core::Secret::new("unused".into()),
                email_token: hcpool_core::Secret::new(format!("db-verify-{i}")),
                vote_bits: hcpool_core::VoteBits(1),
                vote_bits_version: 7,
            })
            .await
            .unwrap();
        store.verify_email(&format!("db-verify-{i}")).await.unwrap();
        let token = hcpool_web::jwt::issue(b"faults-api", "http://pool.test", id, 1_700_000_000);
        store
            .set_api_token(id, &hcpool_core::Secret::new(token.clone()))
            .await
            .unwrap();
        users.push((id, token));
    }
    // Visitors with their CSRF cookie and token, about to sign up.
    let mut visitors = Vec::new();
    for _ in 0..4 {
        let page = live::exchange(addr, &live::request("GET", b"/signup", &[], b"")).await;
        assert_eq!(page.status, 200);
        let csrf = super::common::csrf_in(&page.body_text()).unwrap();
        visitors.push((page.cookies().join("; "), csrf));
    }
    // The wallets take a while to import: registrations are past the wallets and about
    // to write the row when the database goes away.
    let mut slow = Faults::default();
    slow.method_delays
        .insert("importscript".into(), Duration::from_millis(700));
    for w in 0..2 {
        p.cluster.set_faults(Role::Wallet(w), slow.clone()).unwrap();
    }
    let form = format!("UserPubKeyAddr={}", enc(&user_key()));
    let mut inflight = Vec::new();
    for (id, token) in users.clone() {
        let form = form.clone();
        inflight.push(tokio::spawn(async move {
            let r = api(addr, "POST", "/api/v1/address", &token, &form).await;
            (id, r)
        }));
    }
    let mut signups = Vec::new();
    for (i, (cookie, csrf)) in visitors.into_iter().enumerate() {
        let email = format!("new{i}@example.com");
        let body = format!(
            "email={}&password=new-password-{i}x&passwordrepeat=new-password-{i}x&csrf_token={csrf}",
            enc(&email)
        );
        signups.push(tokio::spawn(async move {
            let r = live::exchange(
                addr,
                &live::request(
                    "POST",
                    b"/signup",
                    &[
                        (
                            "Content-Type",
                            b"application/x-www-form-urlencoded".to_vec(),
                        ),
                        ("Cookie", cookie.into_bytes()),
                    ],
                    body.as_bytes(),
                ),
            )
            .await;
            (email, r)
        }));
        if i == 1 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            proxy.cut();
        }
    }
    let mut answers = Vec::new();
    for t in inflight {
        answers.push(t.await.unwrap());
    }
    let mut signed_up = Vec::new();
    for t in signups {
        let (email, r) = t.await.unwrap();
        assert!(r.status < 500 || r.status == 503, "sign-up: {}", r.head);
        signed_up.push((email, r));
    }
    // While it is down: clear answers, no 500.
    let (s, r) = api(addr, "GET", "/api/v2/stats", "", "").await;
    assert!(s == 200 || s == 503, "{s} {r}");
    assert_ne!(r["status"], "success", "stats without a database: {r}");
    let (s, r) = api(addr, "POST", "/api/v1/address", &users[0].1, &form).await;
    assert!(s < 500 || s == 503, "{s} {r}");
    let page = live::exchange(addr, &live::request("GET", b"/stats", &[], b"")).await;
    assert!(page.status == 200 || page.status == 503, "{}", page.head);
    // The API keeps hcstakepool's HTTP 200 with an error envelope; a database that is
    // away is code 14 (UNAVAILABLE), the pages' 503.
    for (id, (status, reply)) in &answers {
        assert!(
            *status < 500 || *status == 503,
            "user {id:?}: {status} {reply}"
        );
        if reply["status"] != "success" {
            assert_eq!(reply["code"], 14, "user {id:?}: {reply}");
        }
    }
    // A sign-up that got its row in before the cut succeeded: a redirect whose flash
    // cookie says so (the form posts and redirects); every other one is a 503.
    for (email, r) in &signed_up {
        let sent = r.status == 303
            && r.head.contains("success")
            && r.head
                .contains("A%20verification%20email%20has%20been%20sent%20to");
        if !sent {
            assert_eq!(r.status, 503, "{email}: {}", r.head);
        }
    }
    let down_answers: Vec<String> = answers
        .iter()
        .map(|(_, (s, r))| format!("{s} {}", r["status"]))
        .chain(signed_up.iter().map(|(_, r)| r.status.to_string()))
        .collect();

    // Back: the pool recovers by itself.
    proxy.restore();
    for w in 0..2 {
        p.cluster
            .set_faults(Role::Wallet(w), Faults::default())
            .unwrap();
    }
    until(
        "the stats to succeed again",
        Duration::from_secs(30),
        || async move {
            let (_, r) = api(addr, "GET", "/api/v2/stats", "", "").await;
            r["status"] == "success"
        },
    )
    .await;
    // Every success had its row; every row's script is in both wallets; a failed
    // submission, retried, registers (or finds the row its lost answer committed).
    for (id, (_, reply)) in &answers {
        let row = store.user(*id).await.unwrap().unwrap();
        if reply["status"] == "success" {
            assert!(
                row.registration.is_some(),
                "user {id:?}: success without a row"
            );
        }
    }
    for (id, token) in &users {
        let (_, r) = api(addr, "POST", "/api/v1/address", token, &form).await;
        let row = store.user(*id).await.unwrap().unwrap();
        let reg = row
            .registration
            .as_ref()
            .unwrap_or_else(|| panic!("user {id:?} not registered after a retry: {r}"));
        assert_eq!(
            holders(&p.cluster, reg.multisig_script.as_bytes()),
            [true, true],
            "user {id:?}: a row whose script a wallet lacks"
        );
    }
    for (email, r) in &signed_up {
        let row = store.user_by_email(email).await.unwrap();
        if r.body_text()
            .contains("A verification email has been sent to")
        {
            assert!(row.is_some(), "{email}: success without a row");
        }
    }
    live::assert_alive(addr).await;
    assert!(live::panics().lock().unwrap().is_empty());
    println!("database cut: answers while it went down: {down_answers:?}");
}

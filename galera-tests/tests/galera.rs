//! hcpool on a real 3-node MariaDB Galera cluster (issue 17), run when `HCPOOL_GALERA`
//! names `../shared/galera` (`.ci/run` sets it); otherwise it prints why it skipped.
//!
//! Two hcpool-web instances in process, A preferring node 1 and B node 2, and one stakepoold
//! whose database settings list nodes 3 and 1, all on simulated wallets:
//! 1. 16 concurrent sign-ups with one email, half through each instance: one account, no 5xx.
//! 2. Registrations, preference changes and low-fee additions through both instances under
//!    load while node 1 (A's) is killed and later rejoined: everything acknowledged is there
//!    once, on every node, and the voting node ends with the full current state.
//! 3. A keeps serving through another node; its health JSON names the node in use and says
//!    the cluster is degraded (size 2 < `dbminclustersize` 3), and after the rejoin A is back
//!    on node 1 and not degraded.
//!
//! Hard budget: 6 minutes including the cluster start; the cluster is torn down at the end,
//! also when a step fails or the budget runs out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hcpool_core::backend::{NewUser, TicketEntry};
use hcpool_core::{Address, Network, Secret, TicketHash, UserId, VoteBits};
use hcpool_galera::{
    base_port, create_database, galera_dir, until, voting_node, Client, Galera, Web,
};
use hcpool_simnet::{SimCluster, SimConfig};

/// The whole suite, cluster start included.
const BUDGET: Duration = Duration::from_secs(360);
/// Users created for the load.
const USERS: usize = 16;
/// Preference changes per user.
const CHANGES: usize = 6;
/// Low-fee tickets added.
const TICKETS: usize = 24;
/// hcstakepool's sample user key (simnet), the key every test user registers.
const USER_KEY: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";
/// Valid votebits for the simulated wallets' vote version (agenda 0: none, no, yes).
const BITS: [u16; 3] = [1, 3, 5];
const DB: &str = "hcpool_galera";
const API_SECRET: &str = "galera-api";
const BASE_URL: &str = "http://pool.test";

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() {
    let dir = match galera_dir() {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,sqlx=error,hcpool_db=info".into()),
        )
        .try_init();
    // Below Linux's ephemeral range (32768-60999): galera.sh puts group communication at
    // BASE+1260.., and a port in that range can be taken by any outgoing connection of the
    // tests before the cluster binds it (CI failed once on "bind: Address already in use").
    let base = base_port(26000);
    let work = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/galera-suite")
        .to_path_buf();
    let started = Instant::now();
    // The watchdog: past the budget, stop the cluster and fail, whatever is stuck.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let (wd_dir, wd_work) = (dir.clone(), work.clone());
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(BUDGET).is_err() {
            eprintln!("galera suite: over the {BUDGET:?} budget; stopping the cluster");
            let _ = std::process::Command::new(wd_dir.join("galera.sh"))
                .arg("down")
                .env("GALERA_WORK", &wd_work)
                .env("GALERA_BASE_PORT", base.to_string())
                .status();
            std::process::exit(1);
        }
    });
    let result = (|| -> Result<()> {
        println!(
            "galera suite: starting 3 nodes (SQL on {}..{})",
            base + 1,
            base + 3
        );
        let mut galera = Galera::start(&dir, &work, base, 3)?;
        println!("cluster up in {:.1?}", started.elapsed());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let out = rt.block_on(suite(&galera));
        rt.shutdown_timeout(Duration::from_secs(5));
        galera.down();
        out
    })();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    match result {
        Ok(()) => println!("galera suite: ok in {:.1?}", started.elapsed()),
        Err(e) => {
            eprintln!("galera suite FAILED after {:.1?}: {e:#}", started.elapsed());
            std::process::exit(1);
        }
    }
}

fn pool_conf(
    cluster: &SimCluster,
    node: &hcpool_web::demo::LocalStakepoold,
    dburl: &str,
) -> String {
    format!(
        "{}{}apisecret={API_SECRET}\ncookiesecret=galera-cookie\ndburl={dburl}\n\
         baseurl={BASE_URL}\nadminips=127.0.0.1\nadminuserids=1\napiratelimit=0\n\
         dbminclustersize=3\nnosmtp=1\n",
        cluster.conf_fragment(),
        hcpool_web::demo::conf_fragment(std::slice::from_ref(node)),
    )
}

#[allow(clippy::print_stdout)]
async fn suite(galera: &Galera) -> Result<()> {
    concurrent_migrations(galera).await?;
    create_database(galera, 1, DB).await?;
    let tmp = tempfile::tempdir()?;
    let sim = SimCluster::start(SimConfig {
        cert_dir: Some(tmp.path().join("simnet")),
        ..SimConfig::default()
    })
    .await?;
    // The voting node: its dbhost lists nodes 3 and 1 (stakepoold.conf's form).
    let dbhost = format!("{},{}", galera.host(3), galera.host(1));
    let node = voting_node(&sim, 0, &dbhost, DB, &tmp.path().join("stakepoold")).await?;
    // Two instances started at once: both run the migrations (one applies, the other waits).
    let conf_a = pool_conf(&sim, &node, &galera.url(&[1, 2, 3], DB));
    let conf_b = pool_conf(&sim, &node, &galera.url(&[2, 3, 1], DB));
    let (a, b) = tokio::join!(
        Web::start(&conf_a, tmp.path()),
        Web::start(&conf_b, tmp.path()),
    );
    let (a, b) = (a.context("instance A")?, b.context("instance B")?);
    let raw = |i: usize| {
        sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(2)
            .connect_lazy(&galera.node_url(i, DB))
    };
    let n2 = raw(2)?;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hcpool_migrations")
        .fetch_one(&n2)
        .await?;
    ensure!(applied == 10, "migrations recorded: {applied}");
    println!(
        "two instances up: A {} (nodes 1,2,3), B {} (nodes 2,3,1)",
        a.origin, b.origin
    );

    same_email_signups(&a, &b, &n2).await?;
    same_email_read_committed(galera, &n2).await?;
    let health = Client::new(&a.origin)?;
    let h = status_json(&health).await?;
    ensure!(
        h["database_node"] == galera.host(1).as_str() && h["database_degraded"] == false,
        "A on node 1, not degraded: {h}"
    );
    println!("health before: {h}");

    load_with_a_node_killed(galera, &a, &b, &health).await?;

    // Every node holds the same state, each acknowledged change once.
    let mut states = Vec::new();
    for i in 1..=3 {
        let pool = raw(i)?;
        states.push(db_state(&pool).await?);
        pool.close().await;
    }
    ensure!(
        states[0] == states[1] && states[1] == states[2],
        "the nodes disagree after the rejoin"
    );

    // The voting node ends with the full current state.
    let store = a.pool.store().clone();
    let want_users = store.voting_configs().await?;
    let want_tickets: BTreeSet<String> = store
        .low_fee_ticket_entries()
        .await?
        .into_iter()
        .map(|t| t.ticket_hash.to_string())
        .collect();
    ensure!(
        want_users.len() == USERS,
        "{} users registered",
        want_users.len()
    );
    ensure!(
        want_tickets.len() == TICKETS,
        "{} low-fee tickets",
        want_tickets.len()
    );
    let daemon = node.daemon().clone();
    until(
        "the voting node to hold the current state",
        Duration::from_secs(60),
        || {
            let daemon = daemon.clone();
            let (users, tickets) = (want_users.clone(), want_tickets.clone());
            async move {
                let have: BTreeSet<String> = daemon
                    .added_tickets()
                    .into_iter()
                    .map(|t| t.ticket_hash.to_string())
                    .collect();
                (daemon.user_voting_prefs() == users && have == tickets).then_some(())
            }
        },
    )
    .await?;
    println!(
        "voting node current: {} users, {} low-fee tickets",
        want_users.len(),
        want_tickets.len()
    );
    a.stop().await;
    b.stop().await;
    n2.close().await;
    Ok(())
}

/// Two instances start at once on a fresh database, through nodes 1 and 2: both start, the
/// schema is complete once (every migration recorded, every index), the lock row is gone.
#[allow(clippy::print_stdout)]
async fn concurrent_migrations(galera: &Galera) -> Result<()> {
    let db = "hcpool_galera_migrate";
    create_database(galera, 1, db).await?;
    let t = Instant::now();
    let (u1, u2) = (galera.node_url(1, db), galera.node_url(2, db));
    let (x, y) = tokio::join!(
        hcpool_db::SqlStore::connect(&u1),
        hcpool_db::SqlStore::connect(&u2),
    );
    let (x, y) = (x.context("start on node 1")?, y.context("start on node 2")?);
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&galera.node_url(3, db))
        .await?;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await }
    };
    let applied = count("SELECT COUNT(*) FROM hcpool_migrations").await?;
    let indexes = count(
        "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME LIKE 'hcpool%'",
    )
    .await?;
    let locks = count("SELECT COUNT(*) FROM hcpool_migration_lock").await?;
    ensure!(
        applied == 10 && indexes == 18 && locks == 0,
        "after two concurrent starts: {applied} migrations, {indexes} indexes, {locks} locks"
    );
    println!(
        "two concurrent starts on nodes 1 and 2: schema complete in {:.1?}",
        t.elapsed()
    );
    x.close().await;
    y.close().await;
    pool.close().await;
    Ok(())
}

async fn status_json(c: &Client) -> Result<serde_json::Value> {
    let (_, body) = c.get("/status").await.context("no answer from /status")?;
    Ok(serde_json::from_str(&body)?)
}

/// 16 concurrent sign-ups with one email, alternating instances (and the email's case).
#[allow(clippy::print_stdout)]
async fn same_email_signups(a: &Web, b: &Web, n2: &sqlx::MySqlPool) -> Result<()> {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let origin = if i % 2 == 0 { &a.origin } else { &b.origin };
        let c = Client::new(origin)?;
        let email = if i % 3 == 0 {
            "Same@Example.com"
        } else {
            "same@example.com"
        };
        tasks.push(tokio::spawn(async move {
            let pw = "correct horse 9";
            let r = c
                .post_form(
                    "/signup",
                    "/signup",
                    &[("email", email), ("password", pw), ("passwordrepeat", pw)],
                )
                .await;
            (r.map(|(s, _)| s), c.seen())
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let (status, seen) = t.await?;
        ensure!(seen.server_errors == 0, "a sign-up saw a 5xx: {seen:?}");
        statuses.push(status.context("a sign-up got no answer")?);
    }
    // The outbox senders of both instances create the account (issue 12 item 8): wait
    // until every queued sign-up was handled.
    until(
        "the sign-ups' outbox to drain",
        Duration::from_secs(60),
        || async {
            let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hcpool_mail_outbox")
                .fetch_one(n2)
                .await
                .ok()?;
            (left == 0).then_some(())
        },
    )
    .await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Users WHERE Email = 'same@example.com'")
        .fetch_one(n2)
        .await?;
    ensure!(n == 1, "{n} accounts for one email");
    println!("same-email sign-ups: statuses {statuses:?}, one account");
    Ok(())
}

/// The same race on the store alone, under READ COMMITTED, through nodes 1 and 2 at once
/// (where `SELECT … FOR UPDATE` guarded nothing): one account per email, each of 5 rounds.
#[allow(clippy::print_stdout)]
async fn same_email_read_committed(galera: &Galera, n2: &sqlx::MySqlPool) -> Result<()> {
    const RC: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
    let s1 = hcpool_db::SqlStore::connect_with_init(&galera.node_url(1, DB), RC).await?;
    let s2 = hcpool_db::SqlStore::connect_with_init(&galera.node_url(2, DB), RC).await?;
    let mut conflicts = 0;
    for round in 0..5 {
        let email = format!("rc{round}@example.com");
        let mut tasks = Vec::new();
        for i in 0..16 {
            let store = if i % 2 == 0 { s1.clone() } else { s2.clone() };
            let user = NewUser {
                email: email.clone(),
                password_hash: Secret::new("x".into()),
                email_token: Secret::new(format!("rc-{round}-{i}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            };
            tasks.push(tokio::spawn(async move {
                hcpool_core::backend::UserStore::create_user(&store, &user).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await? {
                Ok(_) => ok += 1,
                Err(e) if e.backend_kind() == Some(hcpool_core::BackendKind::Conflict) => {
                    conflicts += 1
                }
                Err(e) => bail!("sign-up failed otherwise: {e}"),
            }
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM Users WHERE Email = ?")
            .bind(&email)
            .fetch_one(n2)
            .await?;
        ensure!(ok == 1 && n == 1, "round {round}: {ok} accepted, {n} rows");
    }
    s1.close().await;
    s2.close().await;
    println!(
        "READ COMMITTED on nodes 1 and 2: one account per email in 5 rounds ({conflicts} refused)"
    );
    Ok(())
}

/// A user made for the load: verified, with an API token.
struct LoadUser {
    id: UserId,
    token: String,
}

async fn make_users(a: &Web) -> Result<Vec<LoadUser>> {
    let store = a.pool.store();
    let mut users = Vec::new();
    for i in 0..USERS {
        let id = store
            .create_user(&NewUser {
                email: format!("load{i}@example.com"),
                password_hash: Secret::new("x".into()),
                email_token: Secret::new(format!("verify-{i}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            })
            .await?;
        store.verify_email(&format!("verify-{i}")).await?;
        let token = hcpool_web::jwt::issue(API_SECRET.as_bytes(), BASE_URL, id, 1_700_000_000);
        store.set_api_token(id, &Secret::new(token.clone())).await?;
        users.push(LoadUser { id, token });
    }
    Ok(users)
}

/// The registrations, preference changes and low-fee additions, through both instances,
/// while node 1 is killed and rejoined. Returns when all were acknowledged.
#[allow(clippy::print_stdout)]
async fn load_with_a_node_killed(galera: &Galera, a: &Web, b: &Web, health: &Client) -> Result<()> {
    let users = make_users(a).await?;
    let key: Address = USER_KEY.parse()?;
    let key = Address::secp_pubkey(
        Network::Simnet,
        key.secp_pubkey_compressed().context("a pubkey address")?,
    )?
    .to_string();
    let clients = [Client::new(&a.origin)?, Client::new(&b.origin)?];
    let started = Instant::now();
    // The load: per user, register then change preferences, through alternating instances.
    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let cs = clients.clone();
        let (token, key) = (u.token.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let c = &cs[i % 2];
            // An earlier attempt may have committed before its node died: "already registered"
            // is then the answer, checked against the database below.
            c.api_until(
                "/api/v1/address",
                &token,
                &[("UserPubKeyAddr", key.as_str())],
                Duration::from_secs(90),
                |m| m.contains("already"),
            )
            .await?;
            let mut last = 1;
            for k in 0..CHANGES {
                let bits = BITS[(i + k) % BITS.len()];
                let c = &cs[(i + k) % 2];
                let (ok, msg) = c
                    .api_until(
                        "/api/v2/voting",
                        &token,
                        &[("VoteBits", bits.to_string().as_str())],
                        Duration::from_secs(90),
                        |_| false,
                    )
                    .await?;
                ensure!(ok, "voting: {msg}");
                last = bits;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok::<u16, anyhow::Error>(last)
        }));
    }
    // Low-fee additions by the admin, in small batches through alternating instances.
    let pools = [a.pool.clone(), b.pool.clone()];
    let low_fee = tokio::spawn(async move {
        let mut attempts = 0u32;
        for n in 0..TICKETS {
            let entry = TicketEntry {
                ticket_address: Address::p2sh(
                    Network::Simnet,
                    [u8::try_from(n + 1).unwrap_or(0); 20],
                )
                .to_string(),
                ticket_hash: TicketHash::from_bytes([u8::try_from(n + 1).unwrap_or(0); 32]),
            };
            let pool = &pools[n % 2];
            let deadline = Instant::now() + Duration::from_secs(90);
            loop {
                attempts += 1;
                match pool
                    .add_low_fee_tickets(UserId(1), std::slice::from_ref(&entry))
                    .await
                {
                    Ok(_) => break,
                    Err(e) if Instant::now() < deadline => {
                        tracing::info!(error = %e, "low-fee addition failed, again");
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                    Err(e) => return Err(anyhow::Error::from(e)),
                }
            }
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        Ok::<u32, anyhow::Error>(attempts)
    });

    // Node 1 (A's) crashes mid-load.
    tokio::time::sleep(Duration::from_millis(800)).await;
    galera.kill(1)?;
    let killed = Instant::now();
    println!("node 1 killed at {:.1?} into the load", started.elapsed());
    // A keeps serving through another node; its health names it and says degraded.
    let h = until(
        "A's health to name another node, degraded",
        Duration::from_secs(30),
        || async {
            let h = status_json(health).await.ok()?;
            (h["database"] == true
                && h["database_node"] != galera.host(1).as_str()
                && h["database_degraded"] == true
                && h["database_cluster_size"] == 2)
                .then_some(h)
        },
    )
    .await?;
    println!("health after the kill ({:.1?}): {h}", killed.elapsed());
    let (status, body) = clients[0]
        .get("/api/v2/stats")
        .await
        .context("A does not answer after its node died")?;
    ensure!(status == 200, "A's stats after the kill: {status} {body}");

    // The node comes back (empty, full state transfer) while the load goes on.
    let rejoin = {
        let work_done = Instant::now();
        let r = tokio::task::block_in_place(|| galera.rejoin(1));
        println!("node 1 rejoined in {:.1?}", work_done.elapsed());
        r
    };
    rejoin?;

    let mut last_bits = BTreeMap::new();
    for (u, t) in users.iter().zip(tasks) {
        last_bits.insert(u.id, t.await??);
    }
    let low_fee_attempts = low_fee.await??;
    let seen: Vec<_> = clients.iter().map(Client::seen).collect();
    println!(
        "load done in {:.1?}: A saw {:?}, B saw {:?}; low-fee attempts {low_fee_attempts} for {TICKETS}",
        started.elapsed(),
        seen[0],
        seen[1]
    );

    // Back on node 1, not degraded.
    let h = until(
        "A back on node 1, not degraded",
        Duration::from_secs(30),
        || async {
            let h = status_json(health).await.ok()?;
            (h["database_node"] == galera.host(1).as_str()
                && h["database_degraded"] == false
                && h["database_cluster_size"] == 3)
                .then_some(h)
        },
    )
    .await?;
    println!("health after the rejoin: {h}");

    // Nothing lost: every user registered with the last acknowledged bits.
    let configs = a.pool.store().voting_configs().await?;
    let have: BTreeMap<UserId, u16> = configs.iter().map(|c| (c.user_id, c.vote_bits.0)).collect();
    ensure!(
        have == last_bits,
        "stored {have:?}, acknowledged {last_bits:?}"
    );
    Ok(())
}

/// The rows that matter, as text, in key order: users' registrations and bits, the email
/// claims and the low-fee tickets (counted per hash: a duplicate shows).
async fn db_state(pool: &sqlx::MySqlPool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let users: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT UserId, COALESCE(Email, ''), COALESCE(MultiSigAddress, ''), \
         COALESCE(VoteBits, 0) FROM Users ORDER BY UserId",
    )
    .fetch_all(pool)
    .await?;
    out.extend(users.iter().map(|u| format!("{u:?}")));
    let claims: Vec<(String, i64)> =
        sqlx::query_as("SELECT Email, UserId FROM hcpool_emails ORDER BY UserId")
            .fetch_all(pool)
            .await?;
    if claims.len() != users.len() {
        bail!("{} claims for {} users", claims.len(), users.len());
    }
    let tickets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT TicketHash, COUNT(*) FROM LowFeeTicket GROUP BY TicketHash ORDER BY TicketHash",
    )
    .fetch_all(pool)
    .await?;
    if let Some(dup) = tickets.iter().find(|(_, n)| *n != 1) {
        bail!("low-fee ticket stored {} times: {}", dup.1, dup.0);
    }
    out.extend(tickets.iter().map(|t| format!("{t:?}")));
    Ok(out)
}

//! galera-bench: what a Galera cluster costs and gives hcpool's store.
//!
//! Starts its own 3-node cluster (`HCPOOL_GALERA` names `../shared/galera`; SQL ports
//! `GALERA_BASE_PORT`+1…, default 26100+1…) and prints:
//! - registrations (create a user, register an address) and preference changes per second
//!   with 12 concurrent clients, all on node 1, then spread over the three nodes;
//! - the latency of one preference change on node 1, and of one UPDATE commit on node 1
//!   replicated against the same with `wsrep_on=OFF` for the session: what synchronous
//!   replication adds;
//! - replication lag: a write committed through node 1 until node 2 shows it, read without
//!   `wsrep_sync_wait` (median and p95 of 200).
//!
//! `galera-bench --seconds 5` (default 5 per phase).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use hcpool_core::backend::{NewUser, Registration, Store};
use hcpool_core::multisig::RedeemScript;
use hcpool_core::{Address, Secret, VoteBits};
use hcpool_galera::{base_port, create_database, galera_dir, Galera};

const CLIENTS: usize = 12;

#[allow(clippy::print_stdout)]
fn main() -> Result<()> {
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = match galera_dir() {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: {why}");
            return Ok(());
        }
    };
    // Below the ephemeral port range, as the suite's (tests/galera.rs).
    let base = base_port(26100);
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/galera-bench");
    let started = Instant::now();
    let mut galera = Galera::start(&dir, &work, base, 3)?;
    println!("3-node cluster up in {:.1?}", started.elapsed());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let out = rt.block_on(bench(&galera, Duration::from_secs(seconds)));
    galera.down();
    out
}

/// A real registration (the shared vectors' first multisig), the same for every user: the
/// store does not care, and the bench measures the store.
fn registration() -> Result<Registration> {
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../../hcpool-core/tests/data/keys-addresses.json"
    ))?;
    let m = &v["multisig"][0];
    let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_owned();
    let addr = |x: &serde_json::Value| -> Result<Address> { Ok(s(x).parse()?) };
    Ok(Registration {
        multisig_address: addr(&m["p2sh_address"])?,
        multisig_script: RedeemScript::from_hex(&s(&m["redeem_script_hex"]))?,
        pool_pubkey_addr: addr(&m["pool_pubkey_address"])?,
        user_pubkey_addr: addr(&m["user_pubkey_address"])?,
        user_fee_addr: addr(&v["derivations"][0]["addresses"][1]["address"])?,
        height_registered: 100,
    })
}

/// Runs `CLIENTS` clients on `stores` (round robin) for `d`; each client loops `op`.
/// Returns operations per second.
async fn run_phase<F, Fut>(stores: &[Arc<dyn Store>], d: Duration, op: F) -> f64
where
    F: Fn(Arc<dyn Store>, u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let count = Arc::new(AtomicU64::new(0));
    let seq = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let store = stores[c % stores.len()].clone();
        let (count, seq, op) = (count.clone(), seq.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < d {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                if op(store.clone(), n).await {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn register_op(
    reg: Arc<Registration>,
    tag: &'static str,
) -> impl Fn(Arc<dyn Store>, u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
       + Send
       + Sync
       + Clone
       + 'static {
    move |store, n| {
        let reg = reg.clone();
        Box::pin(async move {
            let user = NewUser {
                email: format!("{tag}{n}@example.com"),
                password_hash: Secret::new("x".into()),
                email_token: Secret::new(format!("{tag}-{n}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            };
            match store.create_user(&user).await {
                Ok(id) => store.register_address(id, &reg).await.is_ok(),
                Err(_) => false,
            }
        })
    }
}

fn vote_op(
    ids: Arc<Vec<hcpool_core::UserId>>,
) -> impl Fn(Arc<dyn Store>, u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
       + Send
       + Sync
       + Clone
       + 'static {
    move |store, n| {
        let ids = ids.clone();
        Box::pin(async move {
            let id = ids[(n as usize) % ids.len()];
            let bits = [1u16, 3, 5][(n % 3) as usize];
            store.set_vote_bits(id, VoteBits(bits), 7).await.is_ok()
        })
    }
}

/// Median time of an autocommit UPDATE on node 1, replicated or not.
async fn raw_commit_latency(g: &Galera, db: &str, replicated: bool) -> Result<Duration> {
    let init = if replicated {
        "SET SESSION wsrep_on = ON"
    } else {
        "SET SESSION wsrep_on = OFF"
    };
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .after_connect(move |c, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *c, init).await?;
                Ok(())
            })
        })
        .connect(&g.node_url(1, db))
        .await?;
    let table = if replicated {
        "bench_rep"
    } else {
        "bench_local"
    };
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (id INT PRIMARY KEY, v BIGINT NOT NULL)"
    ))
    .execute(&pool)
    .await?;
    sqlx::query(&format!("REPLACE INTO {table} VALUES (1, 0)"))
        .execute(&pool)
        .await?;
    let mut t = Vec::with_capacity(200);
    for v in 0..200i64 {
        let s = Instant::now();
        sqlx::query(&format!("UPDATE {table} SET v = ? WHERE id = 1"))
            .bind(v)
            .execute(&pool)
            .await?;
        t.push(s.elapsed());
    }
    pool.close().await;
    t.sort();
    Ok(t[t.len() / 2])
}

async fn median_latency(store: &Arc<dyn Store>, id: hcpool_core::UserId, n: usize) -> Duration {
    let mut t = Vec::with_capacity(n);
    for i in 0..n {
        let s = Instant::now();
        let _ = store.set_vote_bits(id, VoteBits([1, 3, 5][i % 3]), 7).await;
        t.push(s.elapsed());
    }
    t.sort();
    t[t.len() / 2]
}

#[allow(clippy::print_stdout)]
async fn bench(g: &Galera, d: Duration) -> Result<()> {
    let db = "hcpool_bench";
    create_database(g, 1, db).await?;
    let reg = Arc::new(registration()?);
    let one: Arc<dyn Store> = hcpool_db::connect(&g.node_url(1, db)).await?;
    let spread: Vec<Arc<dyn Store>> = vec![
        one.clone(),
        hcpool_db::connect(&g.node_url(2, db)).await?,
        hcpool_db::connect(&g.node_url(3, db)).await?,
    ];
    println!("{CLIENTS} concurrent clients, {d:?} per phase");
    let r1 = run_phase(
        std::slice::from_ref(&one),
        d,
        register_op(reg.clone(), "one"),
    )
    .await;
    println!("registrations/s, all on node 1:        {r1:8.1}");
    let r3 = run_phase(&spread, d, register_op(reg.clone(), "spread")).await;
    println!("registrations/s, spread over 3 nodes:  {r3:8.1}");
    let ids: Arc<Vec<_>> = Arc::new(
        one.voting_configs()
            .await?
            .into_iter()
            .map(|c| c.user_id)
            .take(500)
            .collect(),
    );
    anyhow::ensure!(!ids.is_empty(), "no registered users to change");
    let v1 = run_phase(std::slice::from_ref(&one), d, vote_op(ids.clone())).await;
    println!("preference changes/s, all on node 1:   {v1:8.1}");
    let v3 = run_phase(&spread, d, vote_op(ids.clone())).await;
    println!("preference changes/s, spread:          {v3:8.1}");

    // One change at a time through the store, then the same UPDATE on node 1 with and
    // without replication (`wsrep_on = OFF` for the session): what certification and the
    // round trip to the other nodes add to a commit.
    let g_lat = median_latency(&one, ids[0], 200).await;
    println!("one preference change (store), node 1: {g_lat:8.2?} (median of 200)");
    let on = raw_commit_latency(g, db, true).await?;
    let off = raw_commit_latency(g, db, false).await?;
    println!("one UPDATE commit, replicated:         {on:8.2?} (median of 200)");
    println!("the same, wsrep_on=OFF (local only):   {off:8.2?} (median of 200)");
    let added = on.as_secs_f64() - off.as_secs_f64();
    println!(
        "added by synchronous replication:      {:+8.0} µs (negative: the local-only commit \
         was slower on this machine)",
        added * 1e6
    );

    // Replication lag: write through node 1, poll node 2 without causality waits.
    let w = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&g.node_url(1, db))
        .await?;
    let r = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .after_connect(|c, _| {
            Box::pin(async move {
                sqlx::Executor::execute(&mut *c, "SET SESSION wsrep_sync_wait = 0").await?;
                Ok(())
            })
        })
        .connect(&g.node_url(2, db))
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_lag (id INT PRIMARY KEY, v BIGINT NOT NULL)")
        .execute(&w)
        .await?;
    sqlx::query("REPLACE INTO bench_lag VALUES (1, 0)")
        .execute(&w)
        .await?;
    let mut lags = Vec::new();
    for v in 1..=200i64 {
        sqlx::query("UPDATE bench_lag SET v = ? WHERE id = 1")
            .bind(v)
            .execute(&w)
            .await?;
        let s = Instant::now();
        loop {
            let seen: i64 = sqlx::query_scalar("SELECT v FROM bench_lag WHERE id = 1")
                .fetch_one(&r)
                .await?;
            if seen >= v || s.elapsed() > Duration::from_secs(5) {
                break;
            }
        }
        lags.push(s.elapsed());
    }
    lags.sort();
    println!(
        "replication lag node 1 -> node 2:       median {:.2?}, p95 {:.2?} (200 writes)",
        lags[lags.len() / 2],
        lags[lags.len() * 95 / 100]
    );
    Ok(())
}

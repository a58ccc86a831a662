//! The bulk reads and the one-statement reset that replace hcstakepool's per-user loops,
//! timed with 10,000 registered users on SQLite, and on MariaDB/MySQL when
//! `HCPOOL_TEST_MYSQL_URL` is set (a throwaway database is created and dropped).
//!
//! `cargo bench -p hcpool-db --bench bulk`

#![allow(clippy::print_stdout, clippy::unwrap_used)] // A bench binary reports on stdout.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use hcpool_core::backend::UserStore;
use hcpool_core::VoteBits;
use hcpool_db::SqlStore;
use sqlx::Executor;

const USERS: usize = 10_000;

/// Inserts `USERS` registered users in batches (the fixture, not what is measured).
async fn fill(store: &SqlStore) {
    let script = format!("5121{}21{}52ae", "02".repeat(33), "03".repeat(33));
    for start in (0..USERS).step_by(500) {
        let rows: Vec<String> = (start..(start + 500).min(USERS))
            .map(|i| {
                format!(
                    "('u{i}@example.com', 'u{i}@example.com', X'00', 'TcMultisig{i}', '{script}', \
                     'TkPool{i}', 'TkUser{i}', 'TsFee{i}', {h}, 1, '', 'jwt{i}', {bits}, 7)",
                    h = 1000 + i,
                    bits = if i % 3 == 0 { 5 } else { 1 },
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO Users (Email, Username, Password, MultiSigAddress, MultiSigScript, \
             PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr, HeightRegistered, EmailVerified, \
             EmailToken, APIToken, VoteBits, VoteBitsVersion) VALUES {}",
            rows.join(", ")
        );
        store.pool().execute(sql.as_str()).await.unwrap();
    }
}

fn bench_store(c: &mut Criterion, rt: &tokio::runtime::Runtime, label: &str, store: &SqlStore) {
    rt.block_on(fill(store));
    let mut g = c.benchmark_group(label);
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("load all voting configs (10k users)", |b| {
        b.to_async(rt).iter(|| async {
            let v = UserStore::voting_configs(store).await.unwrap();
            assert_eq!(v.len(), USERS);
        })
    });
    g.bench_function("load all multisig scripts (10k users)", |b| {
        b.to_async(rt).iter(|| async {
            let v = UserStore::multisig_scripts(store).await.unwrap();
            assert_eq!(v.len(), USERS);
        })
    });
    let version = AtomicU32::new(100);
    g.bench_function("reset vote bits for a new version (10k users)", |b| {
        b.to_async(rt).iter(|| async {
            // A new version each time, so every user's row is rewritten.
            let v = version.fetch_add(1, Ordering::Relaxed);
            let n = UserStore::reset_vote_bits(store, v, &[VoteBits(1), VoteBits(5)])
                .await
                .unwrap();
            assert_eq!(n as usize, USERS);
        })
    });
    g.finish();
}

fn bulk(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = rt
        .block_on(SqlStore::open_sqlite(&dir.path().join("bench.db")))
        .unwrap();
    bench_store(c, &rt, "sqlite", &sqlite);

    let Some(server) = std::env::var("HCPOOL_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        println!("skipped: HCPOOL_TEST_MYSQL_URL unset (MariaDB/MySQL figures)");
        return;
    };
    let name = format!("hcpool_bench_{}", std::process::id());
    let admin = rt.block_on(sqlx::MySqlPool::connect(&server)).unwrap();
    rt.block_on(admin.execute(format!("CREATE DATABASE `{name}`").as_str()))
        .unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    let mysql = rt.block_on(SqlStore::connect(url.as_str())).unwrap();
    bench_store(c, &rt, "mysql", &mysql);
    rt.block_on(mysql.close());
    rt.block_on(admin.execute(format!("DROP DATABASE `{name}`").as_str()))
        .unwrap();
}

criterion_group!(benches, bulk);
criterion_main!(benches);

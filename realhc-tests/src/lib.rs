//! # hcpool-realhc
//!
//! hcpool end to end on the **real** hcd and hcwallet of `../shared/realhc`: a copy of the
//! repository's chain snapshot (`fixture/hc-simnet.tar.xz`, height 176, past stake validation)
//! is resumed with `simnet.sh resume` on its own ports, and hcpool runs on it through its own
//! library entry points: the store, two stakepoold daemons on the two voting wallets, and
//! the web app. Results are read from the chain (hcd), not from hcpool's logs.
//!
//! - `tests/realhc.rs` (in `cargo test --workspace`): the scenarios, one line each, then
//!   `N passed, M failed`. Runs when `HCPOOL_REALHC` names the realhc dir (`.ci/run` sets
//!   it when `../shared/realhc` exists); otherwise it prints why it skipped.
//! - `realhc-bench` (`cargo run -p hcpool-realhc --bin realhc-bench`): vote latency
//!   (`winningtickets` received → vote accepted by hcd) over ≥ 100 votes and start-up times.
//!
//! Ports: the suite uses base 24000, the bench 24400 (`HCPOOL_REALHC_PORT` overrides);
//! simnet.sh needs bases ≥ 200 apart. Work dirs are under `target/realhc/`.
//!
//! ## Figures (2-core machine shared with other builds, debug build, 5 Dec 2026)
//!
//! `realhc-bench`: 100 votes accepted by hcd in 37 blocks; `winningtickets` received by
//! stakepoold → vote accepted by hcd: p50 16.4 ms, p90 29.1 ms, p99 35.6 ms, max 36.4 ms.
//! Start-up to serving on the real chain: stakepoold 456–588 ms (connect, scan of ~300
//! tickets, gRPC bound), the web app 4.6 s (`wiring::build`: vote version, votebits reset
//! and push to both stakepoold, wallet sync; launch; first `GET /`). The suite's own quiet
//! run (after its restarts) gives p50 9–12 ms, p99 17–41 ms over ~100 votes, and start-ups
//! of 0.2–0.8 s (stakepoold) and 1.1–2.8 s (web).
//!
//! ## Main types
//!
//! [`simnet::Simnet`] (the resumed chain, `simnet.sh`, restarting one program),
//! [`chain::Chain`] (mining with bounded waits, votes and revocations read from hcd),
//! [`pool::Node`] (an in-process stakepoold), [`pool::Web`] (the web app), [`Suite`] (all
//! of it on one chain).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
pub mod pool;
pub mod simnet;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hcpool_core::backend::Store;
use hcpool_core::{PoolFeeRate, UserId};
use hcpool_rpc::RpcClient;
use serde_json::{json, Value};

use crate::chain::Chain;
use crate::pool::{Node, NodeSpec, Suppress, Web};
use crate::simnet::Simnet;

/// The variable naming the realhc dir.
pub const REALHC_VAR: &str = "HCPOOL_REALHC";

/// The realhc dir, or why the real-program runs are skipped.
///
/// # Errors
/// The reason to skip, as one line.
pub fn realhc_dir() -> std::result::Result<PathBuf, String> {
    let Some(dir) = std::env::var_os(REALHC_VAR) else {
        return Err(format!(
            "skipped: {REALHC_VAR} unset (set it to ../shared/realhc, the real hcd/hcwallet and \
             simnet.sh; .ci/run does when that dir exists)"
        ));
    };
    let dir = PathBuf::from(dir);
    if !dir.join("simnet.sh").is_file() || !dir.join("hc-bin.tar.xz").is_file() {
        return Err(format!(
            "skipped: {REALHC_VAR}={} has no simnet.sh and hc-bin.tar.xz",
            dir.display()
        ));
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err("skipped: the packaged hcd/hcwallet are linux-amd64".into());
    }
    Ok(dir)
}

/// `target/realhc/<name>` of this workspace.
pub fn work_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("realhc").join(name)
}

/// The port base: `HCPOOL_REALHC_PORT`, else `default`.
pub fn base_port(default: u16) -> u16 {
    std::env::var("HCPOOL_REALHC_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

/// One resumed chain with hcpool on it.
pub struct Suite {
    /// The chain's programs.
    pub sim: Simnet,
    /// hcd.
    pub chain: Chain,
    /// The pool customer's wallet (buys pool tickets, never votes).
    pub user_wallet: RpcClient,
    /// The two voting wallets.
    pub voting_wallets: [RpcClient; 2],
    /// The pool's store.
    pub store: Arc<dyn Store>,
    /// The store's URL.
    pub db_url: String,
    /// The snapshot's own pool user, inserted through the store.
    pub fixture_user: UserId,
    /// The wallets' vote version.
    pub vote_version: u32,
    /// How each daemon was started (to start it again).
    pub specs: Vec<NodeSpec>,
    /// The daemons (`None` while one is stopped).
    pub nodes: Vec<Option<Node>>,
    /// The web app (`None` while stopped).
    pub web: Option<Web>,
    /// Shared by both daemons' hcd links.
    pub suppress: Arc<Suppress>,
    /// Per mined block: the tip and the `BlockHeight` `/api/v2/stats` named (`None`: it
    /// answered with an error).
    pub stats_log: Vec<(u32, Option<u64>)>,
    /// Time from `simnet.sh resume` to the chain minable with stakepoold voting.
    pub resumed_in: Duration,
    stats_stale_seen: bool,
    stuck: bool,
    mysql: Option<MySqlDb>,
    /// Whether stakepoold refused to start on vote1 while it still voted by itself (right
    /// after `resume`, voters auto): `Err` says what happened instead.
    pub self_voting: std::result::Result<(), String>,
}

/// stakepoold's `connect` to vote1 while it runs with `--enablevoting` (issue 11 item 6: it
/// must refuse, naming `walletinfo.voting`).
async fn self_voting_refused(sim: &Simnet) -> std::result::Result<(), String> {
    let spec = async {
        let env = sim.env();
        let pool_fees: f64 = env.get("POOLFEES")?.parse().context("POOLFEES")?;
        let dir = sim.work().join("refused");
        Ok::<_, anyhow::Error>(NodeSpec {
            wallet: sim.client_config("vote1")?,
            hcd: sim.client_config("hcd")?,
            cold_xpub: env.get("COLDWALLETEXTPUB")?.to_owned(),
            pool_fees: PoolFeeRate::from_percent(pool_fees)?,
            store: hcpool_db::connect("sqlite::memory:").await?,
            dir,
            listen: "127.0.0.1:0".into(),
            suppress: Arc::new(Suppress::default()),
        })
    }
    .await
    .map_err(|e| format!("set-up: {e:#}"))?;
    match stakepoold::run::connect(pool::links(&spec, None)).await {
        Ok(_) => Err("stakepoold started on vote1 while walletinfo.voting is true".into()),
        Err(e) if e.to_string().contains("voting") => Ok(()),
        Err(e) => Err(format!("refused, but not for walletinfo.voting: {e}")),
    }
}

/// A throwaway database on the MariaDB/MySQL server `HCPOOL_TEST_MYSQL_URL` names (the
/// store then runs there instead of SQLite).
pub struct MySqlDb {
    server: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl MySqlDb {
    /// Creates `hcpool_realhc_<tag>_<pid>` (dropped first if a crashed run left it).
    ///
    /// # Errors
    /// The server refusing.
    pub async fn create(server: &str, tag: &str) -> Result<MySqlDb> {
        use sqlx::Executor;
        let name = format!("hcpool_realhc_{tag}_{}", std::process::id());
        let admin = sqlx::MySqlPool::connect(server)
            .await
            .context("connect to HCPOOL_TEST_MYSQL_URL")?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS `{name}`").as_str())
            .await?;
        admin
            .execute(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4").as_str())
            .await
            .with_context(|| format!("create database {name}"))?;
        admin.close().await;
        let mut url = url::Url::parse(server).context("HCPOOL_TEST_MYSQL_URL is not a URL")?;
        url.set_path(&format!("/{name}"));
        Ok(MySqlDb {
            server: server.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database (bounded; a failure is logged).
    pub async fn drop_database(self) {
        use sqlx::Executor;
        let r = tokio::time::timeout(Duration::from_secs(20), async {
            let admin = sqlx::MySqlPool::connect(&self.server).await?;
            admin
                .execute(format!("DROP DATABASE IF EXISTS `{}`", self.name).as_str())
                .await?;
            admin.close().await;
            Ok::<(), sqlx::Error>(())
        })
        .await;
        if !matches!(r, Ok(Ok(()))) {
            tracing::warn!(db = %self.name, "could not drop the test database: {r:?}");
        }
    }
}

/// How long a block may wait for its parent's votes.
pub const VOTE_WAIT: Duration = Duration::from_secs(60);

/// The same wait once the chain was stuck.
pub const STUCK_WAIT: Duration = Duration::from_secs(10);

impl Suite {
    /// Unpacks the snapshot into `target/realhc/<name>`, resumes it on `base_port`,
    /// switches the voting wallets to manual voting, opens the store (a fresh MariaDB/MySQL
    /// database when `HCPOOL_TEST_MYSQL_URL` is set, else SQLite) with the snapshot's pool
    /// user, starts the two daemons and the web app.
    ///
    /// # Errors
    /// Any step; the chain is stopped again when this fails (the [`Simnet`] drop).
    pub async fn setup(realhc: &Path, name: &str, base_port: u16, admin: u64) -> Result<Suite> {
        let t0 = Instant::now();
        let work = work_dir(name);
        let sim = Simnet::resume(realhc, &work, base_port, &simnet::fixture_path()).await?;
        let self_voting = self_voting_refused(&sim).await;
        sim.voters_manual().await?;
        let chain = Chain::new(sim.post_client("hcd").await?);
        let user_wallet = sim.post_client("user").await?;
        let voting_wallets = [
            sim.post_client("vote1").await?,
            sim.post_client("vote2").await?,
        ];
        let info: Value = voting_wallets[0].call_value("walletinfo", vec![]).await?;
        let vote_version = info["voteversion"]
            .as_u64()
            .context("walletinfo without voteversion")? as u32;
        if info["voting"].as_bool() != Some(false) {
            bail!("vote1 still votes by itself after `voters manual`: {info}");
        }

        let mysql = match std::env::var("HCPOOL_TEST_MYSQL_URL") {
            Ok(server) if !server.is_empty() => Some(MySqlDb::create(&server, name).await?),
            _ => None,
        };
        let db_url = match &mysql {
            Some(m) => m.url.clone(),
            None => {
                for f in ["pool.db", "pool.db-wal", "pool.db-shm"] {
                    let _ = std::fs::remove_file(work.join(f));
                }
                hcpool_db::sqlite_url_for_path(&work.join("pool.db"))
            }
        };
        let store = hcpool_db::connect(&db_url)
            .await
            .context("open the store")?;
        let fixture_user = pool::insert_fixture_user(&store, sim.env(), vote_version).await?;

        let env = sim.env();
        let pool_fees: f64 = env.get("POOLFEES")?.parse().context("POOLFEES")?;
        let suppress = Arc::new(Suppress::default());
        let mut specs = Vec::new();
        let mut nodes = Vec::new();
        for (i, w) in ["vote1", "vote2"].iter().enumerate() {
            let spec = NodeSpec {
                wallet: sim.client_config(w)?,
                hcd: sim.client_config("hcd")?,
                cold_xpub: env.get("COLDWALLETEXTPUB")?.to_owned(),
                pool_fees: PoolFeeRate::from_percent(pool_fees)?,
                store: store.clone(),
                dir: work.join(format!("stakepoold{i}")),
                listen: "127.0.0.1:0".into(),
                suppress: suppress.clone(),
            };
            let node = Node::start(&spec).await?;
            let spec = NodeSpec {
                listen: node.addr.to_string(),
                ..spec
            };
            specs.push(spec);
            nodes.push(Some(node));
        }
        let conf = {
            let refs: Vec<&Node> = nodes.iter().flatten().collect();
            pool::web_conf(env, &refs, &db_url, admin)?
        };
        let web = Web::start(&conf, &work, 0).await?;
        Ok(Suite {
            sim,
            chain,
            user_wallet,
            voting_wallets,
            store,
            db_url,
            fixture_user,
            vote_version,
            specs,
            nodes,
            web: Some(web),
            suppress,
            stats_log: Vec::new(),
            resumed_in: t0.elapsed(),
            stats_stale_seen: false,
            stuck: false,
            mysql,
            self_voting,
        })
    }

    /// The web app.
    ///
    /// # Errors
    /// It is stopped.
    pub fn web(&self) -> Result<&Web> {
        self.web.as_ref().context("the web app is stopped")
    }

    /// Daemon `i`.
    ///
    /// # Errors
    /// It is stopped.
    pub fn node(&self, i: usize) -> Result<&Node> {
        self.nodes
            .get(i)
            .and_then(Option::as_ref)
            .with_context(|| format!("stakepoold {i} is stopped"))
    }

    /// The running daemons.
    pub fn running_nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().flatten()
    }

    /// The web configuration for the current daemons.
    ///
    /// # Errors
    /// A daemon is stopped or env.sh lacks a key.
    pub fn web_conf(&self, admin: u64) -> Result<String> {
        let refs: Vec<&Node> = self.running_nodes().collect();
        if refs.len() != self.specs.len() {
            bail!("a daemon is stopped");
        }
        pool::web_conf(self.sim.env(), &refs, &self.db_url, admin)
    }

    /// Mines `n` blocks one by one (each after ≥ 3 votes on its parent); after each, records
    /// the `BlockHeight` of `/api/v2/stats` (waiting up to 5 s for it to name the new tip,
    /// until the first time it does not). Returns the new height.
    ///
    /// # Errors
    /// `STUCK` or a failing call.
    pub async fn mine(&mut self, n: u32) -> Result<u32> {
        let mut h = self.chain.height().await?;
        for _ in 0..n {
            // Once stuck, later scenarios fail fast instead of waiting a minute each.
            let wait = if self.stuck { STUCK_WAIT } else { VOTE_WAIT };
            h = match self.chain.mine_one(wait).await {
                Ok(h) => h,
                Err(e) => {
                    self.stuck |= e.to_string().contains("STUCK");
                    return Err(e);
                }
            };
            self.stuck = false;
            self.record_stats(h).await;
        }
        Ok(h)
    }

    async fn record_stats(&mut self, tip: u32) {
        let Some(web) = &self.web else { return };
        let deadline = Instant::now()
            + if self.stats_stale_seen {
                Duration::ZERO
            } else {
                Duration::from_secs(5)
            };
        let seen = loop {
            // An error answer (stats unavailable, e.g. a wallet down) is logged as `None`.
            let seen = match pool::api(&web.origin, "GET", "stats", None, &[]).await {
                Ok(v) => v["data"]["BlockHeight"].as_u64(),
                Err(_) => None,
            };
            if seen.is_none_or(|h| h == u64::from(tip)) || Instant::now() >= deadline {
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        if seen.is_some_and(|h| h != u64::from(tip)) {
            self.stats_stale_seen = true;
        }
        self.stats_log.push((tip, seen));
    }

    /// Waits (at most `limit`, polling every 250 ms) until `f` holds. `what` names the
    /// condition in the timeout error.
    ///
    /// # Errors
    /// The time limit, or `f`'s error.
    pub async fn wait_for<F, Fut>(&self, what: &str, limit: Duration, mut f: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            if f().await? {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out after {} s waiting for {what}", limit.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A wallet call on the customer's wallet.
    ///
    /// # Errors
    /// The wallet's error.
    pub async fn user_call(&self, method: &str, params: Vec<Value>) -> Result<Value> {
        self.user_wallet
            .call_value(method, params)
            .await
            .with_context(|| format!("user wallet {method}"))
    }

    /// A fresh pubkey address of the customer's wallet (`getnewaddress` → `validateaddress`).
    ///
    /// # Errors
    /// The wallet's error.
    pub async fn new_user_pubkey(&self) -> Result<String> {
        let a = self.user_call("getnewaddress", vec![]).await?;
        let v = self.user_call("validateaddress", vec![a]).await?;
        Ok(v["pubkeyaddr"]
            .as_str()
            .with_context(|| format!("validateaddress without pubkeyaddr: {v}"))?
            .to_owned())
    }

    /// Both voting wallets hold `script` for `multisig` (`validateaddress`: ismine, isscript).
    ///
    /// # Errors
    /// A wallet's error, or one does not.
    pub async fn wallets_hold(&self, multisig: &str) -> Result<()> {
        for (i, w) in self.voting_wallets.iter().enumerate() {
            let v = w
                .call_value("validateaddress", vec![json!(multisig)])
                .await?;
            if v["ismine"] != json!(true) || v["isscript"] != json!(true) {
                bail!("vote{} does not hold the script of {multisig}: {v}", i + 1);
            }
        }
        Ok(())
    }

    /// Stops everything; the chain last (`simnet.sh stop`).
    pub async fn shutdown(mut self) {
        if let Some(w) = self.web.take() {
            w.stop().await;
        }
        for n in self.nodes.iter_mut() {
            if let Some(n) = n.take() {
                n.stop().await;
            }
        }
        self.sim.stop().await;
        if let Some(m) = self.mysql.take() {
            drop(self.store);
            m.drop_database().await;
        }
    }

    /// `mysql` when the store is on MariaDB/MySQL, else `sqlite`.
    pub fn store_kind(&self) -> &'static str {
        if self.mysql.is_some() {
            "mysql"
        } else {
            "sqlite"
        }
    }
}

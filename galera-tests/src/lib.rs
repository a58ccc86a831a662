//! # hcpool-galera
//!
//! hcpool on a real MariaDB Galera cluster: three nodes on loopback started with
//! `../shared/galera/galera.sh` (its README: SQL on `BASE+1…`, group communication on
//! `BASE+1261…`), killed and rejoined on purpose. `tests/galera.rs` runs the high-availability
//! scenarios when `HCPOOL_GALERA` names that directory (`.ci/run` sets it); `galera-bench`
//! prints throughput and replication latency.
//!
//! The parts: [`Galera`] (the cluster, torn down when dropped), [`Web`] (an hcpool-web
//! instance in process, wired from a configuration like the binary), [`Client`] (HTTP with
//! retries that count what they saw), and [`voting_node`] (one stakepoold in process, its
//! database settings naming cluster nodes).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use hcpool_core::backend::{Email, Mailer};
use hcpool_core::service::PoolService;
use hcpool_simnet::{Role, SimCluster};
use hcpool_web::config::Config;
use hcpool_web::demo::{LocalStakepoold, SimDaemonParts};

/// The directory holding `galera.sh`: `HCPOOL_GALERA`, checked, with the packages it needs;
/// `Err` is the reason to print after `skipped:`.
pub fn galera_dir() -> std::result::Result<PathBuf, String> {
    let dir = match std::env::var("HCPOOL_GALERA") {
        Ok(d) if !d.is_empty() => PathBuf::from(d),
        _ => {
            return Err(
                "HCPOOL_GALERA unset (.ci/run sets it when ../shared/galera/galera.sh exists)"
                    .into(),
            )
        }
    };
    if !dir.join("galera.sh").is_file() {
        return Err(format!("{} has no galera.sh", dir.display()));
    }
    if !Path::new("/usr/sbin/mariadbd").exists() {
        return Err("MariaDB server (mariadbd) is not installed".into());
    }
    let provider = [
        "/usr/lib/galera/libgalera_smm.so",
        "/usr/lib/libgalera_smm.so",
    ];
    if !provider.iter().any(|p| Path::new(p).exists()) {
        return Err("the galera-4 package (libgalera_smm.so) is not installed".into());
    }
    if Command::new("rsync").arg("--version").output().is_err() {
        return Err("rsync (the state transfer) is not installed".into());
    }
    Ok(dir)
}

/// The SQL port base: `GALERA_BASE_PORT` or `default` (nodes on BASE+1…).
pub fn base_port(default: u16) -> u16 {
    std::env::var("GALERA_BASE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

/// A Galera cluster started by `galera.sh`; every node is stopped when this is dropped.
#[derive(Debug)]
pub struct Galera {
    script: PathBuf,
    work: PathBuf,
    base: u16,
    nodes: usize,
    up: bool,
}

impl Galera {
    /// Starts `nodes` nodes (fresh data dirs under `work`) and waits until each is ready.
    ///
    /// # Errors
    /// The script failed or took more than 150 s; its output is in the error.
    pub fn start(dir: &Path, work: &Path, base: u16, nodes: usize) -> Result<Galera> {
        let mut g = Galera {
            script: dir.join("galera.sh"),
            work: work.to_path_buf(),
            base,
            nodes,
            up: true,
        };
        // A cluster left by an earlier run that was killed: stop it first.
        let _ = g.run(&["down"], 60);
        g.up = true;
        g.run(&["start", &nodes.to_string()], 150)?;
        Ok(g)
    }

    fn run(&self, args: &[&str], limit_secs: u32) -> Result<String> {
        let out = Command::new("timeout")
            .arg(limit_secs.to_string())
            .arg(&self.script)
            .args(args)
            .env("GALERA_WORK", &self.work)
            .env("GALERA_BASE_PORT", self.base.to_string())
            .output()
            .with_context(|| format!("running {} {args:?}", self.script.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            bail!("galera.sh {args:?} failed ({}): {text}", out.status);
        }
        Ok(text)
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// `127.0.0.1:port` of node `i` (1-based, as galera.sh numbers them).
    pub fn host(&self, i: usize) -> String {
        format!("127.0.0.1:{}", usize::from(self.base) + i)
    }

    /// A store URL naming nodes `order` (preferred first), database `db`, user root.
    pub fn url(&self, order: &[usize], db: &str) -> String {
        let hosts: Vec<String> = order.iter().map(|i| self.host(*i)).collect();
        format!("mysql://root@{}/{db}", hosts.join(","))
    }

    /// The single-host URL of node `i`.
    pub fn node_url(&self, i: usize, db: &str) -> String {
        self.url(&[i], db)
    }

    /// Crashes node `i` (SIGKILL).
    ///
    /// # Errors
    /// The script failed.
    pub fn kill(&self, i: usize) -> Result<()> {
        self.run(&["kill", &i.to_string()], 30).map(drop)
    }

    /// Restarts node `i` empty; returns once it has its state transfer and is ready.
    ///
    /// # Errors
    /// The script failed or took more than 120 s.
    pub fn rejoin(&self, i: usize) -> Result<()> {
        self.run(&["rejoin", &i.to_string()], 120).map(drop)
    }

    /// `galera.sh status`.
    ///
    /// # Errors
    /// The script failed.
    pub fn status(&self) -> Result<String> {
        self.run(&["status"], 30)
    }

    /// Stops every node (also done on drop).
    pub fn down(&mut self) {
        if self.up {
            if let Err(e) = self.run(&["down"], 90) {
                tracing::warn!(error = %e, "galera.sh down failed");
            }
            self.up = false;
        }
    }
}

impl Drop for Galera {
    fn drop(&mut self) {
        self.down();
    }
}

/// Creates database `db` through node `i` (Galera replicates the DDL).
///
/// # Errors
/// The node did not answer.
pub async fn create_database(g: &Galera, i: usize, db: &str) -> Result<()> {
    let admin = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&format!("mysql://root@{}/", g.host(i)))
        .await?;
    sqlx::query(&format!(
        "CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4"
    ))
    .execute(&admin)
    .await?;
    admin.close().await;
    // The other nodes apply the DDL in the same order, but not necessarily before a client
    // connects to them naming the database (seen once under load: "Unknown database" on
    // node 2): wait until every reachable node has it.
    for j in (1..=g.nodes()).filter(|&j| j != i) {
        wait_for_database(g, j, db).await?;
    }
    Ok(())
}

/// Waits (up to 30 s) until node `i` has database `db`; a node that cannot be reached at all
/// is skipped (a suite may have stopped it).
async fn wait_for_database(g: &Galera, i: usize, db: &str) -> Result<()> {
    let Ok(admin) = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&format!("mysql://root@{}/", g.host(i)))
        .await
    else {
        return Ok(());
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        )
        .bind(db)
        .fetch_optional(&admin)
        .await?;
        if found.is_some() {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "database {db} did not reach node {i} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin.close().await;
    Ok(())
}

/// Keeps every mail (verification links of sign-ups).
#[derive(Debug, Default)]
pub struct Capture(pub Mutex<Vec<Email>>);

#[async_trait::async_trait]
impl Mailer for Capture {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(email.clone());
        Ok(())
    }
}

/// An hcpool-web instance in process on 127.0.0.1 (ephemeral port).
pub struct Web {
    /// `http://127.0.0.1:port`.
    pub origin: String,
    /// The instance's pool service (admin actions such as low-fee additions).
    pub pool: PoolService,
    /// The instance's configuration.
    pub cfg: Config,
    shutdown: rocket::Shutdown,
    server: tokio::task::JoinHandle<()>,
}

impl Web {
    /// Wires an instance from configuration `text` (as the binary does) and serves it.
    ///
    /// # Errors
    /// Wiring or launching failed.
    pub async fn start(text: &str, base: &Path) -> Result<Web> {
        let cfg = Config::from_ini(text)?;
        let mut wired = hcpool_web::wiring::build(&cfg, base).await?;
        wired.state.mailer = Arc::new(Capture::default());
        let pool = wired.state.pool.clone();
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let port_tx = Mutex::new(Some(port_tx));
        let push = hcpool_web::nodes::push_on_liftoff(pool.clone());
        let rocket = hcpool_web::rocket(wired.state, hcpool_web::figment([127, 0, 0, 1].into(), 0))
            .attach(push)
            .attach(hcpool_web::outbox::on_liftoff())
            .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
                let port = r.config().port;
                Box::pin(async move {
                    let tx = port_tx
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take();
                    if let Some(tx) = tx {
                        let _ = tx.send(port);
                    }
                })
            }));
        let ignited = rocket.ignite().await?;
        let shutdown = ignited.shutdown();
        let server = tokio::spawn(async move {
            if let Err(e) = ignited.launch().await {
                tracing::warn!(error = %e, "web instance stopped");
            }
        });
        let port = tokio::time::timeout(Duration::from_secs(30), port_rx)
            .await
            .context("the web instance did not start in 30 s")??;
        Ok(Web {
            origin: format!("http://127.0.0.1:{port}"),
            pool,
            cfg,
            shutdown,
            server,
        })
    }

    /// Stops serving.
    pub async fn stop(self) {
        self.shutdown.notify();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
    }
}

/// One stakepoold in process on simulated wallet `wallet`, its database the cluster nodes
/// `dbhost` (a comma-separated `dbhost` list, as in stakepoold.conf).
///
/// # Errors
/// Connecting or starting failed.
pub async fn voting_node(
    cluster: &SimCluster,
    wallet: usize,
    dbhost: &str,
    db: &str,
    dir: &Path,
) -> Result<LocalStakepoold> {
    let sim = cluster.config();
    let client = |role: Role| {
        cluster
            .client_config(role)
            .ok_or_else(|| anyhow!("simulated cluster has no {}", role.name()))
    };
    cluster.with_wallet(wallet, |w| w.voting = false);
    let url = hcpool_db::mysql_url_from_legacy(dbhost, "3306", db, "root", "");
    let store = hcpool_db::connect(&url).await?;
    let (deps, notifications) = stakepoold::run::connect(stakepoold::run::Links {
        wallet: client(Role::Wallet(wallet))?,
        node: client(Role::Node(0))?,
        cold_wallet_ext_pub: sim.cold_xpub.clone(),
        fee_addresses: sim.fee_addresses,
        pool_fees: hcpool_core::PoolFeeRate::from_percent(sim.pool_fees)
            .map_err(|e| anyhow!("poolfees: {e}"))?,
        network: sim.network,
        store: Some(store),
        allow_wallet_voting: false,
    })
    .await?;
    Ok(LocalStakepoold::start(
        SimDaemonParts {
            deps,
            notifications,
        },
        dir,
    )
    .await?)
}

/// What a [`Client`] saw: answers by class, and retries.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// 2xx answers.
    pub ok: u64,
    /// 4xx answers.
    pub client_errors: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Requests that got no answer (connection refused or reset, timeout).
    pub no_answer: u64,
    /// Requests sent again.
    pub retries: u64,
}

/// An HTTP client of one instance that counts what it saw.
#[derive(Clone)]
pub struct Client {
    /// The instance's origin.
    pub origin: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Seen>>,
}

impl Client {
    /// A client with its own cookie jar.
    ///
    /// # Errors
    /// The HTTP client could not be built.
    pub fn new(origin: &str) -> Result<Client> {
        Ok(Client {
            origin: origin.to_owned(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(30))
                .build()?,
            seen: Arc::new(Mutex::new(Seen::default())),
        })
    }

    /// Counts so far.
    pub fn seen(&self) -> Seen {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn count(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    /// One request; `None` when nothing answered.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Option<(u16, String)> {
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                self.count(|s| match status {
                    200..=399 => s.ok += 1,
                    400..=499 => s.client_errors += 1,
                    _ => s.server_errors += 1,
                });
                Some((status, body))
            }
            Err(_) => {
                self.count(|s| s.no_answer += 1);
                None
            }
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        self.send(self.http.get(format!("{}{path}", self.origin)))
            .await
    }

    /// A form POST with the CSRF token of `form_page`.
    pub async fn post_form(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Option<(u16, String)> {
        let (_, page) = self.get(form_page).await?;
        let marker = "name=\"csrf_token\" value=\"";
        let start = page.find(marker)? + marker.len();
        let end = page[start..].find('"')? + start;
        let csrf = page[start..end].to_owned();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        self.send(self.http.post(format!("{}{path}", self.origin)).form(&form))
            .await
    }

    /// An API call (POST form, bearer token) repeated until it succeeds or `accept` says its
    /// failure is final, for at most `limit`. Returns the last API message and whether the
    /// API said "success".
    pub async fn api_until(
        &self,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
        limit: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<(bool, String)> {
        let deadline = Instant::now() + limit;
        let mut first = true;
        loop {
            if !first {
                self.count(|s| s.retries += 1);
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            first = false;
            let req = self
                .http
                .post(format!("{}{path}", self.origin))
                .bearer_auth(token)
                .form(form);
            if let Some((status, body)) = self.send(req).await {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let message = v["message"].as_str().unwrap_or_default().to_owned();
                if status < 500 && v["status"] == "success" {
                    return Ok((true, message));
                }
                if status < 500 && accept(&message) {
                    return Ok((false, message));
                }
            }
            if Instant::now() > deadline {
                bail!("{path} did not succeed within {limit:?}");
            }
        }
    }
}

/// Polls `f` every 200 ms until it gives `Some`, for at most `limit`.
///
/// # Errors
/// Timed out (naming `what`).
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(x) = f().await {
            return Ok(x);
        }
        if Instant::now() > deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

//! Building a running pool from a configuration: the store from the URL, one JSON-RPC client
//! per wallet behind the [`WalletManager`], the pool keys, the service, the mailer, and the
//! start-up steps hcstakepool performs (vote version agreement, votebits reset, wallet sync).
//! `--demo` runs the same path against an in-process simulated wallet cluster (cargo feature
//! `demo`; without it [`run_demo`] refuses with [`crate::demo::DEMO_MISSING`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::{Mailer, SystemClock, WalletBackend};
#[cfg(feature = "demo")]
use hcpool_core::config::parse_ini;
use hcpool_core::config::PoolConfig;
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{PoolKeys, Secret};
use hcpool_rpc::{
    ClientConfig, JsonRpcWallet, ManagerConfig, PinnedCert, Reconnect, WalletManager,
};
#[cfg(feature = "demo")]
use hcpool_simnet::{SimCluster, SimConfig};

use crate::config::{Config, WebConfig, WebSettings};
#[cfg(feature = "demo")]
use crate::demo::LocalStakepoold;
use crate::error::WebError;
use crate::exit::Stage;
use crate::mail::{LogMailer, SmtpMailer, SmtpSettings};
use crate::state::AppState;

/// A wired pool: the web state plus the parts that must live as long as it.
pub struct Wired {
    /// The web application state.
    pub state: AppState,
    /// The wallet manager (its status feeds the admin page; it re-checks in the background).
    pub manager: Arc<WalletManager>,
    /// In-process stakepoold daemons (the demo's; empty otherwise).
    #[cfg(feature = "demo")]
    pub local_nodes: Vec<LocalStakepoold>,
}

#[cfg(feature = "demo")]
fn startup(what: &str, e: impl std::fmt::Display) -> WebError {
    WebError::Config(format!("{what}: {e}"))
}

/// A failure of start-up step `stage` (it picks the exit code, [`crate::exit`]).
fn failed(stage: Stage, what: &str) -> impl FnOnce(WebError) -> WebError + '_ {
    move |e| match e {
        WebError::Startup { .. } => e,
        WebError::Config(m) => WebError::startup(stage, what, m),
        other => WebError::startup(stage, what, other),
    }
}

/// The store URL of a configuration: `dburl`, else hcstakepool's MySQL keys.
pub fn db_url(cfg: &PoolConfig) -> Secret<String> {
    let db = &cfg.db;
    match &db.url {
        Some(u) => u.clone(),
        None => Secret::new(hcpool_db::mysql_url_from_legacy(
            &db.host,
            &db.port.to_string(),
            &db.name,
            &db.user,
            db.password.expose(),
        )),
    }
}

/// Connects everything `cfg` names and runs the start-up steps: every wallet's network and
/// API versions are checked ([`hcpool_rpc::check::check_wallet`]; kept in the manager's
/// status), the vote versions must agree, stored votebits are reset, the wallets synced,
/// verified users without an API token get one (hcstakepool's migration step 6).
/// Nothing is pushed to the voting nodes yet: they start stale, and [`crate::serve`] (or
/// [`crate::nodes::push_on_liftoff`]) pushes once the listener is bound.
///
/// # Errors
/// [`WebError::Config`] naming the part that failed (store, wallet host, keys, sync).
pub async fn build(config: &Config, cert_base: &Path) -> Result<Wired, WebError> {
    let cfg = &config.pool;
    // Before anything connects: a pool that cannot mail is refused at once.
    let mailer = mailer(&config.web, cert_base)?;
    let url = db_url(cfg);
    let sql = hcpool_db::SqlStore::connect(url.expose())
        .await
        .map_err(|e| WebError::startup(Stage::Database, "database", e))?;
    let backup_store = sql.clone();
    let store: Arc<dyn hcpool_core::Store> = Arc::new(sql);
    let keys = Arc::new(
        PoolKeys::from_strings(
            &cfg.voting_wallet_ext_pub,
            &cfg.cold_wallet_ext_pub,
            cfg.network,
        )
        .map_err(|e| WebError::startup(Stage::Wallets, "votingwalletextpub/coldwalletextpub", e))?
        .with_max_users(cfg.max_users),
    );
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    let mut checks = Vec::new();
    let metrics = Arc::new(crate::metrics::WebMetrics::default());
    for endpoint in &cfg.wallets {
        let host = &endpoint.host;
        let cert = Path::new(&endpoint.cert);
        let cert = if cert.is_absolute() {
            cert.to_path_buf()
        } else {
            cert_base.join(cert)
        };
        let mut client = ClientConfig::new(
            host.clone(),
            endpoint.user.clone(),
            endpoint.password.clone(),
            PinnedCert::File(cert),
        );
        client.reconnect = Reconnect::FAIL_FAST;
        let wallet = JsonRpcWallet::connect(client)
            .await
            .map_err(|e| WebError::startup(Stage::Wallets, &format!("wallethost {host}"), e))?;
        // A wallet on another network is refused; untested API versions are logged.
        let checked = hcpool_rpc::check::check_wallet(&wallet, cfg.network)
            .await
            .map_err(|e| WebError::startup(Stage::Wallets, &format!("wallethost {host}"), e))?;
        checks.push(checked);
        wallets.push(Arc::new(crate::metrics::MeteredWallet::new(
            Arc::new(wallet),
            metrics.clone(),
        )));
    }
    let manager = Arc::new(WalletManager::new(
        wallets,
        ManagerConfig {
            min_servers: cfg.min_servers,
            // Every user's ticket address (uid < maxusers) must be `ismine` everywhere.
            sync_address_index: u32::try_from(cfg.max_users).unwrap_or(u32::MAX),
            resync_interval: Duration::from_secs(cfg.wallet_resync_secs),
            ..ManagerConfig::default()
        },
    ));
    // The catch-up repairs registrations made through any instance sharing the store.
    manager.set_script_source(store.clone());
    for (i, checked) in checks.iter().enumerate() {
        manager.record_check(i, checked);
    }
    let vote_version = manager
        .check_vote_version()
        .await
        .map_err(|e| WebError::startup(Stage::Wallets, "wallet vote version", e))?;
    let nodes = crate::nodes::connect(cfg, cert_base)
        .await
        .map_err(failed(Stage::Stakepoold, "stakepoold"))?;
    let pool = PoolService::new(PoolParts {
        network: cfg.network,
        keys,
        pool_fees: cfg.pool_fees,
        store: store.clone(),
        wallets: manager.clone(),
        nodes: Arc::new(VotingNodes::new(nodes)),
        clock: Arc::new(SystemClock),
    });
    // The voting page's fallback while the wallets do not answer.
    pool.note_vote_version(vote_version);
    // The store only: the voting nodes get everything once the listener is bound
    // ([`crate::serve`]), so an instance that cannot bind its port pushes nothing.
    let reset = pool
        .reset_vote_bits(vote_version)
        .await
        .map_err(|e| WebError::startup(Stage::Database, "votebits reset", e))?;
    for h in crate::nodes::health(pool.nodes(), crate::nodes::HEALTH_TIMEOUT).await {
        tracing::info!(
            node = %h.label, ok = h.ok, current = h.current, live = h.live,
            ignored = h.ignored, added = h.added, error = %h.error, "stakepoold"
        );
    }
    let scripts = store
        .multisig_scripts()
        .await
        .map_err(|e| WebError::startup(Stage::Database, "database", e))?;
    let report = manager
        .sync(&scripts)
        .await
        .map_err(|e| WebError::startup(Stage::WalletSync, "wallet sync", e))?;
    tracing::info!(
        vote_version,
        votebits_reset = reset,
        scripts_imported = report.scripts_imported.len(),
        "pool ready"
    );
    // Re-checks (and probes of a wallet that is down) every 30 s, or every
    // `walletresyncinterval` when that is shorter, so the catch-up runs on time.
    let resync = Duration::from_secs(cfg.wallet_resync_secs);
    let every = match Duration::from_secs(30) {
        d if !resync.is_zero() && resync < d => resync,
        d => d,
    };
    let recheck = manager.spawn_recheck(every);

    let mut state = AppState::build(pool, WebSettings::from_config(config), mailer)
        .map_err(|e| match e {
            e @ WebError::Template { .. } => e,
            other => failed(Stage::Config, "web app")(other),
        })?
        .with_manager(manager.clone())
        .with_metrics(metrics);
    if !config.web.vote_record_key.trim().is_empty() {
        let path = Path::new(config.web.vote_record_key.trim());
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            cert_base.join(path)
        };
        let key = crate::voterecords::load_or_generate(&path)?;
        tracing::info!(pubkey = %key.public(), "vote records are signed with this key");
        state = state.with_vote_record_key(key);
    }
    // hcstakepool's start-up step 6: verified users without an API token get one. Only
    // logged when it fails (as the original): such users still get one on the settings page.
    match state.accounts.backfill_api_tokens().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            tokens = n,
            "issued API tokens to verified users without one"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "API token backfill failed; users without a token get one on the settings page"
        ),
    }
    state.background.adopt("wallet re-check", recheck);
    if let Some(b) = crate::backup::spawn(backup_store, &cfg.db, url.expose()) {
        state.background.adopt("database backups", b);
    }
    Ok(Wired {
        state,
        manager,
        #[cfg(feature = "demo")]
        local_nodes: Vec::new(),
    })
}

/// The mailer `cfg` asks for: SMTP through `smtphost`; with `smtphost` empty, only when
/// `nosmtp=1` allows it, mail to the log with the links' tokens redacted.
///
/// # Errors
/// [`WebError::Config`] when `smtphost` is empty without `nosmtp=1`, or the `smtp*` keys are
/// bad.
pub fn mailer(cfg: &WebConfig, cert_base: &Path) -> Result<Arc<dyn Mailer>, WebError> {
    if cfg.smtp_host.trim().is_empty() {
        if !cfg.no_smtp {
            return Err(WebError::Config(
                "smtphost is not set: sign-up verification and password reset mail cannot go \
                 out. Set smtphost (and smtpfrom), or nosmtp=1 to run without mail (mails are \
                 then logged with their links redacted)"
                    .into(),
            ));
        }
        tracing::warn!(
            "nosmtp=1: no mail goes out; mails are logged with their links redacted, so \
             nobody can verify an address or reset a password by mail"
        );
        return Ok(Arc::new(LogMailer::redacting()));
    }
    Ok(Arc::new(SmtpMailer::new(&SmtpSettings {
        host: cfg.smtp_host.clone(),
        username: cfg.smtp_username.clone(),
        password: cfg.smtp_password.clone(),
        from: cfg.smtp_from.clone(),
        ca_file: (!cfg.smtp_cert.trim().is_empty()).then(|| {
            let p = Path::new(cfg.smtp_cert.trim());
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                cert_base.join(p)
            }
        }),
        tls: cfg.smtp_tls.parse()?,
    })?))
}

/// A demo pool: a simulated wallet cluster on loopback (certificates in `datadir`), two
/// in-process stakepoold daemons on it (one per voting wallet, gRPC on loopback, their
/// certificates in `datadir/stakepoold<i>`) wired as the pool's nodes, an SQLite store in
/// `datadir`, mail (with its links) to the log, and the status page's "mine a block"
/// control. Returns the wired pool and the cluster ([`SimCluster::mine_every`] advances it).
///
/// # Errors
/// [`WebError::Config`] when the cluster, a daemon or the store cannot start.
#[cfg(feature = "demo")]
pub async fn demo(datadir: &Path, listen: &str) -> Result<(Wired, Arc<SimCluster>), WebError> {
    std::fs::create_dir_all(datadir).map_err(|e| startup("datadir", e))?;
    let sim = SimConfig {
        cert_dir: Some(datadir.join("simnet-certs")),
        ..SimConfig::default()
    };
    let cluster = Arc::new(
        SimCluster::start(sim)
            .await
            .map_err(|e| startup("simulated wallets", e))?,
    );
    // The in-process nodes require the web app's client certificate (mutual TLS), as a
    // production stakepoold with clientcafile does.
    let (client_cert, client_key) = (
        datadir.join("stakepoold-client.cert"),
        datadir.join("stakepoold-client.key"),
    );
    hcpool_rpc::pinned_tls::load_or_generate_client(&client_cert, &client_key, "hcpool-web")
        .map_err(|e| startup("stakepoold client certificate", e))?;
    let mut nodes = Vec::new();
    for i in 0..cluster.wallets().len() {
        let dir = datadir.join(format!("stakepoold{i}"));
        nodes.push(
            LocalStakepoold::on_cluster_with_client_ca(&cluster, i, &dir, Some(&client_cert))
                .await?,
        );
    }
    let db = datadir.join("hcpool.db");
    let secret = |n: &str| format!("demo-{n}-{}", std::process::id());
    let text = format!(
        "{fragment}{nodes}\napisecret={api}\ncookiesecret={cookie}\ndburl={db}\n\
         listen={listen}\nbaseurl=http://{listen}\nadminips=127.0.0.1\nadminuserids=1\nnosmtp=1\n\
         stakepooldclientcert={client_cert}\nstakepooldclientkey={client_key}\n",
        fragment = cluster.conf_fragment(),
        nodes = crate::demo::conf_fragment(&nodes),
        client_cert = client_cert.display(),
        client_key = client_key.display(),
        api = secret("api"),
        cookie = secret("cookie"),
        db = hcpool_db::sqlite_url_for_path(&db),
    );
    let mut src = crate::config::sources();
    src.layer(parse_ini(&text).map_err(|e| startup("demo config", e))?)
        .map_err(|e| startup("demo config", e))?;
    let cfg = Config::from_sources(&src).map_err(|e| startup("demo config", e))?;
    let mut wired = build(&cfg, datadir).await?;
    // The demo's visitor gets the links from the log.
    wired.state.mailer = Arc::new(LogMailer::full());
    wired.state = wired.state.with_demo_chain(cluster.clone());
    wired.local_nodes = nodes;
    Ok((wired, cluster))
}

/// Runs the demo until the server stops, mining a simulated block every `block_interval`.
///
/// # Errors
/// Start-up failures, or the server's.
#[cfg(feature = "demo")]
pub async fn run_demo(
    datadir: &Path,
    listen: &str,
    block_interval: Duration,
) -> Result<(), WebError> {
    let (wired, cluster) = demo(datadir, listen).await?;
    tracing::info!(
        url = %format!("http://{listen}/"),
        datadir = %datadir.display(),
        "demo pool ready: sign up, then follow the verification link printed in this log"
    );
    tokio::select! {
        r = crate::serve(wired.state, listen) => r,
        () = cluster.mine_every(block_interval) => Ok(()),
    }
}

/// Without the `demo` feature: refuses, saying the binary was built without the demo.
///
/// # Errors
/// Always [`WebError::Config`] with [`crate::demo::DEMO_MISSING`].
#[cfg(not(feature = "demo"))]
pub async fn run_demo(
    _datadir: &Path,
    _listen: &str,
    _block_interval: Duration,
) -> Result<(), WebError> {
    Err(WebError::Config(crate::demo::DEMO_MISSING.into()))
}

/// Runs a configured pool until the server stops.
///
/// # Errors
/// Start-up failures, or the server's.
pub async fn run(cfg: &Config, cert_base: &Path) -> Result<(), WebError> {
    let wired = build(cfg, cert_base).await?;
    let public = crate::custom::PublicDir::from_config(&cfg.web);
    crate::serve_with(wired.state, &cfg.web.listen, public).await
}

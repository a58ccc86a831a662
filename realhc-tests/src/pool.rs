//! hcpool on the real chain through its own library entry points: the store, two in-process
//! stakepoold daemons (`stakepoold::run::connect`, then `stakepoold::InProcess`: the start-up scan,
//! gRPC over TLS and the daemon's own notification loop) on the two voting wallets, and the web app
//! (`hcpool_web::wiring::build`, served on loopback) reaching them over gRPC/TLS.
//!
//! Each daemon's link to hcd goes through a [`Relay`]: it records when hcd accepted each vote
//! (for the latency figures) and can drop the votes of one chosen winner ([`Suppress`]), the
//! reliable way to make the pool miss a ticket.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use async_trait::async_trait;
use futures::StreamExt;
use hcpool_core::backend::{
    BestBlock, ChainNode, ChainNotification, Email, Mailer, NewUser, Registration, Store,
};
use hcpool_core::tx::Transaction;
use hcpool_core::util::lock;
use hcpool_core::{
    Address, PoolFeeRate, RedeemScript, Secret, TicketHash, TxHash, UserId, VoteBits,
};
use hcpool_rpc::{ClientConfig, Reconnect};
use stakepoold::{Daemon, InProcess, Listen, ServeOptions};

use crate::chain::vote_of;
use crate::simnet::SimEnv;

/// When a daemon got each `winningtickets` and when hcd accepted each of its votes.
#[derive(Debug, Default)]
pub struct Probe {
    winning: Mutex<HashMap<u32, Instant>>,
    accepted: Mutex<Vec<(u32, TicketHash, Instant)>>,
}

impl Probe {
    fn winning_at(&self, height: u32) {
        lock(&self.winning)
            .entry(height)
            .or_insert_with(Instant::now);
    }

    /// `winningtickets` received → vote accepted by hcd, for every vote hcd accepted.
    pub fn latencies(&self) -> Vec<Duration> {
        self.latencies_since(0)
    }

    /// [`Probe::latencies`] of the votes accepted after the first `from`.
    pub fn latencies_since(&self, from: usize) -> Vec<Duration> {
        let w = lock(&self.winning);
        lock(&self.accepted)
            .iter()
            .skip(from)
            .filter_map(|(h, _, at)| w.get(h).map(|t| at.saturating_duration_since(*t)))
            .collect()
    }

    /// Votes hcd accepted from this daemon.
    pub fn accepted(&self) -> Vec<(u32, TicketHash)> {
        lock(&self.accepted)
            .iter()
            .map(|(h, t, _)| (*h, *t))
            .collect()
    }
}

/// Drops every vote of one winner out of an armed set: the first vote of one of them a
/// daemon hands over picks the ticket, and both daemons' votes for it are then dropped
/// (answered with the vote's hash, as if relayed). hcd never sees a vote for it: the ticket
/// is missed. (The set keeps the snapshot's oldest tickets out: bought at 0.0002 HC, they
/// cannot pay a revocation's relay fee.)
#[derive(Debug, Default)]
pub struct Suppress(Mutex<Armed>);

/// The armed set, and the ticket picked with the height it was drawn at.
type Armed = (HashSet<TicketHash>, Option<(u32, TicketHash)>);

impl Suppress {
    /// Drop the votes of the first of `tickets` that wins.
    pub fn arm(&self, tickets: impl IntoIterator<Item = TicketHash>) {
        let mut s = lock(&self.0);
        if s.1.is_none() {
            s.0 = tickets.into_iter().collect();
        }
    }

    /// The dropped ticket and the height voted on, once one was picked.
    pub fn chosen(&self) -> Option<(u32, TicketHash)> {
        lock(&self.0).1
    }

    /// Stop dropping anything new (the chosen ticket stays dropped).
    pub fn disarm(&self) {
        lock(&self.0).0.clear();
    }

    fn drops(&self, voted_height: u32, ticket: &TicketHash) -> bool {
        let mut s = lock(&self.0);
        if let Some((_, t)) = s.1 {
            return t == *ticket;
        }
        if s.0.contains(ticket) {
            s.1 = Some((voted_height, *ticket));
            s.0.clear();
            return true;
        }
        false
    }
}

/// A daemon's link to hcd, watched (see the module docs).
pub struct Relay {
    inner: Arc<dyn ChainNode>,
    probe: Arc<Probe>,
    suppress: Arc<Suppress>,
}

#[async_trait]
impl ChainNode for Relay {
    fn label(&self) -> String {
        self.inner.label()
    }

    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.inner.best_block().await
    }

    async fn send_raw_transaction(&self, tx: &[u8]) -> hcpool_core::Result<TxHash> {
        let vote = Transaction::decode(tx).ok().and_then(|t| vote_of(&t));
        if let Some(v) = vote {
            if self.suppress.drops(v.voted_height, &v.ticket) {
                return Ok(v.tx);
            }
        }
        let r = self.inner.send_raw_transaction(tx).await;
        if let (Some(v), Ok(_)) = (vote, &r) {
            lock(&self.probe.accepted).push((v.voted_height, v.ticket, Instant::now()));
        }
        r
    }
}

/// What a daemon is started from.
#[derive(Clone)]
pub struct NodeSpec {
    /// Its voting wallet.
    pub wallet: ClientConfig,
    /// hcd.
    pub hcd: ClientConfig,
    /// `coldwalletextpub`.
    pub cold_xpub: String,
    /// `poolfees` (the wallets' own, env.sh's POOLFEES).
    pub pool_fees: PoolFeeRate,
    /// The pool's store (users and added low-fee tickets at start).
    pub store: Arc<dyn Store>,
    /// Certificate dir.
    pub dir: PathBuf,
    /// gRPC listen address (`127.0.0.1:0` the first time, the same port on a restart).
    pub listen: String,
    /// Shared with the other daemon.
    pub suppress: Arc<Suppress>,
}

/// stakepoold's links for `spec` (what its binary builds from `stakepoold.conf`).
pub fn links(spec: &NodeSpec, store: Option<Arc<dyn Store>>) -> stakepoold::run::Links {
    stakepoold::run::Links {
        wallet: suite_reconnect(spec.wallet.clone()),
        node: suite_reconnect(spec.hcd.clone()),
        cold_wallet_ext_pub: spec.cold_xpub.clone(),
        fee_addresses: stakepoold::run::FEE_ADDRESSES,
        pool_fees: spec.pool_fees,
        network: hcpool_core::Network::Simnet,
        store,
        allow_wallet_voting: false,
    }
}

/// Quicker redials than hcrpcclient's 5 s × attempt (up to 60 s), so restarts of hcd or a
/// wallet cost the suite seconds, not minutes; otherwise stakepoold's own policy (calls
/// queued while the link is down).
pub fn suite_reconnect(mut c: ClientConfig) -> ClientConfig {
    c.reconnect = Reconnect::Backoff {
        base: Duration::from_secs(1),
        max: Duration::from_secs(5),
        queue_while_down: true,
    };
    c
}

/// A running in-process stakepoold.
pub struct Node {
    /// gRPC address.
    pub addr: SocketAddr,
    /// Its certificate.
    pub cert: PathBuf,
    /// The daemon.
    pub daemon: Arc<Daemon>,
    /// Its vote timings.
    pub probe: Arc<Probe>,
    /// From `connect` to the gRPC listener bound with the daemon started.
    pub started_in: Duration,
    node: InProcess,
}

impl Node {
    /// Connects, scans, serves gRPC and handles notifications until [`Node::stop`].
    ///
    /// # Errors
    /// Connecting, the start-up scan, the certificate or the listener failing.
    pub async fn start(spec: &NodeSpec) -> Result<Node> {
        let t0 = Instant::now();
        let (mut deps, notifications) =
            stakepoold::run::connect(links(spec, Some(spec.store.clone())))
                .await
                .context("stakepoold connect")?;
        let probe = Arc::new(Probe::default());
        deps.node = Arc::new(Relay {
            inner: deps.node.clone(),
            probe: probe.clone(),
            suppress: spec.suppress.clone(),
        });
        let p = probe.clone();
        let notifications = notifications.inspect(move |n| {
            if let ChainNotification::WinningTickets { height, .. } = n {
                p.winning_at(*height);
            }
        });
        std::fs::create_dir_all(&spec.dir).context("stakepoold dir")?;
        let listener = bind_retry(&spec.listen).await?;
        let node = InProcess::start(
            deps,
            notifications,
            ServeOptions {
                grpc: vec![Listen::Bound(listener)],
                ..ServeOptions::loopback(&spec.dir)
            },
        )
        .await
        .context("stakepoold start")?;
        let addr = node.addr().context("gRPC address")?;
        Ok(Node {
            addr,
            cert: node.cert_path().to_path_buf(),
            daemon: node.daemon().clone(),
            probe,
            started_in: t0.elapsed(),
            node,
        })
    }

    /// Stops serving and voting (bounded: 20 s, then the tasks are aborted).
    pub async fn stop(self) {
        self.node.shutdown(Duration::from_secs(20)).await;
    }
}

/// Set when a restarted daemon found its gRPC port still held by the stopped server.
pub static PORT_HELD_AFTER_STOP: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Binds `addr`, the port of a stopped daemon when restarting one. hcpool-rpc's
/// `tls_incoming` accept loop once kept its listener after the server stopped, until one
/// more connection came in; it now ends with the server. Should the port still be busy,
/// [`PORT_HELD_AFTER_STOP`] is set (the restart scenario fails on it) and one connection is
/// made so the rest of the run can go on.
async fn bind_retry(addr: &str) -> Result<tokio::net::TcpListener> {
    let mut last = None;
    for i in 0..50 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => {
                if i == 0 && e.kind() == std::io::ErrorKind::AddrInUse {
                    PORT_HELD_AFTER_STOP.store(true, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(%addr, "gRPC port still held after the server stopped; connecting once to release it");
                    let _ = tokio::net::TcpStream::connect(addr).await;
                }
                last = Some(e);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(anyhow!("bind {addr}: {last:?}"))
}

/// Inserts the snapshot's own pool user (env.sh's multisig, ~300 live tickets) through the
/// store, so the daemons vote its tickets too: after SVH every block needs 3 of its 5
/// winners voted, and without it most of them would go unvoted.
///
/// # Errors
/// Bad keys in env.sh, or the store refusing.
pub async fn insert_fixture_user(
    store: &Arc<dyn Store>,
    env: &SimEnv,
    vote_version: u32,
) -> Result<UserId> {
    let addr = |k: &str| -> Result<Address> {
        env.get(k)?
            .parse::<Address>()
            .map_err(|e| anyhow!("{k}: {e}"))
    };
    let id = store
        .create_user(&NewUser {
            email: "fixture-user@realhc.test".into(),
            password_hash: Secret::new("!".into()),
            email_token: Secret::new("fixture-user-token".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: vote_version,
        })
        .await?;
    let reg = Registration {
        multisig_address: addr("MULTISIG_ADDR")?,
        multisig_script: RedeemScript::from_hex(env.get("MULTISIG_SCRIPT")?)
            .map_err(|e| anyhow!("MULTISIG_SCRIPT: {e}"))?,
        pool_pubkey_addr: addr("POOL_PUBKEYADDR")?,
        user_pubkey_addr: addr("USER_PUBKEYADDR")?,
        user_fee_addr: addr("FEE_ADDR")?,
        height_registered: 1,
    };
    if !store.register_address(id, &reg).await? {
        bail!("the store did not register the fixture user's address");
    }
    Ok(id)
}

/// Every mail the web app sends.
#[derive(Debug, Default)]
pub struct Capture(Mutex<Vec<Email>>);

impl Capture {
    /// The last mail to `to`.
    pub fn last_to(&self, to: &str) -> Option<Email> {
        lock(&self.0).iter().rev().find(|m| m.to == to).cloned()
    }
}

#[async_trait]
impl Mailer for Capture {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        lock(&self.0).push(email.clone());
        Ok(())
    }
}

/// The web app, built like the binary from a configuration and served on loopback.
pub struct Web {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The mails it sent.
    pub mail: Arc<Capture>,
    /// From `wiring::build` to serving `/`.
    pub started_in: Duration,
    server: hcpool_web::spawned::Spawned,
}

/// The configuration text of the pool on this chain.
///
/// # Errors
/// env.sh lacks a key.
pub fn web_conf(env: &SimEnv, nodes: &[&Node], db_url: &str, admin: u64) -> Result<String> {
    let hosts: Vec<String> = nodes.iter().map(|n| n.addr.to_string()).collect();
    let certs: Vec<String> = nodes.iter().map(|n| n.cert.display().to_string()).collect();
    Ok(format!(
        "simnet=1\nwallethosts={},{}\nwalletusers={},{}\nwalletpasswords={},{}\n\
         walletcerts={},{}\nvotingwalletextpub={}\ncoldwalletextpub={}\npoolfees={}\n\
         enablestakepoold=1\nstakepooldhosts={}\nstakepooldcerts={}\n\
         apisecret=realhc-api\ncookiesecret=realhc-cookie\ndburl={db_url}\n\
         baseurl=http://pool.test\nadminips=127.0.0.1\nadminuserids={admin}\napiratelimit=0\n\
         nosmtp=1\n",
        env.get("VOTE1_RPC")?,
        env.get("VOTE2_RPC")?,
        env.get("VOTE1_USER")?,
        env.get("VOTE2_USER")?,
        env.get("VOTE1_PASS")?,
        env.get("VOTE2_PASS")?,
        env.get("VOTE1_CERT")?,
        env.get("VOTE2_CERT")?,
        env.get("VOTINGWALLETEXTPUB")?,
        env.get("COLDWALLETEXTPUB")?,
        env.get("POOLFEES")?,
        hosts.join(","),
        certs.join(","),
    ))
}

impl Web {
    /// Builds the pool from `conf` (`wiring::build`: store, wallets, nodes, start-up steps)
    /// and serves it on `127.0.0.1:port` (0: any).
    ///
    /// # Errors
    /// A bad configuration, a start-up step or the launch failing.
    pub async fn start(conf: &str, cert_base: &Path, port: u16) -> Result<Web> {
        let t0 = Instant::now();
        let cfg = hcpool_web::config::Config::from_ini(conf).map_err(|e| anyhow!("{e}"))?;
        let mut wired = hcpool_web::wiring::build(&cfg, cert_base)
            .await
            .context("wiring::build")?;
        let mail = Arc::new(Capture::default());
        wired.state.mailer = mail.clone();
        // As `hcpool_web::serve`: the push to stakepoold and the mail sender start once the
        // port is bound.
        let push = hcpool_web::nodes::push_on_liftoff(wired.state.pool.clone());
        let rocket = hcpool_web::rocket(
            wired.state,
            hcpool_web::figment([127, 0, 0, 1].into(), port),
        )
        .attach(push)
        .attach(hcpool_web::outbox::on_liftoff());
        let server = hcpool_web::spawned::spawn(rocket).await.context("launch")?;
        let origin = server.url();
        let r = reqwest::get(format!("{origin}/")).await.context("GET /")?;
        if !r.status().is_success() {
            bail!("GET / answered {}", r.status());
        }
        Ok(Web {
            origin,
            mail,
            started_in: t0.elapsed(),
            server,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// Stops serving (bounded).
    pub async fn stop(self) {
        let _ = self.server.stop(Duration::from_secs(10)).await;
    }
}

/// A browser: cookies, CSRF tokens from the form pages.
pub struct Browser {
    http: reqwest::Client,
    /// The server.
    pub origin: String,
}

impl Browser {
    /// A fresh browser (no cookies) on `origin`.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(origin: &str) -> Result<Browser> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(60))
                .build()?,
            origin: origin.to_owned(),
        })
    }

    /// `GET path`: status and body.
    ///
    /// # Errors
    /// The request failing.
    pub async fn get(&self, path: &str) -> Result<(u16, String)> {
        let r = self
            .http
            .get(format!("{}{path}", self.origin))
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        Ok((r.status().as_u16(), r.text().await?))
    }

    /// Posts a form with the CSRF token of `form_page` (redirects followed).
    ///
    /// # Errors
    /// The request failing or no CSRF token on the page.
    pub async fn post(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<(u16, String)> {
        let page = self.get(form_page).await?.1;
        let csrf = between(&page, "name=\"csrf_token\" value=\"", "\"")
            .with_context(|| format!("no CSRF token on {form_page}"))?
            .to_owned();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        let r = self
            .http
            .post(format!("{}{path}", self.origin))
            .form(&form)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        Ok((r.status().as_u16(), r.text().await?))
    }
}

/// The API as a client with a token would call it.
///
/// # Errors
/// The request failing or an answer that is not JSON.
pub async fn api(
    origin: &str,
    method: &str,
    cmd: &str,
    token: Option<&str>,
    form: &[(&str, &str)],
) -> Result<serde_json::Value> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("{origin}/api/v2/{cmd}");
    let mut req = if method == "POST" {
        http.post(url).form(form)
    } else {
        http.get(url)
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req
        .send()
        .await
        .with_context(|| format!("{method} /api/v2/{cmd}"))?;
    let status = r.status().as_u16();
    let mut v: serde_json::Value = r
        .json()
        .await
        .with_context(|| format!("{method} /api/v2/{cmd}: not JSON"))?;
    v["http_status"] = status.into();
    Ok(v)
}

/// The text between `start` and the next `end` in `s`.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let a = s.find(start)? + start.len();
    let b = s[a..].find(end)? + a;
    Some(&s[a..b])
}

//! The running app over real sockets: the demo pool (simulated wallets and hcd, two
//! in-process stakepoold daemons over gRPC/TLS, SQLite in a temp dir) served on 127.0.0.1:0,
//! a raw HTTP/1.1 client that sends any bytes, and a panic recorder.

#![allow(dead_code)] // Shared by the corpus and the fault tests.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hcpool_core::backend::NewUser;
use hcpool_core::{Secret, UserId, VoteBits};
use hcpool_simnet::SimCluster;
use hcpool_web::spawned::Spawned;
use hcpool_web::wiring::Wired;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest wait for one raw exchange.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(20);

/// Panics raised outside the test files (library code, server tasks) since the recorder
/// was installed: `file:line: message`.
static PANICS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();

/// Installs (once per process) a panic hook that records every panic whose location is
/// not in a `tests/` file, then calls the previous hook.
pub fn panics() -> Arc<Mutex<Vec<String>>> {
    PANICS
        .get_or_init(|| {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let record = Arc::clone(&seen);
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                if !at.contains("tests/") {
                    let msg = info
                        .payload()
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| info.payload().downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    if let Ok(mut v) = record.lock() {
                        v.push(format!("{at}: {msg}"));
                    }
                }
                previous(info);
            }));
            seen
        })
        .clone()
}

/// The demo pool serving on loopback, with a verified user (id 1, an admin from
/// 127.0.0.1) and that user's API token.
pub struct LivePool {
    pub server: Spawned,
    pub cluster: Arc<SimCluster>,
    pub wired_nodes: Vec<hcpool_web::demo::LocalStakepoold>,
    pub pool: hcpool_core::service::PoolService,
    pub api_secret: String,
    pub user: UserId,
    pub token: String,
    pub _dir: tempfile::TempDir,
}

pub const EMAIL: &str = "hostile@example.com";
pub const PASSWORD: &str = "hostile-password-1";

/// Starts the demo pool; `tune` adjusts the state before serving.
pub async fn start(tune: impl FnOnce(&mut hcpool_web::AppState)) -> LivePool {
    let _ = panics();
    let dir = tempfile::tempdir().unwrap();
    let (wired, cluster) = hcpool_web::wiring::demo(&dir.path().join("pool"), "127.0.0.1:0")
        .await
        .unwrap();
    let Wired {
        mut state,
        local_nodes,
        ..
    } = wired;
    tune(&mut state);
    let store = state.pool.store().clone();
    let user = store
        .create_user(&NewUser {
            email: EMAIL.into(),
            password_hash: hcpool_web::auth::hash_password(PASSWORD.into())
                .await
                .unwrap(),
            email_token: Secret::new("hostile-verify".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    assert_eq!(
        store.verify_email("hostile-verify").await.unwrap(),
        Some(user)
    );
    let api_secret = state.settings.api_secret.expose().clone();
    let token = hcpool_web::jwt::issue(
        api_secret.as_bytes(),
        &state.settings.base_url,
        user,
        state.now(),
    );
    store
        .set_api_token(user, &Secret::new(token.clone()))
        .await
        .unwrap();
    let pool = state.pool.clone();
    let server = hcpool_web::spawned::spawn(hcpool_web::rocket(
        state,
        hcpool_web::figment([127, 0, 0, 1].into(), 0),
    ))
    .await
    .unwrap();
    LivePool {
        server,
        cluster,
        wired_nodes: local_nodes,
        pool,
        api_secret,
        user,
        token,
        _dir: dir,
    }
}

/// One raw answer: status (0 when the server closed without answering), headers, body.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `name=value` of every `Set-Cookie`.
    pub fn cookies(&self) -> Vec<String> {
        self.head
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("set-cookie")
                    .then(|| v.trim().split(';').next().unwrap_or("").to_owned())
            })
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Sends `bytes` on a fresh connection and reads until the server closes it (requests
/// carry `Connection: close`). A reset before any answer is status 0.
pub async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Raw {
    let run = async {
        let mut s = tokio::net::TcpStream::connect(addr).await?;
        // The server may answer (413, 431) and close before reading everything.
        let _ = s.write_all(bytes).await;
        let _ = s.flush().await;
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        Ok::<_, std::io::Error>(out)
    };
    let out = tokio::time::timeout(EXCHANGE_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| panic!("no answer in {EXCHANGE_TIMEOUT:?} to {:?}", preview(bytes)))
        .unwrap_or_default();
    parse(&out)
}

fn parse(out: &[u8]) -> Raw {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let body = out.get(split + 4..).unwrap_or_default().to_vec();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Raw {
        status,
        head,
        body: if chunked { dechunk(&body) } else { body },
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&b[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(b.len());
        out.extend_from_slice(&b[start..end]);
        b = b.get(end + 2..).unwrap_or_default();
    }
    out
}

/// The first bytes of a request, for messages.
pub fn preview(bytes: &[u8]) -> String {
    let n = bytes.len().min(160);
    format!(
        "{}{}",
        String::from_utf8_lossy(&bytes[..n]),
        if bytes.len() > n { "…" } else { "" }
    )
}

/// A request: method, target, headers (Host and Connection: close added), body with its
/// Content-Length unless the headers name one.
pub fn request(method: &str, target: &[u8], headers: &[(&str, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(target);
    r.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    let mut has_len = false;
    for (k, v) in headers {
        has_len |=
            k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding");
        r.extend_from_slice(k.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(v);
        r.extend_from_slice(b"\r\n");
    }
    if !has_len && (!body.is_empty() || method == "POST" || method == "PUT") {
        r.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

/// A browser's signed-in session: the cookies to send and the session's CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The visitor CSRF cookie and token of `/signin` (no session).
pub async fn visitor(addr: std::net::SocketAddr) -> Session {
    let page = exchange(addr, &request("GET", b"/signin", &[], b"")).await;
    assert_eq!(page.status, 200, "{}", page.head);
    let csrf = super::common::csrf_in(&page.body_text()).expect("csrf on /signin");
    Session {
        cookie: page.cookies().join("; "),
        csrf,
    }
}

/// Signs in as [`EMAIL`] like a browser.
pub async fn sign_in(addr: std::net::SocketAddr) -> Session {
    let v = visitor(addr).await;
    let form = format!(
        "email={}&password={}&csrf_token={}",
        super::common::enc(EMAIL),
        super::common::enc(PASSWORD),
        v.csrf
    );
    let r = exchange(
        addr,
        &request(
            "POST",
            b"/signin",
            &[
                (
                    "Content-Type",
                    b"application/x-www-form-urlencoded".to_vec(),
                ),
                ("Cookie", v.cookie.clone().into_bytes()),
            ],
            form.as_bytes(),
        ),
    )
    .await;
    assert_eq!(r.status, 303, "sign-in: {}", r.head);
    let cookie = r
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("hcpool_session="))
        .expect("a session cookie");
    // The session's CSRF token is in its forms.
    let page = exchange(
        addr,
        &request(
            "GET",
            b"/settings",
            &[("Cookie", cookie.clone().into_bytes())],
            b"",
        ),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.head);
    let csrf = super::common::csrf_in(&page.body_text()).expect("csrf on /settings");
    Session { cookie, csrf }
}

/// The server still answers a normal request: `GET /api/v2/stats` is a success.
pub async fn assert_alive(addr: std::net::SocketAddr) {
    let r = exchange(addr, &request("GET", b"/api/v2/stats", &[], b"")).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert!(
        r.body_text().contains("\"status\":\"success\""),
        "{}",
        r.body_text()
    );
}

/// How [`start_custom`] wires the pool.
pub struct Custom {
    /// `minservers` (the demo's default is 2).
    pub min_servers: usize,
    /// In-process stakepoold daemons, one per voting wallet.
    pub nodes: bool,
    /// The store URL; SQLite in the temp dir when `None`.
    pub db_url: Option<String>,
    /// The voting nodes' stale-retry period (production: [`hcpool_web::nodes::RETRY_INTERVAL`]).
    pub retry_every: Duration,
    /// More `hcstakepool.conf` lines.
    pub extra_conf: String,
    /// How long a wallet sync check is reused (the app's default when `None`).
    pub sync_ttl: Option<Duration>,
    /// `walletresyncinterval` (seconds); the default (600) when `None`.
    pub wallet_resync_secs: Option<u64>,
}

impl Default for Custom {
    fn default() -> Self {
        Custom {
            min_servers: 2,
            nodes: false,
            db_url: None,
            retry_every: Duration::from_millis(200),
            extra_conf: String::new(),
            sync_ttl: None,
            wallet_resync_secs: None,
        }
    }
}

/// A pool wired from a configuration like the binary's (simulated wallets and hcd, optional
/// in-process stakepoold daemons over mutual TLS), served on loopback with the user of
/// [`EMAIL`] and its API token.
pub struct CustomPool {
    pub server: Spawned,
    pub cluster: Arc<SimCluster>,
    /// The daemons (a slot is `None` while that one is "killed").
    pub nodes: Vec<Option<hcpool_web::demo::LocalStakepoold>>,
    /// The web app reaches daemon `i` through `node_proxies[i]`.
    pub node_proxies: Vec<TcpProxy>,
    pub client_cert: std::path::PathBuf,
    pub manager: Arc<hcpool_rpc::WalletManager>,
    pub pool: hcpool_core::service::PoolService,
    pub user: UserId,
    pub token: String,
    retry: tokio::task::JoinHandle<()>,
    pub dir: tempfile::TempDir,
}

impl Drop for CustomPool {
    fn drop(&mut self) {
        self.retry.abort();
    }
}

impl CustomPool {
    /// The votebits daemon `i` holds for multisig address `msa` (`None` while it is
    /// "killed" or does not know the user).
    pub fn bits_on(&self, i: usize, msa: &str) -> Option<u16> {
        self.nodes[i]
            .as_ref()?
            .daemon()
            .user_voting_config(msa)
            .map(|u| u.vote_bits.0)
    }

    /// Where daemon `i` keeps its certificate.
    pub fn node_dir(&self, i: usize) -> std::path::PathBuf {
        self.dir.path().join(format!("stakepoold{i}"))
    }

    /// Kills daemon `i`: its connections close and new ones are refused (its proxy is
    /// cut), and the daemon stops. (An in-process daemon's open HTTP/2 connections outlive
    /// its stopped server, unlike a killed process's; the proxy makes them end.)
    pub fn kill_node(&mut self, i: usize) {
        self.node_proxies[i].cut();
        if let Some(n) = self.nodes[i].take() {
            n.stop();
            drop(n);
        }
    }

    /// Starts daemon `i` again, fresh (no users), with its old certificate, and points its
    /// proxy at it.
    pub async fn restart_node(&mut self, i: usize) {
        let parts = hcpool_web::demo::sim_parts(&self.cluster, i, 0)
            .await
            .unwrap();
        let n = hcpool_web::demo::LocalStakepoold::start_with_client_ca(
            parts,
            &self.node_dir(i),
            Some(&self.client_cert),
        )
        .await
        .unwrap();
        self.node_proxies[i].retarget(n.host().parse().unwrap());
        self.node_proxies[i].restore();
        self.nodes[i] = Some(n);
    }
}

/// A TCP proxy the test can cut (every connection closed, new ones refused, as when the
/// process behind it is killed or the network fails) and restore.
pub struct TcpProxy {
    pub addr: std::net::SocketAddr,
    target: Arc<Mutex<std::net::SocketAddr>>,
    up: Arc<std::sync::atomic::AtomicBool>,
    kill: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

impl TcpProxy {
    /// Listens on 127.0.0.1:0, forwarding to `target`.
    pub async fn start(target: std::net::SocketAddr) -> TcpProxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(target));
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let kill = tokio::sync::watch::channel(0u64).0;
        let (t, u, k) = (Arc::clone(&target), Arc::clone(&up), kill.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let to = *t.lock().unwrap();
                let mut killed = k.subscribe();
                tokio::spawn(async move {
                    let connect = tokio::time::timeout(
                        Duration::from_secs(5),
                        tokio::net::TcpStream::connect(to),
                    );
                    let Ok(Ok(mut outbound)) = connect.await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = killed.changed() => {}
                    }
                });
            }
        });
        TcpProxy {
            addr,
            target,
            up,
            kill,
            task,
        }
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forwards new connections to `to`.
    pub fn retarget(&self, to: std::net::SocketAddr) {
        *self.target.lock().unwrap() = to;
    }
}

/// Starts a pool as `custom` says.
pub async fn start_custom(custom: Custom) -> CustomPool {
    let _ = panics();
    let dir = tempfile::tempdir().unwrap();
    let cluster = Arc::new(
        SimCluster::start(hcpool_simnet::SimConfig {
            cert_dir: Some(dir.path().join("simnet")),
            ..hcpool_simnet::SimConfig::default()
        })
        .await
        .unwrap(),
    );
    let (client_cert, client_key) = (dir.path().join("web.cert"), dir.path().join("web.key"));
    hcpool_rpc::pinned_tls::load_or_generate_client(&client_cert, &client_key, "hcpool-web")
        .unwrap();
    let mut nodes = Vec::new();
    if custom.nodes {
        for i in 0..cluster.wallets().len() {
            let parts = hcpool_web::demo::sim_parts(&cluster, i, 0).await.unwrap();
            nodes.push(
                hcpool_web::demo::LocalStakepoold::start_with_client_ca(
                    parts,
                    &dir.path().join(format!("stakepoold{i}")),
                    Some(&client_cert),
                )
                .await
                .unwrap(),
            );
        }
    }
    let mut node_proxies = Vec::new();
    for n in &nodes {
        node_proxies.push(TcpProxy::start(n.host().parse().unwrap()).await);
    }
    let db = custom
        .db_url
        .clone()
        .unwrap_or_else(|| hcpool_db::sqlite_url_for_path(&dir.path().join("pool.db")));
    let text = format!(
        "{}{}apisecret=faults-api\ncookiesecret=faults-cookie\ndburl={db}\n\
         baseurl=http://pool.test\nminservers={}\nnosmtp=1\n\
         stakepooldclientcert={}\nstakepooldclientkey={}\n{}{}",
        cluster.conf_fragment(),
        if nodes.is_empty() {
            String::new()
        } else {
            // The demo's lines, with each daemon's proxy as its host.
            let mut f = hcpool_web::demo::conf_fragment(&nodes);
            for (n, p) in nodes.iter().zip(&node_proxies) {
                f = f.replace(&n.host(), &p.addr.to_string());
            }
            f
        },
        custom.min_servers,
        client_cert.display(),
        client_key.display(),
        custom.extra_conf,
        custom
            .wallet_resync_secs
            .map(|n| format!("walletresyncinterval={n}\n"))
            .unwrap_or_default(),
    );
    let cfg = hcpool_web::config::Config::from_ini(&text).unwrap();
    let mut wired = hcpool_web::wiring::build(&cfg, dir.path()).await.unwrap();
    if let Some(ttl) = custom.sync_ttl {
        wired.state = wired.state.with_sync_ttl(ttl);
    }
    // The tests send many API requests from one IP.
    wired.state.settings.api_rate_limit = 0;
    let pool = wired.state.pool.clone();
    let store = pool.store().clone();
    let user = store
        .create_user(&NewUser {
            email: EMAIL.into(),
            password_hash: Secret::new("unused".into()),
            email_token: Secret::new("faults-verify".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    assert_eq!(
        store.verify_email("faults-verify").await.unwrap(),
        Some(user)
    );
    let token = hcpool_web::jwt::issue(
        b"faults-api",
        &wired.state.settings.base_url,
        user,
        wired.state.now(),
    );
    store
        .set_api_token(user, &Secret::new(token.clone()))
        .await
        .unwrap();
    let server = hcpool_web::spawned::spawn(
        hcpool_web::rocket(wired.state, hcpool_web::figment([127, 0, 0, 1].into(), 0))
            .attach(hcpool_web::nodes::push_on_liftoff(pool.clone())),
    )
    .await
    .unwrap();
    // The stale-node retry, as `push_on_liftoff` starts it, at the test's pace.
    let retry = hcpool_web::nodes::spawn_retry(pool.clone(), custom.retry_every);
    CustomPool {
        server,
        cluster,
        nodes: nodes.into_iter().map(Some).collect(),
        node_proxies,
        client_cert,
        manager: wired.manager,
        pool,
        user,
        token,
        retry,
        dir,
    }
}

/// An API call with the bearer `token`: (HTTP status, parsed JSON or Null).
pub async fn api(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    form: &str,
) -> (u16, serde_json::Value) {
    let mut headers = vec![("Authorization", format!("Bearer {token}").into_bytes())];
    if !form.is_empty() {
        headers.push((
            "Content-Type",
            b"application/x-www-form-urlencoded".to_vec(),
        ));
    }
    let r = exchange(
        addr,
        &request(method, path.as_bytes(), &headers, form.as_bytes()),
    )
    .await;
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null),
    )
}

/// Waits up to `limit` for `f` to hold, polling every 50 ms.
pub async fn until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if f().await {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

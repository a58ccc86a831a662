//! HTTP load on loopback: the app served in-process (SQLite in a temp dir, the simulated
//! wallet cluster), one user with 2,000 tickets bought in the simulator (the tickets page
//! reads them from the wallets), and N concurrent keep-alive clients (one HTTP/1.1
//! connection each) for a fixed time per endpoint. Prints requests/s and p50/p99 latency
//! for `/api/v2/stats`, `/api/v1/getpurchaseinfo` (bearer token) and the signed-in user's
//! `/tickets` page.
//!
//! ```sh
//! cargo bench -p hcpool-web --bench http -- --clients 8 --seconds 5 --tickets 2000
//! ```
//!
//! The server and the simulator run on one multi-threaded runtime, the clients on a
//! separate single-threaded one (like one wrk thread); all share the machine's cores.

#![allow(clippy::print_stdout)] // A bench binary reports on stdout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

use hcpool_core::backend::NewUser;
use hcpool_core::{Secret, VoteBits};
use hcpool_simnet::{SimCluster, TicketPurchase};
use hcpool_web::spawned::Spawned;

/// A valid simnet secp256k1 pubkey address (hc-vectors.json).
const USER_PUBKEY: &str = "SkLUTvG262Uyeb4w2YRDwdF5zbYKAV5kKkZM5KMVuWNkCfj5nXWDd";
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "bench-password-123";
/// Longest wait for one request: a slower answer fails the run.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Opts {
    clients: usize,
    seconds: u64,
    warmup: u64,
    tickets: u32,
}

fn parse_args() -> Result<Opts> {
    let mut o = Opts {
        clients: 8,
        seconds: 5,
        warmup: 1,
        tickets: 2000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> Result<u64> {
            args.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name}: not a number"))
        };
        match a.as_str() {
            "--clients" => o.clients = usize::try_from(value("--clients")?)?,
            "--seconds" => o.seconds = value("--seconds")?,
            "--warmup" => o.warmup = value("--warmup")?,
            "--tickets" => o.tickets = u32::try_from(value("--tickets")?)?,
            // cargo bench passes --bench to harness-less benches.
            "--bench" => {}
            other => bail!(
                "unknown argument {other:?}; usage: http [--clients N] [--seconds S] \
                 [--warmup S] [--tickets N]"
            ),
        }
    }
    ensure!(
        o.clients > 0 && o.seconds > 0,
        "clients and seconds must be > 0"
    );
    Ok(o)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { addr, sender })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Option<String>,
    ) -> Result<Answer> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.addr.to_string());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let answer = async {
            self.sender.ready().await?;
            let resp = self.sender.send_request(req).await?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, anyhow::Error>(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, answer)
            .await
            .with_context(|| format!("{path}: no answer in {REQUEST_TIMEOUT:?}"))?
    }
}

/// `name=value` of every `Set-Cookie`.
fn cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(hyper::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_owned))
        .collect()
}

fn csrf_in(html: &str) -> Option<&str> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(&html[start..end])
}

struct Fixture {
    server: Spawned,
    cluster: std::sync::Arc<SimCluster>,
    token: String,
    session_cookie: String,
    tickets_seen: usize,
}

/// The pool, the user with their tickets, the API token and a signed-in session.
async fn setup(dir: &std::path::Path, tickets: u32) -> Result<Fixture> {
    let (wired, cluster) = hcpool_web::wiring::demo(&dir.join("pool"), "127.0.0.1:0").await?;
    let mut state = wired.state;
    // The bench is one client IP sending thousands of API requests: the per-IP API rate
    // limit (`apiratelimit`, 600/min by default) would measure 429s.
    state.settings.api_rate_limit = 0;
    let store = state.pool.store().clone();
    let uid = store
        .create_user(&NewUser {
            email: EMAIL.into(),
            password_hash: hcpool_web::auth::hash_password(PASSWORD.into()).await?,
            email_token: Secret::new("bench-verify".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await?;
    ensure!(store.verify_email("bench-verify").await? == Some(uid));
    let reg = state.pool.register_address(uid, USER_PUBKEY).await?;
    let token = hcpool_web::jwt::issue(
        state.settings.api_secret.expose().as_bytes(),
        &state.settings.base_url,
        uid,
        state.now(),
    );
    store
        .set_api_token(uid, &Secret::new(token.clone()))
        .await?;

    let price = cluster.config().chain.stake_difficulty;
    let index = u32::try_from(uid.0)?;
    for _ in 0..tickets {
        let mut p = TicketPurchase::new(reg.multisig_address.to_string(), price / 10, index);
        p.price_atoms = Some(price);
        cluster.buy_ticket(&p)?;
    }
    // Mined in the first block, live two blocks later; a few are drawn (and missed).
    cluster.mine(3)?;
    let info = state
        .pool
        .wallets()
        .stake_pool_user_info(&reg.multisig_address)
        .await?;
    ensure!(
        info.tickets.len() == tickets as usize && info.invalid.is_empty(),
        "the wallets see {} tickets ({} invalid), want {tickets}",
        info.tickets.len(),
        info.invalid.len()
    );

    let server = hcpool_web::spawned::spawn(hcpool_web::rocket(
        state,
        hcpool_web::figment([127, 0, 0, 1].into(), 0),
    ))
    .await?;

    // Sign in as a browser would: the CSRF cookie and token, then the form.
    let mut c = Conn::open(server.addr).await?;
    let page = c.send(Method::GET, "/signin", &[], None).await?;
    let csrf_cookie = cookies(&page.headers).join("; ");
    let html = String::from_utf8_lossy(&page.body);
    let csrf = csrf_in(&html).context("no csrf_token on /signin")?;
    let form = format!(
        "email={}&password={PASSWORD}&csrf_token={csrf}",
        EMAIL.replace('@', "%40")
    );
    let signed = c
        .send(
            Method::POST,
            "/signin",
            &[
                (
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                ),
                (hyper::header::COOKIE, HeaderValue::from_str(&csrf_cookie)?),
            ],
            Some(form),
        )
        .await?;
    let location = signed
        .headers
        .get(hyper::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    ensure!(
        signed.status == StatusCode::SEE_OTHER && location == Some("/tickets"),
        "sign-in answered {} to {location:?}",
        signed.status
    );
    let session_cookie = cookies(&signed.headers)
        .into_iter()
        .find(|c| c.starts_with("hcpool_session="))
        .context("no session cookie after sign-in")?;
    Ok(Fixture {
        server,
        cluster,
        token,
        session_cookie,
        tickets_seen: info.tickets.len(),
    })
}

struct Target {
    name: String,
    path: &'static str,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Text a correct answer contains.
    expect: &'static str,
}

#[derive(Default)]
struct Run {
    latencies: Vec<Duration>,
    failures: u64,
    bytes: u64,
    elapsed: Duration,
}

/// `clients` connections hammering `target` until `duration` has passed.
async fn load(
    addr: SocketAddr,
    target: Arc<Target>,
    clients: usize,
    duration: Duration,
) -> Result<Run> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let target = Arc::clone(&target);
        set.spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut run = Run::default();
            while Instant::now() < deadline {
                let t = Instant::now();
                let a = conn
                    .send(Method::GET, target.path, &target.headers, None)
                    .await?;
                run.latencies.push(t.elapsed());
                run.bytes += a.body.len() as u64;
                let ok = a.status == StatusCode::OK
                    && String::from_utf8_lossy(&a.body).contains(target.expect);
                if !ok {
                    run.failures += 1;
                }
            }
            Ok::<_, anyhow::Error>(run)
        });
    }
    let mut total = Run::default();
    while let Some(r) = set.join_next().await {
        let r = r??;
        total.latencies.extend(r.latencies);
        total.failures += r.failures;
        total.bytes += r.bytes;
    }
    total.elapsed = start.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> Result<()> {
    let opts = parse_args()?;
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let fx = server_rt.block_on(setup(dir.path(), opts.tickets))?;
    println!(
        "hcpool-web HTTP bench: {} clients (keep-alive), {} s per endpoint after {} s warm-up, \
         {} cores; set-up {:.1} s ({} tickets seen by the wallets)",
        opts.clients,
        opts.seconds,
        opts.warmup,
        std::thread::available_parallelism().map_or(1, usize::from),
        t.elapsed().as_secs_f64(),
        fx.tickets_seen
    );
    let targets = [
        Target {
            name: "GET /api/v2/stats".into(),
            path: "/api/v2/stats",
            headers: vec![],
            expect: "\"status\":\"success\"",
        },
        Target {
            name: "GET /api/v1/getpurchaseinfo".into(),
            path: "/api/v1/getpurchaseinfo",
            headers: vec![(
                hyper::header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {}", fx.token))?,
            )],
            expect: "\"status\":\"success\"",
        },
        Target {
            name: format!("GET /tickets ({} tickets)", fx.tickets_seen),
            path: "/tickets",
            headers: vec![(
                hyper::header::COOKIE,
                HeaderValue::from_str(&fx.session_cookie)?,
            )],
            expect: "<h1>Tickets</h1>",
        },
    ];
    println!(
        "{:<30} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
        "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "KiB/resp", "failures"
    );
    for target in targets {
        let target = Arc::new(target);
        let addr = fx.server.addr;
        if opts.warmup > 0 {
            client_rt.block_on(load(
                addr,
                Arc::clone(&target),
                opts.clients,
                Duration::from_secs(opts.warmup),
            ))?;
        }
        let run = client_rt.block_on(load(
            addr,
            Arc::clone(&target),
            opts.clients,
            Duration::from_secs(opts.seconds),
        ))?;
        let n = run.latencies.len();
        println!(
            "{:<30} {:>9} {:>10.1} {:>9.2} {:>9.2} {:>9.1} {:>9}",
            target.name,
            n,
            n as f64 / run.elapsed.as_secs_f64(),
            ms(percentile(&run.latencies, 0.50)),
            ms(percentile(&run.latencies, 0.99)),
            run.bytes as f64 / n.max(1) as f64 / 1024.0,
            run.failures
        );
    }
    // The tickets page reads the list from the wallets once per block: the first request
    // after a block pays for `stakepooluserinfo`; the runs above are the cached path.
    let mut firsts = Vec::new();
    let cookie = HeaderValue::from_str(&fx.session_cookie)?;
    for _ in 0..5 {
        fx.cluster.mine(1)?;
        let t = client_rt.block_on(async {
            let mut c = Conn::open(fx.server.addr).await?;
            let t = Instant::now();
            let a = c
                .send(
                    Method::GET,
                    "/tickets",
                    &[(hyper::header::COOKIE, cookie.clone())],
                    None,
                )
                .await?;
            ensure!(a.status == StatusCode::OK, "/tickets answered {}", a.status);
            Ok::<_, anyhow::Error>(t.elapsed())
        })?;
        firsts.push(t);
    }
    firsts.sort_unstable();
    println!(
        "first GET /tickets after a new block (list read from the wallets), 5 blocks: \
         median {:.1} ms, max {:.1} ms",
        ms(firsts[2]),
        ms(firsts[4])
    );
    server_rt.block_on(fx.server.stop(Duration::from_secs(10)))?;
    Ok(())
}

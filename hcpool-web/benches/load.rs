//! Load on the running app: N concurrent keep-alive clients (one HTTP/1.1 connection each)
//! for S seconds, spread evenly over `GET /`, `GET /api/v2/stats` and sign-in (`POST
//! /signin` with the form and CSRF token of `GET /signin`, over and over).
//!
//! The server is the demo pool (simulated wallets and hcd, two in-process stakepoold
//! daemons, SQLite in a temp dir) in a child process of this binary (`--serve`), so its
//! memory is its own: the bench prints its resident set before and after, and its peak
//! (`VmHWM` from `/proc/<pid>/status`).
//!
//! Printed per endpoint: requests, requests/s, latency p50/p90/p99/max, the intended 429s
//! (sign-in is limited per IP and per account; the API limit `apiratelimit`, 600/min per
//! IP, is off unless `--api-limit`), and every other failure by kind. With `--ci` the exit status is 1 when
//! any failure other than a 429 happened; no timing is asserted.
//!
//! ```sh
//! cargo bench -p hcpool-web --bench load -- --clients 1000 --seconds 30
//! # CI-sized, debug build:
//! cargo test -p hcpool-web --bench load -- --clients 200 --seconds 5 --ci
//! ```
//!
//! Each client holds one socket here and one in the server: the soft `ulimit -n` must be
//! above twice the clients (the bench checks `/proc/self/limits` and says so).

#![allow(clippy::print_stdout, clippy::print_stderr)] // A bench binary reports on stdout.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

use hcpool_core::backend::NewUser;
use hcpool_core::{Secret, VoteBits};

const EMAIL: &str = "load@example.com";
const PASSWORD: &str = "load-password-123";
/// A slower answer counts as a timeout failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Opts {
    clients: usize,
    seconds: u64,
    ci: bool,
    api_limit: bool,
}

fn parse_args() -> Result<(Opts, bool)> {
    let mut o = Opts {
        clients: 1000,
        seconds: 30,
        ci: false,
        api_limit: false,
    };
    let mut serve = false;
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
            "--api-limit" => o.api_limit = true,
            "--ci" => o.ci = true,
            "--serve" => serve = true,
            // cargo bench / cargo test pass these to harness-less benches.
            "--bench" | "--test" | "--nocapture" => {}
            other => bail!(
                "unknown argument {other:?}; usage: load [--clients N] [--seconds S] \
                 [--api-limit] [--ci]"
            ),
        }
    }
    ensure!(
        o.clients > 0 && o.seconds > 0,
        "clients and seconds must be > 0"
    );
    Ok((o, serve))
}

/// The child: the demo pool with one verified user; prints `ADDR <addr>` and serves until
/// its stdin closes.
fn serve(api_limit: bool) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let (wired, _cluster) =
            hcpool_web::wiring::demo(&dir.path().join("pool"), "127.0.0.1:0").await?;
        let mut state = wired.state;
        if !api_limit {
            // One client IP sends all the API requests: measure the handler, not 429s.
            state.settings.api_rate_limit = 0;
        }
        let store = state.pool.store().clone();
        let uid = store
            .create_user(&NewUser {
                email: EMAIL.into(),
                password_hash: hcpool_web::auth::hash_password(PASSWORD.into()).await?,
                email_token: Secret::new("load-verify".into()),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            })
            .await?;
        ensure!(store.verify_email("load-verify").await? == Some(uid));
        let server = hcpool_web::spawned::spawn(hcpool_web::rocket(
            state,
            hcpool_web::figment([127, 0, 0, 1].into(), 0),
        ))
        .await?;
        println!("ADDR {}", server.addr);
        // Until the parent closes our stdin (or goes away).
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {
                line.clear();
            }
        })
        .await?;
        server.stop(Duration::from_secs(5)).await.ok();
        drop(wired.local_nodes);
        Ok(())
    })
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The soft open-files limit, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Home,
    Stats,
    SignIn,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Home => "GET /",
            Target::Stats => "GET /api/v2/stats",
            Target::SignIn => "POST /signin",
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    limited: u64,
    failures: BTreeMap<String, u64>,
}

struct Conn {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

async fn open(addr: SocketAddr) -> Result<Conn> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Ok(Conn { addr, sender })
}

struct Answer {
    status: StatusCode,
    cookies: Vec<String>,
    body: Bytes,
}

impl Conn {
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<String>,
    ) -> std::result::Result<Answer, &'static str> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.to_string());
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        if form.is_some() {
            req = req.header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let req = req
            .body(Full::new(Bytes::from(form.unwrap_or_default())))
            .map_err(|_| "request build")?;
        let answer = async {
            self.sender.ready().await.map_err(|_| "connection closed")?;
            let resp = self
                .sender
                .send_request(req)
                .await
                .map_err(|_| "send/receive error")?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|_| "body read error")?
                .to_bytes();
            let cookies = parts
                .headers
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next().map(str::to_owned))
                .collect();
            Ok(Answer {
                status: parts.status,
                cookies,
                body,
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, answer)
            .await
            .map_err(|_| "timeout")?
    }
}

fn csrf_in(html: &[u8]) -> Option<String> {
    let html = String::from_utf8_lossy(html);
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One client: its connection, hammering `target` until `deadline` (reconnecting after a
/// failure, which is counted).
async fn client(addr: SocketAddr, target: Target, deadline: Instant, tally: Rc<RefCell<Tally>>) {
    let fail = |kind: String| {
        *tally.borrow_mut().failures.entry(kind).or_default() += 1;
    };
    let mut conn: Option<Conn> = None;
    let mut csrf: Option<(String, String)> = None;
    while Instant::now() < deadline {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match open(addr).await {
                Ok(c) => conn.insert(c),
                Err(_) => {
                    fail("connect error".into());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if target == Target::SignIn && csrf.is_none() {
            match c.send(Method::GET, "/signin", None, None).await {
                Ok(a) if a.status == StatusCode::OK => match csrf_in(&a.body) {
                    Some(t) => csrf = Some((a.cookies.join("; "), t)),
                    None => fail("GET /signin: no CSRF token".into()),
                },
                Ok(a) => fail(format!("GET /signin: status {}", a.status.as_u16())),
                Err(e) => {
                    fail(format!("GET /signin: {e}"));
                    conn = None;
                }
            }
            continue;
        }
        let t = Instant::now();
        let result = match target {
            Target::Home => c.send(Method::GET, "/", None, None).await,
            Target::Stats => c.send(Method::GET, "/api/v2/stats", None, None).await,
            Target::SignIn => {
                let (cookie, token) = csrf
                    .as_ref()
                    .map(|(c, t)| (c.clone(), t.clone()))
                    .unwrap_or_default();
                let form = format!(
                    "email={}&password={}&csrf_token={token}",
                    enc(EMAIL),
                    enc(PASSWORD)
                );
                c.send(Method::POST, "/signin", Some(&cookie), Some(form))
                    .await
            }
        };
        let elapsed = t.elapsed();
        match result {
            Err(e) => {
                fail(e.into());
                conn = None;
            }
            Ok(a) => {
                tally.borrow_mut().latencies.push(elapsed);
                let good = match target {
                    Target::Home => {
                        a.status == StatusCode::OK
                            && String::from_utf8_lossy(&a.body).contains("</html>")
                    }
                    Target::Stats => {
                        a.status == StatusCode::OK
                            && String::from_utf8_lossy(&a.body).contains("\"status\":\"success\"")
                    }
                    // Signed in: to the address page (a new user has none).
                    Target::SignIn => a.status == StatusCode::SEE_OTHER,
                };
                if a.status == StatusCode::TOO_MANY_REQUESTS {
                    tally.borrow_mut().limited += 1;
                } else if !good {
                    // The API's envelope says why.
                    let why = serde_json::from_slice::<serde_json::Value>(&a.body)
                        .ok()
                        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default();
                    fail(format!("status {}{why}", a.status.as_u16()));
                }
            }
        }
    }
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Stops the child server when dropped (closing its stdin, then killing it).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.0.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<()> {
    let (opts, serve_mode) = parse_args()?;
    if serve_mode {
        return serve(opts.api_limit);
    }
    let need = 2 * opts.clients as u64 + 200;
    if let Some(limit) = open_files_limit() {
        ensure!(
            limit >= need,
            "the open-files limit is {limit}; {} clients need about {need} \
             (one socket each here and in the server): raise it with `ulimit -n {need}`",
            opts.clients
        );
    }
    let set_up = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args(if opts.api_limit {
            &["--serve", "--api-limit"][..]
        } else {
            &["--serve"][..]
        })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server process")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let server = Server(child);
    let pid = server.0.id();
    let mut lines = BufReader::new(stdout).lines();
    let addr: SocketAddr = loop {
        let line = lines
            .next()
            .context("the server process ended before listening")??;
        if let Some(a) = line.strip_prefix("ADDR ") {
            break a.parse()?;
        }
    };
    let (rss_idle, _) = memory(pid);
    println!(
        "hcpool-web load: {} keep-alive clients for {} s ({} per endpoint), {} cores; server pid \
         {pid} on {addr}, set-up {:.1} s, RSS {:.1} MiB idle; API rate limit {}",
        opts.clients,
        opts.seconds,
        opts.clients / 3,
        std::thread::available_parallelism().map_or(1, usize::from),
        set_up.elapsed().as_secs_f64(),
        rss_idle as f64 / 1024.0,
        if opts.api_limit {
            "on (the configured apiratelimit)"
        } else {
            "off"
        }
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let targets = [Target::Home, Target::Stats, Target::SignIn];
    let tallies: BTreeMap<Target, Rc<RefCell<Tally>>> = targets
        .iter()
        .map(|t| (*t, Rc::new(RefCell::new(Tally::default()))))
        .collect();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(opts.seconds);
    // Samples the server's memory while the clients run.
    let sampler = std::thread::spawn(move || {
        let mut peak_rss = 0;
        while Instant::now() < deadline {
            peak_rss = peak_rss.max(memory(pid).0);
            std::thread::sleep(Duration::from_millis(250));
        }
        peak_rss
    });
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..opts.clients {
            let target = targets[i % targets.len()];
            let tally = Rc::clone(&tallies[&target]);
            set.spawn_local(client(addr, target, deadline, tally));
        }
        while set.join_next().await.is_some() {}
    });
    let elapsed = started.elapsed();
    let sampled_peak = sampler.join().unwrap_or(0);
    let (rss_after, hwm) = memory(pid);

    println!(
        "{:<20} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>7} {:>8}",
        "endpoint", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "429s", "errors"
    );
    let mut real_errors = 0;
    let mut total = 0;
    for t in targets {
        let mut tally = tallies[&t].borrow_mut();
        tally.latencies.sort_unstable();
        let n = tally.latencies.len();
        total += n;
        let errors: u64 = tally.failures.values().sum();
        real_errors += errors;
        println!(
            "{:<20} {:>9} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>7} {:>8}",
            t.name(),
            n,
            n as f64 / elapsed.as_secs_f64(),
            percentile(&tally.latencies, 0.50),
            percentile(&tally.latencies, 0.90),
            percentile(&tally.latencies, 0.99),
            percentile(&tally.latencies, 1.0),
            tally.limited,
            errors
        );
        for (kind, count) in &tally.failures {
            println!("    error {kind}: {count}");
        }
    }
    println!(
        "total {total} requests in {:.1} s ({:.1} req/s); errors other than 429: {real_errors}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "server memory: RSS {:.1} MiB idle, {:.1} MiB peak sampled under load, {:.1} MiB after; \
         peak RSS (VmHWM) {:.1} MiB",
        rss_idle as f64 / 1024.0,
        sampled_peak as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    drop(server);
    if opts.ci && real_errors > 0 {
        eprintln!("--ci: {real_errors} errors other than the intended 429s");
        std::process::exit(1);
    }
    Ok(())
}

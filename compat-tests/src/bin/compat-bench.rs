//! `compat-bench`: hcpool-web against the original hcstakepool, one run, the two apps
//! alternating on the same machine, the same database rows (copies of one) and the same
//! simulated wallets; prints requests per second of each and the ratio hcpool / original.
//!
//! ```sh
//! cargo build --release -p hcpool-web -p hcpool-compat
//! HCPOOL_ORIG=../shared/hcstakepool-orig HCPOOL_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test \
//!     target/release/compat-bench [SECONDS_PER_RUN]
//! ```
//!
//! Measured: `GET /`, `GET /api/v2/stats`, `GET /api/v1/getpurchaseinfo` with a token,
//! `POST /api/v1/address` (a user who already has one: the answer both give every later
//! call), the tickets page of users with 2,000 and 10,000 tickets, sign-in, and start-up with
//! 10,000 users / 49,000 tickets; 8 keep-alive clients, each app measured twice, alternating.
//! hcpool-web runs in-process (as the `compat` suite runs it) for the requests, and as its
//! own process (`hcpool-web` next to this binary, or `HCPOOL_WEB_BIN`) for the start-up.
//!
//! - **Sign-in** is `GET /signin` (the form, its cookies and CSRF token) then `POST /signin`,
//!   answered 303 to a page other than `/signin`; each sign-in a fresh account (2,000
//!   verified users, used in turn) and a fresh client IP. hcpool allows 10 password attempts
//!   a minute per client IP and per account, and has no key to raise that: its copy runs with
//!   `realipheader=X-Real-IP` (the trusted-proxy setting) and every sign-in sends its own
//!   `X-Real-IP`, so no attempt is limited and the limiter's work is still measured (the
//!   original ignores the header). The accounts' hashes are each app's own format: bcrypt
//!   cost 10 for the original, argon2id for hcpool (what its first sign-in upgrades a legacy
//!   hash to; set once in its copy before the run).
//! - **Start-up**: 10,000 registered users (addresses, redeem scripts, fee addresses as a
//!   registration writes them) inserted once, copied for each app; their scripts imported in
//!   both simulated wallets and 49,000 tickets bought to them and mined, as on a running
//!   pool. Each app is started once to settle (hcpool runs its migrations on its copy), then
//!   three times each, alternating; the time is from spawning the process to its first
//!   `200` on `GET /`, polled every 5 ms.
//!
//! The load average is printed before and after: the figures are for orientation, on
//! whatever else the machine runs.

#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context, Result};
use hcpool_compat::{page, work_dir, Client, Db, Hcpool, Orig, OrigWeb};
use hcpool_core::{Network, PoolKeys, RedeemScript, UserId};
use hcpool_simnet::{
    SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use serde_json::Value;

const CLIENTS: usize = 8;
const PASSWORD: &str = "password-one-1";
const PAID: i64 = 20_000_000;
/// Verified users without an address, one per sign-in in turn.
const SIGNIN_USERS: usize = 2_000;
/// Registered users of the start-up database.
const STARTUP_USERS: u32 = 10_000;
/// Tickets bought to them.
const STARTUP_TICKETS: u32 = 49_000;
/// Start-ups measured per app.
const STARTUP_RUNS: usize = 3;
/// Ports of the start-up processes.
const STARTUP_PORTS: [u16; 2] = [36091, 36291];

/// One measured request: method, path, bearer token, form, cookie-carrying client.
struct Req {
    method: &'static str,
    path: String,
    token: Option<String>,
    form: Option<Vec<(String, String)>>,
}

/// Requests per second of `req` on `clients` for `secs`.
async fn rps(clients: &[Arc<Client>], req: &Arc<Req>, secs: f64) -> Result<f64> {
    let n = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for c in clients {
        let (c, req, n) = (c.clone(), req.clone(), n.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let form: Option<Vec<(&str, &str)>> = req
                    .form
                    .as_ref()
                    .map(|f| f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect());
                let r = c
                    .send(req.method, &req.path, req.token.as_deref(), form.as_deref())
                    .await?;
                ensure!(r.status < 500, "{} {}: {}", req.method, req.path, r.status);
                n.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n.load(Ordering::Relaxed) as f64 / secs)
}

async fn sign_in(c: &Client, email: &str) -> Result<()> {
    let r = c
        .post_form(
            "/signin",
            "/signin",
            &[("email", email), ("password", PASSWORD)],
        )
        .await?;
    ensure!(
        r.status == 303 && r.header("location") != Some("/signin"),
        "{email} cannot sign in on {}",
        c.origin
    );
    Ok(())
}

async fn token(c: &Client) -> Result<String> {
    let html = c.get("/settings").await?.text();
    let at = html.find("eyJhbGci").context("no API token")?;
    Ok(html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let secs: f64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3.0);
    let orig_dir = hcpool_compat::orig_dir().map_err(|e| anyhow!(e))?;
    let mysql = hcpool_compat::mysql_root_url().map_err(|e| anyhow!(e))?;
    let ports = hcpool_compat::Ports::hold([36090, 36290, STARTUP_PORTS[0], STARTUP_PORTS[1]]);
    println!("load average at start: {}", load_average());
    let work = work_dir("bench");
    std::fs::create_dir_all(&work)?;
    let db = Db::connect(&mysql).await?;
    let sim = SimCluster::start(SimConfig {
        base_port: Some(36110),
        cert_dir: Some(work.join("sim-certs")),
        ..SimConfig::default()
    })
    .await?;
    sim.mine(20).map_err(|e| anyhow!("{e}"))?;
    let wallets = work.join("wallets.conf");
    std::fs::write(&wallets, sim.conf_fragment())?;
    let db_o = db.create("bench_orig").await?;
    ports.release(36090);
    let orig = Orig::start(&OrigWeb {
        script_dir: &orig_dir,
        work: &work,
        name: "web",
        port: 36090,
        wallets: &wallets,
        db: &db,
        db_name: &db_o,
        stakepoold_port: None,
    })?;
    let users = ["a@bench.test", "b@bench.test", "c@bench.test"];
    for u in users {
        let id = db.insert_user(&db_o, u, PASSWORD, "").await?;
        db.exec(
            &db_o,
            "UPDATE `{db}`.Users SET EmailVerified = 1 WHERE UserId = ?",
            &[&id.to_string()],
        )
        .await?;
    }
    insert_signin_users(&db, &db_o).await?;
    let db_h = db.copy(&db_o, "bench_hcpool").await?;
    // hcpool's own format for the sign-in accounts (its first sign-in would upgrade them).
    let argon = hcpool_web::auth::hash_password(PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    db.exec(
        &db_h,
        "UPDATE `{db}`.Users SET Password = ? WHERE Email LIKE 's%@bench.test'",
        &[argon.expose()],
    )
    .await?;
    let conf = format!(
        "{}\ndburl={}\napisecret=0123456789abcdef0123456789abcdef\ncookiesecret=fedcba9876543210fedcba9876543210\nbaseurl=http://127.0.0.1:36290\nminservers=2\napiratelimit=0\nnosmtp=1\nrealipheader=X-Real-IP\n",
        std::fs::read_to_string(&wallets)?,
        db.url(&db_h)
    );
    ports.release(36290);
    let ours = Hcpool::start(&conf, &work, 36290).await?;
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)?;

    // Each user registers on both (same ids, same addresses); b and c get 2,000 and 10,000
    // tickets.
    let mut tokens = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let pk = keys
            .fee_branch()
            .derive_child(500 + u32::try_from(i)?)?
            .to_pubkey_address(Network::Simnet)
            .to_string();
        let mut pair = Vec::new();
        let mut msa = String::new();
        for origin in [&orig.origin, &ours.origin] {
            let c = Client::new(origin)?;
            sign_in(&c, u).await?;
            let t = token(&c).await?;
            let r = c
                .send(
                    "POST",
                    "/api/v1/address",
                    Some(&t),
                    Some(&[("UserPubKeyAddr", &pk)]),
                )
                .await?;
            let v: Value = serde_json::from_slice(&r.body)?;
            ensure!(v["code"] == 0, "address on {origin}: {}", r.text());
            let r = c
                .send("GET", "/api/v1/getpurchaseinfo", Some(&t), None)
                .await?;
            let v: Value = serde_json::from_slice(&r.body)?;
            msa = v["data"]["TicketAddress"].as_str().unwrap_or("").to_owned();
            pair.push((c, t));
        }
        tokens.push(pair);
        let n = [0usize, 2_000, 10_000][i];
        let t0 = Instant::now();
        for _ in 0..n {
            sim.buy_ticket(&TicketPurchase::new(&msa, PAID, u32::try_from(i + 1)?))
                .map_err(|e| anyhow!("{e}"))?;
        }
        if n > 0 {
            println!(
                "bought {n} tickets for {u} in {:.1} s",
                t0.elapsed().as_secs_f64()
            );
        }
    }
    sim.mine(1).map_err(|e| anyhow!("{e}"))?;
    // Both apps show the tickets.
    for (i, n) in [(1usize, 2_000usize), (2, 10_000)] {
        for (c, _) in &tokens[i] {
            let shown = page::hashes(&c.get("/tickets").await?.text()).len();
            println!(
                "{}: tickets page of a {n}-ticket user lists {shown} hashes",
                c.origin
            );
        }
    }

    let o_clients: Vec<Arc<Client>> = (0..CLIENTS)
        .map(|_| Client::new(&orig.origin).map(Arc::new))
        .collect::<Result<_>>()?;
    let h_clients: Vec<Arc<Client>> = (0..CLIENTS)
        .map(|_| Client::new(&ours.origin).map(Arc::new))
        .collect::<Result<_>>()?;
    let (a_o, a_h) = (&tokens[0][0].1, &tokens[0][1].1);
    let pk_a = keys
        .fee_branch()
        .derive_child(500)?
        .to_pubkey_address(Network::Simnet)
        .to_string();
    let simple = |path: &str, tok: Option<&String>, form: Option<Vec<(String, String)>>, method| {
        Arc::new(Req {
            method,
            path: path.to_owned(),
            token: tok.cloned(),
            form,
        })
    };
    let addr_form = Some(vec![("UserPubKeyAddr".to_owned(), pk_a.clone())]);
    type Case = (&'static str, Arc<Req>, Arc<Req>, f64);
    let mut cases: Vec<Case> = vec![
        (
            "GET /",
            simple("/", None, None, "GET"),
            simple("/", None, None, "GET"),
            2.0,
        ),
        (
            "GET /api/v2/stats",
            simple("/api/v2/stats", None, None, "GET"),
            simple("/api/v2/stats", None, None, "GET"),
            4.0,
        ),
        (
            "GET /api/v1/getpurchaseinfo",
            simple("/api/v1/getpurchaseinfo", Some(a_o), None, "GET"),
            simple("/api/v1/getpurchaseinfo", Some(a_h), None, "GET"),
            2.0,
        ),
        (
            "POST /api/v1/address (already registered)",
            simple("/api/v1/address", Some(a_o), addr_form.clone(), "POST"),
            simple("/api/v1/address", Some(a_h), addr_form, "POST"),
            0.0,
        ),
    ];
    println!("\n{CLIENTS} keep-alive clients, {secs} s per run, each app twice, alternating\n");
    println!(
        "{:<44} {:>12} {:>12} {:>8} {:>7}",
        "request", "original/s", "hcpool/s", "ratio", "target"
    );
    for (name, o, h, target) in cases.drain(..) {
        let (mut so, mut sh) = (0.0, 0.0);
        for _ in 0..2 {
            so += rps(&o_clients, &o, secs).await?;
            sh += rps(&h_clients, &h, secs).await?;
        }
        print_row(name, so / 2.0, sh / 2.0, target);
    }
    // The tickets pages need the signed-in browsers: one client each (their sessions).
    for (i, n, target) in [(1usize, 2_000, 50.0), (2, 10_000, 50.0)] {
        let co = Arc::new(Client::new(&orig.origin)?);
        let ch = Arc::new(Client::new(&ours.origin)?);
        sign_in(&co, users[i]).await?;
        sign_in(&ch, users[i]).await?;
        let req = simple("/tickets", None, None, "GET");
        let (mut so, mut sh) = (0.0, 0.0);
        for _ in 0..2 {
            so += rps(std::slice::from_ref(&co), &req, secs).await?;
            sh += rps(std::slice::from_ref(&ch), &req, secs).await?;
        }
        print_row(
            &format!("GET /tickets ({n} tickets, 1 client)"),
            so / 2.0,
            sh / 2.0,
            target,
        );
    }
    // Sign-in: a fresh account and client IP each time.
    let (next_o, next_h) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (mut so, mut sh) = (0.0, 0.0);
    for _ in 0..2 {
        so += sign_in_rate(&orig.origin, &next_o, secs).await?;
        sh += sign_in_rate(&ours.origin, &next_h, secs).await?;
    }
    print_row(
        "sign-in (GET form + POST, new account and IP)",
        so / 2.0,
        sh / 2.0,
        0.0,
    );
    ours.stop().await;
    drop(orig);

    let startup = start_up(&StartUp {
        db: &db,
        from: &db_o,
        sim: &sim,
        keys_of: &keys,
        work: &work,
        wallets: &wallets,
        orig_dir: &orig_dir,
        ports: &ports,
    })
    .await;
    match startup {
        Ok(Some((o, h))) => {
            println!(
                "{:<44} {:>11.3}s {:>11.3}s {:>7.2}x {:>7}",
                "start-up, 10,000 users / 49,000 tickets",
                o,
                h,
                o / h,
                "10x"
            );
        }
        Ok(None) => {}
        Err(e) => println!("start-up: failed: {e:#}"),
    }
    println!("\nload average at the end: {}", load_average());
    db.drop_all().await;
    Ok(())
}

/// `/proc/loadavg`'s three figures.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// [`SIGNIN_USERS`] verified users `s<i>@bench.test` without an address (one shared hash of
/// [`PASSWORD`]).
async fn insert_signin_users(db: &Db, name: &str) -> Result<()> {
    let hash = hcpool_compat::bcrypt_2a(PASSWORD)?;
    for chunk in (0..SIGNIN_USERS).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO `{db}`.Users (Email,Username,Password,MultiSigAddress,MultiSigScript,\
             PoolPubKeyAddr,UserPubKeyAddr,UserFeeAddr,HeightRegistered,EmailVerified,\
             EmailToken,APIToken,VoteBits,VoteBitsVersion) VALUES ",
        );
        let mut args = Vec::new();
        for (k, i) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,'','','','','',0,1,'','',1,7)");
            let email = format!("s{i}@bench.test");
            args.push(email.clone());
            args.push(email);
            args.push(hash.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        db.exec(name, &sql, &args).await?;
    }
    Ok(())
}

/// The `name=value` pairs of an answer's `Set-Cookie` headers, as a `Cookie` header value.
fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sign-ins per second on `origin` with [`CLIENTS`] keep-alive clients for `secs`; account
/// and client IP number `next` (counted on across runs).
async fn sign_in_rate(origin: &str, next: &Arc<AtomicUsize>, secs: f64) -> Result<f64> {
    let n = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        let (origin, next, n) = (origin.to_owned(), next.clone(), n.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                sign_in_once(&http, &origin, i).await?;
                n.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n.load(Ordering::Relaxed) as f64 / secs)
}

/// Sign-in number `i`: account `s<i mod SIGNIN_USERS>`, client IP `10.x.y.z` from `i`.
async fn sign_in_once(http: &reqwest::Client, origin: &str, i: usize) -> Result<()> {
    let email = format!("s{}@bench.test", i % SIGNIN_USERS);
    let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    let r = http
        .get(format!("{origin}/signin"))
        .header("X-Real-IP", &ip)
        .send()
        .await?;
    ensure!(r.status() == 200, "GET {origin}/signin: {}", r.status());
    let cookie = cookies_of(&r);
    let csrf = page::csrf_token(&r.text().await?)
        .with_context(|| format!("no csrf_token on {origin}/signin"))?;
    let r = http
        .post(format!("{origin}/signin"))
        .header("X-Real-IP", &ip)
        .header("Cookie", cookie)
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await?;
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    ensure!(
        r.status() == 303 && to != "/signin",
        "{email} cannot sign in on {origin}: {} to {to:?}",
        r.status()
    );
    let _ = r.bytes().await?;
    Ok(())
}

/// What the start-up measurement works with.
struct StartUp<'a> {
    db: &'a Db,
    /// The bench database (its tables are copied, not its rows).
    from: &'a str,
    sim: &'a SimCluster,
    keys_of: &'a PoolKeys,
    work: &'a std::path::Path,
    wallets: &'a std::path::Path,
    orig_dir: &'a std::path::Path,
    ports: &'a hcpool_compat::Ports,
}

/// Mean seconds from process start to the first `200` on `GET /`, original then hcpool;
/// `None` (with a line saying why) when the hcpool-web binary is missing.
async fn start_up(s: &StartUp<'_>) -> Result<Option<(f64, f64)>> {
    let bin = std::env::var_os("HCPOOL_WEB_BIN")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .map(|e| e.with_file_name("hcpool-web"))
        })
        .filter(|p| p.is_file());
    let Some(bin) = bin else {
        println!(
            "start-up: skipped, no hcpool-web binary next to compat-bench \
             (cargo build --release -p hcpool-web, or set HCPOOL_WEB_BIN)"
        );
        return Ok(None);
    };
    let t0 = Instant::now();
    let (db_o, scripts) = startup_rows(s).await?;
    println!(
        "start-up database: {STARTUP_USERS} registered users in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let db_h = s.db.copy(&db_o, "startup_hcpool").await?;
    // The pool's scripts are in both wallets (a running pool imported them), and its users
    // hold the tickets.
    let t0 = Instant::now();
    for w in 0..s.sim.wallets().len() {
        s.sim.with_wallet(w, |ws| {
            for (script, _) in &scripts {
                ws.import_script(script.as_bytes().to_vec(), script.hash160());
            }
        });
    }
    for k in 0..STARTUP_TICKETS {
        let (_, msa) = &scripts[usize::try_from(k % STARTUP_USERS)?];
        let uid = k % STARTUP_USERS + 1;
        s.sim
            .buy_ticket(&TicketPurchase::new(msa.as_str(), PAID, uid))
            .map_err(|e| anyhow!("{e}"))?;
    }
    s.sim.mine(1).map_err(|e| anyhow!("{e}"))?;
    println!(
        "start-up wallets: {} scripts imported, {STARTUP_TICKETS} tickets bought and mined in {:.1} s",
        scripts.len(),
        t0.elapsed().as_secs_f64()
    );

    // The original: its configuration as run-web.sh writes it, its binary run directly.
    let orig_run = s.work.join("startup-orig");
    let env = [
        ("HCSP_WORK", s.work.display().to_string()),
        ("HCSP_RUN", orig_run.display().to_string()),
        ("HCSP_LISTEN", format!("127.0.0.1:{}", STARTUP_PORTS[0])),
        ("HCSP_DBHOST", s.db.host().to_owned()),
        ("HCSP_DBPORT", s.db.port().to_string()),
        ("HCSP_DBNAME", db_o.clone()),
        ("HCSP_DBUSER", hcpool_compat::DB_USER.to_owned()),
        ("HCSP_DBPASSWORD", hcpool_compat::DB_PASSWORD.to_owned()),
        ("HCSP_DEBUGLEVEL", "info".to_owned()),
    ];
    let out = std::process::Command::new("bash")
        .arg(s.orig_dir.join("run-web.sh"))
        .arg("conf")
        .arg(s.wallets)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    ensure!(
        out.status.success(),
        "run-web.sh conf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let orig_cmd = || {
        let mut c = std::process::Command::new(s.work.join("bin").join("hcstakepool"));
        c.arg("-C")
            .arg(orig_run.join("hcstakepool.conf"))
            .arg(format!("--datadir={}", orig_run.join("data").display()))
            .arg(format!("--logdir={}", orig_run.join("logs").display()))
            .current_dir(&orig_run);
        c
    };
    // hcpool: the same wallets, its copy of the rows.
    let ours_run = s.work.join("startup-hcpool");
    std::fs::create_dir_all(&ours_run)?;
    let conf = ours_run.join("hcstakepool.conf");
    std::fs::write(
        &conf,
        format!(
            "{}\ndburl={}\napisecret=0123456789abcdef0123456789abcdef\n\
             cookiesecret=fedcba9876543210fedcba9876543210\nlisten=127.0.0.1:{port}\n\
             baseurl=http://127.0.0.1:{port}\nminservers=2\nnosmtp=1\ndebuglevel=info\n",
            std::fs::read_to_string(s.wallets)?,
            s.db.url(&db_h),
            port = STARTUP_PORTS[1],
        ),
    )?;
    let ours_cmd = || {
        let mut c = std::process::Command::new(&bin);
        c.arg("-C").arg(&conf).current_dir(&ours_run);
        c
    };
    for p in STARTUP_PORTS {
        s.ports.release(p);
    }
    let mut times = [Vec::new(), Vec::new()];
    // One settling start each, then alternating measured ones.
    for round in 0..=STARTUP_RUNS {
        for (k, (cmd, dir)) in [(orig_cmd(), &orig_run), (ours_cmd(), &ours_run)]
            .into_iter()
            .enumerate()
        {
            let t = time_start(cmd, dir, STARTUP_PORTS[k]).await?;
            if round > 0 {
                times[k].push(t);
            }
        }
    }
    let show = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "start-up runs (s): original {} / hcpool {}",
        show(&times[0]),
        show(&times[1])
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Ok(Some((mean(&times[0]), mean(&times[1]))))
}

/// Seconds from spawning `cmd` (output to `dir/out.log`) to its first `200` on `GET /` at
/// `port`; the process is killed afterwards.
async fn time_start(
    mut cmd: std::process::Command,
    dir: &std::path::Path,
    port: u16,
) -> Result<f64> {
    let log = std::fs::File::create(dir.join("out.log"))?;
    cmd.stdout(log.try_clone()?).stderr(log);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()?;
    let url = format!("http://127.0.0.1:{port}/");
    let t0 = Instant::now();
    let mut child = cmd.spawn().context("spawn")?;
    let result = loop {
        if let Some(status) = child.try_wait()? {
            break Err(anyhow!(
                "exited ({status}) before serving: {}",
                hcpool_compat::tail(&dir.join("out.log"), 20)
            ));
        }
        if let Ok(r) = http.get(&url).send().await {
            if r.status() == 200 {
                break Ok(t0.elapsed().as_secs_f64());
            }
        }
        if t0.elapsed() > Duration::from_secs(120) {
            break Err(anyhow!("not serving after 120 s"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// A copy of `from`'s tables with [`STARTUP_USERS`] registered, verified users (ids 1…,
/// their registrations as `register_address` writes them); returns the database and each
/// user's redeem script and ticket address.
async fn startup_rows(s: &StartUp<'_>) -> Result<(String, Vec<(RedeemScript, String)>)> {
    let to = s.db.copy(s.from, "startup_orig").await?;
    s.db.exec(&to, "DELETE FROM `{db}`.Users", &[]).await?;
    let keys = s
        .keys_of
        .clone()
        .with_max_users(u64::from(STARTUP_USERS) * 2);
    let hash = hcpool_compat::bcrypt_2a(PASSWORD)?;
    let height = s.sim.best_block().1.to_string();
    let mut scripts = Vec::new();
    let ids: Vec<u32> = (1..=STARTUP_USERS).collect();
    for chunk in ids.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO `{db}`.Users (UserId,Email,Username,Password,MultiSigAddress,\
             MultiSigScript,PoolPubKeyAddr,UserPubKeyAddr,UserFeeAddr,HeightRegistered,\
             EmailVerified,EmailToken,APIToken,VoteBits,VoteBitsVersion) VALUES ",
        );
        let mut args: Vec<String> = Vec::new();
        for (k, uid) in chunk.iter().enumerate() {
            let id = UserId(u64::from(*uid));
            let pool_pk = keys.ticket_pubkey_address(id)?;
            let user_pk = keys
                .fee_branch()
                .derive_child(100_000 + uid)?
                .to_pubkey_address(Network::Simnet);
            let script = RedeemScript::one_of_two(&pool_pk, &user_pk)?;
            let msa = script.p2sh_address(Network::Simnet).to_string();
            if k > 0 {
                sql.push(',');
            }
            sql.push_str("(?,?,?,?,?,?,?,?,?,?,1,'','',1,7)");
            let email = format!("u{uid}@startup.test");
            args.extend([
                uid.to_string(),
                email.clone(),
                email,
                hash.clone(),
                msa.clone(),
                script.to_hex(),
                pool_pk.to_string(),
                user_pk.to_string(),
                keys.fee_address(id)?.to_string(),
                height.clone(),
            ]);
            scripts.push((script, msa));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        s.db.exec(&to, &sql, &args).await?;
    }
    Ok((to, scripts))
}

fn print_row(name: &str, o: f64, h: f64, target: f64) {
    let ratio = if o > 0.0 { h / o } else { f64::NAN };
    let target = if target > 0.0 {
        format!("{target}x")
    } else {
        "-".to_owned()
    };
    println!("{name:<44} {o:>12.1} {h:>12.1} {ratio:>7.2}x {target:>7}");
}

//! `compat-bench`: hcpool-web against the original hcstakepool, one run, the two apps
//! alternating on the same machine, the same database rows (copies of one) and the same
//! simulated wallets; prints requests per second of each and the ratio hcpool / original.
//!
//! `HCPOOL_ORIG=../shared/hcstakepool-orig HCPOOL_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test
//! cargo run --release -p hcpool-compat --bin compat-bench [-- SECONDS_PER_RUN]`
//!
//! Measured: `GET /`, `GET /api/v2/stats`, `GET /api/v1/getpurchaseinfo` with a token,
//! `POST /api/v1/address` (a user who already has one: the answer both give every later
//! call), and the tickets page of users with 2,000 and 10,000 tickets; 8 keep-alive clients,
//! each app measured twice, alternating. Sign-in is not measured: hcpool allows 10 attempts a
//! minute per client IP (docs/compat.md), so a loop measures its limiter.

#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context, Result};
use hcpool_compat::{page, work_dir, Client, Db, Hcpool, Orig, OrigWeb};
use hcpool_core::{Network, PoolKeys};
use hcpool_simnet::{
    SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use serde_json::Value;

const CLIENTS: usize = 8;
const PASSWORD: &str = "password-one-1";
const PAID: i64 = 20_000_000;

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
    let ports = hcpool_compat::Ports::hold([36090, 36290]);
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
    let db_h = db.copy(&db_o, "bench_hcpool").await?;
    let conf = format!(
        "{}\ndburl={}\napisecret=0123456789abcdef0123456789abcdef\ncookiesecret=fedcba9876543210fedcba9876543210\nbaseurl=http://127.0.0.1:36290\nminservers=2\napiratelimit=0\nnosmtp=1\n",
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
    ours.stop().await;
    drop(orig);
    db.drop_all().await;
    Ok(())
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

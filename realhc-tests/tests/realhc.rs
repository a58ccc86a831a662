//! hcpool's lifecycle on the real hcd/hcwallet: one resumed copy of the chain snapshot, the
//! scenarios in order on it, one line each, then `N passed, M failed` (non-zero exit on a
//! failure). Results are read from hcd (mined votes, revocations, live tickets), not from
//! hcpool's logs, which go to `target/realhc/suite/hcpool.log`.
//!
//! Skipped, with the reason printed, unless `HCPOOL_REALHC` names `../shared/realhc`.

#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use hcpool_core::TicketHash;
use hcpool_realhc::chain::{percentile, Vote};
use hcpool_realhc::pool::{api, between, Browser, Node, Web};
use hcpool_realhc::{realhc_dir, Suite};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse 9";
/// The first user signed up on the web is the admin (the snapshot's pool user is 1).
const ADMIN: u64 = 2;
/// agenda 0 "yes" (4) plus bit 0.
const CHOICE: &str = "4";
const BITS: u16 = 5;
/// Tickets the customer buys: enough that some win within a few blocks of ~600 live.
const PAID: u32 = 30;
const LOW_FEE: u32 = 25;
/// A pool fee far below the pool's 7.5 %.
const LOW_POOLFEES: f64 = 0.5;
/// The whole run, set-up included.
const BUDGET: Duration = Duration::from_secs(15 * 60);

/// What the scenarios hand on to each other.
#[derive(Default)]
struct Ctx {
    admin: Option<Browser>,
    admin_email: String,
    token: Option<String>,
    msa: Option<String>,
    fee_addr: String,
    pool_fees: f64,
    paid: Vec<TicketHash>,
    low_fee: Vec<TicketHash>,
    added: Vec<TicketHash>,
    voted_added: Vec<TicketHash>,
    users: u32,
}

fn main() -> ExitCode {
    let realhc = match realhc_dir() {
        Ok(d) => d,
        Err(why) => {
            println!("realhc suite {why}");
            return ExitCode::SUCCESS;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            println!("realhc suite: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let work = hcpool_realhc::work_dir("suite");
    let _ = std::fs::create_dir_all(&work);
    if let Ok(f) = std::fs::File::create(work.join("hcpool.log")) {
        let filter = tracing_subscriber::EnvFilter::try_from_env("HCPOOL_LOG")
            .unwrap_or_else(|_| "info".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(f))
            .try_init();
    }
    rt.block_on(async {
        match tokio::time::timeout(BUDGET, run(&realhc)).await {
            Ok(code) => code,
            Err(_) => {
                println!(
                    "realhc suite FAILED: over its {} s budget (chain stopped)",
                    BUDGET.as_secs()
                );
                ExitCode::FAILURE
            }
        }
    })
}

struct Report {
    passed: u32,
    failed: u32,
    failures: HashSet<&'static str>,
}

impl Report {
    fn line(&mut self, name: &'static str, r: Result<()>, took: Duration) {
        match r {
            Ok(()) => {
                self.passed += 1;
                println!("realhc: ok     {name} ({:.1} s)", took.as_secs_f64());
            }
            Err(e) => {
                self.failed += 1;
                self.failures.insert(name);
                println!("realhc: FAILED {name} ({:.1} s): {e:#}", took.as_secs_f64());
            }
        }
    }

    fn needs(&self, deps: &[&'static str]) -> Result<()> {
        for d in deps {
            ensure!(!self.failures.contains(d), "not run: needs \"{d}\"");
        }
        Ok(())
    }
}

macro_rules! scenario {
    ($report:expr, $name:expr, [$($dep:expr),*], $body:expr) => {{
        let t = Instant::now();
        let r = match $report.needs(&[$($dep),*]) {
            Ok(()) => $body.await,
            Err(e) => Err(e),
        };
        $report.line($name, r, t.elapsed());
    }};
}

const SELF_VOTING: &str =
    "stakepoold refuses a voting wallet that votes by itself (walletinfo.voting)";
const SIGNUP: &str = "sign-up, verification, sign-in (web)";
const REGISTER: &str =
    "address registration from the user wallet's pubkey; script in both voting wallets";
const VOTEBITS: &str = "votebits chosen on the voting page reach the API";
const SECOND: &str = "a second user through the API";
const BUY: &str = "the user wallet buys pool tickets (paid and low-fee)";
const MISSED: &str = "a missed pool ticket is revoked on chain and leaves tickets_to_revoke";
const MATURE: &str = "tickets mature: paid ones live, low-fee ones ignored, in both stakepoold";
const POOLFEES: &str =
    "stakepoold's poolfees cross-checked against the real wallet's verdicts (wrong rate refused)";
const ADD_LOW: &str = "the admin adds the low-fee tickets (web); both stakepoold take them";
const VOTED: &str = "the user's tickets win; the mined votes carry the user's votebits";
const RECORDS: &str =
    "the user's signed vote records verify against the real hcd; a tampered one fails";
const MARKED: &str = "a voted added low-fee ticket is no longer votable in the store";
const TAKEN_PORT: &str =
    "a second web instance on a taken port fails to bind and pushes nothing to stakepoold";
const WEB_RESTART: &str = "restart of the web app: nothing lost";
const NODE_RESTART: &str = "restart of one stakepoold: nothing lost, it votes again";
const WALLET_DOWN: &str = "one voting wallet down: registration gated, voting continues; back up";
const HCD_RESTART: &str = "restart of hcd: wallets and stakepoold reconnect, voting continues";
const STATS: &str = "/api/v2/stats names the tip after each block";
const SETTLED: &str = "revocations settled: nothing to revoke, no repeated revoketickets failures";

async fn run(realhc: &std::path::Path) -> ExitCode {
    let t0 = Instant::now();
    let base = hcpool_realhc::base_port(24000);
    let mut suite = match Suite::setup(realhc, "suite", base, ADMIN).await {
        Ok(s) => s,
        Err(e) => {
            println!("realhc: FAILED set-up (resume the snapshot, hcpool on it): {e:#}");
            println!(
                "realhc suite: 0 passed, 1 failed ({:.0} s)",
                t0.elapsed().as_secs_f64()
            );
            return ExitCode::FAILURE;
        }
    };
    println!(
        "realhc: set-up {:.1} s (resume + voters manual + stakepoold ×2 + web, store on {}) at height {}",
        suite.resumed_in.as_secs_f64(),
        suite.store_kind(),
        suite.chain.height().await.unwrap_or(0)
    );
    let mut c = Ctx::default();
    let mut r = Report {
        passed: 0,
        failed: 0,
        failures: HashSet::new(),
    };
    scenario!(r, SELF_VOTING, [], async {
        suite.self_voting.clone().map_err(anyhow::Error::msg)
    });
    scenario!(r, SIGNUP, [], signup(&suite, &mut c));
    scenario!(r, REGISTER, [SIGNUP], register(&suite, &mut c));
    scenario!(r, VOTEBITS, [REGISTER], votebits(&suite, &mut c));
    scenario!(r, SECOND, [], second_user(&suite, &mut c));
    scenario!(r, BUY, [VOTEBITS], buy(&mut suite, &mut c));
    scenario!(r, MATURE, [BUY], mature(&mut suite, &mut c));
    scenario!(r, POOLFEES, [MATURE], pool_fees_checked(&suite));
    scenario!(r, ADD_LOW, [MATURE], add_low_fee(&suite, &mut c));
    scenario!(r, MISSED, [MATURE], missed(&mut suite, &c));
    scenario!(r, VOTED, [MATURE], voted(&mut suite, &mut c));
    scenario!(r, MARKED, [VOTED], low_fee_marked(&mut suite, &c));
    scenario!(r, RECORDS, [VOTED], vote_records(&suite, &c));
    scenario!(r, TAKEN_PORT, [ADD_LOW], taken_port(&suite));
    scenario!(r, WEB_RESTART, [VOTEBITS], web_restart(&mut suite, &c));
    scenario!(r, NODE_RESTART, [], node_restart(&mut suite, &c));
    scenario!(r, WALLET_DOWN, [], wallet_down(&mut suite, &mut c));
    scenario!(r, STATS, [], stats_fresh(&suite));
    scenario!(r, SETTLED, [], settled(&mut suite));
    // Last: hcd forgets its mempool, so the tip's votes must come back for mining to go on.
    scenario!(r, HCD_RESTART, [], hcd_restart(&mut suite, &c));

    figures(&suite);
    quiet_latency(&mut suite).await;
    suite.shutdown().await;
    println!(
        "realhc suite: {} passed, {} failed ({:.0} s)",
        r.passed,
        r.failed,
        t0.elapsed().as_secs_f64()
    );
    if r.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Vote latency and start-up figures: printed, never asserted.
fn figures(s: &Suite) {
    let mut lat: Vec<Duration> = s
        .running_nodes()
        .flat_map(|n| n.probe.latencies())
        .collect();
    lat.sort();
    let ms =
        |d: Option<Duration>| d.map_or("-".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3));
    let slow = lat.iter().filter(|d| d.as_secs() >= 1).count();
    println!(
        "realhc figures: winningtickets → vote accepted by hcd over {} votes ({slow} over 1 s, \
         outages on purpose): p50 {}, p99 {}, max {}",
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied()),
    );
    let starts: Vec<String> = s
        .running_nodes()
        .map(|n| format!("{:.0} ms", n.started_in.as_secs_f64() * 1e3))
        .collect();
    println!(
        "realhc figures: start-up to serving: stakepoold {}, web {}",
        starts.join(" / "),
        s.web.as_ref().map_or("-".into(), |w| format!(
            "{:.0} ms",
            w.started_in.as_secs_f64() * 1e3
        )),
    );
}

/// The vote latency again, over at least 100 votes of blocks mined with nothing stopped
/// (printed, not asserted; a failure to mine is printed too).
async fn quiet_latency(s: &mut Suite) {
    let marks: Vec<usize> = s
        .nodes
        .iter()
        .map(|n| n.as_ref().map_or(0, |n| n.probe.accepted().len()))
        .collect();
    let new = |s: &Suite| -> usize {
        s.nodes
            .iter()
            .zip(&marks)
            .map(|(n, m)| n.as_ref().map_or(0, |n| n.probe.accepted().len() - m))
            .sum()
    };
    let mut blocks = 0;
    while new(s) < 100 && blocks < 80 {
        if let Err(e) = s.mine(1).await {
            println!("realhc figures: quiet latency run stopped after {blocks} blocks: {e:#}");
            break;
        }
        blocks += 1;
    }
    let mut lat: Vec<Duration> = s
        .nodes
        .iter()
        .zip(&marks)
        .filter_map(|(n, m)| n.as_ref().map(|n| n.probe.latencies_since(*m)))
        .flatten()
        .collect();
    lat.sort();
    let ms =
        |d: Option<Duration>| d.map_or("-".into(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3));
    println!(
        "realhc figures: quiet run, {} votes in {blocks} blocks: winningtickets → vote accepted \
         by hcd p50 {}, p90 {}, p99 {}, max {}",
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 90.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied()),
    );
}

/// Signs `email` up on the web and verifies it through the mailed link.
async fn signup_user(s: &Suite, email: &str) -> Result<Browser> {
    let web = s.web()?;
    let b = Browser::new(&web.origin)?;
    let (st, page) = b
        .post(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("passwordrepeat", PASSWORD),
            ],
        )
        .await?;
    ensure!(
        st == 200 && page.contains("A verification email has been sent to"),
        "sign-up answered {st}"
    );
    // The outbox sender sends it in the background (bounded wait).
    let mut mail = None;
    for _ in 0..200 {
        mail = web.mail.last_to(email);
        if mail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = mail.context("no verification mail within 10 s")?;
    let link = mail
        .body
        .split_whitespace()
        .find(|w| w.starts_with("http://pool.test/emailverify?t="))
        .context("no verification link in the mail")?;
    let (st, page) = b.get(link.trim_start_matches("http://pool.test")).await?;
    ensure!(
        st == 200 && page.to_lowercase().contains("verified"),
        "verification answered {st}"
    );
    let (st, page) = b
        .post(
            "/signin",
            "/signin",
            &[("email", email), ("password", PASSWORD)],
        )
        .await?;
    ensure!(
        st == 200 && page.contains("UserPubKeyAddr"),
        "sign-in answered {st} without the address page"
    );
    Ok(b)
}

async fn token_of(b: &Browser) -> Result<String> {
    let page = b.get("/settings").await?.1;
    Ok(between(&page, "<pre id=\"apitoken\">", "</pre>")
        .context("no API token on /settings")?
        .trim()
        .to_owned())
}

async fn signup(s: &Suite, c: &mut Ctx) -> Result<()> {
    c.admin_email = "alice@realhc.test".into();
    c.admin = Some(signup_user(s, &c.admin_email).await?);
    c.users += 1;
    Ok(())
}

async fn register(s: &Suite, c: &mut Ctx) -> Result<()> {
    let b = c.admin.as_ref().context("not signed in")?;
    let pk = s.new_user_pubkey().await?;
    let (st, page) = b
        .post("/address", "/address", &[("UserPubKeyAddr", &pk)])
        .await?;
    ensure!(
        st == 200 && page.contains("Address registered"),
        "address page answered {st}: {}",
        snippet(&page)
    );
    let token = token_of(b).await?;
    let info = api(
        &s.web()?.origin,
        "GET",
        "getpurchaseinfo",
        Some(&token),
        &[],
    )
    .await?;
    ensure!(info["status"] == "success", "getpurchaseinfo: {info}");
    let msa = info["data"]["TicketAddress"]
        .as_str()
        .context("no TicketAddress")?
        .to_owned();
    s.wallets_hold(&msa).await?;
    c.fee_addr = info["data"]["PoolAddress"]
        .as_str()
        .context("no PoolAddress")?
        .to_owned();
    c.pool_fees = info["data"]["PoolFees"].as_f64().context("no PoolFees")?;
    ensure!(
        (c.pool_fees - 7.5).abs() < 1e-9,
        "the pool fee the user is told ({}) is not the wallets' 7.5",
        c.pool_fees
    );
    c.token = Some(token);
    c.msa = Some(msa);
    Ok(())
}

async fn votebits(s: &Suite, c: &mut Ctx) -> Result<()> {
    let b = c.admin.as_ref().context("not signed in")?;
    let (st, page) = b.post("/voting", "/voting", &[("agenda0", CHOICE)]).await?;
    ensure!(
        st == 200 && page.contains("successfully updated voting preferences"),
        "voting page answered {st}: {}",
        snippet(&page)
    );
    let info = api(
        &s.web()?.origin,
        "GET",
        "getpurchaseinfo",
        c.token.as_deref(),
        &[],
    )
    .await?;
    ensure!(
        info["data"]["VoteBits"] == json!(BITS),
        "getpurchaseinfo: {info}"
    );
    Ok(())
}

async fn second_user(s: &Suite, c: &mut Ctx) -> Result<()> {
    let email = "bob@realhc.test";
    let b = signup_user(s, email).await?;
    c.users += 1;
    let token = token_of(&b).await?;
    let origin = &s.web()?.origin;
    let pk = s.new_user_pubkey().await?;
    let r = api(
        origin,
        "POST",
        "address",
        Some(&token),
        &[("UserPubKeyAddr", &pk)],
    )
    .await?;
    ensure!(r["status"] == "success", "API address: {r}");
    let again = api(
        origin,
        "POST",
        "address",
        Some(&token),
        &[("UserPubKeyAddr", &pk)],
    )
    .await?;
    ensure!(
        again["status"] == "error",
        "a second registration must fail: {again}"
    );
    let info = api(origin, "GET", "getpurchaseinfo", Some(&token), &[]).await?;
    let msa = info["data"]["TicketAddress"]
        .as_str()
        .with_context(|| format!("getpurchaseinfo: {info}"))?;
    ensure!(Some(msa) != c.msa.as_deref(), "two users got one multisig");
    s.wallets_hold(msa).await?;
    let r = api(origin, "POST", "voting", Some(&token), &[("VoteBits", "5")]).await?;
    ensure!(r["status"] == "success", "API voting: {r}");
    let info = api(origin, "GET", "getpurchaseinfo", Some(&token), &[]).await?;
    ensure!(
        info["data"]["VoteBits"] == json!(5),
        "getpurchaseinfo: {info}"
    );
    // Both daemons got the new users (they map tickets to users by multisig).
    Ok(())
}

fn hashes(v: &Value) -> Result<Vec<TicketHash>> {
    v.as_array()
        .with_context(|| format!("purchaseticket answered {v}"))?
        .iter()
        .map(|h| {
            h.as_str()
                .context("not a string")?
                .parse::<TicketHash>()
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect()
}

async fn buy(s: &mut Suite, c: &mut Ctx) -> Result<()> {
    let msa = c.msa.clone().context("no multisig")?;
    let buy = |n: u32, fees: f64| {
        s.user_call(
            "purchaseticket",
            vec![
                json!("default"),
                json!(1000),
                json!(1),
                json!(msa),
                json!(n),
                json!(c.fee_addr),
                json!(fees),
            ],
        )
    };
    c.paid = hashes(&buy(PAID, c.pool_fees).await?)?;
    c.low_fee = hashes(&buy(LOW_FEE, LOW_POOLFEES).await?)?;
    ensure!(
        c.paid.len() == PAID as usize && c.low_fee.len() == LOW_FEE as usize,
        "bought {} + {}",
        c.paid.len(),
        c.low_fee.len()
    );
    // Mined within a few blocks (at most 20 new tickets per block).
    let mut all: Vec<TicketHash> = c.paid.clone();
    all.extend(&c.low_fee);
    for _ in 0..6 {
        s.mine(1).await?;
        let pool: Vec<String> = s
            .chain
            .client()
            .call("getrawmempool", vec![json!(false), json!("tickets")])
            .await?;
        if !all.iter().any(|t| pool.contains(&t.to_string())) {
            return Ok(());
        }
    }
    bail!("the tickets were not all mined within 6 blocks")
}

async fn missed(s: &mut Suite, c: &Ctx) -> Result<()> {
    // One of the user's paid tickets (bought at today's price: its revocation can pay the
    // relay fee) is left unvoted by both daemons.
    let mut live = Vec::new();
    for t in &c.paid {
        if s.chain.is_live(t).await? {
            live.push(*t);
        }
    }
    s.suppress.arm(live);
    let mut chosen = None;
    for _ in 0..30 {
        s.mine(1).await?;
        if let Some(c) = s.suppress.chosen() {
            chosen = Some(c);
            break;
        }
    }
    s.suppress.disarm();
    let (voted_on, ticket) = chosen.context("none of the user's tickets won in 30 blocks")?;
    // The block after the draw is mined without it (≥ 3 other votes), so it is missed.
    let mut h = s.chain.height().await?;
    if h <= voted_on {
        h = s.mine(1).await?;
    }
    let votes = s.chain.mined_votes(voted_on + 1, voted_on + 1).await?;
    ensure!(
        !votes.iter().any(|(_, v)| v.ticket == ticket),
        "the suppressed ticket {ticket} was voted anyway"
    );
    // Revoked on chain (by the wallets or stakepoold) and no longer to revoke anywhere.
    let mut revoked = None;
    let mut failures_then = None;
    for _ in 0..8 {
        if revoked.is_none() {
            revoked = s.chain.revoked_at(&ticket, voted_on + 1, h).await?;
        }
        let pending: Vec<usize> = s
            .running_nodes()
            .map(|n| {
                n.daemon
                    .pending_revocations()
                    .iter()
                    .filter(|p| p.ticket == ticket)
                    .count()
            })
            .collect();
        let failures: u64 = s
            .running_nodes()
            .map(|n| n.daemon.metrics().snapshot().revocation_failures)
            .sum();
        if revoked.is_some() && pending.iter().all(|p| *p == 0) {
            // Settled: and the failure count stops growing over the next two blocks.
            match failures_then {
                None => failures_then = Some((failures, h)),
                Some((f, at)) if h >= at + 2 => {
                    ensure!(
                        failures == f,
                        "revoketickets keeps failing after the revocation: {f} → {failures} \
                         failures in blocks {at}..{h}"
                    );
                    ensure!(!s.chain.is_live(&ticket).await?, "{ticket} still live");
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        h = s.mine(1).await?;
    }
    let left: Vec<String> = s
        .running_nodes()
        .map(|n| {
            let m = n.daemon.metrics().snapshot();
            format!(
                "to_revoke {} (revoketickets failures {})",
                n.daemon.tickets_to_revoke().len(),
                m.revocation_failures
            )
        })
        .collect();
    bail!(
        "missed ticket {ticket} (drawn at {voted_on}): revoked on chain at {revoked:?}; \
         stakepoold after 8 more blocks: {}",
        left.join(", ")
    )
}

fn listed(n: &Node, t: &TicketHash) -> (bool, bool, bool) {
    let has = |v: Vec<hcpool_core::backend::TicketEntry>| v.iter().any(|e| e.ticket_hash == *t);
    (
        has(n.daemon.live_tickets()),
        has(n.daemon.ignored_tickets()),
        has(n.daemon.added_tickets()),
    )
}

async fn mature(s: &mut Suite, c: &mut Ctx) -> Result<()> {
    // Tickets mature 16 blocks after they are mined; stakepoold learns of them from that
    // block's `newtickets`. Some may already have won (and been voted or missed): only
    // the ones still live on chain count.
    for _ in 0..24 {
        let mut ok = true;
        for t in c.paid.iter().chain(&c.low_fee) {
            if !s.chain.is_live(t).await? {
                ok = false;
                break;
            }
        }
        if ok {
            break;
        }
        s.mine(1).await?;
    }
    // Let both daemons handle the block's notifications.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut problems = Vec::new();
        for (i, n) in s.running_nodes().enumerate() {
            for t in &c.paid {
                if s.chain.is_live(t).await? && listed(n, t) != (true, false, false) {
                    problems.push(format!("stakepoold {i}: paid {t} is {:?}", listed(n, t)));
                }
            }
            for t in &c.low_fee {
                if s.chain.is_live(t).await? && listed(n, t) != (false, true, false) {
                    problems.push(format!("stakepoold {i}: low-fee {t} is {:?}", listed(n, t)));
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} problems (live, ignored, added), e.g. {}",
                problems.len(),
                problems[0]
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Issue 11 item 5: hcwallet cannot be asked for its `--poolfees`, so stakepoold compares
/// its own fee check with the wallet's `stakepooluserinfo` verdicts at start. Before the
/// fix it trusted a default of 5 % (and any rate it was given) without looking.
async fn pool_fees_checked(s: &Suite) -> Result<()> {
    use hcpool_core::PoolFeeRate;
    use stakepoold::feecheck::check_at_start;
    let spec = s.specs.first().context("no stakepoold spec")?;
    let with_rate = |rate: PoolFeeRate| {
        let mut spec = spec.clone();
        spec.pool_fees = rate;
        async move {
            let links = hcpool_realhc::pool::links(&spec, Some(s.store.clone()));
            let (deps, _notifications) = stakepoold::run::connect(links).await?;
            anyhow::Ok(check_at_start(&deps).await)
        }
    };
    // The pool's own rate: the wallet's verdicts and stakepoold's agree on every ticket.
    let same = with_rate(spec.pool_fees)
        .await?
        .context("at the wallets' own rate")?;
    ensure!(
        same.compared > 0 && same.disagreements.is_empty(),
        "at the wallets' rate: {} compared, {} disagree",
        same.compared,
        same.disagreements.len()
    );
    // Far above it: the user's paid tickets no longer pay enough for stakepoold.
    match with_rate(PoolFeeRate::from_percent(30.0)?).await? {
        Err(e @ stakepoold::Error::PoolFeesDisagree(_)) => {
            let text = e.to_string();
            ensure!(
                text.contains("poolfees"),
                "refusal without the key's name: {text}"
            );
        }
        Err(e) => bail!("refused at 30 %, but not for the pool fee: {e}"),
        Ok(r) => bail!(
            "started at 30 % against wallets at {:?}: {} compared, {} disagree",
            spec.pool_fees,
            r.compared,
            r.disagreements.len()
        ),
    }
    Ok(())
}

async fn add_low_fee(s: &Suite, c: &mut Ctx) -> Result<()> {
    let b = c.admin.as_ref().context("not signed in")?;
    let (st, page) = b.get("/admintickets").await?;
    ensure!(st == 200, "/admintickets answered {st}");
    let mut live_low = Vec::new();
    for t in &c.low_fee {
        if s.chain.is_live(t).await? {
            live_low.push(*t);
        }
    }
    ensure!(
        !live_low.is_empty(),
        "every low-fee ticket already left the pool"
    );
    for t in &live_low {
        ensure!(
            page.contains(&t.to_string()),
            "/admintickets does not list {t}"
        );
    }
    let strings: Vec<String> = live_low.iter().map(ToString::to_string).collect();
    let mut form: Vec<(&str, &str)> = vec![("action", "Add")];
    form.extend(strings.iter().map(|t| ("tickets", t.as_str())));
    let (st, page) = b.post("/admintickets", "/admintickets", &form).await?;
    ensure!(
        st == 200 && page.contains("successfully added"),
        "adding answered {st}: {}",
        snippet(&page)
    );
    s.wait_for(
        "both stakepoold to list the added tickets live",
        Duration::from_secs(30),
        || async {
            Ok(s.running_nodes().all(|n| {
                live_low.iter().all(|t| {
                    let (live, ignored, added) = listed(n, t);
                    live && !ignored && added
                })
            }))
        },
    )
    .await?;
    c.added = live_low;
    Ok(())
}

async fn voted(s: &mut Suite, c: &mut Ctx) -> Result<()> {
    let from = s.chain.height().await?.saturating_sub(30);
    let mine: HashSet<TicketHash> = c.paid.iter().chain(&c.low_fee).copied().collect();
    let mut checked = from;
    let mut votes: Vec<(u32, Vote)> = Vec::new();
    let want_added = !c.added.is_empty();
    for _ in 0..40 {
        let h = s.chain.height().await?;
        votes.extend(
            s.chain
                .mined_votes(checked + 1, h)
                .await?
                .into_iter()
                .filter(|(_, v)| mine.contains(&v.ticket)),
        );
        checked = h;
        let paid = votes.iter().any(|(_, v)| c.paid.contains(&v.ticket));
        let added = votes.iter().any(|(_, v)| c.added.contains(&v.ticket));
        if paid && (added || !want_added) {
            break;
        }
        s.mine(1).await?;
    }
    ensure!(
        votes.iter().any(|(_, v)| c.paid.contains(&v.ticket)),
        "none of the user's {} paid tickets had a vote mined",
        c.paid.len()
    );
    for (h, v) in &votes {
        ensure!(
            v.bits == BITS,
            "the vote {} for the user's ticket {} mined at {h} has votebits {} (user chose {BITS})",
            v.tx,
            v.ticket,
            v.bits
        );
    }
    ensure!(
        !want_added || votes.iter().any(|(_, v)| c.added.contains(&v.ticket)),
        "none of the {} added low-fee tickets had a vote mined within 40 blocks",
        c.added.len()
    );
    println!(
        "realhc:        {} votes of the user's tickets mined, all with votebits {BITS}",
        votes.len()
    );
    c.voted_added = votes
        .iter()
        .map(|(_, v)| v.ticket)
        .filter(|t| c.added.contains(t))
        .collect();
    Ok(())
}

/// Issue 16 row 8 on the real chain: the records `GET /api/v2/voterecords` serves (fetched
/// as `hcpoolctl verify-votes --pool` fetches them) are signed with the published key and
/// hold on the real hcd: block in the main chain, the vote mined there, spending the
/// ticket with the user's votebits.
async fn vote_records(s: &Suite, c: &Ctx) -> Result<()> {
    use hcpool_core::voterecord::{verify_record, RecordFailure, VoteRecordPubKey};
    let origin = &s.web()?.origin;
    let token = c.token.as_deref().context("no API token")?;
    let key = api(origin, "GET", "voterecordkey", None, &[]).await?;
    let pinned: VoteRecordPubKey = key["data"]["pubkey"]
        .as_str()
        .context("no pubkey")?
        .parse()?;
    let doc =
        hcpool_rpc::voterecords::fetch(origin, token, &hcpool_rpc::voterecords::PoolTrust::WebPki)
            .await?;
    ensure!(!doc.records.is_empty(), "no vote records");
    let node = hcpool_rpc::JsonRpcNode::from_client(s.chain.client().clone());
    for r in &doc.records {
        verify_record(r, &pinned, &node)
            .await
            .with_context(|| format!("record of ticket {}", r.record.ticket))?;
        ensure!(
            r.record.votebits == BITS && r.record.requested_votebits == BITS,
            "record {:?}",
            r.record
        );
        ensure!(
            c.paid.contains(&r.record.ticket),
            "not the user's ticket: {:?}",
            r.record
        );
    }
    let mut tampered = doc.records[0].clone();
    tampered.record.block_height += 1;
    ensure!(
        verify_record(&tampered, &pinned, &node).await == Err(RecordFailure::BadSignature),
        "a tampered record verified"
    );
    println!(
        "realhc:        {} signed vote records verified on hcd",
        doc.records.len()
    );
    Ok(())
}

/// The admin-added low-fee tickets in every running daemon: those still live on chain are
/// live and added; the others (voted, or missed) are not listed as ignored.
async fn added_tickets_kept(s: &Suite, c: &Ctx, when: &str) -> Result<()> {
    let flags = s.chain.live_flags(&c.added).await?;
    for (i, n) in s.running_nodes().enumerate() {
        for (t, live) in c.added.iter().zip(&flags) {
            let (l, ignored, added) = listed(n, t);
            if *live {
                ensure!(
                    l && added && !ignored,
                    "{when}: stakepoold {i} lists the added live ticket {t} as (live {l}, ignored {ignored}, added {added})"
                );
            } else {
                ensure!(
                    !ignored,
                    "{when}: stakepoold {i} lists the added ticket {t}, no longer live, as ignored"
                );
            }
        }
    }
    Ok(())
}

async fn low_fee_marked(s: &mut Suite, c: &Ctx) -> Result<()> {
    // So the web stops pushing it and a restarted stakepoold does not load it again.
    let voted_added = &c.voted_added;
    ensure!(!voted_added.is_empty(), "no added low-fee ticket was voted");
    s.mine(1).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let votable = s.store.votable_low_fee_tickets(now).await?;
    let still: Vec<String> = votable
        .iter()
        .filter(|t| voted_added.contains(&t.ticket_hash))
        .map(|t| t.ticket_hash.to_string())
        .collect();
    ensure!(
        still.is_empty(),
        "{} of the {} voted added low-fee tickets are still votable in the store (Voted = 0), e.g. {}",
        still.len(),
        voted_added.len(),
        still[0]
    );
    Ok(())
}

/// Issue 11 item 4: an instance used to push the store's state to the voting nodes while
/// it was being built, before it bound its port; a second instance started by mistake on
/// a taken port had then already pushed. The store gets a low-fee row the running
/// instance never pushed; the second instance must fail without the nodes seeing it.
async fn taken_port(s: &Suite) -> Result<()> {
    use hcpool_core::backend::NewLowFeeTicket;
    let port = s.web()?.port();
    let stray = TicketHash::from_bytes([0x5a; 32]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    s.store
        .add_low_fee_tickets(&[NewLowFeeTicket {
            added_by: hcpool_core::UserId(ADMIN),
            ticket_address: "ScuQxvveKGfpG1ypt6u27F99Anf7EW3cqhq".parse()?,
            ticket_hash: stray,
            created: now,
            expires: now + 3600,
        }])
        .await?;
    let second = Web::start(&s.web_conf(ADMIN)?, s.sim.work(), port).await;
    // Give a push that was started anyway the time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen: Vec<usize> = s
        .running_nodes()
        .enumerate()
        .filter(|(_, n)| {
            n.daemon
                .added_tickets()
                .iter()
                .any(|t| t.ticket_hash == stray)
        })
        .map(|(i, _)| i)
        .collect();
    s.store.remove_low_fee_tickets(&[stray]).await?;
    if let Ok(w) = second {
        w.stop().await;
        bail!("a second instance started on the taken port {port}");
    }
    ensure!(
        seen.is_empty(),
        "stakepoold {seen:?} got the unpushed row from the instance that could not bind"
    );
    Ok(())
}

async fn web_restart(s: &mut Suite, c: &Ctx) -> Result<()> {
    let old = s.web.take().context("no web app")?;
    let port = old.port();
    old.stop().await;
    let conf = s.web_conf(ADMIN)?;
    let web = match Web::start(&conf, s.sim.work(), port).await {
        Ok(w) => w,
        Err(_) => Web::start(&conf, s.sim.work(), 0).await?,
    };
    let origin = web.origin.clone();
    s.web = Some(web);
    let info = api(&origin, "GET", "getpurchaseinfo", c.token.as_deref(), &[]).await?;
    ensure!(
        info["data"]["VoteBits"] == json!(BITS)
            && info["data"]["TicketAddress"].as_str() == c.msa.as_deref(),
        "after the restart getpurchaseinfo says {info}"
    );
    let stats = api(&origin, "GET", "stats", None, &[]).await?;
    ensure!(
        stats["data"]["UserCount"].as_u64() >= Some(u64::from(c.users) + 1),
        "stats after the restart: {stats}"
    );
    // A fresh sign-in works against the restarted app.
    let b = Browser::new(&origin)?;
    let (st, page) = b
        .post(
            "/signin",
            "/signin",
            &[("email", c.admin_email.as_str()), ("password", PASSWORD)],
        )
        .await?;
    ensure!(st == 200, "sign-in after the restart answered {st}");
    ensure!(
        !page.contains("UserPubKeyAddr\" value=\"\""),
        "the registered user is asked for an address again"
    );
    let h = s.mine(1).await?;
    ensure!(
        s.stats_log.last().is_some_and(|(tip, _)| *tip == h),
        "no stats read after the block"
    );
    added_tickets_kept(s, c, "after the web restart").await
}

async fn node_restart(s: &mut Suite, c: &Ctx) -> Result<()> {
    let node = s.nodes[0].take().context("stakepoold 0 is stopped")?;
    node.stop().await;
    // One block with only stakepoold 1 voting.
    s.mine(1).await?;
    let node = Node::start(&s.specs[0]).await?;
    s.nodes[0] = Some(node);
    ensure!(
        !hcpool_realhc::pool::PORT_HELD_AFTER_STOP.load(std::sync::atomic::Ordering::Relaxed),
        "the stopped daemon's gRPC port stayed bound until one more connection came in \
         (hcpool-rpc tls_incoming's accept loop outlived the server)"
    );
    let h = s.mine(1).await?;
    s.wait_for(
        "the restarted stakepoold to see the new block",
        Duration::from_secs(30),
        || async { Ok(s.node(0)?.daemon.health().last_block_height == Some(h)) },
    )
    .await?;
    // Nothing lost: every pool ticket the other daemon lists that is live on chain.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let other: Vec<TicketHash> = s
        .node(1)?
        .daemon
        .live_tickets()
        .iter()
        .map(|t| t.ticket_hash)
        .collect();
    let flags = s.chain.live_flags(&other).await?;
    let restarted: HashSet<TicketHash> = s
        .node(0)?
        .daemon
        .live_tickets()
        .iter()
        .map(|t| t.ticket_hash)
        .collect();
    let lost: Vec<&TicketHash> = other
        .iter()
        .zip(&flags)
        .filter(|(t, live)| **live && !restarted.contains(t))
        .map(|(t, _)| t)
        .collect();
    let stale = flags.iter().filter(|l| !**l).count();
    if stale > 0 {
        println!(
            "realhc:        note: the daemon that kept running lists {stale} ticket(s) as live that hcd no longer has live"
        );
    }
    ensure!(
        lost.is_empty(),
        "the restarted stakepoold lacks {} live pool ticket(s), e.g. {}",
        lost.len(),
        lost[0]
    );
    for t in &c.paid {
        if s.chain.is_live(t).await? {
            ensure!(
                listed(s.node(0)?, t).0,
                "the restarted stakepoold lost the user's live ticket {t}"
            );
        }
    }
    added_tickets_kept(s, c, "after the stakepoold restart").await?;
    // It votes again: within a few blocks it hands a vote to hcd (cast or duplicate).
    for _ in 0..6 {
        let m = s.node(0)?.daemon.metrics().snapshot();
        if m.votes_cast + m.votes_duplicate > 0 {
            return Ok(());
        }
        s.mine(1).await?;
    }
    bail!("the restarted stakepoold voted nothing in 6 blocks")
}

async fn wallet_down(s: &mut Suite, c: &mut Ctx) -> Result<()> {
    let argv = s.sim.stop_one("vote2").await?;
    let result = async {
        let email = "carol@realhc.test";
        let b = signup_user(s, email).await?;
        c.users += 1;
        let token = token_of(&b).await?;
        let pk = s.new_user_pubkey().await?;
        let origin = s.web()?.origin.clone();
        let r = api(
            &origin,
            "POST",
            "address",
            Some(&token),
            &[("UserPubKeyAddr", &pk)],
        )
        .await?;
        ensure!(
            r["status"] == "error" && r["code"] == json!(14),
            "registration with vote2 down must be refused (code 14, unavailable): {r}"
        );
        let before: Vec<u64> = s
            .running_nodes()
            .map(|n| n.probe.accepted().len() as u64)
            .collect();
        s.mine(3).await?;
        let after: Vec<u64> = s
            .running_nodes()
            .map(|n| n.probe.accepted().len() as u64)
            .collect();
        ensure!(
            after[0] > before[0],
            "stakepoold on vote1 relayed no vote in 3 blocks while vote2 was down"
        );
        Ok((token, pk))
    }
    .await;
    s.sim.start_again("vote2", &argv)?;
    let (token, pk) = result?;
    let vote2 = &s.voting_wallets[1];
    s.wait_for(
        "vote2 back and synced",
        Duration::from_secs(120),
        || async {
            let Ok(info) = vote2.call_value("walletinfo", vec![]).await else {
                return Ok(false);
            };
            let Ok(best) = vote2.call_value("getbestblock", vec![]).await else {
                return Ok(false);
            };
            Ok(info["daemonconnected"] == json!(true)
                && best["height"].as_u64() == Some(u64::from(s.chain.height().await?)))
        },
    )
    .await?;
    s.wait_for(
        "stakepoold 1's wallet link",
        Duration::from_secs(60),
        || async { Ok(s.node(1)?.daemon.health().wallet_connected) },
    )
    .await?;
    let origin = s.web()?.origin.clone();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = api(
            &origin,
            "POST",
            "address",
            Some(&token),
            &[("UserPubKeyAddr", &pk)],
        )
        .await?;
        if r["status"] == "success" {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("registration still refused 90 s after vote2 came back: {r}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn hcd_restart(s: &mut Suite, c: &Ctx) -> Result<()> {
    let argv = s.sim.stop_one("hcd").await?;
    s.sim.start_again("hcd", &argv)?;
    s.wait_for("hcd to answer", Duration::from_secs(60), || async {
        Ok(s.chain.height().await.is_ok())
    })
    .await?;
    let h = s.chain.height().await?;
    for w in ["user", "vote1", "vote2", "solo"] {
        let cl = s.sim.post_client(w).await?;
        s.wait_for(
            &format!("wallet {w} to reconnect to hcd"),
            Duration::from_secs(150),
            || async {
                Ok(cl
                    .call_value("walletinfo", vec![])
                    .await
                    .is_ok_and(|i| i["daemonconnected"] == json!(true)))
            },
        )
        .await?;
    }
    s.wait_for(
        "both stakepoold to reconnect to hcd",
        Duration::from_secs(60),
        || async { Ok(s.running_nodes().all(|n| n.daemon.health().node_connected)) },
    )
    .await?;
    // The tip's winners were announced while the wallets were away: they vote what the
    // wallets re-announce; mining carries on.
    s.mine(3).await?;
    ensure!(s.chain.height().await? == h + 3, "the chain did not move");
    // Nothing lost: the user's live tickets in stakepoold are the wallet's.
    let msa = c.msa.as_deref().context("no multisig")?;
    let info = s.voting_wallets[0]
        .call_value("stakepooluserinfo", vec![json!(msa)])
        .await?;
    // The wallet lists unrevoked missed tickets as live too: hcd decides.
    let listed_live: Vec<TicketHash> = info["tickets"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|t| t["status"] == "live")
        .filter_map(|t| t["ticket"].as_str()?.parse().ok())
        .collect();
    let flags = s.chain.live_flags(&listed_live).await?;
    let live: HashSet<String> = listed_live
        .iter()
        .zip(&flags)
        .filter(|(_, l)| **l)
        .map(|(t, _)| t.to_string())
        .collect();
    for (i, n) in s.running_nodes().enumerate() {
        let ours: HashSet<String> = n
            .daemon
            .live_tickets()
            .iter()
            .filter(|t| t.ticket_address == msa)
            .map(|t| t.ticket_hash.to_string())
            .collect();
        let missing: Vec<&String> = live.difference(&ours).collect();
        ensure!(
            missing.is_empty(),
            "stakepoold {i} lacks {} of the user's {} live tickets after the hcd restart",
            missing.len(),
            live.len()
        );
    }
    Ok(())
}

async fn stats_fresh(s: &Suite) -> Result<()> {
    ensure!(!s.stats_log.is_empty(), "no block mined");
    let stale: Vec<String> = s
        .stats_log
        .iter()
        .filter(|(tip, seen)| seen.is_some_and(|h| h != u64::from(*tip)))
        .map(|(tip, seen)| format!("tip {tip}: {seen:?}"))
        .collect();
    let unavailable: Vec<u32> = s
        .stats_log
        .iter()
        .filter(|(_, seen)| seen.is_none())
        .map(|(tip, _)| *tip)
        .collect();
    if !unavailable.is_empty() {
        println!(
            "realhc:        note: /api/v2/stats answered an error after {} block(s) ({:?}): \
             a wallet down, or the wallets' getstakeinfo not agreeing yet",
            unavailable.len(),
            unavailable
        );
    }
    ensure!(
        stale.is_empty(),
        "{} of {} blocks: BlockHeight not the tip within 5 s (first: {}; last: {})",
        stale.len(),
        s.stats_log.len(),
        stale[0],
        stale[stale.len() - 1]
    );
    Ok(())
}

async fn settled(s: &mut Suite) -> Result<()> {
    let before: Vec<u64> = s
        .running_nodes()
        .map(|n| n.daemon.metrics().snapshot().revocation_failures)
        .collect();
    s.mine(3).await?;
    let mut problems = Vec::new();
    for (i, n) in s.running_nodes().enumerate() {
        let pending = n.daemon.pending_revocations();
        let mut still = Vec::new();
        for p in &pending {
            // Missed in the last block: its revocation may not be mined yet.
            if p.missed_at + 2 <= s.chain.height().await? {
                still.push(p.ticket.to_string());
            }
        }
        let failures = n.daemon.metrics().snapshot().revocation_failures;
        if !still.is_empty() {
            problems.push(format!(
                "stakepoold {i} still to revoke: {}",
                still.join(", ")
            ));
        }
        if failures > before[i] {
            problems.push(format!(
                "stakepoold {i}: revoketickets failed {} more times in 3 blocks",
                failures - before[i]
            ));
        }
    }
    ensure!(problems.is_empty(), "{}", problems.join("; "));
    Ok(())
}

fn snippet(page: &str) -> String {
    let t: String = page.split_whitespace().collect::<Vec<_>>().join(" ");
    t.chars().take(300).collect()
}

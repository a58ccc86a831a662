//! hcpool beside the original hcstakepool (`../shared/hcstakepool-orig`), on one set of
//! simulated wallets (`SimCluster` on fixed ports 36100-36102):
//!
//! 1. **differential**: both web apps on copies of one MariaDB database (users inserted in
//!    the same order, so the same ids and derived addresses), the same requests to both;
//!    every difference must be allowed by name in [`ALLOWED`] (each entry names its
//!    `docs/compat.md` section), anything else fails. The three calls of the hcGUI wallet
//!    (`GET /api/v1/getpurchaseinfo`, `POST /api/v1/address`, `POST /api/v2/voting`) and the
//!    other API answers are compared byte for byte.
//! 2. **shared database**: the original and hcpool on one database: what a password change
//!    or sign-in on one does to the other, with and without `legacypasswords`; API tokens,
//!    email verification, the original restarting on a database hcpool migrated.
//! 3. **mixed deployments**: the original web app driving hcpool's stakepoold (in its
//!    `noclientauth` compatibility mode), and hcpool-web driving the original stakepoold;
//!    a preference change on the web side is used for the next vote (the mined vote's
//!    votebits).
//!
//! One line per scenario, then `N passed, M failed`. Skipped with the reason unless
//! `HCPOOL_ORIG` names `../shared/hcstakepool-orig` and `HCPOOL_TEST_MYSQL_URL` is set.
//! Whole run bounded by [`BUDGET`]. Logs: `target/compat/` (hcpool.log, each original's
//! out.log).

#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use hcpool_compat::{
    bcrypt_2a, mysql_root_url, orig_dir, page, until, work_dir, Client, Db, Hcpool,
    HcpoolStakepoold, Orig, OrigStakepoold, OrigWeb, Ports, Resp,
};
use hcpool_core::{Hash32, Network, PoolKeys, UserId};
use hcpool_simnet::{
    SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use serde_json::Value;

/// The whole run, set-up included.
const BUDGET: Duration = Duration::from_secs(300);
/// The simulated wallets (36100, 36101) and hcd (36102).
const SIM_PORT: u16 = 36100;
const API_SECRET: &str = "0123456789abcdef0123456789abcdef";
const COOKIE_SECRET: &str = "fedcba9876543210fedcba9876543210";
const PASSWORD: &str = "password-one-1";
/// 10 % of the 2-coin ticket price: above the 7.5 % pool fee.
const PAID: i64 = 20_000_000;

/// A deliberate difference: `request` (exact, or a prefix ending in `*`) and `field`, and the
/// `docs/compat.md` section that explains it.
struct Allow {
    request: &'static str,
    field: &'static str,
    compat: &'static str,
}

const fn allow(request: &'static str, field: &'static str, compat: &'static str) -> Allow {
    Allow {
        request,
        field,
        compat,
    }
}

/// Every difference the differential scenario accepts. Sections are headings of
/// `docs/compat.md`.
const ALLOWED: &[Allow] = &[
    // hcstakepool's gorilla session middleware sets a session cookie on every answer,
    // the API's included; hcpool keeps sessions server-side and only for pages.
    allow(
        "api *",
        "set-cookie",
        "Sessions live in the database; the API sets no cookie",
    ),
    // Pages of our own: a 404 is an HTML page, not Go's plain "404 page not found".
    allow("page GET /nope", "content-type", "Pages are hcpool's own"),
    // Post/redirect/get: a failed form redirects back and flashes, instead of re-rendering
    // with 200. The flash texts are compared on the page the redirect leads to.
    allow(
        "page POST /signin (not verified)",
        "status",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signin (not verified)",
        "location",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signin (wrong password)",
        "status",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signin (wrong password)",
        "location",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signup (wrong captcha)",
        "status",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signup (wrong captcha)",
        "location",
        "Forms redirect after a post",
    ),
    // The original sends a new user to /settings; hcpool to /address (the next step), so
    // the landing pages differ too (the settings page's "Mail server not configured").
    allow(
        "page POST /signin",
        "location",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /signin",
        "flashes",
        "Forms redirect after a post",
    ),
    // hcpool's address page shows the registration (multisig address, script, fee address).
    allow(
        "page GET /address (registered)",
        "addresses extra",
        "Pages are hcpool's own",
    ),
    allow(
        "page GET /address (registered)",
        "scripts extra",
        "Pages are hcpool's own",
    ),
    // GET /logout without a sign of coming from our own pages (no Referer, Origin or fetch
    // metadata) asks with a POST form instead of signing out.
    allow(
        "page GET /logout",
        "status",
        "`GET /logout` signs out only from our own pages",
    ),
    allow(
        "page GET /logout",
        "location",
        "`GET /logout` signs out only from our own pages",
    ),
    // The original's combined settings form re-renders with 200; hcpool redirects.
    allow(
        "page POST /settings (combined*",
        "status",
        "Forms redirect after a post",
    ),
    allow(
        "page POST /settings (combined*",
        "location",
        "Forms redirect after a post",
    ),
    // hcstakepool accepted any token its secret signed; hcpool only the user's stored one.
    allow(
        "api GET /api/v1/getpurchaseinfo (signed, not stored)",
        "body",
        "An API token must be the user's current token",
    ),
    allow(
        "api GET /api/v2/getpurchaseinfo (signed, not stored)",
        "body",
        "An API token must be the user's current token",
    ),
    // hcstakepool reads getstakeinfo at most every 5 minutes; hcpool at every block.
    allow(
        "api GET /api/v2/stats (after tickets)",
        "body",
        "Stats follow every block",
    ),
    allow(
        "page GET /stats (after tickets)",
        "figures",
        "Stats follow every block",
    ),
];

fn allowed(request: &str, field: &str) -> Option<&'static Allow> {
    ALLOWED.iter().find(|a| {
        a.field == field
            && match a.request.strip_suffix('*') {
                Some(prefix) => request.starts_with(prefix),
                None => a.request == request,
            }
    })
}

/// The differences seen, allowed or not.
#[derive(Default)]
struct Diff {
    compared: usize,
    failures: Vec<String>,
    allowed_seen: BTreeMap<(String, &'static str), &'static str>,
}

impl Diff {
    /// Records `orig` vs `ours` for `request`/`field`.
    fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        request: &str,
        field: &'static str,
        orig: T,
        ours: T,
    ) {
        self.compared += 1;
        if orig == ours {
            return;
        }
        match allowed(request, field) {
            Some(a) => {
                self.allowed_seen
                    .insert((request.to_owned(), field), a.compat);
            }
            None => self.failures.push(format!(
                "{request} [{field}]\n      original: {orig:?}\n      hcpool:   {ours:?}"
            )),
        }
    }
}

/// One browser on each app.
struct Pair {
    o: Client,
    h: Client,
}

impl Pair {
    fn new(orig: &str, ours: &str) -> Result<Pair> {
        Ok(Pair {
            o: Client::new(orig)?,
            h: Client::new(ours)?,
        })
    }
}

fn content_type(r: &Resp) -> String {
    r.header("content-type").unwrap_or("").to_ascii_lowercase()
}

/// An API request to both; `exact`: the bodies must be the same bytes, else the same JSON.
#[allow(clippy::too_many_arguments)]
async fn api(
    d: &mut Diff,
    p: &Pair,
    label: &str,
    method: &str,
    path: &str,
    tokens: (Option<&str>, Option<&str>),
    form: Option<&[(&str, &str)]>,
) -> Result<(Resp, Resp)> {
    let name = format!(
        "api {method} {path}{}",
        if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        }
    );
    let o = p.o.send(method, path, tokens.0, form).await?;
    let h = p.h.send(method, path, tokens.1, form).await?;
    d.check(&name, "status", o.status, h.status);
    d.check(&name, "content-type", content_type(&o), content_type(&h));
    d.check(
        &name,
        "set-cookie",
        o.header("set-cookie").is_some(),
        h.header("set-cookie").is_some(),
    );
    d.check(&name, "body", o.text(), h.text());
    Ok((o, h))
}

/// A JSON answer's fields, flattened (`data.Live` → value).
fn flat(v: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flat(x, &format!("{prefix}{k}."), out);
            }
        }
        _ => {
            out.insert(prefix.trim_end_matches('.').to_owned(), v.to_string());
        }
    }
}

/// The fields of two JSON answers that differ.
fn json_fields_differing(o: &Resp, h: &Resp) -> Vec<String> {
    let parse = |r: &Resp| serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null);
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flat(&parse(o), "", &mut a);
    flat(&parse(h), "", &mut b);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("{k}: {:?} vs {:?}", a.get(k), b.get(k)))
        .collect()
}

/// What a page step shows, after following a redirect once.
struct Shown {
    resp: Resp,
    landing: Resp,
}

/// Follows `r`'s redirect once.
async fn follow(c: &Client, r: Resp) -> Result<Shown> {
    match r.header("location") {
        Some(loc) if (300..400).contains(&r.status) => {
            let landing = c.get(loc).await?;
            Ok(Shown { resp: r, landing })
        }
        _ => Ok(Shown {
            landing: r.clone(),
            resp: r,
        }),
    }
}

/// `code` of `GET /api/v1/getpurchaseinfo` with token `t`.
async fn purchase_code(c: &Client, t: &str) -> Result<Option<i64>> {
    let r = c
        .send("GET", "/api/v1/getpurchaseinfo", Some(t), None)
        .await?;
    Ok(serde_json::from_slice::<Value>(&r.body)?["code"].as_i64())
}

/// A page request to both: status, `Location`, content type; then the page each lands on
/// (the redirect followed once) and its flashes.
async fn page_req(
    d: &mut Diff,
    p: &Pair,
    label: &str,
    method: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> Result<(Shown, Shown)> {
    let name = format!(
        "page {method} {path}{}",
        if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        }
    );
    let o = p.o.send(method, path, None, form).await?;
    let h = p.h.send(method, path, None, form).await?;
    d.check(&name, "status", o.status, h.status);
    d.check(
        &name,
        "location",
        o.header("location").map(str::to_owned),
        h.header("location").map(str::to_owned),
    );
    let so = follow(&p.o, o).await?;
    let sh = follow(&p.h, h).await?;
    if so.resp.status < 300 || so.resp.status >= 400 {
        d.check(
            &name,
            "content-type",
            content_type(&so.resp)
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned(),
            content_type(&sh.resp)
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned(),
        );
    }
    d.check(
        &name,
        "flashes",
        page::flashes(&so.landing.text()),
        page::flashes(&sh.landing.text()),
    );
    Ok((so, sh))
}

/// A form post (each app's own CSRF token from `form_page`) to both.
async fn form_post(
    d: &mut Diff,
    p: &Pair,
    label: &str,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<(Shown, Shown)> {
    let co = p.o.csrf(form_page).await?;
    let ch = p.h.csrf(form_page).await?;
    let name = format!(
        "page POST {path}{}",
        if label.is_empty() {
            String::new()
        } else {
            format!(" ({label})")
        }
    );
    let mut fo = fields.to_vec();
    fo.push(("csrf_token", &co));
    let mut fh = fields.to_vec();
    fh.push(("csrf_token", &ch));
    let o = p.o.send("POST", path, None, Some(&fo)).await?;
    let h = p.h.send("POST", path, None, Some(&fh)).await?;
    d.check(&name, "status", o.status, h.status);
    d.check(
        &name,
        "location",
        o.header("location").map(str::to_owned),
        h.header("location").map(str::to_owned),
    );
    let so = follow(&p.o, o).await?;
    let sh = follow(&p.h, h).await?;
    d.check(
        &name,
        "flashes",
        page::flashes(&so.landing.text()),
        page::flashes(&sh.landing.text()),
    );
    Ok((so, sh))
}

/// The data a page shows (addresses, redeem scripts, ticket hashes): everything the
/// original shows must be on hcpool's page ("missing"), and hcpool shows nothing the
/// original does not ("extra") unless allowed by name.
fn page_data(d: &mut Diff, name: &str, o: &Resp, h: &Resp) {
    let (ot, ht) = (o.text(), h.text());
    let kinds: [(
        &'static str,
        &'static str,
        BTreeSet<String>,
        BTreeSet<String>,
    ); 3] = [
        (
            "addresses missing",
            "addresses extra",
            page::addresses(&ot),
            page::addresses(&ht),
        ),
        (
            "scripts missing",
            "scripts extra",
            page::scripts(&ot),
            page::scripts(&ht),
        ),
        (
            "tickets missing",
            "tickets extra",
            page::hashes(&ot),
            page::hashes(&ht),
        ),
    ];
    for (missing, extra, a, b) in kinds {
        let none = BTreeSet::<String>::new();
        d.check(
            name,
            missing,
            none.clone(),
            a.difference(&b).cloned().collect(),
        );
        d.check(name, extra, none, b.difference(&a).cloned().collect());
    }
}

/// The API token shown on a settings page.
fn api_token(html: &str) -> Option<String> {
    let at = html.find("eyJhbGci")?;
    let t: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    Some(t)
}

/// A user's own pubkey address (what a user's wallet submits): `fee_branch/n` of the
/// simulated cold key, as the simulator's tests build them.
fn user_pubkey_addr(n: u32) -> Result<String> {
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)?;
    Ok(keys
        .fee_branch()
        .derive_child(n)?
        .to_pubkey_address(Network::Simnet)
        .to_string())
}

/// The world every scenario shares.
struct World {
    ports: Ports,
    orig_dir: PathBuf,
    work: PathBuf,
    db: Db,
    sim: SimCluster,
    /// The simulated wallets' hcstakepool.conf fragment (a file).
    wallets: PathBuf,
    /// The same as the realhc-style env.sh `run-stakepoold.sh` reads.
    env_sh: PathBuf,
}

impl World {
    fn orig_web(
        &self,
        work: &Path,
        name: &str,
        port: u16,
        db: &str,
        spd: Option<u16>,
    ) -> Result<Orig> {
        self.ports.release(port);
        Orig::start(&OrigWeb {
            script_dir: &self.orig_dir,
            work,
            name,
            port,
            wallets: &self.wallets,
            db: &self.db,
            db_name: db,
            stakepoold_port: spd,
        })
    }

    /// hcpool-web's configuration on the same wallets.
    fn hcpool_conf(&self, db: &str, port: u16, extra: &str) -> Result<String> {
        self.ports.release(port);
        let fragment = std::fs::read_to_string(&self.wallets)?;
        Ok(format!(
            "{fragment}\ndburl={}\napisecret={API_SECRET}\ncookiesecret={COOKIE_SECRET}\n\
             baseurl=http://127.0.0.1:{port}\nadminips=127.0.0.1\nadminuserids=1\nminservers=2\n\
             apiratelimit=0\nnosmtp=1\n{extra}\n",
            self.db.url(db)
        ))
    }

    /// Mines `n` blocks.
    fn mine(&self, n: u32) -> Result<()> {
        self.sim
            .mine(n)
            .map(|_| ())
            .map_err(|e| anyhow!("mine: {e}"))
    }

    /// Buys `n` paid tickets for `msa` (fee address index `uid`) and mines them in.
    fn buy(&self, msa: &str, uid: u32, n: usize) -> Result<Vec<Hash32>> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(
                self.sim
                    .buy_ticket(&TicketPurchase::new(msa, PAID, uid))
                    .map_err(|e| anyhow!("buy ticket: {e}"))?,
            );
        }
        self.mine(1)?;
        Ok(out)
    }

    /// Puts `n` tickets of a multisig address no wallet imported into the mempool.
    fn fillers(&self, n: usize) -> Result<()> {
        let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)?;
        let pool = keys.ticket_pubkey_address(UserId(900))?;
        let user = keys
            .fee_branch()
            .derive_child(900)?
            .to_pubkey_address(Network::Simnet);
        let msa = hcpool_core::RedeemScript::one_of_two(&pool, &user)?
            .p2sh_address(Network::Simnet)
            .to_string();
        for _ in 0..n {
            self.sim
                .buy_ticket(&TicketPurchase::new(&msa, PAID, 900))
                .map_err(|e| anyhow!("buy filler ticket: {e}"))?;
        }
        Ok(())
    }

    /// Mines until one of `tickets` is voted (at most 40 blocks, 60 s): its votebits.
    async fn next_vote_bits(&self, tickets: &[Hash32]) -> Result<u16> {
        let t0 = Instant::now();
        for _ in 0..40 {
            if let Some((_, bits, _)) = tickets.iter().find_map(|t| self.sim.mined_vote(t)) {
                return Ok(bits);
            }
            if t0.elapsed() > Duration::from_secs(60) {
                break;
            }
            self.mine(1)?;
            // The daemons vote on the winners' notification; the next block mines the vote.
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        bail!(
            "none of {} tickets was voted within 40 blocks",
            tickets.len()
        )
    }
}

/// Every [`ALLOWED`] entry names a `###` heading of `docs/compat.md`.
fn allow_list_is_documented() -> Result<()> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/compat.md"))?;
    for a in ALLOWED {
        ensure!(
            doc.lines()
                .any(|l| l.strip_prefix("### ").is_some_and(|h| h.trim() == a.compat)),
            "allow-list entry {} [{}] names \"{}\", not a heading of docs/compat.md",
            a.request,
            a.field,
            a.compat
        );
    }
    Ok(())
}

/// Scenario 1.
async fn differential(w: &World) -> Result<String> {
    allow_list_is_documented()?;
    let db_o = w.db.create("diff_orig").await?;
    let orig = w.orig_web(&w.work, "web-diff", 36080, &db_o, None)?;
    // The users, in the same order in both databases: alice (not verified, the flows),
    // bob (verified, no API token stored).
    let alice = "alice@compat.test";
    w.db.insert_user(&db_o, alice, PASSWORD, "tokalice").await?;
    let bob = "bob@compat.test";
    let bob_id = w.db.insert_user(&db_o, bob, PASSWORD, "tokbob").await?;
    w.db.exec(
        &db_o,
        "UPDATE `{db}`.Users SET EmailVerified = 1, EmailToken = '' WHERE UserId = ?",
        &[&bob_id.to_string()],
    )
    .await?;
    let db_h = w.db.copy(&db_o, "diff_hcpool").await?;
    let ours = Hcpool::start(&w.hcpool_conf(&db_h, 36200, "captcha=1")?, &w.work, 36200)
        .await
        .context("hcpool-web")?;
    let mut d = Diff::default();
    let r = differential_requests(w, &mut d, &orig.origin, &ours.origin, bob_id).await;
    ours.stop().await;
    let log = orig.log_tail(15);
    drop(orig);
    r.with_context(|| format!("the original's log:\n{log}"))?;
    // An entry whose difference is gone must go too: the list stays exact.
    for a in ALLOWED {
        let seen = d.allowed_seen.keys().any(|(req, field)| {
            *field == a.field
                && match a.request.strip_suffix('*') {
                    Some(prefix) => req.starts_with(prefix),
                    None => req == a.request,
                }
        });
        if !seen {
            d.failures.push(format!(
                "allow-list entry {} [{}] matched no difference: remove it",
                a.request, a.field
            ));
        }
    }
    let mut report = String::new();
    let cookies = d
        .allowed_seen
        .keys()
        .filter(|(_, f)| *f == "set-cookie")
        .count();
    report.push_str(&format!(
        "\n    allowed: {cookies} answers differ in setting a cookie (compat.md: Sessions live in the database; the API sets no cookie)"
    ));
    for ((req, field), section) in &d.allowed_seen {
        if *field != "set-cookie" {
            report.push_str(&format!(
                "\n    allowed: {req} [{field}] (compat.md: {section})"
            ));
        }
    }
    if !d.failures.is_empty() {
        bail!(
            "{} of {} comparisons differ and are not allowed:\n    {}{report}",
            d.failures.len(),
            d.compared,
            d.failures.join("\n    ")
        );
    }
    Ok(format!(
        "{} comparisons, {} allowed differences{report}",
        d.compared,
        d.allowed_seen.len()
    ))
}

async fn differential_requests(
    w: &World,
    d: &mut Diff,
    o: &str,
    h: &str,
    bob_id: u64,
) -> Result<()> {
    let anon = Pair::new(o, h)?;
    page_req(d, &anon, "", "GET", "/", None).await?;
    for v in ["v1", "v2"] {
        api(
            d,
            &anon,
            "",
            "GET",
            &format!("/api/{v}/stats"),
            (None, None),
            None,
        )
        .await?;
    }
    // Tokens: none, not a JWT, signed with another secret, signed right for a user that
    // does not exist, signed right for bob whose stored token is empty.
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    let other_secret = hcpool_web::jwt::issue(b"another secret", "x", UserId(1), now - 10);
    let no_user = hcpool_web::jwt::issue(API_SECRET.as_bytes(), "x", UserId(99), now - 10);
    let bob_signed = hcpool_web::jwt::issue(API_SECRET.as_bytes(), "x", UserId(bob_id), now - 10);
    let bad: [(&str, Option<&str>); 4] = [
        ("no token", None),
        ("not a jwt", Some("not.a.jwt")),
        ("other secret", Some(&other_secret)),
        ("unknown user", Some(&no_user)),
    ];
    for v in ["v1", "v2"] {
        for (label, t) in bad {
            api(
                d,
                &anon,
                label,
                "GET",
                &format!("/api/{v}/getpurchaseinfo"),
                (t, t),
                None,
            )
            .await?;
            api(
                d,
                &anon,
                label,
                "POST",
                &format!("/api/{v}/address"),
                (t, t),
                Some(&[("UserPubKeyAddr", "x")]),
            )
            .await?;
            api(
                d,
                &anon,
                label,
                "POST",
                &format!("/api/{v}/voting"),
                (t, t),
                Some(&[("VoteBits", "5")]),
            )
            .await?;
        }
        let b = Some(bob_signed.as_str());
        api(
            d,
            &anon,
            "signed, not stored",
            "GET",
            &format!("/api/{v}/getpurchaseinfo"),
            (b, b),
            None,
        )
        .await?;
    }
    for (m, path) in [
        ("GET", "/api/v9/x"),
        ("GET", "/api/v1/nope"),
        ("POST", "/api/v2/nope"),
        ("GET", "/api/v2/voting"),
        ("GET", "/api/v1/address"),
        ("POST", "/api/v1/getpurchaseinfo"),
        ("POST", "/api/v1/stats"),
        ("PUT", "/api/v1/stats"),
        ("DELETE", "/api/v2/x"),
        ("GET", "/api/"),
        ("GET", "/api/v1"),
        ("GET", "/api/v3/stats"),
    ] {
        api(d, &anon, "", m, path, (None, None), None).await?;
    }
    page_req(d, &anon, "", "GET", "/nope", None).await?;

    // Sign-up: the original's captcha cannot be answered by a script; hcpool runs with its
    // own (captcha=1) so both refuse the same post.
    let user = Pair::new(o, h)?;
    page_req(d, &user, "", "GET", "/signup", None).await?;
    let signup = [
        ("email", "carol@compat.test"),
        ("password", PASSWORD),
        ("passwordrepeat", PASSWORD),
        ("verifyKey", "x"),
        ("verifyValue", "123456"),
    ];
    let (so, sh) = page_req(d, &user, "no csrf", "POST", "/signup", Some(&signup)).await?;
    d.check(
        "page POST /signup (no csrf)",
        "body",
        so.resp.text(),
        sh.resp.text(),
    );
    form_post(d, &user, "wrong captcha", "/signup", "/signup", &signup).await?;
    let creds = [("email", "alice@compat.test"), ("password", PASSWORD)];
    let (so, sh) = page_req(d, &user, "no csrf", "POST", "/signin", Some(&creds)).await?;
    d.check(
        "page POST /signin (no csrf)",
        "body",
        so.resp.text(),
        sh.resp.text(),
    );
    page_req(d, &user, "", "GET", "/signin", None).await?;
    form_post(d, &user, "not verified", "/signin", "/signin", &creds).await?;
    page_req(d, &user, "", "GET", "/emailverify?t=tokalice", None).await?;
    page_req(d, &user, "again", "GET", "/emailverify?t=tokalice", None).await?;
    page_req(d, &user, "", "GET", "/emailverify?t=", None).await?;
    let wrong = [
        ("email", "alice@compat.test"),
        ("password", "not-the-password"),
    ];
    form_post(d, &user, "wrong password", "/signin", "/signin", &wrong).await?;
    form_post(d, &user, "", "/signin", "/signin", &creds).await?;
    let (so, sh) = page_req(d, &user, "", "GET", "/settings", None).await?;
    let to = api_token(&so.landing.text()).context("no API token on the original's /settings")?;
    let th = api_token(&sh.landing.text()).context("no API token on hcpool's /settings")?;
    page_req(d, &user, "no address", "GET", "/tickets", None).await?;
    page_req(d, &user, "", "GET", "/voting", None).await?;
    page_req(d, &user, "", "GET", "/address", None).await?;
    let t = (Some(to.as_str()), Some(th.as_str()));

    for v in ["v1", "v2"] {
        api(
            d,
            &user,
            "no address",
            "GET",
            &format!("/api/{v}/getpurchaseinfo"),
            t,
            None,
        )
        .await?;
    }
    // Bad addresses, then alice's own.
    let p2pkh = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)?
        .fee_address(UserId(1))?
        .to_string();
    let long = "S".repeat(70);
    let undecodable = "SkQmxbeuEFDByPoTj41TtXat8tWySVuYUQpd4fuNNyUx51tF1az2";
    for (label, a) in [
        ("empty", ""),
        ("too short", "Sk123"),
        ("too long", long.as_str()),
        ("undecodable", undecodable),
        ("p2pkh", p2pkh.as_str()),
    ] {
        api(
            d,
            &user,
            label,
            "POST",
            "/api/v1/address",
            t,
            Some(&[("UserPubKeyAddr", a)]),
        )
        .await?;
    }
    // An address of another network: the original's wallet refuses createmultisig and the
    // original stops its wallet RPC for good (every later request fails), so only hcpool
    // is asked; it must refuse it with the API's error envelope.
    let testnet_pk =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet)?
            .fee_branch()
            .derive_child(7)?
            .to_pubkey_address(Network::Testnet)
            .to_string();
    let r = user
        .h
        .send(
            "POST",
            "/api/v1/address",
            t.1,
            Some(&[("UserPubKeyAddr", &testnet_pk)]),
        )
        .await?;
    let v: Value = serde_json::from_slice(&r.body)?;
    ensure!(
        r.status == 200 && v["status"] == "error" && v["code"] != 0,
        "hcpool took a testnet address on simnet: {}",
        r.text()
    );
    let alice_pk = user_pubkey_addr(201)?;
    api(
        d,
        &user,
        "",
        "POST",
        "/api/v1/address",
        t,
        Some(&[("UserPubKeyAddr", &alice_pk)]),
    )
    .await?;
    api(
        d,
        &user,
        "again",
        "POST",
        "/api/v2/address",
        t,
        Some(&[("UserPubKeyAddr", &alice_pk)]),
    )
    .await?;
    let (pio, _) = api(d, &user, "", "GET", "/api/v1/getpurchaseinfo", t, None).await?;
    api(d, &user, "", "GET", "/api/v2/getpurchaseinfo", t, None).await?;
    for (label, bits) in [
        ("empty", ""),
        ("not a number", "abc"),
        ("bit 0 clear", "4"),
        ("unknown bits", "65535"),
        ("too big", "70000"),
    ] {
        api(
            d,
            &user,
            label,
            "POST",
            "/api/v2/voting",
            t,
            Some(&[("VoteBits", bits)]),
        )
        .await?;
    }
    api(
        d,
        &user,
        "",
        "POST",
        "/api/v2/voting",
        t,
        Some(&[("VoteBits", "5")]),
    )
    .await?;
    api(
        d,
        &user,
        "",
        "POST",
        "/api/v1/voting",
        t,
        Some(&[("VoteBits", "3")]),
    )
    .await?;
    api(
        d,
        &user,
        "after voting",
        "GET",
        "/api/v1/getpurchaseinfo",
        t,
        None,
    )
    .await?;

    // Tickets for alice's multisig address, mined in: both read them from the same wallets.
    let pi: Value = serde_json::from_slice(&pio.body)?;
    let msa = pi["data"]["TicketAddress"]
        .as_str()
        .context("TicketAddress")?
        .to_owned();
    let tickets = w.buy(&msa, 1, 2)?;
    ensure!(tickets.len() == 2);
    let (so, sh) = page_req(d, &user, "", "GET", "/tickets", None).await?;
    page_data(d, "page GET /tickets", &so.landing, &sh.landing);
    let shown = page::hashes(&sh.landing.text());
    for tk in &tickets {
        ensure!(
            shown.contains(&tk.to_string()),
            "hcpool's tickets page lacks ticket {tk}"
        );
    }
    let (so, sh) = page_req(d, &user, "registered", "GET", "/address", None).await?;
    page_data(
        d,
        "page GET /address (registered)",
        &so.landing,
        &sh.landing,
    );
    form_post(d, &user, "", "/voting", "/voting", &[("agenda0", "4")]).await?;
    api(
        d,
        &user,
        "after the voting page",
        "GET",
        "/api/v2/getpurchaseinfo",
        t,
        None,
    )
    .await?;
    let (so, sh) = page_req(d, &user, "after tickets", "GET", "/stats", None).await?;
    let fo = page::stats_figures(&so.landing.text(), true);
    let fh = page::stats_figures(&sh.landing.text(), false);
    // Figures hcstakepool takes from the database are never stale; the rest may be (5 min).
    for ((field, a), (_, b)) in fo.iter().zip(&fh) {
        ensure!(
            a.is_some() && b.is_some(),
            "stats page: {field} not found ({a:?} / {b:?})"
        );
    }
    let from_db = [
        "UserCount",
        "UserCountActive",
        "Network",
        "PoolFees",
        "PoolStatus",
        "PoolEmail",
    ];
    let pick =
        |v: &[(&'static str, Option<String>)], db: bool| -> Vec<(&'static str, Option<String>)> {
            v.iter()
                .filter(|(f, _)| from_db.contains(f) == db)
                .cloned()
                .collect()
        };
    d.check(
        "page GET /stats (after tickets) from the database",
        "figures",
        pick(&fo, true),
        pick(&fh, true),
    );
    d.check(
        "page GET /stats (after tickets)",
        "figures",
        pick(&fo, false),
        pick(&fh, false),
    );
    let (so, sh) = (
        user.o.get("/api/v2/stats").await?,
        user.h.get("/api/v2/stats").await?,
    );
    let stake_fields = json_fields_differing(&so, &sh);
    let not_stake: Vec<&String> = stake_fields
        .iter()
        .filter(|f| {
            ![
                "data.Immature",
                "data.Live",
                "data.BlockHeight",
                "data.AllMempoolTix",
                "data.OwnMempoolTix",
                "data.PoolSize",
                "data.ProportionLive",
                "data.ProportionMissed",
                "data.Voted",
                "data.Missed",
                "data.Expired",
                "data.Revoked",
                "data.TotalSubsidy",
                "data.Difficulty",
            ]
            .iter()
            .any(|s| f.starts_with(&format!("{s}:")))
        })
        .collect();
    d.check(
        "api GET /api/v2/stats (after tickets) from the database",
        "body",
        Vec::<&String>::new(),
        not_stake,
    );
    d.check(
        "api GET /api/v2/stats (after tickets)",
        "body",
        Vec::<String>::new(),
        stake_fields,
    );
    legacy_forms(d, &user, o, h).await?;
    page_req(d, &user, "", "GET", "/logout", None).await?;
    generatecaptcha(d, &anon).await?;
    Ok(())
}

/// The original's combined `POST /settings` form and `GET /logout` link (alice, signed in
/// and registered); see docs/compat.md "hcstakepool's form and field names are accepted".
async fn legacy_forms(d: &mut Diff, user: &Pair, o: &str, h: &str) -> Result<()> {
    let new = "password-two-22";
    let cases: [(&str, [(&str, &str); 4]); 3] = [
        (
            "combined, wrong password",
            [
                ("password", "not-the-password"),
                ("newpassword", new),
                ("newpasswordrepeat", new),
                ("updatePassword", "true"),
            ],
        ),
        (
            "combined, passwords differ",
            [
                ("password", PASSWORD),
                ("newpassword", new),
                ("newpasswordrepeat", "something-else-1"),
                ("updatePassword", "true"),
            ],
        ),
        (
            "combined",
            [
                ("password", PASSWORD),
                ("newpassword", new),
                ("newpasswordrepeat", new),
                ("updatePassword", "true"),
            ],
        ),
    ];
    for (label, fields) in &cases {
        form_post(d, user, label, "/settings", "/settings", fields).await?;
    }
    // The sign-out link, followed from one of the app's own pages: both sign out.
    let name = "page GET /logout (from our page)";
    let ro = format!("{o}/settings");
    let rh = format!("{h}/settings");
    let ao = user
        .o
        .send_with("GET", "/logout", None, None, &[("Referer", &ro)])
        .await?;
    let ah = user
        .h
        .send_with("GET", "/logout", None, None, &[("Referer", &rh)])
        .await?;
    d.check(name, "status", ao.status, ah.status);
    d.check(
        name,
        "location",
        ao.header("location").map(str::to_owned),
        ah.header("location").map(str::to_owned),
    );
    for (app, c) in [("original", &user.o), ("hcpool", &user.h)] {
        let r = c.get("/settings").await?;
        ensure!(
            r.status == 303,
            "{app}: still signed in after GET /logout from its own page ({})",
            r.status
        );
    }
    // Signed in again (with the password changed above) for the bare link.
    let creds = [("email", "alice@compat.test"), ("password", new)];
    form_post(d, user, "again", "/signin", "/signin", &creds).await?;
    Ok(())
}

/// `generatecaptcha` (hcpool runs with `captcha=1`): the same envelope and fields; the
/// challenge itself differs by construction.
async fn generatecaptcha(d: &mut Diff, p: &Pair) -> Result<()> {
    for v in ["v1", "v2"] {
        let name = format!("api GET /api/{v}/generatecaptcha");
        let path = format!("/api/{v}/generatecaptcha");
        let (ro, rh) = (p.o.get(&path).await?, p.h.get(&path).await?);
        d.check(&name, "status", ro.status, rh.status);
        d.check(&name, "content-type", content_type(&ro), content_type(&rh));
        let shape = |r: &Resp| -> Result<Vec<String>> {
            let v: Value = serde_json::from_slice(&r.body)?;
            let mut out = vec![
                v["status"].to_string(),
                v["code"].to_string(),
                v["message"].to_string(),
            ];
            if let Some(data) = v["data"].as_object() {
                out.extend(data.keys().cloned());
            }
            let blob = v["data"]["ImageBlob"].as_str().unwrap_or("");
            out.push(blob.starts_with("data:image/png;base64,").to_string());
            Ok(out)
        };
        d.check(&name, "body", shape(&ro)?, shape(&rh)?);
    }
    Ok(())
}

/// Signs in on `c`; the answer's `Location` on success.
async fn sign_in(c: &Client, email: &str, password: &str) -> Result<Option<String>> {
    let r = c
        .post_form(
            "/signin",
            "/signin",
            &[("email", email), ("password", password)],
        )
        .await?;
    Ok(
        if r.status == 303 && r.header("location") != Some("/signin") {
            r.header("location").map(str::to_owned)
        } else {
            None
        },
    )
}

async fn password_hash(w: &World, db: &str, email: &str) -> Result<String> {
    w.db.one(
        db,
        "SELECT Password FROM `{db}`.Users WHERE Email = ?",
        &[email],
    )
    .await?
    .context("no such user")
}

/// Scenario 2.
async fn shared_database(w: &World) -> Result<String> {
    let db = w.db.create("shared").await?;
    let orig = w.orig_web(&w.work, "web-shared", 36081, &db, None)?;
    let dave = "dave@compat.test";
    let uid = w.db.insert_user(&db, dave, PASSWORD, "tokdave").await?;
    w.db.exec(
        &db,
        "UPDATE `{db}`.Users SET EmailVerified = 1, EmailToken = '' WHERE UserId = ?",
        &[&uid.to_string()],
    )
    .await?;
    let erin = "erin@compat.test";
    w.db.insert_user(&db, erin, PASSWORD, "tokerin").await?;
    let mut notes = Vec::new();

    // Without legacypasswords: a sign-in on hcpool upgrades the hash; the original can no
    // longer check it.
    let ours = Hcpool::start(&w.hcpool_conf(&db, 36201, "")?, &w.work, 36201).await?;
    let (co, ch) = (Client::new(&orig.origin)?, Client::new(&ours.origin)?);
    ensure!(
        sign_in(&co, dave, PASSWORD).await?.is_some(),
        "original: dave cannot sign in at first"
    );
    ensure!(
        sign_in(&ch, dave, PASSWORD).await?.is_some(),
        "hcpool: dave cannot sign in"
    );
    let h = password_hash(w, &db, dave).await?;
    ensure!(
        h.starts_with("$argon2id$"),
        "hcpool did not upgrade the hash: {}",
        &h[..7.min(h.len())]
    );
    let co2 = Client::new(&orig.origin)?;
    ensure!(
        sign_in(&co2, dave, PASSWORD).await?.is_none(),
        "the original signed dave in with an argon2id hash: the shared-database problem is gone?"
    );
    notes.push("without legacypasswords: hcpool's sign-in upgrades to argon2id, the original then refuses the right password");
    ours.stop().await;

    // With legacypasswords: hashes stay bcrypt $2a$ cost 10 both ways.
    let legacy = bcrypt_2a(PASSWORD)?;
    w.db.exec(
        &db,
        "UPDATE `{db}`.Users SET Password = ? WHERE Email = ?",
        &[&legacy, dave],
    )
    .await?;
    let ours = Hcpool::start(
        &w.hcpool_conf(&db, 36201, "legacypasswords=1")?,
        &w.work,
        36201,
    )
    .await?;
    let ch = Client::new(&ours.origin)?;
    ensure!(
        sign_in(&ch, dave, PASSWORD).await?.is_some(),
        "hcpool (legacypasswords): dave cannot sign in"
    );
    ensure!(
        password_hash(w, &db, dave).await? == legacy,
        "hcpool changed the legacy hash on sign-in"
    );
    let co = Client::new(&orig.origin)?;
    ensure!(
        sign_in(&co, dave, PASSWORD).await?.is_some(),
        "original: dave cannot sign in after hcpool's sign-in"
    );

    // API tokens: the original's, issued with the shared apisecret; hcpool checks the stored one.
    let settings_o = co.get("/settings").await?.text();
    let tok_o = api_token(&settings_o).context("no token on the original's /settings")?;
    // code 9: "no address submitted" — the token was accepted.
    ensure!(
        purchase_code(&ch, &tok_o).await? == Some(9),
        "hcpool refuses the token the original issued"
    );

    // Password change on hcpool: a bcrypt hash the original checks.
    let new1 = "password-two-22";
    let r = ch
        .post_form(
            "/settings",
            "/settings/password",
            &[
                ("password", PASSWORD),
                ("newpassword", new1),
                ("newpasswordrepeat", new1),
            ],
        )
        .await?;
    ensure!(
        r.status == 303,
        "hcpool password change answered {}",
        r.status
    );
    let h = password_hash(w, &db, dave).await?;
    ensure!(
        h.starts_with("$2a$10$"),
        "hcpool stored {} with legacypasswords",
        &h[..7.min(h.len())]
    );
    let co = Client::new(&orig.origin)?;
    ensure!(
        sign_in(&co, dave, new1).await?.is_some(),
        "original: the password set on hcpool does not work"
    );
    ensure!(
        sign_in(&Client::new(&orig.origin)?, dave, PASSWORD)
            .await?
            .is_none(),
        "original: the old password still works"
    );
    // hcpool replaced the API token; the original never compared tokens with the stored one.
    ensure!(
        purchase_code(&ch, &tok_o).await? == Some(16),
        "hcpool still accepts the token from before the password change"
    );
    ensure!(
        purchase_code(&co, &tok_o).await? == Some(9),
        "the original no longer accepts the old token"
    );
    notes.push("the old API token keeps working on the original (it never compared tokens)");

    // Password change on the original: hcpool checks it.
    let new2 = "password-three-333";
    let r = co
        .post_form(
            "/settings",
            "/settings",
            &[
                ("password", new1),
                ("newpassword", new2),
                ("newpasswordrepeat", new2),
                ("updatePassword", "true"),
            ],
        )
        .await?;
    ensure!(
        r.status == 200,
        "original password change answered {}",
        r.status
    );
    ensure!(
        sign_in(&Client::new(&ours.origin)?, dave, new2)
            .await?
            .is_some(),
        "hcpool: the password set on the original does not work"
    );
    ensure!(
        password_hash(w, &db, dave).await?.starts_with("$2a$10$"),
        "the hash is no longer bcrypt"
    );

    // Email verification on hcpool, sign-in on the original.
    let r = Client::new(&ours.origin)?
        .get("/emailverify?t=tokerin")
        .await?;
    ensure!(
        r.text().contains("Email successfully verified"),
        "hcpool did not verify erin"
    );
    ensure!(
        sign_in(&Client::new(&orig.origin)?, erin, PASSWORD)
            .await?
            .is_some(),
        "original: erin cannot sign in after hcpool verified her"
    );

    // The original restarts on the database hcpool migrated (its tables and indexes added).
    drop(orig);
    let orig = w.orig_web(&w.work, "web-shared", 36081, &db, None)?;
    ensure!(
        sign_in(&Client::new(&orig.origin)?, dave, new2)
            .await?
            .is_some(),
        "original after a restart on hcpool's schema: sign-in fails"
    );
    ours.stop().await;
    drop(orig);
    Ok(notes.join("; "))
}

/// The stakepoold.conf of hcpool's stakepoold for simulated wallet `n` (0 or 1).
fn hcpool_spd_conf(w: &World, n: usize, dir: &Path, listen: &str, db: &str) -> Result<String> {
    let wallet = w.sim.wallets()[n];
    let hcd = w.sim.nodes()[0];
    Ok(format!(
        "simnet=1\ncoldwalletextpub={DEFAULT_COLD_XPUB}\npoolfees=7.5\ndburl={}\n\
         hcdhost={}\nhcduser=user\nhcdpassword=pass\nhcdcert={}\n\
         wallethost={}\nwalletuser=user\nwalletpassword=pass\nwalletcert={}\n\
         rpclisten={listen}\nrpccert={}\nrpckey={}\nnoclientauth=1\n",
        w.db.url(db),
        hcd.addr,
        hcd.cert_path.display(),
        wallet.addr,
        wallet.cert_path.display(),
        dir.join("rpc.cert").display(),
        dir.join("rpc.key").display(),
    ))
}

/// A work dir for another original instance sharing the unpacked binaries and templates.
fn linked_work(w: &World, name: &str) -> Result<PathBuf> {
    let dir = w.work.join(name);
    std::fs::create_dir_all(&dir)?;
    for sub in ["bin", "app"] {
        let link = dir.join(sub);
        if !link.exists() {
            std::os::unix::fs::symlink(w.work.join(sub), &link)?;
        }
    }
    Ok(dir)
}

/// Sets the user's votebits through the API and returns them as the API reads them back.
async fn set_bits(c: &Client, token: &str, bits: &str) -> Result<()> {
    let r = c
        .send(
            "POST",
            "/api/v2/voting",
            Some(token),
            Some(&[("VoteBits", bits)]),
        )
        .await?;
    let v: Value = serde_json::from_slice(&r.body)?;
    ensure!(v["code"] == 0, "POST /api/v2/voting {bits}: {}", r.text());
    Ok(())
}

/// Signs a verified user in, takes the API token and submits `pk`: the multisig address.
async fn register(c: &Client, email: &str, pk: &str) -> Result<(String, String)> {
    ensure!(
        sign_in(c, email, PASSWORD).await?.is_some(),
        "{email} cannot sign in on {}",
        c.origin
    );
    let token = api_token(&c.get("/settings").await?.text()).context("no API token")?;
    let r = c
        .send(
            "POST",
            "/api/v2/address",
            Some(&token),
            Some(&[("UserPubKeyAddr", pk)]),
        )
        .await?;
    ensure!(
        serde_json::from_slice::<Value>(&r.body)?["code"] == 0,
        "address: {}",
        r.text()
    );
    let r = c
        .send("GET", "/api/v2/getpurchaseinfo", Some(&token), None)
        .await?;
    let v: Value = serde_json::from_slice(&r.body)?;
    let msa = v["data"]["TicketAddress"]
        .as_str()
        .context("TicketAddress")?
        .to_owned();
    Ok((token, msa))
}

/// Two preference changes, each used for the next vote of the user's tickets.
async fn votes_follow(w: &World, c: &Client, token: &str, msa: &str, uid: u32) -> Result<String> {
    let mut seen = Vec::new();
    for bits in ["5", "3"] {
        set_bits(c, token, bits).await?;
        // The web app pushes the change to every stakepoold; let it land.
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Others' tickets in the same block: with only ours live, every one of them would
        // win in the block it matures in, before a stakepoold heard of it (the original
        // learns of new live tickets from the same block's notification).
        w.fillers(10)?;
        let tickets = w.buy(msa, uid, 4)?;
        let got = w.next_vote_bits(&tickets).await?;
        ensure!(
            got.to_string() == bits,
            "preference {bits} set on the web, the vote carried {got}"
        );
        seen.push(got.to_string());
    }
    Ok(seen.join(" then "))
}

/// Scenario 3a: the original web app driving hcpool's stakepoold (noclientauth).
async fn orig_web_hcpool_stakepoold(w: &World) -> Result<String> {
    let db = w.db.create("mixed_a").await?;
    let work = linked_work(w, "mixed-a")?;
    let mut daemons = Vec::new();
    for n in 0..2 {
        let dir = work.join(format!("stakepoold{}", n + 1));
        let port = 36560 + n as u16;
        w.ports.release(port);
        let listen = format!("127.0.0.1:{port}");
        let conf = hcpool_spd_conf(w, n, &dir, &listen, &db)?;
        daemons.push(HcpoolStakepoold::start(&dir, &conf, &listen).await?);
    }
    let r = async {
        let orig = w.orig_web(&work, "web", 36082, &db, Some(36560))?;
        let log = |o: &Orig| o.log_tail(20);
        until(
            "the original to reach both stakepoolds",
            Duration::from_secs(20),
            || async {
                std::fs::read_to_string(orig.run_dir.join("out.log"))
                    .ok()
                    .filter(|l| {
                        l.matches("successfully triggered update kind ALL").count() >= 2
                            || l.contains("stakepoold 1 reports ticket totals")
                    })
            },
        )
        .await
        .with_context(|| log(&orig))?;
        let frank = "frank@compat.test";
        let uid = w.db.insert_user(&db, frank, PASSWORD, "").await?;
        w.db.exec(
            &db,
            "UPDATE `{db}`.Users SET EmailVerified = 1 WHERE UserId = ?",
            &[&uid.to_string()],
        )
        .await?;
        let c = Client::new(&orig.origin)?;
        let (token, msa) = register(&c, frank, &user_pubkey_addr(300)?)
            .await
            .with_context(|| log(&orig))?;
        let votes = votes_follow(w, &c, &token, &msa, u32::try_from(uid)?)
            .await
            .with_context(|| log(&orig))?;
        Ok::<_, anyhow::Error>(format!(
            "votebits {votes} (set on the original, voted by hcpool's stakepoold)"
        ))
    }
    .await;
    for dmn in daemons {
        dmn.stop().await;
    }
    r
}

/// Scenario 3b: hcpool-web driving the original stakepoold.
async fn hcpool_web_orig_stakepoold(w: &World) -> Result<String> {
    let db = w.db.create("mixed_b").await?;
    // The original stakepoold reads Users at start: hcpool's schema first.
    drop(
        hcpool_db::connect(&w.db.url(&db))
            .await
            .context("create the schema")?,
    );
    let work = linked_work(w, "mixed-b")?;
    w.ports.release(36570);
    w.ports.release(36571);
    let spd: Vec<OrigStakepoold> = (1..=2)
        .map(|n| OrigStakepoold::start(&w.orig_dir, &work, &w.env_sh, n, 36570, &w.db, &db))
        .collect::<Result<_>>()?;
    let certs = spd
        .iter()
        .map(|s| s.dir.join("rpc.cert").display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    // hcpool-web presents its client certificate (generated on first start); the original
    // stakepoold never asks for one.
    let client = work.join("client");
    std::fs::create_dir_all(&client)?;
    let extra = format!(
        "enablestakepoold=1\nstakepooldhosts=127.0.0.1:36570,127.0.0.1:36571\nstakepooldcerts={certs}\n\
         stakepooldclientcert={}\nstakepooldclientkey={}",
        client.join("web.cert").display(),
        client.join("web.key").display()
    );
    let gina = "gina@compat.test";
    let uid = w.db.insert_user(&db, gina, PASSWORD, "").await?;
    w.db.exec(
        &db,
        "UPDATE `{db}`.Users SET EmailVerified = 1 WHERE UserId = ?",
        &[&uid.to_string()],
    )
    .await?;
    let ours = Hcpool::start(&w.hcpool_conf(&db, 36202, &extra)?, &w.work, 36202).await?;
    let r = async {
        ensure!(
            client.join("web.cert").is_file(),
            "hcpool-web made no client certificate"
        );
        let c = Client::new(&ours.origin)?;
        let (token, msa) = register(&c, gina, &user_pubkey_addr(400)?).await?;
        votes_follow(w, &c, &token, &msa, u32::try_from(uid)?).await
    }
    .await
    .map(|v| format!("votebits {v} (set on hcpool-web, voted by the original stakepoold)"));
    ours.stop().await;
    let logs: Vec<String> = spd
        .iter()
        .map(|s| {
            let l = s.log();
            l.lines()
                .filter(|x| x.contains("[ERR]") || x.contains("[WRN]") || x.contains("vot"))
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    drop(spd);
    r.with_context(|| format!("the original stakepoolds' logs:\n{}", logs.join("\n--\n")))
}

async fn setup(orig_dir: PathBuf, mysql: &str) -> Result<World> {
    // Before any connection is made (see `Ports`).
    let ports = Ports::hold([
        36080, 36081, 36082, 36200, 36201, 36202, 36560, 36561, 36570, 36571,
    ]);
    let work = work_dir("run");
    std::fs::create_dir_all(&work)?;
    let db = Db::connect(mysql).await?;
    let sim = SimCluster::start(SimConfig {
        base_port: Some(SIM_PORT),
        cert_dir: Some(work.join("sim-certs")),
        ..SimConfig::default()
    })
    .await
    .context("simulated wallets on 36100-36102")?;
    sim.mine(20).map_err(|e| anyhow!("premine: {e}"))?;
    let wallets = work.join("wallets.conf");
    std::fs::write(&wallets, sim.conf_fragment())?;
    let (w0, w1, n0) = (sim.wallets()[0], sim.wallets()[1], sim.nodes()[0]);
    let env_sh = work.join("env.sh");
    std::fs::write(
        &env_sh,
        format!(
            "VOTE1_RPC={}\nVOTE1_USER=user\nVOTE1_PASS=pass\nVOTE1_CERT={}\n\
             VOTE2_RPC={}\nVOTE2_USER=user\nVOTE2_PASS=pass\nVOTE2_CERT={}\n\
             HCD_RPC={}\nHCD_USER=user\nHCD_PASS=pass\nHCD_CERT={}\n\
             COLDWALLETEXTPUB={DEFAULT_COLD_XPUB}\nVOTINGWALLETEXTPUB={DEFAULT_VOTING_XPUB}\nPOOLFEES=7.5\n",
            w0.addr,
            w0.cert_path.display(),
            w1.addr,
            w1.cert_path.display(),
            n0.addr,
            n0.cert_path.display()
        ),
    )?;
    Ok(World {
        ports,
        orig_dir,
        work,
        db,
        sim,
        wallets,
        env_sh,
    })
}

fn main() -> ExitCode {
    let orig_dir = match orig_dir() {
        Ok(d) => d,
        Err(why) => {
            println!("compat suite skipped: {why}");
            return ExitCode::SUCCESS;
        }
    };
    let mysql = match mysql_root_url() {
        Ok(u) => u,
        Err(why) => {
            println!("compat suite skipped: {why}");
            return ExitCode::SUCCESS;
        }
    };
    let work = work_dir("run");
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
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            println!("compat suite: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let t0 = Instant::now();
    let outcome = rt.block_on(async {
        let world = Arc::new(setup(orig_dir, &mysql).await?);
        type Scenario =
            fn(&World) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String>> + '_>>;
        let scenarios: [(&str, Scenario); 4] = [
            ("differential", |w| Box::pin(differential(w))),
            ("shared database", |w| Box::pin(shared_database(w))),
            ("original web -> hcpool stakepoold", |w| {
                Box::pin(orig_web_hcpool_stakepoold(w))
            }),
            ("hcpool web -> original stakepoold", |w| {
                Box::pin(hcpool_web_orig_stakepoold(w))
            }),
        ];
        let only = std::env::var("HCPOOL_COMPAT_ONLY").ok();
        let (mut passed, mut failed) = (0, 0);
        for (name, f) in scenarios {
            if only.as_deref().is_some_and(|o| !name.contains(o)) {
                continue;
            }
            let t = Instant::now();
            let left = BUDGET.saturating_sub(t0.elapsed());
            match tokio::time::timeout(left, f(&world)).await {
                Ok(Ok(note)) => {
                    passed += 1;
                    println!("ok   {name} ({:.1} s): {note}", t.elapsed().as_secs_f64());
                }
                Ok(Err(e)) => {
                    failed += 1;
                    println!("FAIL {name} ({:.1} s): {e:#}", t.elapsed().as_secs_f64());
                }
                Err(_) => {
                    failed += 1;
                    println!("FAIL {name}: over the suite's budget of {BUDGET:?}");
                }
            }
        }
        world.db.drop_all().await;
        Ok::<_, anyhow::Error>((passed, failed))
    });
    rt.shutdown_timeout(Duration::from_secs(5));
    match outcome {
        Ok((p, 0)) => {
            println!(
                "compat suite: {p} passed, 0 failed ({:.0} s)",
                t0.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Ok((p, f)) => {
            println!("compat suite: {p} passed, {f} failed");
            ExitCode::FAILURE
        }
        Err(e) => {
            println!("compat suite: set-up failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! End to end over real sockets: the pool (Rocket on 127.0.0.1:0, wired from a configuration
//! like the binary), the simulated wallets and hcd, and two in-process stakepoold daemons
//! reached over gRPC/TLS through `stakepooldhosts`/`stakepooldcerts`.
//!
//! A user signs up, follows the mailed verification link, signs in, submits an address,
//! reads the purchase info through API v1 with the token, chooses votebits on the voting
//! page; a ticket bought for the user's multisig wins; both daemons vote with those bits and
//! the vote the simulator mines carries them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hcpool_core::backend::{BestBlock, ChainNode, Email, Mailer};
use hcpool_core::tx::Transaction;
use hcpool_core::{Address, Network, TicketHash, TxHash};
use hcpool_simnet::{SimCluster, SimConfig, TicketPurchase, TicketState};
use hcpool_web::config::Config;
use hcpool_web::demo::{sim_parts, LocalStakepoold};

/// hcstakepool's sample user key, as a simnet pubkey address.
const USER_KEY: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";
const EMAIL: &str = "voter@example.com";
const PASSWORD: &str = "correct horse 9";
/// The user's choice on the voting page: agenda 0 "yes" (bits 4), plus bit 0.
const CHOICE: u16 = 4;
const BITS: u16 = 5;

/// Keeps every mail (the capturing mailer of the test).
#[derive(Default)]
struct Capture(Mutex<Vec<Email>>);

#[async_trait]
impl Mailer for Capture {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        self.0.lock().unwrap().push(email.clone());
        Ok(())
    }
}

/// A daemon's hcd link that keeps every transaction the daemon hands over.
struct Watched {
    inner: Arc<dyn ChainNode>,
    sent: Mutex<Vec<Vec<u8>>>,
}

#[async_trait]
impl ChainNode for Watched {
    fn label(&self) -> String {
        self.inner.label()
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.inner.best_block().await
    }
    async fn send_raw_transaction(&self, tx: &[u8]) -> hcpool_core::Result<TxHash> {
        self.sent.lock().unwrap().push(tx.to_vec());
        self.inner.send_raw_transaction(tx).await
    }
    async fn exists_missed_tickets(
        &self,
        tickets: &[TicketHash],
    ) -> hcpool_core::Result<Vec<bool>> {
        self.inner.exists_missed_tickets(tickets).await
    }
}

/// The votebits of a vote spending `ticket` (output 1: OP_RETURN, push, bits LE).
fn vote_bits_for(raw: &[u8], ticket: &TicketHash) -> Option<u16> {
    let tx = Transaction::decode(raw).ok()?;
    let spends = tx
        .inputs
        .get(1)
        .is_some_and(|i| &i.previous_outpoint.hash == ticket);
    let script = &tx.outputs.get(1)?.pk_script;
    (spends && script.first() == Some(&0x6a))
        .then(|| Some(u16::from_le_bytes([*script.get(2)?, *script.get(3)?])))
        .flatten()
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a csrf token") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let a = s
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in page"))
        + start.len();
    let b = s[a..].find(end).unwrap() + a;
    &s[a..b]
}

struct Web {
    http: reqwest::Client,
    origin: String,
}

impl Web {
    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.origin))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts a form with the CSRF token of `form_page`; follows the redirect.
    async fn post(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = csrf_in(&self.get(form_page).await.1);
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        let r = self
            .http
            .post(format!("{}{path}", self.origin))
            .form(&form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

async fn until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(x) = f() {
            return x;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_to_vote_over_real_sockets_with_two_stakepoolds() {
    tokio::time::timeout(Duration::from_secs(180), flow())
        .await
        .expect("the end-to-end flow took more than 180 s");
}

async fn flow() {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let tmp = tempfile::tempdir().unwrap();
    let cluster = SimCluster::start(SimConfig {
        cert_dir: Some(tmp.path().join("simnet")),
        ..SimConfig::default()
    })
    .await
    .unwrap();

    // Two stakepoold daemons, one per voting wallet, each watched on its way to hcd, each
    // requiring the web app's client certificate (mutual TLS: clientcafile).
    let (client_cert, client_key) = (tmp.path().join("web.cert"), tmp.path().join("web.key"));
    hcpool_rpc::pinned_tls::load_or_generate_client(&client_cert, &client_key, "hcpool-web")
        .unwrap();
    let mut daemons = Vec::new();
    let mut watched = Vec::new();
    for i in 0..2 {
        let mut parts = sim_parts(&cluster, i, 0).await.unwrap();
        let w = Arc::new(Watched {
            inner: parts.deps.node.clone(),
            sent: Mutex::new(Vec::new()),
        });
        parts.deps.node = w.clone();
        watched.push(w);
        let dir = tmp.path().join(format!("stakepoold{i}"));
        daemons.push(
            LocalStakepoold::start_with_client_ca(parts, &dir, Some(&client_cert))
                .await
                .unwrap(),
        );
    }

    // The pool, configured like the binary (the nodes by host and pinned certificate).
    let base_url = "http://pool.test";
    let text = format!(
        "{}{}apisecret=e2e-api\ncookiesecret=e2e-cookie\ndburl={}\nbaseurl={base_url}\n\
         adminips=127.0.0.1\nadminuserids=1\nstakepooldclientcert={}\nstakepooldclientkey={}\n\
         nosmtp=1\n",
        cluster.conf_fragment(),
        hcpool_web::demo::conf_fragment(&daemons),
        hcpool_db::sqlite_url_for_path(&tmp.path().join("pool.db")),
        client_cert.display(),
        client_key.display(),
    );
    let cfg = Config::from_ini(&text).unwrap();
    assert!(cfg.pool.enable_stakepoold && cfg.pool.stakepoold_hosts.len() == 2);
    let mut wired = hcpool_web::wiring::build(&cfg, tmp.path()).await.unwrap();
    assert_eq!(wired.state.pool.nodes().len(), 2);
    // A client without the web app's certificate (the original web app) is refused.
    let certless = hcpool_rpc::stakepoold::GrpcVotingNodeConfig::new(
        daemons[0].host(),
        daemons[0].cert_path(),
    );
    assert!(
        hcpool_rpc::stakepoold::GrpcVotingNode::connect(&certless)
            .await
            .is_err(),
        "mutual TLS: a certless client gets nothing"
    );
    assert_eq!(
        wired.state.pool.nodes().stale().len(),
        2,
        "nothing is pushed before the port is bound"
    );
    let pool = wired.state.pool.clone();
    let mail = Arc::new(Capture::default());
    wired.state.mailer = mail.clone();

    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let port_tx = Mutex::new(Some(port_tx));
    let push = hcpool_web::nodes::push_on_liftoff(pool.clone());
    let rocket = hcpool_web::rocket(wired.state, hcpool_web::figment([127, 0, 0, 1].into(), 0))
        .attach(push)
        .attach(hcpool_web::outbox::on_liftoff())
        .attach(rocket::fairing::AdHoc::on_liftoff("port", move |r| {
            let port = r.config().port;
            Box::pin(async move {
                if let Some(tx) = port_tx.lock().unwrap().take() {
                    let _ = tx.send(port);
                }
            })
        }));
    let server = tokio::spawn(rocket.launch());
    let port = port_rx.await.expect("the server started");
    until(
        "both nodes to get the configuration once listening",
        Duration::from_secs(30),
        || pool.nodes().stale().is_empty().then_some(()),
    )
    .await;
    let origin = format!("http://127.0.0.1:{port}");
    let web = Web {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        origin: origin.clone(),
    };

    // Sign up; verify through the mailed link.
    let (s, page) = web
        .post(
            "/signup",
            "/signup",
            &[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("passwordrepeat", PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("A verification email has been sent to"),
        "{page}"
    );
    // The outbox sender (started at lift-off) sends it in the background.
    let body = until("the verification mail", Duration::from_secs(20), || {
        mail.0.lock().unwrap().last().map(|m| m.body.clone())
    })
    .await;
    let link = body
        .split_whitespace()
        .find(|w| w.starts_with(base_url))
        .expect("a link to the pool");
    let path = link.strip_prefix(base_url).unwrap();
    assert!(path.starts_with("/emailverify?t="), "{link}");
    let (s, page) = web.get(path).await;
    assert_eq!(s, 200);
    assert!(page.to_lowercase().contains("verified"), "{page}");

    // Sign in (a fresh session cookie), submit the address.
    let (s, page) = web
        .post(
            "/signin",
            "/signin",
            &[("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("UserPubKeyAddr"),
        "new users land on the address page"
    );
    let key: Address = USER_KEY.parse().unwrap();
    let key = Address::secp_pubkey(Network::Simnet, key.secp_pubkey_compressed().unwrap())
        .unwrap()
        .to_string();
    let (s, page) = web
        .post("/address", "/address", &[("UserPubKeyAddr", &key)])
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("Address registered"), "{page}");

    // The admin status page (user 1 from 127.0.0.1): each wallet with the network and API
    // versions of its connect check, and whether it votes by itself.
    let (s, page) = web.get("/status").await;
    assert!(s == 200 || s == 503, "{s}: {page}");
    let rows: Vec<&str> = page.split("<tr class=\"wallet\">").skip(1).collect();
    assert_eq!(rows.len(), 2, "{page}");
    for row in rows {
        assert!(
            row.contains("<td>simnet</td><td>3.1.0</td><td>4.1.0</td><td>no</td><td>7</td>"),
            "{row}"
        );
    }
    // A wallet restarted with --enablevoting shows at the next look (fresh walletinfo).
    cluster.with_wallet(1, |w| w.voting = true);
    let (_, page) = web.get("/status").await;
    let rows: Vec<&str> = page.split("<tr class=\"wallet\">").skip(1).collect();
    assert!(rows[0].contains("<td>no</td>"), "{}", rows[0]);
    assert!(
        rows[1].contains("yes (--enablevoting: its votes race stakepoold&#x27;s)")
            || rows[1].contains("yes (--enablevoting: its votes race stakepoold's)"),
        "{}",
        rows[1]
    );
    cluster.with_wallet(1, |w| w.voting = false);

    // The API token from the settings page; purchase info through API v1.
    let token = between(
        &web.get("/settings").await.1,
        "<pre id=\"apitoken\">",
        "</pre>",
    )
    .trim()
    .to_owned();
    let r = reqwest::Client::new()
        .get(format!("{origin}/api/v1/getpurchaseinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["status"], "success", "{info}");
    let msa = info["data"]["TicketAddress"].as_str().unwrap().to_owned();
    assert!(msa.starts_with('S'), "a simnet P2SH address: {msa}");
    assert_eq!(info["data"]["VoteBits"], 1);

    // Voting preferences on the voting page.
    let (s, page) = web
        .post("/voting", "/voting", &[("agenda0", &CHOICE.to_string())])
        .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("successfully updated voting preferences"),
        "{page}"
    );
    let r = reqwest::Client::new()
        .get(format!("{origin}/api/v1/getpurchaseinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["data"]["VoteBits"], BITS);

    // Stats name the block just mined (issue 11 item 2: the wallet manager's 5-minute
    // cache under the web's per-block one kept an old height).
    let stats_height = || async {
        let r = reqwest::Client::new()
            .get(format!("{origin}/api/v2/stats"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        v["data"]["BlockHeight"].as_i64().unwrap_or(-1)
    };
    let (_, tip) = cluster.best_block();
    assert_eq!(stats_height().await, i64::from(tip));
    let (_, mined) = cluster.mine(1).unwrap()[0];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = stats_height().await;
        if h == i64::from(mined) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "stats still at height {h} after block {mined} was mined"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Other people's tickets (not the pool's) fill the ticket pool, so the user's ticket is
    // not certain to be drawn in the very block it matures in: a daemon learns of a new
    // ticket from `newtickets` of that block, racing the draw (as the original stakepoold).
    for i in 0..40u8 {
        cluster
            .buy_ticket_for_script([i; 20], &TicketPurchase::new("", 20_000_000, 999))
            .unwrap();
    }
    cluster.mine(1).unwrap();
    // The user's wallet buys a ticket into the multisig (fee address of user 1).
    let ticket = cluster
        .buy_ticket(&TicketPurchase::new(msa.clone(), 20_000_000, 1))
        .unwrap();
    let mut drawn_at = None;
    let mut known = false;
    for _ in 0..60 {
        let (_, height) = cluster.mine(1).unwrap()[0];
        if !known && cluster.ticket_state(&ticket) == Some(TicketState::Live) {
            // Both daemons manage it before the chain moves on.
            until(
                "both daemons to list the ticket live",
                Duration::from_secs(30),
                || {
                    daemons
                        .iter()
                        .all(|d| {
                            d.daemon()
                                .live_tickets()
                                .iter()
                                .any(|t| t.ticket_hash == ticket)
                        })
                        .then_some(())
                },
            )
            .await;
            known = true;
        }
        if cluster.winners(height).contains(&ticket) {
            assert!(
                known,
                "the ticket was drawn in the block it matured in: pick another seed"
            );
            drawn_at = Some(height);
            break;
        }
    }
    let height = drawn_at.expect("the ticket was drawn within 60 blocks");
    let votes: Vec<Vec<u8>> = until("both daemons' votes", Duration::from_secs(60), || {
        let v: Vec<Vec<u8>> = watched
            .iter()
            .filter_map(|w| {
                w.sent
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|raw| vote_bits_for(raw, &ticket).is_some())
                    .cloned()
            })
            .collect();
        (v.len() == 2).then_some(v)
    })
    .await;
    for (i, raw) in votes.iter().enumerate() {
        assert_eq!(
            vote_bits_for(raw, &ticket),
            Some(BITS),
            "stakepoold {i} voted with the user's bits"
        );
    }
    cluster.mine(1).unwrap();
    assert_eq!(cluster.ticket_state(&ticket), Some(TicketState::Voted));

    // The mined vote is the one the daemons handed over: the wallet reports it as the spender.
    let vote_hash = Transaction::decode(&votes[0]).unwrap().hash().to_string();
    let (_, page) = web.get("/tickets").await;
    assert!(page.contains("1 total tickets voted"), "{page}");
    assert!(
        page.contains(&vote_hash),
        "the mined vote {vote_hash} (bits {BITS}) is listed for ticket {ticket} drawn at {height}"
    );

    // Issue 16 row 8: the vote's signed record, checked against the simulated hcd.
    vote_records(&origin, &token, &cluster, &ticket, &vote_hash, &web).await;
    server.abort();
    drop(daemons);
}

/// The signed record of the voted ticket: served by `GET /api/v2/voterecords` (not v1),
/// signed with the key of `GET /api/v2/voterecordkey` (shown on the stats and tickets
/// pages), verified against hcd; a tampered copy fails.
async fn vote_records(
    origin: &str,
    token: &str,
    cluster: &SimCluster,
    ticket: &TicketHash,
    vote_hash: &str,
    web: &Web,
) {
    use hcpool_core::voterecord::{verify_record, RecordFailure, VoteRecordPubKey};
    let get = |path: String| async move {
        let r = reqwest::Client::new()
            .get(format!("{origin}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (s, body) = get("/api/v1/voterecords".into()).await;
    assert_eq!(s, 404, "v1 stays hcstakepool's: {body}");
    let (s, body) = get("/api/v2/voterecordkey".into()).await;
    assert_eq!(s, 200, "{body}");
    let key: serde_json::Value = serde_json::from_str(&body).unwrap();
    let pubkey = key["data"]["pubkey"].as_str().unwrap().to_owned();
    assert_eq!(key["data"]["scheme"], "hcpool vote record v1");
    let pinned: VoteRecordPubKey = pubkey.parse().unwrap();
    let (_, stats) = web.get("/stats").await;
    assert!(stats.contains(&pubkey), "the stats page shows the key");
    let (_, tickets) = web.get("/tickets").await;
    assert!(tickets.contains("/tickets/voterecords.json"), "{tickets}");

    let (s, body) = get("/api/v2/voterecords".into()).await;
    assert_eq!(s, 200, "{body}");
    let doc = hcpool_rpc::voterecords::parse_document(&body).unwrap();
    assert_eq!(doc.pubkey.as_deref(), Some(pubkey.as_str()));
    assert_eq!(doc.records.len(), 1, "{body}");
    let rec = &doc.records[0];
    assert_eq!(rec.record.ticket, *ticket);
    assert_eq!(rec.record.vote_tx.to_string(), vote_hash);
    assert_eq!(rec.record.votebits, BITS);
    assert_eq!(rec.record.requested_votebits, BITS);
    assert!(rec.signature_valid(&pinned));
    // The same records from the tickets page's download (session, not token).
    let (s, file) = web.get("/tickets/voterecords.json").await;
    assert_eq!(s, 200);
    assert_eq!(hcpool_rpc::voterecords::parse_document(&file).unwrap(), doc);

    let node = hcpool_rpc::JsonRpcNode::connect(
        cluster.client_config(hcpool_simnet::Role::Node(0)).unwrap(),
    )
    .await
    .unwrap();
    verify_record(rec, &pinned, &node).await.unwrap();
    let mut tampered = rec.clone();
    tampered.record.votebits = 1;
    assert_eq!(
        verify_record(&tampered, &pinned, &node).await,
        Err(RecordFailure::BadSignature)
    );
    // Without a token: the v2 call answers unauthenticated.
    let r = reqwest::Client::new()
        .get(format!("{origin}/api/v2/voterecords"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "error", "{v}");
    assert_eq!(v["message"], "voterecords error - invalid api token");
}

/// Issue 11 item 4: an instance that cannot bind its port (another one holds it) must not
/// have pushed users and low-fee tickets to the voting nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_whose_port_is_taken_pushes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = SimCluster::start(SimConfig {
        cert_dir: Some(tmp.path().join("simnet")),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tmp.path().join("stakepoold0");
    let daemon = LocalStakepoold::on_cluster(&cluster, 0, &dir)
        .await
        .unwrap();
    let text = format!(
        "{}{}apisecret=e2e-api\ncookiesecret=e2e-cookie\ndburl={}\nbaseurl=http://pool.test\n\
         nosmtp=1\n",
        cluster.conf_fragment(),
        hcpool_web::demo::conf_fragment(std::slice::from_ref(&daemon)),
        hcpool_db::sqlite_url_for_path(&tmp.path().join("pool.db")),
    );
    let cfg = Config::from_ini(&text).unwrap();
    let wired = hcpool_web::wiring::build(&cfg, tmp.path()).await.unwrap();
    let pool = wired.state.pool.clone();

    // The first instance holds the port.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let err = hcpool_web::serve(wired.state, &listen).await.unwrap_err();
    assert!(err.to_string().contains("launch"), "{err}");
    assert_eq!(
        pool.nodes().stale().len(),
        1,
        "the node got nothing from an instance that never listened"
    );
}

/// Issue 15: `maxusers` above 10,000 reaches the wallets' start-up sync: every wallet is
/// asked to watch the pool's ticket addresses up to `maxusers`, not the original's 10,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maxusers_sets_the_wallets_address_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let cluster = SimCluster::start(SimConfig {
        cert_dir: Some(tmp.path().join("simnet")),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tmp.path().join("stakepoold0");
    let daemon = LocalStakepoold::on_cluster(&cluster, 0, &dir)
        .await
        .unwrap();
    let text = format!(
        "{}{}apisecret=e2e-api\ncookiesecret=e2e-cookie\ndburl={}\nbaseurl=http://pool.test\n\
         nosmtp=1\nmaxusers=20000\n",
        cluster.conf_fragment(),
        hcpool_web::demo::conf_fragment(std::slice::from_ref(&daemon)),
        hcpool_db::sqlite_url_for_path(&tmp.path().join("pool.db")),
    );
    let cfg = Config::from_ini(&text).unwrap();
    let wired = hcpool_web::wiring::build(&cfg, tmp.path()).await.unwrap();
    assert_eq!(wired.manager.config().sync_address_index, 20_000);
    for i in 0..cluster.config().wallets {
        assert_eq!(cluster.with_wallet(i, |w| w.watched_index), Some(20_000));
    }
}

//! Sign-up and password-reset latency for known vs unknown addresses (issue 12 item 8):
//! prints the median and p90 of each, no asserts. The app runs in process (Rocket's local
//! client) on SQLite in a temp dir; mail goes to the outbox and is never sent here, which is
//! what a request does now whatever the mail server does.
//!
//! `cargo bench -p hcpool-web --bench mail_enum -- [ROUNDS]` (default 30).

#![allow(clippy::print_stdout)] // A bench binary reports on stdout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hcpool_core::backend::{MockWalletBackend, NewUser, Store, SystemClock, WalletBackend};
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{BackendKind, Error, Network, PoolKeys, Secret, VoteBits};
use hcpool_web::config::WebSettings;
use hcpool_web::mail::LogMailer;
use hcpool_web::AppState;
use rocket::http::ContentType;
use rocket::local::asynchronous::Client;

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";

fn settings() -> WebSettings {
    WebSettings {
        network: Network::Testnet,
        base_url: "http://127.0.0.1:8000".into(),
        api_secret: Secret::new("bench".into()),
        close_pool: false,
        close_pool_msg: String::new(),
        cookie_secure: false,
        pool_email: String::new(),
        pool_fees: 7.5,
        pool_link: String::new(),
        real_ip_header: None,
        smtp_configured: true,
        admin_ips: vec![],
        admin_user_ids: vec![],
        max_voted_age: 100,
        api_rate_limit: 0,
        maintenance: false,
        maintenance_msg: String::new(),
        captcha: false,
        session_max_secs: hcpool_web::session::SESSION_MAX_SECS,
        template_path: None,
        legacy_passwords: false,
        db_min_cluster_size: 0,
        lag_limits: hcpool_core::backend::LagLimits::default(),
        metrics_allow_ips: vec![],
    }
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map_or(0, |i| i + marker.len());
    let end = html[start..].find('"').map_or(start, |i| i + start);
    html[start..end].to_owned()
}

/// One timed POST from a fresh client IP (the per-IP limits never trigger).
async fn timed(client: &Client, n: u32, path: &str, body: String) -> Duration {
    let ip: SocketAddr = format!("10.{}.{}.{}:4000", n >> 16 & 255, n >> 8 & 255, n & 255)
        .parse()
        .unwrap_or_else(|_| SocketAddr::from(([10, 0, 0, 1], 4000)));
    let t = Instant::now();
    let r = client
        .post(path.to_owned())
        .remote(ip)
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    let d = t.elapsed();
    assert_eq!(r.status().code, 303, "{path}");
    d
}

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    format!("median {:7.2} ms  p90 {:7.2} ms", at(0.5), at(0.9))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = hcpool_db::sqlite_url_for_path(&dir.path().join("bench.db"));
    let store: Arc<dyn Store> = Arc::new(hcpool_db::SqlStore::connect(&url).await.expect("store"));
    let mut wallet = MockWalletBackend::new();
    wallet.expect_label().returning(|| "mock".into());
    wallet
        .expect_wallet_info()
        .returning(|| Err(Error::wallet("mock", BackendKind::Unavailable, "bench")));
    let pool = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).expect("keys")),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: Arc::new(wallet) as Arc<dyn WalletBackend>,
        nodes: Arc::new(VotingNodes::new(vec![])),
        clock: Arc::new(SystemClock),
    });
    let state = AppState::build(pool, settings(), Arc::new(LogMailer::redacting())).expect("state");
    let client = Client::tracked(hcpool_web::rocket(
        state,
        hcpool_web::figment([127, 0, 0, 1].into(), 0),
    ))
    .await
    .expect("client");
    store
        .create_user(&NewUser {
            email: "known@example.com".into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::default(),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .expect("known user");
    let page = client.get("/signup").dispatch().await;
    let csrf = csrf_in(&page.into_string().await.unwrap_or_default());

    let (mut su_known, mut su_unknown, mut rs_known, mut rs_unknown) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let pw = "password=longpassword&passwordrepeat=longpassword";
    for i in 0..rounds {
        // Alternate the order so neither side always runs second.
        let n = i * 4;
        let known = format!("email=known%40example.com&{pw}&csrf_token={csrf}");
        let unknown = format!("email=new{i}%40example.com&{pw}&csrf_token={csrf}");
        if i % 2 == 0 {
            su_known.push(timed(&client, n, "/signup", known).await);
            su_unknown.push(timed(&client, n + 1, "/signup", unknown).await);
        } else {
            su_unknown.push(timed(&client, n + 1, "/signup", unknown).await);
            su_known.push(timed(&client, n, "/signup", known).await);
        }
        let known = format!("email=known%40example.com&csrf_token={csrf}");
        let unknown = format!("email=nobody{i}%40example.com&csrf_token={csrf}");
        if i % 2 == 0 {
            rs_known.push(timed(&client, n + 2, "/passwordreset", known).await);
            rs_unknown.push(timed(&client, n + 3, "/passwordreset", unknown).await);
        } else {
            rs_unknown.push(timed(&client, n + 3, "/passwordreset", unknown).await);
            rs_known.push(timed(&client, n + 2, "/passwordreset", known).await);
        }
    }
    println!("mail_enum: {rounds} rounds each, SQLite, mail to the outbox (not sent)");
    println!("POST /signup         known   {}", summary(su_known));
    println!("POST /signup         unknown {}", summary(su_unknown));
    println!("POST /passwordreset  known   {}", summary(rs_known));
    println!("POST /passwordreset  unknown {}", summary(rs_unknown));
}

//! Test fixtures: an app over the in-memory store, an honest fake wallet, a recording mailer.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hcpool_core::backend::MemoryStore;
use hcpool_core::backend::*;
use hcpool_core::ids::Hash32;
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{
    Address, BackendKind, BlockHash, Error, Network, PoolKeys, RedeemScript, Secret, TicketHash,
    TxHash, UserId, VoteBits,
};
use hcpool_web::config::WebSettings;
use hcpool_web::session::SESSION_COOKIE;
use hcpool_web::AppState;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;

pub const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
pub const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
pub const USER_PK: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

/// [`USER_PK`]'s key as a simnet pubkey address: the key the simulator-backed pools
/// register.
pub fn user_key() -> String {
    let key: hcpool_core::Address = USER_PK.parse().unwrap();
    hcpool_core::Address::secp_pubkey(
        hcpool_core::Network::Simnet,
        key.secp_pubkey_compressed().unwrap(),
    )
    .unwrap()
    .to_string()
}
pub const SECRET: &str = "test-api-secret";
pub const BASE_URL: &str = "http://127.0.0.1:8000";

/// A wallet that behaves (computes the multisig, imports, reports stake info) until `down`
/// (unreachable), `hang` (never answers), `hcd_down` (walletinfo says its hcd is not
/// connected) or `behind` (its tip is that many blocks below 1234).
#[derive(Default)]
pub struct FakeWallet {
    pub down: AtomicBool,
    pub hang: AtomicBool,
    pub hcd_down: AtomicBool,
    pub behind: AtomicU32,
    /// When set, `stakepooluserinfo` reports this many live and this many voted tickets
    /// (and a tenth as many invalid ones) instead of the five samples.
    pub bulk: std::sync::atomic::AtomicU32,
    /// Blocks "mined" since the start: part of the tip's hash (the app caches per tip).
    pub blocks: AtomicU32,
    /// `stakepooluserinfo` calls answered.
    pub user_info_calls: AtomicU32,
}

impl FakeWallet {
    async fn up(&self) -> hcpool_core::Result<()> {
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.down.load(Ordering::SeqCst) {
            Err(Error::wallet(
                "fake",
                BackendKind::Unavailable,
                "connection refused",
            ))
        } else {
            Ok(())
        }
    }
}

fn unsupported<T>() -> hcpool_core::Result<T> {
    Err(Error::wallet(
        "fake",
        BackendKind::Rejected,
        "not supported by the fake",
    ))
}

pub fn stake_info() -> StakeInfo {
    StakeInfo {
        block_height: 12345,
        pool_size: 1024,
        difficulty: 2.5,
        all_mempool_tix: 0,
        own_mempool_tix: 0,
        immature: 3,
        live: 40,
        proportion_live: 0.039,
        voted: 50,
        total_subsidy: 12.3,
        missed: 1,
        proportion_missed: 0.02,
        revoked: 1,
        expired: 0,
    }
}

#[async_trait]
impl WalletState for FakeWallet {
    fn label(&self) -> String {
        "fake".into()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        self.up().await?;
        Ok(WalletInfo {
            daemon_connected: !self.hcd_down.load(Ordering::SeqCst),
            unlocked: true,
            tx_fee: 0.01,
            ticket_fee: 0.01,
            ticket_purchasing: false,
            vote_bits: VoteBits(1),
            vote_bits_extended: vec![7, 0, 0, 0],
            vote_version: 7,
            voting: true,
        })
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.up().await?;
        let height = 1234 - self.behind.load(Ordering::SeqCst);
        let mut hash = [0u8; 32];
        hash[..4].copy_from_slice(&height.to_le_bytes());
        hash[4..8].copy_from_slice(&self.blocks.load(Ordering::SeqCst).to_le_bytes());
        Ok(BestBlock {
            hash: Hash32::from_bytes(hash),
            height,
        })
    }
}

#[async_trait]
impl PoolWallet for FakeWallet {
    async fn validate_address(&self, _a: &Address) -> hcpool_core::Result<ValidatedAddress> {
        self.up().await?;
        Ok(ValidatedAddress {
            is_valid: true,
            is_mine: true,
            ..Default::default()
        })
    }
    async fn create_multisig(&self, p: &Address, u: &Address) -> hcpool_core::Result<MultisigInfo> {
        self.up().await?;
        let script = RedeemScript::one_of_two(p, u)?;
        Ok(MultisigInfo {
            address: script.p2sh_address(Network::Testnet),
            redeem_script: script,
        })
    }
    async fn import_script(&self, _s: &RedeemScript, _h: u32) -> hcpool_core::Result<()> {
        self.up().await
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        unsupported()
    }
    async fn account_sync_address_index(
        &self,
        _a: &str,
        _b: u32,
        _i: u32,
    ) -> hcpool_core::Result<()> {
        unsupported()
    }
}

#[async_trait]
impl StakeReporting for FakeWallet {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        self.up().await?;
        Ok(stake_info())
    }
    async fn stake_pool_user_info(&self, _m: &Address) -> hcpool_core::Result<StakePoolUserInfo> {
        self.up().await?;
        self.user_info_calls.fetch_add(1, Ordering::SeqCst);
        let bulk = self.bulk.load(Ordering::SeqCst);
        if bulk > 0 {
            let hash = |kind: u8, i: u32| {
                let mut b = [kind; 32];
                b[..4].copy_from_slice(&i.to_le_bytes());
                Hash32::from_bytes(b)
            };
            let t = |status, kind, i: u32, spent_by_height| UserTicket {
                status,
                ticket: hash(kind, i),
                ticket_height: 100 + i,
                spent_by: hash(kind + 1, i),
                spent_by_height,
            };
            let mut tickets: Vec<UserTicket> = (0..bulk)
                .map(|i| t(TicketStatus::Live, 0x10, i, 0))
                .collect();
            // Voted within maxvotedage (best height 1234, maxvotedage 100), newest first.
            tickets.extend((0..bulk).map(|i| t(TicketStatus::Voted, 0x20, i, 1234 - i % 90)));
            return Ok(StakePoolUserInfo {
                tickets,
                invalid: (0..bulk / 10).map(|i| hash(0x30, i)).collect(),
            });
        }
        let t = |status, n: u8, spent_by_height| UserTicket {
            status,
            ticket: Hash32::from_bytes([n; 32]),
            ticket_height: 900,
            spent_by: Hash32::from_bytes([n + 100; 32]),
            spent_by_height,
        };
        Ok(StakePoolUserInfo {
            tickets: vec![
                t(TicketStatus::Live, 1, 0),
                t(TicketStatus::Voted, 2, 1200),
                t(TicketStatus::Voted, 3, 1000),
                t(TicketStatus::Missed, 4, 1100),
                t(TicketStatus::Expired, 5, 1150),
            ],
            invalid: vec![Hash32::from_bytes([9; 32])],
        })
    }
    async fn tickets(&self, _i: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        unsupported()
    }
    async fn raw_transaction(&self, _h: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        unsupported()
    }
    async fn transaction(&self, _h: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        unsupported()
    }
}

#[async_trait]
impl VotingWallet for FakeWallet {
    async fn add_ticket(&self, _t: &[u8]) -> hcpool_core::Result<()> {
        unsupported()
    }
    async fn generate_vote(
        &self,
        _b: &BlockHash,
        _h: u32,
        _t: &TicketHash,
        _v: VoteBits,
        _e: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        unsupported()
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        unsupported()
    }
}

/// Keeps every mail so tests can follow links.
#[derive(Default)]
pub struct RecordingMailer {
    pub sent: Mutex<Vec<Email>>,
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        self.sent.lock().unwrap().push(email.clone());
        Ok(())
    }
}

pub fn settings() -> WebSettings {
    WebSettings {
        network: Network::Testnet,
        base_url: BASE_URL.into(),
        api_secret: Secret::new(SECRET.into()),
        close_pool: false,
        close_pool_msg: "The stake pool is temporarily closed to new signups.".into(),
        cookie_secure: false,
        pool_email: "dev@h.cash".into(),
        pool_fees: 7.5,
        pool_link: "https://t.me/hcdevelopers".into(),
        real_ip_header: None,
        smtp_configured: false,
        admin_ips: vec![],
        admin_user_ids: vec![],
        max_voted_age: 100,
        api_rate_limit: 600,
        maintenance: false,
        maintenance_msg: "Down for maintenance.".into(),
        captcha: false,
        session_max_secs: hcpool_web::session::SESSION_MAX_SECS,
        legacy_passwords: false,
        template_path: None,
        db_min_cluster_size: 0,
        lag_limits: hcpool_core::backend::LagLimits::default(),
        metrics_allow_ips: vec![],
    }
}

pub struct TestApp {
    pub client: Client,
    pub pool: PoolService,
    pub store: Arc<MemoryStore>,
    pub wallet: Arc<FakeWallet>,
    pub mailer: Arc<RecordingMailer>,
}

pub async fn app() -> TestApp {
    app_with(settings()).await
}

pub async fn app_with(settings: WebSettings) -> TestApp {
    app_custom(settings, None, |s| s).await
}

/// An app whose `pool.wallets()` is `wallets` when given (e.g. a `WalletManager` over
/// fakes), else the single fake, with `tune` applied to the state.
pub async fn app_custom(
    settings: WebSettings,
    wallets: Option<Arc<dyn WalletBackend>>,
    tune: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    app_full(settings, wallets, vec![], None, tune).await
}

/// A stakepoold that keeps what it is told, answers the counts, and fails while `down`.
pub struct FakeNode {
    pub label: String,
    pub down: AtomicBool,
    pub users: Mutex<Option<Vec<UserVotingConfig>>>,
    pub added: Mutex<Option<Vec<TicketEntry>>>,
    pub ignored: Mutex<Vec<TicketEntry>>,
    pub live: Mutex<Vec<TicketEntry>>,
}

impl FakeNode {
    pub fn new(label: &str) -> Arc<Self> {
        Arc::new(FakeNode {
            label: label.into(),
            down: AtomicBool::new(false),
            users: Mutex::new(None),
            added: Mutex::new(None),
            ignored: Mutex::new(Vec::new()),
            live: Mutex::new(Vec::new()),
        })
    }

    fn up(&self) -> hcpool_core::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::VotingNode {
                node: self.label.clone(),
                kind: BackendKind::Unavailable,
                source: "connection refused".into(),
            })
        } else {
            Ok(())
        }
    }

    /// The votebits it holds for `user`, if it was told about the user.
    pub fn bits_of(&self, user: UserId) -> Option<VoteBits> {
        self.users
            .lock()
            .unwrap()
            .as_ref()?
            .iter()
            .find(|u| u.user_id == user)
            .map(|u| u.vote_bits)
    }
}

#[async_trait]
impl VotingNode for FakeNode {
    fn label(&self) -> String {
        self.label.clone()
    }
    async fn version(&self) -> hcpool_core::Result<VotingNodeVersion> {
        self.up()?;
        Ok(VotingNodeVersion {
            version: "4.0.0".into(),
            major: 4,
            minor: 0,
            patch: 0,
        })
    }
    async fn ping(&self) -> hcpool_core::Result<()> {
        self.up()
    }
    async fn set_user_voting_prefs(&self, users: Vec<UserVotingConfig>) -> hcpool_core::Result<()> {
        self.up()?;
        *self.users.lock().unwrap() = Some(users);
        Ok(())
    }
    async fn set_added_low_fee_tickets(&self, t: Vec<TicketEntry>) -> hcpool_core::Result<()> {
        self.up()?;
        *self.added.lock().unwrap() = Some(t);
        Ok(())
    }
    async fn added_low_fee_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        self.up()?;
        Ok(self.added.lock().unwrap().clone().unwrap_or_default())
    }
    async fn ignored_low_fee_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        self.up()?;
        Ok(self.ignored.lock().unwrap().clone())
    }
    async fn live_tickets(&self) -> hcpool_core::Result<Vec<TicketEntry>> {
        self.up()?;
        Ok(self.live.lock().unwrap().clone())
    }
}

pub async fn app_with_nodes(settings: WebSettings, nodes: Vec<Arc<dyn VotingNode>>) -> TestApp {
    app_built(settings, nodes, None).await
}

pub async fn app_built(
    settings: WebSettings,
    nodes: Vec<Arc<dyn VotingNode>>,
    demo: Option<Arc<dyn hcpool_web::demo::DemoChain>>,
) -> TestApp {
    app_full(settings, None, nodes, demo, |s| s).await
}

/// The one builder behind the others.
pub async fn app_full(
    settings: WebSettings,
    wallets: Option<Arc<dyn WalletBackend>>,
    nodes: Vec<Arc<dyn VotingNode>>,
    demo: Option<Arc<dyn hcpool_web::demo::DemoChain>>,
    tune: impl FnOnce(AppState) -> AppState,
) -> TestApp {
    let store = Arc::new(MemoryStore::new());
    let wallet = Arc::new(FakeWallet::default());
    let mailer = Arc::new(RecordingMailer::default());
    let pool = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: wallets.unwrap_or_else(|| wallet.clone() as Arc<dyn WalletBackend>),
        nodes: Arc::new(VotingNodes::new(nodes)),
        clock: Arc::new(SystemClock),
    });
    let mut state = tune(AppState::build(pool.clone(), settings, mailer.clone()).unwrap());
    if let Some(chain) = demo {
        state = state.with_demo_chain(chain);
    }
    let figment = hcpool_web::figment([127, 0, 0, 1].into(), 0);
    let client = Client::tracked(hcpool_web::rocket(state, figment))
        .await
        .unwrap();
    TestApp {
        client,
        pool,
        store,
        wallet,
        mailer,
    }
}

impl TestApp {
    /// The app's state (inside the Rocket instance).
    pub fn state(&self) -> &AppState {
        self.client.rocket().state::<AppState>().expect("AppState")
    }

    /// Sends what the outbox holds now (what the background sender of a served app does).
    pub async fn deliver(&self) -> hcpool_web::outbox::Pass {
        self.state().mail_sender().drain(10).await.unwrap()
    }

    /// Delivers the outbox, then the mails sent so far.
    pub async fn sent(&self) -> std::sync::MutexGuard<'_, Vec<Email>> {
        self.deliver().await;
        self.mailer.sent.lock().unwrap()
    }

    /// A verified user with `password` hashed by `hash` and a current API token.
    pub async fn user_with_hash(&self, email: &str, hash: String) -> (UserId, String) {
        let id = self
            .store
            .create_user(&NewUser {
                email: email.into(),
                password_hash: Secret::new(hash),
                email_token: Secret::new(format!("tok-{email}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            })
            .await
            .unwrap();
        assert_eq!(
            self.store
                .verify_email(&format!("tok-{email}"))
                .await
                .unwrap(),
            Some(id)
        );
        let token = hcpool_web::jwt::issue(SECRET.as_bytes(), BASE_URL, id, 1_600_000_000);
        self.store
            .set_api_token(id, &Secret::new(token.clone()))
            .await
            .unwrap();
        (id, token)
    }

    pub async fn user(&self, email: &str, password: &str) -> (UserId, String) {
        let hash = hcpool_web::auth::hash_password(password.into())
            .await
            .unwrap();
        self.user_with_hash(email, hash.into_inner()).await
    }

    pub async fn get(&self, path: &str) -> (Status, String) {
        let r = self.client.get(path).dispatch().await;
        let s = r.status();
        (s, r.into_string().await.unwrap_or_default())
    }

    pub async fn api_get(&self, path: &str, token: Option<&str>) -> (Status, String) {
        let mut req = self.client.get(path.to_owned());
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        let r = req.dispatch().await;
        let s = r.status();
        (s, r.into_string().await.unwrap_or_default())
    }

    pub async fn api_post(&self, path: &str, token: Option<&str>, body: &str) -> (Status, String) {
        let mut req = self
            .client
            .post(path.to_owned())
            .header(ContentType::Form)
            .body(body);
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        let r = req.dispatch().await;
        let s = r.status();
        (s, r.into_string().await.unwrap_or_default())
    }

    /// Posts a form; returns status, Location header and body.
    pub async fn post_form(&self, path: &str, body: &str) -> (Status, Option<String>, String) {
        let r = self
            .client
            .post(path.to_owned())
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await;
        let s = r.status();
        let loc = r.headers().get_one("Location").map(str::to_owned);
        (s, loc, r.into_string().await.unwrap_or_default())
    }

    /// The CSRF token in the forms of page `path`.
    /// `POST /api/v1/address` with [`USER_PK`] and the bearer `token`.
    pub async fn api_register(&self, token: &str) -> (Status, String) {
        self.api_post(
            "/api/v1/address",
            Some(token),
            &format!("UserPubKeyAddr={USER_PK}"),
        )
        .await
    }

    /// The address form with [`USER_PK`] and `csrf`: status, redirect, body.
    pub async fn post_address(&self, csrf: &str) -> (Status, Option<String>, String) {
        self.post_form(
            "/address",
            &format!("UserPubKeyAddr={USER_PK}&csrf_token={csrf}"),
        )
        .await
    }

    /// The value of the session cookie the client holds now.
    pub fn session_cookie(&self) -> String {
        self.client
            .cookies()
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .expect("a session cookie")
    }

    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path).await;
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> (Status, Option<String>) {
        let csrf = self.csrf("/signin").await;
        let (s, loc, _) = self
            .post_form(
                "/signin",
                &format!(
                    "email={}&password={}&csrf_token={csrf}",
                    enc(email),
                    enc(password)
                ),
            )
            .await;
        (s, loc)
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The path of the pool's link in a mail body (what follows [`BASE_URL`]).
pub fn link_in(body: &str) -> String {
    let start = body.find(BASE_URL).expect("a link to the pool") + BASE_URL.len();
    body[start..]
        .split_whitespace()
        .next()
        .expect("a path after the base URL")
        .to_owned()
}

/// `n` fake wallets behind a real `WalletManager` that needs `min_servers` of them (calls
/// time out after 2 s), and an app over it: `tune` adjusts the state after the manager is
/// attached.
pub async fn app_over_fake_wallets(
    settings: WebSettings,
    n: usize,
    min_servers: usize,
    tune: impl FnOnce(AppState) -> AppState,
) -> (
    TestApp,
    Vec<Arc<FakeWallet>>,
    Arc<hcpool_rpc::WalletManager>,
) {
    use hcpool_rpc::{ManagerConfig, WalletManager};
    let fakes: Vec<Arc<FakeWallet>> = (0..n).map(|_| Arc::new(FakeWallet::default())).collect();
    let manager = Arc::new(WalletManager::new(
        fakes
            .iter()
            .map(|f| f.clone() as Arc<dyn WalletBackend>)
            .collect(),
        ManagerConfig {
            min_servers,
            call_timeout: std::time::Duration::from_secs(2),
            ..ManagerConfig::default()
        },
    ));
    let m = manager.clone();
    let app = app_custom(
        settings,
        Some(manager.clone() as Arc<dyn WalletBackend>),
        move |s| tune(s.with_manager(m)),
    )
    .await;
    (app, fakes, manager)
}

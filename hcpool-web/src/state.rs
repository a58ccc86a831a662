//! The application state every handler shares (no globals).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hcpool_core::backend::{BestBlock, Mailer, StakeInfo, StakePoolUserInfo};
use hcpool_core::service::accounts::{AccountParts, AccountService, AccountSettings};
use hcpool_core::service::{PoolService, RegistrationGate};
use hcpool_core::util::lock;
use hcpool_rpc::WalletManager;
use serde::Serialize;

use crate::config::WebSettings;
use crate::error::WebError;
use crate::health::{SyncReport, WalletSync, CHECK_TTL};

pub use crate::cache::STATS_TTL;

/// Sign-in, sign-up and password-reset attempts allowed per client IP per minute; forms that
/// check a password (sign-in, password and email change) also count per account.
pub const AUTH_ATTEMPTS_PER_MINUTE: u32 = 10;

/// Sign-up captcha challenges issued per client IP per minute (`captcha=1`). Past it,
/// `GET /signup` answers 429 and stores no challenge row, so a loop of requests cannot grow
/// the database faster than this (rows expire after [`crate::captcha::CAPTCHA_TTL_SECS`] and
/// the purge task deletes them).
pub const CAPTCHA_CHALLENGES_PER_MINUTE: u32 = 10;

/// Mail-sending requests allowed per hour per client IP and per account or address: email
/// changes (`/settings/email`, per user) and the verification resend form (per address).
pub const MAIL_REQUESTS_PER_HOUR: u32 = 5;

/// How long a request waits for the wallets before it answers "unavailable" (503 page, API
/// code 14). The wallet manager's own per-call timeout (10 s) usually fires first; this bounds
/// sequential calls and backends without one.
pub const WALLET_DEADLINE: Duration = Duration::from_secs(30);

/// The templates, embedded so the binary runs from any directory.
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.hbs")),
    ("home", include_str!("../templates/home.hbs")),
    ("signup", include_str!("../templates/signup.hbs")),
    ("signin", include_str!("../templates/signin.hbs")),
    (
        "resendverification",
        include_str!("../templates/resendverification.hbs"),
    ),
    ("emailverify", include_str!("../templates/emailverify.hbs")),
    ("logout", include_str!("../templates/logout.hbs")),
    ("address", include_str!("../templates/address.hbs")),
    ("voting", include_str!("../templates/voting.hbs")),
    ("stats", include_str!("../templates/stats.hbs")),
    ("error", include_str!("../templates/error.hbs")),
    ("settings", include_str!("../templates/settings.hbs")),
    (
        "deleteaccount",
        include_str!("../templates/deleteaccount.hbs"),
    ),
    ("tickets", include_str!("../templates/tickets.hbs")),
    ("status", include_str!("../templates/status.hbs")),
    ("maintenance", include_str!("../templates/maintenance.hbs")),
    (
        "admintickets",
        include_str!("../templates/admintickets.hbs"),
    ),
    (
        "passwordreset",
        include_str!("../templates/passwordreset.hbs"),
    ),
    (
        "passwordupdate",
        include_str!("../templates/passwordupdate.hbs"),
    ),
    (
        "notifications",
        include_str!("../templates/notifications.hbs"),
    ),
    ("unsubscribe", include_str!("../templates/unsubscribe.hbs")),
];

/// Everything a request handler needs.
pub struct AppState {
    /// The pool's business steps and backends (with the pool's [`RegistrationGate`]).
    pub pool: PoolService,
    /// Accounts: sign-up, sign-in, passwords, email changes, API tokens, and what the
    /// outbox sends (over the same store, clock and gate as `pool`).
    pub accounts: AccountService,
    /// Web settings from the configuration.
    pub settings: WebSettings,
    /// Outgoing mail: what the outbox sender ([`crate::outbox`]) sends through. Requests
    /// never call it; they store mail through the account service (`AccountService::enqueue`).
    pub mailer: Arc<dyn Mailer>,
    /// Wakes this instance's outbox sender when a request stored mail.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// How the outbox sender retries.
    pub mail_policy: crate::outbox::RetryPolicy,
    /// Mail-sending requests per client IP, per user and per address
    /// ([`MAIL_REQUESTS_PER_HOUR`]).
    pub mail_limiter: crate::limit::RateLimiter,
    /// Sign-in, sign-up and password attempts per client IP and per account.
    pub auth_limiter: crate::limit::RateLimiter,
    /// Captcha challenges issued per client IP ([`CAPTCHA_CHALLENGES_PER_MINUTE`]).
    pub captcha_limiter: crate::limit::RateLimiter,
    /// API requests per client IP (`apiratelimit` per minute).
    pub api_limiter: crate::limit::RateLimiter,
    /// The demo's simulated chain (`None` outside the demo): the status page's "mine a
    /// block" control.
    pub demo_chain: Option<Arc<dyn crate::demo::DemoChain>>,
    /// The app's background tasks: stopped when Rocket shuts down or the state drops.
    pub background: crate::tasks::Background,
    /// This instance's Prometheus metrics (`/metrics`).
    pub metrics: Arc<crate::metrics::WebMetrics>,
    /// The last vote this instance saw (the public health's `last_vote`).
    pub vote_watch: crate::api::health::VoteWatch,
    /// The history behind the stats page's charts ([`crate::history`]).
    pub history: crate::history::History,
    /// Vote notifications: preferences, unsubscribe links, the scan and the digests.
    pub notify: hcpool_core::service::NotifyService,
    /// This instance's notification progress ([`crate::notify`]).
    pub notifier: crate::notify::Notifier,
    /// The key that signs vote records (`voterecordkey`; `None`: no vote records).
    pub vote_record_key: Option<Arc<hcpool_core::voterecord::VoteRecordKey>>,
    templates: crate::templates::Templates,
    cache: crate::cache::ChainCache,
    manager: Option<Arc<WalletManager>>,
    wallet_deadline: Duration,
    /// The wallets' health, as the registration gate (pool and accounts) asks it.
    sync: Arc<WalletSync>,
    /// Held while the stats' tip or stake info is re-read: a burst of requests that all
    /// find the cache expired waits for one wallet call instead of each making its own.
    stats_refresh: tokio::sync::Mutex<()>,
    /// The last user counts and when their query started.
    counts: Mutex<Counts>,
    /// Held while a user-count query runs.
    counts_running: tokio::sync::Mutex<()>,
    /// The voting nodes' lag, reused for a [`CHECK_TTL`] like the sync report.
    node_lag: crate::nodes::LagCache,
}

impl AppState {
    /// Builds the state and compiles the templates.
    ///
    /// # Errors
    /// [`WebError::Template`] when an embedded template does not compile (a build bug).
    pub fn build(
        pool: PoolService,
        settings: WebSettings,
        mailer: Arc<dyn Mailer>,
    ) -> Result<Self, WebError> {
        let templates =
            crate::templates::Templates::load(TEMPLATES, settings.template_path.clone())?;
        let api_limiter =
            crate::limit::RateLimiter::new(settings.api_rate_limit, Duration::from_secs(60));
        let sync = Arc::new(WalletSync::new(
            pool.wallets().clone(),
            WALLET_DEADLINE,
            CHECK_TTL,
        ));
        sync.set_lag_limits(settings.lag_limits, pool.clock().clone());
        let gate = RegistrationGate::new(
            settings.close_pool,
            settings.close_pool_msg.clone(),
            Some(sync.clone()),
        );
        let pool = pool.with_gate(gate.clone());
        let notify = hcpool_core::service::NotifyService::new(
            pool.store().clone(),
            pool.wallets().clone(),
            pool.clock().clone(),
            hcpool_core::service::NotifySettings {
                base_url: settings.base_url.clone(),
                unsubscribe_key: hcpool_core::Secret::new(crate::notify::unsubscribe_key(
                    settings.api_secret.expose(),
                )),
            },
        );
        let mail_wake = Arc::new(tokio::sync::Notify::new());
        let accounts = AccountService::new(AccountParts {
            store: pool.store().clone(),
            clock: pool.clock().clone(),
            hasher: Arc::new(crate::auth::Argon2Hasher),
            tokens: Arc::new(crate::auth::OsTokens),
            api_tokens: Arc::new(crate::jwt::JwtIssuer {
                secret: settings.api_secret.clone(),
                issuer: settings.base_url.clone(),
            }),
            gate,
            settings: AccountSettings {
                base_url: settings.base_url.clone(),
                legacy_passwords: settings.legacy_passwords,
            },
            mail_wake: mail_wake.clone(),
        });
        Ok(AppState {
            api_limiter,
            pool,
            accounts,
            settings,
            mailer,
            mail_wake,
            mail_policy: crate::outbox::RetryPolicy::default(),
            mail_limiter: crate::limit::RateLimiter::new(
                MAIL_REQUESTS_PER_HOUR,
                Duration::from_secs(3600),
            ),
            auth_limiter: crate::limit::RateLimiter::new(
                AUTH_ATTEMPTS_PER_MINUTE,
                Duration::from_secs(60),
            ),
            captcha_limiter: crate::limit::RateLimiter::new(
                CAPTCHA_CHALLENGES_PER_MINUTE,
                Duration::from_secs(60),
            ),
            demo_chain: None,
            background: crate::tasks::Background::new(),
            metrics: Arc::default(),
            vote_watch: crate::api::health::VoteWatch::default(),
            history: crate::history::History::default(),
            notify,
            notifier: crate::notify::Notifier::default(),
            vote_record_key: None,
            templates,
            cache: crate::cache::ChainCache::default(),
            manager: None,
            wallet_deadline: WALLET_DEADLINE,
            sync,
            stats_refresh: tokio::sync::Mutex::new(()),
            counts: Mutex::new(Counts::default()),
            counts_running: tokio::sync::Mutex::new(()),
            node_lag: crate::nodes::LagCache::default(),
        })
    }

    /// Signs vote records with `key` ([`crate::voterecords`]).
    pub fn with_vote_record_key(mut self, key: hcpool_core::voterecord::VoteRecordKey) -> Self {
        self.vote_record_key = Some(Arc::new(key));
        self
    }

    /// Counts into `metrics` (shared with the [`crate::metrics::MeteredWallet`]s the
    /// wallets were wrapped in).
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::WebMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The public health body of block `height` (see [`crate::cache::ChainCache::health_body`]).
    pub fn health_body(
        &self,
        height: i64,
        ttl: Duration,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Arc<[u8]> {
        self.cache.health_body(height, ttl, make)
    }

    /// The caches' hit and miss counters.
    pub fn cache_counters(&self) -> &crate::metrics::CacheCounters {
        &self.cache.counters
    }

    /// Gives the state the wallet manager behind `pool.wallets()`, so the sync gate and
    /// `/status` see every wallet (without it they see the one backend).
    pub fn with_manager(mut self, manager: Arc<WalletManager>) -> Self {
        self.sync.set_manager(manager.clone());
        self.manager = Some(manager);
        self
    }

    /// The wallet manager behind `pool.wallets()`, when the state was given one.
    pub fn manager(&self) -> Option<&Arc<WalletManager>> {
        self.manager.as_ref()
    }

    /// Sets how the outbox sender retries (default [`crate::outbox::RetryPolicy::default`]).
    #[must_use]
    pub fn with_mail_policy(mut self, policy: crate::outbox::RetryPolicy) -> Self {
        self.mail_policy = policy;
        self
    }

    /// A sender of this state's outbox, through its mailer and with its retry policy
    /// ([`crate::outbox::on_liftoff`] runs one; tests call it to deliver at once).
    pub fn mail_sender(&self) -> crate::outbox::Sender {
        crate::outbox::Sender::new(
            self.accounts.clone(),
            self.pool.clock().clone(),
            self.mailer.clone(),
            self.mail_policy,
        )
    }

    /// Sets how long a request waits for the wallets (default [`WALLET_DEADLINE`]).
    pub fn with_wallet_deadline(mut self, deadline: Duration) -> Self {
        self.sync.set_deadline(deadline);
        self.wallet_deadline = deadline;
        self
    }

    /// Sets how long a sync check is reused (default [`CHECK_TTL`]; zero checks every time).
    pub fn with_sync_ttl(self, ttl: Duration) -> Self {
        self.sync.set_ttl(ttl);
        self.node_lag.set_ttl(ttl);
        self
    }

    /// Runs a wallet call with the request deadline: a call that does not finish in time is
    /// an `Unavailable` wallet error (503 page, API code 14), never a hung request.
    ///
    /// # Errors
    /// The call's error, or the timeout.
    pub async fn wallet_call<T>(
        &self,
        call: impl Future<Output = hcpool_core::Result<T>>,
    ) -> hcpool_core::Result<T> {
        let d = self.wallet_deadline;
        tokio::time::timeout(d, call).await.unwrap_or_else(|_| {
            Err(hcpool_core::Error::wallet(
                "wallets",
                hcpool_core::BackendKind::Unavailable,
                format!("no reply within {d:?}"),
            ))
        })
    }

    /// The wallets' vote version for the voting page and API
    /// ([`PoolService::vote_version`](hcpool_core::service::PoolService::vote_version)) under
    /// the request deadline; when the wallets do not answer in time, the last version this
    /// instance knew (every instance learns it at start-up), so a wallet down does not take
    /// the voting page with it.
    ///
    /// # Errors
    /// The wallets' error (or the timeout) when no version was ever known.
    pub async fn vote_version(&self) -> hcpool_core::Result<u32> {
        match self.wallet_call(self.pool.vote_version()).await {
            Ok(v) => Ok(v),
            Err(e) => self.pool.last_vote_version().ok_or(e),
        }
    }

    /// [`AppState::wallet_call`] for an address registration: the registration gate's sync
    /// check (bounded by the same deadline on its own) runs first inside the call, so the
    /// call gets a deadline for the check and one for the registration's wallet steps.
    ///
    /// # Errors
    /// The call's error, or the timeout.
    pub async fn registration_call<T>(
        &self,
        call: impl Future<Output = hcpool_core::Result<T>>,
    ) -> hcpool_core::Result<T> {
        let d = self.wallet_deadline.saturating_mul(2);
        tokio::time::timeout(d, call).await.unwrap_or_else(|_| {
            Err(hcpool_core::Error::wallet(
                "wallets",
                hcpool_core::BackendKind::Unavailable,
                format!("no reply within {d:?}"),
            ))
        })
    }

    /// Whether the wallets can take registrations now ([`SyncReport`]), checked at most
    /// every [`CHECK_TTL`] (see [`AppState::with_sync_ttl`]).
    pub async fn sync_report(&self) -> SyncReport {
        self.sync.report().await
    }

    /// The voting nodes' lag ([`crate::nodes::NodeLag`]: each node's wallet against its
    /// hcd's tip and the pool's, judged by `maxtiplag`), asked at most every [`CHECK_TTL`]
    /// (see [`AppState::with_sync_ttl`]). Empty without nodes.
    pub async fn node_lag(&self) -> Vec<crate::nodes::NodeLag> {
        if self.pool.nodes().is_empty() {
            return Vec::new();
        }
        let tip = self.sync_report().await.node_height;
        self.node_lag
            .get(self.pool.nodes(), tip, self.settings.lag_limits.max_blocks)
            .await
    }

    /// The templates (a handle: [`crate::templates::reload_on_sigusr1`] reloads them).
    pub fn templates(&self) -> crate::templates::Templates {
        self.templates.clone()
    }

    /// The state with the demo's "mine a block" control enabled on `chain`.
    #[must_use]
    pub fn with_demo_chain(mut self, chain: Arc<dyn crate::demo::DemoChain>) -> Self {
        self.demo_chain = Some(chain);
        self
    }

    /// Renders page `name` with its view model `ctx`, inside the layout, in the language of
    /// `nav` ([`crate::lang`]). `title` is the English title ([`crate::pages::title`]); the
    /// page shows its translation.
    ///
    /// # Errors
    /// [`WebError::Template`] when the context misses a field the template uses.
    pub fn render<T: Serialize>(
        &self,
        name: &'static str,
        title: &str,
        nav: &crate::pages::Nav,
        ctx: &T,
    ) -> Result<String, WebError> {
        let lang = nav.lang;
        let body = self
            .templates
            .render_value(name, crate::templates::with_lang(name, ctx, lang)?)?;
        let title = crate::pages::localized_title(lang, title);
        let langs: Vec<LangLink> = hcpool_i18n::Lang::ALL
            .iter()
            .map(|&l| LangLink {
                tag: l.tag(),
                name: l.native_name(),
                current: l == lang,
            })
            .collect();
        let layout = LayoutView {
            title: &title,
            nav,
            body,
            langs,
        };
        self.templates.render_value(
            "layout",
            crate::templates::with_lang("layout", &layout, lang)?,
        )
    }

    /// The wallets' stake info, read again after each new block (seen within
    /// [`crate::cache::TIP_TTL`]) and at least every [`STATS_TTL`]. The cache only saves
    /// wallet calls: an error is never cached.
    ///
    /// # Errors
    /// The wallet's error.
    ///
    /// One request at a time re-reads; meanwhile the others answer with the last reading
    /// (or, when there is none yet, wait for this one within the wallet deadline): under
    /// load an expired cache costs one `getbestblock` and one `getstakeinfo`, not one per
    /// request, and no request queues behind the wallets.
    pub async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        if let Some(info) = self
            .cache
            .recent_tip()
            .and_then(|tip| self.cache.stake_info(&tip.hash))
        {
            return Ok(info);
        }
        let asked = Instant::now();
        // While another request re-reads, answer with the last reading (less than
        // STATS_TTL old) rather than queue behind the wallets: under load the stats lag by
        // one re-read instead of every request waiting for it.
        let refreshing = match self.stats_refresh.try_lock() {
            Ok(guard) => Some(guard),
            Err(_) => match self.cache.latest_stake_info() {
                Some(info) => return Ok(info),
                None => None,
            },
        };
        self.wallet_call(async {
            let _refreshing = match refreshing {
                Some(g) => g,
                None => self.stats_refresh.lock().await,
            };
            // A tip read since this request came (by the request that held the lock) is
            // as fresh as one it would read itself, even when the read took past TIP_TTL.
            let recent = self
                .cache
                .recent_tip()
                .or_else(|| self.cache.tip_read_since(asked));
            let tip = match recent {
                Some(t) => t,
                None => {
                    let t = self.pool.wallets().best_block().await?;
                    self.cache.set_tip(&t);
                    t
                }
            };
            if let Some(info) = self.cache.stake_info(&tip.hash) {
                return Ok(info);
            }
            let info = self.pool.wallets().stake_info().await?;
            self.cache.set_stake_info(&tip.hash, &info);
            Ok(info)
        })
        .await
    }

    /// The store's user counts, re-read at most [`crate::cache::COUNTS_TTL`] after the last
    /// reading (at once after [`AppState::forget_user_counts`]). When they are due, one
    /// request queries while the others answer with the previous reading instead of
    /// queueing (or, when there is none, wait for that query): under load the store sees one
    /// count query per period, and no request waits behind the store for a count.
    ///
    /// # Errors
    /// The store's error (never cached).
    pub async fn user_counts(&self) -> hcpool_core::Result<hcpool_core::backend::UserCounts> {
        if let Some((at, counts)) = lock(&self.counts).reading {
            if at.elapsed() < crate::cache::COUNTS_TTL {
                return Ok(counts);
            }
        }
        let asked = Instant::now();
        let _counting = match self.counts_running.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                // A query is under way: the reading before it, without queueing.
                if let Some((_, counts)) = lock(&self.counts).reading {
                    return Ok(counts);
                }
                let guard = self.counts_running.lock().await;
                if let Some((started, counts)) = lock(&self.counts).reading {
                    if started >= asked {
                        return Ok(counts);
                    }
                }
                guard
            }
        };
        let started = Instant::now();
        let counts = self.pool.store().user_counts().await?;
        let mut c = lock(&self.counts);
        // A reading that started before the counts were dropped may miss the change that
        // dropped them: it answers this request but is not kept.
        if c.dropped.is_none_or(|d| started > d) {
            c.reading = Some((started, counts));
        }
        Ok(counts)
    }

    /// Drops the user counts: a user was added or registered an address through this
    /// instance, and its stats show it from the next request on.
    pub fn forget_user_counts(&self) {
        let mut c = lock(&self.counts);
        c.reading = None;
        c.dropped = Some(Instant::now());
    }

    /// The body of `/api/v1|v2/stats` for these readings, serialized once per change of the
    /// stake info or the counts ([`crate::cache::ChainCache::stats_body`]).
    pub fn stats_body(
        &self,
        info: &StakeInfo,
        counts: hcpool_core::backend::UserCounts,
    ) -> Arc<[u8]> {
        self.cache.stats_body(info, counts, || {
            crate::api::ApiReply::ok(
                "stats successfully retrieved",
                crate::api::ApiData::Some(crate::api::StatsData::new(info, &self.settings, counts)),
            )
            .body
            .into_bytes()
        })
    }

    /// The tip and a user's tickets (`stakepooluserinfo`), the list read once per block:
    /// the tip is asked each time (one cheap call), the list only when the tip moved.
    ///
    /// # Errors
    /// The wallet's error or the request deadline.
    pub async fn user_tickets(
        &self,
        multisig: &hcpool_core::Address,
    ) -> hcpool_core::Result<(BestBlock, Arc<StakePoolUserInfo>)> {
        let wallets = self.pool.wallets();
        self.wallet_call(async {
            let tip = wallets.best_block().await?;
            self.cache.set_tip(&tip);
            let key = multisig.to_string();
            if let Some(info) = self.cache.user_tickets(&key, &tip.hash) {
                return Ok((tip, info));
            }
            let info = wallets.stake_pool_user_info(multisig).await?;
            Ok((tip, self.cache.set_user_tickets(&key, &tip.hash, info)))
        })
        .await
    }

    /// Drops the cached wallet answers (the demo mined a block: show it at once).
    pub fn forget_chain_caches(&self) {
        self.cache.clear();
    }

    /// Now, unix seconds, from the pool's clock.
    pub fn now(&self) -> i64 {
        self.pool.clock().now_unix()
    }
}

/// The user counts of the stats and when they were last dropped.
#[derive(Debug, Default)]
struct Counts {
    /// When the query started, and its answer.
    reading: Option<(Instant, hcpool_core::backend::UserCounts)>,
    /// When [`AppState::forget_user_counts`] last ran.
    dropped: Option<Instant>,
}

/// The layout around every page: its title, the navigation and the rendered page body.
#[derive(Serialize)]
struct LayoutView<'a> {
    title: &'a str,
    nav: &'a crate::pages::Nav,
    body: String,
    /// The language switch.
    langs: Vec<LangLink>,
}

/// One entry of the language switch.
#[derive(Serialize)]
struct LangLink {
    tag: &'static str,
    name: &'static str,
    current: bool,
}

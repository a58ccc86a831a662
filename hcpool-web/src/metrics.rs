//! Prometheus metrics of the web app on `GET /metrics` (text exposition format 0.0.4):
//! requests by route and status with latency histograms, sign-ups, address registrations,
//! wallet calls (latency and errors, per JSON-RPC method), the per-block caches' hits and
//! misses, and the wallets' health from the sync check (ready, at the tip, lagging, blocks
//! behind their hcd, tip age).
//!
//! Hand-formatted like stakepoold's (`stakepoold::metrics`): atomics and a few small maps
//! need no metrics crate. Labels are bounded: routes are the mounted route templates
//! (`/api/v1/<command>`), never the request path, and wallet methods are the trait's.
//!
//! Who may read it: client IPs in `adminips` or `metricsallowips` (the same client IP as
//! everywhere, `realipheader` honoured); anyone else gets 404, as if there were no such
//! page. The numbers are per instance: a Prometheus job scrapes every instance.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hcpool_core::backend::{
    BestBlock, MultisigInfo, PoolWallet, StakeInfo, StakePoolUserInfo, StakeReporting,
    ValidatedAddress, VotingWallet, WalletBackend, WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::util::lock;
use hcpool_core::{Address, BlockHash, RedeemScript, TicketHash, TxHash, VoteBits};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::{Data, Request, Response};

use crate::health::SyncReport;

/// Upper bounds of the latency buckets, seconds (requests and wallet calls).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram (cumulative buckets, as Prometheus reads them).
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, b) in LATENCY_BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if secs <= *bound {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum_secs += secs;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, b) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {b}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum_secs);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// One wallet method's calls.
#[derive(Debug, Default, Clone)]
struct Calls {
    latency: Histogram,
    errors: u64,
}

/// The per-block caches whose hits and misses are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CacheName {
    /// The chain tip read for the stats.
    Tip,
    /// `getstakeinfo`.
    StakeInfo,
    /// A user's tickets.
    UserTickets,
    /// The prepared `/api/v1|v2/stats` body.
    StatsBody,
    /// The prepared public health body (`/api/v3/health`).
    Health,
}

impl CacheName {
    const ALL: [CacheName; 5] = [
        CacheName::Tip,
        CacheName::StakeInfo,
        CacheName::UserTickets,
        CacheName::StatsBody,
        CacheName::Health,
    ];

    fn label(self) -> &'static str {
        match self {
            CacheName::Tip => "tip",
            CacheName::StakeInfo => "stake_info",
            CacheName::UserTickets => "user_tickets",
            CacheName::StatsBody => "stats_body",
            CacheName::Health => "health",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Hits and misses of the caches ([`crate::cache::ChainCache`] counts into it).
#[derive(Debug, Default)]
pub struct CacheCounters {
    hits: [AtomicU64; 5],
    misses: [AtomicU64; 5],
}

impl CacheCounters {
    /// Counts one lookup of `cache`.
    pub fn record(&self, cache: CacheName, hit: bool) {
        let a = if hit { &self.hits } else { &self.misses };
        if let Some(c) = a.get(cache.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Hits and misses of `cache` so far.
    pub fn get(&self, cache: CacheName) -> (u64, u64) {
        let l = |a: &[AtomicU64; 5]| {
            a.get(cache.index())
                .map_or(0, |c| c.load(Ordering::Relaxed))
        };
        (l(&self.hits), l(&self.misses))
    }
}

/// The web app's metrics. Cheap to update from any request.
#[derive(Debug, Default)]
pub struct WebMetrics {
    /// (method, route, status) → count.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) → latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    /// wallet method → calls.
    wallet_calls: Mutex<BTreeMap<&'static str, Calls>>,
    signups: AtomicU64,
    registrations: AtomicU64,
}

impl WebMetrics {
    /// A request answered with `status` after `elapsed`; `route` is the matched route's
    /// template (`None`: no route matched).
    pub fn request(&self, method: &str, route: Option<&str>, status: u16, elapsed: Duration) {
        let route = route.unwrap_or("unmatched").to_owned();
        *lock(&self.requests)
            .entry((method.to_owned(), route.clone(), status))
            .or_default() += 1;
        lock(&self.latency)
            .entry((method.to_owned(), route))
            .or_default()
            .observe(elapsed);
    }

    /// An account was made (the verification mail is on its way).
    pub fn signed_up(&self) {
        self.signups.fetch_add(1, Ordering::Relaxed);
    }

    /// A user's address was registered.
    pub fn registered(&self) {
        self.registrations.fetch_add(1, Ordering::Relaxed);
    }

    /// A wallet call to `method` took `elapsed` and succeeded or not.
    pub fn wallet_call(&self, method: &'static str, elapsed: Duration, ok: bool) {
        let mut m = lock(&self.wallet_calls);
        let c = m.entry(method).or_default();
        c.latency.observe(elapsed);
        if !ok {
            c.errors += 1;
        }
    }

    /// Sign-ups so far.
    pub fn signups(&self) -> u64 {
        self.signups.load(Ordering::Relaxed)
    }

    /// Registrations so far.
    pub fn registrations(&self) -> u64 {
        self.registrations.load(Ordering::Relaxed)
    }

    /// The Prometheus text: these counters, the caches' `counters`, the wallets' health
    /// `report` and the voting nodes' lag `nodes`.
    pub fn render(
        &self,
        caches: &CacheCounters,
        report: &SyncReport,
        nodes: &[crate::nodes::NodeLag],
    ) -> String {
        let mut out = String::new();
        head(
            &mut out,
            "hcpool_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status.",
        );
        for ((method, route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "hcpool_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(method),
                escape(route)
            );
        }
        head(
            &mut out,
            "hcpool_http_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its response, by method and route template.",
        );
        for ((method, route), h) in lock(&self.latency).iter() {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            h.render(&mut out, "hcpool_http_request_duration_seconds", &labels);
        }
        one(
            &mut out,
            "hcpool_signups_total",
            "counter",
            "Accounts made (sign-ups that passed every check).",
            self.signups(),
        );
        one(
            &mut out,
            "hcpool_registrations_total",
            "counter",
            "Users' addresses registered (multisig imported into the wallets).",
            self.registrations(),
        );
        let calls = lock(&self.wallet_calls).clone();
        head(
            &mut out,
            "hcpool_wallet_call_duration_seconds",
            "histogram",
            "Wallet JSON-RPC calls, by method.",
        );
        for (method, c) in &calls {
            let labels = format!("method=\"{method}\"");
            c.latency
                .render(&mut out, "hcpool_wallet_call_duration_seconds", &labels);
        }
        head(
            &mut out,
            "hcpool_wallet_call_errors_total",
            "counter",
            "Wallet JSON-RPC calls that failed (an error answer, a lost link, a timeout), by method.",
        );
        for (method, c) in &calls {
            let _ = writeln!(
                out,
                "hcpool_wallet_call_errors_total{{method=\"{method}\"}} {}",
                c.errors
            );
        }
        for (name, help, hit) in [
            (
                "hcpool_cache_hits_total",
                "Lookups answered from a per-block cache, by cache.",
                true,
            ),
            (
                "hcpool_cache_misses_total",
                "Lookups a per-block cache could not answer, by cache.",
                false,
            ),
        ] {
            head(&mut out, name, "counter", help);
            for c in CacheName::ALL {
                let (h, m) = caches.get(c);
                let _ = writeln!(
                    out,
                    "{name}{{cache=\"{}\"}} {}",
                    c.label(),
                    if hit { h } else { m }
                );
            }
        }
        render_health(&mut out, report);
        render_node_lag(&mut out, nodes);
        out
    }
}

/// The wallets' health gauges.
/// The voting nodes' lag (`Ping`'s heights; a node that reports none has no sample).
fn render_node_lag(out: &mut String, nodes: &[crate::nodes::NodeLag]) {
    head(
        out,
        "hcpool_stakepoold_lagging",
        "gauge",
        "The voting node's wallet trails hcd's tip by more than maxtiplag blocks (1) or not (0), by stakepoold host.",
    );
    for n in nodes.iter().filter(|n| n.wallet_height.is_some()) {
        let _ = writeln!(
            out,
            "hcpool_stakepoold_lagging{{node=\"{}\"}} {}",
            escape(&n.label),
            u8::from(n.lagging)
        );
    }
    head(
        out,
        "hcpool_stakepoold_blocks_behind",
        "gauge",
        "Blocks the voting node's wallet trails hcd's tip, by stakepoold host.",
    );
    for n in nodes {
        if let Some(b) = n.blocks_behind {
            let _ = writeln!(
                out,
                "hcpool_stakepoold_blocks_behind{{node=\"{}\"}} {b}",
                escape(&n.label)
            );
        }
    }
}

fn render_health(out: &mut String, r: &SyncReport) {
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    one(
        out,
        "hcpool_registration_open",
        "gauge",
        "Address registration is open (1) or refused because the wallets are not in sync (0).",
        u64::from(r.in_sync()),
    );
    one(
        out,
        "hcpool_wallets",
        "gauge",
        "Wallets configured.",
        n(r.wallets),
    );
    one(
        out,
        "hcpool_wallets_ready",
        "gauge",
        "Wallets reachable, connected to their hcd and unlocked.",
        n(r.wallets_ready),
    );
    one(
        out,
        "hcpool_wallets_in_sync",
        "gauge",
        "Ready wallets at the chain tip and not lagging.",
        n(r.wallets_in_sync),
    );
    one(
        out,
        "hcpool_wallets_lagging",
        "gauge",
        "Ready wallets whose tip trails their hcd's by more than maxtiplag blocks or is older than maxtipage.",
        n(r.wallets_lagging),
    );
    if let Some(h) = r.height {
        one(
            out,
            "hcpool_chain_height",
            "gauge",
            "The highest chain tip among ready wallets.",
            u64::from(h),
        );
    }
    if let Some(h) = r.node_height {
        one(
            out,
            "hcpool_node_height",
            "gauge",
            "The highest tip the wallets' hcd nodes report.",
            u64::from(h),
        );
    }
    head(
        out,
        "hcpool_wallet_lagging",
        "gauge",
        "The wallet lags its hcd or the clock (1) or not (0), by wallet.",
    );
    for l in &r.lag {
        let _ = writeln!(
            out,
            "hcpool_wallet_lagging{{wallet=\"{}\"}} {}",
            escape(&l.label),
            u8::from(l.lag.lagging.is_some())
        );
    }
    head(
        out,
        "hcpool_wallet_blocks_behind",
        "gauge",
        "Blocks the wallet's tip trails its hcd's tip, by wallet.",
    );
    for l in &r.lag {
        if let Some(b) = l.lag.blocks_behind {
            let _ = writeln!(
                out,
                "hcpool_wallet_blocks_behind{{wallet=\"{}\"}} {b}",
                escape(&l.label)
            );
        }
    }
    head(
        out,
        "hcpool_wallet_tip_age_seconds",
        "gauge",
        "Age of the wallet's tip block (its header timestamp), by wallet.",
    );
    for l in &r.lag {
        if let Some(a) = l.lag.tip_age_secs {
            let _ = writeln!(
                out,
                "hcpool_wallet_tip_age_seconds{{wallet=\"{}\"}} {a}",
                escape(&l.label)
            );
        }
    }
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
}

fn one(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    head(out, name, kind, help);
    let _ = writeln!(out, "{name} {v}");
}

/// A label value as the exposition format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The fairing that counts and times every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMetrics;

/// When the request arrived (the request's local cache).
struct Arrived(Option<Instant>);

#[rocket::async_trait]
impl Fairing for RequestMetrics {
    fn info(&self) -> Info {
        Info {
            name: "request metrics",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Some(Instant::now())));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(state) = req.rocket().state::<crate::AppState>() else {
            return;
        };
        let elapsed = req
            .local_cache(|| Arrived(None))
            .0
            .map_or(Duration::ZERO, |at| at.elapsed());
        let route = req.route().map(|r| r.uri.to_string());
        state.metrics.request(
            req.method().as_str(),
            route.as_deref(),
            res.status().code,
            elapsed,
        );
    }
}

/// Whether the client may read `/metrics`: its IP is in `adminips` or `metricsallowips`.
pub fn allowed(state: &crate::AppState, client_ip: &str) -> bool {
    let Ok(ip) = client_ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    state.settings.admin_ips.contains(&ip) || state.settings.metrics_allow_ips.contains(&ip)
}

#[rocket::get("/metrics")]
async fn get_metrics(
    state: &rocket::State<crate::AppState>,
    ip: crate::limit::ClientIp,
) -> Result<(ContentType, String), Status> {
    if !allowed(state, &ip.0) {
        return Err(Status::NotFound);
    }
    let report = state.sync_report().await;
    let nodes = state.node_lag().await;
    let text = state
        .metrics
        .render(state.cache_counters(), &report, &nodes);
    Ok((
        ContentType::new("text", "plain").with_params(("version", "0.0.4")),
        text,
    ))
}

/// The `/metrics` route.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_metrics]
}

/// A wallet whose every call is timed and counted in [`WebMetrics`] (by JSON-RPC method).
pub struct MeteredWallet {
    inner: Arc<dyn WalletBackend>,
    metrics: Arc<WebMetrics>,
}

impl std::fmt::Debug for MeteredWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeteredWallet")
            .field("wallet", &self.inner.label())
            .finish_non_exhaustive()
    }
}

impl MeteredWallet {
    /// `inner`, counted into `metrics`.
    pub fn new(inner: Arc<dyn WalletBackend>, metrics: Arc<WebMetrics>) -> Self {
        MeteredWallet { inner, metrics }
    }

    async fn timed<T>(
        &self,
        method: &'static str,
        call: impl std::future::Future<Output = hcpool_core::Result<T>>,
    ) -> hcpool_core::Result<T> {
        let at = Instant::now();
        let r = call.await;
        self.metrics.wallet_call(method, at.elapsed(), r.is_ok());
        r
    }
}

#[async_trait]
impl WalletState for MeteredWallet {
    fn label(&self) -> String {
        self.inner.label()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        self.timed("walletinfo", self.inner.wallet_info()).await
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.timed("getbestblock", self.inner.best_block()).await
    }
    async fn node_height(&self) -> hcpool_core::Result<Option<u32>> {
        self.timed("getinfo", self.inner.node_height()).await
    }
    async fn block_time(&self, hash: &BlockHash) -> hcpool_core::Result<Option<u64>> {
        self.timed("getblockheader", self.inner.block_time(hash))
            .await
    }
}

#[async_trait]
impl PoolWallet for MeteredWallet {
    async fn validate_address(&self, address: &Address) -> hcpool_core::Result<ValidatedAddress> {
        self.timed("validateaddress", self.inner.validate_address(address))
            .await
    }
    async fn create_multisig(
        &self,
        pool: &Address,
        user: &Address,
    ) -> hcpool_core::Result<MultisigInfo> {
        self.timed("createmultisig", self.inner.create_multisig(pool, user))
            .await
    }
    async fn import_script(
        &self,
        script: &RedeemScript,
        rescan_from: u32,
    ) -> hcpool_core::Result<()> {
        self.timed(
            "importscript",
            self.inner.import_script(script, rescan_from),
        )
        .await
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        self.timed("listscripts", self.inner.list_scripts()).await
    }
    async fn account_sync_address_index(
        &self,
        account: &str,
        branch: u32,
        index: u32,
    ) -> hcpool_core::Result<()> {
        self.timed(
            "accountsyncaddressindex",
            self.inner
                .account_sync_address_index(account, branch, index),
        )
        .await
    }
}

#[async_trait]
impl StakeReporting for MeteredWallet {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        self.timed("getstakeinfo", self.inner.stake_info()).await
    }
    async fn stake_pool_user_info(
        &self,
        multisig: &Address,
    ) -> hcpool_core::Result<StakePoolUserInfo> {
        self.timed(
            "stakepooluserinfo",
            self.inner.stake_pool_user_info(multisig),
        )
        .await
    }
    async fn tickets(&self, include_immature: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        self.timed("gettickets", self.inner.tickets(include_immature))
            .await
    }
    async fn raw_transaction(&self, hash: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        self.timed("getrawtransaction", self.inner.raw_transaction(hash))
            .await
    }
    async fn transaction(&self, hash: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        self.timed("gettransaction", self.inner.transaction(hash))
            .await
    }
}

#[async_trait]
impl VotingWallet for MeteredWallet {
    async fn add_ticket(&self, tx: &[u8]) -> hcpool_core::Result<()> {
        self.timed("addticket", self.inner.add_ticket(tx)).await
    }
    async fn generate_vote(
        &self,
        block_hash: &BlockHash,
        height: u32,
        ticket: &TicketHash,
        vote_bits: VoteBits,
        vote_bits_extended: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        self.timed(
            "generatevote",
            self.inner
                .generate_vote(block_hash, height, ticket, vote_bits, vote_bits_extended),
        )
        .await
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        self.timed("revoketickets", self.inner.revoke_tickets())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_core::backend::{Lag, LagReason, WalletLag};

    #[test]
    fn renders_counters_histograms_and_health() {
        let m = WebMetrics::default();
        m.request(
            "GET",
            Some("/api/v1/<command>"),
            200,
            Duration::from_millis(3),
        );
        m.request(
            "GET",
            Some("/api/v1/<command>"),
            200,
            Duration::from_millis(30),
        );
        m.request("GET", None, 404, Duration::from_millis(1));
        m.signed_up();
        m.registered();
        m.registered();
        m.wallet_call("getbestblock", Duration::from_millis(2), true);
        m.wallet_call("getbestblock", Duration::from_secs(40), false);
        let caches = CacheCounters::default();
        caches.record(CacheName::StatsBody, true);
        caches.record(CacheName::StatsBody, true);
        caches.record(CacheName::StatsBody, false);
        let report = SyncReport {
            wallets: 2,
            wallets_ready: 2,
            wallets_lagging: 1,
            node_height: Some(110),
            height: Some(110),
            lag: vec![WalletLag {
                label: "w\"1".into(),
                height: 100,
                node_height: Some(110),
                lag: Lag {
                    blocks_behind: Some(10),
                    tip_age_secs: Some(60),
                    lagging: Some(LagReason::BlocksBehind),
                },
            }],
            ..SyncReport::default()
        };
        let nodes = [crate::nodes::NodeLag {
            label: "10.0.0.5:9113".into(),
            wallet_height: Some(100),
            node_height: Some(110),
            blocks_behind: Some(10),
            lagging: true,
        }];
        let text = m.render(&caches, &report, &nodes);
        for line in [
            "hcpool_http_requests_total{method=\"GET\",route=\"/api/v1/<command>\",status=\"200\"} 2",
            "hcpool_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
            "hcpool_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/<command>\",le=\"0.005\"} 1",
            "hcpool_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/<command>\",le=\"+Inf\"} 2",
            "hcpool_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/<command>\"} 2",
            "hcpool_signups_total 1",
            "hcpool_registrations_total 2",
            "hcpool_wallet_call_errors_total{method=\"getbestblock\"} 1",
            "hcpool_wallet_call_duration_seconds_bucket{method=\"getbestblock\",le=\"30\"} 1",
            "hcpool_wallet_call_duration_seconds_count{method=\"getbestblock\"} 2",
            "hcpool_cache_hits_total{cache=\"stats_body\"} 2",
            "hcpool_cache_misses_total{cache=\"stats_body\"} 1",
            "hcpool_wallets_lagging 1",
            "hcpool_node_height 110",
            "hcpool_stakepoold_lagging{node=\"10.0.0.5:9113\"} 1",
            "hcpool_stakepoold_blocks_behind{node=\"10.0.0.5:9113\"} 10",
            "hcpool_wallet_lagging{wallet=\"w\\\"1\"} 1",
            "hcpool_wallet_blocks_behind{wallet=\"w\\\"1\"} 10",
            "hcpool_wallet_tip_age_seconds{wallet=\"w\\\"1\"} 60",
            "hcpool_registration_open 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Every sample line belongs to a declared metric family.
        let families: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let name = l.split(['{', ' ']).next().unwrap_or_default();
            assert!(
                families.iter().any(|f| name == *f
                    || name
                        .strip_prefix(f)
                        .is_some_and(|s| ["_bucket", "_sum", "_count"].contains(&s))),
                "{l} has no TYPE line"
            );
        }
    }
}

//! Counters, a live-ticket gauge and a per-vote latency histogram, in Prometheus' text
//! exposition format, plus a status snapshot for the web app's admin page.
//!
//! Hand-formatted: a handful of atomics needs no metrics crate.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the vote-latency buckets, seconds (notification → vote handed to hcd).
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The daemon's metrics. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    votes_cast: AtomicU64,
    votes_failed: AtomicU64,
    votes_duplicate: AtomicU64,
    vote_retries: AtomicU64,
    live_tickets: AtomicU64,
    ignored_tickets: AtomicU64,
    to_revoke: AtomicU64,
    revocations_given_up: AtomicU64,
    winning_notifications: AtomicU64,
    last_block_height: AtomicU64,
    revocation_requests: AtomicU64,
    revocation_failures: AtomicU64,
    tickets_revoked: AtomicU64,
    wallet_connected: AtomicU64,
    node_connected: AtomicU64,
    /// Milliseconds; `u64::MAX` = no block seen yet.
    last_block_age_ms: AtomicU64,
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// A point-in-time copy of the metrics (the admin page's status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusSnapshot {
    /// Votes relayed by hcd.
    pub votes_cast: u64,
    /// Votes that failed after every retry.
    pub votes_failed: u64,
    /// Votes hcd already had (the wallet voted too).
    pub votes_duplicate: u64,
    /// Vote attempts retried.
    pub vote_retries: u64,
    /// Live tickets.
    pub live_tickets: u64,
    /// Ignored low-fee tickets.
    pub ignored_tickets: u64,
    /// Missed or expired pool tickets waiting for revocation.
    pub to_revoke: u64,
    /// Of those, the ones the daemon gave up revoking (the operator must look).
    pub revocations_given_up: u64,
    /// `winningtickets` notifications handled.
    pub winning_notifications: u64,
    /// Height of the last `winningtickets` block.
    pub last_block_height: u64,
    /// `revoketickets` calls that succeeded (or found the wallet's own revocation).
    pub revocation_requests: u64,
    /// `revoketickets` calls that failed.
    pub revocation_failures: u64,
    /// Pool tickets seen revoked (reported again by hcd, or gone from its missed set).
    pub tickets_revoked: u64,
    /// The wallet link was up at the last health check (1) or not (0).
    pub wallet_connected: u64,
    /// The node link was up at the last health check (1) or not (0).
    pub node_connected: u64,
}

impl Metrics {
    /// A vote relayed, `latency` after its notification arrived.
    pub fn vote_cast(&self, latency: Duration) {
        self.votes_cast.fetch_add(1, Ordering::Relaxed);
        self.observe(latency);
    }

    /// A vote hcd already had.
    pub fn vote_duplicate(&self, latency: Duration) {
        self.votes_duplicate.fetch_add(1, Ordering::Relaxed);
        self.observe(latency);
    }

    /// A vote given up.
    pub fn vote_failed(&self) {
        self.votes_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// A vote attempt retried.
    pub fn vote_retried(&self) {
        self.vote_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// A `winningtickets` notification for `height`.
    pub fn winning(&self, height: u32) {
        self.winning_notifications.fetch_add(1, Ordering::Relaxed);
        self.last_block_height
            .fetch_max(u64::from(height), Ordering::Relaxed);
    }

    /// A `revoketickets` call succeeded, or failed because the wallet's own revocation
    /// was already relayed.
    pub fn revocation_requested(&self) {
        self.revocation_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A `revoketickets` call failed.
    pub fn revocation_failed(&self) {
        self.revocation_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A pool ticket was seen revoked.
    pub fn ticket_revoked(&self) {
        self.tickets_revoked.fetch_add(1, Ordering::Relaxed);
    }

    /// Sets the health gauges.
    pub fn set_health(&self, wallet: bool, node: bool, last_block_age: Option<Duration>) {
        self.wallet_connected
            .store(u64::from(wallet), Ordering::Relaxed);
        self.node_connected
            .store(u64::from(node), Ordering::Relaxed);
        let age = last_block_age.map_or(u64::MAX, |a| {
            u64::try_from(a.as_millis()).unwrap_or(u64::MAX - 1)
        });
        self.last_block_age_ms.store(age, Ordering::Relaxed);
    }

    /// Sets the ticket gauges.
    pub fn set_tickets(&self, live: usize, ignored: usize, to_revoke: usize) {
        let g = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.live_tickets.store(g(live), Ordering::Relaxed);
        self.ignored_tickets.store(g(ignored), Ordering::Relaxed);
        self.to_revoke.store(g(to_revoke), Ordering::Relaxed);
    }

    /// Sets the gauge of missed tickets the daemon gave up revoking.
    pub fn set_revocations_given_up(&self, n: usize) {
        self.revocations_given_up
            .store(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn observe(&self, latency: Duration) {
        let secs = latency.as_secs_f64();
        for (bound, b) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> StatusSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatusSnapshot {
            votes_cast: l(&self.votes_cast),
            votes_failed: l(&self.votes_failed),
            votes_duplicate: l(&self.votes_duplicate),
            vote_retries: l(&self.vote_retries),
            live_tickets: l(&self.live_tickets),
            ignored_tickets: l(&self.ignored_tickets),
            to_revoke: l(&self.to_revoke),
            revocations_given_up: l(&self.revocations_given_up),
            winning_notifications: l(&self.winning_notifications),
            last_block_height: l(&self.last_block_height),
            revocation_requests: l(&self.revocation_requests),
            revocation_failures: l(&self.revocation_failures),
            tickets_revoked: l(&self.tickets_revoked),
            wallet_connected: l(&self.wallet_connected),
            node_connected: l(&self.node_connected),
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let s = self.snapshot();
        let mut out = String::new();
        let mut one = |name: &str, kind: &str, help: &str, v: u64| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
            );
        };
        one(
            "stakepoold_votes_cast_total",
            "counter",
            "Votes relayed by hcd.",
            s.votes_cast,
        );
        one(
            "stakepoold_votes_failed_total",
            "counter",
            "Votes that failed after every retry.",
            s.votes_failed,
        );
        one(
            "stakepoold_votes_duplicate_total",
            "counter",
            "Votes hcd already had.",
            s.votes_duplicate,
        );
        one(
            "stakepoold_vote_retries_total",
            "counter",
            "Vote attempts retried.",
            s.vote_retries,
        );
        one(
            "stakepoold_live_tickets",
            "gauge",
            "Live tickets the pool votes.",
            s.live_tickets,
        );
        one(
            "stakepoold_ignored_low_fee_tickets",
            "gauge",
            "Pool tickets ignored for a low fee.",
            s.ignored_tickets,
        );
        one(
            "stakepoold_tickets_to_revoke",
            "gauge",
            "Missed or expired pool tickets waiting for revocation.",
            s.to_revoke,
        );
        one(
            "stakepoold_revocations_given_up",
            "gauge",
            "Missed pool tickets the wallet failed to revoke after every attempt.",
            s.revocations_given_up,
        );
        one(
            "stakepoold_winning_notifications_total",
            "counter",
            "winningtickets notifications handled.",
            s.winning_notifications,
        );
        one(
            "stakepoold_last_block_height",
            "gauge",
            "Height of the last winningtickets block.",
            s.last_block_height,
        );
        one(
            "stakepoold_revocation_requests_total",
            "counter",
            "revoketickets calls that succeeded (or found the wallet's own revocation).",
            s.revocation_requests,
        );
        one(
            "stakepoold_revocation_requests_failed_total",
            "counter",
            "revoketickets calls that failed.",
            s.revocation_failures,
        );
        one(
            "stakepoold_tickets_revoked_total",
            "counter",
            "Pool tickets seen revoked.",
            s.tickets_revoked,
        );
        one(
            "stakepoold_wallet_connected",
            "gauge",
            "The hcwallet link is up (1) or down (0).",
            s.wallet_connected,
        );
        one(
            "stakepoold_node_connected",
            "gauge",
            "The hcd link is up (1) or down (0).",
            s.node_connected,
        );
        let age = self.last_block_age_ms.load(Ordering::Relaxed);
        if age != u64::MAX {
            let name = "stakepoold_last_block_age_seconds";
            let _ = write!(
                out,
                "# HELP {name} Time since the last notification naming a block.\n# TYPE {name} gauge\n{name} {}\n",
                age as f64 / 1e3
            );
        }
        let name = "stakepoold_vote_latency_seconds";
        let _ = write!(
            out,
            "# HELP {name} Time from the winningtickets notification to the vote handed to hcd.\n# TYPE {name} histogram\n"
        );
        for (bound, b) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = write!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}\n"
        );
        out
    }
}

/// Serves `render()` (the Prometheus text, e.g. [`crate::Daemon::render_metrics`]) on
/// `GET /metrics` (any path) until `shutdown` resolves.
///
/// An accept error (descriptors exhausted, a reset before accept) does not stop it: it is
/// logged and the next accept waits out a bounded backoff
/// ([`hcpool_rpc::accept::AcceptBackoff`]).
///
/// # Errors
/// None today (kept for callers that log a stop).
pub async fn serve<A, R>(
    mut listener: A,
    render: std::sync::Arc<R>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    A: hcpool_rpc::accept::Accept,
    A::Conn: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    R: Fn() -> String + Send + Sync + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::pin!(shutdown);
    let mut backoff = hcpool_rpc::accept::AcceptBackoff::default();
    loop {
        let (mut sock, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            c = hcpool_rpc::accept::accept_with_backoff(&mut listener, &mut backoff, "metrics") => c,
        };
        let render = std::sync::Arc::clone(&render);
        tokio::spawn(async move {
            // The request is not parsed: every request gets the metrics.
            let mut buf = [0u8; 1024];
            let read = tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf)).await;
            if !matches!(read, Ok(Ok(_))) {
                return;
            }
            let body = render();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_and_counters_render() {
        let m = Metrics::default();
        m.vote_cast(Duration::from_millis(20));
        m.vote_cast(Duration::from_millis(700));
        m.vote_duplicate(Duration::from_millis(3));
        m.vote_failed();
        m.set_tickets(40, 2, 1);
        let text = m.render();
        for line in [
            "stakepoold_votes_cast_total 2",
            "stakepoold_votes_failed_total 1",
            "stakepoold_votes_duplicate_total 1",
            "stakepoold_live_tickets 40",
            "stakepoold_tickets_to_revoke 1",
            "stakepoold_vote_latency_seconds_bucket{le=\"0.005\"} 1",
            "stakepoold_vote_latency_seconds_bucket{le=\"0.025\"} 2",
            "stakepoold_vote_latency_seconds_bucket{le=\"1\"} 3",
            "stakepoold_vote_latency_seconds_bucket{le=\"+Inf\"} 3",
            "stakepoold_vote_latency_seconds_count 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert_eq!(m.snapshot().ignored_tickets, 2);
    }
}

//! The sweep of pending account erasures
//! ([`PoolService::sweep_erasures`](hcpool_core::service::PoolService::sweep_erasures)): a
//! deleted account's voting data (multisig address and script, addresses, votebits) is kept
//! while its tickets may vote, and erased by the first pass that finds them all spent.
//!
//! Several instances may share one database: each runs its own task, and completing an
//! erasure is conditional (`erased = 0`) and idempotent, so two passes at once erase an
//! account once and agree on the outcome.

use std::time::Duration;

use hcpool_core::service::erasure::{SweepReport, ERASURE_GRACE_SECS};
use hcpool_core::service::PoolService;
use tokio::task::JoinHandle;

use crate::error::WebError;

/// How often [`crate::serve`] looks at the pending erasures.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(300);

/// One pass with `grace_secs` (production: [`ERASURE_GRACE_SECS`]), logged.
///
/// # Errors
/// The store's error.
pub async fn sweep_once(pool: &PoolService, grace_secs: i64) -> Result<SweepReport, WebError> {
    let report = pool.sweep_erasures(grace_secs).await?;
    if report.erased > 0 {
        tracing::info!(
            erased = report.erased,
            waiting = report.waiting,
            "deleted accounts' voting data erased"
        );
    }
    Ok(report)
}

/// A running sweep task (see [`spawn`]); it stops when this is dropped.
#[derive(Debug)]
pub struct SweepTask(JoinHandle<()>);

impl Drop for SweepTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs [`sweep_once`] with [`ERASURE_GRACE_SECS`] now and then every `every` (at least
/// 1 ms) on the current tokio runtime, until the returned handle is dropped. A failed pass
/// is logged and retried at the next tick.
pub fn spawn(pool: PoolService, every: Duration) -> SweepTask {
    let every = every.max(Duration::from_millis(1));
    SweepTask(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep_once(&pool, ERASURE_GRACE_SECS).await {
                tracing::warn!(error = %e, "erasure sweep failed");
            }
        }
    }))
}

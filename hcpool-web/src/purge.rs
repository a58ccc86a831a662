//! The periodic purge of expired rows: sessions, sign-up captcha challenges, password-reset
//! tokens and pending email changes
//! ([`hcpool_core::backend::StoreMaintenance::purge_expired`]). Without it a loop of `GET /signup`
//! with `captcha=1` would grow the database without bound.
//!
//! Several instances may share one database: each runs its own task, and the purge is a set
//! of idempotent `DELETE … WHERE expires <= now`, so running it twice only deletes nothing
//! the second time.

use std::time::Duration;

use hcpool_core::service::PoolService;
use tokio::task::JoinHandle;

use crate::error::WebError;

/// How often [`crate::serve`] purges expired rows.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// Deletes the rows that expired by the pool clock's now, once, and logs how many went.
///
/// # Errors
/// The store's error.
pub async fn purge_once(pool: &PoolService) -> Result<u64, WebError> {
    let now = pool.clock().now_unix();
    let rows = pool.store().purge_expired(now).await?;
    if rows > 0 {
        tracing::info!(
            rows,
            "purged expired sessions, captcha challenges and tokens"
        );
    } else {
        tracing::debug!("purge: no expired rows");
    }
    Ok(rows)
}

/// A running purge task (see [`spawn`]); it stops when this is dropped.
#[derive(Debug)]
pub struct PurgeTask(JoinHandle<()>);

impl Drop for PurgeTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs [`purge_once`] now and then every `every` (at least 1 ms) on the current tokio
/// runtime, until the returned handle is dropped. A failed purge is logged and retried at
/// the next tick.
pub fn spawn(pool: PoolService, every: Duration) -> PurgeTask {
    let every = every.max(Duration::from_millis(1));
    PurgeTask(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = purge_once(&pool).await {
                tracing::warn!(error = %e, "purge of expired rows failed");
            }
        }
    }))
}

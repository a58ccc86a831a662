//! Vote notifications' background work (issue 16 row 5): once per new block, the
//! subscribers' tickets are compared with what the store recorded
//! ([`NotifyService::scan`]); once per UTC day, the digests go out
//! ([`NotifyService::send_digests`]). The mails are stored in the outbox, which
//! [`crate::outbox`] sends.
//!
//! Each instance runs this task, as it runs the history sampler: it asks the wallets' tip
//! every [`SCAN_INTERVAL`] and, when the height is one it has not seen, tries to claim the
//! block's scan in the store ([`NotifyService::scan_block`]); only the instance whose claim
//! wins asks the wallets about every subscriber, so N instances behind a proxy make one
//! scan's wallet calls per block, not N. What this process remembers (the last height, the
//! last digest day) only saves work, and the claim only saves wallet calls: every event is
//! recorded once in the store by whichever instance inserts it first, and that insert alone
//! stores its mail ([`hcpool_core::notify`]), so instances never mail twice; and an event a
//! claimer did not record (it stopped mid-scan) is recorded at the next block's scan.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hcpool_core::service::{NotifyService, ScanReport};
use hcpool_core::util::lock;
use rocket::fairing::AdHoc;

use crate::state::AppState;

/// How often the task looks for a new block (and a new day).
pub const SCAN_INTERVAL: Duration = Duration::from_secs(15);

/// The unsubscribe-token key for an app whose `apisecret` is `api_secret`: an HMAC of a
/// fixed label under it, so the tokens are not API tokens' key material itself. Changing
/// `apisecret` invalidates the unsubscribe links of mails already sent (as it does the API
/// tokens).
pub fn unsubscribe_key(api_secret: &str) -> Vec<u8> {
    use bitcoin::hashes::{hmac, sha256, Hash as _, HashEngine as _};
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(api_secret.as_bytes());
    engine.input(b"hcpool notifications: unsubscribe links");
    hmac::Hmac::<sha256::Hash>::from_engine(engine)
        .to_byte_array()
        .to_vec()
}

/// This instance's progress: the last block scanned and the last day whose digests went
/// out. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Notifier(Arc<Mutex<Progress>>);

#[derive(Debug, Default)]
struct Progress {
    height: Option<u32>,
    digest_day: Option<i64>,
}

impl Notifier {
    /// One pass: the scan of the wallets' tip if this instance has not seen that block and
    /// claims it (another instance's claim means that instance scans it), and the digests
    /// if this instance has not sent today's. Returns the scan's report when this instance
    /// scanned. Failures are logged and retried at the next pass (a failed scan's claim
    /// stays this instance's, so it scans the block again).
    pub async fn pass(
        &self,
        notify: &NotifyService,
        pool: &hcpool_core::PoolService,
    ) -> Option<ScanReport> {
        let report = match tokio::time::timeout(SCAN_INTERVAL, pool.wallets().best_block()).await {
            Ok(Ok(tip)) if lock(&self.0).height != Some(tip.height) => {
                match notify.scan_block(tip.height).await {
                    Ok(Some(r)) => {
                        lock(&self.0).height = Some(tip.height);
                        if r.mailed + r.pending > 0 {
                            tracing::info!(
                                height = tip.height,
                                mailed = r.mailed,
                                digest = r.pending,
                                "vote notifications recorded"
                            );
                        }
                        Some(r)
                    }
                    Ok(None) => {
                        lock(&self.0).height = Some(tip.height);
                        tracing::debug!(
                            height = tip.height,
                            "notifications: another instance scans this block"
                        );
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "notification scan failed");
                        None
                    }
                }
            }
            Ok(Ok(_)) => None,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "notifications: no tip");
                None
            }
            Err(_) => {
                tracing::debug!("notifications: no tip in time");
                None
            }
        };
        let today = notify.today();
        if lock(&self.0).digest_day != Some(today) {
            match notify.send_digests().await {
                Ok(n) => {
                    lock(&self.0).digest_day = Some(today);
                    if n > 0 {
                        tracing::info!(digests = n, "notification digests stored");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "notification digests failed"),
            }
        }
        report
    }
}

/// A fairing that starts the notification task when the server has bound its port, adopted
/// by the state's background tasks ([`crate::serve`] attaches it).
pub fn on_liftoff() -> AdHoc {
    AdHoc::on_liftoff("vote notifications", |rocket| {
        Box::pin(async move {
            let Some(state) = rocket.state::<AppState>() else {
                tracing::error!("no AppState: vote notifications are not sent");
                return;
            };
            let (notifier, notify, pool) = (
                state.notifier.clone(),
                state.notify.clone(),
                state.pool.clone(),
            );
            let wake = state.mail_wake.clone();
            let task = tokio::spawn(async move {
                let mut tick = tokio::time::interval(SCAN_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if notifier
                        .pass(&notify, &pool)
                        .await
                        .is_some_and(|r| r.mailed > 0)
                    {
                        wake.notify_one();
                    }
                }
            });
            state.background.adopt("vote notifications", task);
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_the_secret_and_is_not_it() {
        let a = unsubscribe_key("secret-a");
        assert_eq!(a.len(), 32);
        assert_eq!(a, unsubscribe_key("secret-a"));
        assert_ne!(a, unsubscribe_key("secret-b"));
        assert_ne!(a, b"secret-a".to_vec());
    }
}

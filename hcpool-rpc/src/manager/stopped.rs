//! The stopped state: entered on an inconsistency, refused writes, and the re-check that
//! clears it once the wallets agree again (hcstakepool needed a restart).

use std::sync::Arc;
use std::time::Duration;

use hcpool_core::{Address, RedeemScript};
use tracing::{info, warn};

use super::{lock, status, WalletManager};
use crate::error::{Error, Result};

/// The check that failed, re-run by [`WalletManager::recheck`].
#[derive(Debug, Clone)]
pub(super) enum Probe {
    Manual,
    VoteVersion,
    ValidateAddress(Address),
    CreateMultisig(Address, Address),
    ImportScript(RedeemScript, u32),
}

#[derive(Debug, Clone)]
pub(super) struct Stopped {
    pub(super) reason: String,
    pub(super) since: u64,
    pub(super) probe: Probe,
}

impl WalletManager {
    /// Why the manager is stopped, if it is.
    pub fn stopped_reason(&self) -> Option<String> {
        lock(&self.stopped).as_ref().map(|s| s.reason.clone())
    }

    /// Whether writes are refused until a re-check passes.
    pub fn is_stopped(&self) -> bool {
        lock(&self.stopped).is_some()
    }

    /// Stops the manager by hand; [`recheck`](Self::recheck) clears it once the wallets
    /// are ready and agree on the vote version.
    pub fn stop(&self, reason: impl Into<String>) {
        self.enter_stopped(reason.into(), Probe::Manual);
    }

    pub(super) fn enter_stopped(&self, reason: String, probe: Probe) {
        warn!(%reason, "wallet manager stopped");
        let mut s = lock(&self.stopped);
        if s.is_none() {
            *s = Some(Stopped {
                reason,
                since: status::unix_now(),
                probe,
            });
        }
    }

    pub(super) fn refuse_if_stopped(&self) -> Result<()> {
        match self.stopped_reason() {
            Some(reason) => Err(Error::Stopped { reason }),
            None => Ok(()),
        }
    }

    /// Stops on a mismatch, passes other results through.
    pub(super) fn stop_on_mismatch<T>(
        &self,
        r: Result<T>,
        probe: impl FnOnce() -> Probe,
    ) -> Result<T> {
        if let Err(e @ Error::Mismatch { .. }) = &r {
            self.enter_stopped(e.to_string(), probe());
        }
        r
    }

    /// Re-runs the failed check (and the readiness and vote-version checks); clears the
    /// stopped state when everything agrees. Returns why it is still stopped otherwise.
    pub async fn recheck(&self) -> Result<()> {
        let Some(stopped) = lock(&self.stopped).clone() else {
            return Ok(());
        };
        self.ready_wallets().await?;
        self.vote_version_among_answering().await?;
        match &stopped.probe {
            Probe::Manual | Probe::VoteVersion => {}
            Probe::ValidateAddress(a) => {
                self.validate_address_inner(a).await?;
            }
            Probe::CreateMultisig(p, u) => {
                self.create_multisig_inner(p, u).await?;
            }
            Probe::ImportScript(s, h) => self.import_script_inner(s, *h).await?,
        }
        info!(reason = %stopped.reason, "wallets agree again; wallet manager resumed");
        *lock(&self.stopped) = None;
        Ok(())
    }

    /// The manager's background task (abort it to end it). Every `every`: while stopped,
    /// the re-check; otherwise, when a wallet counts as absent, a `walletinfo` to it so
    /// that its return is noticed within `every`. As soon as an absent wallet answers
    /// again (a reconnect), and every [`ManagerConfig::resync_interval`](super::ManagerConfig::resync_interval),
    /// the catch-up ([`catch_up`](Self::catch_up): scripts and tickets a wallet missed or
    /// lost), without a restart.
    pub fn spawn_recheck(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut last_resync = tokio::time::Instant::now();
            loop {
                let came_back = tokio::select! {
                    () = tokio::time::sleep(every) => false,
                    () = me.came_back.notified() => true,
                };
                if me.is_stopped() {
                    if let Err(e) = me.recheck().await {
                        info!(error = %e, "wallet manager still stopped");
                    }
                    continue;
                }
                let resync = me.cfg.resync_interval;
                let due = !resync.is_zero() && last_resync.elapsed() >= resync;
                if came_back || due {
                    if came_back {
                        info!("a wallet is back; catching the wallets up");
                    }
                    last_resync = tokio::time::Instant::now();
                    match me.catch_up().await {
                        Ok(r) if r.scripts_imported.is_empty() && r.tickets_added.is_empty() => {}
                        Ok(r) => info!(
                            scripts = ?r.scripts_imported,
                            tickets = ?r.tickets_added,
                            "wallets caught up"
                        ),
                        Err(e) => warn!(error = %e, "wallet catch-up failed"),
                    }
                } else if me.any_absent() {
                    // Answers from a wallet that was absent wake this loop (`came_back`).
                    let _ = me.wallet_infos().await;
                }
            }
        })
    }

    /// Some wallet counted as absent at its last call.
    fn any_absent(&self) -> bool {
        lock(&self.status)
            .iter()
            .any(|s| !s.connected && s.last_error.is_some())
    }
}

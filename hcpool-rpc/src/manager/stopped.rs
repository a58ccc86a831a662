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

    /// The manager's background task (abort it to end it): every `every`, and as soon as a
    /// wallet that counted as absent answers again, re-checks while stopped and otherwise
    /// catches the wallets up ([`catch_up`](Self::catch_up): scripts and tickets a wallet
    /// missed).
    pub fn spawn_recheck(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = me.came_back.notified() => {}
                }
                if me.is_stopped() {
                    if let Err(e) = me.recheck().await {
                        info!(error = %e, "wallet manager still stopped");
                    }
                } else if let Err(e) = me.catch_up().await {
                    warn!(error = %e, "wallet catch-up failed");
                }
            }
        })
    }
}

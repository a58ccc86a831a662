//! The registration gate: when the pool takes new accounts and new addresses.
//!
//! One rule for every caller (hcpool-web's pages and API, or an embedder calling
//! [`PoolService`](super::PoolService) and [`AccountService`](super::AccountService)
//! directly): with `closepool` set nobody signs up or registers an address, and an address
//! is registered only while the wallets are in sync ([`SyncReport`]). Users who registered
//! already are never gated.

use std::sync::Arc;

use crate::backend::health::{SyncReport, WalletHealth};
use crate::error::{Error, Result};

/// The gate. The default is open and checks no wallets.
#[derive(Clone, Default)]
pub struct RegistrationGate {
    closed: Option<String>,
    health: Option<Arc<dyn WalletHealth>>,
}

impl std::fmt::Debug for RegistrationGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationGate")
            .field("closed", &self.closed)
            .field("health", &self.health.is_some())
            .finish()
    }
}

impl RegistrationGate {
    /// A gate that is open and checks no wallets.
    pub fn open() -> Self {
        Self::default()
    }

    /// The pool's gate: closed with `close_msg` when `close_pool` (hcstakepool's
    /// `closepool` and `closepoolmsg`), and checking `health` before an address is
    /// registered.
    pub fn new(close_pool: bool, close_msg: String, health: Option<Arc<dyn WalletHealth>>) -> Self {
        RegistrationGate {
            closed: close_pool.then_some(close_msg),
            health,
        }
    }

    /// The `closepoolmsg` while the pool is closed.
    pub fn closed_message(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// Whether new accounts may be made.
    ///
    /// # Errors
    /// [`Error::PoolClosed`] with `closepoolmsg`.
    pub fn check_sign_up(&self) -> Result<()> {
        match &self.closed {
            Some(msg) => Err(Error::PoolClosed(msg.clone())),
            None => Ok(()),
        }
    }

    /// Whether a new address may be registered now.
    ///
    /// # Errors
    /// [`Error::PoolClosed`], or [`Error::WalletsNotSynced`] with the report's problems.
    pub async fn check_registration(&self) -> Result<()> {
        self.check_sign_up()?;
        if let Some(report) = self.sync_report().await {
            if !report.in_sync() {
                return Err(Error::WalletsNotSynced(report.problems));
            }
        }
        Ok(())
    }

    /// The wallets' sync report (`None` when the gate checks no wallets).
    pub async fn sync_report(&self) -> Option<SyncReport> {
        match &self.health {
            Some(h) => Some(h.sync_report().await),
            None => None,
        }
    }

    /// The wallets' vote version (`None` when unknown or the gate checks no wallets).
    pub async fn vote_version(&self) -> Option<u32> {
        match &self.health {
            Some(h) => h.vote_version().await,
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::health::{MockWalletHealth, Problem};

    fn report(problems: Vec<Problem>) -> SyncReport {
        SyncReport {
            problems,
            details: vec![],
            height: Some(1),
            wallets: 1,
            wallets_ready: 1,
            wallets_in_sync: 1,
            min_servers: 1,
            ..SyncReport::default()
        }
    }

    #[tokio::test]
    async fn closed_refuses_both_and_sync_gates_addresses_only() {
        let gate = RegistrationGate::new(true, "closed for now".into(), None);
        assert!(matches!(gate.check_sign_up(), Err(Error::PoolClosed(m)) if m == "closed for now"));
        assert!(matches!(
            gate.check_registration().await,
            Err(Error::PoolClosed(_))
        ));

        let mut h = MockWalletHealth::new();
        h.expect_sync_report()
            .returning(|| report(vec![Problem::WalletsBehind]));
        let gate = RegistrationGate::new(false, String::new(), Some(Arc::new(h)));
        assert!(gate.check_sign_up().is_ok());
        assert!(matches!(
            gate.check_registration().await,
            Err(Error::WalletsNotSynced(p)) if p == vec![Problem::WalletsBehind]
        ));
        assert!(RegistrationGate::open().check_registration().await.is_ok());
    }
}

//! The catch-up (issue 12 item 7, issue 15): a registration commits when `minservers`
//! wallets import its script, so a wallet that timed out or was down lacks it; a wallet
//! restored from its seed or replaced lacks them all. The manager remembers the scripts
//! every wallet must hold (and re-reads the store's, when given it, so registrations made
//! through another instance count too) and, on a timer and as soon as an absent wallet
//! answers again, imports what a wallet lacks and adds the tickets it misses, as the
//! start-up sync does, without a restart.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hcpool_core::backend::UserStore;
use hcpool_core::RedeemScript;
use tracing::{info, warn};

use super::{is_absent, lock, SyncReport, WalletManager};
use crate::error::Result;

impl WalletManager {
    /// Makes the catch-up read the registered scripts from `store`
    /// (`UserStore::multisig_scripts`) on each run, besides the ones this manager saw:
    /// several web instances share one database, and each one's catch-up then repairs
    /// registrations made through the others.
    pub fn set_script_source(&self, store: Arc<dyn UserStore>) {
        *lock(&self.script_source) = Some(store);
    }

    /// Adds the store's registered scripts to the set every wallet must hold. A store
    /// that does not answer leaves the set as it is (logged).
    async fn refresh_known_scripts(&self) {
        let source = lock(&self.script_source).clone();
        let Some(store) = source else {
            return;
        };
        match store.multisig_scripts().await {
            Ok(scripts) => {
                // The store's registration height is where a rescan must start (a script
                // only seen in a wallet at start-up was given 0).
                let mut known = lock(&self.known_scripts);
                for r in scripts {
                    known.insert(
                        r.script.as_bytes().to_vec(),
                        (r.script, r.height_registered),
                    );
                }
            }
            Err(e) => warn!(error = %e, "catch-up: could not read the registered scripts"),
        }
    }

    /// Records a completed `importscript`: the script joins the set every wallet must hold,
    /// and each wallet not in `have` (absent or not ready during the call) is one more
    /// script behind.
    pub(super) fn script_imported(&self, script: &RedeemScript, rescan_from: u32, have: &[usize]) {
        let key = script.as_bytes().to_vec();
        let new = lock(&self.known_scripts)
            .insert(key, (script.clone(), rescan_from))
            .is_none();
        if !new {
            return;
        }
        for (i, s) in lock(&self.status).iter_mut().enumerate() {
            if !have.contains(&i) {
                s.scripts_missing = Some(s.scripts_missing.unwrap_or(0) + 1);
            }
        }
    }

    /// Brings every answering wallet up to the scripts the pool registered: `listscripts`
    /// on every wallet, `importscript <s> true <height>` of each script it lacks (with the
    /// sync's timeout), then, if anything was imported (now or by an earlier run whose
    /// ticket step failed), the missing tickets among the wallets that answered
    /// (`gettickets`/`addticket`, as [`Self::sync`]). Absent wallets are skipped (their
    /// `scripts_missing` stays as it was) and caught up on a later call. Only scripts whose
    /// import completed (or that the start-up sync saw), and the store's registered scripts
    /// when [`Self::set_script_source`] gave one, are pushed, so a registration still in
    /// flight is not imported twice. Does nothing while stopped.
    ///
    /// # Errors
    /// A failed ticket sync (retried by the next run); a failed import is logged and
    /// counted, not returned.
    pub async fn catch_up(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        if self.is_stopped() {
            return Ok(report);
        }
        self.refresh_known_scripts().await;
        let known = lock(&self.known_scripts).clone();
        if known.is_empty() {
            return Ok(report);
        }
        let listed = self
            .fan_out("listscripts", &self.all_ids(), |_, w| async move {
                w.list_scripts().await
            })
            .await;
        let mut answering = Vec::new();
        let mut missing = Vec::new();
        for (i, r) in listed {
            match r {
                Ok(scripts) => {
                    let held: BTreeSet<Vec<u8>> =
                        scripts.iter().map(|s| s.as_bytes().to_vec()).collect();
                    let lacks: Vec<(RedeemScript, u32)> = known
                        .iter()
                        .filter(|(k, _)| !held.contains(*k))
                        .map(|(_, v)| v.clone())
                        .collect();
                    if let Some(s) = lock(&self.status).get_mut(i) {
                        s.scripts_missing = Some(lacks.len());
                    }
                    answering.push(i);
                    if !lacks.is_empty() {
                        missing.push((i, lacks));
                    }
                }
                Err(e) if is_absent(&e) => {}
                Err(e) => warn!(wallet = %self.label(i), error = %e, "catch-up: listscripts"),
            }
        }
        if !missing.is_empty() {
            self.import_missing(&missing, &mut report).await;
        }
        if !report.scripts_imported.is_empty() {
            self.tickets_pending.store(true, Ordering::SeqCst);
        }
        if self.tickets_pending.load(Ordering::SeqCst) && answering.len() > 1 {
            report.tickets_added = self.sync_tickets(&answering).await?;
            self.tickets_pending.store(false, Ordering::SeqCst);
        }
        Ok(report)
    }

    /// Imports each wallet's missing scripts; counts what was done in `report`.
    async fn import_missing(
        &self,
        missing: &[(usize, Vec<(RedeemScript, u32)>)],
        report: &mut SyncReport,
    ) {
        let ids: Vec<usize> = missing.iter().map(|(i, _)| *i).collect();
        let imports = self
            .fan_out_within("importscript", &ids, self.cfg.sync_timeout, |i, w| {
                let lacks = missing
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default();
                async move {
                    let mut done = 0;
                    for (s, h) in &lacks {
                        if let Err(e) = w.import_script(s, *h).await {
                            return Ok((done, lacks.len(), Some(e)));
                        }
                        done += 1;
                    }
                    Ok((done, lacks.len(), None))
                }
            })
            .await;
        for (i, r) in imports {
            let (done, wanted, failed) = match r {
                Ok(v) => v,
                // Timed out: nothing is known to have been imported.
                Err(e) => (0, 0, Some(e)),
            };
            if let Some(e) = &failed {
                warn!(wallet = %self.label(i), error = %e, "catch-up: importscript");
                if let Some(s) = lock(&self.status).get_mut(i) {
                    s.last_error = Some(format!("importscript: {e}"));
                }
            }
            if let Some(s) = lock(&self.status).get_mut(i) {
                if let Some(n) = s.scripts_missing.as_mut() {
                    *n = n.saturating_sub(done);
                }
            }
            if done > 0 {
                info!(wallet = %self.label(i), scripts = done, of = wanted, "caught up missing scripts");
                report.scripts_imported.push((self.label(i), done));
            }
        }
    }
}

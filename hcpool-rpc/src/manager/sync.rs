//! The startup sync (hcstakepool's `walletSvrsSync`, inventory §9.5): make every wallet
//! watch the same address range, hold the same redeem scripts and know the same tickets.

use std::collections::{BTreeMap, BTreeSet};

use hcpool_core::backend::{MultisigInfo, RegisteredScript};
use hcpool_core::{Address, RedeemScript, TicketHash};
use serde::Serialize;
use tracing::info;

use super::{lock, status, WalletManager};
use crate::error::{Error, Result};

/// The account, branch and default last index the sync asks every wallet to watch, so
/// that the pool's ticket addresses of uids < 10000 are `ismine`; the index is
/// [`ManagerConfig::sync_address_index`](super::ManagerConfig::sync_address_index) (the
/// pool's `maxusers`).
pub const SYNC_ACCOUNT: (&str, u32, u32) = ("default", 0, 10000);

/// What the sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// `(wallet, scripts imported into it)`, for wallets that lacked any.
    pub scripts_imported: Vec<(String, usize)>,
    /// `(wallet, tickets added to it)`, for wallets that lacked any.
    pub tickets_added: Vec<(String, usize)>,
}

/// The pool's own 1-of-2 multisig for `(pool, user)`, to cross-check the wallets. `None`
/// when the core cannot build it (not two secp256k1 pubkey-addresses of one network): the
/// wallets then refuse the call themselves.
pub(crate) fn local_multisig(pool: &Address, user: &Address) -> Option<MultisigInfo> {
    let script = RedeemScript::one_of_two(pool, user).ok()?;
    Some(MultisigInfo {
        address: script.p2sh_address(pool.network()),
        redeem_script: script,
    })
}

impl WalletManager {
    /// Startup sync. Every wallet must answer and be ready; any error aborts.
    ///
    /// 1. `walletinfo`: daemon connected and unlocked.
    /// 2. `accountsyncaddressindex default 0 <maxusers>` ([`ManagerConfig::sync_address_index`](super::ManagerConfig::sync_address_index)).
    /// 3. Script set = `registered` (the store's `multisig_scripts()`) ∪ every wallet's `listscripts` (wallet-only scripts get
    ///    height 0); each wallet imports what it lacks (`importscript <s> true <height>`).
    /// 4. If anything was imported: `gettickets true` everywhere; each wallet lacking a
    ///    ticket gets it with `addticket`, the raw tx taken from the first wallet holding it.
    pub async fn sync(&self, registered: &[RegisteredScript]) -> Result<SyncReport> {
        let ids = self.all_ids();
        for (i, r) in self.wallet_infos().await {
            let info = r.map_err(Error::Backend)?;
            if let Some(reason) = status::not_ready_reason(&info) {
                return Err(Error::NotReady {
                    wallet: self.label(i),
                    reason: format!("failure on startup sync: {reason}"),
                });
            }
        }
        let (account, branch, _) = SYNC_ACCOUNT;
        let index = self.cfg.sync_address_index;
        for (_, r) in self
            .fan_out_within(
                "accountsyncaddressindex",
                &ids,
                self.cfg.sync_timeout,
                |_, w| async move { w.account_sync_address_index(account, branch, index).await },
            )
            .await
        {
            r.map_err(Error::Backend)?;
        }

        let mut wanted: BTreeMap<Vec<u8>, (RedeemScript, u32)> = registered
            .iter()
            .map(|r| {
                (
                    r.script.as_bytes().to_vec(),
                    (r.script.clone(), r.height_registered),
                )
            })
            .collect();
        let mut held: BTreeMap<usize, BTreeSet<Vec<u8>>> = BTreeMap::new();
        for (i, r) in self
            .fan_out(
                "listscripts",
                &ids,
                |_, w| async move { w.list_scripts().await },
            )
            .await
        {
            let scripts = r.map_err(Error::Backend)?;
            let set = scripts.iter().map(|s| s.as_bytes().to_vec()).collect();
            for s in scripts {
                wanted.entry(s.as_bytes().to_vec()).or_insert((s, 0));
            }
            held.insert(i, set);
        }

        let mut report = SyncReport::default();
        let imports = self
            .fan_out_within("importscript", &ids, self.cfg.sync_timeout, |i, w| {
                let missing: Vec<(RedeemScript, u32)> = wanted
                    .iter()
                    .filter(|(k, _)| held.get(&i).is_some_and(|set| !set.contains(*k)))
                    .map(|(_, v)| v.clone())
                    .collect();
                async move {
                    for (s, h) in &missing {
                        w.import_script(s, *h).await?;
                    }
                    Ok(missing.len())
                }
            })
            .await;
        for (i, r) in imports {
            let n = r.map_err(Error::Backend)?;
            if n > 0 {
                info!(wallet = %self.label(i), scripts = n, "imported missing scripts");
                report.scripts_imported.push((self.label(i), n));
            }
        }
        lock(&self.known_scripts).extend(wanted);
        for s in lock(&self.status).iter_mut() {
            s.scripts_missing = Some(0);
        }
        if report.scripts_imported.is_empty() {
            return Ok(report);
        }
        report.tickets_added = self.sync_tickets(&ids).await?;
        Ok(report)
    }

    pub(super) async fn sync_tickets(&self, ids: &[usize]) -> Result<Vec<(String, usize)>> {
        let mut tickets: Vec<BTreeSet<TicketHash>> = Vec::new();
        for (_, r) in self
            .fan_out(
                "gettickets",
                ids,
                |_, w| async move { w.tickets(true).await },
            )
            .await
        {
            tickets.push(r.map_err(Error::Backend)?.into_iter().collect());
        }
        let all: BTreeSet<TicketHash> = tickets.iter().flatten().copied().collect();
        let mut added = Vec::new();
        for (pos, &i) in ids.iter().enumerate() {
            let Some(have) = tickets.get(pos) else {
                continue;
            };
            let mut n = 0;
            for t in all.difference(have) {
                let Some(src) = tickets.iter().position(|set| set.contains(t)) else {
                    continue;
                };
                let src_id = ids.get(src).copied().unwrap_or(i);
                let raw = self
                    .fan_out("getrawtransaction", &[src_id], |_, w| {
                        let t = *t;
                        async move { w.raw_transaction(&t).await }
                    })
                    .await
                    .pop()
                    .map(|(_, r)| r);
                let raw = match raw {
                    Some(r) => r.map_err(Error::Backend)?,
                    None => continue,
                };
                for (_, r) in self
                    .fan_out_within("addticket", &[i], self.cfg.sync_timeout, |_, w| {
                        let raw = raw.clone();
                        async move { w.add_ticket(&raw).await }
                    })
                    .await
                {
                    r.map_err(Error::Backend)?;
                }
                n += 1;
            }
            if n > 0 {
                info!(wallet = %self.label(i), tickets = n, "added missing tickets");
                added.push((self.label(i), n));
            }
        }
        Ok(added)
    }
}

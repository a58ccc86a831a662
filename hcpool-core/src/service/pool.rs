//! The pool's user-facing business steps: register an address, purchase info, voting
//! preferences (hcstakepool-inventory.md §3.3, §3.5, §6.3).

use std::sync::{Arc, Mutex};

use crate::address::{validate_user_pubkey_address, Address};
use crate::backend::{
    Clock, LowFeeTicket, NewLowFeeTicket, Registration, Store, TicketEntry, User, WalletBackend,
};
use crate::derive::PoolKeys;
use crate::error::{BackendKind, Error, Result};
use crate::fee::PoolFeeRate;
use crate::ids::{TicketHash, UserId};
use crate::multisig::RedeemScript;
use crate::params::{Agenda, Network};
use crate::util::lock;
use crate::votebits::VoteBits;

use super::gate::RegistrationGate;
use super::nodes::{NodeUpdate, VotingNodes};

/// What a user needs to buy tickets for the pool (API `getpurchaseinfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseInfo {
    /// The user's pool fee address.
    pub pool_address: Address,
    /// The pool fee rate (the API shows its configured percent).
    pub pool_fees: PoolFeeRate,
    /// The 1-of-2 redeem script.
    pub script: RedeemScript,
    /// The P2SH ticket (voting) address.
    pub ticket_address: Address,
    /// The user's votebits.
    pub vote_bits: VoteBits,
    /// The vote version the bits are for.
    pub vote_bits_version: u32,
}

/// The pool: its keys, backends and settings.
#[derive(Clone)]
pub struct PoolService {
    network: Network,
    keys: Arc<PoolKeys>,
    pool_fees: PoolFeeRate,
    store: Arc<dyn Store>,
    wallets: Arc<dyn WalletBackend>,
    nodes: Arc<VotingNodes>,
    clock: Arc<dyn Clock>,
    gate: RegistrationGate,
    /// The last vote version the wallets reported (shared by the service's clones).
    last_vote_version: Arc<Mutex<Option<u32>>>,
}

/// The parts a [`PoolService`] is built from.
pub struct PoolParts {
    /// The network.
    pub network: Network,
    /// Voting and cold-wallet keys.
    pub keys: Arc<PoolKeys>,
    /// The pool fee rate (`poolfees`).
    pub pool_fees: PoolFeeRate,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The voting wallets (one wallet, or a manager that fans out and checks agreement).
    pub wallets: Arc<dyn WalletBackend>,
    /// The voting nodes to keep informed.
    pub nodes: Arc<VotingNodes>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

impl PoolService {
    /// Builds the service.
    pub fn new(parts: PoolParts) -> Self {
        PoolService {
            network: parts.network,
            keys: parts.keys,
            pool_fees: parts.pool_fees,
            store: parts.store,
            wallets: parts.wallets,
            nodes: parts.nodes,
            clock: parts.clock,
            gate: RegistrationGate::open(),
            last_vote_version: Arc::default(),
        }
    }

    /// The service with `gate` deciding when a user without an address may register one
    /// (the default gate is open: an embedder sets the pool's, as hcpool-web does).
    #[must_use]
    pub fn with_gate(mut self, gate: RegistrationGate) -> Self {
        self.gate = gate;
        self
    }

    /// The registration gate.
    pub fn gate(&self) -> &RegistrationGate {
        &self.gate
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The wallets.
    pub fn wallets(&self) -> &Arc<dyn WalletBackend> {
        &self.wallets
    }

    /// The voting nodes.
    pub fn nodes(&self) -> &Arc<VotingNodes> {
        &self.nodes
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The pool keys.
    pub fn keys(&self) -> &PoolKeys {
        &self.keys
    }

    /// The configured pool fee rate.
    pub fn pool_fees(&self) -> PoolFeeRate {
        self.pool_fees
    }

    /// Registers the user's pubkey-address: validates it, derives the pool's key for the
    /// user, checks that the wallets own it, computes the 1-of-2 multisig and checks the
    /// wallets compute the same, imports the script from the current height, and only then
    /// records the registration in one store step. Voting nodes are told afterwards (a node
    /// that is down is retried later; the registration stands).
    ///
    /// Nothing is half done: every wallet step is idempotent, and the user row changes only
    /// in the final atomic store call.
    ///
    /// A user without an address passes the [`RegistrationGate`] first (`closepool`, the
    /// wallets' sync).
    ///
    /// # Errors
    /// `AddressAlreadySubmitted`, `PoolClosed`, `WalletsNotSynced`, `Address(..)` for a bad submission (its
    /// `user_message()` is the text to show), `UserIdOutOfRange`, `Wallet { .. }` when a
    /// wallet fails or disagrees, `Store { .. }`.
    pub async fn register_address(&self, user: UserId, submitted: &str) -> Result<Registration> {
        let row = self
            .store
            .user(user)
            .await?
            .ok_or(Error::UserNotFound(user))?;
        if row.registration.is_some() {
            return Err(Error::AddressAlreadySubmitted);
        }
        self.gate.check_registration().await?;
        let user_pubkey_addr = validate_user_pubkey_address(submitted, self.network)?;
        let ticket_address = self.keys.ticket_address(user)?;
        let pool_pubkey_addr = self.keys.ticket_pubkey_address(user)?;

        let validated = self.wallets.validate_address(&ticket_address).await?;
        if !validated.is_mine {
            return Err(Error::TicketAddressNotOwned(ticket_address.to_string()));
        }
        if let Some(reported) = &validated.pubkey_addr {
            if reported != &pool_pubkey_addr {
                return Err(Error::wallet(
                    self.wallets.label(),
                    BackendKind::Inconsistent,
                    format!(
                        "validateaddress {ticket_address} returned pubkey address {reported}, \
                         expected {pool_pubkey_addr} from votingwalletextpub"
                    ),
                ));
            }
        }

        let script = RedeemScript::one_of_two(&pool_pubkey_addr, &user_pubkey_addr)?;
        let multisig_address = script.p2sh_address(self.network);
        let from_wallet = self
            .wallets
            .create_multisig(&pool_pubkey_addr, &user_pubkey_addr)
            .await?;
        if from_wallet.redeem_script != script || from_wallet.address != multisig_address {
            return Err(Error::wallet(
                self.wallets.label(),
                BackendKind::Inconsistent,
                format!(
                    "createmultisig returned {} / {}, expected {multisig_address} / {}",
                    from_wallet.address,
                    from_wallet.redeem_script.to_hex(),
                    script.to_hex()
                ),
            ));
        }

        let best = self.wallets.best_block().await?;
        self.wallets.import_script(&script, best.height).await?;

        let registration = Registration {
            multisig_address,
            multisig_script: script,
            pool_pubkey_addr,
            user_pubkey_addr,
            user_fee_addr: self.keys.fee_address(user)?,
            height_registered: best.height,
        };
        // Armed until the outcome is known: a caller dropped after the commit (or an error
        // that leaves the commit in doubt) leaves the nodes stale for the retry.
        let guard = self.nodes.guard_change(NodeUpdate::Users);
        match self.store.register_address(user, &registration).await {
            Ok(true) => {}
            Ok(false) => {
                guard.disarm();
                return Err(Error::UserNotFound(user));
            }
            // Another request registered this user meanwhile.
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => {
                guard.disarm();
                return Err(Error::AddressAlreadySubmitted);
            }
            Err(e) => return Err(e),
        }
        guard.disarm();
        self.tell_nodes(NodeUpdate::Users).await;
        Ok(registration)
    }

    /// The user's purchase information.
    ///
    /// # Errors
    /// `UserNotFound`, `NoAddressSubmitted`, `Store { .. }`.
    pub async fn purchase_info(&self, user: UserId) -> Result<PurchaseInfo> {
        let row = self
            .store
            .user(user)
            .await?
            .ok_or(Error::UserNotFound(user))?;
        self.purchase_info_of(&row)
    }

    /// [`PoolService::purchase_info`] from a row the caller has just read (the API reads it
    /// to check the token): no second store read.
    ///
    /// # Errors
    /// `NoAddressSubmitted`.
    pub fn purchase_info_of(&self, row: &User) -> Result<PurchaseInfo> {
        let reg = row.registration.as_ref().ok_or(Error::NoAddressSubmitted)?;
        Ok(PurchaseInfo {
            pool_address: reg.user_fee_addr.clone(),
            pool_fees: self.pool_fees,
            script: reg.multisig_script.clone(),
            ticket_address: reg.multisig_address.clone(),
            vote_bits: row.vote_bits,
            vote_bits_version: row.vote_bits_version,
        })
    }

    /// The wallets' vote version, for the voting page and API: asked from the wallets
    /// ([`WalletState::vote_version`](crate::backend::WalletState::vote_version)), and
    /// when they do not answer, the last version they reported to this service (or that
    /// [`PoolService::note_vote_version`] recorded at start-up), as hcstakepool used the
    /// version read at start-up and never asked again. A wallet down does not stop users
    /// from seeing and setting their preferences.
    ///
    /// # Errors
    /// The wallets' error when no version was ever known.
    pub async fn vote_version(&self) -> Result<u32> {
        match self.wallets.vote_version().await {
            Ok(v) => {
                self.note_vote_version(v);
                Ok(v)
            }
            Err(e) => match self.last_vote_version() {
                Some(v) => {
                    tracing::warn!(
                        error = %e,
                        vote_version = v,
                        "wallets did not report their vote version; using the last known one"
                    );
                    Ok(v)
                }
                None => Err(e),
            },
        }
    }

    /// The last vote version known to this service (no I/O); `None` before the wallets
    /// ever reported one.
    pub fn last_vote_version(&self) -> Option<u32> {
        *lock(&self.last_vote_version)
    }

    /// Records the wallets' vote version (the start-up check's), the fallback of
    /// [`PoolService::vote_version`].
    pub fn note_vote_version(&self, vote_version: u32) {
        *lock(&self.last_vote_version) = Some(vote_version);
    }

    /// The agendas users vote on now: those of the wallets' vote version.
    pub fn agendas(&self, vote_version: u32) -> &'static [Agenda] {
        self.network.params().agendas(vote_version)
    }

    /// Sets a user's votebits after checking them against the agendas of `vote_version`.
    /// Returns whether they changed; voting nodes are told when they did.
    ///
    /// # Errors
    /// `UserNotFound`, `VoteBits(..)` when invalid, `Store { .. }`.
    pub async fn set_vote_bits(
        &self,
        user: UserId,
        bits: VoteBits,
        vote_version: u32,
    ) -> Result<bool> {
        bits.validate(self.agendas(vote_version))?;
        let row = self
            .store
            .user(user)
            .await?
            .ok_or(Error::UserNotFound(user))?;
        if row.vote_bits == bits && row.vote_bits_version == vote_version {
            return Ok(false);
        }
        let guard = self.nodes.guard_change(NodeUpdate::Users);
        if !self.store.set_vote_bits(user, bits, vote_version).await? {
            guard.disarm();
            return Err(Error::UserNotFound(user));
        }
        guard.disarm();
        self.tell_nodes(NodeUpdate::Users).await;
        Ok(true)
    }

    /// Start-up step: resets stored votebits that belong to another vote version or are
    /// invalid for the current agendas (one statement). Returns the number of users reset.
    /// Nothing is pushed: it runs before the app serves, the voting nodes start stale and
    /// get everything from the first push or retry (an instance that never serves, e.g. one
    /// that cannot bind its port, pushes nothing).
    ///
    /// # Errors
    /// `Store { .. }`.
    pub async fn reset_vote_bits(&self, vote_version: u32) -> Result<u64> {
        let valid = VoteBits::all_valid(self.agendas(vote_version));
        self.store.reset_vote_bits(vote_version, &valid).await
    }

    /// How long an added low-fee ticket stays votable: the network's ticket expiry in
    /// seconds plus 5 %, as hcstakepool computes it.
    pub fn low_fee_ticket_lifetime(&self) -> i64 {
        let p = self.network.params();
        let secs = u64::from(p.ticket_expiry).saturating_mul(p.target_time_per_block_secs);
        i64::try_from(secs.saturating_mul(105) / 100).unwrap_or(i64::MAX)
    }

    /// Low-fee tickets added for voting that are still votable now.
    ///
    /// # Errors
    /// `Store { .. }`.
    pub async fn added_low_fee_tickets(&self) -> Result<Vec<LowFeeTicket>> {
        self.store
            .votable_low_fee_tickets(self.clock.now_unix())
            .await
    }

    /// An admin adds low-fee tickets for voting (all or none; tickets already added are
    /// skipped), then the voting nodes get the new list. Returns how many were added.
    ///
    /// The entries come from a voting node's ignored list, whose addresses are the wallet's
    /// strings; each must parse as an address of the pool's network before anything is
    /// stored, so the store only ever holds addresses it can read back.
    ///
    /// # Errors
    /// `InvalidInput` naming the first ticket whose address does not parse or belongs to
    /// another network (nothing is added); `Store { .. }`.
    pub async fn add_low_fee_tickets(&self, admin: UserId, tickets: &[TicketEntry]) -> Result<u64> {
        let now = self.clock.now_unix();
        let expires = now.saturating_add(self.low_fee_ticket_lifetime());
        let rows = tickets
            .iter()
            .map(|t| {
                let ticket_address = t
                    .ticket_address
                    .parse::<Address>()
                    .and_then(|a| a.require_network(self.network))
                    .map_err(|e| {
                        Error::InvalidInput(format!(
                            "ticket {}: address {:?}: {e}",
                            t.ticket_hash,
                            crate::util::truncate(&t.ticket_address, 64)
                        ))
                    })?;
                Ok(NewLowFeeTicket {
                    added_by: admin,
                    ticket_address,
                    ticket_hash: t.ticket_hash,
                    created: now,
                    expires,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let guard = self.nodes.guard_change(NodeUpdate::LowFeeTickets);
        let n = self.store.add_low_fee_tickets(&rows).await?;
        guard.disarm();
        self.tell_nodes(NodeUpdate::LowFeeTickets).await;
        Ok(n)
    }

    /// An admin removes added low-fee tickets, then the voting nodes get the new list.
    /// Returns how many were removed.
    ///
    /// # Errors
    /// `Store { .. }`.
    pub async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64> {
        let guard = self.nodes.guard_change(NodeUpdate::LowFeeTickets);
        let n = self.store.remove_low_fee_tickets(hashes).await?;
        guard.disarm();
        self.tell_nodes(NodeUpdate::LowFeeTickets).await;
        Ok(n)
    }

    /// Tells the voting nodes that `what` changed (call right after the store commit):
    /// the nodes are marked stale and the push runs on a task of its own, so a caller that
    /// is dropped while waiting (a request deadline) does not cancel it, and a push that
    /// fails leaves the nodes to the retry.
    pub(crate) async fn tell_nodes(&self, what: NodeUpdate) {
        let Some(push) = self
            .nodes
            .push(self.store.clone(), what, self.clock.now_unix())
        else {
            return;
        };
        match push.await {
            Ok(Ok(outcomes)) => {
                for o in outcomes {
                    if let Err(e) = o.result {
                        tracing::warn!(node = %o.node, error = %e, "voting node not updated; will retry");
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not load state for voting nodes; will retry")
            }
            Err(e) => tracing::warn!(error = %e, "voting-node push failed; will retry"),
        }
    }
}

#[cfg(test)]
mod tests;

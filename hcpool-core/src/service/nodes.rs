//! Keeping every voting node (stakepoold) informed, as hcstakepool's
//! `StakepooldUpdateAll` does, but concurrently and with retry of nodes that were down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures::future::join_all;

use crate::backend::{
    LowFeeTicketStore, Store, TicketEntry, UserStore, UserVotingConfig, VotingNode,
};
use crate::error::Result;

/// What to push to the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeUpdate {
    /// Users' voting configuration (`SetUserVotingPrefs`).
    Users,
    /// Added low-fee tickets (`SetAddedLowFeeTickets`).
    LowFeeTickets,
    /// Both.
    All,
}

impl NodeUpdate {
    fn users(self) -> bool {
        matches!(self, NodeUpdate::Users | NodeUpdate::All)
    }

    fn tickets(self) -> bool {
        matches!(self, NodeUpdate::LowFeeTickets | NodeUpdate::All)
    }
}

/// The outcome of pushing to one node.
#[derive(Debug)]
pub struct NodeOutcome {
    /// The node's label.
    pub node: String,
    /// `Ok` when the node has the current configuration.
    pub result: Result<()>,
}

struct Node {
    node: Arc<dyn VotingNode>,
    /// The last change generation this node is known to hold; it is stale while this is
    /// below [`Pending::generation`].
    current: AtomicU64,
    /// The node's instance ([`VotingNode::instance`]) at the last check; 0 = unknown.
    instance: AtomicU64,
}

/// Changes announced but not yet taken by a push round.
struct Pending {
    /// Bumped by every change: every node is stale until a round credits it with it.
    generation: u64,
    /// The generation the last round took its changes at: a node below it missed a round
    /// and needs everything.
    taken: u64,
    /// The users changed since `taken`.
    users: bool,
    /// The low-fee tickets changed since `taken`.
    tickets: bool,
}

/// Marks every node stale when dropped armed: see [`VotingNodes::guard_change`].
#[must_use = "the guard marks the nodes stale when it is dropped"]
pub struct ChangeGuard<'a> {
    nodes: &'a VotingNodes,
    what: NodeUpdate,
    armed: bool,
}

impl ChangeGuard<'_> {
    /// The write changed nothing (or the caller pushes now): drop without marking.
    pub fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for ChangeGuard<'_> {
    fn drop(&mut self) {
        if self.armed && !self.nodes.is_empty() {
            self.nodes.changed(self.what);
        }
    }
}

/// The set of voting nodes the pool keeps in sync.
///
/// Every push sends the complete current state of what changed (the nodes replace theirs
/// atomically), so a node that missed updates becomes current with one successful push.
///
/// No update is lost: a change marks every node stale *before* anything is sent
/// ([`VotingNodes::changed`]), and only a push that read the state after that change
/// clears the mark, so a failed load, a failed call or an abandoned push leaves the nodes
/// stale for [`VotingNodes::retry_stale`]. Push rounds run one at a time and each reads the
/// state from the store when it runs, so an older state is never sent after a newer one
/// (the latest state wins). Stale marks are only a cache of "who needs a retry": losing
/// them (a restart) costs one full push at start-up.
pub struct VotingNodes {
    nodes: Vec<Node>,
    pending: Mutex<Pending>,
    /// Held by the running push round: rounds never overlap.
    rounds: tokio::sync::Mutex<()>,
}

impl VotingNodes {
    /// A node set (possibly empty: a pool may run without stakepoold). Every node starts
    /// stale, so the first round pushes everything.
    pub fn new(nodes: Vec<Arc<dyn VotingNode>>) -> Self {
        VotingNodes {
            nodes: nodes
                .into_iter()
                .map(|node| Node {
                    node,
                    current: AtomicU64::new(0),
                    instance: AtomicU64::new(0),
                })
                .collect(),
            pending: Mutex::new(Pending {
                generation: 1,
                taken: 1,
                users: false,
                tickets: false,
            }),
            rounds: tokio::sync::Mutex::new(()),
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes.
    pub fn nodes(&self) -> impl Iterator<Item = &Arc<dyn VotingNode>> {
        self.nodes.iter().map(|n| &n.node)
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Labels of nodes that have not received the current configuration.
    pub fn stale(&self) -> Vec<String> {
        let generation = self.pending().generation;
        self.nodes
            .iter()
            .filter(|n| n.current.load(Ordering::SeqCst) < generation)
            .map(|n| n.node.label())
            .collect()
    }

    /// Records that `what` changed in the store: every node is stale until a push round
    /// that reads the state afterwards reaches it. Call it once the change is committed,
    /// before anything can be cancelled.
    pub fn changed(&self, what: NodeUpdate) {
        let mut p = self.pending();
        p.users |= what.users();
        p.tickets |= what.tickets();
        p.generation += 1;
    }

    /// A guard to hold across a store write that changes `what`: when it is dropped armed,
    /// every node is marked stale ([`VotingNodes::changed`]). A write future can be dropped
    /// after its COMMIT reached the database (a cancelled request, a client that went
    /// away) and before the caller could call [`VotingNodes::push`]; the guard's drop then
    /// leaves the nodes stale for [`VotingNodes::retry_stale`], so the change still
    /// reaches them. [`ChangeGuard::disarm`] it when the write is known not to have
    /// changed anything, or right before pushing.
    pub fn guard_change(&self, what: NodeUpdate) -> ChangeGuard<'_> {
        ChangeGuard {
            nodes: self,
            what,
            armed: true,
        }
    }

    /// Marks every node stale for `what` ([`VotingNodes::changed`]) and starts a push
    /// round on a task of its own, so that a caller that gives up (a request deadline)
    /// cannot cancel it half-way; the caller may await the returned handle for the
    /// outcomes. `None` when there are no nodes, or when called outside a Tokio runtime
    /// (the nodes then stay stale for [`VotingNodes::retry_stale`]).
    ///
    /// The round reads the current state from `store` when it runs (one query each),
    /// after every earlier round: everything when some node missed a round, else what
    /// changed. The low-fee tickets sent are those still votable at `now` (unix seconds:
    /// not voted, not expired), as hcstakepool's `StakepooldUpdateAll`.
    pub fn push(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        what: NodeUpdate,
        now: i64,
    ) -> Option<tokio::task::JoinHandle<Result<Vec<NodeOutcome>>>> {
        if self.nodes.is_empty() {
            return None;
        }
        self.changed(what);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime to push to the voting nodes; the retry will");
            return None;
        };
        let this = Arc::clone(self);
        Some(runtime.spawn(async move { this.round(store.as_ref(), now).await }))
    }

    /// Runs a push round now (after any running one): every stale node gets the state
    /// it lacks (the complete state, low-fee tickets votable at `now`, when it missed a
    /// round). Nodes that fail stay stale.
    ///
    /// # Errors
    /// Only a store failure is an error (the nodes then stay stale); node failures are in
    /// the outcomes.
    pub async fn retry_stale(&self, store: &dyn Store, now: i64) -> Result<Vec<NodeOutcome>> {
        self.round(store, now).await
    }

    /// Asks every node for its instance ([`VotingNode::instance`], a cheap `Ping`),
    /// concurrently, and marks each node that restarted since the last check as missing
    /// everything, so the next round ([`VotingNodes::retry_stale`]) gives it the complete
    /// state, without waiting for a push to it to fail. A node seen for the first time
    /// while it counts as current is treated the same (it may have restarted after the
    /// push that made it current). Nodes that do not answer, or do not tell their instance
    /// (hcstakepool's stakepoold), are left as they are. Returns the labels of the nodes
    /// found restarted.
    pub async fn check_restarts(&self) -> Vec<String> {
        let answers = join_all(self.nodes.iter().map(|n| async move {
            match n.node.instance().await {
                Ok(Some(id)) if id != 0 => Some((n, id)),
                Ok(_) => None,
                Err(e) => {
                    tracing::debug!(node = %n.node.label(), error = %e, "voting node check");
                    None
                }
            }
        }))
        .await;
        // Marked under the round lock: a round in flight cannot credit a marked node with
        // a partial update, and one that ran since the ping is followed by a full push.
        let _turn = self.rounds.lock().await;
        let generation = self.pending().generation;
        let mut restarted = Vec::new();
        for (n, id) in answers.into_iter().flatten() {
            let before = n.instance.swap(id, Ordering::SeqCst);
            let unknown_but_current = before == 0 && n.current.load(Ordering::SeqCst) >= generation;
            if (before != 0 && before != id) || unknown_but_current {
                n.current.store(0, Ordering::SeqCst);
                let label = n.node.label();
                tracing::info!(node = %label, "voting node restarted; it gets the complete state");
                restarted.push(label);
            }
        }
        restarted
    }

    async fn round(&self, store: &dyn Store, now: i64) -> Result<Vec<NodeOutcome>> {
        let _turn = self.rounds.lock().await;
        let (users, tickets, generation, previous) = {
            let mut p = self.pending();
            let taken = (p.users, p.tickets, p.generation, p.taken);
            p.users = false;
            p.tickets = false;
            p.taken = p.generation;
            taken
        };
        let targets: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.current.load(Ordering::SeqCst) < generation)
            .collect();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let behind = targets
            .iter()
            .any(|n| n.current.load(Ordering::SeqCst) < previous);
        let what = match (users, tickets) {
            _ if behind => NodeUpdate::All,
            (true, false) => NodeUpdate::Users,
            (false, true) => NodeUpdate::LowFeeTickets,
            _ => NodeUpdate::All,
        };
        let (users_state, tickets_state) = match load(store, what, now).await {
            Ok(state) => state,
            Err(e) => {
                // Nothing was sent: the changes stay pending for the next round.
                let mut p = self.pending();
                p.users |= users;
                p.tickets |= tickets;
                p.taken = previous;
                return Err(e);
            }
        };
        Ok(send(targets, users_state, tickets_state, generation).await)
    }
}

/// Sends the state to `targets`; each that takes it is credited with `generation`.
async fn send(
    targets: Vec<&Node>,
    users: Option<Vec<UserVotingConfig>>,
    tickets: Option<Vec<TicketEntry>>,
    generation: u64,
) -> Vec<NodeOutcome> {
    let calls = targets.into_iter().map(|n| {
        let users = users.clone();
        let tickets = tickets.clone();
        async move {
            let mut result = Ok(());
            if let Some(u) = users {
                result = n.node.set_user_voting_prefs(u).await;
            }
            if result.is_ok() {
                if let Some(t) = tickets {
                    result = n.node.set_added_low_fee_tickets(t).await;
                }
            }
            if result.is_ok() {
                n.current.fetch_max(generation, Ordering::SeqCst);
            }
            NodeOutcome {
                node: n.node.label(),
                result,
            }
        }
    });
    join_all(calls).await
}

async fn load(
    store: &(impl UserStore + LowFeeTicketStore + ?Sized),
    what: NodeUpdate,
    now: i64,
) -> Result<(Option<Vec<UserVotingConfig>>, Option<Vec<TicketEntry>>)> {
    let users = match what {
        NodeUpdate::Users | NodeUpdate::All => Some(store.voting_configs().await?),
        NodeUpdate::LowFeeTickets => None,
    };
    let tickets = match what {
        NodeUpdate::LowFeeTickets | NodeUpdate::All => {
            Some(votable_low_fee_entries(store, now).await?)
        }
        NodeUpdate::Users => None,
    };
    Ok((users, tickets))
}

/// The added low-fee tickets a voting node votes: those still votable at `now` (unix
/// seconds; not voted, not expired: [`LowFeeTicketStore::votable_low_fee_tickets`]), in id
/// order. What the web app pushes (`SetAddedLowFeeTickets`) and what stakepoold loads at start, so a
/// restart of either gives the nodes the same set.
///
/// # Errors
/// `Store { .. }`.
pub async fn votable_low_fee_entries(
    store: &(impl LowFeeTicketStore + ?Sized),
    now: i64,
) -> Result<Vec<TicketEntry>> {
    Ok(store
        .votable_low_fee_tickets(now)
        .await?
        .into_iter()
        .map(|t| TicketEntry {
            ticket_address: t.ticket_address.to_string(),
            ticket_hash: t.ticket_hash,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{MockStore, MockVotingNode};
    use crate::error::{BackendKind, Error};
    use crate::ids::UserId;
    use crate::votebits::VoteBits;

    const NOW: i64 = 1_700_000_000;

    fn store() -> MockStore {
        let mut s = MockStore::new();
        s.expect_voting_configs().returning(|| {
            Ok(vec![UserVotingConfig {
                user_id: UserId(1),
                multisig_address: "TcX".into(),
                vote_bits: VoteBits(5),
                vote_bits_version: 7,
            }])
        });
        s.expect_votable_low_fee_tickets()
            .withf(|now| *now == NOW)
            .returning(|_| Ok(vec![]));
        s
    }

    fn node(label: &'static str, fail_first: bool) -> MockVotingNode {
        let mut n = MockVotingNode::new();
        n.expect_label().return_const(label.to_string());
        let mut seq = mockall::Sequence::new();
        if fail_first {
            n.expect_set_user_voting_prefs()
                .times(1)
                .in_sequence(&mut seq)
                .returning(|_| {
                    Err(Error::VotingNode {
                        node: "b".into(),
                        kind: BackendKind::Unavailable,
                        source: "down".into(),
                    })
                });
        }
        n.expect_set_user_voting_prefs()
            .withf(|u| u.len() == 1 && u[0].vote_bits == VoteBits(5))
            .returning(|_| Ok(()));
        n.expect_set_added_low_fee_tickets().returning(|_| Ok(()));
        n
    }

    #[tokio::test]
    async fn failed_node_is_stale_until_retried() {
        let store: Arc<dyn Store> = Arc::new(store());
        let nodes = Arc::new(VotingNodes::new(vec![
            Arc::new(node("a", false)),
            Arc::new(node("b", true)),
        ]));
        assert_eq!(
            nodes.stale().len(),
            2,
            "nodes start stale until the first push"
        );
        let out = nodes
            .push(store.clone(), NodeUpdate::Users, NOW)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out.len(), 2);
        assert!(out[0].result.is_ok());
        assert!(out[1].result.is_err());
        assert_eq!(nodes.stale(), vec!["b".to_string()]);
        let out = nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].result.is_ok());
        assert!(nodes.stale().is_empty());
        assert!(nodes
            .retry_stale(store.as_ref(), NOW)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_failed_load_leaves_the_nodes_stale_until_the_retry() {
        let mut store = MockStore::new();
        let mut seq = mockall::Sequence::new();
        let config = |bits| {
            vec![UserVotingConfig {
                user_id: UserId(1),
                multisig_address: "TcX".into(),
                vote_bits: VoteBits(bits),
                vote_bits_version: 7,
            }]
        };
        store
            .expect_voting_configs()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move || Ok(config(1)));
        store
            .expect_voting_configs()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|| {
                Err(Error::Store {
                    kind: BackendKind::Unavailable,
                    source: "database down".into(),
                })
            });
        store
            .expect_voting_configs()
            .times(1)
            .in_sequence(&mut seq)
            .returning(move || Ok(config(5)));
        store
            .expect_votable_low_fee_tickets()
            .returning(|_| Ok(vec![]));
        let got: Arc<std::sync::Mutex<Vec<VoteBits>>> = Arc::default();
        let mut n = MockVotingNode::new();
        n.expect_label().return_const("a".to_string());
        let g = got.clone();
        n.expect_set_user_voting_prefs().returning(move |u| {
            g.lock().unwrap().push(u[0].vote_bits);
            Ok(())
        });
        n.expect_set_added_low_fee_tickets().returning(|_| Ok(()));
        let nodes = Arc::new(VotingNodes::new(vec![Arc::new(n)]));
        let store: Arc<dyn Store> = Arc::new(store);

        let push = |nodes: &Arc<VotingNodes>| nodes.push(store.clone(), NodeUpdate::Users, NOW);
        push(&nodes).unwrap().await.unwrap().unwrap();
        assert!(nodes.stale().is_empty());
        // The change is committed, but the state cannot be read to push it.
        assert!(push(&nodes).unwrap().await.unwrap().is_err());
        assert_eq!(nodes.stale(), vec!["a".to_string()], "the update was lost");
        nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert_eq!(*got.lock().unwrap(), vec![VoteBits(1), VoteBits(5)]);
        assert!(nodes.stale().is_empty());
    }

    #[tokio::test]
    async fn a_write_dropped_after_its_commit_leaves_the_nodes_stale() {
        let store: Arc<dyn Store> = Arc::new(store());
        let nodes = Arc::new(VotingNodes::new(vec![Arc::new(node("a", false))]));
        nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert!(nodes.stale().is_empty());
        // A write whose caller is dropped once the commit is done (the request was
        // cancelled while awaiting the database's answer).
        let write = async {
            let _guard = nodes.guard_change(NodeUpdate::Users);
            std::future::pending::<()>().await;
        };
        let dropped = tokio::time::timeout(std::time::Duration::from_millis(20), write).await;
        assert!(dropped.is_err());
        assert_eq!(nodes.stale(), vec!["a".to_string()], "the change was lost");
        nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert!(nodes.stale().is_empty());
        // A write known to have changed nothing leaves them current.
        nodes.guard_change(NodeUpdate::Users).disarm();
        assert!(nodes.stale().is_empty());
    }

    /// A node whose process restarted (a new instance in `Ping`) lost what it was pushed:
    /// the check marks it as missing everything and the next round sends it the complete
    /// state (users and low-fee tickets) although no push to it ever failed. A node that
    /// does not tell its instance (hcstakepool's stakepoold) is left alone.
    #[tokio::test]
    async fn a_restarted_node_gets_everything_without_a_failed_push() {
        let store: Arc<dyn Store> = Arc::new(store());
        let instance = Arc::new(AtomicU64::new(11));
        let pushes: Arc<Mutex<Vec<&'static str>>> = Arc::default();
        let mut n = MockVotingNode::new();
        n.expect_label().return_const("a".to_string());
        let i = instance.clone();
        n.expect_instance()
            .returning(move || Ok(Some(i.load(Ordering::SeqCst))));
        let p = pushes.clone();
        n.expect_set_user_voting_prefs().returning(move |_| {
            p.lock().unwrap().push("users");
            Ok(())
        });
        let p = pushes.clone();
        n.expect_set_added_low_fee_tickets().returning(move |_| {
            p.lock().unwrap().push("tickets");
            Ok(())
        });
        let mut old = MockVotingNode::new();
        old.expect_label().return_const("old".to_string());
        old.expect_instance().returning(|| Ok(None));
        old.expect_set_user_voting_prefs().returning(|_| Ok(()));
        old.expect_set_added_low_fee_tickets().returning(|_| Ok(()));
        let nodes = Arc::new(VotingNodes::new(vec![Arc::new(n), Arc::new(old)]));

        // Start: stale anyway, the check only records the instance.
        assert!(nodes.check_restarts().await.is_empty());
        nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert!(nodes.stale().is_empty());
        // A users-only change reaches both.
        nodes
            .push(store.clone(), NodeUpdate::Users, NOW)
            .unwrap()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*pushes.lock().unwrap(), ["users", "tickets", "users"]);
        // Same instance: nothing to do.
        assert!(nodes.check_restarts().await.is_empty());
        assert!(nodes.stale().is_empty());

        instance.store(12, Ordering::SeqCst);
        assert_eq!(nodes.check_restarts().await, vec!["a".to_string()]);
        assert_eq!(
            nodes.stale(),
            vec!["a".to_string()],
            "only the restarted one"
        );
        pushes.lock().unwrap().clear();
        let out = nodes.retry_stale(store.as_ref(), NOW).await.unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].result.is_ok());
        assert_eq!(*pushes.lock().unwrap(), ["users", "tickets"], "everything");
        assert!(nodes.stale().is_empty());
        assert!(nodes.check_restarts().await.is_empty());
    }

    #[tokio::test]
    async fn no_nodes_no_queries() {
        let store = MockStore::new(); // any call would panic the mock
        let nodes = Arc::new(VotingNodes::new(vec![]));
        assert!(nodes.push(Arc::new(store), NodeUpdate::All, NOW).is_none());
        assert!(nodes.stale().is_empty());
    }
}

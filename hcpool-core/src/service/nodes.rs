//! Keeping every voting node (stakepoold) informed, as hcstakepool's
//! `StakepooldUpdateAll` does, but concurrently and with retry of nodes that were down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::future::join_all;

use crate::backend::{Store, TicketEntry, UserVotingConfig, VotingNode};
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
    /// The node missed an update and must get a full push before it is current again.
    stale: AtomicBool,
}

/// The set of voting nodes the pool keeps in sync.
///
/// Every push sends the complete current state (the nodes replace theirs atomically), so a
/// node that missed updates becomes current with one successful push. Stale flags are only a
/// cache of "who needs a retry": losing them (a restart) costs one full push at start-up.
pub struct VotingNodes {
    nodes: Vec<Node>,
}

impl VotingNodes {
    /// A node set (possibly empty: a pool may run without stakepoold).
    pub fn new(nodes: Vec<Arc<dyn VotingNode>>) -> Self {
        VotingNodes {
            nodes: nodes
                .into_iter()
                .map(|node| Node {
                    node,
                    stale: AtomicBool::new(true),
                })
                .collect(),
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

    /// Labels of nodes that have not received the current configuration.
    pub fn stale(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.stale.load(Ordering::Relaxed))
            .map(|n| n.node.label())
            .collect()
    }

    /// Reads the current state from `store` (one query each) and pushes `what` to every
    /// node concurrently (everything, when some node is stale, since that node needs it).
    /// Nodes that fail are marked stale; [`VotingNodes::retry_stale`] pushes everything to
    /// them later. The low-fee tickets sent are those still votable at `now` (unix seconds:
    /// not voted, not expired), as hcstakepool's `StakepooldUpdateAll`.
    ///
    /// # Errors
    /// Only a store failure is an error; node failures are in the outcomes.
    pub async fn push(
        &self,
        store: &dyn Store,
        what: NodeUpdate,
        now: i64,
    ) -> Result<Vec<NodeOutcome>> {
        if self.nodes.is_empty() {
            return Ok(Vec::new());
        }
        let any_stale = self.nodes.iter().any(|n| n.stale.load(Ordering::Relaxed));
        let what = if any_stale { NodeUpdate::All } else { what };
        let (users, tickets) = load(store, what, now).await?;
        Ok(self.send(self.nodes.iter().collect(), users, tickets).await)
    }

    /// Pushes the complete state (low-fee tickets votable at `now`) to every stale node.
    ///
    /// # Errors
    /// Only a store failure is an error.
    pub async fn retry_stale(&self, store: &dyn Store, now: i64) -> Result<Vec<NodeOutcome>> {
        let stale: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.stale.load(Ordering::Relaxed))
            .collect();
        if stale.is_empty() {
            return Ok(Vec::new());
        }
        let (users, tickets) = load(store, NodeUpdate::All, now).await?;
        Ok(self.send(stale, users, tickets).await)
    }

    async fn send(
        &self,
        targets: Vec<&Node>,
        users: Option<Vec<UserVotingConfig>>,
        tickets: Option<Vec<TicketEntry>>,
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
                n.stale.store(result.is_err(), Ordering::Relaxed);
                NodeOutcome {
                    node: n.node.label(),
                    result,
                }
            }
        });
        join_all(calls).await
    }
}

async fn load(
    store: &dyn Store,
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
/// seconds; not voted, not expired: [`Store::votable_low_fee_tickets`]), in id order. What
/// the web app pushes (`SetAddedLowFeeTickets`) and what stakepoold loads at start, so a
/// restart of either gives the nodes the same set.
///
/// # Errors
/// `Store { .. }`.
pub async fn votable_low_fee_entries(store: &dyn Store, now: i64) -> Result<Vec<TicketEntry>> {
    Ok(store
        .votable_low_fee_tickets(now)
        .await?
        .into_iter()
        .map(|t| TicketEntry {
            ticket_address: t.ticket_address,
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
        let store = store();
        let nodes = VotingNodes::new(vec![Arc::new(node("a", false)), Arc::new(node("b", true))]);
        assert_eq!(
            nodes.stale().len(),
            2,
            "nodes start stale until the first push"
        );
        let out = nodes.push(&store, NodeUpdate::Users, NOW).await.unwrap();
        assert_eq!(out.len(), 2);
        assert!(out[0].result.is_ok());
        assert!(out[1].result.is_err());
        assert_eq!(nodes.stale(), vec!["b".to_string()]);
        let out = nodes.retry_stale(&store, NOW).await.unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].result.is_ok());
        assert!(nodes.stale().is_empty());
        assert!(nodes.retry_stale(&store, NOW).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn no_nodes_no_queries() {
        let store = MockStore::new(); // any call would panic the mock
        let nodes = VotingNodes::new(vec![]);
        assert!(nodes
            .push(&store, NodeUpdate::All, NOW)
            .await
            .unwrap()
            .is_empty());
    }
}

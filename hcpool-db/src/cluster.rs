//! Several database nodes behind one store: a MariaDB Galera cluster (or any set of
//! multi-master MySQL nodes).
//!
//! sqlx pools are per URL, so there is one lazily-connecting pool per node. Requests go to
//! the node in use; when it fails at the connection level (refused, lost, or a Galera node
//! that is not part of the primary component), the store probes the next nodes in list order
//! and moves to the first that is ready. A monitor task probes every node every
//! [`MONITOR_INTERVAL`] and moves back to the earliest ready node in the list, so a store
//! returns to its preferred node once that node has rejoined, without a restart.
//!
//! A node is ready when it answers and, on Galera (`wsrep_on=ON`), `wsrep_ready` is ON,
//! `wsrep_cluster_status` is `Primary` and `wsrep_local_state` is 4 (Synced): a node that
//! is still receiving its state transfer, or is cut off from the majority, is skipped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::{AnyConnection, AnyPool, Connection, Row};

/// How often the monitor probes every node (only with two nodes or more).
pub(crate) const MONITOR_INTERVAL: Duration = Duration::from_secs(2);

/// How long one probe may take before its node counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// One database node.
#[derive(Debug)]
pub(crate) struct Node {
    /// `host:port`, for logs and the health answer (never credentials).
    pub label: String,
    /// The node's own URL (probes open a fresh connection: the pool may be busy).
    pub url: String,
    pub pool: AnyPool,
}

/// What a probe found on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Probe {
    /// The node answers and can take queries.
    pub ready: bool,
    /// Galera's `wsrep_cluster_size` as this node sees it; `None` outside Galera.
    pub cluster_size: Option<u32>,
}

/// The store's nodes, the one in use, and the last probe of each.
#[derive(Debug)]
pub(crate) struct Cluster {
    pub nodes: Vec<Node>,
    current: AtomicUsize,
    /// Serialises moves from one node to another (probes run while it is held).
    switching: tokio::sync::Mutex<()>,
    probes: Mutex<Vec<Option<Probe>>>,
}

impl Cluster {
    pub(crate) fn new(nodes: Vec<Node>, current: usize) -> Arc<Cluster> {
        let n = nodes.len();
        Arc::new(Cluster {
            nodes,
            current: AtomicUsize::new(current),
            switching: tokio::sync::Mutex::new(()),
            probes: Mutex::new(vec![None; n]),
        })
    }

    /// The index of the node in use.
    pub(crate) fn current(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }

    /// The pool of node `i`.
    pub(crate) fn pool(&self, i: usize) -> &AnyPool {
        &self.nodes[i.min(self.nodes.len() - 1)].pool
    }

    fn record(&self, i: usize, p: Probe) {
        if let Ok(mut probes) = self.probes.lock() {
            if let Some(slot) = probes.get_mut(i) {
                *slot = Some(p);
            }
        }
    }

    /// The last probe of every node (`None`: not probed yet).
    pub(crate) fn probes(&self) -> Vec<Option<Probe>> {
        self.probes.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Probes node `i` now and records the result.
    pub(crate) async fn probe(&self, i: usize) -> Probe {
        let p = probe(&self.nodes[i.min(self.nodes.len() - 1)].url).await;
        self.record(i, p);
        p
    }

    fn set_current(&self, from: usize, to: usize, why: &str) {
        if from != to {
            self.current.store(to, Ordering::Release);
            tracing::warn!(
                from = %self.nodes[from].label,
                to = %self.nodes[to].label,
                why,
                "database: switched node"
            );
        }
    }

    /// Node `failed` did not answer: moves to the next ready node after it (in list order,
    /// wrapping), and returns the node now in use. Returns `None` when no node is ready;
    /// the store then stays where it was. With one node there is nothing to move to.
    pub(crate) async fn fail_over(&self, failed: usize) -> Option<usize> {
        let n = self.nodes.len();
        if n < 2 {
            return None;
        }
        let _moving = self.switching.lock().await;
        let cur = self.current();
        if cur != failed {
            // Another request moved already.
            return Some(cur);
        }
        self.record(failed, Probe::default());
        for k in 1..n {
            let j = (failed + k) % n;
            if self.probe(j).await.ready {
                self.set_current(failed, j, "node failed");
                return Some(j);
            }
        }
        None
    }

    /// One monitor round: probes every node, then moves to the earliest ready node in list
    /// order (back to a preferred node that rejoined, or away from one that is not ready).
    pub(crate) async fn monitor_round(&self) {
        let probes = futures::future::join_all(
            (0..self.nodes.len()).map(|i| async move { (i, self.probe(i).await) }),
        )
        .await;
        let best = probes.iter().find(|(_, p)| p.ready).map(|(i, _)| *i);
        if let Some(best) = best {
            let _moving = self.switching.lock().await;
            let cur = self.current();
            if best != cur {
                let why = if probes.get(cur).is_some_and(|(_, p)| p.ready) {
                    "preferred node is ready again"
                } else {
                    "node in use is not ready"
                };
                self.set_current(cur, best, why);
            }
        }
    }

    /// Starts the monitor task (two nodes or more); it ends when the cluster is dropped.
    pub(crate) fn spawn_monitor(self: &Arc<Cluster>) {
        if self.nodes.len() < 2 {
            return;
        }
        let weak: Weak<Cluster> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(MONITOR_INTERVAL).await;
                let Some(cluster) = weak.upgrade() else {
                    return;
                };
                if cluster.nodes.iter().all(|n| n.pool.is_closed()) {
                    return;
                }
                cluster.monitor_round().await;
            }
        });
    }
}

/// Per-connection settings. On Galera (`wsrep_on=ON`), `wsrep_sync_wait = 1`: a read
/// first waits until this node has applied every write the cluster committed before it, so
/// a session or sign-up written through one node is seen by the next request on another.
/// `init` (tests) runs after that.
pub(crate) async fn session_setup(
    conn: &mut AnyConnection,
    init: Option<&'static str>,
) -> Result<(), sqlx::Error> {
    if wsrep_on(conn).await? {
        sqlx::query("SET SESSION wsrep_sync_wait = 1")
            .execute(&mut *conn)
            .await?;
    }
    if let Some(init) = init {
        sqlx::query(init).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn wsrep_on(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let v: Option<String> = sqlx::query("SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get::<String, _>(1))
        .transpose()?;
    Ok(v.is_some_and(|v| v.eq_ignore_ascii_case("ON")))
}

/// Whether the server at `url` can take queries, and its Galera cluster size.
pub(crate) async fn probe(url: &str) -> Probe {
    let check = async {
        let mut conn = AnyConnection::connect(url).await?;
        if !wsrep_on(&mut conn).await? {
            sqlx::query("SELECT 1").fetch_one(&mut conn).await?;
            return Ok::<_, sqlx::Error>(Probe {
                ready: true,
                cluster_size: None,
            });
        }
        let rows = sqlx::query(
            "SHOW GLOBAL STATUS WHERE Variable_name IN \
             ('wsrep_ready', 'wsrep_cluster_status', 'wsrep_local_state', 'wsrep_cluster_size')",
        )
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        let mut ready = false;
        let mut primary = false;
        let mut synced = false;
        let mut size = None;
        for r in &rows {
            let name: String = r.try_get(0)?;
            let value: String = r.try_get(1)?;
            match name.to_ascii_lowercase().as_str() {
                "wsrep_ready" => ready = value.eq_ignore_ascii_case("ON"),
                "wsrep_cluster_status" => primary = value.eq_ignore_ascii_case("Primary"),
                "wsrep_local_state" => synced = value.trim() == "4",
                "wsrep_cluster_size" => size = value.trim().parse().ok(),
                _ => {}
            }
        }
        Ok(Probe {
            ready: ready && primary && synced,
            cluster_size: size,
        })
    };
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "database probe failed");
            Probe::default()
        }
        Err(_) => Probe::default(),
    }
}

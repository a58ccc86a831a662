//! A database that is not there is `Unavailable` (the web layer's 503), and the pool
//! recovers when it comes back.

use hcpool_core::backend::{StoreMaintenance, UserStore};
use hcpool_core::BackendKind;
use hcpool_db::SqlStore;
use sqlx::Row;

use crate::support::{mysql_server, sqlite_store, MySqlDb};

#[tokio::test]
async fn closed_pool_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    store.close().await;
    let err = UserStore::user_counts(&store).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Unavailable));
}

#[tokio::test]
async fn unreachable_mysql_is_unavailable_and_password_is_redacted() {
    // Port 1 on loopback: nothing listens there.
    let err = SqlStore::connect("mysql://pool:s3cret@127.0.0.1:1/stakepool")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), BackendKind::Unavailable);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cret"), "password leaked: {shown}");
    let core: hcpool_core::Error = err.into();
    assert_eq!(core.backend_kind(), Some(BackendKind::Unavailable));
}

#[tokio::test]
async fn mysql_pool_recovers_after_connections_are_killed() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let store = SqlStore::connect(&db.url).await.unwrap();
    assert_eq!(UserStore::user_counts(&store).await.unwrap().all, 0);
    // Kill every server-side connection of the store: what a server restart does to it.
    let raw = db.raw().await;
    let ids = sqlx::query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
    )
    .bind(&db.name)
    .fetch_all(&raw)
    .await
    .unwrap();
    assert!(!ids.is_empty(), "the store holds connections");
    for row in ids {
        let id: i64 = row.try_get(0).unwrap();
        let _ = sqlx::query(&format!("KILL {id}")).execute(&raw).await;
    }
    // The pool notices the dead connections (it pings before lending one) and opens new
    // ones: the very next request succeeds.
    let counts = UserStore::user_counts(&store)
        .await
        .map_err(|e| e.backend_kind());
    assert_eq!(counts.map(|c| c.all), Ok(0));
}

/// A host list whose first node is down: the store starts on the next one, says which, and
/// works; a node that never answers is not "ready".
#[tokio::test]
async fn mysql_host_list_skips_a_dead_node() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let live = url::Url::parse(&db.url).unwrap();
    let live_host = format!(
        "{}:{}",
        live.host_str().unwrap(),
        live.port().unwrap_or(3306)
    );
    // Port 1 on loopback: nothing listens there.
    let list = db.url.replacen('@', "@127.0.0.1:1,", 1);
    let store = SqlStore::connect(&list).await.unwrap();
    assert_eq!(store.node(), live_host);
    assert_eq!(UserStore::user_counts(&store).await.unwrap().all, 0);
    let status = StoreMaintenance::store_status(&store).await.unwrap();
    assert_eq!(status.node.as_deref(), Some(live_host.as_str()));
    assert_eq!(status.nodes, 2);
    assert_eq!(status.cluster_size, None, "not a Galera node");
    // No node at all: Unavailable, and the password stays out of the message.
    let err = SqlStore::connect("mysql://u:s3cret@127.0.0.1:1,127.0.0.1:2/x")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), BackendKind::Unavailable);
    assert!(!format!("{err} {err:?}").contains("s3cret"));
}

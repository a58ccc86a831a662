//! hcpool-core's store suite on both backends.

use std::sync::Arc;

use hcpool_core::backend::Store;
use hcpool_core::testing::store_conformance;
use hcpool_db::SqlStore;

use crate::support::{mysql_server, sqlite_store, Keep, MySqlDb};

#[tokio::test]
async fn sqlite_store_passes_conformance() {
    let dir = tempfile::tempdir().unwrap();
    store_conformance(|| async { Arc::new(sqlite_store(&dir).await) as Arc<dyn Store> }).await;
}

#[tokio::test]
async fn sqlite_in_memory_store_passes_conformance() {
    store_conformance(|| async {
        Arc::new(SqlStore::connect("sqlite::memory:").await.unwrap()) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test]
async fn mysql_store_passes_conformance() {
    let Some(server) = mysql_server() else {
        return;
    };
    let keep = Keep::default();
    store_conformance(|| async {
        let db = MySqlDb::create(&server).await;
        let store = SqlStore::connect(&db.url).await.unwrap();
        keep.hold(db);
        Arc::new(store) as Arc<dyn Store>
    })
    .await;
}

#[tokio::test]
async fn connect_by_url_creates_sqlite_file_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let url = format!("sqlite://{}", path.display());
    let store = hcpool_db::connect(&url).await.unwrap();
    assert!(path.exists(), "the database file is created");
    let id = store
        .create_user(&hcpool_core::backend::NewUser {
            email: "a@example.com".into(),
            password_hash: "h".to_owned().into(),
            email_token: "t".to_owned().into(),
            vote_bits: hcpool_core::VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    drop(store);
    let again = hcpool_db::connect(&url).await.unwrap();
    assert_eq!(
        again.user(id).await.unwrap().map(|u| u.email),
        Some("a@example.com".into())
    );
}

/// Both migration trees have the same versions and names (the schemas must not drift).
#[test]
fn migration_trees_match() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    let mysql = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/mysql"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, mysql);
}

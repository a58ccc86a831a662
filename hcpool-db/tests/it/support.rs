//! Fresh databases for tests: SQLite files in a temp dir; MySQL databases created on the
//! server named by `HCPOOL_TEST_MYSQL_URL` and dropped afterwards (also on panic).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hcpool_db::SqlStore;
use sqlx::mysql::MySqlPoolOptions;
use sqlx::Executor;

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A SQLite store in a fresh file under `dir`.
pub async fn sqlite_store(dir: &tempfile::TempDir) -> SqlStore {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let path = dir.path().join(format!("store-{n}.db"));
    SqlStore::open_sqlite(&path)
        .await
        .expect("open sqlite store")
}

/// The MySQL server URL for tests, or `None` after printing the skip line.
#[allow(clippy::print_stdout)] // The skip must be visible in the test output.
pub fn mysql_server() -> Option<String> {
    match std::env::var("HCPOOL_TEST_MYSQL_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("skipped: HCPOOL_TEST_MYSQL_URL unset");
            None
        }
    }
}

/// A throwaway MySQL database; dropped when this value is.
pub struct MySqlDb {
    server: String,
    /// The database's name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl MySqlDb {
    /// Creates an empty database on `server`.
    pub async fn create(server: &str) -> MySqlDb {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("hcpool_test_{}_{n}_{nanos}", std::process::id());
        let admin = admin_pool(server).await;
        admin
            .execute(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4").as_str())
            .await
            .expect("create test database");
        admin.close().await;
        let mut url = url::Url::parse(server).expect("HCPOOL_TEST_MYSQL_URL is a URL");
        url.set_path(&format!("/{name}"));
        MySqlDb {
            server: server.to_owned(),
            name,
            url: url.to_string(),
        }
    }

    /// A plain (non-hcpool) connection pool on this database, for raw SQL.
    pub async fn raw(&self) -> sqlx::MySqlPool {
        MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("connect to test database")
    }
}

async fn admin_pool(server: &str) -> sqlx::MySqlPool {
    MySqlPoolOptions::new()
        .max_connections(1)
        .connect(server)
        .await
        .expect("connect to HCPOOL_TEST_MYSQL_URL")
}

impl Drop for MySqlDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let admin = admin_pool(&server).await;
                // Pools dropped with the test may still hold connections (even open
                // transactions, whose rollback needs the runtime this thread blocks): end
                // them, or DROP DATABASE waits for their metadata locks forever.
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT ID FROM information_schema.PROCESSLIST \
                     WHERE DB = ? AND ID <> CONNECTION_ID()",
                )
                .bind(&name)
                .fetch_all(&admin)
                .await
                .unwrap_or_default();
                for id in ids {
                    let _ = admin.execute(format!("KILL {id}").as_str()).await;
                }
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS `{name}`").as_str())
                    .await;
                admin.close().await;
            });
        })
        .join();
    }
}

/// Keeps fresh stores' resources alive for a whole test.
#[derive(Default)]
pub struct Keep {
    dbs: std::sync::Mutex<Vec<Arc<MySqlDb>>>,
}

impl Keep {
    /// Remembers `db` until the test ends.
    pub fn hold(&self, db: MySqlDb) {
        self.dbs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(db));
    }
}

//! Online backups of a SQLite store on a timer (`backupinterval` minutes, the newest
//! `backupstokeep` kept in `backupdir`): each is SQLite's `VACUUM INTO`, a consistent copy
//! taken while the pool runs ([`hcpool_db::SqlStore::rotate_backup`]). A MySQL/MariaDB store
//! is dumped with its own tools instead (README "Backups"); for it the timer is not started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hcpool_core::config::DbSettings;
use hcpool_db::{Backend, SqlStore};
use tokio::task::JoinHandle;

/// Where backups of the store at `url` go: `backupdir`, else `backups` beside the SQLite
/// file. `None` for stores that are not SQLite files.
pub fn backup_dir(db: &DbSettings, url: &str) -> Option<PathBuf> {
    if !db.backup_dir.trim().is_empty() {
        return Some(PathBuf::from(db.backup_dir.trim()));
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().filter(|p| !p.contains(":memory:"))?;
    let parent = Path::new(path).parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    Some(parent.join("backups"))
}

/// Starts the backup timer when `backupinterval` is set and the store is SQLite (a first
/// backup one interval after start). `None` otherwise (logged when a MySQL store asked
/// for it).
pub fn spawn(store: SqlStore, db: &DbSettings, url: &str) -> Option<JoinHandle<()>> {
    if db.backup_interval_mins == 0 {
        return None;
    }
    if store.backend() != Backend::Sqlite {
        tracing::warn!(
            "backupinterval is for SQLite stores; dump MySQL/MariaDB with mysqldump \
             --single-transaction (README: Backups)"
        );
        return None;
    }
    let dir = backup_dir(db, url)?;
    let every = Duration::from_secs(u64::from(db.backup_interval_mins) * 60);
    let keep = db.backups_to_keep as usize;
    tracing::info!(dir = %dir.display(), minutes = db.backup_interval_mins, keep, "SQLite backups on");
    Some(spawn_every(store, dir, every, keep))
}

/// A backup into `dir` every `every` (the first one interval after start), keeping `keep`.
pub fn spawn_every(store: SqlStore, dir: PathBuf, every: Duration, keep: usize) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            backup_once(&store, &dir, keep).await;
        }
    })
}

/// One backup into `dir`, the oldest beyond `keep` deleted; failures are logged.
pub async fn backup_once(store: &SqlStore, dir: &Path, keep: usize) -> Option<PathBuf> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match store.rotate_backup(dir, now, keep).await {
        Ok(file) => {
            tracing::info!(file = %file.display(), "database backed up");
            Some(file)
        }
        Err(e) => {
            tracing::error!(error = %e, "database backup failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(dir: &str) -> DbSettings {
        DbSettings {
            host: String::new(),
            port: 3306,
            name: String::new(),
            user: String::new(),
            password: hcpool_core::Secret::default(),
            url: None,
            min_cluster_size: 0,
            backup_interval_mins: 1,
            backups_to_keep: 2,
            backup_dir: dir.into(),
        }
    }

    #[test]
    fn backups_go_beside_the_file_unless_backupdir() {
        assert_eq!(
            backup_dir(&db(""), "sqlite:///var/lib/hcpool/pool.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/hcpool/backups"))
        );
        assert_eq!(
            backup_dir(&db(""), "sqlite://pool.db"),
            Some(PathBuf::from("./backups"))
        );
        assert_eq!(
            backup_dir(&db("/srv/bk"), "sqlite://pool.db"),
            Some(PathBuf::from("/srv/bk"))
        );
        assert_eq!(backup_dir(&db(""), "mysql://u@h/db"), None);
        assert_eq!(backup_dir(&db(""), "sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn a_backup_round_keeps_the_newest() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqlStore::open_sqlite(&tmp.path().join("pool.db"))
            .await
            .unwrap();
        let dir = tmp.path().join("backups");
        let mut made = Vec::new();
        for now in [100, 200, 300] {
            made.push(store.rotate_backup(&dir, now, 2).await.unwrap());
        }
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        left.sort();
        assert_eq!(left, made[1..]);
        assert!(backup_once(&store, &dir, 2).await.is_some());
    }

    #[tokio::test]
    async fn the_timer_backs_up_and_rotates() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("pool.db");
        let url = hcpool_db::sqlite_url_for_path(&path);
        let store = SqlStore::connect(&url).await.unwrap();
        let mut off = db("");
        off.backup_interval_mins = 0;
        assert!(
            spawn(store.clone(), &off, &url).is_none(),
            "backupinterval=0"
        );
        let on = spawn(store.clone(), &db(""), &url).expect("SQLite with an interval");
        on.abort();
        // The same timer at a test's pace: names are per second, so 1.1 s apart.
        let dir = tmp.path().join("backups");
        let task = spawn_every(store, dir.clone(), Duration::from_millis(1100), 2);
        tokio::time::sleep(Duration::from_millis(4000)).await;
        task.abort();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(
            files.len(),
            2,
            "three backups, the oldest deleted: {files:?}"
        );
        for f in files {
            let f = f.unwrap().path();
            assert_eq!(hcpool_db::check_backup_file(&f).await.unwrap().users, 0);
        }
    }
}

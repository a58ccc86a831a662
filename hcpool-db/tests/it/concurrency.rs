//! What Galera and READ COMMITTED change: email uniqueness that does not rest on
//! `SELECT … FOR UPDATE`, steps retried after a deadlock (all-or-nothing), and migrations
//! that resume after an interruption and tolerate two instances starting at once.

use std::time::Duration;

use hcpool_core::backend::{LowFeeTicketStore, NewLowFeeTicket, NewUser, TokenStore, UserStore};
use hcpool_core::{Address, BackendKind, Network, Secret, TicketHash, UserId, VoteBits};
use hcpool_db::SqlStore;
use sqlx::{Executor, Row};

use crate::support::{mysql_server, MySqlDb};

const READ_COMMITTED: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

fn new_user(email: &str, token: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: Secret::new("h".into()),
        email_token: Secret::new(token.into()),
        vote_bits: VoteBits(1),
        vote_bits_version: 7,
    }
}

async fn count(pool: &sqlx::MySqlPool, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// The pattern hcpool used before `hcpool_emails`, run by hand in two interleaved
/// transactions: under READ COMMITTED, `SELECT … FOR UPDATE` of a missing row takes no gap
/// lock, so both see the email free and both insert it.
#[tokio::test]
async fn mysql_select_for_update_does_not_guard_under_read_committed() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    drop(SqlStore::connect(&db.url).await.unwrap());
    let raw = db.raw().await;
    let mut a = raw.acquire().await.unwrap();
    let mut b = raw.acquire().await.unwrap();
    for c in [&mut a, &mut b] {
        c.execute(READ_COMMITTED).await.unwrap();
        c.execute("BEGIN").await.unwrap();
        let found =
            sqlx::query("SELECT UserId FROM Users WHERE Email = 'x@example.com' FOR UPDATE")
                .fetch_optional(&mut **c)
                .await
                .unwrap();
        assert!(found.is_none());
    }
    for c in [&mut a, &mut b] {
        c.execute("INSERT INTO Users (Email) VALUES ('x@example.com')")
            .await
            .unwrap();
    }
    a.execute("COMMIT").await.unwrap();
    b.execute("COMMIT").await.unwrap();
    drop((a, b));
    assert_eq!(
        count(
            &raw,
            "SELECT COUNT(*) FROM Users WHERE Email = 'x@example.com'"
        )
        .await,
        2,
        "the old check lets both through under READ COMMITTED"
    );
}

/// The store under READ COMMITTED: 16 concurrent sign-ups with one email (in different
/// cases), and concurrent email changes to it, leave exactly one owner.
#[tokio::test]
async fn mysql_email_stays_unique_under_read_committed() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let store = SqlStore::connect_with_init(&db.url, READ_COMMITTED)
        .await
        .unwrap();
    let raw = db.raw().await;
    let iso: String = sqlx::query("SELECT @@tx_isolation")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(iso, "READ-COMMITTED");
    for round in 0..5 {
        let email = format!("same{round}@example.com");
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                let email = if i % 2 == 0 {
                    email.clone()
                } else {
                    email.to_uppercase()
                };
                tokio::spawn(async move {
                    UserStore::create_user(&store, &new_user(&email, &format!("t{round}-{i}")))
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.backend_kind(), Some(BackendKind::Conflict), "{e}"),
            }
        }
        assert_eq!(ok, 1, "round {round}: exactly one sign-up wins");
        let sql = format!("SELECT COUNT(*) FROM Users WHERE Email = '{email}'");
        assert_eq!(count(&raw, &sql).await, 1);
    }
    // Email changes race a sign-up for one new address: one owner in the end.
    let a = UserStore::create_user(&store, &new_user("a@example.com", "ta"))
        .await
        .unwrap();
    let b = UserStore::create_user(&store, &new_user("b@example.com", "tb"))
        .await
        .unwrap();
    for (id, tok) in [(a, "ca"), (b, "cb")] {
        TokenStore::create_email_change(
            &store,
            &hcpool_core::backend::EmailChange {
                user_id: id,
                new_email: "target@example.com".into(),
                token: Secret::new(tok.into()),
                created: 1,
                expires: i64::MAX / 2,
            },
        )
        .await
        .unwrap();
    }
    let (s1, s2, s3) = (store.clone(), store.clone(), store.clone());
    let r = tokio::join!(
        async move { TokenStore::apply_email_change(&s1, "ca", 5).await },
        async move { TokenStore::apply_email_change(&s2, "cb", 5).await },
        async move {
            UserStore::create_user(&s3, &new_user("TARGET@example.com", "tc"))
                .await
                .map(Some)
        },
    );
    let wins = [
        matches!(r.0, Ok(Some(_))),
        matches!(r.1, Ok(Some(_))),
        r.2.is_ok(),
    ];
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{r:?}");
    assert_eq!(
        count(
            &raw,
            "SELECT COUNT(*) FROM Users WHERE Email = 'target@example.com'"
        )
        .await,
        1
    );
    // The loser of an email change keeps its own email and claim.
    let claims = count(&raw, "SELECT COUNT(*) FROM hcpool_emails").await;
    let users = count(&raw, "SELECT COUNT(*) FROM Users").await;
    assert_eq!(claims, users, "one claim per user");
}

/// A step that hits deadlocks (error 1213, forced by a trigger a non-transactional counter
/// drives) is retried and succeeds; past the bound it fails with nothing half-written.
#[tokio::test]
async fn mysql_deadlocked_steps_are_retried_all_or_nothing() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let store = SqlStore::connect(&db.url).await.unwrap();
    let raw = db.raw().await;
    sqlx::raw_sql(
        "CREATE TABLE forced_deadlocks (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=Aria;
         INSERT INTO forced_deadlocks VALUES (1, 2);",
    )
    .execute(&raw)
    .await
    .unwrap();
    sqlx::raw_sql(
        "CREATE TRIGGER deadlock_ticket BEFORE INSERT ON LowFeeTicket FOR EACH ROW BEGIN \
         IF NEW.TicketHash IN ('0202020202020202020202020202020202020202020202020202020202020202', \
         '0404040404040404040404040404040404040404040404040404040404040404') AND (SELECT n FROM forced_deadlocks WHERE id = 1) > 0 \
         THEN UPDATE forced_deadlocks SET n = n - 1 WHERE id = 1; \
         SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'forced deadlock'; \
         END IF; END",
    )
    .execute(&raw)
    .await
    .unwrap();
    // The trigger deadlocks tickets 2 and 4 (the second of each pair).
    let t = |n: u8| NewLowFeeTicket {
        added_by: UserId(1),
        ticket_address: Address::p2sh(Network::Mainnet, [n; 20]),
        ticket_hash: TicketHash::from_bytes([n; 32]),
        created: 1,
        expires: 10_000,
    };
    // Two forced deadlocks, then it goes through: both tickets, once each.
    let added = LowFeeTicketStore::add_low_fee_tickets(&store, &[t(1), t(2)])
        .await
        .unwrap();
    assert_eq!(added, 2);
    assert_eq!(count(&raw, "SELECT COUNT(*) FROM LowFeeTicket").await, 2);
    assert_eq!(count(&raw, "SELECT n FROM forced_deadlocks").await, 0);
    // More deadlocks than attempts: a Conflict, and neither new ticket is written.
    sqlx::query("UPDATE forced_deadlocks SET n = 100")
        .execute(&raw)
        .await
        .unwrap();
    let err = LowFeeTicketStore::add_low_fee_tickets(&store, &[t(3), t(4)])
        .await
        .unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Conflict));
    assert_eq!(count(&raw, "SELECT COUNT(*) FROM LowFeeTicket").await, 2);
    let left = count(&raw, "SELECT n FROM forced_deadlocks").await;
    assert_eq!(100 - left, 6, "bounded: six attempts in all");
}

/// A migration stopped half-way (some of 0002's indexes created, 0005 not, and even a
/// `_sqlx_migrations` row that an older hcpool left "failed") is completed by the next
/// start, with no manual repair.
#[tokio::test]
async fn mysql_interrupted_migration_is_completed_by_the_next_start() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let store = SqlStore::connect(&db.url).await.unwrap();
    UserStore::create_user(&store, &new_user("kept@example.com", "t"))
        .await
        .unwrap();
    store.close().await;
    let raw = db.raw().await;
    sqlx::raw_sql(
        "DROP INDEX hcpool_password_reset_token ON PasswordReset;
         DROP INDEX hcpool_low_fee_ticket_hash ON LowFeeTicket;
         DROP TABLE hcpool_emails;
         DELETE FROM hcpool_migrations WHERE version IN (2, 5);
         CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
           installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
           checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
         INSERT INTO _sqlx_migrations VALUES (1, 'x', NOW(), 1, '', 1), (2, 'y', NOW(), 0, '', 1);",
    )
    .execute(&raw)
    .await
    .unwrap();
    let indexes = "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS \
                   WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME LIKE 'hcpool%'";
    assert_eq!(count(&raw, indexes).await, 15);
    let store = SqlStore::connect(&db.url).await.unwrap();
    assert_eq!(count(&raw, indexes).await, 18);
    assert_eq!(
        count(&raw, "SELECT COUNT(*) FROM hcpool_migrations").await,
        10
    );
    assert_eq!(count(&raw, "SELECT COUNT(*) FROM hcpool_emails").await, 1);
    let again = UserStore::create_user(&store, &new_user("KEPT@example.com", "t2")).await;
    assert_eq!(
        again.unwrap_err().backend_kind(),
        Some(BackendKind::Conflict)
    );
    assert_eq!(
        count(&raw, "SELECT COUNT(*) FROM hcpool_migration_lock").await,
        0
    );
}

/// Two instances starting at once on a fresh database: both start, every migration is
/// recorded once. A start finding the lock row held waits for it.
#[tokio::test]
async fn mysql_concurrent_starts_and_the_lock_row() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let (a, b) = tokio::join!(SqlStore::connect(&db.url), SqlStore::connect(&db.url));
    let (a, b) = (a.unwrap(), b.unwrap());
    let raw = db.raw().await;
    assert_eq!(
        count(&raw, "SELECT COUNT(*) FROM hcpool_migrations").await,
        10
    );
    UserStore::create_user(&a, &new_user("one@example.com", "t"))
        .await
        .unwrap();
    assert!(
        UserStore::create_user(&b, &new_user("one@example.com", "t2"))
            .await
            .is_err()
    );
    // Another instance holds the lock: a start waits (and is not done within 1.5 s) …
    sqlx::query(
        "INSERT INTO hcpool_migration_lock (id, owner, expires) \
         VALUES (1, 'other', UNIX_TIMESTAMP() + 600)",
    )
    .execute(&raw)
    .await
    .unwrap();
    let start = SqlStore::connect(&db.url);
    tokio::pin!(start);
    tokio::select! {
        r = &mut start => panic!("a start went on while the lock row was held: {:?}", r.map(drop)),
        () = tokio::time::sleep(Duration::from_millis(1500)) => {}
    }
    // … and goes on once the holder is done.
    sqlx::query("DELETE FROM hcpool_migration_lock")
        .execute(&raw)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), start)
        .await
        .expect("start finishes after the lock is released")
        .unwrap();
}

/// Galera needs a primary key on every table: hcpool's schema (legacy tables and its own)
/// has one everywhere.
#[tokio::test]
async fn mysql_every_table_has_a_primary_key() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let _store = SqlStore::connect(&db.url).await.unwrap();
    let raw = db.raw().await;
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT t.TABLE_NAME FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE() \
         AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c \
           WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME \
           AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert!(
        missing.is_empty(),
        "tables without a primary key: {missing:?}"
    );
    let tables = count(
        &raw,
        "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    .await;
    assert!(tables >= 8, "{tables} tables");
}

/// Notification scan claims (one scan per block across instances): instances on their own
/// connection pools, under the default isolation and READ COMMITTED, race for the same
/// heights while each winner prunes old claims; every height has exactly one winner, whose
/// retry still wins, and the table keeps only the window around the tip.
#[tokio::test]
async fn mysql_each_block_scan_is_claimed_once() {
    use hcpool_core::backend::NotificationStore;
    use hcpool_core::notify::SCAN_CLAIMS_KEPT;
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let mut stores = Vec::new();
    for i in 0..4 {
        let s = if i % 2 == 0 {
            SqlStore::connect(&db.url).await
        } else {
            SqlStore::connect_with_init(&db.url, READ_COMMITTED).await
        };
        stores.push(s.unwrap());
    }
    let raw = db.raw().await;
    let heights = 1000..(1000 + SCAN_CLAIMS_KEPT + 40);
    for h in heights.clone() {
        let tasks: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s.clone();
                tokio::spawn(async move {
                    let owner = format!("instance-{i}");
                    let won = NotificationStore::claim_notify_scan(&s, h, &owner, 7).await;
                    (owner, won)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            let (owner, won) = t.await.unwrap();
            if won.unwrap() {
                winners.push(owner);
            }
        }
        assert_eq!(winners.len(), 1, "height {h}: {winners:?}");
        let holder: String = sqlx::query("SELECT owner FROM hcpool_notify_scans WHERE height = ?")
            .bind(i64::from(h))
            .fetch_one(&raw)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(holder, winners[0]);
        // The winner's retry (its scan failed) wins again; the others still lose.
        let i: usize = winners[0]["instance-".len()..].parse().unwrap();
        assert!(
            NotificationStore::claim_notify_scan(&stores[i], h, &winners[0], 8)
                .await
                .unwrap()
        );
        assert!(
            !NotificationStore::claim_notify_scan(&stores[(i + 1) % 4], h, "other", 8)
                .await
                .unwrap()
        );
    }
    let last = heights.end - 1;
    assert_eq!(
        count(&raw, "SELECT COUNT(*) FROM hcpool_notify_scans").await,
        i64::from(SCAN_CLAIMS_KEPT) + 1,
        "only the window below the last claim is kept"
    );
    assert_eq!(
        count(&raw, "SELECT MIN(height) FROM hcpool_notify_scans").await,
        i64::from(last - SCAN_CLAIMS_KEPT)
    );
}

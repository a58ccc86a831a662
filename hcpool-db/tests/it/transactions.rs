//! Multi-step changes are all-or-nothing: a statement forced to fail half-way (by a trigger)
//! leaves the previous state intact.

use hcpool_core::backend::{
    EmailChange, EmailVerification, NewLowFeeTicket, NewUser, PasswordReset, Session, Store,
    TokenStore, UserStore,
};
use hcpool_core::{Address, BackendKind, Network, Secret, TicketHash, UserId, VoteBits};
use hcpool_db::SqlStore;
use sqlx::Row;

use crate::support::{mysql_server, sqlite_store, MySqlDb};

const SQLITE_TRIGGERS: &str = "
CREATE TRIGGER fail_ticket BEFORE INSERT ON LowFeeTicket WHEN NEW.TicketHash = '0303030303030303030303030303030303030303030303030303030303030303'
BEGIN SELECT RAISE(ABORT, 'forced failure'); END;
CREATE TRIGGER fail_revoke BEFORE DELETE ON hcpool_sessions WHEN OLD.id_hash = 'locked'
BEGIN SELECT RAISE(ABORT, 'forced failure'); END;
";

const MYSQL_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER fail_ticket BEFORE INSERT ON LowFeeTicket FOR EACH ROW BEGIN \
     IF NEW.TicketHash = '0303030303030303030303030303030303030303030303030303030303030303' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced'; \
     END IF; END",
    "CREATE TRIGGER fail_revoke BEFORE DELETE ON hcpool_sessions FOR EACH ROW BEGIN \
     IF OLD.id_hash = 'locked' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced'; \
     END IF; END",
];

/// Ticket `n`; the triggers above refuse ticket 3 (hash `03…03`).
fn ticket(n: u8) -> NewLowFeeTicket {
    NewLowFeeTicket {
        added_by: UserId(1),
        ticket_address: Address::p2sh(Network::Mainnet, [n; 20]),
        ticket_hash: TicketHash::from_bytes([n; 32]),
        created: 1,
        expires: 10_000,
    }
}

async fn check_rollbacks(store: &SqlStore) {
    let sql = store;
    let store: &dyn Store = store;
    // Low-fee tickets: the third insert fails, the first two are rolled back.
    let r = store
        .add_low_fee_tickets(&[ticket(1), ticket(2), ticket(3)])
        .await;
    assert!(r.is_err(), "the forced failure is reported");
    assert!(
        store.low_fee_ticket_entries().await.unwrap().is_empty(),
        "nothing was added"
    );

    let id = store
        .create_user(&NewUser {
            email: "a@example.com".into(),
            password_hash: Secret::new("old-hash".into()),
            email_token: Secret::new("et".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    let locked = Session {
        id_hash: "locked".into(),
        user_id: id,
        csrf_token: Secret::new("c".into()),
        created: 1,
        expires: 10_000,
        last_seen: 1,
    };
    store.create_session(&locked).await.unwrap();
    store
        .create_email_change(&EmailChange {
            user_id: id,
            new_email: "new@example.com".into(),
            token: Secret::new("change".into()),
            created: 1,
            expires: 10_000,
        })
        .await
        .unwrap();
    store
        .create_password_reset(&PasswordReset {
            user_id: id,
            token: Secret::new("reset".into()),
            created: 1,
            expires: 10_000,
        })
        .await
        .unwrap();

    // Email change: the session revocation (last step) fails; email and token stay.
    assert!(store.apply_email_change("change", 5).await.is_err());
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(u.email, "a@example.com");
    assert!(store.email_change("change").await.unwrap().is_some());

    // Password reset: same; the old hash and the token stay.
    let r = store
        .reset_password("reset", 5, &Secret::new("new-hash".into()))
        .await;
    assert!(r.is_err());
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(u.password_hash.expose(), "old-hash");
    assert!(store.password_reset("reset").await.unwrap().is_some());

    // Password change likewise.
    assert!(store
        .change_password(id, &Secret::new("new-hash".into()))
        .await
        .is_err());
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(u.password_hash.expose(), "old-hash");
    assert_eq!(
        store.session("locked", 5).await.unwrap(),
        Some(locked.clone())
    );

    // Disabling (hcpoolctl) likewise: the password keeps its value, the rest stays.
    assert!(sql.disable_user(id).await.is_err());
    let u = store.user(id).await.unwrap().unwrap();
    assert_eq!(u.password_hash.expose(), "old-hash");
    assert!(!u.is_disabled());
    assert!(store.password_reset("reset").await.unwrap().is_some());
    assert!(store.email_change("change").await.unwrap().is_some());
    assert_eq!(store.session("locked", 5).await.unwrap(), Some(locked));
}

/// `disable_user` ends what the account could reach — its sessions, password resets,
/// pending email changes, API and email tokens — and keeps the password behind the prefix;
/// another user's rows stay.
async fn check_disable(store: &SqlStore) {
    let sql = store;
    let store: &dyn Store = store;
    let mut ids = Vec::new();
    for who in ["d", "other"] {
        let id = store
            .create_user(&NewUser {
                email: format!("{who}@example.com"),
                password_hash: Secret::new("$argon2id$hash".into()),
                email_token: Secret::new(format!("et-{who}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            })
            .await
            .unwrap();
        store
            .set_api_token(id, &Secret::new(format!("api-{who}")))
            .await
            .unwrap();
        for n in 0..2 {
            store
                .create_session(&Session {
                    id_hash: format!("s{n}-{who}"),
                    user_id: id,
                    csrf_token: Secret::new("c".into()),
                    created: 1,
                    expires: 10_000,
                    last_seen: 1,
                })
                .await
                .unwrap();
        }
        store
            .create_email_change(&EmailChange {
                user_id: id,
                new_email: format!("new-{who}@example.com"),
                token: Secret::new(format!("change-{who}")),
                created: 1,
                expires: 10_000,
            })
            .await
            .unwrap();
        store
            .create_password_reset(&PasswordReset {
                user_id: id,
                token: Secret::new(format!("reset-{who}")),
                created: 1,
                expires: 10_000,
            })
            .await
            .unwrap();
        ids.push(id);
    }
    let (d, other) = (ids[0], ids[1]);
    let done = sql.disable_user(d).await.unwrap().unwrap();
    assert!(done.was_enabled);
    assert_eq!(done.sessions, 2);
    let u = store.user(d).await.unwrap().unwrap();
    assert!(u.is_disabled());
    assert_eq!(u.password_hash.expose(), "!disabled!$argon2id$hash");
    assert_eq!(u.api_token.expose(), "");
    assert_eq!(u.email_token.expose(), "");
    for n in 0..2 {
        assert!(store
            .session(&format!("s{n}-d"), 5)
            .await
            .unwrap()
            .is_none());
    }
    assert!(store.password_reset("reset-d").await.unwrap().is_none());
    assert!(store.email_change("change-d").await.unwrap().is_none());
    // The other user keeps everything.
    let o = store.user(other).await.unwrap().unwrap();
    assert_eq!(o.api_token.expose(), "api-other");
    assert_eq!(o.email_token.expose(), "et-other");
    assert!(!o.is_disabled());
    for n in 0..2 {
        assert!(store
            .session(&format!("s{n}-other"), 5)
            .await
            .unwrap()
            .is_some());
    }
    assert!(store.password_reset("reset-other").await.unwrap().is_some());
    assert!(store.email_change("change-other").await.unwrap().is_some());
    // Again: nothing left to end, the prefix is not doubled; no such user is None.
    let again = sql.disable_user(d).await.unwrap().unwrap();
    assert_eq!((again.was_enabled, again.sessions), (false, 0));
    let u = store.user(d).await.unwrap().unwrap();
    assert_eq!(u.password_hash.expose(), "!disabled!$argon2id$hash");
    assert!(sql.disable_user(UserId(9999)).await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_disable_user_ends_access_and_touches_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    check_disable(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn mysql_disable_user_ends_access_and_touches_nobody_else() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    check_disable(&SqlStore::connect(&db.url).await.unwrap()).await;
}

#[tokio::test]
async fn sqlite_multi_step_changes_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    sqlx::raw_sql(SQLITE_TRIGGERS)
        .execute(store.pool())
        .await
        .unwrap();
    check_rollbacks(&store).await;
}

#[tokio::test]
async fn mysql_multi_step_changes_roll_back() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let store = SqlStore::connect(&db.url).await.unwrap();
    let raw = db.raw().await;
    for t in MYSQL_TRIGGERS {
        sqlx::raw_sql(t).execute(&raw).await.unwrap();
    }
    check_rollbacks(&store).await;
}

#[tokio::test]
async fn duplicate_email_is_a_conflict_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let nu = NewUser {
        email: "x@example.com".into(),
        password_hash: Secret::new("h".into()),
        email_token: Secret::new("t".into()),
        vote_bits: VoteBits(1),
        vote_bits_version: 7,
    };
    UserStore::create_user(&store, &nu).await.unwrap();
    let err = UserStore::create_user(&store, &nu).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Conflict));
}

#[tokio::test]
async fn email_verified_keeps_hcstakepool_codes_and_reads_others_as_grandfathered() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let id = UserStore::create_user(
        &store,
        &NewUser {
            email: "v@example.com".into(),
            password_hash: Secret::new("h".into()),
            email_token: Secret::new("vt".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        },
    )
    .await
    .unwrap();
    let raw = |code: i64| {
        sqlx::query("UPDATE Users SET EmailVerified = ?")
            .bind(code)
            .execute(store.pool())
    };
    let stored = || async {
        let row = sqlx::query("SELECT EmailVerified FROM Users")
            .fetch_one(store.pool())
            .await
            .unwrap();
        row.try_get::<i64, _>(0).unwrap()
    };
    assert_eq!(stored().await, 0, "sign-up writes 0");
    TokenStore::verify_email(&store, "vt").await.unwrap();
    assert_eq!(stored().await, 1, "verification writes 1");
    for (code, state) in [
        (0, EmailVerification::Pending),
        (1, EmailVerification::Verified),
        (2, EmailVerification::Grandfathered),
    ] {
        raw(code).await.unwrap();
        let u = UserStore::user(&store, id).await.unwrap().unwrap();
        assert_eq!(u.email_verified, state);
        assert_eq!(u.is_verified(), code > 0);
    }
    // hcstakepool refuses only 0: a hand-edited value reads as grandfathered (may sign in).
    for code in [-1, 3] {
        raw(code).await.unwrap();
        let u = UserStore::user(&store, id).await.unwrap().unwrap();
        assert_eq!(u.email_verified, EmailVerification::Grandfathered, "{code}");
        assert!(u.is_verified(), "{code}");
        assert_eq!(stored().await, code, "the row is left as it was");
    }
}

#[tokio::test]
async fn low_fee_address_round_trips_and_an_unreadable_one_is_a_corrupt_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(&dir).await;
    let s: &dyn Store = &store;
    assert_eq!(
        s.add_low_fee_tickets(&[ticket(1), ticket(2)])
            .await
            .unwrap(),
        2
    );
    let rows = s.votable_low_fee_tickets(5).await.unwrap();
    assert_eq!(rows[0].ticket_address, ticket(1).ticket_address);
    // A hand-edited address: reported with the row's id, not guessed or skipped.
    sqlx::query("UPDATE LowFeeTicket SET TicketAddress = 'junk' WHERE TicketHash = ?")
        .bind(TicketHash::from_bytes([2; 32]).to_string())
        .execute(store.pool())
        .await
        .unwrap();
    let err = s.votable_low_fee_tickets(5).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Inconsistent));
    let msg = err.to_string();
    assert!(
        msg.contains("TicketAddress") && msg.contains("junk"),
        "{msg}"
    );
    // stakepoold's entries carry the stored string as it is.
    let entries = s.low_fee_ticket_entries().await.unwrap();
    assert_eq!(entries[1].ticket_address, "junk");
}

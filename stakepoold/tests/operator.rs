//! Issue 15 (operator completeness), stakepoold: users reloaded from the store without gRPC
//! (`norpclisten`), and the saved voting state used when the database is down at start,
//! until the database, retried in the background, answers again.

mod support;

use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::{MemoryStore, NewUser, Registration, Store, UserStore};
use hcpool_core::{PoolKeys, RedeemScript, Secret, UserId, VoteBits};
use stakepoold::config::DbConfig;
use stakepoold::daemon::{Daemon, DaemonOptions, StateSource};
use support::{deps, fast_opts, FakeNode, FakeWallet, COLD, NET};

/// Registers user `n` (its own email) as the web app does; returns its multisig address.
async fn register(store: &MemoryStore, n: u32, bits: u16) -> String {
    let uid = store
        .create_user(&NewUser {
            email: format!("u{n}@example.org"),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new("t".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 5,
        })
        .await
        .unwrap();
    let keys = PoolKeys::from_strings(COLD, COLD, NET).unwrap();
    let pool_pk = keys.ticket_pubkey_address(uid).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(500 + n)
        .unwrap()
        .to_pubkey_address(NET);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let msa = script.p2sh_address(NET);
    store
        .register_address(
            uid,
            &Registration {
                multisig_address: msa.clone(),
                multisig_script: script,
                pool_pubkey_addr: pool_pk,
                user_pubkey_addr: user_pk,
                user_fee_addr: keys.fee_address(uid).unwrap(),
                height_registered: 0,
            },
        )
        .await
        .unwrap();
    assert!(store.set_vote_bits(uid, VoteBits(bits), 5).await.unwrap());
    msa.to_string()
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn options(state: &std::path::Path, reload: Option<Duration>) -> DaemonOptions {
    DaemonOptions {
        state_file: Some(state.to_path_buf()),
        store_reload: reload,
        ..fast_opts()
    }
}

/// `norpclisten`: nobody pushes users, so the daemon reads them again from the store (the
/// original every 240 s). A user registered after the start shows up without a push, and
/// the saved state follows.
#[tokio::test]
async fn without_grpc_users_added_to_the_store_are_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("data").join("state.json");
    let store = Arc::new(MemoryStore::new());
    let first = register(&store, 1, 5).await;
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        Some(store.clone() as Arc<dyn Store>),
    );
    let daemon = Daemon::start(d, options(&state, Some(Duration::from_millis(100))))
        .await
        .unwrap();
    assert_eq!(daemon.state_source(), StateSource::Store);
    assert_eq!(daemon.user_count(), 1);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = {
        let d = daemon.clone();
        tokio::spawn(async move {
            d.run(futures::stream::pending(), async {
                let _ = stopped.await;
            })
            .await
        })
    };
    // Saved at start: what the store said.
    until("state saved at start", || state.exists()).await;
    let second = register(&store, 2, 3).await;
    until("the new user reloaded", || {
        daemon.user_voting_config(&second).is_some()
    })
    .await;
    assert_eq!(
        daemon.user_voting_config(&second).map(|u| u.vote_bits),
        Some(VoteBits(3))
    );
    // A preference change in the store follows too.
    assert!(store
        .set_vote_bits(UserId(1), VoteBits(7), 5)
        .await
        .unwrap());
    until("the changed preference reloaded", || {
        daemon.user_voting_config(&first).map(|u| u.vote_bits) == Some(VoteBits(7))
    })
    .await;
    until("the state file has both users", || {
        stakepoold::state::load(&state, NET)
            .ok()
            .flatten()
            .is_some_and(|s| s.users.len() == 2)
    })
    .await;
    let _ = stop.send(());
    run.await.unwrap();
}

/// With gRPC (no `store_reload`) the store is read at start only: the web app pushes.
#[tokio::test]
async fn with_grpc_the_store_is_read_once() {
    let store = Arc::new(MemoryStore::new());
    register(&store, 1, 5).await;
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        Some(store.clone() as Arc<dyn Store>),
    );
    let daemon = Daemon::start(d, fast_opts()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let d2 = daemon.clone();
    let run = tokio::spawn(async move {
        d2.run(futures::stream::pending(), async {
            let _ = stopped.await;
        })
        .await
    });
    register(&store, 2, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(daemon.user_count(), 1);
    let _ = stop.send(());
    run.await.unwrap();
}

/// The database is down at start: the daemon votes with the state it saved (after each
/// update and at shutdown), and says where it came from.
#[tokio::test]
async fn a_database_down_at_start_uses_the_saved_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let store = Arc::new(MemoryStore::new());
    let msa = register(&store, 1, 5).await;
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        Some(store.clone() as Arc<dyn Store>),
    );
    let daemon = Daemon::start(d, options(&state, None)).await.unwrap();
    // An update by gRPC (the web app's push) after the start: a second user.
    let mut users = daemon.user_voting_prefs();
    users.push(support::user(
        9,
        "TcfdqCrK2fiFJBZnGj5N6xs6rMsbQBsJBYf",
        9,
        5,
    ));
    daemon.set_user_voting_prefs(users.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let d2 = daemon.clone();
    let run = tokio::spawn(async move {
        d2.run(futures::stream::pending(), async {
            let _ = stopped.await;
        })
        .await
    });
    let _ = stop.send(());
    run.await.unwrap();
    // Shut down: the file holds the last state.
    let saved = stakepoold::state::load(&state, NET).unwrap().unwrap();
    assert_eq!(saved.users, users);

    // The database is down: a MySQL URL to a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let db = DbConfig::Url(Secret::new(format!(
        "mysql://root@127.0.0.1:{port}/stakepool"
    )));
    let opened = stakepoold::run::open_store(&db).await;
    assert!(opened.is_none(), "nothing listens on {port}");
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        opened,
    );
    let daemon = Daemon::start(d, options(&state, None)).await.unwrap();
    assert!(
        matches!(daemon.state_source(), StateSource::SavedState { path, saved_at }
            if path == state && saved_at == saved.saved_at),
        "{:?}",
        daemon.state_source()
    );
    assert_eq!(daemon.user_voting_prefs(), users);
    assert_eq!(
        daemon.user_voting_config(&msa).map(|u| u.vote_bits),
        Some(VoteBits(5))
    );

    // An unusable state file (not a state) leaves the daemon empty, waiting for gRPC.
    std::fs::write(&state, b"not json").unwrap();
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        None,
    );
    let daemon = Daemon::start(d, options(&state, None)).await.unwrap();
    assert_eq!(daemon.state_source(), StateSource::Empty);
    assert_eq!(daemon.user_count(), 0);
}

/// The database is down at start: the daemon votes with the saved state and tries the
/// database again in the background; once it opens, the users come from it (the saved
/// state is replaced, also on disk) and the source says so.
#[tokio::test]
async fn a_database_down_at_start_is_retried_and_used_when_it_answers() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    // What the daemon saved before: one user with bits 5.
    let old = support::user(9, "TcfdqCrK2fiFJBZnGj5N6xs6rMsbQBsJBYf", 5, 5);
    let saved = stakepoold::state::SavedState {
        saved_at: 1,
        users: vec![old.clone()],
        added_low_fee_tickets: Vec::new(),
    };
    stakepoold::state::write_atomic(&state, &stakepoold::state::encode(&saved, NET).unwrap())
        .unwrap();
    // The database: two users now, answering only once `up` is set.
    let store = Arc::new(MemoryStore::new());
    let first = register(&store, 1, 3).await;
    let second = register(&store, 2, 4).await;
    let up = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(AtomicUsize::new(0));
    let open: stakepoold::daemon::StoreOpener = {
        let (up, attempts, store) = (up.clone(), attempts.clone(), store.clone());
        Arc::new(move || {
            attempts.fetch_add(1, Ordering::SeqCst);
            let s: Option<Arc<dyn Store>> = up
                .load(Ordering::SeqCst)
                .then(|| store.clone() as Arc<dyn Store>);
            Box::pin(async move { s })
        })
    };
    let opts = DaemonOptions {
        store_retry: Some(stakepoold::daemon::StoreRetry {
            open,
            first: Duration::from_millis(20),
            max: Duration::from_millis(80),
        }),
        ..options(&state, None)
    };
    let d = deps(
        Arc::new(FakeWallet::default()),
        Arc::new(FakeNode::default()),
        None,
    );
    let daemon = Daemon::start(d, opts).await.unwrap();
    assert!(matches!(
        daemon.state_source(),
        StateSource::SavedState { .. }
    ));
    assert_eq!(daemon.user_voting_prefs(), vec![old.clone()]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = {
        let d = daemon.clone();
        tokio::spawn(async move {
            d.run(futures::stream::pending(), async {
                let _ = stopped.await;
            })
            .await
        })
    };
    // Still down: retried (with pauses capped at 80 ms), still the saved state.
    until("three attempts", || attempts.load(Ordering::SeqCst) >= 3).await;
    assert!(daemon.store().is_none());
    assert!(matches!(
        daemon.state_source(),
        StateSource::SavedState { .. }
    ));
    assert_eq!(daemon.user_voting_prefs(), vec![old.clone()]);
    // The database answers: its users replace the saved ones.
    up.store(true, Ordering::SeqCst);
    until("switched to the database", || {
        daemon.state_source() == StateSource::Store
    })
    .await;
    assert!(daemon.store().is_some());
    assert_eq!(daemon.user_count(), 2);
    assert_eq!(
        daemon.user_voting_config(&first).map(|u| u.vote_bits),
        Some(VoteBits(3))
    );
    assert_eq!(
        daemon.user_voting_config(&second).map(|u| u.vote_bits),
        Some(VoteBits(4))
    );
    assert!(daemon.user_voting_config(&old.multisig_address).is_none());
    let tried = attempts.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        tried,
        "no retry after the switch"
    );
    until("the state file follows the database", || {
        stakepoold::state::load(&state, NET)
            .ok()
            .flatten()
            .is_some_and(|s| s.users.len() == 2)
    })
    .await;
    let _ = stop.send(());
    run.await.unwrap();
}

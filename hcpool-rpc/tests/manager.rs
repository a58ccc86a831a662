//! WalletManager over 2 and 3 fake wallets: agreement, minservers, stopped and recovered.

mod fake;

use std::sync::Arc;
use std::time::Duration;

use fake::{addr, info, FakeWallet};
use hcpool_core::backend::{RegisteredScript, WalletBackend};
use hcpool_core::{BackendKind, RedeemScript, TicketHash};
use hcpool_rpc::{Error, ManagerConfig, WalletManager};

fn manager(n: usize, min_servers: usize) -> (WalletManager, Vec<Arc<FakeWallet>>) {
    let fakes: Vec<Arc<FakeWallet>> = (0..n).map(|i| FakeWallet::new(&format!("w{i}"))).collect();
    let dyns = fakes
        .iter()
        .map(|f| f.clone() as Arc<dyn WalletBackend>)
        .collect();
    let cfg = ManagerConfig {
        min_servers,
        call_timeout: Duration::from_millis(300),
        ..ManagerConfig::default()
    };
    (WalletManager::new(dyns, cfg), fakes)
}

fn script() -> RedeemScript {
    RedeemScript::from_bytes(vec![0x51, 0x52, 0xae])
}

#[tokio::test]
async fn two_and_three_wallets_that_agree() {
    for n in [2, 3] {
        let (m, fakes) = manager(n, 2);
        assert_eq!(m.check_vote_version().await.unwrap(), 7);
        let v = m.validate_address(&addr(1)).await.unwrap();
        assert_eq!(v.pubkey, Some(vec![3; 33]));
        let ms = m.create_multisig(&addr(1), &addr(2)).await.unwrap();
        assert_eq!(ms.redeem_script, script());
        m.import_script(&script(), 812).await.unwrap();
        for f in &fakes {
            assert_eq!(f.calls("validateaddress"), 1, "{n} wallets");
            assert_eq!(f.calls("createmultisig"), 1);
            assert_eq!(f.get().imported, vec![(script().as_bytes().to_vec(), 812)]);
        }
        let st = m.status();
        assert_eq!(st.ready_count(), n);
        assert_eq!(st.vote_version, Some(7));
        assert!(st.stopped.is_none());
        assert!(!m.is_stopped());
    }
}

#[tokio::test]
async fn one_wallet_down_against_minservers() {
    // 2 wallets, minservers 2: below the minimum, with hcstakepool's message; no stop.
    let (m, fakes) = manager(2, 2);
    fakes[1].set(|s| s.down = true);
    let err = m.validate_address(&addr(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "not processing command; 1 servers avail is below min of 2"
    );
    assert!(!m.is_stopped());
    let st = m.status();
    assert!(st.wallets[0].connected && !st.wallets[1].connected);
    assert!(st.wallets[1]
        .last_error
        .as_deref()
        .unwrap()
        .contains("disconnected"));

    // 3 wallets, minservers 2, the middle one down: works, and the absent one is skipped.
    let (m, fakes) = manager(3, 2);
    fakes[1].set(|s| s.down = true);
    m.create_multisig(&addr(1), &addr(2)).await.unwrap();
    m.import_script(&script(), 5).await.unwrap();
    assert_eq!(fakes[1].calls("createmultisig"), 0);
    assert!(fakes[1].get().imported.is_empty());
    // Wallets 0 and 2 are compared even though they are not adjacent.
    fakes[2].set(|s| s.pubkey = vec![2; 33]);
    assert!(matches!(
        m.validate_address(&addr(1)).await,
        Err(Error::Mismatch { .. })
    ));
}

#[tokio::test]
async fn a_hanging_wallet_times_out_and_counts_as_absent() {
    let (m, fakes) = manager(3, 2);
    fakes[0].set(|s| s.hang = true);
    let v = m.validate_address(&addr(1)).await.unwrap();
    assert!(v.is_mine);
    let st = m.status();
    assert!(!st.wallets[0].connected);
    assert!(st.wallets[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("no reply"));
    // best_block skips it as well.
    assert_eq!(m.best_block().await.unwrap().height, 105);
}

#[tokio::test]
async fn locked_or_daemonless_wallets_are_not_ready_and_do_not_panic() {
    let (m, fakes) = manager(2, 2);
    fakes[1].set(|s| s.info.unlocked = false);
    let err = m.create_multisig(&addr(1), &addr(2)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BelowMinServers {
                available: 1,
                min: 2
            }
        ),
        "{err}"
    );
    let st = m.refresh_status().await;
    assert_eq!(st.wallets[1].unlocked, Some(false));
    assert!(st.wallets[1]
        .last_error
        .as_deref()
        .unwrap()
        .contains("not unlocked"));
    fakes[0].set(|s| s.info.daemon_connected = false);
    let st = m.refresh_status().await;
    assert_eq!(st.ready_count(), 0);
    assert!(st.wallets[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("not connected"));
}

#[tokio::test]
async fn disagreement_stops_and_agreement_recovers_without_restart() {
    let (m, fakes) = manager(3, 2);
    fakes[2].set(|s| s.script = vec![0x51, 0x53, 0xae]);
    let err = m.create_multisig(&addr(1), &addr(2)).await.unwrap_err();
    assert!(
        matches!(err, Error::Mismatch { ref what, .. } if what == "redeem script"),
        "{err}"
    );
    assert!(m.is_stopped());
    let st = m.status();
    assert!(st
        .stopped
        .as_deref()
        .unwrap()
        .contains("non equivalent redeem script"));
    assert!(st.stopped_since.is_some());
    // Writes are refused while stopped; reads still work.
    assert!(matches!(
        m.validate_address(&addr(1)).await,
        Err(Error::Stopped { .. })
    ));
    assert!(matches!(
        m.import_script(&script(), 1).await,
        Err(Error::Stopped { .. })
    ));
    assert_eq!(m.stake_info().await.unwrap().live, 5);
    // Still disagreeing: the re-check keeps it stopped.
    assert!(m.recheck().await.is_err());
    assert!(m.is_stopped());
    // The wallets agree again: the re-check clears the stop.
    fakes[2].set(|s| s.script = vec![0x51, 0x52, 0xae]);
    m.recheck().await.unwrap();
    assert!(!m.is_stopped());
    assert!(m.status().stopped.is_none());
    m.validate_address(&addr(1)).await.unwrap();
}

#[tokio::test]
async fn pubkey_disagreement_recovers_via_background_recheck() {
    let (m, fakes) = manager(2, 2);
    let m = Arc::new(m);
    fakes[1].set(|s| s.pubkey = vec![2; 33]);
    assert!(m.validate_address(&addr(1)).await.is_err());
    assert!(m.is_stopped());
    let task = m.spawn_recheck(Duration::from_millis(20));
    fakes[1].set(|s| s.pubkey = vec![3; 33]);
    let mut cleared = false;
    for _ in 0..100 {
        if !m.is_stopped() {
            cleared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(cleared);
}

#[tokio::test]
async fn import_errors_must_match() {
    let (m, fakes) = manager(2, 2);
    for f in &fakes {
        f.set(|s| s.import_error = Some("passed empty script".into()));
    }
    // Every wallet refuses alike: a per-call error, no stop.
    let err = m.import_script(&script(), 1).await.unwrap_err();
    assert!(err.to_string().contains("passed empty script"), "{err}");
    assert!(!m.is_stopped());
    // Only one refuses: inconsistent → stopped; recovered once both accept.
    fakes[0].set(|s| s.import_error = None);
    let err = m.import_script(&script(), 1).await.unwrap_err();
    assert!(
        matches!(err, Error::Mismatch { ref what, .. } if what == "error"),
        "{err}"
    );
    assert!(m.is_stopped());
    fakes[1].set(|s| s.import_error = None);
    m.recheck().await.unwrap();
    assert!(!m.is_stopped());
}

#[tokio::test]
async fn vote_versions_must_match() {
    let (m, fakes) = manager(3, 2);
    fakes[2].set(|s| s.info = info(6));
    let err = m.check_vote_version().await.unwrap_err();
    assert!(
        matches!(err, Error::Mismatch { ref what, .. } if what == "vote version"),
        "{err}"
    );
    assert!(m.is_stopped());
    fakes[2].set(|s| s.info = info(7));
    m.recheck().await.unwrap();
    assert_eq!(m.status().vote_version, Some(7));
    // At startup every wallet must answer.
    fakes[0].set(|s| s.down = true);
    assert!(m.check_vote_version().await.is_err());
}

#[tokio::test]
async fn stake_info_live_must_match_and_is_cached() {
    let (m, fakes) = manager(2, 2);
    fakes[1].set(|s| s.live = 4);
    let err = m.stake_info().await.unwrap_err();
    assert!(
        err.to_string().starts_with("non equivalent Live returned"),
        "{err}"
    );
    assert!(!m.is_stopped(), "a stats mismatch is not fatal");
    fakes[1].set(|s| s.live = 5);
    assert_eq!(m.stake_info().await.unwrap().live, 5);
    assert_eq!(m.stake_info().await.unwrap().live, 5);
    assert_eq!(
        fakes[0].calls("getstakeinfo"),
        2,
        "second success served from cache"
    );
}

/// The real hcwallet's `getstakeinfo.missed` is not stable (DIFFERENCES.md §12: the same
/// wallet at the same height read 3, then 1 after a restart): wallets that disagree on it
/// are not a mismatch.
#[tokio::test]
async fn stake_info_does_not_compare_missed() {
    let (m, fakes) = manager(2, 2);
    fakes[0].set(|s| s.missed = 3);
    fakes[1].set(|s| s.missed = 1);
    let info = m.stake_info().await.unwrap();
    assert_eq!(info.live, 5);
    assert!(!m.is_stopped());
}

#[tokio::test]
async fn best_block_and_user_info_take_the_first_answer() {
    let (m, fakes) = manager(2, 2);
    fakes[1].set(|s| s.live = 9);
    fakes[0].set(|s| s.down = true);
    assert_eq!(m.best_block().await.unwrap().height, 109);
    fakes[0].set(|s| {
        s.down = false;
        s.best_error = Some(BackendKind::Rejected);
    });
    assert!(
        m.best_block().await.is_err(),
        "a non-disconnect error fails at once"
    );
    let t = TicketHash::from_bytes([7; 32]);
    fakes[0].set(|s| s.down = true);
    fakes[1].set(|s| s.tickets = vec![t]);
    assert_eq!(
        m.stake_pool_user_info(&addr(1)).await.unwrap().invalid,
        vec![t]
    );
}

#[tokio::test]
async fn startup_sync_imports_missing_scripts_and_tickets() {
    let (m, fakes) = manager(2, 2);
    let s1 = RedeemScript::from_bytes(vec![1; 71]);
    let s2 = RedeemScript::from_bytes(vec![2; 71]);
    let t1 = TicketHash::from_bytes([9; 32]);
    fakes[0].set(|s| {
        s.scripts = vec![s1.clone()];
        s.tickets = vec![t1];
    });
    let report = m
        .sync(&[RegisteredScript {
            user_id: hcpool_core::UserId(1),
            script: s2.clone(),
            height_registered: 50,
        }])
        .await
        .unwrap();
    let a = fakes[0].get();
    let b = fakes[1].get();
    assert_eq!(a.imported, vec![(s2.as_bytes().to_vec(), 50)]);
    let mut b_imported = b.imported.clone();
    b_imported.sort();
    assert_eq!(
        b_imported,
        vec![(s1.as_bytes().to_vec(), 0), (s2.as_bytes().to_vec(), 50)]
    );
    assert_eq!(b.added, vec![t1.as_bytes().to_vec()]);
    assert_eq!(fakes[0].calls("accountsyncaddressindex"), 1);
    assert_eq!(
        report.scripts_imported,
        vec![("w0".to_owned(), 1), ("w1".to_owned(), 2)]
    );
    assert_eq!(report.tickets_added, vec![("w1".to_owned(), 1)]);
    // In sync now: a second run changes nothing.
    let again = m.sync(&[]).await.unwrap();
    assert!(again.scripts_imported.is_empty() && again.tickets_added.is_empty());
    // A locked wallet fails the sync.
    fakes[1].set(|s| s.info.unlocked = false);
    assert!(matches!(m.sync(&[]).await, Err(Error::NotReady { .. })));
}

#[tokio::test]
async fn manager_errors_map_to_core_kinds() {
    let (m, fakes) = manager(2, 2);
    fakes[1].set(|s| s.down = true);
    let err: hcpool_core::Error = m.validate_address(&addr(1)).await.unwrap_err().into();
    assert_eq!(err.backend_kind(), Some(BackendKind::Unavailable));
    fakes[1].set(|s| {
        s.down = false;
        s.pubkey = vec![1; 33];
    });
    let err: hcpool_core::Error = m.validate_address(&addr(1)).await.unwrap_err().into();
    assert_eq!(err.backend_kind(), Some(BackendKind::Inconsistent));
}

#[tokio::test]
async fn the_manager_is_itself_a_wallet_backend() {
    let (m, fakes) = manager(2, 2);
    let wallets: Arc<dyn WalletBackend> = Arc::new(m);
    assert!(wallets.label().contains("w0") && wallets.label().contains("w1"));
    assert_eq!(wallets.wallet_info().await.unwrap().vote_version, 7);
    wallets.add_ticket(&[5; 32]).await.unwrap();
    for f in &fakes {
        assert_eq!(f.get().added, vec![vec![5; 32]]);
    }
    fakes[0].set(|s| s.down = true);
    // Take-first reads skip the absent wallet.
    fakes[1].set(|s| s.scripts = vec![script()]);
    assert_eq!(wallets.list_scripts().await.unwrap(), vec![script()]);
    // Writes need minservers.
    let err = wallets.import_script(&script(), 1).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Unavailable));
    fakes[0].set(|s| {
        s.down = false;
        s.pubkey = vec![9; 33];
    });
    let err = wallets.validate_address(&addr(1)).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Inconsistent));
    assert!(err.to_string().contains("non equivalent pubkey"), "{err}");
}

/// Issue 12 item 7: a wallet down during a registration's `importscript` is counted behind;
/// the catch-up skips it while it is down, then imports the script (at the registration's
/// height) and the tickets it misses once it answers.
#[tokio::test]
async fn catch_up_imports_what_a_wallet_missed_and_its_tickets() {
    let (m, fakes) = manager(3, 2);
    m.sync(&[]).await.unwrap();
    let s = RedeemScript::from_bytes(vec![5; 71]);
    let t = TicketHash::from_bytes([7; 32]);
    fakes[2].set(|st| st.down = true);
    m.import_script(&s, 60).await.unwrap();
    fakes[0].set(|st| st.tickets = vec![t]);
    fakes[1].set(|st| st.tickets = vec![t]);
    let missing = |i: usize| m.status().wallets[i].scripts_missing;
    assert_eq!(
        (missing(0), missing(1), missing(2)),
        (Some(0), Some(0), Some(1))
    );

    // Still down: nothing to do for it, still behind.
    let r = m.catch_up().await.unwrap();
    assert!(r.scripts_imported.is_empty(), "{r:?}");
    assert_eq!(missing(2), Some(1));
    assert!(fakes[2].get().imported.is_empty());

    fakes[2].set(|st| st.down = false);
    let r = m.catch_up().await.unwrap();
    assert_eq!(r.scripts_imported, vec![("w2".to_owned(), 1)]);
    assert_eq!(r.tickets_added, vec![("w2".to_owned(), 1)]);
    let c = fakes[2].get();
    assert_eq!(c.imported, vec![(s.as_bytes().to_vec(), 60)]);
    assert_eq!(c.added, vec![t.as_bytes().to_vec()]);
    assert_eq!(missing(2), Some(0));
    // Caught up: a second run changes nothing, and the others were never re-imported.
    let again = m.catch_up().await.unwrap();
    assert!(again.scripts_imported.is_empty() && again.tickets_added.is_empty());
    assert_eq!(fakes[0].get().imported.len(), 1);
}

/// The voting page's vote version (issue 15): the wallets that answer are enough (one of
/// two down with `minservers=2`), the last known version answers while none does, and a
/// manager that never reached a wallet says so.
#[tokio::test]
async fn vote_version_with_wallets_down() {
    let (m, fakes) = manager(2, 2);
    let never = m.vote_version().await;
    assert_eq!(never.unwrap(), 7, "both up");
    fakes[1].set(|s| s.down = true);
    assert!(
        m.validate_address(&addr(1)).await.is_err(),
        "below minservers"
    );
    assert_eq!(m.vote_version().await.unwrap(), 7, "one down");
    fakes[0].set(|s| s.down = true);
    assert_eq!(
        m.vote_version().await.unwrap(),
        7,
        "both down: the last known"
    );
    // Through the core trait, as the pool service asks.
    let wallets: &dyn WalletBackend = &m;
    assert_eq!(wallets.vote_version().await.unwrap(), 7);
    // One back, with a newer version: taken.
    fakes[1].set(|s| {
        s.down = false;
        s.info = info(8);
    });
    assert_eq!(m.vote_version().await.unwrap(), 8);
    assert_eq!(m.status().vote_version, Some(8));
    assert!(!m.is_stopped());
    // Both answer and disagree: stopped, as the start-up check; the known version stays.
    fakes[0].set(|s| s.down = false);
    assert_eq!(m.vote_version().await.unwrap(), 8);
    assert!(m.is_stopped());
    assert!(m.stopped_reason().unwrap().contains("vote version"));

    // No wallet ever answered: an error naming the failure.
    let (m, fakes) = manager(2, 2);
    for f in &fakes {
        f.set(|s| s.down = true);
    }
    let err = m.vote_version().await.unwrap_err();
    assert!(err.to_string().contains("disconnected"), "{err}");
    let err = (&m as &dyn WalletBackend).vote_version().await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::Unavailable), "{err}");
}

fn source(scripts: Vec<(RedeemScript, u32)>) -> Arc<dyn hcpool_core::backend::UserStore> {
    let mut store = hcpool_core::backend::MockUserStore::new();
    store.expect_multisig_scripts().returning(move || {
        Ok(scripts
            .iter()
            .enumerate()
            .map(|(i, (s, h))| RegisteredScript {
                user_id: hcpool_core::UserId(i as u64 + 1),
                script: s.clone(),
                height_registered: *h,
            })
            .collect())
    });
    Arc::new(store)
}

/// A wallet loses a script and its ticket (restored from seed, replaced): the background
/// task imports it again on its timer, and the ticket follows, without a restart. The
/// scripts come from the store, so registrations made through another instance count.
#[tokio::test]
async fn a_lost_script_is_restored_on_the_resync_timer() {
    let fakes: Vec<Arc<FakeWallet>> = (0..2).map(|i| FakeWallet::new(&format!("w{i}"))).collect();
    let cfg = ManagerConfig {
        min_servers: 2,
        call_timeout: Duration::from_millis(300),
        resync_interval: Duration::from_millis(100),
        ..ManagerConfig::default()
    };
    let m = Arc::new(WalletManager::new(
        fakes
            .iter()
            .map(|f| f.clone() as Arc<dyn WalletBackend>)
            .collect(),
        cfg,
    ));
    let s = RedeemScript::from_bytes(vec![5; 71]);
    let t = TicketHash::from_bytes([7; 32]);
    for f in &fakes {
        f.set(|st| {
            st.scripts = vec![s.clone()];
            st.tickets = vec![t];
        });
    }
    // This instance's start-up saw no scripts: the registration came through another one.
    m.sync(&[]).await.unwrap();
    m.set_script_source(source(vec![(s.clone(), 60)]));
    fakes[1].set(|st| {
        st.scripts.clear();
        st.tickets.clear();
    });
    let task = m.spawn_recheck(Duration::from_millis(20));
    let mut back = false;
    for _ in 0..200 {
        let st = fakes[1].get();
        if st.scripts == vec![s.clone()] && st.tickets == vec![t] {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(back, "{:?}", fakes[1].get().calls);
    assert_eq!(fakes[1].get().imported, vec![(s.as_bytes().to_vec(), 60)]);
    assert!(
        fakes[0].get().imported.is_empty(),
        "the other one is not touched"
    );
    assert_eq!(m.status().wallets[1].scripts_missing, Some(0));
}

/// With the timer far away, a wallet that was down and answers again is caught up at once:
/// the background task probes absent wallets and runs the catch-up when one is back.
#[tokio::test]
async fn a_wallet_back_from_down_is_caught_up_at_once() {
    let fakes: Vec<Arc<FakeWallet>> = (0..2).map(|i| FakeWallet::new(&format!("w{i}"))).collect();
    let cfg = ManagerConfig {
        min_servers: 1,
        call_timeout: Duration::from_millis(300),
        resync_interval: Duration::from_secs(3600),
        ..ManagerConfig::default()
    };
    let m = Arc::new(WalletManager::new(
        fakes
            .iter()
            .map(|f| f.clone() as Arc<dyn WalletBackend>)
            .collect(),
        cfg,
    ));
    m.sync(&[]).await.unwrap();
    let task = m.spawn_recheck(Duration::from_millis(20));
    // Down while a registration imports its script: only wallet 0 has it.
    fakes[1].set(|st| st.down = true);
    let s = RedeemScript::from_bytes(vec![6; 71]);
    m.import_script(&s, 70).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(fakes[1].get().scripts.is_empty());
    // It comes back (lost nothing else): the probe notices, the catch-up imports.
    fakes[1].set(|st| st.down = false);
    let mut back = false;
    for _ in 0..200 {
        if fakes[1].get().scripts == vec![s.clone()] {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(back, "{:?}", fakes[1].get().calls);
}

use super::*;
use crate::backend::{
    BestBlock, MockWalletBackend, MultisigInfo, NewUser, SystemClock, ValidatedAddress,
};
use crate::backend::{LowFeeTicketStore, MemoryStore, UserStore};
use crate::ids::{Hash32, Secret};

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
const USER_PK: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

fn keys() -> Arc<PoolKeys> {
    Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap())
}

/// A wallet that behaves: owns the pool keys, computes the multisig, imports.
fn honest_wallet(fail_import: bool) -> MockWalletBackend {
    let k2 = keys();
    let mut w = MockWalletBackend::new();
    w.expect_label().return_const("w1".to_string());
    w.expect_validate_address().returning(move |_| {
        Ok(ValidatedAddress {
            is_valid: true,
            is_mine: true,
            pubkey_addr: Some(k2.ticket_pubkey_address(UserId(1)).unwrap()),
            ..Default::default()
        })
    });
    w.expect_create_multisig().returning(|p, u| {
        let script = RedeemScript::one_of_two(p, u).unwrap();
        Ok(MultisigInfo {
            address: script.p2sh_address(Network::Testnet),
            redeem_script: script,
        })
    });
    w.expect_best_block().returning(|| {
        Ok(BestBlock {
            hash: Hash32::default(),
            height: 1234,
        })
    });
    if fail_import {
        w.expect_import_script()
            .returning(|_, _| Err(Error::wallet("w1", BackendKind::Unavailable, "down")));
    } else {
        w.expect_import_script()
            .withf(|_, h| *h == 1234)
            .returning(|_, _| Ok(()));
    }
    w
}

async fn service(wallet: MockWalletBackend) -> (PoolService, Arc<MemoryStore>, UserId) {
    let store = Arc::new(MemoryStore::new());
    let id = store
        .create_user(&NewUser {
            email: "a@example.com".into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new("t".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    assert_eq!(id, UserId(1));
    let svc = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: keys(),
        pool_fees: crate::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: Arc::new(wallet),
        nodes: Arc::new(VotingNodes::new(vec![])),
        clock: Arc::new(SystemClock),
    });
    (svc, store, id)
}

#[tokio::test]
async fn registers_and_returns_purchase_info() {
    let (svc, _store, id) = service(honest_wallet(false)).await;
    assert!(matches!(
        svc.purchase_info(id).await,
        Err(Error::NoAddressSubmitted)
    ));
    let reg = svc.register_address(id, USER_PK).await.unwrap();
    assert_eq!(
        reg.multisig_script.to_hex(),
        "5121039e741c51929d4deecd3390cabb42b83ace7811aceb5213705bf903a827715f9621026a40c403e74670c4de7656a09caa2353d4b383a9ce66eef51e1220eacf4be06e52ae"
    );
    assert_eq!(
        reg.multisig_address.to_string(),
        "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5"
    );
    assert_eq!(reg.height_registered, 1234);
    let info = svc.purchase_info(id).await.unwrap();
    assert_eq!(
        info.pool_address.to_string(),
        "TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe"
    );
    assert_eq!(info.ticket_address, reg.multisig_address);
    assert!(matches!(
        svc.register_address(id, USER_PK).await,
        Err(Error::AddressAlreadySubmitted)
    ));
}

#[tokio::test]
async fn bad_addresses_are_refused_before_any_wallet_call() {
    // The mock has no expectations: any wallet call would panic the test.
    let mut w = MockWalletBackend::new();
    w.expect_label().return_const("w1".to_string());
    let (svc, _store, id) = service(w).await;
    for bad in [
        "Tk",
        "TsRA4Qm6jYc1x9jWLnauPjPjaLemS4it7MM",
        "Hk1473TdFdja2mcEaVLns7HRWTRnJtGG6foKzHn2rojCf7usBekfG",
    ] {
        let e = svc.register_address(id, bad).await.unwrap_err();
        assert!(matches!(e, Error::Address(_)), "{bad}: {e}");
    }
}

#[tokio::test]
async fn wallet_failure_leaves_user_unregistered() {
    let (svc, store, id) = service(honest_wallet(true)).await;
    let e = svc.register_address(id, USER_PK).await.unwrap_err();
    assert_eq!(e.backend_kind(), Some(BackendKind::Unavailable));
    let user = store.user(id).await.unwrap().unwrap();
    assert!(user.registration.is_none(), "nothing half done");
}

#[tokio::test]
async fn wallet_that_disagrees_with_our_multisig_is_inconsistent() {
    let mut w = honest_wallet(false);
    w.checkpoint();
    w.expect_label().return_const("w1".to_string());
    let k = keys();
    w.expect_validate_address().returning(move |_| {
        Ok(ValidatedAddress {
            is_valid: true,
            is_mine: true,
            pubkey_addr: Some(k.ticket_pubkey_address(UserId(1)).unwrap()),
            ..Default::default()
        })
    });
    w.expect_create_multisig().returning(|p, u| {
        // Keys swapped: a different script.
        let script = RedeemScript::one_of_two(u, p).unwrap();
        Ok(MultisigInfo {
            address: script.p2sh_address(Network::Testnet),
            redeem_script: script,
        })
    });
    let (svc, store, id) = service(w).await;
    let e = svc.register_address(id, USER_PK).await.unwrap_err();
    assert_eq!(e.backend_kind(), Some(BackendKind::Inconsistent), "{e}");
    assert!(store
        .user(id)
        .await
        .unwrap()
        .unwrap()
        .registration
        .is_none());
}

#[tokio::test]
async fn vote_bits_are_validated_and_stored() {
    let (svc, store, id) = service(honest_wallet(false)).await;
    assert!(matches!(
        svc.set_vote_bits(id, VoteBits(7), 7).await,
        Err(Error::VoteBits(_))
    ));
    assert!(svc.set_vote_bits(id, VoteBits(5), 7).await.unwrap());
    assert!(!svc.set_vote_bits(id, VoteBits(5), 7).await.unwrap());
    assert_eq!(
        store.user(id).await.unwrap().unwrap().vote_bits,
        VoteBits(5)
    );
    assert!(matches!(
        svc.set_vote_bits(UserId(99), VoteBits(1), 7).await,
        Err(Error::UserNotFound(_))
    ));
}

#[tokio::test]
async fn low_fee_tickets_are_stored_with_their_lifetime_and_pushed_to_nodes() {
    use crate::backend::{MockVotingNode, TicketEntry};
    use std::sync::Mutex;

    let entry = TicketEntry {
        ticket_address: Address::p2sh(Network::Testnet, [7; 20]).to_string(),
        ticket_hash: Hash32::from_bytes([7; 32]),
    };
    let pushed: Arc<Mutex<Vec<Vec<TicketEntry>>>> = Arc::default();
    let mut node = MockVotingNode::new();
    node.expect_label().return_const("n".to_string());
    // The node starts stale, so the first push carries the users too.
    node.expect_set_user_voting_prefs().returning(|_| Ok(()));
    let p2 = pushed.clone();
    node.expect_set_added_low_fee_tickets().returning(move |t| {
        p2.lock().unwrap().push(t);
        Ok(())
    });
    let store = Arc::new(MemoryStore::new());
    let svc = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: keys(),
        pool_fees: crate::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: Arc::new(MockWalletBackend::new()),
        nodes: Arc::new(VotingNodes::new(vec![Arc::new(node)])),
        clock: Arc::new(SystemClock),
    });
    // testnet2: 6144 blocks × 60 s × 105 %.
    assert_eq!(svc.low_fee_ticket_lifetime(), 387_072);
    assert_eq!(
        svc.add_low_fee_tickets(UserId(1), &[entry.clone(), entry.clone()])
            .await
            .unwrap(),
        1,
        "a duplicate is skipped"
    );
    let added = svc.added_low_fee_tickets().await.unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].ticket_hash, entry.ticket_hash);
    assert_eq!(added[0].added_by, UserId(1));
    assert_eq!(added[0].expires - added[0].created, 387_072);
    assert_eq!(pushed.lock().unwrap().last(), Some(&vec![entry.clone()]));

    // A second one gets voted: from then on the nodes are not sent it (only votable rows).
    let voted = TicketEntry {
        ticket_address: Address::p2sh(Network::Testnet, [8; 20]).to_string(),
        ticket_hash: Hash32::from_bytes([8; 32]),
    };
    svc.add_low_fee_tickets(UserId(1), std::slice::from_ref(&voted))
        .await
        .unwrap();
    assert_eq!(
        pushed.lock().unwrap().last(),
        Some(&vec![entry.clone(), voted.clone()])
    );
    assert!(store
        .mark_low_fee_ticket_voted(&voted.ticket_hash)
        .await
        .unwrap());

    assert_eq!(
        svc.remove_low_fee_tickets(&[entry.ticket_hash])
            .await
            .unwrap(),
        1
    );
    assert!(svc.added_low_fee_tickets().await.unwrap().is_empty());
    assert_eq!(
        pushed.lock().unwrap().last(),
        Some(&vec![]),
        "the voted row is no longer sent"
    );
}

/// Voting-node updates are never lost (issue 12 item 6): a push that the caller abandons
/// still reaches the nodes, and concurrent pushes end with the latest state.
mod node_updates {
    use super::*;
    use crate::backend::{TicketEntry, UserVotingConfig, VotingNode, VotingNodeVersion};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    use tokio::sync::oneshot;

    /// A node whose `SetUserVotingPrefs` calls wait, while `gated`, until the test
    /// releases them (in any order it likes).
    #[derive(Default)]
    struct GatedNode {
        gated: AtomicBool,
        waiting: Mutex<Vec<oneshot::Sender<()>>>,
        users: Mutex<Option<Vec<UserVotingConfig>>>,
    }

    impl GatedNode {
        fn bits(&self) -> Option<VoteBits> {
            self.users
                .lock()
                .unwrap()
                .as_ref()
                .and_then(|u| u.first().map(|c| c.vote_bits))
        }
        fn take_waiting(&self) -> Vec<oneshot::Sender<()>> {
            std::mem::take(&mut *self.waiting.lock().unwrap())
        }
    }

    #[async_trait::async_trait]
    impl VotingNode for GatedNode {
        fn label(&self) -> String {
            "gated".into()
        }
        async fn version(&self) -> Result<VotingNodeVersion> {
            Err(Error::InvalidInput("unused".into()))
        }
        async fn ping(&self) -> Result<()> {
            Ok(())
        }
        async fn set_user_voting_prefs(&self, users: Vec<UserVotingConfig>) -> Result<()> {
            if self.gated.load(Ordering::SeqCst) {
                let (tx, rx) = oneshot::channel();
                self.waiting.lock().unwrap().push(tx);
                rx.await
                    .map_err(|_| Error::InvalidInput("gate dropped".into()))?;
            }
            *self.users.lock().unwrap() = Some(users);
            Ok(())
        }
        async fn set_added_low_fee_tickets(&self, _: Vec<TicketEntry>) -> Result<()> {
            Ok(())
        }
        async fn added_low_fee_tickets(&self) -> Result<Vec<TicketEntry>> {
            Ok(vec![])
        }
        async fn ignored_low_fee_tickets(&self) -> Result<Vec<TicketEntry>> {
            Ok(vec![])
        }
        async fn live_tickets(&self) -> Result<Vec<TicketEntry>> {
            Ok(vec![])
        }
    }

    /// A registered user (votebits 1) whose configuration the node holds, then the gate
    /// closed.
    async fn gated_service() -> (PoolService, Arc<GatedNode>, UserId) {
        let (svc, store, id) = service(honest_wallet(false)).await;
        let node = Arc::new(GatedNode::default());
        let svc = PoolService::new(PoolParts {
            network: Network::Testnet,
            keys: keys(),
            pool_fees: crate::PoolFeeRate::from_percent(7.5).unwrap(),
            store: store.clone(),
            wallets: svc.wallets().clone(),
            nodes: Arc::new(VotingNodes::new(vec![node.clone() as Arc<dyn VotingNode>])),
            clock: Arc::new(SystemClock),
        });
        svc.register_address(id, USER_PK).await.unwrap();
        assert_eq!(node.bits(), Some(VoteBits(1)));
        assert!(svc.nodes().stale().is_empty());
        node.gated.store(true, Ordering::SeqCst);
        (svc, node, id)
    }

    /// Lets the other tasks of this (current-thread) runtime run.
    async fn settle() {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_push_abandoned_by_its_caller_still_converges() {
        let (svc, node, id) = gated_service().await;
        let mut call = Box::pin(svc.set_vote_bits(id, VoteBits(5), 7));
        // The change is committed and the push is under way when the caller gives up (a
        // request deadline).
        assert!(futures::poll!(&mut call).is_pending());
        drop(call);
        settle().await;
        node.gated.store(false, Ordering::SeqCst);
        for gate in node.take_waiting() {
            let _ = gate.send(());
        }
        settle().await;
        let outcomes = svc
            .nodes()
            .retry_stale(svc.store().as_ref(), 0)
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        assert_eq!(node.bits(), Some(VoteBits(5)), "the node missed the update");
        assert!(svc.nodes().stale().is_empty());
    }

    #[tokio::test]
    async fn concurrent_updates_end_with_the_latest_state() {
        let (svc, node, id) = gated_service().await;
        let (s1, s2) = (svc.clone(), svc.clone());
        let first = tokio::spawn(async move { s1.set_vote_bits(id, VoteBits(5), 7).await });
        settle().await;
        let second = tokio::spawn(async move { s2.set_vote_bits(id, VoteBits(1), 7).await });
        settle().await;
        // Whatever reaches the node, the newest call is answered first: an older state
        // must never overwrite a newer one.
        for _ in 0..100 {
            let mut waiting = node.take_waiting();
            if waiting.is_empty() && first.is_finished() && second.is_finished() {
                break;
            }
            while let Some(gate) = waiting.pop() {
                let _ = gate.send(());
                settle().await;
            }
            settle().await;
        }
        assert!(first.await.unwrap().unwrap());
        assert!(second.await.unwrap().unwrap());
        assert_eq!(node.bits(), Some(VoteBits(1)), "an older state won");
        assert!(svc.nodes().stale().is_empty());
    }
}

#[tokio::test]
async fn low_fee_tickets_with_unreadable_or_foreign_addresses_are_refused_whole() {
    use crate::backend::TicketEntry;

    let store = Arc::new(MemoryStore::new());
    // No expectations: a push to the node would fail the test.
    let node = crate::backend::MockVotingNode::new();
    let svc = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: keys(),
        pool_fees: crate::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: Arc::new(MockWalletBackend::new()),
        nodes: Arc::new(VotingNodes::new(vec![Arc::new(node)])),
        clock: Arc::new(SystemClock),
    });
    let good = TicketEntry {
        ticket_address: Address::p2sh(Network::Testnet, [1; 20]).to_string(),
        ticket_hash: Hash32::from_bytes([1; 32]),
    };
    let mainnet = TicketEntry {
        ticket_address: Address::p2sh(Network::Mainnet, [2; 20]).to_string(),
        ticket_hash: Hash32::from_bytes([2; 32]),
    };
    let garbage = TicketEntry {
        ticket_address: "TcX".into(),
        ticket_hash: Hash32::from_bytes([3; 32]),
    };
    for bad in [mainnet, garbage] {
        let err = svc
            .add_low_fee_tickets(UserId(1), &[good.clone(), bad.clone()])
            .await
            .unwrap_err();
        match err {
            Error::InvalidInput(msg) => {
                assert!(msg.contains(&bad.ticket_hash.to_string()), "{msg}");
                assert!(msg.contains(&bad.ticket_address), "{msg}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(store.low_fee_ticket_entries().await.unwrap().is_empty());
}

fn wallet_info(vote_version: u32) -> crate::backend::WalletInfo {
    crate::backend::WalletInfo {
        daemon_connected: true,
        unlocked: true,
        tx_fee: 0.001,
        ticket_fee: 0.001,
        ticket_purchasing: false,
        vote_bits: VoteBits(1),
        vote_bits_extended: vote_version.to_le_bytes().to_vec(),
        vote_version,
        voting: false,
    }
}

/// The voting page's version: the wallets' while they answer, the last known one while
/// they do not (hcstakepool kept its start-up value), and an error only when none was ever
/// known.
#[tokio::test]
async fn vote_version_falls_back_to_the_last_known_one() {
    let down = || Error::wallet("w1", BackendKind::Unavailable, "connection refused");
    let mut w = MockWalletBackend::new();
    let mut seq = mockall::Sequence::new();
    w.expect_wallet_info()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move || Err(down()));
    w.expect_wallet_info()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|| Ok(wallet_info(7)));
    w.expect_wallet_info()
        .times(2)
        .in_sequence(&mut seq)
        .returning(move || Err(down()));
    w.expect_wallet_info()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|| Ok(wallet_info(8)));
    let (svc, _store, _) = service(w).await;

    let never = svc.vote_version().await.unwrap_err();
    assert_eq!(
        never.backend_kind(),
        Some(BackendKind::Unavailable),
        "{never}"
    );
    assert_eq!(svc.last_vote_version(), None);
    assert_eq!(svc.vote_version().await.unwrap(), 7);
    // Clones share what is known (the web app clones the service into its tasks).
    let clone = svc.clone();
    assert_eq!(clone.vote_version().await.unwrap(), 7, "wallets down");
    assert_eq!(svc.vote_version().await.unwrap(), 7, "wallets down");
    assert_eq!(
        svc.vote_version().await.unwrap(),
        8,
        "a new version is taken"
    );
    assert_eq!(clone.last_vote_version(), Some(8));

    // Recorded at start-up, before any page asked.
    let mut w = MockWalletBackend::new();
    w.expect_wallet_info().returning(move || Err(down()));
    let (svc, _store, _) = service(w).await;
    svc.note_vote_version(7);
    assert_eq!(svc.vote_version().await.unwrap(), 7);
}

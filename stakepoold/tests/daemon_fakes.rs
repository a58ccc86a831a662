//! The daemon against fake wallet and node: who gets voted, with which bits.

mod support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// User 1's multisig address (a simnet P2SH address: low-fee rows must hold real ones).
const TSA: &str = "ScuQxvveKGfpG1ypt6u27F99Anf7EW3cqhq";

use futures::StreamExt;
use hcpool_core::backend::{ChainNotification, LowFeeTicket, MockStore, TicketEntry};
use hcpool_core::service::voter::BitsSource;
use hcpool_core::{Hash32, VoteBits};
use stakepoold::{Daemon, VoteOutcome};
use support::*;

fn winning(tickets: Vec<Hash32>) -> ChainNotification {
    ChainNotification::WinningTickets {
        block_hash: Hash32::from_bytes([0xcc; 32]),
        height: 1001,
        tickets,
    }
}

struct Pool {
    wallet: Arc<FakeWallet>,
    node: Arc<FakeNode>,
    daemon: Arc<Daemon>,
    paid: Hash32,
    low: Hash32,
    added_low: Hash32,
    other_user: Hash32,
}

/// user 1 (TsA, bits 5) owns a paid ticket, a low-fee one and an added low-fee one;
/// user 2 (TsB, bits 3, old vote version) owns a paid ticket.
async fn pool() -> Pool {
    let wallet = Arc::new(FakeWallet::default());
    let node = Arc::new(FakeNode::default());
    let paid = wallet.add(ticket_tx(TSA, PAID, 1), true);
    let low = wallet.add(ticket_tx(TSA, LOW, 2), true);
    let added_low = wallet.add(ticket_tx(TSA, LOW, 3), true);
    let other_user = wallet.add(ticket_tx("TsB", PAID, 4), true);
    wallet.add(ticket_tx("TsNobody", PAID, 5), true);
    let mut store = MockStore::new();
    store.expect_voting_configs().returning(|| {
        Ok(vec![
            user(1, TSA, 5, VOTE_VERSION),
            user(2, "TsB", 3, VOTE_VERSION - 1),
        ])
    });
    let rows = Arc::new(Mutex::new(vec![low_fee_row(added_low, false, i64::MAX)]));
    low_fee_rows(&mut store, rows);
    let daemon = Daemon::start(
        deps(wallet.clone(), node.clone(), Some(Arc::new(store))),
        fast_opts(),
    )
    .await
    .unwrap();
    Pool {
        wallet,
        node,
        daemon,
        paid,
        low,
        added_low,
        other_user,
    }
}

/// A low-fee row for user 1's `TSA`.
fn low_fee_row(ticket: Hash32, voted: bool, expires: i64) -> LowFeeTicket {
    LowFeeTicket {
        id: i64::from(ticket.as_bytes()[0]),
        added_by: hcpool_core::UserId(9),
        ticket_address: TSA.parse().unwrap(),
        ticket_hash: ticket,
        voted,
        created: 0,
        expires,
    }
}

/// The store's low-fee queries over `rows`, with the SQL store's semantics.
fn low_fee_rows(store: &mut MockStore, rows: Arc<Mutex<Vec<LowFeeTicket>>>) {
    let all = rows.clone();
    store.expect_low_fee_ticket_entries().returning(move || {
        Ok(all
            .lock()
            .unwrap()
            .iter()
            .map(|r| TicketEntry {
                ticket_address: r.ticket_address.to_string(),
                ticket_hash: r.ticket_hash,
            })
            .collect())
    });
    let votable = rows.clone();
    store
        .expect_votable_low_fee_tickets()
        .returning(move |now| {
            Ok(votable
                .lock()
                .unwrap()
                .iter()
                .filter(|r| !r.voted && r.expires > now)
                .cloned()
                .collect())
        });
    store
        .expect_mark_low_fee_ticket_voted()
        .returning(move |h| {
            let mut rows = rows.lock().unwrap();
            let row = rows.iter_mut().find(|r| r.ticket_hash == *h);
            Ok(row.map(|r| r.voted = true).is_some())
        });
}

#[tokio::test]
async fn start_up_scan_sorts_tickets_by_fee_and_owner() {
    let p = pool().await;
    let live: Vec<_> = p
        .daemon
        .live_tickets()
        .iter()
        .map(|e| e.ticket_hash)
        .collect();
    assert_eq!(live.len(), 3, "paid, added low-fee and user 2's: {live:?}");
    for t in [p.paid, p.added_low, p.other_user] {
        assert!(live.contains(&t), "{t} should be live");
    }
    let ignored: Vec<_> = p
        .daemon
        .ignored_tickets()
        .iter()
        .map(|e| e.ticket_hash)
        .collect();
    assert_eq!(ignored, vec![p.low]);
    assert_eq!(p.daemon.added_tickets().len(), 1);
    assert_eq!(p.daemon.metrics().snapshot().live_tickets, 3);
}

#[tokio::test]
async fn winners_vote_with_owner_bits_and_low_fee_rules() {
    let p = pool().await;
    let stranger = Hash32::from_bytes([0x99; 32]);
    let results = p
        .daemon
        .handle(
            winning(vec![p.paid, p.low, p.added_low, p.other_user, stranger]),
            Instant::now(),
        )
        .await;
    let mut voted = p.wallet.voted();
    voted.sort();
    let mut want = vec![
        (p.paid, VoteBits(5)),
        (p.added_low, VoteBits(5)),
        (p.other_user, WALLET_BITS),
    ];
    want.sort();
    assert_eq!(
        voted, want,
        "the ignored low-fee ticket and the stranger are not voted"
    );
    assert_eq!(p.node.sent.lock().unwrap().len(), 3, "every vote relayed");
    assert!(results
        .iter()
        .all(|r| matches!(r.outcome, VoteOutcome::Cast(_))));
    let mismatch = results.iter().find(|r| r.ticket == p.other_user).unwrap();
    assert_eq!(mismatch.source, BitsSource::VersionMismatch);
    let vote = p.wallet.votes.lock().unwrap()[0].clone();
    assert_eq!((vote.0, vote.1), (Hash32::from_bytes([0xcc; 32]), 1001));
    assert_eq!(vote.4, vec![5, 0, 0, 0], "the wallet's votebitsextended");
    assert_eq!(p.daemon.metrics().snapshot().votes_cast, 3);
}

#[tokio::test]
async fn unknown_owner_votes_with_default_bits() {
    let p = pool().await;
    // The web app drops user 1: their live tickets stay but the config is gone.
    p.daemon
        .set_user_voting_prefs(vec![user(2, "TsB", 3, VOTE_VERSION)]);
    let results = p.daemon.handle(winning(vec![p.paid]), Instant::now()).await;
    assert_eq!(p.wallet.voted(), vec![(p.paid, WALLET_BITS)]);
    assert_eq!(results[0].source, BitsSource::UnknownUser);
}

#[tokio::test]
async fn adding_and_removing_low_fee_tickets_changes_votes() {
    let p = pool().await;
    p.daemon.set_added_low_fee_tickets(vec![TicketEntry {
        ticket_address: TSA.into(),
        ticket_hash: p.low,
    }]);
    p.daemon
        .handle(winning(vec![p.low, p.added_low]), Instant::now())
        .await;
    assert_eq!(
        p.wallet.voted(),
        vec![(p.low, VoteBits(5))],
        "newly added is voted, no-longer-added is not"
    );
    assert_eq!(p.daemon.ignored_tickets()[0].ticket_hash, p.added_low);
}

#[tokio::test]
async fn failed_vote_is_retried_and_duplicates_are_not_errors() {
    let p = pool().await;
    p.wallet.fail_votes.store(1, Ordering::SeqCst);
    let r = p.daemon.handle(winning(vec![p.paid]), Instant::now()).await;
    assert_eq!(r[0].attempts, 2);
    assert!(matches!(r[0].outcome, VoteOutcome::Cast(_)));
    assert_eq!(p.daemon.metrics().snapshot().vote_retries, 1);

    p.node.duplicate.store(true, Ordering::SeqCst);
    let r = p.daemon.handle(winning(vec![p.paid]), Instant::now()).await;
    assert_eq!(r[0].outcome, VoteOutcome::Duplicate);
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.votes_duplicate, s.votes_failed), (1, 0));
}

#[tokio::test]
async fn vote_gives_up_after_the_attempts() {
    let p = pool().await;
    p.wallet.fail_votes.store(10, Ordering::SeqCst);
    let r = p.daemon.handle(winning(vec![p.paid]), Instant::now()).await;
    assert!(matches!(r[0].outcome, VoteOutcome::Failed(_)), "{:?}", r[0]);
    assert_eq!(r[0].attempts, 3);
    assert_eq!(p.daemon.metrics().snapshot().votes_failed, 1);
}

#[tokio::test]
async fn new_tickets_are_fee_checked_and_strangers_skipped() {
    let p = pool().await;
    let new_paid = p.wallet.add(ticket_tx(TSA, PAID, 7), false);
    let new_low = p.wallet.add(ticket_tx("TsB", LOW, 8), false);
    let not_ours = Hash32::from_bytes([0x77; 32]);
    p.daemon
        .handle(
            ChainNotification::NewTickets {
                block_hash: Hash32::from_bytes([1; 32]),
                height: 1000,
                tickets: vec![new_paid, new_low, not_ours],
            },
            Instant::now(),
        )
        .await;
    let live: Vec<_> = p
        .daemon
        .live_tickets()
        .iter()
        .map(|e| e.ticket_hash)
        .collect();
    assert!(live.contains(&new_paid));
    assert!(!live.contains(&new_low));
    assert!(p
        .daemon
        .ignored_tickets()
        .iter()
        .any(|e| e.ticket_hash == new_low));
    assert_eq!(live.len(), 4);
}

#[tokio::test]
async fn spent_and_missed_leave_live_and_missed_wait_for_revocation() {
    let p = pool().await;
    p.daemon
        .handle(
            ChainNotification::SpentAndMissed {
                block_hash: Hash32::from_bytes([1; 32]),
                height: 1002,
                spent: vec![p.paid],
                missed: vec![p.other_user, Hash32::from_bytes([0x55; 32])],
            },
            Instant::now(),
        )
        .await;
    assert_eq!(p.daemon.live_tickets().len(), 1);
    let revoke: Vec<_> = p
        .daemon
        .tickets_to_revoke()
        .iter()
        .map(|e| e.ticket_hash)
        .collect();
    assert_eq!(revoke, vec![p.other_user]);
    assert_eq!(p.daemon.metrics().snapshot().to_revoke, 1);
}

#[tokio::test]
async fn run_handles_a_notification_stream_until_shutdown() {
    let p = pool().await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|n| (n, rx)) })
            .boxed();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let d = p.daemon.clone();
    let task = tokio::spawn(async move {
        d.run(stream, async {
            let _ = stop_rx.await;
        })
        .await
    });
    tx.send(winning(vec![p.paid])).unwrap();
    for _ in 0..500 {
        if !p.node.sent.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop_tx.send(()).unwrap();
    task.await.unwrap();
    assert_eq!(p.wallet.voted(), vec![(p.paid, VoteBits(5))]);
}

fn winning_at(height: u32, tickets: Vec<Hash32>) -> ChainNotification {
    ChainNotification::WinningTickets {
        block_hash: Hash32::from_bytes([height as u8; 32]),
        height,
        tickets,
    }
}

fn missed_at(height: u32, missed: Vec<Hash32>) -> ChainNotification {
    ChainNotification::SpentAndMissed {
        block_hash: Hash32::from_bytes([height as u8; 32]),
        height,
        spent: vec![],
        missed,
    }
}

#[tokio::test]
async fn missed_tickets_are_revoked_after_the_votes_retried_and_tracked_until_revoked() {
    let p = pool().await;
    assert_eq!(
        p.wallet.revoke_calls.load(Ordering::SeqCst),
        1,
        "revoketickets once at start-up (what was missed while down)"
    );
    let calls = || p.wallet.revoke_calls.load(Ordering::SeqCst) - 1;
    p.daemon
        .handle(missed_at(1002, vec![p.other_user]), Instant::now())
        .await;
    let pending = p.daemon.pending_revocations();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].missed_at, pending[0].requested_at),
        (1002, None)
    );
    assert_eq!(calls(), 0, "nothing is revoked before the block's votes");

    let votes = p
        .daemon
        .handle(winning_at(1002, vec![p.paid]), Instant::now())
        .await;
    assert_eq!(votes.len(), 1);
    assert_eq!(calls(), 1);
    assert_eq!(p.daemon.pending_revocations()[0].requested_at, Some(1002));
    // Not mined in the next block: asked again only after REVOKE_RETRY_BLOCKS.
    p.daemon
        .handle(winning_at(1003, vec![]), Instant::now())
        .await;
    assert_eq!(calls(), 1);
    p.daemon
        .handle(winning_at(1004, vec![]), Instant::now())
        .await;
    assert_eq!(calls(), 2);
    assert_eq!(p.daemon.pending_revocations()[0].requested_at, Some(1004));

    // hcd reports the revocation as a miss again: done.
    p.daemon
        .handle(missed_at(1005, vec![p.other_user]), Instant::now())
        .await;
    assert!(p.daemon.pending_revocations().is_empty());
    p.daemon
        .handle(winning_at(1005, vec![]), Instant::now())
        .await;
    assert_eq!(calls(), 2, "nothing left to revoke");
    let s = p.daemon.metrics().snapshot();
    assert_eq!(
        (
            s.revocation_requests,
            s.revocation_failures,
            s.tickets_revoked,
            s.to_revoke
        ),
        (3, 0, 1, 0),
        "the start-up request counts too"
    );
    let text = p.daemon.render_metrics();
    assert!(
        text.lines()
            .any(|l| l == "stakepoold_tickets_revoked_total 1"),
        "{text}"
    );
}

#[tokio::test]
async fn health_reports_links_and_the_last_block_seen() {
    let p = pool().await;
    let h = p.daemon.health();
    assert!(h.is_serving(), "fakes have no link to lose");
    assert_eq!((h.last_block_height, h.rescans), (None, 0));
    p.daemon
        .handle(winning_at(1007, vec![]), Instant::now())
        .await;
    p.daemon
        .handle(missed_at(1006, vec![]), Instant::now())
        .await;
    let h = p.daemon.health();
    assert_eq!(
        h.last_block_height,
        Some(1007),
        "an older block does not go back"
    );
    assert!(h
        .last_block_age
        .is_some_and(|a| a < std::time::Duration::from_secs(60)));
    let text = p.daemon.render_metrics();
    for line in [
        "stakepoold_wallet_connected 1",
        "stakepoold_node_connected 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert!(
        text.contains("stakepoold_last_block_age_seconds "),
        "{text}"
    );
}

/// hcd's "already have transaction" for the wallet's own revocation of `ticket`.
fn already_have(ticket: Hash32) -> String {
    let r = Hash32::from_bytes([ticket.as_bytes()[0] ^ 0x5a; 32]);
    format!("-1: Rejected transaction {r}: already have transaction {r}")
}

fn revoke_calls_after_start(p: &Pool) -> u32 {
    p.wallet.revoke_calls.load(Ordering::SeqCst) - 1
}

#[tokio::test]
async fn a_revocation_the_wallet_made_by_itself_completes() {
    // The real wallet revokes a missed ticket as soon as hcd reports it missed; the
    // daemon's own revoketickets is then rejected while that revocation is unmined.
    let p = pool().await;
    p.node.set_missed(&[p.other_user]);
    *p.wallet.revoke_error.lock().unwrap() = Some(already_have(p.other_user));
    p.daemon
        .handle(missed_at(1002, vec![p.other_user]), Instant::now())
        .await;
    p.daemon
        .handle(winning_at(1002, vec![]), Instant::now())
        .await;
    assert_eq!(revoke_calls_after_start(&p), 1);
    assert_eq!(
        p.daemon.pending_revocations()[0].requested_at,
        Some(1002),
        "the duplicate counts as a request made"
    );
    // Block 1003 mines the wallet's revocation: hcd reports the ticket missed again.
    p.node.set_missed(&[]);
    p.daemon
        .handle(missed_at(1003, vec![p.other_user]), Instant::now())
        .await;
    assert!(p.daemon.pending_revocations().is_empty());
    for h in 1003..1010 {
        p.daemon.handle(winning_at(h, vec![]), Instant::now()).await;
    }
    assert_eq!(revoke_calls_after_start(&p), 1, "nothing left to revoke");
    let s = p.daemon.metrics().snapshot();
    assert_eq!(
        (s.revocation_failures, s.tickets_revoked, s.to_revoke),
        (0, 1, 0),
        "{s:?}"
    );
}

#[tokio::test]
async fn the_second_missed_report_completes_a_revocation_whose_requests_all_failed() {
    let p = pool().await;
    *p.wallet.revoke_error.lock().unwrap() = Some("-1: wallet busy".into());
    p.daemon
        .handle(missed_at(1002, vec![p.other_user]), Instant::now())
        .await;
    p.daemon
        .handle(winning_at(1002, vec![]), Instant::now())
        .await;
    assert_eq!(p.daemon.metrics().snapshot().revocation_failures, 1);
    // Another wallet holding a key (the user's) revoked it: hcd reports it again.
    p.daemon
        .handle(missed_at(1003, vec![p.other_user]), Instant::now())
        .await;
    assert!(p.daemon.pending_revocations().is_empty());
    // The same block's report delivered twice does not end a new pending one.
    p.daemon
        .handle(missed_at(1004, vec![p.paid]), Instant::now())
        .await;
    p.daemon
        .handle(missed_at(1004, vec![p.paid]), Instant::now())
        .await;
    assert_eq!(p.daemon.tickets_to_revoke().len(), 1);
    assert_eq!(p.daemon.metrics().snapshot().tickets_revoked, 1);
}

#[tokio::test]
async fn a_revocation_seen_on_chain_completes_without_a_second_report() {
    let p = pool().await;
    p.node.set_missed(&[p.other_user]);
    p.daemon
        .handle(missed_at(1002, vec![p.other_user]), Instant::now())
        .await;
    p.daemon
        .handle(winning_at(1002, vec![]), Instant::now())
        .await;
    assert_eq!(revoke_calls_after_start(&p), 1);
    // Revoked in block 1003, but that block's spentandmissedtickets was lost.
    p.node.set_missed(&[]);
    for h in 1003..1008 {
        p.daemon.handle(winning_at(h, vec![]), Instant::now()).await;
    }
    assert!(
        p.daemon.pending_revocations().is_empty(),
        "hcd's missed set no longer holds it"
    );
    assert_eq!(revoke_calls_after_start(&p), 1, "not asked again");
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.tickets_revoked, s.to_revoke), (1, 0), "{s:?}");
}

#[tokio::test]
async fn an_unrevokable_ticket_is_given_up_and_does_not_block_the_others() {
    // A ticket bought with a tiny amount: the wallet cannot pay the revocation's relay fee,
    // and every revoketickets fails on it.
    let p = pool().await;
    let bad = p.other_user;
    p.node.set_missed(&[bad]);
    *p.wallet.revoke_error.lock().unwrap() =
        Some("-1: no suitable revocation outputs to pay relay fee".into());
    p.daemon
        .handle(missed_at(1002, vec![bad]), Instant::now())
        .await;
    for h in 1002..=1030 {
        p.daemon.handle(winning_at(h, vec![]), Instant::now()).await;
    }
    assert_eq!(
        revoke_calls_after_start(&p),
        stakepoold::daemon::REVOKE_MAX_ATTEMPTS, // new-api
        "a bounded number of attempts, not one after every block"
    );
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.revocation_failures, s.to_revoke), (3, 1), "{s:?}");
    assert_eq!(s.revocations_given_up, 1, "{s:?}"); // new-api
    let pending = p.daemon.pending_revocations();
    assert!(pending[0].given_up, "{pending:?}"); // new-api
    assert_eq!(p.daemon.health().revocations_given_up, vec![bad]); // new-api
    assert_eq!(p.daemon.tickets_to_revoke()[0].ticket_hash, bad);
    assert!(p
        .daemon
        .render_metrics()
        .lines()
        .any(|l| l == "stakepoold_revocations_given_up 1")); // new-api

    // Another ticket misses; the wallet revokes it by itself, while our call still fails
    // on the bad one.
    let other = p.paid;
    p.node.set_missed(&[bad, other]);
    p.daemon
        .handle(missed_at(1031, vec![other]), Instant::now())
        .await;
    p.daemon
        .handle(winning_at(1031, vec![]), Instant::now())
        .await;
    assert_eq!(
        revoke_calls_after_start(&p),
        4,
        "the new ticket is asked for"
    );
    p.node.set_missed(&[bad]);
    p.daemon
        .handle(missed_at(1032, vec![other]), Instant::now())
        .await;
    let pending: Vec<_> = p
        .daemon
        .tickets_to_revoke()
        .iter()
        .map(|e| e.ticket_hash)
        .collect();
    assert_eq!(pending, vec![bad], "the other one completed");
    assert_eq!(p.daemon.metrics().snapshot().tickets_revoked, 1);

    // The operator revokes it by hand; the report of that block is lost.
    p.node.set_missed(&[]);
    p.daemon
        .handle(winning_at(1033, vec![]), Instant::now())
        .await;
    assert!(p.daemon.pending_revocations().is_empty());
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.tickets_revoked, s.to_revoke), (2, 0), "{s:?}");
    assert_eq!(s.revocations_given_up, 0, "{s:?}"); // new-api
    assert_eq!(revoke_calls_after_start(&p), 4);
}

/// A daemon on `wallet` with user 1 (TsA) and the store's low-fee `rows`.
async fn daemon_with_rows(
    wallet: &Arc<FakeWallet>,
    rows: &Arc<Mutex<Vec<LowFeeTicket>>>,
) -> Arc<Daemon> {
    let mut store = MockStore::new();
    store
        .expect_voting_configs()
        .returning(|| Ok(vec![user(1, TSA, 5, VOTE_VERSION)]));
    low_fee_rows(&mut store, rows.clone());
    Daemon::start(
        deps(
            wallet.clone(),
            Arc::new(FakeNode::default()),
            Some(Arc::new(store)),
        ),
        fast_opts(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_voted_added_ticket_is_marked_and_not_ignored_after_a_restart() {
    let wallet = Arc::new(FakeWallet::default());
    let voted = wallet.add(ticket_tx(TSA, LOW, 1), true);
    let votable = wallet.add(ticket_tx(TSA, LOW, 2), true);
    let expired = wallet.add(ticket_tx(TSA, LOW, 3), false);
    let rows = Arc::new(Mutex::new(vec![
        low_fee_row(voted, false, i64::MAX),
        low_fee_row(votable, false, i64::MAX),
        low_fee_row(expired, false, 1),
    ]));
    let d = daemon_with_rows(&wallet, &rows).await;
    assert_eq!(d.live_tickets().len(), 2);
    d.handle(winning(vec![voted]), Instant::now()).await;
    assert_eq!(wallet.voted(), vec![(voted, VoteBits(5))]);
    assert!(
        rows.lock().unwrap()[0].voted,
        "marked voted once hcd accepted the vote"
    );
    d.handle(
        ChainNotification::SpentAndMissed {
            block_hash: Hash32::from_bytes([2; 32]),
            height: 1002,
            spent: vec![voted],
            missed: vec![],
        },
        Instant::now(),
    )
    .await;

    // Restart: the wallet no longer lists the voted ticket.
    wallet.live.lock().unwrap().retain(|t| *t != voted);
    let d = daemon_with_rows(&wallet, &rows).await;
    let added: Vec<_> = d.added_tickets().iter().map(|e| e.ticket_hash).collect();
    assert_eq!(
        added,
        vec![votable],
        "the votable rows only, as the web pushes"
    );
    // The web app's push after its own restart: the same votable set.
    d.set_added_low_fee_tickets(d.added_tickets());
    assert!(d.ignored_tickets().is_empty(), "{:?}", d.ignored_tickets());
    assert_eq!(d.live_tickets().len(), 1);
    // The admin removes the last one: it is live, so it is ignored again.
    d.set_added_low_fee_tickets(vec![]);
    let ignored: Vec<_> = d.ignored_tickets().iter().map(|e| e.ticket_hash).collect();
    assert_eq!(ignored, vec![votable]);
}

#[tokio::test]
async fn an_added_ticket_reported_spent_is_marked_voted() {
    // Voted by another voting wallet (our vote failed): hcd's report marks it.
    let wallet = Arc::new(FakeWallet::default());
    let added = wallet.add(ticket_tx(TSA, LOW, 4), true);
    let rows = Arc::new(Mutex::new(vec![low_fee_row(added, false, i64::MAX)]));
    let d = daemon_with_rows(&wallet, &rows).await;
    wallet.fail_votes.store(10, Ordering::SeqCst);
    let r = d.handle(winning(vec![added]), Instant::now()).await;
    assert!(matches!(r[0].outcome, VoteOutcome::Failed(_)));
    assert!(
        !rows.lock().unwrap()[0].voted,
        "a failed vote marks nothing"
    );
    d.handle(
        ChainNotification::SpentAndMissed {
            block_hash: Hash32::from_bytes([2; 32]),
            height: 1002,
            spent: vec![added],
            missed: vec![],
        },
        Instant::now(),
    )
    .await;
    assert!(rows.lock().unwrap()[0].voted);
}

#[tokio::test]
async fn the_report_of_a_revocation_already_seen_on_chain_starts_nothing_new() {
    // Block 1003 mines the revocation; its winningtickets handler (on-chain check) ends
    // the pending revocation before its spentandmissedtickets handler sees the ticket.
    let p = pool().await;
    p.node.set_missed(&[p.other_user]);
    p.daemon
        .handle(missed_at(1002, vec![p.other_user]), Instant::now())
        .await;
    p.daemon
        .handle(winning_at(1002, vec![]), Instant::now())
        .await;
    p.node.set_missed(&[]);
    p.daemon
        .handle(winning_at(1003, vec![]), Instant::now())
        .await;
    assert!(p.daemon.pending_revocations().is_empty());
    p.daemon
        .handle(missed_at(1003, vec![p.other_user]), Instant::now())
        .await;
    assert!(
        p.daemon.pending_revocations().is_empty(),
        "the revocation's own report is no new miss"
    );
    p.daemon
        .handle(winning_at(1004, vec![]), Instant::now())
        .await;
    assert_eq!(revoke_calls_after_start(&p), 1);
    let s = p.daemon.metrics().snapshot();
    assert_eq!((s.tickets_revoked, s.to_revoke), (1, 0), "{s:?}");
}

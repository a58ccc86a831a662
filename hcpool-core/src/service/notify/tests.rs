use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::*;
use crate::backend::{
    MailOutbox, MemoryStore, MockWalletBackend, NewUser, NotificationStore, Registration,
    StakePoolUserInfo, TicketStatus, UserStore, UserTicket,
};
use crate::ids::{Hash32, TxHash};
use crate::notify::{email_of_row, TicketEvent, KIND_NOTIFY};
use crate::params::Network;
use crate::votebits::VoteBits;
use crate::{Address, RedeemScript};
use hcpool_i18n::Lang;

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Day 20 000 at 10:00 UTC.
const NOON: i64 = 20_000 * DAY + 10 * 3600;

type Tickets = Arc<Mutex<Vec<UserTicket>>>;

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<TestClock>,
    tickets: Tickets,
    user: UserId,
    /// `stakepooluserinfo` calls of every instance's wallet.
    wallet_calls: Arc<AtomicUsize>,
}

fn registration() -> Registration {
    let mut script = vec![0x51, 0x21];
    script.extend([2u8; 33]);
    script.push(0x21);
    script.extend([3u8; 33]);
    script.extend([0x52, 0xae]);
    Registration {
        multisig_address: Address::p2sh(Network::Testnet, [9; 20]),
        multisig_script: RedeemScript::from_bytes(script),
        pool_pubkey_addr: Address::p2pkh(Network::Testnet, [1; 20]),
        user_pubkey_addr: Address::p2pkh(Network::Testnet, [2; 20]),
        user_fee_addr: Address::p2pkh(Network::Testnet, [3; 20]),
        height_registered: 10,
    }
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let user = store
        .create_user(&NewUser {
            email: "n@example.com".into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new("t".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    assert!(store.register_address(user, &registration()).await.unwrap());
    World {
        store,
        clock: Arc::new(TestClock(AtomicI64::new(NOON))),
        tickets: Arc::default(),
        user,
        wallet_calls: Arc::default(),
    }
}

impl World {
    /// An instance: its own service (and wallet) over the shared store.
    fn instance(&self) -> NotifyService {
        let tickets = self.tickets.clone();
        let calls = self.wallet_calls.clone();
        let mut wallet = MockWalletBackend::new();
        wallet
            .expect_stake_pool_user_info()
            .withf(|a| *a == Address::p2sh(Network::Testnet, [9; 20]))
            .returning(move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(StakePoolUserInfo {
                    tickets: tickets.lock().unwrap().clone(),
                    invalid: vec![],
                })
            });
        NotifyService::new(
            self.store.clone(),
            Arc::new(wallet),
            self.clock.clone(),
            NotifySettings {
                base_url: "https://pool.example/".into(),
                unsubscribe_key: Secret::new(b"key".to_vec()),
            },
        )
    }

    fn set(&self, n: u8, status: TicketStatus, spent: u32) {
        let mut t = self.tickets.lock().unwrap();
        t.retain(|x| x.ticket.as_bytes()[0] != n);
        t.push(UserTicket {
            status,
            ticket: Hash32::from_bytes([n; 32]),
            ticket_height: 5,
            spent_by: TxHash::from_bytes([n; 32]),
            spent_by_height: spent,
        });
    }

    fn at(&self, t: i64) {
        self.clock.0.store(t, Ordering::SeqCst);
    }

    /// Every mail in the outbox (claimed and so taken out of the way).
    async fn mails(&self) -> Vec<crate::backend::Email> {
        self.store
            .claim_mail(i64::MAX / 4, i64::MAX / 2, 100)
            .await
            .unwrap()
            .iter()
            .inspect(|m| assert_eq!(m.kind, KIND_NOTIFY))
            .map(email_of_row)
            .collect()
    }
}

fn choice(vote: bool, miss: bool, revoke: bool, mode: NotifyMode) -> NotifyChoice {
    NotifyChoice {
        on_vote: vote,
        on_miss: miss,
        on_revoke: revoke,
        mode,
        lang: "zh-CN".into(),
    }
}

#[tokio::test]
async fn off_by_default_then_once_per_event_across_instances() {
    let w = world().await;
    let (a, b) = (w.instance(), w.instance());
    assert_eq!(a.prefs(w.user).await.unwrap(), NotifyPrefs::default());
    // A ticket that voted before anyone opted in.
    w.set(1, TicketStatus::Voted, 100);
    let r = a.scan().await.unwrap();
    assert_eq!(r.users, 0, "nobody subscribed");

    let saved = a
        .save(
            w.user,
            choice(true, false, true, NotifyMode::Immediate),
            120,
        )
        .await
        .unwrap();
    assert_eq!(saved.baseline_height, 120);
    assert_eq!(saved.lang, "zh-CN");
    assert_eq!(saved.updated, NOON);
    // The old vote is below the baseline: nothing.
    assert_eq!(a.scan().await.unwrap().mailed, 0);
    assert!(w.mails().await.is_empty());

    // A vote and an expiry after the opt-in; a miss too (on_revoke covers it); a live one.
    w.set(2, TicketStatus::Voted, 121);
    w.set(3, TicketStatus::Missed, 125);
    w.set(4, TicketStatus::Expired, 126);
    w.set(5, TicketStatus::Live, 0);
    let (ra, rb) = tokio::join!(a.scan(), b.scan());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.mailed + rb.mailed, 3, "{ra:?} {rb:?}");
    assert_eq!(ra.failed + rb.failed, 0);
    let mails = w.mails().await;
    assert_eq!(mails.len(), 3);
    assert!(mails.iter().all(|m| m.to == "n@example.com"));
    // The choice was saved from a zh-CN request: the mails are in Chinese.
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(subjects.contains(&"权益池：您的选票已投票"));
    assert!(subjects.contains(&"权益池：您的选票错过了投票"));
    assert!(subjects.contains(&"权益池：您的选票已过期"));
    let token = a.unsubscribe_token(w.user);
    for m in &mails {
        assert!(m
            .body
            .contains(&format!("https://pool.example/unsubscribe?t={token}")));
        assert_eq!(m.headers[0].0, "List-Unsubscribe");
    }
    // Seen again by either instance: nothing more.
    assert_eq!(a.scan().await.unwrap().mailed, 0);
    assert_eq!(b.scan().await.unwrap().mailed, 0);
    assert!(w.mails().await.is_empty());
}

#[tokio::test]
async fn choosing_a_new_event_does_not_mail_its_past() {
    let w = world().await;
    let s = w.instance();
    s.save(
        w.user,
        choice(true, false, false, NotifyMode::Immediate),
        100,
    )
    .await
    .unwrap();
    w.set(1, TicketStatus::Missed, 110);
    assert_eq!(s.scan().await.unwrap().mailed, 0, "misses not chosen");
    // Misses chosen at 115: the miss at 110 is before that.
    let p = s
        .save(
            w.user,
            choice(true, true, false, NotifyMode::Immediate),
            115,
        )
        .await
        .unwrap();
    assert_eq!(p.baseline_height, 115);
    assert_eq!(s.scan().await.unwrap().mailed, 0);
    // Narrowing or switching the mode keeps the baseline.
    let p = s
        .save(w.user, choice(false, true, false, NotifyMode::Daily), 130)
        .await
        .unwrap();
    assert_eq!(p.baseline_height, 115);
    w.set(2, TicketStatus::Missed, 131);
    let r = s.scan().await.unwrap();
    assert_eq!((r.mailed, r.pending), (0, 1));
}

#[tokio::test]
async fn daily_digest_once_per_user_per_day() {
    let w = world().await;
    let (a, b) = (w.instance(), w.instance());
    a.save(w.user, choice(true, true, true, NotifyMode::Daily), 100)
        .await
        .unwrap();
    w.set(1, TicketStatus::Voted, 101);
    w.set(2, TicketStatus::Missed, 102);
    let r = a.scan().await.unwrap();
    assert_eq!((r.mailed, r.pending), (0, 2));
    assert!(w.mails().await.is_empty(), "digest mode: no mail per event");
    // Same day: the events wait for midnight.
    assert_eq!(a.send_digests().await.unwrap(), 0);

    // The next day: one digest, whichever instance and however often they try.
    w.at(NOON + DAY);
    w.set(3, TicketStatus::Voted, 150);
    assert_eq!(b.scan().await.unwrap().pending, 1, "recorded today");
    let (x, y) = tokio::join!(a.send_digests(), b.send_digests());
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(a.send_digests().await.unwrap(), 0);
    let mails = w.mails().await;
    assert_eq!(mails.len(), 1);
    let d = &mails[0];
    // The choice was saved from a zh-CN request: the digest is in Chinese.
    assert_eq!(d.subject, "权益池：您今天的选票（2 个事件）");
    assert!(
        d.body.contains("1 张已投票，1 张错过投票，0 张已过期"),
        "{}",
        d.body
    );
    assert!(d.body.contains("区块 101：") && d.body.contains("区块 102："));
    assert!(!d.body.contains("区块 150："), "today's event waits");
    assert_eq!(d.headers.len(), 3);
    // The mail names its language (the mailer writes it as `<html lang>` too).
    assert_eq!(d.lang(), hcpool_i18n::Lang::ZhCn);
    assert!(d
        .headers
        .contains(&("Content-Language".into(), "zh-CN".into())));

    // The day after: today's event of yesterday.
    w.at(NOON + 2 * DAY);
    assert_eq!(a.send_digests().await.unwrap(), 1);
    let mails = w.mails().await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].body.contains("区块 150："));
    assert_eq!(a.send_digests().await.unwrap(), 0);
    assert!(w
        .store
        .pending_notify_events(i64::MAX)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn unsubscribe_turns_everything_off_and_drops_the_pending_digest() {
    let w = world().await;
    let s = w.instance();
    s.save(w.user, choice(true, true, true, NotifyMode::Daily), 100)
        .await
        .unwrap();
    w.set(1, TicketStatus::Voted, 101);
    assert_eq!(s.scan().await.unwrap().pending, 1);
    let token = s.unsubscribe_token(w.user);
    assert!(s.token_valid(&token));
    assert!(!s.unsubscribe("1.00").await.unwrap());
    assert!(!s.unsubscribe("").await.unwrap());
    assert!(s.unsubscribe(&token).await.unwrap());
    assert!(s.unsubscribe(&token).await.unwrap(), "twice is fine");
    let p = s.prefs(w.user).await.unwrap();
    assert!(!p.any());
    assert_eq!((p.mode, p.lang.as_str()), (NotifyMode::Daily, "zh-CN"));
    assert!(w
        .store
        .pending_notify_events(i64::MAX)
        .await
        .unwrap()
        .is_empty());
    w.at(NOON + DAY);
    assert_eq!(s.send_digests().await.unwrap(), 0);
    w.set(2, TicketStatus::Voted, 140);
    assert_eq!(s.scan().await.unwrap().users, 0);
    assert!(w.mails().await.is_empty());
    // A token of another server key is refused.
    let other = NotifyService::new(
        w.store.clone(),
        Arc::new(MockWalletBackend::new()),
        w.clock.clone(),
        NotifySettings {
            base_url: String::new(),
            unsubscribe_key: Secret::new(b"other".to_vec()),
        },
    );
    assert!(!other.token_valid(&token));
}

#[tokio::test]
async fn a_wallet_failure_skips_the_user_until_the_next_scan() {
    let w = world().await;
    let good = w.instance();
    good.save(w.user, choice(true, false, false, NotifyMode::Immediate), 1)
        .await
        .unwrap();
    let mut wallet = MockWalletBackend::new();
    wallet.expect_stake_pool_user_info().returning(|_| {
        Err(crate::Error::wallet(
            "w",
            crate::BackendKind::Unavailable,
            "down",
        ))
    });
    let down = NotifyService::new(
        w.store.clone(),
        Arc::new(wallet),
        w.clock.clone(),
        NotifySettings {
            base_url: String::new(),
            unsubscribe_key: Secret::new(b"key".to_vec()),
        },
    );
    w.set(1, TicketStatus::Voted, 5);
    let r = down.scan().await.unwrap();
    assert_eq!((r.users, r.failed, r.mailed), (1, 1, 0));
    assert_eq!(good.scan().await.unwrap().mailed, 1);
    assert_eq!(
        w.store.notify_events_since(w.user, 0).await.unwrap(),
        vec![(Hash32::from_bytes([1; 32]), TicketEvent::Voted)]
    );
}

#[tokio::test]
async fn saving_for_a_missing_user_is_refused() {
    let w = world().await;
    let s = w.instance();
    let e = s
        .save(
            UserId(999),
            choice(true, false, false, NotifyMode::Immediate),
            1,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("999"), "{e}");
}

impl World {
    fn wallet_calls(&self) -> usize {
        self.wallet_calls.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn one_instance_scans_each_block() {
    let w = world().await;
    let (a, b) = (w.instance(), w.instance());
    assert_ne!(a.instance_id(), b.instance_id());
    assert_eq!(
        a.instance_id(),
        a.clone().instance_id(),
        "clones are one instance"
    );
    a.save(w.user, choice(true, true, true, NotifyMode::Immediate), 100)
        .await
        .unwrap();
    w.set(1, TicketStatus::Voted, 101);
    w.set(2, TicketStatus::Expired, 101);

    // Both see block 101 at once: one asks the wallets, the other stands aside.
    let (ra, rb) = tokio::join!(a.scan_block(101), b.scan_block(101));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let report = match (ra, rb) {
        (Some(r), None) | (None, Some(r)) => r,
        other => panic!("one scan, got {other:?}"),
    };
    assert_eq!((report.users, report.mailed, report.lost), (1, 2, 0));
    assert_eq!(w.wallet_calls(), 1, "one scan's wallet calls for the block");
    assert_eq!(w.mails().await.len(), 2, "each event mailed once");

    // The claimer may scan its block again (a retry); the other instance never does.
    let (first, second) = if ra.is_some() { (&a, &b) } else { (&b, &a) };
    assert!(first.scan_block(101).await.unwrap().is_some());
    assert_eq!(w.wallet_calls(), 2);
    assert!(second.scan_block(101).await.unwrap().is_none());
    assert_eq!(w.wallet_calls(), 2);
    assert!(w.mails().await.is_empty(), "the retry mails nothing again");

    // The next block is anybody's, one of them.
    w.set(3, TicketStatus::Voted, 102);
    let (x, y) = tokio::join!(second.scan_block(102), first.scan_block(102));
    assert_eq!(
        usize::from(x.unwrap().is_some()) + usize::from(y.unwrap().is_some()),
        1
    );
    assert_eq!(w.wallet_calls(), 3);
    assert_eq!(w.mails().await.len(), 1);
}

#[tokio::test]
async fn a_claimer_that_stopped_mid_scan_leaves_its_events_to_the_next_block() {
    let w = world().await;
    let live = w.instance();
    live.save(w.user, choice(true, true, true, NotifyMode::Immediate), 100)
        .await
        .unwrap();
    w.set(1, TicketStatus::Voted, 110);
    w.set(2, TicketStatus::Missed, 110);
    // Another instance claimed block 110 and recorded one of its two events before it
    // stopped (its process died).
    assert!(w.store.claim_notify_scan(110, "gone", NOON).await.unwrap());
    let done = NotifyEvent {
        user_id: w.user,
        ticket: Hash32::from_bytes([1; 32]),
        event: TicketEvent::Voted,
        height: 110,
        created: NOON,
    };
    let links = live.links(w.user);
    let mail = event_mail("n@example.com", &done, Lang::En, &links, NOON);
    assert!(w
        .store
        .record_notify_event(&done, Some(mail))
        .await
        .unwrap());
    assert_eq!(w.mails().await.len(), 1);

    // This instance leaves block 110 to its claimer…
    assert_eq!(live.scan_block(110).await.unwrap(), None);
    assert_eq!(w.wallet_calls(), 0);
    // …and at block 111 records what the claimer did not: the miss, once.
    let r = live.scan_block(111).await.unwrap().unwrap();
    assert_eq!((r.mailed, r.lost, r.failed), (1, 0, 0), "{r:?}");
    let mails = w.mails().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "权益池：您的选票错过了投票");
    assert_eq!(
        w.store
            .notify_events_since(w.user, 100)
            .await
            .unwrap()
            .len(),
        2
    );
    // Nothing is left over for later blocks.
    assert_eq!(live.scan_block(112).await.unwrap().unwrap().mailed, 0);
    assert!(w.mails().await.is_empty());
}

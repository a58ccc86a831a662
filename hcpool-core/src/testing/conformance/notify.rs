//! Vote notifications: preferences per user (absent until saved, replaced on save, the
//! digest day kept), subscribers (a chosen event and an address), each (ticket, event)
//! recorded once with its mail in the same step, pending events taken by one digest a day,
//! a block's scan claimed once.

use super::{add_user, check, check_eq, registration, CaseResult, Ctx};
use crate::backend::store::{NotifyEvent, NotifyPrefs, OutboxMail, Store, TicketEvent};
use crate::ids::{Hash32, Secret, UserId};
use crate::notify::{NotifyMode, SCAN_CLAIMS_KEPT, SCAN_OWNER_MAX};

fn event(user: UserId, n: u8, event: TicketEvent, height: u32, created: i64) -> NotifyEvent {
    NotifyEvent {
        user_id: user,
        ticket: Hash32::from_bytes([n; 32]),
        event,
        height,
        created,
    }
}

fn mail(to: &str, subject: &str) -> OutboxMail {
    OutboxMail {
        id: 0,
        kind: "notify".into(),
        recipient: to.into(),
        subject: subject.into(),
        body: Secret::new("List-Unsubscribe: <https://p/u?t=1.ab>\n\ntext".into()),
        ip: String::new(),
        attempts: 0,
        next_attempt: 0,
        created: 0,
    }
}

fn prefs(vote: bool, mode: NotifyMode, baseline: u32) -> NotifyPrefs {
    NotifyPrefs {
        on_vote: vote,
        on_miss: false,
        on_revoke: vote,
        mode,
        lang: "zh-CN".into(),
        baseline_height: baseline,
        last_digest_day: 0,
        updated: 77,
    }
}

async fn outbox(store: &dyn Store) -> Result<Vec<OutboxMail>, String> {
    store
        .claim_mail(i64::MAX / 4, i64::MAX / 2, 100)
        .await
        .ctx("claim_mail")
}

pub(super) async fn prefs_and_subscribers(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    check_eq!(store.notify_prefs(a).await.ctx("prefs")?, None);
    check!(
        !store
            .set_notify_prefs(UserId(9999), &prefs(true, NotifyMode::Daily, 1))
            .await
            .ctx("set for nobody")?,
        "no such user"
    );
    let p = prefs(true, NotifyMode::Daily, 120);
    check!(store.set_notify_prefs(a, &p).await.ctx("set")?, "set");
    check_eq!(store.notify_prefs(a).await.ctx("prefs")?, Some(p.clone()));
    store
        .set_notify_prefs(b, &prefs(true, NotifyMode::Immediate, 5))
        .await
        .ctx("set b")?;
    // No address yet: nobody to scan.
    check_eq!(
        store.notify_subscribers().await.ctx("subscribers")?.len(),
        0
    );
    store
        .register_address(a, &registration(1))
        .await
        .ctx("register a")?;
    store
        .register_address(b, &registration(2))
        .await
        .ctx("register b")?;
    let subs = store.notify_subscribers().await.ctx("subscribers")?;
    check_eq!(subs.len(), 2);
    check_eq!((subs[0].user_id, subs[1].user_id), (a, b));
    check_eq!(subs[0].email, "a@example.com".to_owned());
    check_eq!(subs[0].multisig, registration(1).multisig_address);
    check_eq!(subs[0].prefs, p);
    // Everything off: no longer a subscriber, the row stays.
    store
        .set_notify_prefs(b, &prefs(false, NotifyMode::Immediate, 5))
        .await
        .ctx("off")?;
    let subs = store.notify_subscribers().await.ctx("subscribers")?;
    check_eq!(subs.len(), 1);
    check!(
        store.notify_prefs(b).await.ctx("prefs")?.is_some(),
        "kept while off"
    );
    Ok(())
}

pub(super) async fn events_once_with_their_mail(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    store
        .set_notify_prefs(a, &prefs(true, NotifyMode::Immediate, 0))
        .await
        .ctx("set")?;
    let voted = event(a, 1, TicketEvent::Voted, 210, 1000);
    check!(
        store
            .record_notify_event(&voted, Some(mail("a@example.com", "voted")))
            .await
            .ctx("record")?,
        "first record"
    );
    // Another instance: the same pair, its own mail: nothing.
    check!(
        !store
            .record_notify_event(&voted, Some(mail("a@example.com", "again")))
            .await
            .ctx("record again")?,
        "second record of a pair is ignored"
    );
    let missed = event(a, 1, TicketEvent::Missed, 220, 1000);
    check!(
        store
            .record_notify_event(&missed, Some(mail("a@example.com", "missed")))
            .await
            .ctx("record")?,
        "another event of the ticket"
    );
    let rows = outbox(store).await?;
    let subjects: Vec<&str> = rows.iter().map(|m| m.subject.as_str()).collect();
    check_eq!(subjects, vec!["voted", "missed"]);
    check_eq!(rows[0].kind, "notify".to_owned());
    check_eq!(
        rows[0].body.expose().clone(),
        "List-Unsubscribe: <https://p/u?t=1.ab>\n\ntext".to_owned()
    );
    let mut since = store.notify_events_since(a, 0).await.ctx("since")?;
    since.sort();
    check_eq!(
        since,
        vec![
            (Hash32::from_bytes([1; 32]), TicketEvent::Voted),
            (Hash32::from_bytes([1; 32]), TicketEvent::Missed)
        ]
    );
    check_eq!(
        store.notify_events_since(a, 210).await.ctx("since")?,
        vec![(Hash32::from_bytes([1; 32]), TicketEvent::Missed)]
    );
    check_eq!(
        store
            .notify_events_since(UserId(77), 0)
            .await
            .ctx("since")?
            .len(),
        0
    );
    // Immediate events wait for no digest.
    check_eq!(
        store
            .pending_notify_events(i64::MAX)
            .await
            .ctx("pending")?
            .len(),
        0
    );
    Ok(())
}

pub(super) async fn digest_once_a_day(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    for u in [a, b] {
        store
            .set_notify_prefs(u, &prefs(true, NotifyMode::Daily, 0))
            .await
            .ctx("set")?;
    }
    let e1 = event(a, 1, TicketEvent::Voted, 10, 100);
    let e2 = event(a, 2, TicketEvent::Expired, 11, 200);
    let e3 = event(b, 3, TicketEvent::Voted, 12, 150);
    let late = event(a, 4, TicketEvent::Voted, 13, 900);
    for e in [&e1, &e2, &e3, &late] {
        check!(
            store.record_notify_event(e, None).await.ctx("record")?,
            "recorded"
        );
    }
    check_eq!(outbox(store).await?.len(), 0);
    let pending = store.pending_notify_events(500).await.ctx("pending")?;
    check_eq!(pending, vec![e1.clone(), e2.clone(), e3.clone()]);

    check!(
        store
            .send_notify_digest(
                a,
                3,
                &[e1.clone(), e2.clone()],
                &mail("a@example.com", "digest")
            )
            .await
            .ctx("digest")?,
        "first digest of day 3"
    );
    check!(
        !store
            .send_notify_digest(
                a,
                3,
                std::slice::from_ref(&e1),
                &mail("a@example.com", "again")
            )
            .await
            .ctx("digest again")?,
        "day 3 sent already"
    );
    check!(
        !store
            .send_notify_digest(UserId(9999), 3, &[], &mail("x@example.com", "x"))
            .await
            .ctx("digest of nobody")?,
        "no preferences row"
    );
    let rows = outbox(store).await?;
    check_eq!(rows.len(), 1);
    check_eq!(rows[0].subject, "digest".to_owned());
    check_eq!(
        store
            .notify_prefs(a)
            .await
            .ctx("prefs")?
            .map(|p| p.last_digest_day),
        Some(3)
    );
    // Saving again keeps the digest day.
    store
        .set_notify_prefs(a, &prefs(true, NotifyMode::Daily, 0))
        .await
        .ctx("save")?;
    check_eq!(
        store
            .notify_prefs(a)
            .await
            .ctx("prefs")?
            .map(|p| p.last_digest_day),
        Some(3)
    );
    check_eq!(
        store.pending_notify_events(i64::MAX).await.ctx("pending")?,
        vec![late.clone(), e3.clone()]
    );
    // Turning everything off drops b's pending event; a's stays.
    store
        .set_notify_prefs(b, &prefs(false, NotifyMode::Daily, 0))
        .await
        .ctx("off")?;
    check_eq!(
        store.pending_notify_events(i64::MAX).await.ctx("pending")?,
        vec![late]
    );
    check!(
        store
            .send_notify_digest(a, 4, &[], &mail("a@example.com", "day 4"))
            .await
            .ctx("digest day 4")?,
        "a later day"
    );
    Ok(())
}

/// A block's scan is claimed by one owner (who may claim it again); claims far from the
/// height being claimed are deleted, so a chain that starts again lower is scanned again.
pub(super) async fn scan_claimed_once_per_height(store: &dyn Store) -> CaseResult {
    check!(
        store.claim_notify_scan(1000, "a", 1).await.ctx("a 1000")?,
        "the first claim wins"
    );
    check!(
        !store.claim_notify_scan(1000, "b", 2).await.ctx("b 1000")?,
        "another owner's claim of the same height loses"
    );
    check!(
        store.claim_notify_scan(1000, "a", 3).await.ctx("a again")?,
        "the owner may claim its height again (a retry)"
    );
    check!(
        store.claim_notify_scan(1001, "b", 4).await.ctx("b 1001")?,
        "the next height is free"
    );
    check!(
        !store.claim_notify_scan(1001, "a", 5).await.ctx("a 1001")?,
        "b holds 1001"
    );
    // An id longer than the kept length is cut: its own retry still matches.
    let long = "x".repeat(SCAN_OWNER_MAX + 10);
    check!(
        store.claim_notify_scan(1002, &long, 6).await.ctx("long")?,
        "a long id claims"
    );
    check!(
        store
            .claim_notify_scan(1002, &long, 7)
            .await
            .ctx("long again")?,
        "a long id's retry"
    );
    check!(
        !store.claim_notify_scan(1002, "a", 8).await.ctx("a 1002")?,
        "held by the long id"
    );
    // A claim far above deletes 1000..1002: after a chain reset those heights are free.
    let far = 1002 + SCAN_CLAIMS_KEPT + 1;
    check!(
        store.claim_notify_scan(far, "a", 9).await.ctx("far")?,
        "a far height"
    );
    check!(
        store
            .claim_notify_scan(1000, "b", 10)
            .await
            .ctx("b 1000 again")?,
        "1000 was pruned by the claim of {far}, so b claims it"
    );
    // …and that claim, far below, deleted the one far above.
    check!(
        store.claim_notify_scan(far, "b", 11).await.ctx("b far")?,
        "{far} was pruned by the claim of 1000"
    );
    // A claim exactly the kept distance away stays.
    check!(
        store
            .claim_notify_scan(far - SCAN_CLAIMS_KEPT, "c", 12)
            .await
            .ctx("c")?,
        "a height within the window"
    );
    check!(
        !store.claim_notify_scan(far, "c", 13).await.ctx("c far")?,
        "{far} is {SCAN_CLAIMS_KEPT} blocks away: kept, b holds it"
    );
    // The edges of the height range.
    check!(
        store.claim_notify_scan(0, "a", 14).await.ctx("0")?,
        "height 0"
    );
    check!(
        store
            .claim_notify_scan(u32::MAX, "a", 15)
            .await
            .ctx("max")?,
        "the highest height"
    );
    check!(
        !store
            .claim_notify_scan(u32::MAX, "b", 16)
            .await
            .ctx("max b")?,
        "the highest height is held"
    );
    Ok(())
}

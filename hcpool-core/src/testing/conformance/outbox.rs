//! The mail outbox (claims with a lease, guarded deletes and retries) and the rotation of an
//! unverified user's email token.

use super::{add_user, check, check_eq, CaseResult, Ctx};
use crate::backend::store::{OutboxMail, Store};
use crate::ids::{Secret, UserId};

fn mail(kind: &str, to: &str, next_attempt: i64) -> OutboxMail {
    OutboxMail {
        id: 0,
        kind: kind.into(),
        recipient: to.into(),
        subject: format!("subject {to}"),
        body: Secret::new(format!("body for {to}\nwith lines")),
        ip: "192.0.2.1".into(),
        attempts: 7,
        next_attempt,
        created: 90,
    }
}

pub(super) async fn claim_lease_and_retry(store: &dyn Store) -> CaseResult {
    let a = store
        .enqueue_mail(&mail("mail", "a@example.com", 100))
        .await
        .ctx("enqueue")?;
    let b = store
        .enqueue_mail(&mail("reset", "b@example.com", 100))
        .await
        .ctx("enqueue")?;
    let later = store
        .enqueue_mail(&mail("mail", "c@example.com", 500))
        .await
        .ctx("enqueue")?;
    check!(a < b && b < later, "ids increase: {a} {b} {later}");
    check!(
        store.claim_mail(99, 400, 10).await.ctx("claim")?.is_empty(),
        "nothing is due before next_attempt"
    );
    let first = store.claim_mail(100, 400, 1).await.ctx("claim")?;
    check_eq!(first.len(), 1);
    let want = OutboxMail {
        id: a,
        attempts: 1,
        next_attempt: 400,
        ..mail("mail", "a@example.com", 100)
    };
    check_eq!(first[0], want);
    let rest = store.claim_mail(200, 400, 10).await.ctx("claim")?;
    check_eq!(rest.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b]);
    check!(
        store
            .claim_mail(399, 800, 10)
            .await
            .ctx("claim")?
            .is_empty(),
        "claimed rows are leased until lease_until; the later row is not due"
    );
    // The lease of `a` ends: another sender claims it again (attempt 2); the first sender's
    // late delete or retry does nothing.
    let again = store.claim_mail(400, 900, 10).await.ctx("claim")?;
    check_eq!(
        again.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        vec![(a, 2), (b, 2)]
    );
    check!(
        !store.delete_mail(a, 1).await.ctx("delete")?,
        "a stale claim deletes nothing"
    );
    check!(
        !store.retry_mail(a, 1, 0).await.ctx("retry")?,
        "a stale claim retries nothing"
    );
    check!(
        store.retry_mail(b, 2, 1000).await.ctx("retry")?,
        "the current claim retries"
    );
    check!(
        store.delete_mail(a, 2).await.ctx("delete")?,
        "sent: deleted"
    );
    check!(!store.delete_mail(a, 2).await.ctx("delete")?, "gone");
    let due = store.claim_mail(1000, 2000, 10).await.ctx("claim")?;
    check_eq!(
        due.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(),
        vec![(b, 3), (later, 1)]
    );
    Ok(())
}

pub(super) async fn email_token_rotates_while_unverified(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    check!(
        store
            .set_email_token(a, &Secret::new("second".into()))
            .await
            .ctx("set_email_token")?,
        "unverified: rotated"
    );
    check!(
        store
            .verify_email("emailtokena@example.com")
            .await
            .ctx("verify")?
            .is_none(),
        "the old token no longer verifies"
    );
    check_eq!(store.verify_email("second").await.ctx("verify")?, Some(a));
    check!(
        !store
            .set_email_token(a, &Secret::new("third".into()))
            .await
            .ctx("set_email_token")?,
        "verified: refused"
    );
    check_eq!(
        store.user(a).await.ctx("user")?.map(|u| u.email_token),
        Some(Secret::default())
    );
    check!(
        !store
            .set_email_token(UserId(a.0 + 100), &Secret::new("x".into()))
            .await
            .ctx("set_email_token")?,
        "no such user"
    );
    Ok(())
}

//! Server-side sessions and the purge of expired rows.

use super::{add_user, check, check_eq, expect_kind, CaseResult, Ctx};
use crate::backend::store::{EmailChange, PasswordReset, Session, Store};
use crate::error::BackendKind;
use crate::ids::{Secret, UserId};

fn session(id_hash: &str, user_id: UserId, expires: i64) -> Session {
    Session {
        id_hash: id_hash.into(),
        user_id,
        csrf_token: Secret::new(format!("csrf-{id_hash}")),
        created: 100,
        expires,
        last_seen: 100,
    }
}

pub(super) async fn lifecycle(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    store
        .create_session(&session("s1", a, 1000))
        .await
        .ctx("create")?;
    store
        .create_session(&session("s2", a, 1000))
        .await
        .ctx("create")?;
    store
        .create_session(&session("s3", b, 1000))
        .await
        .ctx("create")?;
    let dup = store.create_session(&session("s1", b, 2000)).await;
    expect_kind(dup, BackendKind::Conflict, "duplicate session id")?;
    check_eq!(
        store.session("s1", 999).await.ctx("session")?,
        Some(session("s1", a, 1000))
    );
    check!(
        store.session("s1", 1000).await.ctx("session")?.is_none(),
        "expired at expires"
    );
    check!(
        store.session("nope", 1).await.ctx("session")?.is_none(),
        "unknown"
    );

    check!(
        store.touch_session("s1", 500, 2000).await.ctx("touch")?,
        "valid session"
    );
    let s = store
        .session("s1", 1500)
        .await
        .ctx("session")?
        .ok_or("s1 gone")?;
    check_eq!((s.last_seen, s.expires, s.created), (500, 2000, 100));
    check!(
        !store.touch_session("s2", 1000, 5000).await.ctx("touch")?,
        "expired session"
    );
    check!(
        !store.touch_session("nope", 1, 5000).await.ctx("touch")?,
        "unknown session"
    );

    check!(
        store.delete_session("s1").await.ctx("delete")?,
        "existing session"
    );
    check!(
        !store.delete_session("s1").await.ctx("delete")?,
        "already deleted"
    );
    store
        .create_session(&session("s4", a, 1000))
        .await
        .ctx("create")?;
    check_eq!(
        store
            .delete_user_sessions(a)
            .await
            .ctx("delete_user_sessions")?,
        2
    );
    check!(
        store.session("s3", 1).await.ctx("session")?.is_some(),
        "b's session kept"
    );
    check_eq!(store.delete_user_sessions(a).await.ctx("again")?, 0);
    Ok(())
}

pub(super) async fn purge_expired(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    for (h, exp) in [("old", 100), ("edge", 200), ("live", 201)] {
        store
            .create_session(&session(h, a, exp))
            .await
            .ctx("create")?;
    }
    // Rows owned by no user (user id 0: hcpool-db keeps captcha challenges so) go the same way.
    for (h, exp) in [("ownerless-old", 120), ("ownerless-live", 900)] {
        store
            .create_session(&session(h, UserId(0), exp))
            .await
            .ctx("create ownerless")?;
    }
    for (t, exp) in [("c-old", 150), ("c-live", 900)] {
        store
            .create_email_change(&EmailChange {
                user_id: a,
                new_email: format!("{t}@example.com"),
                token: Secret::new(t.into()),
                created: 1,
                expires: exp,
            })
            .await
            .ctx("create_email_change")?;
    }
    for (t, exp) in [("r-old", 50), ("r-live", 900)] {
        store
            .create_password_reset(&PasswordReset {
                user_id: a,
                token: Secret::new(t.into()),
                created: 1,
                expires: exp,
            })
            .await
            .ctx("create_password_reset")?;
    }
    check_eq!(store.purge_expired(200).await.ctx("purge")?, 5);
    check!(
        store
            .session("ownerless-live", 200)
            .await
            .ctx("session")?
            .is_some(),
        "live ownerless session kept"
    );
    check!(
        store
            .session("ownerless-old", 100)
            .await
            .ctx("session")?
            .is_none(),
        "old ownerless session purged"
    );
    check!(
        store.session("live", 200).await.ctx("session")?.is_some(),
        "live session kept"
    );
    check!(
        store.email_change("c-live").await.ctx("change")?.is_some(),
        "live change kept"
    );
    check!(
        store.email_change("c-old").await.ctx("change")?.is_none(),
        "old change purged"
    );
    check!(
        store.password_reset("r-live").await.ctx("reset")?.is_some(),
        "live reset kept"
    );
    check!(
        store.password_reset("r-old").await.ctx("reset")?.is_none(),
        "old reset purged"
    );
    check_eq!(store.purge_expired(200).await.ctx("purge again")?, 0);
    Ok(())
}

//! Email change and password reset tokens: expiry, single use, revocation.

use super::{add_user, check, check_eq, expect_kind, CaseResult, Ctx};
use crate::backend::store::{EmailChange, PasswordReset, Session, Store};
use crate::error::BackendKind;
use crate::ids::{Secret, UserId};

fn change(user_id: UserId, new_email: &str, token: &str, expires: i64) -> EmailChange {
    EmailChange {
        user_id,
        new_email: new_email.into(),
        token: Secret::new(token.into()),
        created: 100,
        expires,
    }
}

fn reset(user_id: UserId, token: &str, expires: i64) -> PasswordReset {
    PasswordReset {
        user_id,
        token: Secret::new(token.into()),
        created: 100,
        expires,
    }
}

fn session(id_hash: &str, user_id: UserId) -> Session {
    Session {
        id_hash: id_hash.into(),
        user_id,
        csrf_token: Secret::new("csrf".into()),
        created: 100,
        expires: 10_000,
        last_seen: 100,
    }
}

pub(super) async fn email_change(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    let taken = store
        .create_email_change(&change(a, "B@example.com", "t0", 3700))
        .await;
    expect_kind(
        taken,
        BackendKind::Conflict,
        "email change to a taken email",
    )?;
    store
        .create_email_change(&change(a, "new@example.com", "t1", 3700))
        .await
        .ctx("create")?;
    store
        .create_email_change(&change(a, "old@example.com", "t2", 200))
        .await
        .ctx("create")?;
    let got = store.email_change("t1").await.ctx("email_change")?;
    check_eq!(got, Some(change(a, "new@example.com", "t1", 3700)));
    check!(
        store
            .email_change("")
            .await
            .ctx("email_change('')")?
            .is_none(),
        "blank token"
    );
    check!(
        store
            .email_change("zz")
            .await
            .ctx("email_change")?
            .is_none(),
        "unknown token"
    );

    // Expired: refused, nothing changes (expires == now counts as expired).
    check_eq!(
        store
            .apply_email_change("t2", 200)
            .await
            .ctx("apply expired")?,
        None
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.email, "a@example.com");

    store
        .create_session(&session("sa", a))
        .await
        .ctx("create_session")?;
    store
        .create_session(&session("sb", b))
        .await
        .ctx("create_session")?;
    store
        .create_password_reset(&reset(a, "r1", 3700))
        .await
        .ctx("create_password_reset")?;
    check_eq!(
        store.apply_email_change("t1", 3699).await.ctx("apply")?,
        Some(a)
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.email, "new@example.com");
    check_eq!(u.username, "a@example.com");
    let found = store
        .user_by_email("NEW@example.com")
        .await
        .ctx("user_by_email")?;
    check_eq!(found.map(|u| u.id), Some(a));
    check!(
        store.email_change("t1").await.ctx("consumed")?.is_none(),
        "token consumed"
    );
    check_eq!(
        store
            .apply_email_change("t1", 3699)
            .await
            .ctx("apply twice")?,
        None
    );
    check!(
        store.session("sa", 150).await.ctx("session")?.is_none(),
        "sessions revoked"
    );
    check!(
        store.session("sb", 150).await.ctx("session")?.is_some(),
        "others kept"
    );
    check!(
        store.password_reset("r1").await.ctx("reset")?.is_none(),
        "resets revoked"
    );
    Ok(())
}

pub(super) async fn email_change_conflict(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    store
        .create_email_change(&change(a, "x@example.com", "t1", 3700))
        .await
        .ctx("create")?;
    // Someone signs up with the address before the link is clicked.
    add_user(store, "X@example.com").await?;
    let r = store.apply_email_change("t1", 150).await;
    expect_kind(
        r,
        BackendKind::Conflict,
        "apply with the email taken meanwhile",
    )?;
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.email, "a@example.com");
    check!(
        store.email_change("t1").await.ctx("kept")?.is_some(),
        "token kept on conflict"
    );
    Ok(())
}

pub(super) async fn password_reset(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    store
        .create_password_reset(&reset(a, "r1", 3700))
        .await
        .ctx("create")?;
    store
        .create_password_reset(&reset(a, "r2", 3700))
        .await
        .ctx("create")?;
    store
        .create_password_reset(&reset(b, "rb", 300))
        .await
        .ctx("create")?;
    check_eq!(
        store.password_reset("r1").await.ctx("password_reset")?,
        Some(reset(a, "r1", 3700))
    );
    check!(
        store.password_reset("").await.ctx("blank")?.is_none(),
        "blank token"
    );
    let hash = Secret::new("$argon2id$reset".to_owned());
    check_eq!(
        store
            .reset_password("rb", 300, &hash)
            .await
            .ctx("expired")?,
        None
    );
    let ub = store.user(b).await.ctx("user")?.ok_or("b vanished")?;
    check!(
        ub.password_hash.expose() != hash.expose(),
        "expired token changed nothing"
    );
    check_eq!(
        store.reset_password("", 100, &hash).await.ctx("blank")?,
        None
    );

    store
        .create_session(&session("sa", a))
        .await
        .ctx("create_session")?;
    check_eq!(
        store.reset_password("r1", 299, &hash).await.ctx("reset")?,
        Some(a)
    );
    let ua = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(ua.password_hash.expose(), hash.expose());
    check_eq!(
        store.reset_password("r1", 299, &hash).await.ctx("twice")?,
        None
    );
    check!(
        store.password_reset("r2").await.ctx("r2")?.is_none(),
        "all of a's tokens gone"
    );
    check!(
        store.password_reset("rb").await.ctx("rb")?.is_some(),
        "b's token kept"
    );
    check!(
        store.session("sa", 150).await.ctx("session")?.is_none(),
        "sessions revoked"
    );
    Ok(())
}

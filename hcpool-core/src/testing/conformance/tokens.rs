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

/// A user `email` with an API token, a session, a reset token and two pending email changes
/// (tokens `<tag>-c1`, `<tag>-c2`), all unexpired at 150.
async fn armed_user(store: &dyn Store, email: &str, tag: &str) -> Result<UserId, String> {
    let id = add_user(store, email).await?;
    check!(
        store
            .set_api_token(id, &Secret::new(format!("api-{tag}")))
            .await
            .ctx("set_api_token")?,
        "user exists"
    );
    store
        .create_session(&session(&format!("s-{tag}"), id))
        .await
        .ctx("create_session")?;
    store
        .create_password_reset(&reset(id, &format!("{tag}-r"), 3700))
        .await
        .ctx("create_password_reset")?;
    for n in 1..=2 {
        store
            .create_email_change(&change(
                id,
                &format!("{tag}-new{n}@example.com"),
                &format!("{tag}-c{n}"),
                3700,
            ))
            .await
            .ctx("create_email_change")?;
    }
    Ok(id)
}

/// Whether `id` lost everything a stolen old password or address could still use: sessions,
/// reset tokens, pending email changes and the API token (issue 12, item 3).
async fn disarmed(store: &dyn Store, id: UserId, tag: &str) -> CaseResult {
    let u = store.user(id).await.ctx("user")?.ok_or("user vanished")?;
    check_eq!(u.api_token.expose(), "");
    check!(
        store
            .user_by_api_token(&format!("api-{tag}"))
            .await
            .ctx("user_by_api_token")?
            .is_none(),
        "{tag}: the old API token finds no user"
    );
    check!(
        store
            .session(&format!("s-{tag}"), 150)
            .await
            .ctx("session")?
            .is_none(),
        "{tag}: sessions revoked"
    );
    for t in [format!("{tag}-r")] {
        check!(
            store
                .password_reset(&t)
                .await
                .ctx("password_reset")?
                .is_none(),
            "{tag}: reset token {t} revoked"
        );
    }
    for n in 1..=2 {
        let t = format!("{tag}-c{n}");
        check!(
            store.email_change(&t).await.ctx("email_change")?.is_none(),
            "{tag}: pending email change {t} revoked"
        );
        check_eq!(store.apply_email_change(&t, 150).await.ctx("apply")?, None);
    }
    Ok(())
}

pub(super) async fn credential_changes_revoke_pending_changes_and_api_token(
    store: &dyn Store,
) -> CaseResult {
    let hash = Secret::new("$argon2id$new".to_owned());
    let a = armed_user(store, "a@example.com", "a").await?;
    check!(
        store
            .change_password(a, &hash)
            .await
            .ctx("change_password")?,
        "user exists"
    );
    disarmed(store, a, "a").await?;

    let b = armed_user(store, "b@example.com", "b").await?;
    check_eq!(
        store
            .reset_password("b-r", 150, &hash)
            .await
            .ctx("reset_password")?,
        Some(b)
    );
    disarmed(store, b, "b").await?;

    let c = armed_user(store, "c@example.com", "c").await?;
    store
        .create_email_change(&change(c, "c-final@example.com", "c-final", 3700))
        .await
        .ctx("create_email_change")?;
    check_eq!(
        store
            .apply_email_change("c-final", 150)
            .await
            .ctx("apply_email_change")?,
        Some(c)
    );
    disarmed(store, c, "c").await?;

    // Another user keeps everything.
    let d = armed_user(store, "d@example.com", "d").await?;
    store.change_password(a, &hash).await.ctx("again")?;
    let u = store.user(d).await.ctx("user")?.ok_or("d vanished")?;
    check_eq!(u.api_token.expose(), "api-d");
    check!(
        store
            .email_change("d-c1")
            .await
            .ctx("email_change")?
            .is_some(),
        "d's change stays"
    );
    check!(
        store.session("s-d", 150).await.ctx("session")?.is_some(),
        "d's session stays"
    );
    Ok(())
}

pub(super) async fn upgrading_a_hash_revokes_nothing(store: &dyn Store) -> CaseResult {
    let a = armed_user(store, "a@example.com", "a").await?;
    let hash = Secret::new("$argon2id$rehashed".to_owned());
    check!(
        store
            .upgrade_password_hash(a, &hash)
            .await
            .ctx("upgrade_password_hash")?,
        "user exists"
    );
    check!(
        !store
            .upgrade_password_hash(UserId(999_999), &hash)
            .await
            .ctx("upgrade_password_hash")?,
        "no such user"
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.password_hash.expose(), "$argon2id$rehashed");
    check_eq!(u.api_token.expose(), "api-a");
    check!(
        store.session("s-a", 150).await.ctx("session")?.is_some(),
        "session stays"
    );
    check!(
        store
            .email_change("a-c1")
            .await
            .ctx("email_change")?
            .is_some(),
        "pending change stays"
    );
    check!(
        store
            .password_reset("a-r")
            .await
            .ctx("password_reset")?
            .is_some(),
        "reset token stays"
    );
    Ok(())
}

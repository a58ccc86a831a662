//! Users: create, lookups, verification, passwords, API tokens, registration, counts.

use super::{add_user, check, check_eq, expect_kind, new_user, registration, CaseResult, Ctx};
use crate::backend::store::{
    EmailVerification, PasswordReset, Session, Store, DISABLED_PASSWORD_PREFIX,
};
use crate::error::BackendKind;
use crate::ids::{Secret, UserId};
use crate::votebits::VoteBits;

pub(super) async fn create_and_get(store: &dyn Store) -> CaseResult {
    let nu = new_user("Alice@Example.com");
    let id = store.create_user(&nu).await.ctx("create_user")?;
    let u = store.user(id).await.ctx("user")?;
    let Some(u) = u else {
        return Err("created user not found by id".into());
    };
    check_eq!(u.id, id);
    check_eq!(u.email, "Alice@Example.com");
    check_eq!(u.username, "Alice@Example.com");
    check_eq!(u.password_hash.expose(), nu.password_hash.expose());
    check_eq!(u.email_verified, EmailVerification::Pending);
    check!(!u.is_verified(), "a new user must be unverified");
    check_eq!(u.email_token.expose(), nu.email_token.expose());
    check_eq!(u.api_token.expose(), "");
    check_eq!(u.vote_bits, VoteBits(1));
    check_eq!(u.vote_bits_version, 7);
    check!(u.registration.is_none(), "a new user has no registration");

    let by_email = store
        .user_by_email("alice@example.COM")
        .await
        .ctx("user_by_email")?;
    check_eq!(by_email.map(|u| u.id), Some(id));
    check!(
        store
            .user_by_email("bob@example.com")
            .await
            .ctx("user_by_email")?
            .is_none(),
        "unknown email must be None"
    );
    check!(
        store.user(UserId(id.0 + 1000)).await.ctx("user")?.is_none(),
        "unknown id must be None"
    );
    check!(
        store.user(UserId(u64::MAX)).await.ctx("user")?.is_none(),
        "an id beyond the database's range must be None"
    );
    Ok(())
}

pub(super) async fn email_is_unique_case_insensitive(store: &dyn Store) -> CaseResult {
    let id = add_user(store, "carol@example.com").await?;
    let r = store.create_user(&new_user("CAROL@example.com")).await;
    expect_kind(r, BackendKind::Conflict, "create_user with a taken email")?;
    let counts = store.user_counts().await.ctx("user_counts")?;
    check_eq!(counts.all, 1);
    let u = store.user(id).await.ctx("user")?;
    check_eq!(u.map(|u| u.email), Some("carol@example.com".to_owned()));
    Ok(())
}

pub(super) async fn ids_increase(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    let c = add_user(store, "c@example.com").await?;
    check!(a.0 >= 1, "ids start at 1, got {a}");
    check!(a < b && b < c, "ids must increase: {a} {b} {c}");
    Ok(())
}

pub(super) async fn verify_email(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    check_eq!(store.verify_email("nope").await.ctx("verify_email")?, None);
    let token = new_user("a@example.com").email_token.into_inner();
    check_eq!(
        store.verify_email(&token).await.ctx("verify_email")?,
        Some(a)
    );
    let u = store.user(a).await.ctx("user")?.ok_or("user a vanished")?;
    check_eq!(u.email_verified, EmailVerification::Verified);
    check_eq!(u.email_token.expose(), "");
    // Single use; and a consumed ('') token must never match a verified user.
    check_eq!(
        store.verify_email(&token).await.ctx("verify_email again")?,
        None
    );
    check_eq!(store.verify_email("").await.ctx("verify_email('')")?, None);
    check_eq!(
        store.verify_email(" ").await.ctx("verify_email(' ')")?,
        None
    );
    let ub = store.user(b).await.ctx("user")?.ok_or("user b vanished")?;
    check_eq!(ub.email_verified, EmailVerification::Pending);
    Ok(())
}

pub(super) async fn api_tokens(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    let c = add_user(store, "c@example.com").await?;
    for (id, email) in [(a, "a@example.com"), (b, "b@example.com")] {
        let token = new_user(email).email_token.into_inner();
        store.verify_email(&token).await.ctx("verify_email")?;
        let _ = id;
    }
    check_eq!(
        store
            .verified_users_without_api_token()
            .await
            .ctx("verified_users_without_api_token")?,
        vec![a, b]
    );
    check!(
        store
            .set_api_token(a, &Secret::new("jwt-a".into()))
            .await
            .ctx("set_api_token")?,
        "set_api_token on an existing user must say true"
    );
    check!(
        !store
            .set_api_token(UserId(c.0 + 100), &Secret::new("x".into()))
            .await
            .ctx("set_api_token")?,
        "set_api_token on a missing user must say false"
    );
    let found = store
        .user_by_api_token("jwt-a")
        .await
        .ctx("user_by_api_token")?;
    check_eq!(found.map(|u| u.id), Some(a));
    check!(
        store
            .user_by_api_token("")
            .await
            .ctx("user_by_api_token('')")?
            .is_none(),
        "an empty API token must never match"
    );
    check_eq!(
        store
            .verified_users_without_api_token()
            .await
            .ctx("verified_users_without_api_token")?,
        vec![b]
    );
    let n = store
        .set_missing_api_tokens(&[
            (a, Secret::new("overwrite".into())),
            (b, Secret::new("jwt-b".into())),
            (UserId(c.0 + 100), Secret::new("ghost".into())),
        ])
        .await
        .ctx("set_missing_api_tokens")?;
    check_eq!(n, 1);
    let ua = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(ua.api_token.expose(), "jwt-a");
    let ub = store.user(b).await.ctx("user")?.ok_or("b vanished")?;
    check_eq!(ub.api_token.expose(), "jwt-b");
    check!(
        store
            .verified_users_without_api_token()
            .await
            .ctx("again")?
            .is_empty(),
        "no verified user is left without a token"
    );
    check_eq!(store.set_missing_api_tokens(&[]).await.ctx("empty")?, 0);
    Ok(())
}

pub(super) async fn change_password(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    for (id, h) in [(a, "sa"), (a, "sa2"), (b, "sb")] {
        store
            .create_session(&Session {
                id_hash: h.into(),
                user_id: id,
                csrf_token: Secret::new("csrf".into()),
                created: 10,
                expires: 1_000,
                last_seen: 10,
            })
            .await
            .ctx("create_session")?;
    }
    store
        .create_password_reset(&PasswordReset {
            user_id: a,
            token: Secret::new("reset-a".into()),
            created: 10,
            expires: 1_000,
        })
        .await
        .ctx("create_password_reset")?;
    let hash = Secret::new("$argon2id$new".to_owned());
    check!(
        store
            .change_password(a, &hash)
            .await
            .ctx("change_password")?,
        "user exists"
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.password_hash.expose(), "$argon2id$new");
    check!(
        store.session("sa", 20).await.ctx("session")?.is_none(),
        "sessions revoked"
    );
    check!(
        store.session("sa2", 20).await.ctx("session")?.is_none(),
        "sessions revoked"
    );
    check!(
        store.session("sb", 20).await.ctx("session")?.is_some(),
        "other users' kept"
    );
    check!(
        store
            .password_reset("reset-a")
            .await
            .ctx("password_reset")?
            .is_none(),
        "reset tokens revoked"
    );
    check!(
        !store
            .change_password(UserId(b.0 + 100), &hash)
            .await
            .ctx("missing")?,
        "change_password on a missing user must say false"
    );
    Ok(())
}

pub(super) async fn register_address(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let reg = registration(1);
    check!(
        store
            .register_address(a, &reg)
            .await
            .ctx("register_address")?,
        "user exists"
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.registration, Some(reg.clone()));
    let again = store.register_address(a, &registration(2)).await;
    expect_kind(again, BackendKind::Conflict, "second registration")?;
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!(u.registration, Some(reg));
    check!(
        !store
            .register_address(UserId(a.0 + 100), &registration(3))
            .await
            .ctx("register missing")?,
        "register_address on a missing user must say false"
    );
    Ok(())
}

pub(super) async fn counts(store: &dyn Store) -> CaseResult {
    let c = store.user_counts().await.ctx("user_counts")?;
    check_eq!((c.all, c.active), (0, 0));
    let a = add_user(store, "a@example.com").await?;
    add_user(store, "b@example.com").await?;
    store
        .register_address(a, &registration(1))
        .await
        .ctx("register")?;
    let c = store.user_counts().await.ctx("user_counts")?;
    check_eq!((c.all, c.active), (2, 1));
    // Deleted accounts leave both counts at once, though a registered one's row keeps its
    // registration (a tombstone) until the erasure finishes; a disabled account still counts.
    let c_id = add_user(store, "c@example.com").await?;
    let d = add_user(store, "d@example.com").await?;
    store
        .register_address(d, &registration(4))
        .await
        .ctx("register d")?;
    let e = add_user(store, "e@example.com").await?;
    store
        .change_password(
            e,
            &Secret::new(format!("{DISABLED_PASSWORD_PREFIX}$argon2id$x")),
        )
        .await
        .ctx("disable e")?;
    let c = store.user_counts().await.ctx("user_counts")?;
    check_eq!((c.all, c.active), (5, 2));
    store.erase_account(d, 50).await.ctx("erase d")?;
    store.erase_account(c_id, 50).await.ctx("erase c")?;
    let tomb = store.user(d).await.ctx("user d")?;
    check!(
        tomb.as_ref()
            .is_some_and(|u| u.is_erased() && u.registration.is_some()),
        "the registered tombstone keeps its registration: {tomb:?}"
    );
    let c = store.user_counts().await.ctx("user_counts")?;
    check_eq!((c.all, c.active), (3, 1));
    store.finish_erasure(d, 60).await.ctx("finish d")?;
    let c = store.user_counts().await.ctx("user_counts")?;
    check_eq!((c.all, c.active), (3, 1));
    Ok(())
}

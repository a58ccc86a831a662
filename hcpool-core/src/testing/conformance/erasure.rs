//! Account deletion (`hcpool_erasures`) and the export's reads of a user's own rows.

use super::{add_user, check, check_eq, registration, CaseResult, Ctx};
use crate::backend::store::{
    erased_email, EmailChange, EmailVerification, OutboxMail, PasswordReset, Session, Store,
    ERASED_PASSWORD,
};
use crate::ids::{Secret, UserId};
use crate::votebits::VoteBits;

fn session(id_hash: &str, user_id: UserId, created: i64) -> Session {
    Session {
        id_hash: id_hash.into(),
        user_id,
        csrf_token: Secret::new(format!("csrf-{id_hash}")),
        created,
        expires: 10_000,
        last_seen: created,
    }
}

fn mail(to: &str) -> OutboxMail {
    OutboxMail {
        id: 0,
        kind: "mail".into(),
        recipient: to.into(),
        subject: "s".into(),
        body: Secret::new("b".into()),
        ip: "192.0.2.1".into(),
        attempts: 0,
        next_attempt: 0,
        created: 1,
    }
}

/// A registered user is deleted: personal data goes at once, the voting data stays until
/// the erasure is finished; the email can sign up again; ids are not reused.
pub(super) async fn delete_keeps_voting_data_until_finished(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    store
        .register_address(a, &registration(1))
        .await
        .ctx("register")?;
    store
        .set_vote_bits(a, VoteBits(5), 7)
        .await
        .ctx("votebits")?;
    store
        .set_api_token(a, &Secret::new("tok-a".into()))
        .await
        .ctx("token")?;
    for (id, user, t) in [("s1", a, 20), ("s0", a, 10), ("s3", b, 5)] {
        store
            .create_session(&session(id, user, t))
            .await
            .ctx("session")?;
    }
    store
        .create_email_change(&EmailChange {
            user_id: a,
            new_email: "a2@example.com".into(),
            token: Secret::new("ec".into()),
            created: 3,
            expires: 10_000,
        })
        .await
        .ctx("email change")?;
    store
        .create_password_reset(&PasswordReset {
            user_id: a,
            token: Secret::new("pr".into()),
            created: 3,
            expires: 10_000,
        })
        .await
        .ctx("reset")?;
    store
        .enqueue_mail(&mail("a@example.com"))
        .await
        .ctx("mail")?;
    store
        .enqueue_mail(&mail("b@example.com"))
        .await
        .ctx("mail")?;

    // The export's reads.
    let sessions = store.user_sessions(a).await.ctx("user_sessions")?;
    check_eq!(
        sessions
            .iter()
            .map(|s| s.id_hash.as_str())
            .collect::<Vec<_>>(),
        vec!["s0", "s1"]
    );
    let changes = store
        .user_email_changes(a)
        .await
        .ctx("user_email_changes")?;
    check_eq!(changes.len(), 1);
    check_eq!(changes[0].new_email, "a2@example.com");

    let started = store
        .erase_account(a, 1000)
        .await
        .ctx("erase")?
        .ok_or("erase: user not found")?;
    check_eq!(
        (started.sessions, started.mails, started.complete),
        (2, 1, false)
    );
    check!(
        store
            .erase_account(a, 1001)
            .await
            .ctx("erase again")?
            .is_none(),
        "a second erase does nothing"
    );
    let row = store.user(a).await.ctx("user")?.ok_or("row gone")?;
    check_eq!(row.email, erased_email(a));
    check_eq!(row.username, erased_email(a));
    check_eq!(row.password_hash.expose().as_str(), ERASED_PASSWORD);
    check!(row.is_erased(), "is_erased");
    check_eq!(row.email_verified, EmailVerification::Pending);
    check!(row.api_token.expose().is_empty(), "api token cleared");
    check_eq!(row.registration, Some(registration(1)));
    check_eq!((row.vote_bits, row.vote_bits_version), (VoteBits(5), 7));
    check!(
        store
            .user_by_email("a@example.com")
            .await
            .ctx("by email")?
            .is_none(),
        "old email gone"
    );
    check!(
        store
            .user_by_api_token("tok-a")
            .await
            .ctx("by token")?
            .is_none(),
        "token gone"
    );
    check!(
        store.user_sessions(a).await.ctx("sessions")?.is_empty(),
        "sessions gone"
    );
    check!(
        store.session("s3", 1).await.ctx("session")?.is_some(),
        "other users' sessions stay"
    );
    check!(
        store.user_email_changes(a).await.ctx("changes")?.is_empty(),
        "email changes gone"
    );
    check!(
        store.password_reset("pr").await.ctx("reset")?.is_none(),
        "reset gone"
    );
    let mails = store.claim_mail(10, 20, 10).await.ctx("claim")?;
    check_eq!(
        mails
            .iter()
            .map(|m| m.recipient.as_str())
            .collect::<Vec<_>>(),
        vec!["b@example.com"]
    );
    // stakepoold still gets the user's voting configuration; the wallets the script.
    let configs = store.voting_configs().await.ctx("voting_configs")?;
    check!(
        configs.iter().any(|c| c.user_id == a),
        "voting config kept while pending"
    );
    check!(
        store
            .multisig_scripts()
            .await
            .ctx("scripts")?
            .iter()
            .any(|s| s.user_id == a),
        "script kept while pending"
    );
    let pending = store.pending_erasures().await.ctx("pending")?;
    check_eq!(pending.len(), 1);
    check_eq!(pending[0].user_id, a);
    check_eq!(pending[0].requested, 1000);
    check_eq!(pending[0].erased, None);
    check_eq!(
        pending[0].multisig_address,
        Some(registration(1).multisig_address)
    );

    // The email signs up again, as a new account with a new id.
    let again = add_user(store, "A@example.com").await?;
    check!(again.0 > b.0, "new id {again:?} after {b:?}");

    check!(
        store.finish_erasure(a, 2000).await.ctx("finish")?,
        "finish pending"
    );
    check!(
        !store.finish_erasure(a, 2001).await.ctx("finish again")?,
        "finish is idempotent"
    );
    check!(
        !store.finish_erasure(b, 2001).await.ctx("finish other")?,
        "nothing pending for b"
    );
    let row = store.user(a).await.ctx("user")?.ok_or("tombstone gone")?;
    check_eq!(row.registration, None);
    check_eq!(row.vote_bits, VoteBits(1));
    check_eq!(row.email, erased_email(a));
    check!(
        !store
            .voting_configs()
            .await
            .ctx("voting_configs")?
            .iter()
            .any(|c| c.user_id == a),
        "voting config gone"
    );
    check!(
        store.pending_erasures().await.ctx("pending")?.is_empty(),
        "nothing pending"
    );
    let rec = store
        .erasure(a)
        .await
        .ctx("erasure")?
        .ok_or("record gone")?;
    check_eq!((rec.requested, rec.erased), (1000, Some(2000)));
    check!(
        store.erasure(b).await.ctx("erasure b")?.is_none(),
        "b not deleted"
    );
    Ok(())
}

/// An account without a registration is erased completely at once.
pub(super) async fn delete_unregistered_is_complete(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let started = store
        .erase_account(a, 50)
        .await
        .ctx("erase")?
        .ok_or("not found")?;
    check!(started.complete, "complete at once");
    check!(
        store.pending_erasures().await.ctx("pending")?.is_empty(),
        "nothing pending"
    );
    let rec = store.erasure(a).await.ctx("erasure")?.ok_or("no record")?;
    check_eq!(rec.erased, Some(50));
    check!(
        store
            .erase_account(UserId(9999), 50)
            .await
            .ctx("unknown")?
            .is_none(),
        "unknown user"
    );
    add_user(store, "a@example.com").await?;
    Ok(())
}

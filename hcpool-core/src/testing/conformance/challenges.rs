//! Captcha challenges: single-use, expiring, purged with the other expired rows.

use super::{check, check_eq, expect_kind, CaseResult, Ctx};
use crate::backend::store::{Challenge, Store};
use crate::error::BackendKind;
use crate::ids::Secret;

fn challenge(id_hash: &str, expires: i64) -> Challenge {
    Challenge {
        id_hash: id_hash.into(),
        answer_hash: Secret::new(format!("answer-{id_hash}")),
        created: 100,
        expires,
    }
}

pub(super) async fn single_use(store: &dyn Store) -> CaseResult {
    store
        .create_challenge(&challenge("c1", 1000))
        .await
        .ctx("create")?;
    let dup = store.create_challenge(&challenge("c1", 2000)).await;
    expect_kind(dup, BackendKind::Conflict, "duplicate challenge id")?;
    check_eq!(store.take_challenge("c1", 1000).await.ctx("expired")?, None);
    check_eq!(
        store.take_challenge("c1", 999).await.ctx("take")?,
        Some(Secret::new("answer-c1".into()))
    );
    check_eq!(store.take_challenge("c1", 999).await.ctx("again")?, None);
    check_eq!(store.take_challenge("nope", 1).await.ctx("unknown")?, None);
    Ok(())
}

pub(super) async fn purged_when_expired(store: &dyn Store) -> CaseResult {
    for (h, exp) in [("old", 150), ("edge", 200), ("live", 201)] {
        store
            .create_challenge(&challenge(h, exp))
            .await
            .ctx("create")?;
    }
    check_eq!(store.purge_expired(200).await.ctx("purge")?, 2);
    check!(
        store
            .take_challenge("live", 200)
            .await
            .ctx("live")?
            .is_some(),
        "live challenge kept"
    );
    check!(
        store.take_challenge("old", 100).await.ctx("old")?.is_none(),
        "old challenge purged"
    );
    Ok(())
}

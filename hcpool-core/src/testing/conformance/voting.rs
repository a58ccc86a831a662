//! Votebits and the bulk reads that replace hcstakepool's per-user loops.

use super::{add_user, check, check_eq, registration, CaseResult, Ctx};
use crate::backend::store::{RegisteredScript, Store};
use crate::backend::voting::UserVotingConfig;
use crate::ids::UserId;
use crate::votebits::VoteBits;

pub(super) async fn set_vote_bits(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    check!(
        store
            .set_vote_bits(a, VoteBits(5), 8)
            .await
            .ctx("set_vote_bits")?,
        "user exists"
    );
    let u = store.user(a).await.ctx("user")?.ok_or("a vanished")?;
    check_eq!((u.vote_bits, u.vote_bits_version), (VoteBits(5), 8));
    check!(
        !store
            .set_vote_bits(UserId(a.0 + 100), VoteBits(5), 8)
            .await
            .ctx("missing")?,
        "set_vote_bits on a missing user must say false"
    );
    Ok(())
}

pub(super) async fn reset_vote_bits(store: &dyn Store) -> CaseResult {
    let ok = add_user(store, "ok@example.com").await?;
    let invalid = add_user(store, "invalid@example.com").await?;
    let old = add_user(store, "old@example.com").await?;
    let old_default = add_user(store, "olddefault@example.com").await?;
    let default = add_user(store, "default@example.com").await?;
    for (id, bits, ver) in [
        (ok, 5, 7),
        (invalid, 3, 7),
        (old, 5, 6),
        (old_default, 1, 6),
        (default, 1, 7),
    ] {
        store
            .set_vote_bits(id, VoteBits(bits), ver)
            .await
            .ctx("set_vote_bits")?;
    }
    let valid = [VoteBits(1), VoteBits(5), VoteBits(3 << 8)];
    check_eq!(
        store
            .reset_vote_bits(7, &valid)
            .await
            .ctx("reset_vote_bits")?,
        3
    );
    for (id, bits) in [
        (ok, 5),
        (invalid, 1),
        (old, 1),
        (old_default, 1),
        (default, 1),
    ] {
        let u = store.user(id).await.ctx("user")?.ok_or("user vanished")?;
        check_eq!(
            (id, u.vote_bits, u.vote_bits_version),
            (id, VoteBits(bits), 7)
        );
    }
    check_eq!(store.reset_vote_bits(7, &valid).await.ctx("idempotent")?, 0);
    // 1 is always valid, even when the caller's list lacks it.
    check_eq!(
        store.reset_vote_bits(7, &[VoteBits(5)]).await.ctx("no 1")?,
        0
    );
    check_eq!(store.reset_vote_bits(8, &[]).await.ctx("new version")?, 5);
    let u = store.user(ok).await.ctx("user")?.ok_or("user vanished")?;
    check_eq!((u.vote_bits, u.vote_bits_version), (VoteBits(1), 8));
    Ok(())
}

pub(super) async fn bulk_reads(store: &dyn Store) -> CaseResult {
    check!(
        store
            .voting_configs()
            .await
            .ctx("voting_configs")?
            .is_empty(),
        "empty"
    );
    check!(
        store
            .multisig_scripts()
            .await
            .ctx("multisig_scripts")?
            .is_empty(),
        "empty"
    );
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    let c = add_user(store, "c@example.com").await?;
    // Registered out of id order: results still come in id order.
    store
        .register_address(c, &registration(3))
        .await
        .ctx("register c")?;
    store
        .register_address(a, &registration(1))
        .await
        .ctx("register a")?;
    store
        .set_vote_bits(c, VoteBits(5), 7)
        .await
        .ctx("set_vote_bits")?;
    let _ = b;
    let configs = store.voting_configs().await.ctx("voting_configs")?;
    let want = vec![
        UserVotingConfig {
            user_id: a,
            multisig_address: registration(1).multisig_address.to_string(),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        },
        UserVotingConfig {
            user_id: c,
            multisig_address: registration(3).multisig_address.to_string(),
            vote_bits: VoteBits(5),
            vote_bits_version: 7,
        },
    ];
    check_eq!(configs, want);
    let scripts = store.multisig_scripts().await.ctx("multisig_scripts")?;
    let want: Vec<RegisteredScript> = [(a, 1), (c, 3)]
        .into_iter()
        .map(|(id, n)| RegisteredScript {
            user_id: id,
            script: registration(n).multisig_script,
            height_registered: registration(n).height_registered,
        })
        .collect();
    check_eq!(scripts, want);
    Ok(())
}

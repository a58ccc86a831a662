//! Vote records (`hcpool_vote_records`): stored once per ticket (a second put of the ticket
//! keeps the first row), read per user in height order, replaced only from the block the
//! caller names, and deleted with the account.

use super::{add_user, check, check_eq, registration, CaseResult, Ctx};
use crate::backend::store::{Store, StoredVoteRecord};
use crate::ids::{Hash32, UserId};

/// A record of ticket `n` for `user` at `height`.
pub(super) fn record(user: UserId, n: u8, height: u32) -> StoredVoteRecord {
    StoredVoteRecord {
        user_id: user,
        ticket: Hash32::from_bytes([n; 32]),
        vote_tx: Hash32::from_bytes([n.wrapping_add(100); 32]),
        block_hash: Hash32::from_bytes([n.wrapping_add(200); 32]),
        block_height: height,
        votebits: 5,
        vote_version: 7,
        requested_votebits: 1,
        created: 1_700_000_000 + i64::from(n),
    }
}

pub(super) async fn stored_once_per_ticket(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    check!(
        store.vote_records(a).await.ctx("read empty")?.is_empty(),
        "nothing stored yet"
    );
    check_eq!(store.put_vote_records(&[]).await.ctx("put none")?, 0);
    // The extremes of every field survive the round trip.
    let big = StoredVoteRecord {
        block_height: u32::MAX,
        votebits: u16::MAX,
        vote_version: u32::MAX,
        requested_votebits: u16::MAX,
        created: i64::MAX,
        ..record(a, 3, 0)
    };
    let first = vec![
        record(a, 2, 500),
        big.clone(),
        record(a, 1, 500),
        record(b, 9, 10),
    ];
    check_eq!(store.put_vote_records(&first).await.ctx("put")?, 4);
    // By height, then ticket hash (display order).
    check_eq!(
        store.vote_records(a).await.ctx("read a")?,
        vec![record(a, 1, 500), record(a, 2, 500), big.clone()]
    );
    check_eq!(
        store.vote_records(b).await.ctx("read b")?,
        vec![record(b, 9, 10)]
    );
    // Another instance storing the same tickets (its own reading): the first rows stay,
    // and a new ticket in the same batch is stored.
    let again = vec![
        StoredVoteRecord {
            requested_votebits: 9,
            created: 1,
            ..record(a, 1, 500)
        },
        record(a, 4, 600),
    ];
    check_eq!(store.put_vote_records(&again).await.ctx("put again")?, 1);
    let rows = store.vote_records(a).await.ctx("read a again")?;
    check_eq!(rows.len(), 4);
    check_eq!(rows[0], record(a, 1, 500));
    check_eq!(rows[2], record(a, 4, 600));
    // A ticket stored for another user is not stored again for this one.
    check_eq!(
        store
            .put_vote_records(&[record(a, 9, 10)])
            .await
            .ctx("put b's ticket")?,
        0
    );
    check_eq!(store.vote_records(b).await.ctx("read b")?.len(), 1);
    // A batch larger than one statement.
    let c = add_user(store, "c@example.com").await?;
    let many: Vec<StoredVoteRecord> = (0..=255u8)
        .map(|n| StoredVoteRecord {
            ticket: Hash32::from_bytes([n; 32]),
            user_id: c,
            ..record(c, 50, u32::from(n))
        })
        .collect();
    // Tickets 1, 2, 3, 4 and 9 are taken by a and b.
    check_eq!(store.put_vote_records(&many).await.ctx("put many")?, 251);
    check_eq!(store.vote_records(c).await.ctx("read c")?.len(), 251);
    Ok(())
}

pub(super) async fn replaced_only_from_the_named_block(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let old = record(a, 1, 500);
    store
        .put_vote_records(std::slice::from_ref(&old))
        .await
        .ctx("put")?;
    let moved = StoredVoteRecord {
        block_hash: Hash32::from_bytes([77; 32]),
        block_height: 501,
        vote_tx: Hash32::from_bytes([78; 32]),
        votebits: 1,
        ..old.clone()
    };
    check!(
        !store
            .replace_vote_record(&moved, &Hash32::from_bytes([1; 32]))
            .await
            .ctx("replace from another block")?,
        "the row is not in that block"
    );
    check_eq!(store.vote_records(a).await.ctx("read")?, vec![old.clone()]);
    check!(
        store
            .replace_vote_record(&moved, &old.block_hash)
            .await
            .ctx("replace")?,
        "replaced from its block"
    );
    check_eq!(
        store.vote_records(a).await.ctx("read")?,
        vec![moved.clone()]
    );
    // A second instance replacing from the same stale block finds it moved already.
    check!(
        !store
            .replace_vote_record(&moved, &old.block_hash)
            .await
            .ctx("replace again")?,
        "replaced once"
    );
    let unknown = record(a, 2, 5);
    check!(
        !store
            .replace_vote_record(&unknown, &unknown.block_hash)
            .await
            .ctx("replace unknown")?,
        "no row to replace"
    );
    check!(
        store.vote_records(a).await.ctx("read")?.len() == 1,
        "nothing inserted by a replace"
    );
    Ok(())
}

pub(super) async fn deleted_with_the_account(store: &dyn Store) -> CaseResult {
    let a = add_user(store, "a@example.com").await?;
    let b = add_user(store, "b@example.com").await?;
    store
        .register_address(a, &registration(1))
        .await
        .ctx("register")?;
    store
        .put_vote_records(&[record(a, 1, 10), record(a, 2, 11), record(b, 3, 12)])
        .await
        .ctx("put")?;
    store
        .erase_account(a, 1000)
        .await
        .ctx("erase")?
        .ok_or("erase: user not found")?;
    check!(
        store.vote_records(a).await.ctx("read a")?.is_empty(),
        "a's records deleted with the account"
    );
    check_eq!(
        store.vote_records(b).await.ctx("read b")?,
        vec![record(b, 3, 12)]
    );
    // A request that was running at the deletion stores a record afterwards: finishing
    // the erasure deletes it too.
    check_eq!(
        store
            .put_vote_records(&[record(a, 4, 13)])
            .await
            .ctx("late put")?,
        1
    );
    check!(store.finish_erasure(a, 2000).await.ctx("finish")?, "finish");
    check!(
        store.vote_records(a).await.ctx("read a")?.is_empty(),
        "late record deleted when the erasure finishes"
    );
    check_eq!(store.vote_records(b).await.ctx("read b")?.len(), 1);
    Ok(())
}

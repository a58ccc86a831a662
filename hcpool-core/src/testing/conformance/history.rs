//! History samples: one per height (a second record of a height is ignored), range reads in
//! height order, deletes by height, and the retention's prune over the store.

use super::{check, check_eq, CaseResult, Ctx};
use crate::backend::store::{HistorySample, Store};
use crate::history::{prune, Retention, DAY};

fn sample(height: u32, time: i64) -> HistorySample {
    HistorySample {
        height,
        time,
        live: height * 2,
        voted: height,
        missed: height / 3,
        network_live: 40_960,
        ticket_price: 150.25,
    }
}

pub(super) async fn record_once_per_height(store: &dyn Store) -> CaseResult {
    check!(
        store.record_sample(&sample(10, 1000)).await.ctx("record")?,
        "first record of a height"
    );
    // Another instance recording the same block (a different reading) changes nothing.
    let again = HistorySample {
        live: 1,
        ..sample(10, 1001)
    };
    check!(
        !store.record_sample(&again).await.ctx("record again")?,
        "second record of a height is ignored"
    );
    // Heights may arrive out of order (a slow instance); reads are in height order.
    store.record_sample(&sample(12, 1200)).await.ctx("record")?;
    store.record_sample(&sample(11, 1100)).await.ctx("record")?;
    let big = HistorySample {
        height: u32::MAX,
        time: i64::from(u32::MAX),
        live: u32::MAX,
        voted: u32::MAX,
        missed: u32::MAX,
        network_live: u32::MAX,
        ticket_price: 1e12,
    };
    store.record_sample(&big).await.ctx("record extremes")?;
    let all = store
        .history_samples(i64::MIN, i64::MAX)
        .await
        .ctx("read all")?;
    check_eq!(all.len(), 4);
    check_eq!(all[0], sample(10, 1000));
    let heights: Vec<u32> = all.iter().map(|s| s.height).collect();
    check_eq!(heights, vec![10, 11, 12, u32::MAX]);
    check_eq!(all[3], big);
    let some = store.history_samples(1100, 1200).await.ctx("read range")?;
    check_eq!(some, vec![sample(11, 1100)]);
    check_eq!(
        store
            .delete_history_samples(&[11, 99, u32::MAX])
            .await
            .ctx("delete")?,
        2
    );
    check_eq!(
        store.delete_history_samples(&[]).await.ctx("delete none")?,
        0
    );
    let left = store
        .history_samples(i64::MIN, i64::MAX)
        .await
        .ctx("read all")?;
    check_eq!(left, vec![sample(10, 1000), sample(12, 1200)]);
    Ok(())
}

pub(super) async fn prune_by_retention(store: &dyn Store) -> CaseResult {
    let now = 100 * DAY;
    // Every 20 minutes over the last 4 days: 288 samples.
    for i in 0..288u32 {
        let t = now - 4 * DAY + i64::from(i) * 1200;
        store.record_sample(&sample(i, t)).await.ctx("record")?;
    }
    let r = Retention::default();
    let gone = prune(store, now, &r).await.ctx("prune")?;
    // The 2 days beyond the per-block window keep one sample an hour: 48 of 144.
    check_eq!(gone, 96);
    check_eq!(prune(store, now, &r).await.ctx("prune again")?, 0);
    let left = store
        .history_samples(i64::MIN, i64::MAX)
        .await
        .ctx("read")?;
    check_eq!(left.len(), 288 - 96);
    Ok(())
}

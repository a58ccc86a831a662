//! Low-fee tickets: add (all or none, no duplicates), list votable, mark voted, remove.

use super::{add_user, check, check_eq, CaseResult, Ctx};
use crate::address::Address;
use crate::backend::store::{NewLowFeeTicket, Store};
use crate::backend::voting::TicketEntry;
use crate::ids::{TicketHash, UserId};
use crate::params::Network;

fn hash(n: u8) -> TicketHash {
    TicketHash::from_bytes([n; 32])
}

/// A distinct mainnet P2SH address per `n`.
fn address(n: u8) -> Address {
    Address::p2sh(Network::Mainnet, [n; 20])
}

fn ticket(admin: UserId, n: u8, expires: i64) -> NewLowFeeTicket {
    NewLowFeeTicket {
        added_by: admin,
        ticket_address: address(n),
        ticket_hash: hash(n),
        created: 100,
        expires,
    }
}

pub(super) async fn add_and_list(store: &dyn Store) -> CaseResult {
    let admin = add_user(store, "admin@example.com").await?;
    check_eq!(store.add_low_fee_tickets(&[]).await.ctx("add nothing")?, 0);
    let n = store
        .add_low_fee_tickets(&[
            ticket(admin, 1, 5000),
            ticket(admin, 2, 150),
            ticket(admin, 1, 9),
        ])
        .await
        .ctx("add")?;
    check_eq!(n, 2);
    check_eq!(
        store
            .add_low_fee_tickets(&[ticket(admin, 2, 5000), ticket(admin, 3, 5000)])
            .await
            .ctx("add")?,
        1
    );
    let votable = store.votable_low_fee_tickets(150).await.ctx("votable")?;
    let got: Vec<_> = votable.iter().map(|t| (t.ticket_hash, t.expires)).collect();
    check_eq!(got, vec![(hash(1), 5000), (hash(3), 5000)]);
    let first = votable.first().ok_or("no votable ticket")?;
    check_eq!(first.added_by, admin);
    check_eq!(first.ticket_address, address(1));
    check_eq!((first.voted, first.created), (false, 100));
    check!(votable.windows(2).all(|w| w[0].id < w[1].id), "id order");
    let entries = store.low_fee_ticket_entries().await.ctx("entries")?;
    let want: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|n| TicketEntry {
            ticket_address: address(n).to_string(),
            ticket_hash: hash(n),
        })
        .collect();
    check_eq!(entries, want);
    Ok(())
}

pub(super) async fn remove_and_mark(store: &dyn Store) -> CaseResult {
    let admin = add_user(store, "admin@example.com").await?;
    let all: Vec<_> = (1..=4).map(|n| ticket(admin, n, 5000)).collect();
    store.add_low_fee_tickets(&all).await.ctx("add")?;
    check!(
        store
            .mark_low_fee_ticket_voted(&hash(1))
            .await
            .ctx("mark")?,
        "known hash"
    );
    check!(
        !store
            .mark_low_fee_ticket_voted(&hash(9))
            .await
            .ctx("mark")?,
        "unknown hash"
    );
    let votable = store.votable_low_fee_tickets(100).await.ctx("votable")?;
    let got: Vec<_> = votable.iter().map(|t| t.ticket_hash).collect();
    check_eq!(got, vec![hash(2), hash(3), hash(4)]);
    // Several hashes at once (hcstakepool's DELETE matched at most one).
    check_eq!(
        store
            .remove_low_fee_tickets(&[hash(2), hash(3), hash(9)])
            .await
            .ctx("remove")?,
        2
    );
    check_eq!(
        store
            .remove_low_fee_tickets(&[])
            .await
            .ctx("remove nothing")?,
        0
    );
    let entries = store.low_fee_ticket_entries().await.ctx("entries")?;
    let got: Vec<_> = entries.iter().map(|t| t.ticket_hash).collect();
    check_eq!(got, vec![hash(1), hash(4)]);
    Ok(())
}

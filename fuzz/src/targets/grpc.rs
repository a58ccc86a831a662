//! Protobuf bytes of stakepoold's messages: what the daemon decodes from the web app
//! (`SetUserVotingPrefs`, `SetAddedLowFeeTickets`) and what the web app decodes from the
//! daemon (the ticket lists, `Version`), each with the conversion the receiver applies.
//! A message that decodes re-encodes to bytes that decode to the same message, and a
//! ticket entry the daemon accepts goes back on the wire unchanged.

use hcpool_rpc::stakepoold::proto;
use hcpool_rpc::stakepoold::{ticket_from_wire, ticket_to_wire, user_from_wire, user_to_wire};
use prost::Message;

fn round_trip<M: Message + Default + PartialEq>(data: &[u8]) -> Option<M> {
    let m = M::decode(data).ok()?;
    let again = M::decode(m.encode_to_vec().as_slice()).ok();
    assert!(
        again.as_ref() == Some(&m),
        "protobuf re-encoding decodes differently"
    );
    Some(m)
}

fn tickets(list: Vec<proto::TicketEntry>) {
    for t in list {
        if let Ok(entry) = ticket_from_wire(t.clone()) {
            assert_eq!(ticket_to_wire(&entry), t, "ticket entry round trip");
        }
    }
}

/// The target.
pub fn check(data: &[u8]) {
    if let Some(m) = round_trip::<proto::SetUserVotingPrefsRequest>(data) {
        for e in m.user_voting_config {
            if let Ok(u) = user_from_wire(e.clone()) {
                // The daemon truncates votebits and version; the rest goes back unchanged.
                let back = user_to_wire(&u);
                assert!(back.as_ref().is_ok_and(
                    |b| b.user_id == e.user_id && b.multi_sig_address == e.multi_sig_address
                ));
            }
        }
    }
    if let Some(m) = round_trip::<proto::SetAddedLowFeeTicketsRequest>(data) {
        tickets(m.tickets);
    }
    if let Some(m) = round_trip::<proto::GetLiveTicketsResponse>(data) {
        tickets(m.tickets);
    }
    if let Some(m) = round_trip::<proto::GetAddedLowFeeTicketsResponse>(data) {
        tickets(m.tickets);
    }
    if let Some(m) = round_trip::<proto::GetIgnoredLowFeeTicketsResponse>(data) {
        tickets(m.tickets);
    }
    let _ = round_trip::<proto::VersionResponse>(data);
    let _ = round_trip::<proto::PingResponse>(data);
}

use super::*;
use crate::ids::UserId;

fn h(n: u8) -> TicketHash {
    TicketHash::from_bytes([n; 32])
}

fn state() -> VoterState {
    let mut s = VoterState::new(WalletVoteDefaults {
        vote_bits: VoteBits(1),
        vote_bits_extended: vec![7, 0, 0, 0],
        vote_version: 7,
    });
    s.set_user_voting_prefs(vec![
        UserVotingConfig {
            user_id: UserId(1),
            multisig_address: "TcA".into(),
            vote_bits: VoteBits(5),
            vote_bits_version: 7,
        },
        UserVotingConfig {
            user_id: UserId(2),
            multisig_address: "TcB".into(),
            vote_bits: VoteBits(3),
            vote_bits_version: 6,
        },
    ]);
    s
}

#[test]
fn winners_vote_with_owner_bits_or_defaults() {
    let mut s = state();
    s.add_ticket(h(1), "TcA".into(), FeeCheck::Paid);
    s.add_ticket(h(2), "TcB".into(), FeeCheck::Paid);
    s.add_ticket(h(3), "TcUnknown".into(), FeeCheck::Paid);
    let votes = s.votes_for(&[h(1), h(2), h(3), h(9)]);
    assert_eq!(votes.len(), 3, "unmanaged winner h(9) is skipped");
    assert_eq!(votes[0].vote_bits, VoteBits(5));
    assert_eq!(votes[0].source, BitsSource::User);
    assert_eq!(votes[1].vote_bits, VoteBits(1));
    assert_eq!(votes[1].source, BitsSource::VersionMismatch);
    assert_eq!(votes[2].vote_bits, VoteBits(1));
    assert_eq!(votes[2].source, BitsSource::UnknownUser);
}

#[test]
fn low_fee_tickets_are_ignored_until_added_and_again_after_removal() {
    let mut s = state();
    s.add_ticket(h(4), "TcA".into(), FeeCheck::NotPaid);
    assert!(s.votes_for(&[h(4)]).is_empty());
    assert_eq!(s.ignored().len(), 1);
    s.set_added_low_fee_tickets(vec![TicketEntry {
        ticket_address: "TcA".into(),
        ticket_hash: h(4),
    }]);
    assert_eq!(s.votes_for(&[h(4)]).len(), 1);
    assert!(s.ignored().is_empty());
    assert_eq!(s.added().len(), 1);
    s.set_added_low_fee_tickets(vec![]);
    assert!(
        s.votes_for(&[h(4)]).is_empty(),
        "removed from added: no longer voted"
    );
    assert_eq!(s.ignored().len(), 1);
}

#[test]
fn added_ticket_goes_live_without_fee_check_and_survives_rescan() {
    let mut s = state();
    s.set_added_low_fee_tickets(vec![TicketEntry {
        ticket_address: "TcA".into(),
        ticket_hash: h(5),
    }]);
    s.add_ticket(h(5), "TcA".into(), FeeCheck::NotPaid);
    assert_eq!(s.live_count(), 1);
    // A rescan that found it but sorted it by fee still votes it.
    s.replace_tickets(HashMap::new(), HashMap::from([(h(5), "TcA".to_owned())]));
    assert_eq!(s.live_count(), 1);
    assert!(s.ignored().is_empty());
}

#[test]
fn an_added_ticket_is_live_only_while_the_wallet_has_it_live() {
    let mut s = state();
    // Added (the web's list) before the wallet listed it: nothing to vote yet.
    s.set_added_low_fee_tickets(vec![TicketEntry {
        ticket_address: "TcA".into(),
        ticket_hash: h(6),
    }]);
    assert_eq!(s.live_count(), 0, "not one of the pool's live tickets");
    s.add_ticket(h(6), "TcA".into(), FeeCheck::NotPaid);
    assert_eq!(
        s.live_count(),
        1,
        "found in the wallet: live without a fee check"
    );
    // Voted while the daemon was down: the rescan does not list it.
    s.replace_tickets(HashMap::new(), HashMap::new());
    assert_eq!(s.live_count(), 0, "gone from the wallet's live tickets");
}

#[test]
fn a_dropped_added_ticket_goes_to_ignored_only_while_it_is_live() {
    let mut s = state();
    let added = |t: &[u8]| {
        t.iter()
            .map(|n| TicketEntry {
                ticket_address: "TcA".into(),
                ticket_hash: h(*n),
            })
            .collect::<Vec<_>>()
    };
    s.add_ticket(h(7), "TcA".into(), FeeCheck::NotPaid);
    s.add_ticket(h(8), "TcA".into(), FeeCheck::NotPaid);
    s.set_added_low_fee_tickets(added(&[7, 8, 9]));
    assert_eq!(s.live_count(), 2);
    // h(7) is voted; h(9) was never seen live (a stale row after a restart).
    s.remove_tickets(&[h(7)]);
    s.set_added_low_fee_tickets(vec![]);
    let ignored: Vec<TicketHash> = s.ignored().iter().map(|e| e.ticket_hash).collect();
    assert_eq!(
        ignored,
        vec![h(8)],
        "only the still-live one is ignored again"
    );
    assert_eq!(s.live_count(), 0);
    // Adding a spent ticket again does not bring it back.
    s.set_added_low_fee_tickets(added(&[7]));
    assert_eq!(s.live_count(), 0);
    assert_eq!(s.ignored().len(), 1);
}

#[test]
fn spent_and_missed_are_forgotten() {
    let mut s = state();
    s.add_ticket(h(1), "TcA".into(), FeeCheck::Paid);
    s.add_ticket(h(2), "TcA".into(), FeeCheck::NotPaid);
    s.remove_tickets(&[h(1), h(2)]);
    assert_eq!(s.live_count(), 0);
    assert!(s.ignored().is_empty());
}

#[test]
fn user_lookup() {
    let s = state();
    assert!(s.is_user_multisig("TcA"));
    assert!(!s.is_user_multisig("TcZ"));
    assert_eq!(s.user_count(), 2);
}

#[test]
fn unknown_winners_are_those_neither_live_nor_ignored() {
    let mut s = state();
    s.add_ticket(h(1), "TcA".into(), FeeCheck::Paid);
    s.add_ticket(h(2), "TcA".into(), FeeCheck::NotPaid);
    assert_eq!(s.unknown(&[h(1), h(2), h(3), h(4)]), vec![h(3), h(4)]);
    s.add_ticket(h(3), "TcB".into(), FeeCheck::Paid);
    assert_eq!(s.unknown(&[h(1), h(3), h(4)]), vec![h(4)]);
}

#[test]
fn a_spent_ticket_is_not_brought_back_by_a_late_lookup() {
    let mut s = state();
    s.remove_tickets(&[h(1)]);
    s.add_ticket(h(1), "TcA".into(), FeeCheck::Paid);
    assert_eq!(
        s.live_count(),
        0,
        "spent before its newtickets lookup finished"
    );
    s.add_ticket(h(2), "TcA".into(), FeeCheck::Paid);
    assert_eq!(s.live_count(), 1);
}

#[test]
fn the_memory_of_spent_tickets_is_bounded() {
    let mut s = state();
    let many: Vec<TicketHash> = (0..=GONE_CAPACITY as u32)
        .map(|i| {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&i.to_le_bytes());
            TicketHash::from_bytes(b)
        })
        .collect();
    s.remove_tickets(&many);
    // The oldest one was forgotten: it may be added again; the newest may not.
    s.add_ticket(many[0], "TcA".into(), FeeCheck::Paid);
    s.add_ticket(many[GONE_CAPACITY], "TcA".into(), FeeCheck::Paid);
    assert_eq!(s.live().len(), 1);
    assert_eq!(s.live()[0].ticket_hash, many[0]);
}

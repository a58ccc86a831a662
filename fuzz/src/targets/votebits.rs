//! Votebits against a network's agendas. Input: byte 0 picks the network, byte 1 the vote
//! version (below 128: one of the network's deployments; from 128: version `b - 128`), bytes 2..4 the votebits (LE), the rest
//! is text: the API's `VoteBits` value on the first line, then `agenda=choice` pairs (`&`
//! separated) as the voting page selects them, then extended votebits hex.
//!
//! Properties: the validity rule agrees with the exhaustive list of valid values; valid
//! bits decode to one choice per agenda and encode back to the same bits; what `encode`
//! builds is valid.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use hcpool_core::params::Agenda;
use hcpool_core::votebits::parse_api_votebits;
use hcpool_core::{ExtendedVoteBits, Network, VoteBits};

/// Every valid votebits value per (network, vote version), ascending.
type ValidLists = HashMap<(Network, u32), Vec<VoteBits>>;

/// Whether `bits` is in `VoteBits::all_valid` (computed once per network and version).
fn listed_valid(bits: VoteBits, net: Network, version: u32, agendas: &[Agenda]) -> bool {
    static CACHE: OnceLock<Mutex<ValidLists>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry((net, version))
        .or_insert_with(|| VoteBits::all_valid(agendas))
        .binary_search(&bits)
        .is_ok()
}

fn check_bits(bits: VoteBits, net: Network, version: u32, agendas: &[Agenda]) {
    let valid = bits.is_valid_for(agendas);
    assert_eq!(bits.validate(agendas).is_ok(), valid);
    let listed = listed_valid(bits, net, version, agendas);
    assert_eq!(
        valid, listed,
        "is_valid_for disagrees with all_valid for {bits}"
    );
    let decoded = bits.decode(agendas);
    assert_eq!(decoded.len(), agendas.len());
    if valid && bits != VoteBits::DEFAULT {
        let pairs: Option<Vec<(&str, &str)>> = decoded
            .iter()
            .map(|(a, c)| c.map(|c| (a.id, c.id)))
            .collect();
        let pairs = pairs.unwrap_or_default();
        assert_eq!(
            pairs.len(),
            agendas.len(),
            "valid bits without a choice for every agenda"
        );
        assert_eq!(
            VoteBits::encode(&pairs, agendas).ok(),
            Some(bits),
            "decode/encode round trip"
        );
    }
}

/// The target.
pub fn check(data: &[u8]) {
    let [n, v, lo, hi, rest @ ..] = data else {
        return;
    };
    let net = Network::ALL[usize::from(*n) % Network::ALL.len()];
    let params = net.params();
    let version = match params.deployments.len() {
        len if len > 0 && *v < 128 => params.deployments[usize::from(*v) % len].vote_version,
        _ => u32::from(*v & 0x7f),
    };
    let agendas = params.agendas(version);
    check_bits(
        VoteBits(u16::from_le_bytes([*lo, *hi])),
        net,
        version,
        agendas,
    );

    let Some(text) = crate::text(rest) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    if let Ok(bits) = parse_api_votebits(lines.next().unwrap_or_default()) {
        check_bits(bits, net, version, agendas);
    }
    let pairs: Vec<(&str, &str)> = lines
        .next()
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .collect();
    if let Ok(bits) = VoteBits::encode(&pairs, agendas) {
        assert!(bits.is_valid_for(agendas), "encode built invalid bits");
        check_bits(bits, net, version, agendas);
    }
    if let Ok(ext) = ExtendedVoteBits::from_hex(lines.next().unwrap_or_default()) {
        assert_eq!(
            ExtendedVoteBits::from_hex(&ext.to_hex()).ok(),
            Some(ext.clone())
        );
        assert_eq!(
            ExtendedVoteBits::from_bytes(ext.as_bytes()).ok(),
            Some(ext.clone())
        );
        let _ = ext.vote_version();
    }
}

//! The one place where wire replies become hcpool-core values (and core values become
//! wire strings).

use hcpool_core::backend::{
    BestBlock, MultisigInfo, StakeInfo, StakePoolUserInfo, TicketStatus, UserTicket,
    ValidatedAddress, WalletInfo, WalletTransaction,
};
use hcpool_core::{Address, Hash32, RedeemScript, VoteBits};

use crate::error::{truncate, Error, Result, ECHO_MAX};
use crate::jsonrpc::replies::{
    BestBlockReply, CreateMultisigReply, GetTransactionReply, ListScriptsReply, StakeInfoReply,
    StakePoolUserInfoReply, ValidateAddressReply, WalletInfoReply,
};

fn hash(method: &str, s: &str) -> Result<Hash32> {
    s.parse().map_err(|_| {
        Error::bad_reply(
            method,
            format!("{:?} is not a 64-digit hex hash", truncate(s, ECHO_MAX)),
        )
    })
}

fn hex_bytes(method: &str, s: &str) -> Result<Vec<u8>> {
    hex::decode(s)
        .map_err(|_| Error::bad_reply(method, format!("{:?} is not hex", truncate(s, ECHO_MAX))))
}

fn height(method: &str, h: i64) -> Result<u32> {
    u32::try_from(h).map_err(|_| Error::bad_reply(method, format!("height {h} out of range")))
}

/// `walletinfo`.
pub fn wallet_info(r: WalletInfoReply) -> Result<WalletInfo> {
    Ok(WalletInfo {
        daemon_connected: r.daemonconnected,
        unlocked: r.unlocked,
        tx_fee: r.txfee,
        ticket_fee: r.ticketfee,
        ticket_purchasing: r.ticketpurchasing,
        vote_bits: VoteBits(r.votebits),
        vote_bits_extended: hex_bytes("walletinfo", &r.votebitsextended)?,
        vote_version: r.voteversion,
        voting: r.voting,
    })
}

/// `validateaddress`.
pub fn validated_address(r: ValidateAddressReply) -> Result<ValidatedAddress> {
    // Interim: pubkey-addresses need core's codec (keys work); until then an undecodable
    // `pubkeyaddr` is reported as absent and logged.
    let pubkey_addr = r
        .pubkeyaddr
        .as_deref()
        .and_then(|s| match decode_address(s) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::debug!(error = %e, "validateaddress: pubkeyaddr not decoded");
                None
            }
        });
    let pubkey = r
        .pubkey
        .as_deref()
        .map(|p| hex_bytes("validateaddress", p))
        .transpose()?;
    Ok(ValidatedAddress {
        is_valid: r.isvalid,
        is_mine: r.ismine,
        pubkey_addr,
        pubkey,
        account: r.account,
    })
}

/// `createmultisig`.
pub fn multisig_info(r: CreateMultisigReply) -> Result<MultisigInfo> {
    let address = decode_address(&r.address)
        .map_err(|e| Error::bad_reply("createmultisig", format!("address: {e}")))?;
    Ok(MultisigInfo {
        address,
        redeem_script: RedeemScript::from_bytes(hex_bytes("createmultisig", &r.redeem_script)?),
    })
}

/// `listscripts`: one undecodable script fails the whole call, as in the Go client.
pub fn scripts(r: ListScriptsReply) -> Result<Vec<RedeemScript>> {
    r.scripts
        .into_iter()
        .map(|s| hex_bytes("listscripts", &s.redeemscript).map(RedeemScript::from_bytes))
        .collect()
}

/// `getbestblock`.
pub fn best_block(r: BestBlockReply) -> Result<BestBlock> {
    Ok(BestBlock {
        hash: hash("getbestblock", &r.hash)?,
        height: height("getbestblock", r.height)?,
    })
}

/// `getstakeinfo`.
pub fn stake_info(r: StakeInfoReply) -> StakeInfo {
    StakeInfo {
        block_height: r.blockheight,
        pool_size: r.poolsize,
        difficulty: r.difficulty,
        all_mempool_tix: r.allmempooltix,
        own_mempool_tix: r.ownmempooltix,
        immature: r.immature,
        live: r.live,
        proportion_live: r.proportionlive,
        voted: r.voted,
        total_subsidy: r.totalsubsidy,
        missed: r.missed,
        proportion_missed: r.proportionmissed,
        revoked: r.revoked,
        expired: r.expired,
    }
}

/// A `stakepooluserinfo` status string.
pub fn ticket_status(s: &str) -> TicketStatus {
    match s {
        "live" => TicketStatus::Live,
        "voted" => TicketStatus::Voted,
        "missed" => TicketStatus::Missed,
        "expired" => TicketStatus::Expired,
        other => TicketStatus::Other(other.to_owned()),
    }
}

/// `stakepooluserinfo`.
pub fn stake_pool_user_info(r: StakePoolUserInfoReply) -> Result<StakePoolUserInfo> {
    const M: &str = "stakepooluserinfo";
    let tickets = r
        .tickets
        .into_iter()
        .map(|t| {
            Ok(UserTicket {
                status: ticket_status(&t.status),
                ticket: hash(M, &t.ticket)?,
                ticket_height: t.ticketheight,
                spent_by: if t.spentby.is_empty() {
                    Hash32::default()
                } else {
                    hash(M, &t.spentby)?
                },
                spent_by_height: t.spentbyheight,
            })
        })
        .collect::<Result<_>>()?;
    let invalid = r
        .invalid
        .iter()
        .map(|h| hash(M, h))
        .collect::<Result<_>>()?;
    Ok(StakePoolUserInfo { tickets, invalid })
}

/// A list of display-hex hashes.
pub fn hashes(method: &str, list: &[String]) -> Result<Vec<Hash32>> {
    list.iter().map(|h| hash(method, h)).collect()
}

/// A single display-hex hash (`sendrawtransaction`).
pub fn one_hash(method: &str, s: &str) -> Result<Hash32> {
    hash(method, s)
}

/// A hex blob (`getrawtransaction`, `generatevote`, `getblockheader`).
pub fn blob(method: &str, s: &str) -> Result<Vec<u8>> {
    hex_bytes(method, s)
}

/// `gettransaction`.
pub fn wallet_transaction(r: GetTransactionReply) -> Result<WalletTransaction> {
    const M: &str = "gettransaction";
    Ok(WalletTransaction {
        txid: hash(M, &r.txid)?,
        hex: hex_bytes(M, &r.hex)?,
        block_hash: if r.blockhash.is_empty() {
            None
        } else {
            Some(hash(M, &r.blockhash)?)
        },
        detail_addresses: r.details.into_iter().filter_map(|d| d.address).collect(),
    })
}

/// The `Height` field (u32 LE at offset 128) of a serialized 180-byte block header.
pub fn header_height(header: &[u8]) -> Result<u32> {
    if header.len() < 180 {
        return Err(Error::bad_reply(
            "getblockheader",
            format!("header is {} bytes, expected 180", header.len()),
        ));
    }
    let b: [u8; 4] = header
        .get(128..132)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::bad_reply("getblockheader", "short header"))?;
    Ok(u32::from_le_bytes(b))
}

/// The timestamp (Unix seconds) of a serialized 180-byte header (offset 136).
pub fn header_time(header: &[u8]) -> Result<u32> {
    if header.len() < 180 {
        return Err(Error::bad_reply(
            "getblockheader",
            format!("header is {} bytes, expected 180", header.len()),
        ));
    }
    let b: [u8; 4] = header
        .get(136..140)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::bad_reply("getblockheader", "short header"))?;
    Ok(u32::from_le_bytes(b))
}

/// The block hash of a serialized header: BLAKE-256 of its first 180 bytes.
pub fn header_hash(header: &[u8]) -> Result<Hash32> {
    let h = header
        .get(..180)
        .ok_or_else(|| Error::bad_reply("blockconnected", "header shorter than 180 bytes"))?;
    Ok(Hash32::from_bytes(hcpool_core::hash::blake256(h)))
}

/// The `txhashblob` param of `existslivetickets` / `existsmissedtickets`: the hashes'
/// internal-order bytes, concatenated, as hex.
pub fn hash_blob(hashes: &[Hash32]) -> String {
    let mut s = String::with_capacity(hashes.len() * 64);
    for h in hashes {
        s.push_str(&hex::encode(h.as_bytes()));
    }
    s
}

/// The reply of `existslivetickets` / `existsmissedtickets`: a hex bitset, bit `i` (LSB
/// first within each byte) for hash `i`; `n` flags.
pub fn bitset(method: &str, s: &str, n: usize) -> Result<Vec<bool>> {
    let bytes = hex_bytes(method, s)?;
    if bytes.len() < n.div_ceil(8) {
        return Err(Error::bad_reply(
            method,
            format!("{} bytes for {n} tickets", bytes.len()),
        ));
    }
    Ok((0..n)
        .map(|i| bytes.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
        .collect())
}

// --- Address strings -------------------------------------------------------------------

/// The string form of an address, as the wallet expects it in params (`pubkeyaddr` form
/// for public keys, as hcrpcclient sends `addr.String()`).
pub fn encode_address(address: &Address) -> String {
    address.to_string()
}

/// Parses an address string from a reply (hcd's `DecodeAddress` rules, via hcpool-core).
pub fn decode_address(s: &str) -> Result<Address> {
    s.parse::<Address>()
        .map_err(|e| Error::bad_reply("address", format!("{:?}: {e}", truncate(s, ECHO_MAX))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_core::AddressKind;

    #[test]
    fn p2sh_round_trips_with_the_spec_example() {
        // hc-chain-facts.md §5.2 worked example.
        let a = decode_address("Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5").unwrap();
        assert_eq!(a.kind(), AddressKind::ScriptHash);
        assert_eq!(
            hex::encode(a.payload()),
            "ec88207ed39718748025a17fa9a39a7cd0d04b73"
        );
        assert_eq!(encode_address(&a), "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5");
        assert!(decode_address("Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF6").is_err());
    }

    #[test]
    fn pubkey_addresses_decode_to_the_compressed_key() {
        // hc-chain-facts.md §5.2: the pool key of the worked example.
        let a = decode_address("TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor").unwrap();
        assert!(a.kind().is_pubkey());
        assert_eq!(
            hex::encode(a.secp_pubkey_compressed().unwrap()),
            "039e741c51929d4deecd3390cabb42b83ace7811aceb5213705bf903a827715f96"
        );
        assert_eq!(
            encode_address(&a),
            "TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor"
        );
    }

    #[test]
    fn ticket_bitsets_as_hcd_sends_them() {
        // hcd-existslivetickets.json: [live ticket, unknown] → "01".
        let live: Hash32 = "2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267"
            .parse()
            .unwrap();
        let unknown = Hash32::from_bytes([0x11; 32]);
        assert_eq!(
            hash_blob(&[live, unknown]),
            "67c254595eb96c1a0be3ee9f33d57f8b12eaee953180ba0931e4b03808cc982a\
             1111111111111111111111111111111111111111111111111111111111111111"
        );
        assert_eq!(bitset("m", "01", 2).unwrap(), vec![true, false]);
        assert_eq!(
            bitset("m", "0201", 10).unwrap(),
            vec![false, true, false, false, false, false, false, false, true, false]
        );
        assert!(bitset("m", "01", 9).is_err(), "too short");
        assert!(bitset("m", "zz", 1).is_err());
    }

    #[test]
    fn header_height_reads_offset_128() {
        let mut h = vec![0u8; 180];
        h[128..132].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(header_height(&h).unwrap(), 1000);
        assert!(header_height(&h[..100]).is_err());
        h[136..140].copy_from_slice(&1_600_000_123u32.to_le_bytes());
        assert_eq!(header_time(&h).unwrap(), 1_600_000_123);
        assert!(header_time(&h[..179]).is_err());
    }
}

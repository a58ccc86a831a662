//! The simulated hcd's methods (hcwallet-rpc.md §2.3), also reached through a wallet's
//! pass-through.

use hcpool_core::{Address, Hash32, Network};
use serde_json::{json, Value};

use super::chain::{Chain, MempoolKind, TicketState};
use super::envelope::{Params, Request, RpcError};

/// `hcdjsonrpcapi` 3.1.0.
pub fn hcd_version() -> Value {
    json!({"versionstring":"3.1.0","major":3,"minor":1,"patch":0,"prerelease":"","buildmetadata":""})
}

/// Atoms to coins, as the JSON floats carry them.
pub fn coins(atoms: i64) -> f64 {
    atoms as f64 / 1e8
}

/// Parses a display-order hash parameter the way hcd reports a bad one.
pub fn parse_hash(s: &str) -> Result<Hash32, RpcError> {
    s.parse::<Hash32>().map_err(|_| {
        RpcError::new(
            -22,
            format!(
                "Argument must be hexadecimal string (not {:?})",
                truncate(s)
            ),
        )
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Decodes a hex parameter the way hcd reports a bad one.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, RpcError> {
    hex::decode(s).map_err(|_| {
        RpcError::new(
            -22,
            format!(
                "Argument must be hexadecimal string (not {:?})",
                truncate(s)
            ),
        )
    })
}

/// Node methods that need no connection state. `Ok(None)` = not a node method.
///
/// hcd reports bad parameters as `-8 "Parse error: …"` where hcwallet says `-32600`.
pub fn call(chain: &mut Chain, network: Network, req: &Request) -> Result<Option<Value>, RpcError> {
    call_inner(chain, network, req).map_err(|e| {
        if e.code == -32600 {
            let detail = e.message.trim_start_matches("Invalid request: ");
            RpcError::new(-8, format!("Parse error: {detail}"))
        } else {
            e
        }
    })
}

fn call_inner(
    chain: &mut Chain,
    network: Network,
    req: &Request,
) -> Result<Option<Value>, RpcError> {
    let m = req.method.as_str();
    let v = match m {
        "version" => {
            Params::new(&req.params, 0)?;
            json!({"hcdjsonrpcapi": hcd_version()})
        }
        "getcurrentnet" => {
            Params::new(&req.params, 0)?;
            json!(network.params().net_magic)
        }
        "ping" => {
            Params::new(&req.params, 0)?;
            Value::Null
        }
        "getbestblock" => {
            Params::new(&req.params, 0)?;
            let (hash, height) = chain.tip();
            json!({"hash": hash.to_string(), "height": height})
        }
        "getblockcount" => {
            Params::new(&req.params, 0)?;
            json!(chain.tip().1)
        }
        "getblockhash" => {
            let p = Params::new(&req.params, 1)?;
            let h = p.i64(0)?;
            let b = u32::try_from(h)
                .ok()
                .and_then(|h| chain.block_at(h))
                .ok_or_else(|| RpcError::new(-1, format!("Block number out of range: {h}")))?;
            json!(b.hash.to_string())
        }
        "getblockheader" => {
            let p = Params::new(&req.params, 2)?;
            let hash = parse_hash(p.str(0)?)?;
            let verbose = p.bool_or(1, true)?;
            let height = chain
                .height_of(&hash)
                .ok_or_else(|| RpcError::new(-5, format!("Block not found: {hash}")))?;
            let b = chain
                .block_at(height)
                .ok_or_else(|| RpcError::new(-5, format!("Block not found: {hash}")))?;
            if verbose {
                verbose_header(chain, height, &b.header, b.time)
            } else {
                json!(hex::encode(b.header))
            }
        }
        "getrawmempool" => {
            let p = Params::new(&req.params, 2)?;
            let _verbose = p.bool_or(0, false)?;
            let kind = match p.opt_str(1)?.unwrap_or("all") {
                "all" => MempoolKind::All,
                "tickets" => MempoolKind::Tickets,
                "votes" => MempoolKind::Votes,
                "revocations" => MempoolKind::Revocations,
                other => {
                    return Err(RpcError::invalid_parameter(format!(
                        "Invalid transaction type: {other}"
                    )))
                }
            };
            json!(chain
                .mempool(kind)
                .iter()
                .map(Hash32::to_string)
                .collect::<Vec<_>>())
        }
        "existslivetickets" => {
            let p = Params::new(&req.params, 1)?;
            let blob = parse_hex(p.str(0)?)?;
            if blob.len() % 32 != 0 {
                return Err(RpcError::invalid_parameter(
                    "Invalid hash length (must be multiple of 32 bytes)",
                ));
            }
            // Concatenated internal-order hashes in, a little-endian bitset out.
            let mut bits = vec![0u8; blob.len() / 32 / 8 + usize::from(blob.len() / 32 % 8 != 0)];
            for (i, chunk) in blob.chunks_exact(32).enumerate() {
                let hash = Hash32::from_slice(chunk).unwrap_or_default();
                let live = chain
                    .tickets
                    .get(&hash)
                    .is_some_and(|t| t.state == TicketState::Live);
                if live {
                    if let Some(b) = bits.get_mut(i / 8) {
                        *b |= 1 << (i % 8);
                    }
                }
            }
            json!(hex::encode(bits))
        }
        "gettxout" => {
            let p = Params::new(&req.params, 3)?;
            let hash = parse_hash(p.str(0)?)?;
            let index = p.i64(1)?;
            tx_out(chain, network, &hash, index)
        }
        "getrawtransaction" => {
            let p = Params::new(&req.params, 2)?;
            let hash = parse_hash(p.str(0)?)?;
            let verbose = p.i64_or(1, 0)?;
            let tx = chain.txs.get(&hash).ok_or_else(|| {
                RpcError::new(
                    -5,
                    format!("No information available about transaction {hash}"),
                )
            })?;
            if verbose == 0 {
                json!(hex::encode(&tx.raw))
            } else {
                verbose_tx(chain, network, &hash, &tx.raw, tx.height)
            }
        }
        "sendrawtransaction" => {
            let p = Params::new(&req.params, 2)?;
            let raw = parse_hex(p.str(0)?)?;
            let hash = chain.submit_raw(&raw)?;
            json!(hash.to_string())
        }
        "getstakedifficulty" => {
            Params::new(&req.params, 0)?;
            let d = coins(chain.params.stake_difficulty);
            json!({"current": d, "next": d})
        }
        "existsmissedtickets" => {
            // `txhashblob`: internal-order hashes concatenated; the reply is a bitset, bit i
            // (LSB first) set while ticket i is missed or expired and not yet revoked.
            let p = Params::new(&req.params, 1)?;
            let blob = parse_hex(p.str(0)?)?;
            if blob.len() % 32 != 0 {
                return Err(RpcError::new(-22, "Bad hash blob length"));
            }
            let mut bits = vec![0u8; (blob.len() / 32).div_ceil(8)];
            for (i, h) in blob.chunks(32).enumerate() {
                let hash = Hash32::from_slice(h).map_err(|e| RpcError::new(-22, e.to_string()))?;
                let missed = chain.tickets.get(&hash).is_some_and(|t| {
                    matches!(
                        t.state,
                        super::chain::TicketState::Missed | super::chain::TicketState::Expired
                    )
                });
                if missed {
                    if let Some(b) = bits.get_mut(i / 8) {
                        *b |= 1 << (i % 8);
                    }
                }
            }
            json!(hex::encode(bits))
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// The verbose `getblockheader`: hcd's fields, `chainwork` an empty string, no
/// `nextblockhash` at the tip (DIFFERENCES.md §6).
fn verbose_header(chain: &Chain, height: u32, header: &[u8; 180], time: u32) -> Value {
    let le16 = |a: usize| u16::from_le_bytes([header[a], header[a + 1]]);
    let le32 =
        |a: usize| u32::from_le_bytes([header[a], header[a + 1], header[a + 2], header[a + 3]]);
    let hash = |r: std::ops::Range<usize>| {
        Hash32::from_slice(&header[r])
            .unwrap_or_default()
            .to_string()
    };
    let tip = chain.tip().1;
    let mut v = json!({
        "hash": chain.block_at(height).map(|b| b.hash.to_string()).unwrap_or_default(),
        "confirmations": tip.saturating_sub(height) + 1,
        "version": le32(0),
        "previousblockhash": hash(4..36),
        "merkleroot": hash(36..68),
        "stakeroot": hash(68..100),
        "votebits": le16(100),
        "finalstate": hex::encode(&header[102..108]),
        "voters": le16(108),
        "freshstake": header[110],
        "revocations": header[111],
        "poolsize": le32(112),
        "bits": format!("{:08x}", le32(116)),
        "sbits": coins(chain.params.stake_difficulty),
        "height": height,
        "size": le32(132),
        "time": time,
        "nonce": le32(140),
        "stakeversion": le32(176),
        "chainwork": "",
        "difficulty": 1,
    });
    if let Some(next) = chain
        .block_at(height.saturating_add(1))
        .filter(|_| height < tip)
    {
        if let Some(o) = v.as_object_mut() {
            o.insert("nextblockhash".into(), json!(next.hash.to_string()));
        }
    }
    v
}

/// hcd's disassembly and classification of an output script the simulator writes.
fn script_pubkey(network: Network, script: &[u8]) -> Value {
    let hex = hex::encode(script);
    let h20 = |h: &[u8]| <[u8; 20]>::try_from(h).ok();
    match script {
        [0xba, 0xa9, 0x14, h @ .., 0x87] if h.len() == 20 => {
            let a = h20(h).map(|h| Address::p2sh(network, h).to_string());
            json!({"asm": format!("OP_SSTX OP_HASH160 {} OP_EQUAL", hex::encode(h)),
                   "hex": hex, "reqSigs": 1, "type": "stakesubmission", "addresses": [a]})
        }
        [0x6a, 0x1f, rest @ ..] if rest.len() == 31 => {
            let mut amount = [0u8; 8];
            amount.copy_from_slice(&rest[21..29]);
            let p2sh = amount[7] & 0x80 != 0;
            amount[7] &= 0x7f;
            let a = h20(&rest[..20]).map(|h| {
                if p2sh {
                    Address::p2sh(network, h)
                } else {
                    Address::p2pkh(network, h)
                }
                .to_string()
            });
            json!({"asm": format!("OP_RETURN {}", hex::encode(rest)), "hex": hex,
                   "type": "sstxcommitment", "addresses": [a],
                   "commitamt": coins(i64::from_le_bytes(amount))})
        }
        [tag @ 0xbb..=0xbd, 0x76, 0xa9, 0x14, h @ .., 0x88, 0x00, 0xbe] if h.len() == 20 => {
            let (op, kind) = match tag {
                0xbb => ("OP_SSGEN", "stakegen"),
                0xbc => ("OP_SSRTX", "stakerevoke"),
                _ => ("OP_SSTXCHANGE", "sstxchange"),
            };
            let a = h20(h).map(|h| Address::p2pkh(network, h).to_string());
            json!({"asm": format!("{op} OP_DUP OP_HASH160 {} OP_EQUALVERIFY 0 OP_CHECKSIGALT",
                                  hex::encode(h)),
                   "hex": hex, "reqSigs": 1, "type": kind, "addresses": [a]})
        }
        [0x6a, _, rest @ ..] => {
            json!({"asm": format!("OP_RETURN {}", hex::encode(rest)), "hex": hex,
                   "type": "nulldata"})
        }
        _ => json!({"asm": "", "hex": hex, "type": "nonstandard"}),
    }
}

/// The disassembly of a push-only signature script: `0` for OP_0, each push as its hex.
fn push_asm(script: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut rest = script;
    while let [op, tail @ ..] = rest {
        match *op {
            0 => {
                parts.push("0".to_owned());
                rest = tail;
            }
            n @ 1..=0x4b if tail.len() >= usize::from(n) => {
                let (data, after) = tail.split_at(usize::from(n));
                parts.push(hex::encode(data));
                rest = after;
            }
            _ => {
                parts.push("[error]".to_owned());
                break;
            }
        }
    }
    parts.join(" ")
}

/// The verbose `getrawtransaction` (hcd's decoded form of the simulator's transactions).
fn verbose_tx(
    chain: &Chain,
    network: Network,
    hash: &Hash32,
    raw: &[u8],
    height: Option<u32>,
) -> Value {
    let Some(tx) = super::stake_txs::decode(raw) else {
        return json!({"hex": hex::encode(raw), "txid": hash.to_string()});
    };
    let vin: Vec<Value> = tx
        .inputs
        .iter()
        .map(|i| {
            let common = (i.value_in, i.block_height);
            let op = &i.previous_outpoint;
            if op.hash == Hash32::default() && op.index == u32::MAX {
                json!({"stakebase": hex::encode(&i.signature_script), "sequence": u32::MAX,
                       "amountin": coins(common.0), "blockheight": common.1,
                       "blockindex": u32::MAX})
            } else {
                json!({"txid": op.hash.to_string(),
                       "vout": op.index, "tree": op.tree, "sequence": u32::MAX,
                       "amountin": coins(common.0), "blockheight": common.1,
                       "blockindex": u32::MAX,
                       "scriptSig": {"asm": push_asm(&i.signature_script),
                                     "hex": hex::encode(&i.signature_script)}})
            }
        })
        .collect();
    let vout: Vec<Value> = tx
        .outputs
        .iter()
        .enumerate()
        .map(|(n, o)| {
            json!({"value": coins(o.value), "n": n, "version": 0,
                   "scriptPubKey": script_pubkey(network, &o.pk_script)})
        })
        .collect();
    let mut v = json!({"hex": hex::encode(raw), "txid": hash.to_string(), "version": 1,
                       "locktime": 0, "expiry": 0, "vin": vin, "vout": vout,
                       "blockheight": height.unwrap_or(0)});
    if let (Some(h), Some(o)) = (height, v.as_object_mut()) {
        let block = chain.block_at(h);
        o.insert(
            "blockhash".into(),
            json!(block.map(|b| b.hash.to_string()).unwrap_or_default()),
        );
        o.insert(
            "confirmations".into(),
            json!(chain.tip().1.saturating_sub(h) + 1),
        );
        let time = block.map_or(0, |b| b.time);
        o.insert("time".into(), json!(time));
        o.insert("blocktime".into(), json!(time));
    }
    v
}

/// `gettxout` of a ticket's output 0 (the only outputs the simulated chain tracks);
/// anything else, or a spent ticket, is `null` as in hcd.
fn tx_out(chain: &Chain, network: Network, hash: &Hash32, index: i64) -> Value {
    let Some(t) = chain.tickets.get(hash) else {
        return Value::Null;
    };
    let unspent = matches!(
        t.state,
        TicketState::Mempool | TicketState::Immature | TicketState::Live | TicketState::Missed
    );
    let Some(out) = t.tx.outputs.first().filter(|_| index == 0 && unspent) else {
        return Value::Null;
    };
    let (tip_hash, tip) = chain.tip();
    let confirmations = t.height.map_or(0, |h| tip.saturating_sub(h) + 1);
    let address = Address::p2sh(network, t.script_hash).to_string();
    json!({"bestblock": tip_hash.to_string(), "confirmations": confirmations,
           "value": coins(out.value),
           "scriptPubKey": {"asm": format!("OP_SSTX OP_HASH160 {} OP_EQUAL", hex::encode(t.script_hash)),
                            "hex": hex::encode(&out.pk_script), "reqSigs": 1,
                            "type": "stakesubmission", "addresses": [address]},
           "version": 1, "coinbase": false})
}

/// The registrations that exist only on hcd's websocket.
pub const NOTIFY_METHODS: [&str; 4] = [
    "notifyblocks",
    "notifywinningtickets",
    "notifynewtickets",
    "notifyspentandmissedtickets",
];

//! The simulated hcd's methods (hcwallet-rpc.md §2.3), also reached through a wallet's
//! pass-through.

use hcpool_core::Hash32;
use serde_json::{json, Value};

use super::chain::Chain;
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
pub fn call(chain: &mut Chain, net_magic: u32, req: &Request) -> Result<Option<Value>, RpcError> {
    call_inner(chain, net_magic, req).map_err(|e| {
        if e.code == -32600 {
            let detail = e.message.trim_start_matches("Invalid request: ");
            RpcError::new(-8, format!("Parse error: {detail}"))
        } else {
            e
        }
    })
}

fn call_inner(chain: &mut Chain, net_magic: u32, req: &Request) -> Result<Option<Value>, RpcError> {
    let m = req.method.as_str();
    let v = match m {
        "version" => {
            Params::new(&req.params, 0)?;
            json!({"hcdjsonrpcapi": hcd_version()})
        }
        "getcurrentnet" => {
            Params::new(&req.params, 0)?;
            json!(net_magic)
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
                let tip = chain.tip().1;
                let next = chain
                    .block_at(height.saturating_add(1))
                    .map(|b| b.hash.to_string());
                let prev = height
                    .checked_sub(1)
                    .and_then(|h| chain.block_at(h))
                    .map(|b| b.hash.to_string());
                json!({"hash": hash.to_string(), "confirmations": tip - height + 1,
                       "version": 1, "previousblockhash": prev, "height": height,
                       "time": b.time, "sbits": coins(chain.params.stake_difficulty),
                       "nextblockhash": next})
            } else {
                json!(hex::encode(b.header))
            }
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
                let tip = chain.tip().1;
                let block = tx.height.and_then(|h| chain.block_at(h));
                json!({"hex": hex::encode(&tx.raw), "txid": hash.to_string(),
                       "blockhash": block.map(|b| b.hash.to_string()).unwrap_or_default(),
                       "blockheight": tx.height.unwrap_or(0),
                       "confirmations": tx.height.map_or(0, |h| tip - h + 1)})
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

/// The registrations that exist only on hcd's websocket.
pub const NOTIFY_METHODS: [&str; 4] = [
    "notifyblocks",
    "notifywinningtickets",
    "notifynewtickets",
    "notifyspentandmissedtickets",
];

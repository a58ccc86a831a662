//! The simulated hcwallet's methods (hcwallet-rpc.md §2.2, §6.5).

use hcpool_core::Hash32;
use serde_json::{json, Value};

use super::chain::{Chain, TicketState};
use super::envelope::{Params, Request, RpcError};
use super::keys::{hash160, Decoded, SimKeys};
use super::node_methods::{coins, hcd_version, parse_hash};
use super::stake_txs;
use super::wallet::{UserTicketStatus, WalletState};

/// Per-call context of a wallet method.
pub struct WalletCtx<'a> {
    /// The shared chain.
    pub chain: &'a mut Chain,
    /// This wallet.
    pub wallet: &'a mut WalletState,
    /// Address support.
    pub keys: &'a SimKeys,
    /// Answer differently from the peer wallets (fault injection).
    pub inconsistent: bool,
}

fn wallet_version() -> Value {
    json!({"versionstring":"4.1.0","major":4,"minor":1,"patch":0,"prerelease":"","buildmetadata":""})
}

/// Wallet methods. `Ok(None)` = not a wallet method (pass it through to the node).
pub fn call(cx: &mut WalletCtx<'_>, req: &Request) -> Result<Option<Value>, RpcError> {
    let ps = &req.params;
    let v = match req.method.as_str() {
        "walletinfo" => {
            Params::new(ps, 0)?;
            let w = &cx.wallet;
            let vv = w.vote_version + u32::from(cx.inconsistent);
            json!({"daemonconnected": w.daemon_connected, "unlocked": w.unlocked,
                   "txfee": 0.001, "ticketfee": 0.001, "ticketpurchasing": false,
                   "votebits": w.votebits, "votebitsextended": hex::encode(vv.to_le_bytes()),
                   "voteversion": vv, "voting": w.voting})
        }
        "version" => {
            Params::new(ps, 0)?;
            json!({"hcdjsonrpcapi": hcd_version(), "hcwalletjsonrpcapi": wallet_version()})
        }
        "getbestblock" => {
            Params::new(ps, 0)?;
            let (hash, height) = cx.wallet.tip;
            json!({"hash": hash.to_string(), "height": height})
        }
        // hcwallet answers `getinfo` from its hcd's `getinfo` with wallet fields added:
        // `blocks` is the node's tip (a lagging wallet's own tip is `getbestblock`).
        "getinfo" => {
            Params::new(ps, 0)?;
            if !cx.wallet.daemon_connected {
                return Err(RpcError::new(-1, "Chain RPC is inactive"));
            }
            let (_, height) = cx.chain.tip();
            json!({"version": 2000300, "protocolversion": 6, "walletversion": 7,
                   "balance": 0.0, "blocks": height, "timeoffset": 0, "connections": 1,
                   "proxy": "", "difficulty": 1.0, "testnet": false, "keypoololdest": 0,
                   "keypoolsize": 0, "unlocked_until": 0, "paytxfee": 0.001,
                   "relayfee": 0.001, "errors": ""})
        }
        "getmasterpubkey" => {
            let p = Params::new(ps, 1)?;
            check_account(p.opt_str(0)?.unwrap_or("default"))?;
            json!(cx.keys.voting_xpub())
        }
        "accountsyncaddressindex" => {
            let p = Params::new(ps, 3)?;
            let account = p.str(0)?;
            let _branch = p.i64(1)?;
            let index = p.i64(2)?;
            check_account(account)?;
            let index = u32::try_from(index)
                .ok()
                .filter(|i| *i < 1 << 31)
                .ok_or_else(|| RpcError::wallet(format!("invalid child index {index}")))?;
            cx.wallet.watched_index = cx.wallet.watched_index.max(index);
            Value::Null
        }
        "validateaddress" => {
            let p = Params::new(ps, 1)?;
            validate_address(cx, p.str(0)?)
        }
        "createmultisig" => {
            let p = Params::new(ps, 3)?;
            create_multisig(cx, p.i64(0)?, p.array(1)?)?
        }
        "importscript" => {
            let p = Params::new(ps, 3)?;
            let script = go_hex(p.str(0)?)?;
            let rescan = p.bool_or(1, true)?;
            let from = p.i64_or(2, 0)?;
            if script.is_empty() {
                return Err(RpcError::wallet("passed empty script"));
            }
            let h = hash160(&script);
            cx.wallet.import_script(script, h);
            if rescan {
                cx.wallet.rescan(
                    cx.keys,
                    cx.chain,
                    u32::try_from(from.max(0)).unwrap_or(u32::MAX),
                );
            }
            Value::Null
        }
        "listscripts" => {
            Params::new(ps, 0)?;
            let scripts: Vec<Value> = cx
                .wallet
                .scripts
                .iter()
                .map(|s| {
                    let h = hash160(s);
                    json!({"hash160": hex::encode(h), "address": cx.keys.p2sh_address(&h),
                           "redeemscript": hex::encode(s)})
                })
                .collect();
            json!({ "scripts": scripts })
        }
        "getstakeinfo" => {
            Params::new(ps, 0)?;
            stake_info(cx)
        }
        "stakepooluserinfo" => {
            let p = Params::new(ps, 1)?;
            user_info(cx, p.str(0)?)?
        }
        "gettickets" => {
            let p = Params::new(ps, 1)?;
            let immature = p.bool_or(0, false)?;
            json!({ "hashes": tickets(cx, immature) })
        }
        "gettransaction" => {
            let p = Params::new(ps, 2)?;
            get_transaction(cx, parse_hash(p.str(0)?)?)?
        }
        "addticket" => {
            let p = Params::new(ps, 1)?;
            add_ticket(cx, &go_hex(p.str(0)?)?)?;
            Value::Null
        }
        "generatevote" => {
            let p = Params::new(ps, 5)?;
            let block = parse_hash(p.str(0)?)?;
            let height = p.i64(1)?;
            let ticket = parse_hash(p.str(2)?)?;
            let bits = p.i64(3)?;
            let ext = go_hex(p.str(4)?)?;
            generate_vote(cx, block, height, ticket, bits, &ext)?
        }
        "revoketickets" => {
            Params::new(ps, 0)?;
            revoke_tickets(cx)?;
            Value::Null
        }
        "getticketfee" => {
            Params::new(ps, 0)?;
            json!(0.001)
        }
        "getvotechoices" => {
            Params::new(ps, 0)?;
            json!({"version": cx.wallet.vote_version, "choices": [
                {"agendaid": "maxblocksize",
                 "agendadescription": "Change maximum allowed block size from 1MiB to 1.25MB",
                 "choiceid": "abstain", "choicedescription": "abstain voting for change"}]})
        }
        "ticketsforaddress" => {
            let p = Params::new(ps, 1)?;
            tickets_for_address(cx, p.str(0)?)?
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// hcwallet knows one account here, `default` (and `imported` for scripts).
fn check_account(account: &str) -> Result<(), RpcError> {
    if account == "default" {
        Ok(())
    } else {
        Err(RpcError::wallet(format!(
            "account name '{account}' not found"
        )))
    }
}

/// hcutil's `DecodeAddress` error text: base58 that does not decode (a character outside
/// the alphabet, or too short) is "invalid format" (DIFFERENCES.md §5, stakepooluserinfo).
fn go_address_error(addr: &str, detail: &str) -> String {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if addr.len() < 5 || addr.chars().any(|c| !ALPHABET.contains(c)) {
        "decoded address is of unknown format: invalid format: version and/or checksum bytes \
         missing"
            .to_owned()
    } else {
        format!("decoded address is of unknown format: {detail}")
    }
}

/// Decodes hex as Go's `hex.DecodeString` does, with its error text as hcwallet reports
/// it: `-4 "encoding/hex: invalid byte: U+007A 'z'"` or `"encoding/hex: odd length hex
/// string"` (DIFFERENCES.md §17: the wallet says −4 where hcd says −22).
pub fn go_hex(s: &str) -> Result<Vec<u8>, RpcError> {
    if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
        let shown = if c.is_control() {
            format!("U+{:04X}", u32::from(c))
        } else {
            format!("U+{:04X} '{c}'", u32::from(c))
        };
        return Err(RpcError::wallet(format!(
            "encoding/hex: invalid byte: {shown}"
        )));
    }
    hex::decode(s).map_err(|_| RpcError::wallet("encoding/hex: odd length hex string"))
}

fn validate_address(cx: &WalletCtx<'_>, addr: &str) -> Value {
    let decoded = match cx.keys.decode(addr) {
        Ok(d) => d,
        Err(_) => return json!({"isvalid": false}),
    };
    match decoded {
        // A pubkey address: valid, answered with its P2PKH address and nothing else, even
        // for the wallet's own key (DIFFERENCES.md §14).
        Decoded::PubKey(pk) => {
            return json!({"isvalid": true, "address": cx.keys.p2pkh_address(&hash160(&pk))});
        }
        Decoded::ScriptHash(h) => {
            if let Some(s) = cx.wallet.scripts.iter().find(|s| hash160(s) == h) {
                let addresses: Vec<String> = multisig_keys(s)
                    .iter()
                    .map(|pk| cx.keys.p2pkh_address(&hash160(pk)))
                    .collect();
                let required = s.first().map_or(1, |op| op.saturating_sub(0x50));
                return json!({"isvalid": true, "address": addr, "ismine": true,
                              "isscript": true, "account": "imported",
                              "addresses": addresses, "hex": hex::encode(s),
                              "script": "multisig", "sigsrequired": required});
            }
        }
        Decoded::PubKeyHash(_) => {}
    }
    match cx.keys.find_owned(addr, cx.wallet.watched_index) {
        Some(k) => {
            let mut pubkey = k.pubkey_hex.clone();
            if cx.inconsistent {
                pubkey = format!(
                    "{}{}",
                    if pubkey.starts_with("02") { "03" } else { "02" },
                    &pubkey[2..]
                );
            }
            json!({"isvalid": true, "address": addr, "ismine": true,
                   "pubkeyaddr": k.pubkey_addr, "pubkey": pubkey,
                   "iscompressed": true, "account": "default"})
        }
        None => json!({"isvalid": true, "address": addr}),
    }
}

/// The 33-byte keys of a bare multisig script `OP_m <33 B>… OP_n OP_CHECKMULTISIG`.
fn multisig_keys(script: &[u8]) -> Vec<[u8; 33]> {
    let mut keys = Vec::new();
    let mut rest = script.get(1..).unwrap_or_default();
    while let [33, tail @ ..] = rest {
        let Some((key, after)) = tail.split_first_chunk::<33>() else {
            break;
        };
        keys.push(*key);
        rest = after;
    }
    keys
}

fn create_multisig(cx: &WalletCtx<'_>, n: i64, keys: &[Value]) -> Result<Value, RpcError> {
    // OP_1..OP_16 encode both counts.
    if n < 1 || n as usize > keys.len() || keys.len() > 16 {
        return Err(RpcError::wallet(format!(
            "unable to make multisig script: {n} of {} keys",
            keys.len()
        )));
    }
    let mut pubkeys = Vec::with_capacity(keys.len());
    for k in keys {
        let s = k
            .as_str()
            .ok_or_else(|| RpcError::invalid_request("keys must be strings"))?;
        let pk = match cx.keys.decode(s) {
            Ok(Decoded::PubKey(pk)) => pk,
            Ok(_) => cx
                .keys
                .find_owned(s, cx.wallet.watched_index)
                .map(|k| k.pubkey)
                .ok_or_else(|| RpcError::wallet(format!("no pubkey known for {s}")))?,
            Err(e) => return Err(RpcError::new(-5, format!("Invalid address or key: {e}"))),
        };
        pubkeys.push(pk);
    }
    if cx.inconsistent {
        pubkeys.reverse();
    }
    let mut script = vec![0x50 + n as u8];
    for pk in &pubkeys {
        script.push(33);
        script.extend_from_slice(pk);
    }
    script.push(0x50 + pubkeys.len() as u8);
    script.push(0xae);
    let h = hash160(&script);
    Ok(json!({"address": cx.keys.p2sh_address(&h), "redeemScript": hex::encode(script)}))
}

fn own_tickets(cx: &WalletCtx<'_>) -> Vec<(Hash32, TicketState)> {
    cx.wallet.own_tickets(cx.chain)
}

fn tickets_for_address(cx: &WalletCtx<'_>, addr: &str) -> Result<Value, RpcError> {
    let h = match cx.keys.decode(addr) {
        Ok(Decoded::ScriptHash(h)) | Ok(Decoded::PubKeyHash(h)) => h,
        Ok(Decoded::PubKey(pk)) => hash160(&pk),
        Err(e) => return Err(RpcError::wallet(e)),
    };
    let list: Vec<String> = own_tickets(cx)
        .into_iter()
        .filter(|(t, _)| cx.chain.tickets.get(t).is_some_and(|c| c.script_hash == h))
        .map(|(t, _)| t.to_string())
        .collect();
    Ok(json!({ "tickets": list }))
}

fn tickets(cx: &WalletCtx<'_>, include_immature: bool) -> Vec<String> {
    own_tickets(cx)
        .into_iter()
        .filter(|(_, s)| {
            *s == TicketState::Live || (include_immature && *s == TicketState::Immature)
        })
        .map(|(h, _)| h.to_string())
        .collect()
}

/// `getstakeinfo`. Its `missed` is not exact in the real hcwallet either (DIFFERENCES.md
/// §12: the same wallet at the same height read 3, then 1 after a restart); here it counts
/// missed, revoked and expired tickets, and nothing may rely on it (hcpool compares only
/// `live` across wallets).
fn stake_info(cx: &WalletCtx<'_>) -> Value {
    let mut c = [0u32; 6]; // immature, live, voted, missed, revoked, expired
    for (_, s) in own_tickets(cx) {
        let i = match s {
            TicketState::Immature => 0,
            TicketState::Live => 1,
            TicketState::Voted => 2,
            TicketState::Missed => 3,
            TicketState::Revoked => 4,
            TicketState::Expired => 5,
            _ => continue,
        };
        c[i] += 1;
    }
    let live = c[1] + u32::from(cx.inconsistent);
    let poolsize = cx.chain.live_count() as u32;
    let missed = c[3] + c[4] + c[5];
    let plive = if poolsize == 0 {
        0.0
    } else {
        f64::from(live) / f64::from(poolsize)
    };
    let pmissed = if c[2] + missed == 0 {
        0.0
    } else {
        f64::from(missed) / f64::from(c[2] + missed)
    };
    json!({"blockheight": cx.wallet.tip.1, "poolsize": poolsize,
           "difficulty": coins(cx.chain.params.stake_difficulty),
           "allmempooltix": cx.chain.mempool_ticket_count(), "ownmempooltix": 0,
           "immature": c[0], "live": live, "proportionlive": plive, "voted": c[2],
           "totalsubsidy": coins(cx.chain.params.vote_subsidy * i64::from(c[2])),
           "missed": missed, "proportionmissed": pmissed, "revoked": c[4], "expired": c[5]})
}

fn user_info(cx: &WalletCtx<'_>, addr: &str) -> Result<Value, RpcError> {
    let h = match cx.keys.decode(addr) {
        Ok(Decoded::ScriptHash(h)) | Ok(Decoded::PubKeyHash(h)) => h,
        Ok(Decoded::PubKey(_)) => {
            return Err(RpcError::wallet(
                "stake pool user address must be P2PKH or P2SH",
            ))
        }
        Err(e) => return Err(RpcError::wallet(go_address_error(addr, &e))),
    };
    let Some(user) = cx.wallet.pool_users.get(&h) else {
        return Ok(json!({"tickets": null, "invalid": null}));
    };
    let expiry = cx.chain.params.ticket_expiry;
    let tickets: Vec<Value> = user
        .tickets
        .iter()
        .map(|t| {
            let status = match t.status {
                UserTicketStatus::Live => "live",
                UserTicketStatus::Voted => "voted",
                UserTicketStatus::Missed
                    if t.spent_by_height.saturating_sub(t.height) >= expiry =>
                {
                    "expired"
                }
                UserTicketStatus::Missed => "missed",
            };
            json!({"status": status, "ticket": t.ticket.to_string(), "ticketheight": t.height,
                   "spentby": t.spent_by.to_string(), "spentbyheight": t.spent_by_height})
        })
        .collect();
    let invalid: Vec<String> = user.invalid.iter().map(Hash32::to_string).collect();
    Ok(
        json!({"tickets": if tickets.is_empty() { Value::Null } else { json!(tickets) },
              "invalid": if invalid.is_empty() { Value::Null } else { json!(invalid) }}),
    )
}

fn get_transaction(cx: &WalletCtx<'_>, hash: Hash32) -> Result<Value, RpcError> {
    let t = cx
        .wallet
        .txstore
        .get(&hash)
        .ok_or_else(|| RpcError::new(-5, "No information for transaction"))?;
    let tip = cx.chain.tip().1;
    let (blockhash, confirmations, blocktime) = match t.block {
        Some((b, h)) => (
            b.to_string(),
            tip.saturating_sub(h) + 1,
            cx.chain.block_at(h).map_or(0, |b| b.time),
        ),
        None => (String::new(), 0, 0),
    };
    let tx = stake_txs::decode(&t.raw);
    let price = tx
        .as_ref()
        .and_then(|tx| tx.outputs.first())
        .map_or(0, |o| o.value);
    let (amount, details): (i64, Vec<Value>) = match (t.msa, tx.as_ref()) {
        (Some(h), _) => (
            price,
            vec![
                json!({"account": "imported", "address": cx.keys.p2sh_address(&h),
                       "amount": coins(price), "category": "receive", "vout": 0}),
            ],
        ),
        // A vote or revocation the wallet sent: one `send` detail per output with a zero
        // `fee`, no address for the OP_RETURN outputs (DIFFERENCES.md §18).
        (None, Some(tx)) => {
            let details = tx
                .outputs
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let mut d = json!({"account": "", "amount": -coins(o.value),
                                       "category": "send", "fee": 0, "vout": i});
                    if let (Some(a), Some(obj)) =
                        (payout_address(cx, &o.pk_script), d.as_object_mut())
                    {
                        obj.insert("address".into(), json!(a));
                    }
                    d
                })
                .collect();
            let spent = tx
                .inputs
                .get(1)
                .or(tx.inputs.first())
                .map_or(Hash32::default(), |i| i.previous_outpoint.hash);
            let ticket_price = cx
                .chain
                .tickets
                .get(&spent)
                .and_then(|t| t.tx.outputs.first())
                .map_or(0, |o| o.value);
            (-ticket_price, details)
        }
        (None, None) => (0, Vec::new()),
    };
    Ok(
        json!({"amount": coins(amount), "confirmations": confirmations, "blockhash": blockhash,
              "blockindex": 0, "blocktime": blocktime, "txid": hash.to_string(),
              "walletconflicts": [], "time": t.time, "timereceived": t.time,
              "details": details, "hex": hex::encode(&t.raw)}),
    )
}

/// The address a stake payout script (`bb`/`bc` + P2PKH or P2SH) pays.
fn payout_address(cx: &WalletCtx<'_>, script: &[u8]) -> Option<String> {
    match script {
        [_, 0x76, 0xa9, 0x14, h @ .., 0x88, 0x00, 0xbe] => {
            Some(cx.keys.p2pkh_address(&<[u8; 20]>::try_from(h).ok()?))
        }
        [_, 0xa9, 0x14, h @ .., 0x87] => Some(cx.keys.p2sh_address(&<[u8; 20]>::try_from(h).ok()?)),
        _ => None,
    }
}

fn add_ticket(cx: &mut WalletCtx<'_>, raw: &[u8]) -> Result<(), RpcError> {
    // Go's wire decoder: a short buffer is "unexpected EOF" (−4, as every wallet error).
    let tx = stake_txs::decode(raw).ok_or_else(|| RpcError::wallet("unexpected EOF"))?;
    let msa = stake_txs::ticket_script_hash(&tx)
        .ok_or_else(|| RpcError::wallet("transaction is not a ticket"))?;
    let hash = tx.hash();
    if !cx.wallet.added.contains(&hash) {
        cx.wallet.added.push(hash);
    }
    // hcwallet asks hcd for the height: 0 while the ticket waits in the mempool.
    let height = cx
        .chain
        .tickets
        .get(&hash)
        .and_then(|t| t.height)
        .unwrap_or(0);
    let known_script = cx.wallet.script_hashes.contains(&msa);
    let live = super::wallet::UserTicket {
        ticket: hash,
        status: UserTicketStatus::Live,
        height,
        spent_by: Hash32::default(),
        spent_by_height: 0,
    };
    if let Some(user) = cx.wallet.pool_users.get_mut(&msa) {
        if let Some(pos) = user.invalid.iter().position(|h| *h == hash) {
            user.invalid.remove(pos);
            if let Some(t) = user.tickets.iter_mut().find(|t| t.ticket == hash) {
                t.height = height;
            } else {
                user.tickets.push(live);
            }
            return Ok(());
        }
    }
    // Not mined yet: recorded as live at height 0 (DIFFERENCES.md §13).
    if height == 0 && known_script {
        let user = cx.wallet.pool_users.entry(msa).or_default();
        if !user.tickets.iter().any(|t| t.ticket == hash) {
            user.tickets.push(live);
        }
    }
    Ok(())
}

fn generate_vote(
    cx: &WalletCtx<'_>,
    block: Hash32,
    height: i64,
    ticket: Hash32,
    bits: i64,
    ext: &[u8],
) -> Result<Value, RpcError> {
    if !cx.wallet.unlocked {
        return Err(RpcError::new(
            -13,
            "Enter the wallet passphrase with walletpassphrase first",
        ));
    }
    let height = u32::try_from(height).map_err(|_| RpcError::wallet("invalid height"))?;
    let bits = u16::try_from(bits).map_err(|_| RpcError::wallet("invalid votebits"))?;
    let tx = cx
        .wallet
        .build_vote(cx.chain, &block, height, &ticket, bits, ext)
        // hcwallet HEAD's text; the pinned 581eee8 said "ticket purchase transaction not
        // found" (DIFFERENCES.md §1).
        .ok_or_else(|| RpcError::wallet("not exist"))?;
    Ok(json!({"hex": hex::encode(tx.encode())}))
}

/// `revoketickets`: a revocation for every missed or expired ticket the wallet has voting
/// rights for, sent to hcd. The wallets revoke by themselves as soon as hcd reports a ticket
/// missed ([`WalletState::auto_revoke`]), so an explicit call then fails as the real one
/// does: `-1 "Rejected transaction <h>: already have transaction <h>"` while the revocation
/// waits in the mempool (DIFFERENCES.md §9). `null` when there is nothing to revoke.
fn revoke_tickets(cx: &mut WalletCtx<'_>) -> Result<(), RpcError> {
    if !cx.wallet.unlocked {
        return Err(RpcError::new(
            -13,
            "Enter the wallet passphrase with walletpassphrase first",
        ));
    }
    cx.wallet.revoke_missed(cx.chain).map(|_| ())
}

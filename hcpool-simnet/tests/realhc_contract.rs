//! The contract with the real programs: every exchange recorded with the real hcd and
//! hcwallet (`tests/data/realhc-transcripts`, copied from `../shared/realhc/transcripts`)
//!
//! (a) goes through the client's reply decoders (`jsonrpc::replies`, `convert`, `notify`):
//!     every real reply decodes, every real error maps to its error kind and code;
//! (b) is replayed against the simulator, with the simulator's own hashes, addresses and
//!     transactions substituted for the real ones: the reply must have the real one's JSON
//!     shape (keys, types, nesting), error code and error message pattern.
//!
//! What the simulator deliberately does not model is listed by name in [`NOT_REPLAYED`]
//! and [`NOT_DECODED`], each with its reason; any other record that is not checked fails.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use hcpool_core::tx::Transaction;
use hcpool_core::{BackendKind, Hash32, Network, PoolKeys, RedeemScript, UserId, Vote};
use hcpool_rpc::jsonrpc::envelope::{parse_incoming, Incoming};
use hcpool_rpc::jsonrpc::notify::chain_notification;
use hcpool_rpc::jsonrpc::replies::{
    BestBlockReply, CreateMultisigReply, GenerateVoteReply, GetTicketsReply, GetTransactionReply,
    ListScriptsReply, StakeInfoReply, StakePoolUserInfoReply, TicketsForAddressReply,
    ValidateAddressReply, VersionReply, WalletInfoReply,
};
use hcpool_rpc::jsonrpc::{convert, Notification};
use hcpool_rpc::{Error, RpcError};
use hcpool_simnet::{
    Role, SimCluster, SimConfig, TicketPurchase, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use serde_json::{json, Value};
use support::{post, Ws, PASS, USER};

// --- The records -------------------------------------------------------------------------

/// One recorded exchange (or, for `hcd-notifications-missed`, notifications only).
struct Record {
    /// `wallet-getstakeinfo#5`, `pinned/wallet-walletinfo#0`, …
    id: String,
    label: String,
    server: String,
    transport: String,
    request: Value,
    response_raw: Option<String>,
    notifications: Vec<Value>,
    http_status: Option<u16>,
    http_headers: BTreeMap<String, String>,
}

impl Record {
    fn method(&self) -> &str {
        self.request["method"].as_str().unwrap_or("")
    }

    fn params(&self) -> &[Value] {
        self.request["params"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn response(&self) -> Option<Value> {
        serde_json::from_str(self.response_raw.as_deref()?).ok()
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/realhc-transcripts")
}

fn load_dir(dir: &Path, prefix: &str, out: &mut Vec<Record>) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        if path.is_dir() {
            let sub = path.file_name().unwrap().to_string_lossy().into_owned();
            load_dir(&path, &format!("{prefix}{sub}/"), out);
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_none_or(|e| e != "json") || name == "DIFF" {
            continue;
        }
        let list: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for (i, r) in list.into_iter().enumerate() {
            let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
            let request_raw = s("request_raw");
            let request = r.get("request").cloned().unwrap_or_else(|| {
                request_raw
                    .as_deref()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Null)
            });
            let notifications = match r.get("notifications_raw").and_then(Value::as_array) {
                Some(raw) => raw
                    .iter()
                    .map(|t| serde_json::from_str(t.as_str().unwrap()).unwrap())
                    .collect(),
                None => r
                    .get("notifications")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            };
            out.push(Record {
                id: format!("{prefix}{name}#{i}"),
                label: s("label").unwrap_or_default(),
                server: s("server").unwrap_or_default(),
                transport: s("transport").unwrap_or_default(),
                request,
                response_raw: s("response_raw"),
                notifications,
                http_status: r
                    .get("http_status")
                    .and_then(Value::as_u64)
                    .map(|v| v as u16),
                http_headers: r
                    .get("http_headers")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").into()))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }
}

fn records() -> Vec<Record> {
    let mut out = Vec::new();
    load_dir(&data_dir(), "", &mut out);
    assert!(
        out.len() > 150,
        "transcripts missing: {} records",
        out.len()
    );
    out
}

// --- (a) the client's decoders -----------------------------------------------------------

/// Methods the client never calls, so it has no decoder for them (their replies are
/// still replayed against the simulator in (b), or listed in [`NOT_REPLAYED`]).
const NOT_DECODED: &[(&str, &str)] = &[
    ("getrawmempool", "hcpool does not read hcd's mempool"),
    (
        "existslivetickets",
        "hcpool does not ask hcd which tickets are live",
    ),
    ("gettxout", "hcpool does not read unspent outputs"),
    (
        "getstakedifficulty",
        "hcpool reads the difficulty from getstakeinfo",
    ),
    ("getblockcount", "hcpool reads heights from getbestblock"),
    ("generate", "simnet tooling (mining), not an hcpool call"),
    (
        "purchaseticket",
        "the user's own wallet buys tickets, not hcpool",
    ),
    (
        "getnewaddress",
        "the pool derives addresses from votingwalletextpub",
    ),
    (
        "getaddressesbyaccount",
        "the pool derives fee addresses from coldwalletextpub",
    ),
    (
        "getticketfee",
        "hcpool does not read the wallet's ticket fee",
    ),
    (
        "getvotechoices",
        "hcpool offers the vote bits it knows itself",
    ),
    ("nosuchmethod", "an error reply only (checked as an error)"),
];

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

fn check<T>(r: hcpool_rpc::Result<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

/// Decodes one successful result as the client does and checks what can be checked
/// against the request. `Ok(false)`: the method has no decoder ([`NOT_DECODED`]).
fn decode_result(r: &Record, v: &Value) -> Result<bool, String> {
    let p = r.params();
    let param_hash = |i: usize| -> Hash32 { p[i].as_str().unwrap().parse().unwrap() };
    match r.method() {
        "walletinfo" => {
            let w = check(convert::wallet_info(from::<WalletInfoReply>(v)?))?;
            if !w.unlocked || w.vote_version != 7 {
                return Err(format!("{w:?}"));
            }
        }
        "validateaddress" => {
            let reply: ValidateAddressReply = from(v)?;
            let had_pubkeyaddr = reply.pubkeyaddr.is_some();
            let a = check(convert::validated_address(reply))?;
            if had_pubkeyaddr && a.pubkey_addr.is_none() {
                return Err("pubkeyaddr did not decode".into());
            }
        }
        "createmultisig" => {
            let m = check(convert::multisig_info(from::<CreateMultisigReply>(v)?))?;
            let script = m.redeem_script.as_bytes().to_vec();
            let want = hcpool_core::Address::p2sh_from_script(Network::Simnet, &script);
            if want != m.address {
                return Err(format!("{} is not the P2SH of the script", m.address));
            }
        }
        "listscripts" => {
            check(convert::scripts(from::<ListScriptsReply>(v)?))?;
        }
        "getbestblock" => {
            check(convert::best_block(from::<BestBlockReply>(v)?))?;
        }
        "getstakeinfo" => {
            convert::stake_info(from::<StakeInfoReply>(v)?);
        }
        "stakepooluserinfo" => {
            check(convert::stake_pool_user_info(
                from::<StakePoolUserInfoReply>(v)?,
            ))?;
        }
        "gettickets" => {
            check(convert::hashes(
                "gettickets",
                &from::<GetTicketsReply>(v)?.hashes,
            ))?;
        }
        "ticketsforaddress" => {
            let t = from::<TicketsForAddressReply>(v)?;
            check(convert::hashes("ticketsforaddress", &t.tickets))?;
        }
        "gettransaction" => {
            let t = check(convert::wallet_transaction(from::<GetTransactionReply>(v)?))?;
            let tx = Transaction::decode(&t.hex).map_err(|e| e.to_string())?;
            if t.txid != param_hash(0) || tx.hash() != t.txid {
                return Err("txid and hex do not match the request".into());
            }
        }
        "generatevote" => {
            let hex = from::<GenerateVoteReply>(v)?.hex;
            let raw = check(convert::blob("generatevote", &hex))?;
            let tx = Transaction::decode(&raw).map_err(|e| e.to_string())?;
            let vote = Vote::from_tx(&tx).map_err(|e| e.to_string())?;
            if vote.ticket != param_hash(2)
                || vote.block_hash != param_hash(0)
                || i64::from(vote.block_height) != p[1].as_i64().unwrap()
            {
                return Err(format!("{vote:?} is not the requested vote"));
            }
        }
        "version" => {
            let v: VersionReply = from(v)?;
            if !v["hcdjsonrpcapi"].is_compatible_with(3, 1, 0) {
                return Err(format!("{v:?}"));
            }
        }
        "getcurrentnet" => {
            if from::<u32>(v)? != Network::Simnet.params().net_magic {
                return Err("not simnet's magic".into());
            }
        }
        "getblockheader" if p.get(1) == Some(&json!(false)) => {
            let raw = check(convert::blob("getblockheader", &from::<String>(v)?))?;
            check(convert::header_height(&raw))?;
            if check(convert::header_hash(&raw))? != param_hash(0) {
                return Err("the header does not hash to the requested block".into());
            }
        }
        "getrawtransaction" if p.get(1) == Some(&json!(0)) => {
            let raw = check(convert::blob("getrawtransaction", &from::<String>(v)?))?;
            let tx = Transaction::decode(&raw).map_err(|e| e.to_string())?;
            if tx.hash() != param_hash(0) {
                return Err("the transaction does not hash to the requested id".into());
            }
        }
        "sendrawtransaction" => {
            let h = check(convert::one_hash("sendrawtransaction", &from::<String>(v)?))?;
            let raw = hex::decode(p[0].as_str().unwrap()).unwrap();
            if Transaction::decode(&raw).map_err(|e| e.to_string())?.hash() != h {
                return Err("the txid is not the sent transaction's".into());
            }
        }
        "getmasterpubkey" => {
            let xpub: String = from(v)?;
            PoolKeys::from_strings(&xpub, &xpub, Network::Simnet).map_err(|e| e.to_string())?;
        }
        "importscript"
        | "addticket"
        | "accountsyncaddressindex"
        | "revoketickets"
        | "notifyblocks"
        | "notifywinningtickets"
        | "notifynewtickets"
        | "notifyspentandmissedtickets" => {
            if !v.is_null() {
                return Err("expected null".into());
            }
        }
        // Verbose forms the client never asks for.
        "getblockheader" | "getrawtransaction" => return Ok(false),
        m if NOT_DECODED.iter().any(|(n, _)| *n == m) => return Ok(false),
        m => return Err(format!("no decoder for {m}")),
    }
    Ok(true)
}

fn decode_notification(frame: &Value) -> Result<(), String> {
    let text = frame.to_string();
    let Ok(Incoming::Notification(n)) = parse_incoming(&text) else {
        return Err(format!("not a notification: {text}"));
    };
    let n: Notification = n;
    match chain_notification(&n) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("{} ignored", n.method)),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn every_real_reply_decodes_with_the_clients_decoders() {
    let mut failures = Vec::new();
    let (mut decoded, mut errors, mut notes) = (0, 0, 0);
    for r in records() {
        for n in &r.notifications {
            match decode_notification(n) {
                Ok(()) => notes += 1,
                Err(e) => failures.push(format!("{} notification: {e}", r.id)),
            }
        }
        let Some(raw) = r.response_raw.as_deref() else {
            continue;
        };
        if r.http_status == Some(401) {
            // The client maps HTTP 401 to an authentication failure before reading a body.
            if raw != "401 Unauthorized.\n" {
                failures.push(format!("{}: 401 body {raw:?}", r.id));
            }
            continue;
        }
        match parse_incoming(raw) {
            // The client drops replies whose id is not a non-negative integer (it never
            // sends such ids): the batch reply (`id:null`) and the string id.
            Err(_) => {
                let id = &r.response().unwrap()["id"];
                if id.is_u64() {
                    failures.push(format!("{}: a reply with id {id} did not parse", r.id));
                }
            }
            Ok(Incoming::Notification(_)) => {
                if !r.request.is_array() {
                    failures.push(format!("{}: reply read as a notification", r.id));
                }
            }
            Ok(Incoming::Response { id, outcome }) => {
                if Some(id) != r.request["id"].as_u64() {
                    failures.push(format!("{}: id {id}", r.id));
                }
                match outcome {
                    Ok(v) => match decode_result(&r, &v) {
                        Ok(true) => decoded += 1,
                        Ok(false) => {}
                        Err(e) => failures.push(format!("{} ({}): {e}", r.id, r.label)),
                    },
                    Err(e) => {
                        errors += 1;
                        let rendered = e.to_string();
                        let (code, message) = (e.code, e.message.clone());
                        let kind = Error::Rpc(e).kind();
                        let want = if code == RpcError::NO_INFORMATION {
                            BackendKind::NotFound
                        } else {
                            BackendKind::Rejected
                        };
                        if kind != want || rendered != format!("{code}: {message}") {
                            failures.push(format!("{}: {code} {message} → {kind:?}", r.id));
                        }
                    }
                }
            }
        }
    }
    // pinned/DIFF.json: the one HEAD/pinned difference, both −4 wallet errors.
    let diff: Vec<Value> =
        serde_json::from_slice(&std::fs::read(data_dir().join("pinned/DIFF.json")).unwrap())
            .unwrap();
    for d in &diff {
        for side in ["head", "pinned"] {
            let e: RpcError = serde_json::from_value(d[side].clone()).unwrap();
            assert_eq!((e.code, Error::Rpc(e).kind()), (-4, BackendKind::Rejected));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        decoded > 100 && errors > 20 && notes > 10,
        "{decoded} {errors} {notes}"
    );
}

// --- (b) the simulator -------------------------------------------------------------------

/// Records not replayed against the simulator, and why.
const NOT_REPLAYED: &[(&str, &str)] = &[
    (
        "pinned/",
        "the pinned hcwallet's records (decoded in (a)); the simulator models HEAD, whose \
         records are the same requests",
    ),
    (
        "wallet-purchaseticket#",
        "the user's own wallet buys tickets; the simulator buys them through simnet_buyticket",
    ),
    ("hcd-generate#0", "the simulator mines through simnet_mine"),
    (
        "wallet-getnewaddress#",
        "not simulated: the pool derives its addresses from votingwalletextpub",
    ),
    (
        "wallet-getaddressesbyaccount#0",
        "not simulated: the cold wallet is not simulated",
    ),
    (
        "wallet-validateaddress#6",
        "the user's wallet (owner of the user key) is not simulated",
    ),
    (
        "wallet-gettransaction#1",
        "the user's wallet (a pool ticket as the buyer's send) is not simulated",
    ),
];

/// Keys of JSON lists the real programs send as `null` when empty (the decoders accept
/// both): a `null` on one side and a list on the other is the same shape.
const NULLABLE_LISTS: &[&str] = &["tickets", "invalid", "hashes", "walletconflicts", "details"];

#[derive(Debug, PartialEq, Eq)]
enum StrClass {
    Hash,
    Hex,
    Text,
}

fn str_class(s: &str) -> StrClass {
    let hex = !s.is_empty()
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match (hex, s.len()) {
        (true, 64) => StrClass::Hash,
        (true, _) => StrClass::Hex,
        _ => StrClass::Text,
    }
}

/// An object keyed by ticket hashes or decimal indexes (notification maps).
fn is_map(o: &serde_json::Map<String, Value>) -> bool {
    !o.is_empty()
        && o.keys()
            .all(|k| str_class(k) == StrClass::Hash || k.bytes().all(|b| b.is_ascii_digit()))
}

fn shape_diff(path: &str, real: &Value, sim: &Value, out: &mut Vec<String>) {
    let key = path.rsplit('.').next().unwrap_or("");
    match (real, sim) {
        (Value::Null, Value::Null)
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_)) => {}
        (Value::String(a), Value::String(b)) => {
            if str_class(a) != str_class(b) {
                out.push(format!("{path}: {a:?} vs {b:?}"));
            }
        }
        (Value::Null, Value::Array(_)) | (Value::Array(_), Value::Null)
            if NULLABLE_LISTS.contains(&key) => {}
        (Value::Array(a), Value::Array(b)) => {
            if !a.is_empty() && b.is_empty() {
                out.push(format!("{path}: empty list, real has {}", a.len()));
            }
            if let Some(last) = a.last() {
                for (i, s) in b.iter().enumerate() {
                    shape_diff(&format!("{path}[{i}]"), a.get(i).unwrap_or(last), s, out);
                }
            }
        }
        (Value::Object(a), Value::Object(b)) if is_map(a) => {
            if b.is_empty() || !is_map(b) {
                out.push(format!("{path}: map {b:?}"));
            }
            let first = a.values().next().unwrap_or(&Value::Null);
            for (k, s) in b {
                shape_diff(&format!("{path}.{k}"), first, s, out);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let ka: BTreeSet<&String> = a.keys().collect();
            let kb: BTreeSet<&String> = b.keys().collect();
            if ka != kb {
                out.push(format!(
                    "{path}: keys {:?} missing, {:?} extra",
                    ka.difference(&kb).collect::<Vec<_>>(),
                    kb.difference(&ka).collect::<Vec<_>>()
                ));
            }
            for k in ka.intersection(&kb) {
                shape_diff(&format!("{path}.{k}"), &a[*k], &b[*k], out);
            }
        }
        _ => out.push(format!("{path}: {real} vs {sim}")),
    }
}

/// An error message with hashes and numbers replaced by placeholders.
fn pattern(m: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str("<h>");
        } else if !run.is_empty() && run.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("<n>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in m.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Compares two response envelopes; returns the differences.
fn compare_replies(real: &Value, sim: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if real["id"] != sim["id"] {
        out.push(format!("id {} vs {}", real["id"], sim["id"]));
    }
    match (&real["error"], &sim["error"]) {
        (Value::Null, Value::Null) => {
            shape_diff("result", &real["result"], &sim["result"], &mut out)
        }
        (Value::Object(a), Value::Object(b)) => {
            if a.get("code") != b.get("code") {
                out.push(format!("code {:?} vs {:?}", a.get("code"), b.get("code")));
            }
            let (ma, mb) = (
                pattern(a.get("message").and_then(Value::as_str).unwrap_or("")),
                pattern(b.get("message").and_then(Value::as_str).unwrap_or("")),
            );
            if ma != mb {
                out.push(format!("message {ma:?} vs {mb:?}"));
            }
            if !sim["result"].is_null() {
                out.push("a result beside the error".into());
            }
        }
        (a, b) => out.push(format!("error {a} vs {b}")),
    }
    out
}

/// Compares the notification frames of one block, in order.
fn compare_frames(real: &[Value], sim: &[Value]) -> Vec<String> {
    let names = |f: &[Value]| -> Vec<String> {
        f.iter()
            .map(|n| n["method"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    let mut out = Vec::new();
    if names(real) != names(sim) {
        out.push(format!("order {:?} vs {:?}", names(real), names(sim)));
    }
    for (r, s) in real.iter().zip(sim) {
        shape_diff(r["method"].as_str().unwrap_or("?"), r, s, &mut out);
    }
    out
}

// The real chain's values that the replay replaces with the simulator's.
const R_POOL_ADDR: &str = "Ssio7VGsg9o2P4oDWezmMDmt9VZihnHPkBq";
const R_POOL_PK: &str = "SkQkTKd24QYFVRK5rWeMtipiLe38a1nMhaKqeb5whtnwAwRyasU9W";
const R_USER_ADDR: &str = "SsdcC5aTXutcstV9VyKeHJqoJ7nUARwTnis";
const R_USER_PK: &str = "SkQmFCp7xY1GxAqixMaNtBtLcptBCgiFgzFkzBN9LJvdcp1Q8yHYx";
const R_MSA: &str = "ScouK24nMVzMNmh1np8ixc5XtBx8kqsyoTp";
const R_TIP: &str = "4cdb4cf165b0a965da3ca9a3171c1e4ad9e1064b5865cb2eecbe1b0efd8f1068";
const R_LIVE: &str = "2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267";
const R_BLOCK_178: &str = "10888ebe2a6a25b876c72f453931247133608afdb27a780fc8cf998e533d70ac";
const R_BLOCK_179: &str = "51269f42b14ecc033a71ee6b10fbd0104f3cc9e1bef1da05099d6b0ff4ca0919";
const R_WINNER: &str = "3004b694a9e1deaae05a3e08577cec65a6444d03e267f97eed9899d225ffc94e";
const R_UNPAID: &str = "fcd140093f012da7624eb1e72ff354c2f03f337c2433f07c4b1a777af5b367d2";
const R_MISSED: &str = "1883fab91741e8a67fd1964a3af9179aad5db4682dbaa47c7d5f5f43e757a9ab";
const R_VOTE: &str = "4ae2af88b6d47efb42e9192e4017b4fc6514606a50b3cd23dd6514de08a5ecaf";

fn internal_order(h: &str) -> String {
    let mut b = hex::decode(h).unwrap();
    b.reverse();
    hex::encode(b)
}

/// Replaces every string leaf equal to a key of `subst`.
fn substitute(v: &mut Value, subst: &HashMap<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(n) = subst.get(s.as_str()) {
                *v = n.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, subst)),
        Value::Object(o) => o.values_mut().for_each(|x| substitute(x, subst)),
        _ => {}
    }
}

struct Replay {
    c: SimCluster,
    records: BTreeMap<String, Record>,
    done: BTreeSet<String>,
    failures: Vec<String>,
    subst: HashMap<String, Value>,
    w0: Ws,
    w1: Ws,
    hcd: Ws,
    /// The notification socket (all four registrations).
    notes: Ws,
    /// Calls the replay makes for itself.
    ctl: Ws,
    msa: String,
}

impl Replay {
    fn set(&mut self, real: &str, sim: impl Into<Value>) {
        self.subst.insert(real.to_owned(), sim.into());
    }

    fn ws(&mut self, server: &str) -> &mut Ws {
        match server {
            "vote2" => &mut self.w1,
            "hcd" => &mut self.hcd,
            // vote1, and the user, cold and solo wallets' calls whose replies do not depend
            // on whose wallet it is (walletinfo, getstakeinfo, getmasterpubkey, …).
            _ => &mut self.w0,
        }
    }

    /// Replays record `id` with the current substitutions and `overrides` of positional
    /// params; returns the simulator's reply.
    async fn replay(&mut self, id: &str, overrides: &[(usize, Value)]) -> Value {
        let r = self
            .records
            .get(id)
            .unwrap_or_else(|| panic!("no record {id}"));
        let (server, transport) = (r.server.clone(), r.transport.clone());
        let auth = r.request_auth();
        let real = r.response();
        let (status, headers, raw) = (
            r.http_status,
            r.http_headers.clone(),
            r.response_raw.clone(),
        );
        let mut req = r.request.clone();
        substitute(&mut req, &self.subst);
        for (i, v) in overrides {
            req["params"][*i] = v.clone();
        }
        let text = req.to_string();
        let sim = if transport == "post" {
            let ep = if server == "hcd" {
                Role::Node(0)
            } else {
                Role::Wallet(0)
            };
            let ep = self.c.endpoint(ep).unwrap();
            let auth = match auth {
                Auth::None => None,
                Auth::Good => Some(hcpool_simnet::basic_auth(USER, PASS)),
                Auth::Bad => Some(hcpool_simnet::basic_auth(USER, "wrong")),
            };
            let (st, head, body) = post(ep, auth.as_deref(), &text).await;
            let mut diffs = Vec::new();
            if Some(st) != status {
                diffs.push(format!("HTTP {st} vs {status:?}"));
            }
            let sim_headers: BTreeMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            for k in ["content-type", "www-authenticate", "x-content-type-options"] {
                if headers.get(k) != sim_headers.get(k) {
                    diffs.push(format!(
                        "header {k}: {:?} vs {:?}",
                        headers.get(k),
                        sim_headers.get(k)
                    ));
                }
            }
            if st == 401 {
                let realm = headers.get("www-authenticate").cloned().unwrap_or_default();
                if !head.contains(&realm) || Some(&body) != raw.as_ref() {
                    diffs.push(format!("401 {realm:?} {raw:?} vs {head:?} {body:?}"));
                }
                self.finish(id, diffs);
                return Value::Null;
            }
            let sim: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            diffs.extend(compare_replies(real.as_ref().unwrap(), &sim));
            self.finish(id, diffs);
            return sim;
        } else {
            let want_id = req["id"].clone();
            let ws = self.ws(&server);
            ws.send_raw(text).await;
            loop {
                let f = ws
                    .frame(std::time::Duration::from_secs(10))
                    .await
                    .unwrap_or_else(|| panic!("{id}: no reply"));
                if f.get("method").is_none() && f["id"] == want_id {
                    break f;
                }
                ws.notes.push_back(f);
            }
        };
        let diffs = compare_replies(real.as_ref().unwrap(), &sim);
        self.finish(id, diffs);
        sim
    }

    fn finish(&mut self, id: &str, diffs: Vec<String>) {
        if !diffs.is_empty() {
            let label = &self.records[id].label;
            self.failures
                .push(format!("{id} ({label}):\n    {}", diffs.join("\n    ")));
        }
        self.done.insert(id.to_owned());
    }

    /// Every winner of the tip votes (through wallet 0 and hcd), except `skip`.
    async fn vote_winners(&mut self, skip: &[Hash32]) {
        let (tip, height) = self.c.best_block();
        for t in self.c.winners(height) {
            if skip.contains(&t) {
                continue;
            }
            let v = self
                .ctl_wallet(
                    "generatevote",
                    json!([tip.to_string(), height, t.to_string(), 1, "07000000"]),
                )
                .await;
            let r = self
                .ctl
                .call("sendrawtransaction", json!([v["hex"], false]))
                .await;
            assert!(
                r["error"].is_null()
                    || r["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("already have"),
                "{r}"
            );
        }
    }

    async fn ctl_wallet(&mut self, method: &str, params: Value) -> Value {
        self.w0.ok(method, params).await
    }

    /// Buys `n` paid pool tickets.
    fn buy(&self, n: usize) -> Vec<Hash32> {
        (0..n)
            .map(|_| {
                self.c
                    .buy_ticket(&TicketPurchase::new(&self.msa, 20_000_000, 1))
                    .unwrap()
            })
            .collect()
    }

    /// Buys 5 tickets (so that every block matures some) and mines one block; returns its
    /// notification frames, up to `winningtickets`, as the notification socket got them.
    async fn mine(&mut self) -> Vec<Value> {
        self.buy(5);
        self.c.mine(1).unwrap();
        let mut frames = Vec::new();
        loop {
            let n = self.notes.note().await;
            let m = n["method"].as_str().unwrap_or("").to_owned();
            frames.push(n);
            if m == "winningtickets" {
                return frames;
            }
        }
    }

    async fn raw_of(&mut self, t: &Hash32) -> Value {
        self.ctl
            .ok("getrawtransaction", json!([t.to_string(), 0]))
            .await
    }
}

enum Auth {
    None,
    Good,
    Bad,
}

impl Record {
    /// The credentials of a recorded POST: none, the right ones, or wrong ones.
    fn request_auth(&self) -> Auth {
        match self.label.as_str() {
            "no auth header" => Auth::None,
            "wrong password" => Auth::Bad,
            _ => Auth::Good,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_real_exchange_replays_against_the_simulator_with_the_same_shape() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let pool_pk = keys.ticket_pubkey_address(UserId(1)).unwrap();
    let user_key = keys.fee_branch().derive_child(101).unwrap();
    let user_pk = user_key.to_pubkey_address(Network::Simnet);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let msa = script.p2sh_address(Network::Simnet).to_string();
    let real_records = records();
    let real_script = real_records
        .iter()
        .find(|r| r.id == "wallet-createmultisig#0")
        .and_then(|r| r.response())
        .map(|v| v["result"]["redeemScript"].as_str().unwrap().to_owned())
        .unwrap();
    let mut notes = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    for m in [
        "notifyspentandmissedtickets",
        "notifynewtickets",
        "notifyblocks",
        "notifywinningtickets",
    ] {
        notes.ok(m, json!([])).await;
    }
    let mut p = Replay {
        w0: Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await,
        w1: Ws::authed(c.endpoint(Role::Wallet(1)).unwrap()).await,
        hcd: Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await,
        ctl: Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await,
        notes,
        c,
        records: real_records
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect(),
        done: BTreeSet::new(),
        failures: Vec::new(),
        subst: HashMap::new(),
        msa: msa.clone(),
    };
    p.set(
        R_POOL_ADDR,
        keys.ticket_address(UserId(1)).unwrap().to_string(),
    );
    p.set(R_POOL_PK, pool_pk.to_string());
    p.set(
        R_USER_ADDR,
        user_key.to_address(Network::Simnet).to_string(),
    );
    p.set(R_USER_PK, user_pk.to_string());
    p.set(R_MSA, msa.clone());
    p.set(&real_script, script.to_hex());

    // Height 0: the node, the wallets, registration of the pool user.
    for id in [
        "hcd-version#0",
        "hcd-getcurrentnet#0",
        "hcd-notifyblocks#0",
        "hcd-notifywinningtickets#0",
        "hcd-notifynewtickets#0",
        "hcd-notifyspentandmissedtickets#0",
        "wallet-version#0",
        "wallet-walletinfo#0",
        "wallet-walletinfo#1",
        "wallet-walletinfo#2",
        "wallet-walletinfo#3",
        "wallet-walletinfo#4",
        "wallet-getticketfee#0",
        "wallet-getvotechoices#0",
        "wallet-accountsyncaddressindex#0",
        "wallet-accountsyncaddressindex#1",
        "wallet-accountsyncaddressindex#2",
        "wallet-getmasterpubkey#0",
        "wallet-getmasterpubkey#1",
        "wallet-getmasterpubkey#2",
        "wallet-getmasterpubkey#3",
        "wallet-getmasterpubkey#4",
        "wallet-validateaddress#0",
        "wallet-validateaddress#1",
        "wallet-validateaddress#2",
        "wallet-validateaddress#4",
        "wallet-validateaddress#5",
        "wallet-createmultisig#0",
        "wallet-createmultisig#1",
        "wallet-createmultisig#2",
    ] {
        p.replay(id, &[]).await;
    }
    p.replay("wallet-importscript#0", &[(2, json!(0))]).await;
    p.w1.ok("importscript", json!([script.to_hex(), true, 0]))
        .await;
    for id in [
        "wallet-importscript#1",
        "wallet-importscript#2",
        "wallet-validateaddress#3",
        "wallet-listscripts#0",
        "wallet-listscripts#1",
        "wallet-stakepooluserinfo#1",
        "wallet-stakepooluserinfo#2",
        "wallet-stakepooluserinfo#3",
        "wallet-gettransaction#3",
        "wallet-gettxout#1",
        "hcd-getrawtransaction#1",
        "hcd-getblockheader#2",
        "wallet-post-errors#0",
        "wallet-post-errors#1",
        "wallet-post-errors#2",
        "wallet-post-errors#3",
        "wallet-post-errors#4",
        "wallet-post-errors#5",
        "wallet-post-errors#6",
        "hcd-post-errors#0",
        "hcd-post-errors#1",
        "hcd-post-errors#2",
        "hcd-post-errors#3",
    ] {
        p.replay(id, &[]).await;
    }
    p.replay("wallet-walletinfo#5", &[]).await;

    // Tickets: 20 now and 5 a block; from block 3 on (SVH 4) every winner votes.
    p.buy(20);
    p.c.mine(1).unwrap();
    p.buy(5);
    p.c.mine(1).unwrap();
    for _ in 0..4 {
        // Block 1: blockconnected; block 2: spentandmissed, newtickets, blockconnected.
        p.notes.note().await;
    }
    p.mine().await;
    for _ in 0..2 {
        p.vote_winners(&[]).await;
        p.mine().await;
    }

    // A pool winner left unvoted: missed, and revoked by both wallets at once.
    let (_, h) = p.c.best_block();
    let missed = p.c.winners(h)[0];
    p.vote_winners(&[missed]).await;
    let frames = p.mine().await;
    let real = p.records["hcd-notifications-missed#0"]
        .notifications
        .clone();
    let d = compare_frames(&real, &frames);
    p.finish("hcd-notifications-missed#0", d);
    p.set(R_MISSED, missed.to_string());
    for id in [
        "wallet-revoketickets#2",
        "wallet-revoketickets#3",
        "hcd-getrawmempool#2",
        "wallet-stakepooluserinfo#8",
        "wallet-getstakeinfo#5",
    ] {
        p.replay(id, &[]).await;
    }
    p.vote_winners(&[]).await;
    p.mine().await;
    for id in [
        "wallet-stakepooluserinfo#9",
        "wallet-gettransaction#4",
        "wallet-getstakeinfo#6",
        "wallet-getstakeinfo#7",
        "wallet-revoketickets#0",
        "wallet-revoketickets#1",
    ] {
        p.replay(id, &[]).await;
    }

    // An unpaid ticket: in the mempool, mined into `invalid`, added.
    let unpaid = p.c.buy_ticket(&TicketPurchase::new(&msa, 1, 1)).unwrap();
    p.buy(5);
    p.set(R_UNPAID, unpaid.to_string());
    p.replay("hcd-getrawmempool#0", &[]).await;
    p.replay("wallet-stakepooluserinfo#4", &[]).await;
    p.vote_winners(&[]).await;
    p.mine().await;
    p.replay("wallet-stakepooluserinfo#5", &[]).await;
    p.replay("wallet-stakepooluserinfo#7", &[]).await;
    p.replay("hcd-getrawtransaction#2", &[]).await;
    let raw = p.raw_of(&unpaid).await;
    p.replay("wallet-addticket#2", &[(0, raw)]).await;
    p.replay("wallet-stakepooluserinfo#6", &[]).await;
    p.replay("wallet-gettickets#2", &[]).await;

    // At a tip with winners: a live ticket that did not win, a winner, a mined vote.
    let (tip, height) = p.c.best_block();
    let winners = p.c.winners(height);
    let tickets = p.ctl_wallet("gettickets", json!([false])).await;
    let live: Hash32 = tickets["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().parse().unwrap())
        .find(|h| !winners.contains(h))
        .expect("a live ticket that did not win");
    let winner = winners[0];
    let voted = p.ctl_wallet("stakepooluserinfo", json!([msa])).await["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == json!("voted"))
        .map(|t| t["spentby"].as_str().unwrap().to_owned())
        .unwrap();
    for real in [R_TIP, R_BLOCK_178, R_BLOCK_179] {
        p.set(real, tip.to_string());
    }
    p.set(R_LIVE, live.to_string());
    p.set(R_WINNER, winner.to_string());
    p.set(R_VOTE, voted);
    let exists = format!("{}{}", internal_order(&live.to_string()), "11".repeat(32));
    let real_exists = format!("{}{}", internal_order(R_LIVE), "11".repeat(32));
    p.set(&real_exists, exists);
    let live_raw = p.raw_of(&live).await;
    for id in [
        "wallet-getbestblock#0",
        "hcd-getbestblock#0",
        "hcd-getblockheader#0",
        "hcd-getblockheader#1",
        "hcd-getrawtransaction#0",
        "wallet-getrawtransaction#0",
        "wallet-getrawtransaction#1",
        "wallet-gettxout#0",
        "wallet-gettickets#0",
        "wallet-gettickets#1",
        "wallet-gettransaction#0",
        "wallet-gettransaction#2",
        "hcd-getstakedifficulty#0",
        "hcd-existslivetickets#0",
        "wallet-ticketsforaddress#0",
        "wallet-stakepooluserinfo#0",
        "wallet-addticket#1",
        "wallet-getstakeinfo#0",
        "wallet-getstakeinfo#1",
        "wallet-getstakeinfo#2",
        "wallet-getstakeinfo#3",
        "wallet-getstakeinfo#4",
    ] {
        p.replay(id, &[]).await;
    }
    p.replay("wallet-addticket#0", &[(0, live_raw)]).await;
    let h = json!(height);
    let non_winner = p.replay("wallet-generatevote#0", &[(1, h.clone())]).await;
    p.replay("wallet-generatevote#1", &[(1, h.clone())]).await;
    p.replay("wallet-generatevote#2", &[(1, h.clone())]).await;
    let win_vote = p.replay("wallet-generatevote#3", &[(1, h.clone())]).await;
    p.replay("wallet-generatevote#4", &[(1, h.clone())]).await;
    let non_winner_hex = non_winner["result"]["hex"].clone();
    let win_hex = win_vote["result"]["hex"].clone();
    p.replay("hcd-sendrawtransaction#0", &[(0, non_winner_hex)])
        .await;
    p.replay("hcd-sendrawtransaction#1", &[]).await;
    p.replay("hcd-sendrawtransaction#2", &[]).await;
    p.vote_winners(&[]).await;
    p.replay("hcd-sendrawtransaction#3", &[(0, win_hex)]).await;
    p.replay("hcd-getrawmempool#1", &[]).await;

    // Two more blocks: hcd's notifications for a block, in order.
    for id in ["hcd-getblockcount#0", "hcd-getbestblock#1"] {
        p.vote_winners(&[]).await;
        let frames = p.mine().await;
        let real = p.records[id].notifications.clone();
        p.failures.extend(
            compare_frames(&real, &frames)
                .into_iter()
                .map(|d| format!("{id} notifications: {d}")),
        );
        p.replay(id, &[]).await;
    }

    // Every record was checked or is listed with its reason.
    let unchecked: Vec<&String> = p
        .records
        .keys()
        .filter(|id| !p.done.contains(*id))
        .filter(|id| !NOT_REPLAYED.iter().any(|(n, _)| id.starts_with(n)))
        .collect();
    assert!(unchecked.is_empty(), "not replayed: {unchecked:?}");
    assert!(
        p.failures.is_empty(),
        "{} of {} replays differ:\n{}",
        p.failures.len(),
        p.done.len(),
        p.failures.join("\n")
    );
}

// --- Transaction bytes -------------------------------------------------------------------

/// The layout of a transaction with its data masked: per input (tree, stakebase or not,
/// the ticket input's witness value -1 or not, the stakebase script), per output the script
/// with hashes, amounts and vote bits as `<n>` placeholders.
fn layout(raw: &[u8]) -> Vec<String> {
    let tx = hcpool_simnet::stake_txs::decode(raw).expect("decodes as a full serialization");
    let mut out = Vec::new();
    for i in &tx.inputs {
        let op = &i.previous_outpoint;
        let stakebase = op.hash == Hash32::default() && op.index == u32::MAX;
        out.push(format!(
            "in tree {} stakebase {stakebase} value_in {} script {}",
            op.tree,
            if i.value_in == -1 { "-1" } else { "v" },
            if stakebase {
                hex::encode(&i.signature_script)
            } else {
                "sig".into()
            }
        ));
    }
    for o in &tx.outputs {
        let s = &o.pk_script;
        let masks: &[(usize, usize)] = match s.as_slice() {
            [_, 0x76, 0xa9, 0x14, ..] => &[(4, 24)],
            [0xba, 0xa9, 0x14, ..] => &[(3, 23)],
            [0x6a, 0x1f, ..] => &[(2, 22), (23, 31)],
            [0x6a, 0x24, ..] => &[(2, 38)],
            [0x6a, 0x06, ..] => &[(2, 4)],
            _ => &[],
        };
        let mut t = String::new();
        let mut i = 0;
        while i < s.len() {
            if let Some((a, b)) = masks.iter().find(|(a, _)| *a == i) {
                t.push_str(&format!("<{}>", b - a));
                i = *b;
            } else {
                t.push_str(&format!("{:02x}", s[i]));
                i += 1;
            }
        }
        out.push(format!("out {t}"));
    }
    out
}

fn real_result(id: &str) -> Value {
    records()
        .into_iter()
        .find(|r| r.id == id)
        .and_then(|r| r.response())
        .map(|v| v["result"].clone())
        .unwrap_or_else(|| panic!("no record {id}"))
}

/// The simulator's votes and pool tickets have the byte layout of the real ones
/// (DIFFERENCES.md §21–22), read from the transcripts' raw hex.
#[test]
fn simulated_transactions_have_the_real_byte_layout() {
    use hcpool_simnet::stake_txs::{self, PoolTicket};
    let real_vote = hex::decode(
        real_result("wallet-generatevote#3")["hex"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let real_ticket =
        hex::decode(real_result("hcd-getrawtransaction#0").as_str().unwrap()).unwrap();
    let block = Hash32::from_bytes([3; 32]);
    let ticket = Hash32::from_bytes([4; 32]);
    let sim_vote = stake_txs::vote(
        &block,
        179,
        &ticket,
        20_000,
        38_400_000,
        1,
        &[7, 0, 0, 0],
        &[[1; 20], [2; 20]],
    )
    .encode();
    assert_eq!(layout(&sim_vote), layout(&real_vote));
    let sim_ticket = stake_txs::pool_ticket(&PoolTicket {
        msa_hash: [7; 20],
        price: 20_000,
        pool_fee_hash: [1; 20],
        pool_amount: 5_622,
        user_hash: [2; 20],
        user_amount: 69_122,
        nonce: 1,
    })
    .encode();
    assert_eq!(layout(&sim_ticket), layout(&real_ticket));
    // The real ones, for the record.
    assert_eq!(
        layout(&real_vote),
        [
            "in tree 0 stakebase true value_in v script deadbeef",
            "in tree 1 stakebase false value_in -1 script sig",
            "out 6a24<36>",
            "out 6a06<2>07000000",
            "out bb76a914<20>8800be",
            "out bb76a914<20>8800be",
        ]
    );
    assert_eq!(
        layout(&real_ticket)[2..],
        [
            "out baa914<20>87",
            "out 6a1f<20>00<8>0058",
            "out bd76a914<20>8800be",
            "out 6a1f<20>00<8>0058",
            "out bd76a914<20>8800be",
        ]
    );
}

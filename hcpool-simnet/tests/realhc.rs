//! The simulator behaves like the real hcd and hcwallet where they contradict the spec
//! (`../shared/realhc/DIFFERENCES.md`; the section numbers below are that file's).

mod support;

use hcpool_core::{Address, Network, PoolKeys, RedeemScript, UserId};
use hcpool_simnet::{
    ChainParams, Role, SimCluster, SimConfig, TicketPurchase, TicketState, DEFAULT_COLD_XPUB,
    DEFAULT_VOTING_XPUB,
};
use serde_json::{json, Value};
use support::{post, post_call, Ws, PASS, USER};

fn keys() -> PoolKeys {
    PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap()
}

/// A registered pool user: uid `uid`'s pool key and a user key in a 1-of-2 multisig.
struct User {
    pool_addr: String,
    pool_pk: String,
    user_pk: String,
    user_p2pkh: String,
    script: RedeemScript,
    msa: String,
}

fn user(uid: u64) -> User {
    let k = keys();
    let pool_pk = k.ticket_pubkey_address(UserId(uid)).unwrap();
    let user_key = k.fee_branch().derive_child(100 + uid as u32).unwrap();
    let user_pk = user_key.to_pubkey_address(Network::Simnet);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    User {
        pool_addr: k.ticket_address(UserId(uid)).unwrap().to_string(),
        pool_pk: pool_pk.to_string(),
        user_pk: user_pk.to_string(),
        user_p2pkh: user_key.to_address(Network::Simnet).to_string(),
        msa: script.p2sh_address(Network::Simnet).to_string(),
        script,
    }
}

/// Both wallets import the user's script.
async fn register(c: &SimCluster, u: &User) -> (Ws, Ws) {
    let mut w0 = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    let mut w1 = Ws::authed(c.endpoint(Role::Wallet(1)).unwrap()).await;
    for w in [&mut w0, &mut w1] {
        w.ok("importscript", json!([u.script.to_hex(), true, 0]))
            .await;
    }
    (w0, w1)
}

fn paid(u: &User) -> TicketPurchase {
    TicketPurchase::new(&u.msa, 20_000_000, 1)
}

fn err(r: &Value) -> (i64, String) {
    (
        r["error"]["code"].as_i64().unwrap_or(0),
        r["error"]["message"].as_str().unwrap_or("").to_owned(),
    )
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// §9: every wallet holding a key revokes a missed ticket by itself as soon as hcd reports
/// it missed; an explicit `revoketickets` then fails with "already have transaction", and
/// is `null` once the revocation is mined.
#[tokio::test]
async fn wallets_revoke_missed_tickets_by_themselves() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(1);
    let (mut w0, mut w1) = register(&c, &u).await;
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    hcd.ok("notifyspentandmissedtickets", json!([])).await;
    let ticket = c.buy_ticket(&paid(&u)).unwrap();
    // Mined in 1, mature and drawn in 3 (SVH 4); nobody votes, so block 4 misses it.
    c.mine(4).unwrap();
    assert_eq!(c.ticket_state(&ticket), Some(TicketState::Missed));
    let mut note = hcd.note().await;
    while note["params"][1] != json!(4) {
        note = hcd.note().await;
    }
    assert_eq!(note["params"][3][ticket.to_string()], json!("missed"));
    // By the time anyone hears of block 4, both wallets have sent the same revocation.
    assert_eq!(c.pending_revocations(), vec![ticket]);
    let revs = hcd.ok("getrawmempool", json!([false, "revocations"])).await;
    let revs = strings(&revs);
    assert_eq!(revs.len(), 1, "{revs:?}");
    let rev = &revs[0];
    let want = format!("Rejected transaction {rev}: already have transaction {rev}");
    for w in [&mut w0, &mut w1] {
        let r = w.call("revoketickets", json!([])).await;
        assert_eq!(err(&r), (-1, want.clone()), "{r}");
    }
    c.mine(1).unwrap();
    assert_eq!(c.ticket_state(&ticket), Some(TicketState::Revoked));
    for w in [&mut w0, &mut w1] {
        assert_eq!(w.ok("revoketickets", json!([])).await, Value::Null);
        let info = w.ok("stakepooluserinfo", json!([u.msa])).await;
        assert_eq!(info["tickets"][0]["status"], json!("missed"), "{info}");
        assert_eq!(info["tickets"][0]["spentby"], json!(rev));
        assert_eq!(info["tickets"][0]["spentbyheight"], json!(5));
    }
    // The revocation pays the commitments with `bc 76 a9 14 <h160> 88 00 be`.
    let raw = w0.ok("getrawtransaction", json!([rev, 0])).await;
    let tx =
        hcpool_simnet::stake_txs::decode(&hex::decode(raw.as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(hcpool_simnet::stake_txs::revoked_ticket(&tx), Some(ticket));
    for o in &tx.outputs {
        let s = hex::encode(&o.pk_script);
        assert!(
            s.len() == 54 && s.starts_with("bc76a914") && s.ends_with("8800be"),
            "{s}"
        );
    }
    // Sending the mined revocation again: "transaction already exists".
    let r = hcd.call("sendrawtransaction", json!([raw, false])).await;
    assert_eq!(
        err(&r),
        (
            -1,
            format!("Rejected transaction {rev}: transaction already exists")
        )
    );
}

/// With the wallets' own revocation switched off (a test knob), `revoketickets` sends it;
/// the second wallet's identical revocation is then a duplicate.
#[tokio::test]
async fn revoketickets_without_auto_revocation_sends_one_revocation() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(2);
    let (mut w0, mut w1) = register(&c, &u).await;
    for i in 0..2 {
        c.with_wallet(i, |w| w.auto_revoke = false).unwrap();
    }
    let ticket = c.buy_ticket(&paid(&u)).unwrap();
    c.mine(5).unwrap();
    assert_eq!(c.ticket_state(&ticket), Some(TicketState::Missed));
    assert!(c.pending_revocations().is_empty());
    assert_eq!(w0.ok("revoketickets", json!([])).await, Value::Null);
    assert_eq!(c.pending_revocations(), vec![ticket]);
    let r = w1.call("revoketickets", json!([])).await;
    assert_eq!(err(&r).0, -1, "{r}");
    assert!(err(&r).1.contains("already have transaction"), "{r}");
    c.mine(1).unwrap();
    assert_eq!(c.ticket_state(&ticket), Some(TicketState::Revoked));
}

/// §4: hcd accepts a vote for a ticket that did not win, keeps it in the mempool and never
/// mines it; §5: a duplicate and an already mined transaction have different texts.
#[tokio::test]
async fn a_vote_for_a_non_winner_is_accepted_and_never_mined() {
    let cfg = SimConfig {
        chain: ChainParams {
            tickets_per_block: 1,
            ..ChainParams::fast()
        },
        ..SimConfig::default()
    };
    let c = SimCluster::start(cfg).await.unwrap();
    let u = user(3);
    let (mut w0, _w1) = register(&c, &u).await;
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    let a = c.buy_ticket(&paid(&u)).unwrap();
    let b = c.buy_ticket(&paid(&u)).unwrap();
    c.mine(3).unwrap();
    let (tip, height) = c.best_block();
    let winner = c.winners(height)[0];
    let loser = if winner == a { b } else { a };
    let vote = |t: String| json!([tip.to_string(), height, t, 1, "07000000"]);
    let lose_hex = w0.ok("generatevote", vote(loser.to_string())).await["hex"].clone();
    let win_hex = w0.ok("generatevote", vote(winner.to_string())).await["hex"].clone();
    let lose_id = hcd.ok("sendrawtransaction", json!([lose_hex, false])).await;
    let win_id = hcd.ok("sendrawtransaction", json!([win_hex, false])).await;
    let lid = lose_id.as_str().unwrap().to_owned();
    let r = hcd
        .call("sendrawtransaction", json!([lose_hex, false]))
        .await;
    assert_eq!(
        err(&r),
        (
            -1,
            format!("Rejected transaction {lid}: already have transaction {lid}")
        )
    );
    let votes = strings(&hcd.ok("getrawmempool", json!([false, "votes"])).await);
    assert!(votes.contains(&lid) && votes.len() == 2, "{votes:?}");
    c.mine(1).unwrap();
    assert_eq!(c.ticket_state(&winner), Some(TicketState::Voted));
    assert_eq!(
        c.mined_vote(&loser),
        None,
        "the non-winner's vote is not mined"
    );
    let votes = strings(&hcd.ok("getrawmempool", json!([false, "votes"])).await);
    assert_eq!(
        votes,
        vec![lid.clone()],
        "still waiting in the mempool a block later"
    );
    let wid = win_id.as_str().unwrap();
    let r = hcd
        .call("sendrawtransaction", json!([win_hex, false]))
        .await;
    assert_eq!(
        err(&r),
        (
            -1,
            format!("Rejected transaction {wid}: transaction already exists")
        )
    );
    // The vote payouts are `bb 76 a9 14 <h160> 88 00 be`; the stakebase script deadbeef.
    let tx =
        hcpool_simnet::stake_txs::decode(&hex::decode(win_hex.as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(hex::encode(&tx.inputs[0].signature_script), "deadbeef");
    for o in &tx.outputs[2..] {
        let s = hex::encode(&o.pk_script);
        assert!(s.starts_with("bb76a914") && s.ends_with("8800be") && s.len() == 54);
    }
    // The ticket's change outputs: `bd 76 a9 14 <20 B> 88 00 be`.
    let raw = w0
        .ok("getrawtransaction", json!([winner.to_string(), 0]))
        .await;
    let t = hcpool_simnet::stake_txs::decode(&hex::decode(raw.as_str().unwrap()).unwrap()).unwrap();
    let lens: Vec<usize> = t.outputs.iter().map(|o| o.pk_script.len()).collect();
    assert_eq!(lens, [24, 33, 27, 33, 27]);
    assert!(hex::encode(&t.outputs[2].pk_script).ends_with("8800be"));
}

/// §17 bad hex: −4 with Go's text from the wallet, −22 only from hcd; §1 `generatevote` of
/// an unknown ticket; §19 unknown accounts.
#[tokio::test]
async fn error_codes_and_texts_are_the_real_ones() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(4);
    let (mut w0, _w1) = register(&c, &u).await;
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    let ticket = c.buy_ticket(&paid(&u)).unwrap();
    c.mine(3).unwrap();
    let (tip, height) = c.best_block();
    let bad_byte = (-4, "encoding/hex: invalid byte: U+007A 'z'".to_owned());
    let r = w0.call("importscript", json!(["zz"])).await;
    assert_eq!(err(&r), bad_byte);
    let params = json!([tip.to_string(), height, ticket.to_string(), 1, "zz"]);
    let r = w0.call("generatevote", params).await;
    assert_eq!(err(&r), bad_byte);
    let r = w0.call("addticket", json!(["00"])).await;
    assert_eq!(err(&r), (-4, "unexpected EOF".to_owned()));
    let r = w0.call("importscript", json!(["", true, 0])).await;
    assert_eq!(err(&r), (-4, "passed empty script".to_owned()));
    let params = json!([tip.to_string(), height, "11".repeat(32), 1, "07000000"]);
    let r = w0.call("generatevote", params).await;
    assert_eq!(err(&r), (-4, "not exist".to_owned()));
    let r = hcd.call("sendrawtransaction", json!(["zz", false])).await;
    assert_eq!(
        err(&r),
        (
            -22,
            "Argument must be hexadecimal string (not \"zz\")".to_owned()
        )
    );
    let r = hcd.call("sendrawtransaction", json!(["00", false])).await;
    assert_eq!(
        err(&r),
        (-22, "Could not decode Tx: unexpected EOF".to_owned())
    );
    let unknown = (-4, "account name 'nosuchaccount' not found".to_owned());
    let r = w0.call("getmasterpubkey", json!(["nosuchaccount"])).await;
    assert_eq!(err(&r), unknown);
    let r = w0
        .call("accountsyncaddressindex", json!(["nosuchaccount", 0, 10]))
        .await;
    assert_eq!(err(&r), unknown);
    assert_eq!(
        w0.ok("getmasterpubkey", json!([])).await,
        json!(DEFAULT_VOTING_XPUB)
    );
    assert_eq!(
        w0.ok("getmasterpubkey", json!(["default"])).await,
        json!(DEFAULT_VOTING_XPUB)
    );
}

/// §14–16: `validateaddress` of a pubkey address and of the imported multisig;
/// `createmultisig` with an owned P2PKH address.
#[tokio::test]
async fn validateaddress_and_createmultisig_answer_like_hcwallet() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(5);
    let mut w0 = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    // The wallet's own key as a pubkey address: only the P2PKH address, no `ismine`.
    let v = w0.ok("validateaddress", json!([u.pool_pk])).await;
    assert_eq!(v, json!({"isvalid": true, "address": u.pool_addr}));
    let v = w0.ok("validateaddress", json!([u.user_pk])).await;
    assert_eq!(v, json!({"isvalid": true, "address": u.user_p2pkh}));
    let by_pk = w0
        .ok("createmultisig", json!([1, [u.pool_pk, u.user_pk]]))
        .await;
    let by_p2pkh = w0
        .ok("createmultisig", json!([1, [u.pool_addr, u.user_pk]]))
        .await;
    assert_eq!(by_pk, by_p2pkh);
    assert_eq!(by_pk["redeemScript"], json!(u.script.to_hex()));
    w0.ok("importscript", json!([u.script.to_hex(), true, 0]))
        .await;
    let v = w0.ok("validateaddress", json!([u.msa])).await;
    assert_eq!(
        v,
        json!({"isvalid": true, "address": u.msa, "ismine": true, "isscript": true,
               "account": "imported", "addresses": [u.pool_addr, u.user_p2pkh],
               "hex": u.script.to_hex(), "script": "multisig", "sigsrequired": 1})
    );
    // The addresses are P2PKH, not pubkey addresses.
    let a: Address = u.pool_addr.parse().unwrap();
    assert!(!a.kind().is_pubkey());
}

/// §6: the verbose header has `chainwork:""` and `stakeversion`, and no `nextblockhash` at
/// the tip; §7: `blockconnected` is `[header, null]`.
#[tokio::test]
async fn verbose_block_header_has_hcds_fields() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    hcd.ok("notifyblocks", json!([])).await;
    c.mine(2).unwrap();
    let (tip, height) = c.best_block();
    let h = hcd.ok("getblockheader", json!([tip.to_string()])).await;
    assert_eq!(h["chainwork"], json!(""));
    assert_eq!(h["stakeversion"], json!(0));
    assert_eq!(h["version"], json!(7));
    assert_eq!(h["height"], json!(height));
    assert_eq!(h["bits"], json!("207fffff"));
    assert!(h.get("nextblockhash").is_none(), "{h}");
    let prev = h["previousblockhash"].clone();
    let p = hcd.ok("getblockheader", json!([prev])).await;
    assert_eq!(p["nextblockhash"], json!(tip.to_string()));
    assert_eq!(p["confirmations"], json!(2));
    let n = hcd.note().await;
    assert_eq!(n["method"], json!("blockconnected"));
    assert_eq!(n["params"].as_array().unwrap().len(), 2);
    assert_eq!(n["params"][0].as_str().unwrap().len(), 360);
    assert_eq!(n["params"][1], Value::Null);
}

/// §20: `unlocked` is true; `voting` mirrors the wallet's flag (off by default: the pool's
/// wallets run without `--enablevoting` when stakepoold votes).
#[tokio::test]
async fn walletinfo_voting_mirrors_the_wallet_flag() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let w = c.endpoint(Role::Wallet(1)).unwrap();
    let info = post_call(w, "walletinfo", json!([])).await["result"].clone();
    assert_eq!(
        (info["unlocked"].clone(), info["voting"].clone()),
        (json!(true), json!(false))
    );
    post_call(w, "simnet_setwallet", json!(["wallet1", "voting", true])).await;
    let info = post_call(w, "walletinfo", json!([])).await["result"].clone();
    assert_eq!(
        (info["unlocked"].clone(), info["voting"].clone()),
        (json!(true), json!(true))
    );
}

/// A wallet with voting on (`--enablevoting`) votes its winners itself, with its default
/// bits, as soon as hcd reports them: another voter's vote for the ticket is then refused
/// as "already have transaction" and the wallet's vote is mined (issue 11, item 6).
#[tokio::test]
async fn a_voting_wallet_votes_its_winners_before_anyone_else() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(7);
    let (mut w0, _w1) = register(&c, &u).await;
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    c.with_wallet(1, |w| w.voting = true).unwrap();
    let ticket = c.buy_ticket(&paid(&u)).unwrap();
    c.mine(3).unwrap();
    let (tip, height) = c.best_block();
    assert_eq!(c.winners(height), vec![ticket]);
    let votes = strings(&hcd.ok("getrawmempool", json!([false, "votes"])).await);
    assert_eq!(votes.len(), 1, "the voting wallet voted at once: {votes:?}");
    let mine = w0
        .ok(
            "generatevote",
            json!([tip.to_string(), height, ticket.to_string(), 5, "07000000"]),
        )
        .await;
    let r = hcd
        .call("sendrawtransaction", json!([mine["hex"], false]))
        .await;
    assert_eq!(err(&r).0, -1, "{r}");
    assert!(err(&r).1.contains("already have transaction"), "{r}");
    c.mine(1).unwrap();
    let (vote, bits, _) = c.mined_vote(&ticket).unwrap();
    assert_eq!(vote.to_string(), votes[0]);
    assert_eq!(bits, 1, "the wallet's default bits, not the owner's");
}

/// §13: `addticket` of a ticket still in the mempool records it live at height 0; when it
/// is mined and fails the fee check it is listed in `invalid` too.
#[tokio::test]
async fn addticket_before_mining_records_height_zero() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(6);
    let (mut w0, mut w1) = register(&c, &u).await;
    let t = c
        .buy_ticket(&TicketPurchase::new(&u.msa, 1, 1))
        .unwrap()
        .to_string();
    let raw = w0.ok("getrawtransaction", json!([t, 0])).await;
    assert_eq!(w0.ok("addticket", json!([raw])).await, Value::Null);
    let info = w0.ok("stakepooluserinfo", json!([u.msa])).await;
    assert_eq!(info["tickets"][0]["ticket"], json!(t), "{info}");
    assert_eq!(info["tickets"][0]["ticketheight"], json!(0));
    assert_eq!(info["tickets"][0]["status"], json!("live"));
    assert_eq!(info["invalid"], Value::Null);
    c.mine(1).unwrap();
    let info = w0.ok("stakepooluserinfo", json!([u.msa])).await;
    assert_eq!(info["tickets"][0]["ticket"], json!(t), "{info}");
    assert_eq!(info["invalid"], json!([t]), "listed in both");
    // The other wallet, without addticket: invalid only.
    let info = w1.ok("stakepooluserinfo", json!([u.msa])).await;
    assert_eq!(info["tickets"], Value::Null, "{info}");
    assert_eq!(info["invalid"], json!([t]));
}

/// §5: 401 with hcd's/hcwallet's realm, too many params, batches, string ids.
#[tokio::test]
async fn envelope_errors_are_the_real_ones() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let w = c.endpoint(Role::Wallet(0)).unwrap();
    let n = c.endpoint(Role::Node(0)).unwrap();
    let auth = hcpool_simnet::basic_auth(USER, PASS);
    let call = |m: &str, p: Value, id: Value| {
        json!({"jsonrpc":"1.0","method":m,"params":p,"id":id}).to_string()
    };
    let (status, head, body) = post(w, None, &call("getbestblock", json!([]), json!(1))).await;
    assert_eq!((status, body.as_str()), (401, "401 Unauthorized.\n"));
    assert!(head.contains("Basic realm=\"btcwallet RPC\""), "{head}");
    let (_, _, body) = post(w, Some(&auth), &call("getstakeinfo", json!([1]), json!(5))).await;
    assert_eq!(
        body,
        r#"{"result":null,"error":{"code":-32600,"message":"Invalid request"},"id":5}"#
    );
    let batch = format!("[{}]", call("getbestblock", json!([]), json!(7)));
    let (_, _, body) = post(w, Some(&auth), &batch).await;
    assert_eq!(
        body,
        r#"{"result":null,"error":{"code":-32600,"message":"Invalid request"},"id":null}"#
    );
    let (_, _, body) = post(
        w,
        Some(&auth),
        &call("getbestblock", json!([]), json!("abc")),
    )
    .await;
    assert!(body.ends_with(r#""error":null,"id":"abc"}"#), "{body}");
    let (_, _, body) = post(n, Some(&auth), &call("getblockcount", json!([1]), json!(6))).await;
    assert_eq!(
        body,
        r#"{"result":null,"error":{"code":-8,"message":"Parse error: wrong number of params (expected 0, received 1)"},"id":6}"#
    );
    let (_, _, body) = post(n, Some(&auth), &call("notifyblocks", json!([]), json!(2))).await;
    assert_eq!(
        body,
        r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":2}"#
    );
}

/// A ticket bought with so little that its revocation cannot pay the relay fee is never
/// revoked, and fails every `revoketickets` (issue 11, item 1); the wallets still revoke the
/// others by themselves.
#[tokio::test]
async fn a_ticket_too_small_to_revoke_fails_every_revoketickets() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let u = user(8);
    let (mut w0, _w1) = register(&c, &u).await;
    let mut tiny = TicketPurchase::new(&u.msa, 500, 1);
    tiny.price_atoms = Some(5_000);
    let tiny = c.buy_ticket(&tiny).unwrap();
    let normal = c.buy_ticket(&paid(&u)).unwrap();
    c.mine(4).unwrap();
    assert_eq!(c.ticket_state(&tiny), Some(TicketState::Missed));
    assert_eq!(c.ticket_state(&normal), Some(TicketState::Missed));
    assert_eq!(c.pending_revocations(), vec![normal]);
    c.mine(1).unwrap();
    assert_eq!(c.ticket_state(&normal), Some(TicketState::Revoked));
    assert_eq!(c.ticket_state(&tiny), Some(TicketState::Missed));
    for _ in 0..2 {
        let r = w0.call("revoketickets", json!([])).await;
        assert_eq!(
            err(&r),
            (
                -4,
                "no suitable revocation outputs to pay relay fee".to_owned()
            )
        );
        c.mine(1).unwrap();
    }
    assert_eq!(c.ticket_state(&tiny), Some(TicketState::Missed));
}

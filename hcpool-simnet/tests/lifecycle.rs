//! A pool user's whole ticket life against the simulator over real sockets: registration
//! calls on two wallets, ticket purchase, maturity, the hcd notifications in order, the
//! draw, a vote built by the wallet and relayed by the node, and the wallets' records.

mod support;

use hcpool_core::{Network, PoolKeys, RedeemScript, Ticket, UserId};
use hcpool_simnet::{
    Role, SimCluster, SimConfig, TicketState, DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB,
};
use serde_json::{json, Value};
use support::{post_call, Ws};

fn names(notes: &[Value]) -> Vec<String> {
    notes
        .iter()
        .map(|n| n["method"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Reads notifications until (and including) the `blockconnected`/`winningtickets` of
/// one block: returns the frames of that block.
async fn block_notes(ws: &mut Ws, expect_winners: bool) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let n = ws.note().await;
        let m = n["method"].as_str().unwrap_or("").to_owned();
        out.push(n);
        if (m == "blockconnected" && !expect_winners) || m == "winningtickets" {
            return out;
        }
    }
}

#[tokio::test]
async fn ticket_lifecycle_end_to_end() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let mut w0 = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    let mut w1 = Ws::authed(c.endpoint(Role::Wallet(1)).unwrap()).await;
    let mut hcd = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    for m in [
        "notifyblocks",
        "notifywinningtickets",
        "notifynewtickets",
        "notifyspentandmissedtickets",
    ] {
        assert!(hcd.ok(m, json!([])).await.is_null());
    }

    // Registration of uid 1 on both wallets.
    let ticket_addr = keys.ticket_address(UserId(1)).unwrap().to_string();
    let mut pubkeys = Vec::new();
    for w in [&mut w0, &mut w1] {
        assert!(w
            .ok("accountsyncaddressindex", json!(["default", 0, 10000]))
            .await
            .is_null());
        let v = w.ok("validateaddress", json!([ticket_addr])).await;
        assert_eq!(v["ismine"], json!(true), "{v}");
        assert_eq!(v["account"], json!("default"));
        assert_eq!(
            v["pubkeyaddr"],
            json!(keys.ticket_pubkey_address(UserId(1)).unwrap().to_string())
        );
        pubkeys.push(v["pubkey"].clone());
    }
    assert_eq!(pubkeys[0], pubkeys[1]);
    let foreign = keys.fee_address(UserId(3)).unwrap().to_string();
    let v = w0.ok("validateaddress", json!([foreign])).await;
    assert_eq!(v, json!({"isvalid": true, "address": foreign}));
    assert_eq!(
        w0.ok("validateaddress", json!(["Sxnotanaddress"])).await,
        json!({"isvalid": false})
    );

    let pool_pk = keys.ticket_pubkey_address(UserId(1)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(42)
        .unwrap()
        .to_pubkey_address(Network::Simnet);
    let want = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let want_addr = want.p2sh_address(Network::Simnet).to_string();
    let params = json!([1, [pool_pk.to_string(), user_pk.to_string()]]);
    let ms0 = w0.ok("createmultisig", params.clone()).await;
    let ms1 = w1.ok("createmultisig", params).await;
    assert_eq!(ms0, ms1);
    assert_eq!(ms0["address"], json!(want_addr));
    assert_eq!(ms0["redeemScript"], json!(want.to_hex()));

    let height = w0.ok("getbestblock", json!([])).await["height"].clone();
    for w in [&mut w0, &mut w1] {
        assert!(w
            .ok("importscript", json!([want.to_hex(), true, height]))
            .await
            .is_null());
        let ls = w.ok("listscripts", json!([])).await;
        assert_eq!(ls["scripts"][0]["address"], json!(want_addr));
        assert_eq!(ls["scripts"][0]["redeemscript"], json!(want.to_hex()));
    }
    let empty = w0.ok("stakepooluserinfo", json!([want_addr])).await;
    assert_eq!(empty, json!({"tickets": null, "invalid": null}));

    // The user's wallet buys a ticket paying 10 % of the price to fee address 1, and one
    // paying 1 atom.
    let n0 = c.endpoint(Role::Node(0)).unwrap();
    let good = post_call(n0, "simnet_buyticket", json!([want_addr, 20_000_000, 1])).await;
    let good = good["result"].as_str().unwrap().to_owned();
    let low = post_call(n0, "simnet_buyticket", json!([want_addr, 1, 1])).await;
    let low = low["result"].as_str().unwrap().to_owned();

    // Block 1 (below StakeEnabledHeight 2): only blockconnected.
    c.mine(1).unwrap();
    let b1 = block_notes(&mut hcd, false).await;
    assert_eq!(names(&b1), ["blockconnected"]);
    for w in [&mut w0, &mut w1] {
        let info = w.ok("stakepooluserinfo", json!([want_addr])).await;
        assert_eq!(info["tickets"][0]["ticket"], json!(good), "{info}");
        assert_eq!(info["tickets"][0]["status"], json!("live"));
        assert_eq!(info["tickets"][0]["ticketheight"], json!(1));
        assert_eq!(info["invalid"], json!([low]));
    }
    let tx = w0.ok("gettransaction", json!([good])).await;
    assert_eq!(tx["details"][0]["address"], json!(want_addr));
    assert_eq!(tx["details"][0]["category"], json!("receive"));
    let raw = hex::decode(tx["hex"].as_str().unwrap()).unwrap();
    let decoded = Ticket::decode(&raw).unwrap();
    assert_eq!(decoded.hash().to_string(), good);
    let raw_via_node = w0.ok("getrawtransaction", json!([good, 0])).await;
    assert_eq!(raw_via_node, tx["hex"]);
    assert_eq!(
        w0.ok("gettickets", json!([true])).await["hashes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        w0.ok("gettickets", json!([false])).await["hashes"],
        json!([])
    );

    // Block 2: stake enabled, nothing matures yet.
    c.mine(1).unwrap();
    let b2 = block_notes(&mut hcd, false).await;
    assert_eq!(
        names(&b2),
        ["spentandmissedtickets", "newtickets", "blockconnected"]
    );
    assert_eq!(b2[1]["params"][3], Value::Null);

    // Block 3: both tickets mature and are drawn (SVH 4 → winners from block 3).
    c.mine(1).unwrap();
    let b3 = block_notes(&mut hcd, true).await;
    assert_eq!(
        names(&b3),
        [
            "spentandmissedtickets",
            "newtickets",
            "blockconnected",
            "winningtickets"
        ]
    );
    let mut matured: Vec<String> = b3[1]["params"][3]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    matured.sort();
    let mut both = vec![good.clone(), low.clone()];
    both.sort();
    assert_eq!(matured, both);
    let (hash3, _) = c.best_block();
    let win = &b3[3]["params"];
    assert_eq!(win[0], json!(hash3.to_string()));
    assert_eq!(win[1], json!(3));
    let winners = win[2].as_object().unwrap();
    let mut keys_seen: Vec<&String> = winners.keys().collect();
    keys_seen.sort();
    assert_eq!(keys_seen, ["0", "1"]);
    assert!(winners.values().any(|v| v == &json!(good)));

    // The wallet builds the vote, the node relays it.
    let vote = w0
        .ok(
            "generatevote",
            json!([hash3.to_string(), 3, good, 5, "07000000"]),
        )
        .await;
    let vote_hex = vote["hex"].as_str().unwrap().to_owned();
    let vtx = hcpool_core::tx::Transaction::decode(&hex::decode(&vote_hex).unwrap()).unwrap();
    let parsed = hcpool_core::Vote::from_tx(&vtx).unwrap();
    assert_eq!(parsed.ticket.to_string(), good);
    assert_eq!(parsed.block_height, 3);
    assert_eq!(parsed.vote_version(), 7);
    let txid = hcd.ok("sendrawtransaction", json!([vote_hex, false])).await;
    let dup = hcd
        .call("sendrawtransaction", json!([vote_hex, false]))
        .await;
    assert_eq!(dup["error"]["code"], json!(-1));
    let txid_s = txid.as_str().unwrap();
    assert_eq!(
        dup["error"]["message"],
        json!(format!(
            "Rejected transaction {txid_s}: already have transaction {txid_s}"
        ))
    );
    let r = w0
        .call(
            "generatevote",
            json!([hash3.to_string(), 3, "33".repeat(32), 5, "07000000"]),
        )
        .await;
    assert_eq!(r["error"], json!({"code": -4, "message": "not exist"}));

    // Block 4: the vote is mined; the low-fee ticket missed.
    c.mine(1).unwrap();
    let b4 = block_notes(&mut hcd, false).await;
    assert_eq!(b4[0]["method"], json!("spentandmissedtickets"));
    assert_eq!(b4[0]["params"][3][&good], json!("spent"));
    assert_eq!(b4[0]["params"][3][&low], json!("missed"));
    for w in [&mut w0, &mut w1] {
        let info = w.ok("stakepooluserinfo", json!([want_addr])).await;
        let t = &info["tickets"][0];
        assert_eq!(t["status"], json!("voted"), "{info}");
        assert_eq!(t["spentby"], txid);
        assert_eq!(t["spentbyheight"], json!(4));
        let si = w.ok("getstakeinfo", json!([])).await;
        assert_eq!(si["voted"], json!(1), "{si}");
        assert_eq!(si["blockheight"], json!(4));
    }
    let good_hash = good.parse().unwrap();
    assert_eq!(c.ticket_state(&good_hash), Some(TicketState::Voted));
    let low_hash = low.parse().unwrap();
    assert_eq!(c.ticket_state(&low_hash), Some(TicketState::Missed));
    // Both wallets revoked the missed ticket by themselves as soon as hcd reported it
    // (DIFFERENCES.md §9): an explicit revoketickets finds the revocation in the mempool.
    assert_eq!(c.pending_revocations(), vec![low_hash]);
    for w in [&mut w0, &mut w1] {
        let r = w.call("revoketickets", json!([])).await;
        assert_eq!(r["error"]["code"], json!(-1), "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already have transaction"),
            "{r}"
        );
    }
    c.mine(1).unwrap();
    assert_eq!(c.ticket_state(&low_hash), Some(TicketState::Revoked));
    assert_eq!(c.ticket_state(&good_hash), Some(TicketState::Voted));
    // Nothing left to revoke; the voted ticket is not revocable.
    assert_eq!(w1.ok("revoketickets", json!([])).await, json!(null));
    // hcd reports the revoked ticket as missed again.
    let b5 = block_notes(&mut hcd, false).await;
    assert_eq!(b5[0]["method"], json!("spentandmissedtickets"));
    assert_eq!(b5[0]["params"][3][&low], json!("missed"));
    let r = w0.call("revoketickets", json!([1])).await;
    assert_eq!(r["error"]["code"], json!(-32600), "{r}");
}

#[tokio::test]
async fn addticket_moves_an_invalid_ticket_to_live() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let pool_pk = keys.ticket_pubkey_address(UserId(2)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(7)
        .unwrap()
        .to_pubkey_address(Network::Simnet);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let msa = script.p2sh_address(Network::Simnet).to_string();
    let mut w0 = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    let mut w1 = Ws::authed(c.endpoint(Role::Wallet(1)).unwrap()).await;
    // Only wallet 0 knows the script when the ticket is mined.
    w0.ok("importscript", json!([script.to_hex(), true, 0]))
        .await;
    let t = c
        .buy_ticket(&hcpool_simnet::TicketPurchase::new(&msa, 1, 2))
        .unwrap();
    c.mine(1).unwrap();
    let info = w0.ok("stakepooluserinfo", json!([msa])).await;
    assert_eq!(info["invalid"], json!([t.to_string()]));
    // Wallet 1 imports with a rescan and sees the same.
    w1.ok("importscript", json!([script.to_hex(), true, 0]))
        .await;
    assert_eq!(w1.ok("stakepooluserinfo", json!([msa])).await, info);
    let raw = w0.ok("getrawtransaction", json!([t.to_string(), 0])).await;
    assert!(w0.ok("addticket", json!([raw])).await.is_null());
    let after = w0.ok("stakepooluserinfo", json!([msa])).await;
    assert_eq!(after["invalid"], Value::Null);
    assert_eq!(after["tickets"][0]["ticket"], json!(t.to_string()));
    assert_eq!(after["tickets"][0]["status"], json!("live"));
    let r = w0.call("addticket", json!(["00"])).await;
    assert!(r["error"].is_object());
}

#[tokio::test]
async fn a_default_control_purchase_passes_the_real_fee_check() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let pool_pk = keys.ticket_pubkey_address(UserId(5)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(8)
        .unwrap()
        .to_pubkey_address(Network::Simnet);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let msa = script.p2sh_address(Network::Simnet).to_string();
    let w = c.endpoint(Role::Wallet(0)).unwrap();
    let r = post_call(w, "importscript", json!([script.to_hex(), true, 0])).await;
    assert!(r["error"].is_null(), "{r}");
    // Only the address: pool fee 10 % of the price to fee address 0 by default.
    let t = post_call(w, "simnet_buyticket", json!([msa])).await;
    assert!(t["error"].is_null(), "{t}");
    post_call(w, "simnet_mine", json!([1])).await;
    let info = post_call(w, "stakepooluserinfo", json!([msa])).await;
    assert_eq!(
        info["result"]["tickets"][0]["ticket"], t["result"],
        "{info}"
    );
    assert_eq!(info["result"]["invalid"], Value::Null);
}

//! The simulator's transport over real TLS sockets: auth, envelopes, POST vs websocket,
//! fault knobs.

mod support;

use std::time::Duration;

use hcpool_simnet::{basic_auth, Faults, Role, RpcError, SimCluster, SimConfig};
use serde_json::json;
use support::{post, post_call, Ws, PASS, USER};

async fn cluster() -> SimCluster {
    SimCluster::start(SimConfig::default()).await.unwrap()
}

#[tokio::test]
async fn post_requires_basic_auth_like_hcwallet() {
    let c = cluster().await;
    let w = c.endpoint(Role::Wallet(0)).unwrap();
    let body = r#"{"jsonrpc":"1.0","method":"getbestblock","params":[],"id":7}"#;
    for auth in [None, Some(basic_auth(USER, "wrong"))] {
        let (status, head, text) = post(w, auth.as_deref(), body).await;
        assert_eq!(status, 401);
        assert!(
            head.to_ascii_lowercase()
                .contains("www-authenticate: basic realm=\"btcwallet rpc\""),
            "{head}"
        );
        assert!(text.starts_with("401 Unauthorized."), "{text}");
    }
    let (status, head, _) = post(c.endpoint(Role::Node(0)).unwrap(), None, body).await;
    assert_eq!(status, 401);
    assert!(head.contains("hcd RPC"), "{head}");

    let (status, _, text) = post(w, Some(&basic_auth(USER, PASS)), body).await;
    assert_eq!(status, 200);
    assert!(text.starts_with(r#"{"result":{"hash":""#), "{text}");
    assert!(text.ends_with(r#""error":null,"id":7}"#), "{text}");
}

#[tokio::test]
async fn websocket_answers_wallet_methods_and_echoes_ids() {
    let c = cluster().await;
    let mut ws = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    let info = ws.ok("walletinfo", json!([])).await;
    assert_eq!(info["voteversion"], json!(7));
    assert_eq!(info["votebitsextended"], json!("07000000"));
    assert_eq!(info["daemonconnected"], json!(true));
    let v = ws.ok("version", json!([])).await;
    assert_eq!(v["hcwalletjsonrpcapi"]["versionstring"], json!("4.1.0"));
    assert_eq!(v["hcdjsonrpcapi"]["major"], json!(3));
    assert_eq!(ws.ok("getbestblock", json!([])).await["height"], json!(0));
    // Pass-through to the node.
    assert_eq!(
        ws.ok("getcurrentnet", json!([])).await,
        json!(2316526404u32)
    );

    ws.send_raw(r#"{"jsonrpc":"1.0","method":"getbestblock","params":[],"id":"abc"}"#.into())
        .await;
    let r = ws.frame(Duration::from_secs(5)).await.unwrap();
    assert_eq!(r["id"], json!("abc"));

    let r = ws.call("nosuchmethod", json!([])).await;
    assert_eq!(
        r["error"],
        json!({"code": -32601, "message": "Method not found"})
    );
    let r = ws.call("gettransaction", json!(["11".repeat(32)])).await;
    assert_eq!(
        r["error"],
        json!({"code": -5, "message": "No information for transaction"})
    );
    let r = ws
        .call("getblockheader", json!(["22".repeat(32), false]))
        .await;
    assert_eq!(r["error"]["code"], json!(-5));
    assert_eq!(
        r["error"]["message"],
        json!(format!("Block not found: {}", "22".repeat(32)))
    );
    let r = ws.call("walletinfo", json!([1, 2])).await;
    assert_eq!(r["error"]["code"], json!(-32600));
}

#[tokio::test]
async fn websocket_without_header_must_authenticate_first() {
    let c = cluster().await;
    let w = c.endpoint(Role::Wallet(1)).unwrap();
    assert!(Ws::connect(w, Some(&basic_auth(USER, "bad")))
        .await
        .is_err());

    let mut ws = Ws::connect(w, None).await.unwrap();
    assert!(ws.ok("authenticate", json!([USER, PASS])).await.is_null());
    assert_eq!(ws.ok("getbestblock", json!([])).await["height"], json!(0));

    let mut ws = Ws::connect(w, None).await.unwrap();
    assert!(ws
        .try_call("getbestblock", json!([]), Duration::from_secs(5))
        .await
        .is_none());
    let mut ws = Ws::connect(w, None).await.unwrap();
    assert!(ws
        .try_call("authenticate", json!([USER, "bad"]), Duration::from_secs(5))
        .await
        .is_none());
}

#[tokio::test]
async fn node_notify_methods_exist_only_on_the_websocket() {
    let c = cluster().await;
    let n = c.endpoint(Role::Node(0)).unwrap();
    let r = post_call(n, "notifyblocks", json!([])).await;
    assert_eq!(r["error"]["code"], json!(-32601));
    let mut ws = Ws::authed(n).await;
    assert!(ws.ok("notifyblocks", json!([])).await.is_null());
    let v = ws.ok("version", json!([])).await;
    assert_eq!(
        v,
        json!({"hcdjsonrpcapi":{"versionstring":"3.1.0","major":3,"minor":1,"patch":0,"prerelease":"","buildmetadata":""}})
    );
}

#[tokio::test]
async fn control_methods_drive_the_chain_from_outside() {
    let c = cluster().await;
    let w = c.endpoint(Role::Wallet(0)).unwrap();
    let r = post_call(w, "simnet_mine", json!([3])).await;
    assert_eq!(r["result"][2]["height"], json!(3));
    let best = post_call(
        c.endpoint(Role::Node(0)).unwrap(),
        "getbestblock",
        json!([]),
    )
    .await;
    assert_eq!(best["result"]["height"], json!(3));
    assert_eq!(best["result"]["hash"], r["result"][2]["hash"]);
    let hdr = post_call(w, "getblockheader", json!([best["result"]["hash"], false])).await;
    let hex = hdr["result"].as_str().unwrap();
    assert_eq!(hex.len(), 360);
    assert_eq!(&hex[256..264], "03000000", "height at byte 128");
    assert_eq!(c.best_block().1, 3);
}

#[tokio::test]
async fn fault_knobs_error_silence_inconsistency_and_drop() {
    let c = cluster().await;
    let w0 = c.endpoint(Role::Wallet(0)).unwrap();
    let w1 = c.endpoint(Role::Wallet(1)).unwrap();

    c.set_faults(
        Role::Wallet(0),
        Faults {
            error: Some(RpcError::new(-4, "simulated failure")),
            ..Faults::default()
        },
    )
    .unwrap();
    let mut ws = Ws::authed(w0).await;
    let r = ws.call("walletinfo", json!([])).await;
    assert_eq!(
        r["error"],
        json!({"code": -4, "message": "simulated failure"})
    );

    c.set_faults(
        Role::Wallet(0),
        Faults {
            inconsistent: true,
            ..Faults::default()
        },
    )
    .unwrap();
    let mut ws1 = Ws::authed(w1).await;
    let a = ws.ok("walletinfo", json!([])).await;
    let b = ws1.ok("walletinfo", json!([])).await;
    assert_ne!(a["voteversion"], b["voteversion"]);

    c.set_faults(
        Role::Wallet(0),
        Faults {
            silent: true,
            ..Faults::default()
        },
    )
    .unwrap();
    assert!(ws
        .try_call("walletinfo", json!([]), Duration::from_millis(500))
        .await
        .is_none());

    c.set_faults(Role::Wallet(0), Faults::default()).unwrap();
    assert!(ws.ok("walletinfo", json!([])).await.is_object());
    c.drop_connections(Role::Wallet(0)).unwrap();
    assert!(ws.frame(Duration::from_secs(5)).await.is_none());
    // The other wallet's socket is untouched.
    assert!(ws1.ok("walletinfo", json!([])).await.is_object());

    // The same knobs over the control RPC.
    let r = post_call(
        w1,
        "simnet_setwallet",
        json!(["wallet1", "unlocked", false]),
    )
    .await;
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(
        ws1.ok("walletinfo", json!([])).await["unlocked"],
        json!(false)
    );
    let r = post_call(
        w1,
        "simnet_setfault",
        json!(["wallet1", "error", -1, "boom"]),
    )
    .await;
    assert!(r["error"].is_null(), "{r}");
    let r = ws1.call("getbestblock", json!([])).await;
    assert_eq!(r["error"], json!({"code": -1, "message": "boom"}));
}

#[tokio::test]
async fn inconsistent_wallet_disagrees_on_pubkey_script_and_live() {
    use hcpool_core::{Network, PoolKeys, UserId};
    use hcpool_simnet::{DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB};
    let c = cluster().await;
    let keys =
        PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, Network::Simnet).unwrap();
    let addr = keys.ticket_address(UserId(4)).unwrap().to_string();
    let pool_pk = keys.ticket_pubkey_address(UserId(4)).unwrap().to_string();
    let user_pk = keys
        .fee_branch()
        .derive_child(9)
        .unwrap()
        .to_pubkey_address(Network::Simnet)
        .to_string();
    let w0 = c.endpoint(Role::Wallet(0)).unwrap();
    let w1 = c.endpoint(Role::Wallet(1)).unwrap();
    let r = post_call(w1, "simnet_setfault", json!(["wallet1", "inconsistent"])).await;
    assert!(r["error"].is_null(), "{r}");
    let (mut a, mut b) = (Ws::authed(w0).await, Ws::authed(w1).await);
    let va = a.ok("validateaddress", json!([addr])).await;
    let vb = b.ok("validateaddress", json!([addr])).await;
    assert_eq!(va["ismine"], json!(true));
    assert_ne!(va["pubkey"], vb["pubkey"]);
    let p = json!([1, [pool_pk, user_pk]]);
    let ma = a.ok("createmultisig", p.clone()).await;
    let mb = b.ok("createmultisig", p).await;
    assert_ne!(ma["redeemScript"], mb["redeemScript"]);
    let sa = a.ok("getstakeinfo", json!([])).await;
    let sb = b.ok("getstakeinfo", json!([])).await;
    assert_ne!(sa["live"], sb["live"]);
}

#[tokio::test]
async fn a_hanging_method_leaves_the_others_answering() {
    let c = cluster().await;
    let n = c.endpoint(Role::Node(0)).unwrap();
    let r = post_call(
        n,
        "simnet_setfault",
        json!(["hcd0", "hang", 0, "", "getbestblock"]),
    )
    .await;
    assert!(r["error"].is_null(), "{r}");
    let mut ws = Ws::authed(n).await;
    assert!(ws
        .try_call("getbestblock", json!([]), Duration::from_millis(500))
        .await
        .is_none());
    assert_eq!(
        ws.ok("getcurrentnet", json!([])).await,
        json!(2316526404u32)
    );
}

#[tokio::test]
async fn every_node_endpoint_notifies_its_subscribers() {
    let c = SimCluster::start(SimConfig {
        nodes: 2,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut subs = Vec::new();
    for i in 0..2 {
        let mut ws = Ws::authed(c.endpoint(Role::Node(i)).unwrap()).await;
        assert!(ws.ok("notifyblocks", json!([])).await.is_null());
        subs.push(ws);
    }
    let mined = c.mine(1).unwrap();
    for ws in &mut subs {
        let n = ws.note().await;
        assert_eq!(n["method"], json!("blockconnected"));
        assert_eq!(n["id"], serde_json::Value::Null);
        assert_eq!(n["params"][1], serde_json::Value::Null);
        let header = hex::decode(n["params"][0].as_str().unwrap()).unwrap();
        assert_eq!(header.len(), 180);
        assert_eq!(hcpool_core::hash::blake256(&header), *mined[0].0.as_bytes());
    }
}

#[tokio::test]
async fn protocol_faults_bad_winner_keys_and_string_ids() {
    let c = cluster().await;
    let n = c.endpoint(Role::Node(0)).unwrap();
    let mut ws = Ws::authed(n).await;
    assert!(ws.ok("notifywinningtickets", json!([])).await.is_null());
    // A live ticket so that winners are drawn (fast params: SVH 4, maturity 2).
    let t = hcpool_simnet::TicketPurchase::new("unused", 20_000_000, 0);
    c.buy_ticket_for_script([9; 20], &t).unwrap();
    c.set_faults(
        Role::Node(0),
        Faults {
            bad_winner_keys: true,
            ..Faults::default()
        },
    )
    .unwrap();
    c.mine(3).unwrap();
    let note = ws.note().await;
    assert_eq!(note["method"], json!("winningtickets"));
    let keys: Vec<&String> = note["params"][2].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["1"]);

    c.set_faults(
        Role::Node(0),
        Faults {
            string_ids: true,
            ..Faults::default()
        },
    )
    .unwrap();
    ws.send_raw(r#"{"jsonrpc":"1.0","method":"getbestblock","params":[],"id":5}"#.into())
        .await;
    let r = ws.frame(Duration::from_secs(5)).await.unwrap();
    assert_eq!(r["id"], json!("5"));
}

#[tokio::test]
async fn bad_params_are_minus_8_on_hcd_and_minus_32600_on_the_wallet() {
    let c = cluster().await;
    let mut n = Ws::authed(c.endpoint(Role::Node(0)).unwrap()).await;
    let r = n.call("getblockheader", json!([5])).await;
    assert_eq!(r["error"]["code"], json!(-8), "{r}");
    assert!(r["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Parse error: "));
    let mut w = Ws::authed(c.endpoint(Role::Wallet(0)).unwrap()).await;
    let r = w.call("gettickets", json!(["yes"])).await;
    assert_eq!(r["error"]["code"], json!(-32600), "{r}");
}

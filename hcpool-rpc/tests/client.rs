//! The JSON-RPC client over real sockets with TLS against the test server.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use hcpool_core::backend::{
    ChainNode, ChainNotification, PoolWallet, StakeReporting, TicketStatus, VotingWallet,
    WalletState,
};
use hcpool_core::{BackendKind, Hash32, RedeemScript, VoteBits};
use hcpool_rpc::jsonrpc::convert::decode_address;
use hcpool_rpc::{Error, JsonRpcNode, JsonRpcWallet, Mode, PinnedCert, Reconnect, RpcClient};
use serde_json::{json, Value};
use support::{fixtures, Reply, TestServer};

fn h(s: &str) -> Hash32 {
    s.parse().unwrap()
}

fn fx(method: &str) -> Value {
    fixtures()[method]["result"].clone()
}

const T1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const BLOCK: &str = "000000000000000000000000000000000000000000000000000000000000009f";
const MSA: &str = "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5";
const POOL_PK: &str = "TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor";
const USER_PK: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

async fn every_wallet_method(wallet: &JsonRpcWallet) {
    let msa = decode_address(MSA).unwrap();
    let script = RedeemScript::from_bytes(
        hex::decode(fx("createmultisig")["redeemScript"].as_str().unwrap()).unwrap(),
    );

    let info = wallet.wallet_info().await.unwrap();
    assert!(info.daemon_connected && info.unlocked && info.voting);
    assert_eq!(info.vote_version, 7);
    assert_eq!(info.vote_bits, VoteBits(1));
    assert_eq!(info.vote_bits_extended, vec![7, 0, 0, 0]);

    let v = wallet.validate_address(&msa).await.unwrap();
    assert!(v.is_valid && v.is_mine);
    assert_eq!(
        hex::encode(v.pubkey.unwrap()),
        fx("validateaddress")["pubkey"].as_str().unwrap()
    );
    assert_eq!(v.account.as_deref(), Some("default"));
    let pool = v.pubkey_addr.unwrap();
    assert_eq!(pool.to_string(), POOL_PK);
    let user = decode_address(USER_PK).unwrap();

    let m = wallet.create_multisig(&pool, &user).await.unwrap();
    assert_eq!(m.redeem_script, script);
    assert_eq!(m.address, msa);
    // The wallet's answer is what hcpool-core computes itself.
    let own = RedeemScript::one_of_two(&pool, &user).unwrap();
    assert_eq!(own, script);
    assert_eq!(own.p2sh_address(hcpool_core::Network::Testnet), msa);

    wallet.import_script(&script, 812).await.unwrap();
    wallet
        .account_sync_address_index("default", 0, 10000)
        .await
        .unwrap();
    assert_eq!(wallet.list_scripts().await.unwrap(), vec![script.clone()]);

    let best = wallet.best_block().await.unwrap();
    assert_eq!((best.hash, best.height), (h(BLOCK), 812));

    let si = wallet.stake_info().await.unwrap();
    assert_eq!(
        (si.live, si.immature, si.voted, si.pool_size),
        (5, 2, 3, 1000)
    );
    assert!((si.difficulty - 2.5).abs() < 1e-9);

    let ui = wallet.stake_pool_user_info(&msa).await.unwrap();
    assert_eq!(ui.tickets.len(), 2);
    assert_eq!(ui.tickets[0].status, TicketStatus::Live);
    assert_eq!(ui.tickets[1].status, TicketStatus::Voted);
    assert_eq!(ui.tickets[1].spent_by_height, 1010);
    assert!(
        ui.invalid.is_empty(),
        "null invalid list must read as empty"
    );

    let tickets = wallet.tickets(true).await.unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(tickets[0], h(T1));

    let raw = wallet.raw_transaction(&h(T1)).await.unwrap();
    assert_eq!(hex::encode(&raw), "0100000001abcdef");
    wallet.add_ticket(&raw).await.unwrap();

    let tx = wallet.transaction(&h(T1)).await.unwrap();
    assert_eq!(tx.txid, h(T1));
    assert_eq!(tx.block_hash, Some(h(BLOCK)));
    assert_eq!(tx.detail_addresses, vec![MSA.to_owned()]);

    let vote = wallet
        .generate_vote(&h(BLOCK), 900, &h(T1), VoteBits(5), &[7, 0, 0, 0])
        .await
        .unwrap();
    assert_eq!(hex::encode(vote), "0100000002aa");

    let version = wallet.version().await.unwrap();
    assert_eq!(version["hcwalletjsonrpcapi"].major, 4);
    assert!(version["hcdjsonrpcapi"].is_compatible_with(3, 1, 0));
    assert_eq!(wallet.tickets_for_address(MSA).await.unwrap(), vec![h(T1)]);
}

#[tokio::test]
async fn every_wallet_method_over_websocket() {
    let server = TestServer::start().await;
    let wallet = JsonRpcWallet::connect(server.config()).await.unwrap();
    every_wallet_method(&wallet).await;
    // The test server answers -32600 when params differ from the fixture; none did.
    assert_eq!(server.upgrades.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(server.count("walletinfo") >= 1);
}

#[tokio::test]
async fn every_wallet_method_over_http_post() {
    let server = TestServer::start().await;
    let mut cfg = server.config();
    cfg.mode = Mode::HttpPost;
    let wallet = JsonRpcWallet::connect(cfg).await.unwrap();
    every_wallet_method(&wallet).await;
    assert_eq!(server.upgrades.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(wallet.client().notifications().is_err());
}

#[tokio::test]
async fn every_node_method() {
    let server = TestServer::start().await;
    let node = JsonRpcNode::connect(server.config()).await.unwrap();
    assert_eq!(node.best_block().await.unwrap().height, 812);
    assert_eq!(node.current_net().await.unwrap(), 2595580218);
    let (header, height) = node.block_header(&h(BLOCK)).await.unwrap();
    assert_eq!((header.len(), height), (180, 1000));
    let txid = node
        .send_raw_transaction(&hex::decode("0100000002aa").unwrap())
        .await
        .unwrap();
    assert_eq!(txid.to_string(), "9".repeat(64));
    assert_eq!(node.version().await.unwrap()["hcdjsonrpcapi"].minor, 1);
    node.register_notifications().await.unwrap();
    for m in hcpool_rpc::node::NOTIFY_METHODS {
        assert_eq!(server.count(m), 1, "{m}");
    }
}

#[tokio::test]
async fn rpc_errors_are_typed_and_rendered_like_go() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|_: &str, _: &[Value]| {
        Reply::Error(-5, "No information for transaction".into())
    }));
    let wallet = JsonRpcWallet::connect(server.config()).await.unwrap();
    let err = wallet.transaction(&h(T1)).await.unwrap_err();
    assert_eq!(err.backend_kind(), Some(BackendKind::NotFound));
    assert!(
        err.to_string()
            .contains("-5: No information for transaction"),
        "{err}"
    );
    let raw = wallet
        .client()
        .call_value("gettransaction", vec![json!(T1)])
        .await
        .unwrap_err();
    assert_eq!(raw.rpc().map(|e| e.code), Some(-5));
}

#[tokio::test]
async fn wrong_password_is_an_auth_failure() {
    let server = TestServer::start().await;
    for mode in [Mode::WebSocket, Mode::HttpPost] {
        let mut cfg = server.config();
        cfg.password = hcpool_core::Secret::new("wrong".into());
        cfg.mode = mode;
        let err = match RpcClient::connect(cfg).await {
            Err(e) => e,
            Ok(c) => c.call_value("walletinfo", vec![]).await.unwrap_err(),
        };
        assert!(matches!(err, Error::Auth), "{mode:?}: {err}");
        assert!(!err.to_string().contains("wrong"));
    }
}

#[tokio::test]
async fn a_different_certificate_is_refused() {
    let server = TestServer::start().await;
    let other = support::p521_cert();
    let mut cfg = server.config();
    cfg.cert = PinnedCert::Pem(other.pem);
    let err = RpcClient::connect(cfg).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(format!("{err:?}").contains("UnknownIssuer"), "{err:?}");
}

#[tokio::test]
async fn pinned_certificate_from_a_file_with_hostname_check() {
    let server = TestServer::start().await;
    let dir = std::env::temp_dir().join(format!("hcpool-rpc-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rpc.cert");
    std::fs::write(&path, &server.cert.pem).unwrap();
    let mut cfg = server.config();
    cfg.cert = PinnedCert::File(path.clone());
    cfg.check_hostname = true;
    let client = RpcClient::connect(cfg.clone()).await.unwrap();
    assert_eq!(
        client.call::<u32>("getcurrentnet", vec![]).await.unwrap(),
        2595580218
    );
    // The certificate names 127.0.0.1 but not this host.
    cfg.host = format!("127.0.0.2:{}", server.addr.port());
    assert!(RpcClient::connect(cfg).await.is_err());
    let missing = PinnedCert::File(dir.join("absent.cert"));
    let mut cfg = server.config();
    cfg.cert = missing;
    assert!(matches!(
        RpcClient::connect(cfg).await.unwrap_err(),
        Error::Certificate { .. }
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_call_that_gets_no_reply_times_out_and_others_still_work() {
    let server = TestServer::start().await;
    let fallback = support::fixture_handler();
    server.set_handler(Arc::new(move |m: &str, p: &[Value]| {
        if m == "generatevote" {
            Reply::Hang
        } else {
            fallback(m, p)
        }
    }));
    let mut cfg = server.config();
    cfg.timeout = Some(Duration::from_millis(200));
    let client = RpcClient::connect(cfg).await.unwrap();
    let err = client.call_value("generatevote", vec![]).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref method, .. } if method == "generatevote"),
        "{err}"
    );
    assert_eq!(err.kind(), BackendKind::Unavailable);
    assert_eq!(
        client.call::<u32>("getcurrentnet", vec![]).await.unwrap(),
        2595580218
    );
}

#[tokio::test]
async fn replies_out_of_order_reach_their_callers() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|m: &str, p: &[Value]| {
        let n = p.first().and_then(Value::as_u64).unwrap_or(0);
        // Later requests answer sooner.
        Reply::Delayed(
            Duration::from_millis(200 - n * 20),
            Box::new(Reply::Result(json!(format!("{m}-{n}")))),
        )
    }));
    let client = RpcClient::connect(server.config()).await.unwrap();
    let calls = (0..8u64).map(|n| {
        let c = client.clone();
        async move { c.call::<String>("echo", vec![json!(n)]).await }
    });
    let got = futures::future::join_all(calls).await;
    for (n, r) in got.into_iter().enumerate() {
        assert_eq!(r.unwrap(), format!("echo-{n}"));
    }
}

#[tokio::test]
async fn dropped_connection_reconnects_and_resends() {
    let server = TestServer::start().await;
    let node = JsonRpcNode::connect(server.config()).await.unwrap();
    node.register_notifications().await.unwrap();
    let mut stream = node.notifications().unwrap();
    server.drop_connections();
    // Calls made while the link is down are queued and sent after the reconnect.
    let best = node.best_block().await.unwrap();
    assert_eq!(best.height, 812);
    assert!(server.upgrades.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    // Registrations were re-issued on the new socket.
    assert!(server.count("notifywinningtickets") >= 2);
    server.notify("newtickets", json!([BLOCK, 900, 250000000, [T1]]));
    let n = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        n,
        ChainNotification::NewTickets {
            block_hash: h(BLOCK),
            height: 900,
            tickets: vec![h(T1)]
        }
    );
}

#[tokio::test]
async fn without_reconnect_a_drop_shuts_the_client_down() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|_: &str, _: &[Value]| Reply::Hang));
    let mut cfg = server.config();
    cfg.reconnect = Reconnect::Never;
    let client = RpcClient::connect(cfg).await.unwrap();
    let pending = {
        let c = client.clone();
        tokio::spawn(async move { c.call_value("walletinfo", vec![]).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.drop_connections();
    let err = pending.await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Disconnected), "{err}");
    let later = client.call_value("walletinfo", vec![]).await.unwrap_err();
    assert!(matches!(later, Error::Shutdown), "{later}");
    assert!(!client.is_connected());
}

#[tokio::test]
async fn fail_fast_mode_reports_disconnected_while_redialing() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cert = Arc::new(support::p521_cert());
    let server = TestServer::serve(listener, cert.clone(), support::fixture_handler());
    let mut cfg = server.config();
    cfg.reconnect = Reconnect::Backoff {
        base: Duration::from_millis(50),
        max: Duration::from_millis(100),
        queue_while_down: false,
    };
    let client = RpcClient::connect(cfg).await.unwrap();
    drop(server); // listener and connections gone
    let mut saw_disconnected = false;
    for _ in 0..50 {
        match client.call_value("getcurrentnet", vec![]).await {
            Err(Error::Disconnected) => {
                saw_disconnected = true;
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    assert!(saw_disconnected);
    // The server comes back on the same port: the client redials by itself.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let _server = TestServer::serve(listener, cert, support::fixture_handler());
    let mut ok = false;
    for _ in 0..100 {
        if client.call::<u32>("getcurrentnet", vec![]).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "client did not recover");
}

#[tokio::test]
async fn notifications_arrive_as_a_typed_stream_in_order() {
    let server = TestServer::start().await;
    let node = JsonRpcNode::connect(server.config()).await.unwrap();
    let mut stream = node.notifications().unwrap();
    node.register_notifications().await.unwrap();
    let t2 = "2".repeat(64);
    let header = fx("getblockheader");
    server.notify(
        "spentandmissedtickets",
        json!([BLOCK, 900, 250000000, {T1: "spent", t2.clone(): "missed"}]),
    );
    server.notify("newtickets", json!([BLOCK, 900, 250000000, null]));
    server.notify("blockconnected", json!([header, null]));
    server.notify(
        "winningtickets",
        json!([BLOCK, 900, {"1": t2.clone(), "0": T1}]),
    );
    server.notify("winningtickets", json!([BLOCK, 900, {"a": T1}])); // dropped: bad key
    server.notify("stakedifficulty", json!([BLOCK, 900, 1])); // not used by the pool
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            tokio::time::timeout(Duration::from_secs(5), stream.next())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert!(
        matches!(&got[0], ChainNotification::SpentAndMissed { spent, missed, .. } if spent == &vec![h(T1)] && missed == &vec![h(&t2)])
    );
    assert!(matches!(&got[1], ChainNotification::NewTickets { tickets, .. } if tickets.is_empty()));
    assert!(matches!(
        &got[2],
        ChainNotification::BlockConnected { height: 1000, .. }
    ));
    assert!(
        matches!(&got[3], ChainNotification::WinningTickets { tickets, .. } if tickets == &vec![h(T1), h(&t2)])
    );
    let extra = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(
        extra.is_err(),
        "malformed and unused notifications must not be delivered"
    );
}

#[tokio::test]
async fn close_fails_later_calls() {
    let server = TestServer::start().await;
    let client = RpcClient::connect(server.config()).await.unwrap();
    client.close();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = client.call_value("walletinfo", vec![]).await.unwrap_err();
    assert!(matches!(err, Error::Shutdown), "{err}");
}

#[tokio::test]
async fn replies_with_a_string_or_unknown_id_are_dropped_and_the_call_times_out() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|m: &str, _: &[Value]| match m {
        "stringid" => Reply::Raw(r#"{"result":1,"error":null,"id":"1"}"#.into()),
        "unknownid" => Reply::Raw(r#"{"result":1,"error":null,"id":999999}"#.into()),
        _ => Reply::Result(json!(7)),
    }));
    let mut cfg = server.config();
    cfg.timeout = Some(Duration::from_millis(200));
    let client = RpcClient::connect(cfg).await.unwrap();
    for m in ["stringid", "unknownid"] {
        let err = client.call_value(m, vec![]).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{m}: {err}");
    }
    // The socket is still usable.
    assert_eq!(client.call::<u32>("anything", vec![]).await.unwrap(), 7);
}

#[tokio::test]
async fn an_endpoint_without_websocket_is_reported() {
    let server = TestServer::start().await;
    let mut cfg = server.config();
    cfg.endpoint = "notws".into();
    let err = RpcClient::connect(cfg).await.unwrap_err();
    assert!(matches!(err, Error::NotWebsocket { status: 200 }), "{err}");
}

#[tokio::test]
async fn a_call_dropped_by_its_caller_leaves_nothing_behind_and_is_not_resent() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|m: &str, _: &[Value]| {
        if m == "slow" {
            Reply::Hang
        } else {
            Reply::Result(json!(1))
        }
    }));
    let client = RpcClient::connect(server.config()).await.unwrap();
    // The caller gives up before the reply: its future is dropped.
    let gave_up = tokio::time::timeout(
        Duration::from_millis(200),
        client.call_value("slow", vec![]),
    )
    .await;
    assert!(gave_up.is_err(), "the server never answers slow");
    assert_eq!(client.pending_calls(), 0, "the pending entry went with it");
    server.drop_connections();
    // The next call goes over the new link; the abandoned one is not re-sent with it.
    client.call_value("ping", vec![]).await.unwrap();
    assert_eq!(server.count("slow"), 1);
    assert_eq!(client.pending_calls(), 0);
}

#[tokio::test]
async fn sent_transactions_and_revocations_are_failed_not_resent_after_a_reconnect() {
    let server = TestServer::start().await;
    server.set_handler(Arc::new(|m: &str, _: &[Value]| match m {
        "sendrawtransaction" | "revoketickets" | "getbestblockhash" => Reply::Hang,
        _ => Reply::Result(json!(1)),
    }));
    let client = RpcClient::connect(server.config()).await.unwrap();
    let call = |m: &'static str, p: Vec<Value>| {
        let c = client.clone();
        tokio::spawn(async move { c.call_value(m, p).await })
    };
    let send = call("sendrawtransaction", vec![json!("0100")]);
    let revoke = call("revoketickets", vec![]);
    let read = call("getbestblockhash", vec![]);
    while server.count("sendrawtransaction")
        + server.count("revoketickets")
        + server.count("getbestblockhash")
        < 3
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Written, unanswered, and the link drops: applied or not, nobody knows.
    server.set_handler(Arc::new(|_: &str, _: &[Value]| {
        Reply::Result(json!("again"))
    }));
    server.drop_connections();
    for (what, task) in [("sendrawtransaction", send), ("revoketickets", revoke)] {
        let err = task.await.unwrap().unwrap_err();
        assert!(
            matches!(&err, Error::NotResent { method } if method == what),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("not re-sent"), "{err}");
        assert_eq!(server.count(what), 1, "{what} was re-sent");
    }
    // A read is still re-sent and answered on the new link.
    assert_eq!(read.await.unwrap().unwrap(), json!("again"));
    assert_eq!(server.count("getbestblockhash"), 2);
    assert_eq!(client.pending_calls(), 0);
}
